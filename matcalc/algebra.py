"""Canonicalizing constructors: the algebra every rule builds its results with.

Each one applies only local, always-true identities (flatten, fold constants, drop 𝟙 and I,
collect like terms, (AB)ᵀ = BᵀAᵀ), so derivative terms are born compact and equal terms
meet as equal trees.  The parser's typing step uses the plain node constructors instead,
so an input prints back as it was written.
"""

from __future__ import annotations

import operator
from fractions import Fraction
from typing import Any

from .expr import (
    ONE, Add, Apply, Const, DiagMat, Dim, Expr, Hadamard, HPow, Identity, Inverse, MatMul,
    MatPow, Ones, Sum, Trace, Transpose, Var, Zero, exact_power,
)

ZERO = Const(Fraction(0))
UNIT = Const(Fraction(1))
_ONE = Fraction(1)


def const(value: int | Fraction) -> Const:
    return Const(Fraction(value))


def is_zero(e: Expr) -> bool:
    return isinstance(e, Zero) or (isinstance(e, Const) and e.value == 0)


def zero_like(e: Expr) -> Expr:
    return ZERO if e.is_scalar else Zero((e.rows, e.cols))


def split_coefficient(e: Expr) -> tuple[Fraction, tuple[Expr, ...]]:
    """e = c · (product of the returned factors); the factors carry no numeric constant."""
    if isinstance(e, Const):
        return e.value, ()
    if isinstance(e, MatMul) and isinstance(e.factors[0], Const):
        return e.factors[0].value, e.factors[1:]
    if isinstance(e, MatMul):
        return _ONE, e.factors
    return _ONE, (e,)


def flatten_product(factors: tuple[Expr, ...] | list[Expr]) -> list[Expr]:
    """The factors of nested products, in order.  A scalar-valued product of non-scalars
    (xᵀy) stays whole beside other matrices: it scales them, it does not chain with them."""
    for f in factors:
        if isinstance(f, MatMul):
            break
    else:
        return list(factors)
    flat: list[Expr] = []
    for f in factors:
        keep_whole = isinstance(f, MatMul) and f.is_scalar and any(
            not g.is_scalar for g in f.factors) and any(not o.is_scalar for o in factors if o is not f)
        flat.extend(f.factors if isinstance(f, MatMul) and not keep_whole else (f,))
    return flat


def _product_shape(factors: list[Expr]) -> tuple[Dim, Dim]:
    chain = [f for f in factors if not f.is_scalar]
    return (chain[0].rows, chain[-1].cols) if chain else (ONE, ONE)


def _same(items: list[Expr], node_items: tuple[Expr, ...]) -> bool:
    """Whether a constructor's result would hold exactly `node_items`, the same objects."""
    return len(items) == len(node_items) and all(map(operator.is_, items, node_items))


def _same_scaled(c: Fraction, items: list[Expr], node_items: tuple[Expr, ...]) -> bool:
    """Whether `node_items` are Const(c) and then exactly `items`."""
    first = node_items[0]
    return (isinstance(first, Const) and first.value == c and len(items) + 1 == len(node_items)
            and all(map(operator.is_, items, node_items[1:])))


def mul(*factors: Expr, keep: MatMul | None = None) -> Expr:
    """Product with numbers folded into one leading coefficient, scalars moved before the
    matrix chain (they commute), identities dropped, and 0 absorbing.  `keep` is a product
    returned as it is when the result would be a product of its very factors (simplify
    re-canonicalizes every node, and most are already canonical: no rebuild for them)."""
    return _mul(factors, _ONE, keep)


def _mul(factors: tuple[Expr, ...], coefficient: Fraction, keep: MatMul | None) -> Expr:
    """mul(Const(coefficient), *factors, keep=keep), without building that Const."""
    scalars: list[Expr] = []
    chain: list[Expr] = []
    absorbed = False  # a Zero factor
    flat = flatten_product(factors)
    for f in flat:
        if isinstance(f, Const):
            coefficient = f.value if coefficient is _ONE else coefficient * f.value
        elif f.is_scalar:
            scalars.append(f)
            absorbed = absorbed or isinstance(f, Zero)
        else:
            chain.append(f)
            absorbed = absorbed or isinstance(f, Zero)
    # Most products carry no number: `is _ONE` spares them Fraction's (slow) comparisons.
    if (coefficient is not _ONE and coefficient == 0) or absorbed:
        rows, cols = _product_shape(flat)
        return ZERO if (rows, cols) == (ONE, ONE) else Zero((rows, cols))
    if len(chain) > 1:
        chain = [f for f in chain if not isinstance(f, Identity)] or chain[:1]
        chain = _merge_powers(chain)
    body = (_merge_scalar_powers(scalars) if len(scalars) > 1 else scalars) + chain
    if not body:
        return Const(coefficient)
    if coefficient is not _ONE and coefficient != 1:
        if keep is not None and _same_scaled(coefficient, body, keep.factors):
            return keep
        body.insert(0, Const(coefficient))
    if len(body) == 1:
        return body[0]
    return keep if keep is not None and _same(body, keep.factors) else MatMul(tuple(body))


def _power_parts(f: Expr) -> tuple[Expr, int]:
    return (f.arg, f.k) if isinstance(f, MatPow) else (f, 1)


def _merge_powers(chain: list[Expr]) -> list[Expr]:
    """A·A = A², Aᵏ·A = Aᵏ⁺¹: adjacent factors with equal bases (square matrices)."""
    out: list[Expr] = []
    for f in chain:
        if out:
            (b1, k1), (b2, k2) = _power_parts(out[-1]), _power_parts(f)
            if b1 == b2:
                out[-1] = MatPow(b1, k1 + k2)
                continue
        out.append(f)
    return out


def _merge_scalar_powers(scalars: list[Expr]) -> list[Expr]:
    """s·s⁻¹ = 1 and s·s = s²: scalar factors with equal bases add their exponents."""
    bases: dict[Expr, Fraction] = {}
    for f in scalars:
        base, p = (f.arg, f.p) if isinstance(f, HPow) and f.p.denominator == 1 else (f, _ONE)
        _accumulate(bases, base, p)
    return [hpow(b, p) for b, p in bases.items() if p != 0]


def _accumulate(totals: dict[Any, Fraction], key: Any, value: Fraction) -> None:
    """totals[key] += value, with no `Fraction(0) + value` for a new key (Fraction
    arithmetic is slow, and most keys are met once)."""
    previous = totals.get(key)
    totals[key] = value if previous is None else previous + value


def _scaled(c: Fraction, factors: tuple[Expr, ...], original: Expr | None = None) -> Expr:
    """mul(Const(c), *factors); `original`, when given, is a term that split into c and
    `factors`: it is the result itself unless it is a product (which mul may still
    rewrite), and a product that mul leaves as it is comes back without a rebuild."""
    if original is not None and not isinstance(original, MatMul):
        # c·factors = original with the factors (original,) or (), where mul changes nothing
        return original
    return _mul(factors, c, original)


def neg(e: Expr) -> Expr:
    return mul(const(-1), e)


def _collect(terms: list[Expr]) -> tuple[dict[tuple[Expr, ...], Fraction], dict[tuple[Expr, ...], Expr]]:
    """The total coefficient of each term's factors, and, for factors met in one term
    only, that term (it need not be rebuilt from its coefficient and factors)."""
    collected: dict[tuple[Expr, ...], Fraction] = {}
    single: dict[tuple[Expr, ...], Expr] = {}
    for t in terms:
        if is_zero(t):
            continue
        c, rest = split_coefficient(t)
        previous = collected.get(rest)
        if previous is None:
            collected[rest] = c
            single[rest] = t
        else:
            collected[rest] = previous + c
            single.pop(rest, None)
    return collected, single


def _term_order(t: Expr) -> tuple[bool, int]:
    # Positive terms before negative ones, fewer transposes first: `Xw − y`, `A + Aᵀ`.
    c, rest = split_coefficient(t)
    transposes = 0
    for f in rest:
        transposes += isinstance(f, Transpose)
    return c is not _ONE and c < 0, transposes  # (`is`: most terms carry no number)


def add(*terms: Expr, keep: Add | None = None) -> Expr:
    """Sum with like terms collected (c₁·T + c₂·T = (c₁ + c₂)·T) and zeros dropped.  A
    repeated sum stays whole — r + r is 2r, not 2Xw − 2y — other nested sums are flattened.
    `keep`: as for mul."""
    if not terms:
        raise ValueError("add() needs at least one term")
    if len(terms) == 1 and not isinstance(terms[0], Add):
        return zero_like(terms[0]) if is_zero(terms[0]) else terms[0]
    flat: list[Expr] = []
    unchanged = True  # every term kept as it is (nothing collected, cancelled or flattened)
    collected, single = _collect(list(terms))
    for rest, c in collected.items():
        if c == 1 and len(rest) == 1 and isinstance(rest[0], Add):
            flat.extend(rest[0].terms)
            unchanged = False
        elif c != 0:
            original = single.get(rest)
            term = _scaled(c, rest, original)
            flat.append(term)
            unchanged = unchanged and term is original
        else:
            unchanged = False
    if unchanged:
        # The second round would meet the same terms with the same keys: it is the identity.
        kept = flat
    else:
        collected, single = _collect(flat)
        kept = [_scaled(c, rest, single.get(rest)) for rest, c in collected.items() if c != 0]
    if not kept:
        return zero_like(terms[0])
    kept.sort(key=_term_order)
    if len(kept) == 1:
        return kept[0]
    return keep if keep is not None and _same(kept, keep.terms) else Add(tuple(kept))


def _is_symmetric(e: Expr) -> bool:
    return isinstance(e, (Identity, DiagMat)) or e.is_scalar


def _transposes(e: Expr) -> int:
    """How many transposes e shows at its top: (wᵀXᵀ − yᵀ)ᵀ reads better as Xw − y."""
    parts = e.factors if isinstance(e, MatMul) else (e,)
    return sum(isinstance(p, Transpose) for p in parts) - sum(
        not isinstance(p, Transpose) and not _is_symmetric(p) for p in parts)


def transpose(e: Expr, keep: Transpose | None = None) -> Expr:
    """(AB)ᵀ = BᵀAᵀ, (Aᵀ)ᵀ = A, and transposes of scalars, I, diag(v), 𝟙 and 0 resolved.
    `keep`: as for mul."""
    if _is_symmetric(e):
        return e
    if isinstance(e, Transpose):
        return e.arg
    if isinstance(e, Ones):
        return Ones((e.cols, e.rows))
    if isinstance(e, Zero):
        return Zero((e.cols, e.rows))
    if isinstance(e, MatMul):
        return mul(*(transpose(f) for f in reversed(e.factors)))
    if isinstance(e, Add):
        # Push the transpose inside only when that removes more transposes than it adds.
        flips = sum(_transposes(t) - _transposes(transpose(t)) for t in e.terms)
        if flips > 0:
            return add(*(transpose(t) for t in e.terms))
    if isinstance(e, Inverse) and isinstance(e.arg, Transpose):
        return Inverse(e.arg.arg)
    if isinstance(e, MatPow):
        return MatPow(transpose(e.arg), e.k)
    return keep if keep is not None and keep.arg is e else Transpose(e)


def inverse(e: Expr) -> Expr:
    """(Aᵀ)⁻¹ is written A⁻ᵀ: the transpose goes outside."""
    if isinstance(e, Transpose):
        return transpose(Inverse(e.arg))
    if isinstance(e, Identity):
        return e
    return Inverse(e)


def _hadamard_rank(e: Expr) -> int:
    # Products first, so that printing `Xw ⊙ y` needs no parentheses (products are
    # left-associative at one level); then plain variables; then everything else.
    return 0 if isinstance(e, MatMul) else 1 if isinstance(e, Var) else 2


def hadamard(*factors: Expr) -> Expr:
    """Elementwise product with 𝟙 dropped, scalar coefficients pulled out
    ((c A) ⊙ B = c (A ⊙ B)), equal bases merged into powers (A ⊙ A.^p = A.^(p+1))."""
    flat: list[Expr] = []
    for f in factors:
        flat.extend(f.factors if isinstance(f, Hadamard) else (f,))
    if all(f.is_scalar for f in flat):
        return mul(*flat)
    shape = next(f for f in flat if not f.is_scalar)
    scalars: list[Expr] = []
    bases: dict[Expr, Fraction] = {}
    for f in flat:
        if is_zero(f):
            return zero_like(shape)
        if f.is_scalar:
            scalars.append(f)
            continue
        coefficient, rest = split_coefficient(f)
        if coefficient != 1:
            scalars.append(Const(coefficient))
            f = mul(*rest)
        if isinstance(f, MatMul) and isinstance(f.factors[-1], Ones) and all(
                x.is_scalar for x in f.factors[:-1]):
            scalars.extend(f.factors[:-1])  # s·𝟙 ⊙ A = s·A
            continue
        if isinstance(f, Ones):
            continue
        base, p = (f.arg, f.p) if isinstance(f, HPow) else (f, _ONE)
        _accumulate(bases, base, p)
    kept = [hpow(b, p) for b, p in bases.items()]
    kept = [k for k in kept if not isinstance(k, Ones)]
    kept.sort(key=_hadamard_rank)
    if not kept:
        body: Expr = Ones((shape.rows, shape.cols))
    elif len(kept) == 1:
        body = kept[0]
    else:
        body = Hadamard(tuple(kept))
    return mul(*scalars, body) if scalars else body


def hpow(e: Expr, p: Fraction | int) -> Expr:
    """Elementwise power; (A.^q).^p = A.^(pq) only for integer q, where it always holds."""
    p = p if type(p) is Fraction else Fraction(p)
    if p == 1:
        return e
    if p == 0:
        return UNIT if e.is_scalar else Ones((e.rows, e.cols))
    if isinstance(e, Const) and exact_power(e.value, p) is not None:
        return Const(exact_power(e.value, p))  # type: ignore[arg-type]
    if isinstance(e, HPow) and e.p.denominator == 1:
        return hpow(e.arg, e.p * p)
    if isinstance(e, Ones) or (is_zero(e) and p > 0):
        return e
    return HPow(e, p)


def apply(fn: str, e: Expr) -> Expr:
    return Apply(fn, e)


def broadcast(scalar: Expr, like: Expr) -> Expr:
    """A scalar spread over the shape of `like` (s·𝟙)."""
    return scalar if like.is_scalar else mul(scalar, Ones((like.rows, like.cols)))


def inner(a: Expr, b: Expr) -> Expr:
    """⟨A, B⟩ = Σᵢⱼ AᵢⱼBᵢⱼ: aᵀb for vectors, a bᵀ for row vectors, sum(A ⊙ B) for matrices."""
    if a.is_scalar:
        return mul(a, b)
    if a.cols is ONE:
        return mul(transpose(a), b)
    if a.rows is ONE:
        return mul(a, transpose(b))
    if isinstance(a, Identity) or isinstance(b, Identity):  # ⟨I, B⟩ = tr B
        return Trace(b if isinstance(a, Identity) else a)
    return Sum(hadamard(a, b))


def identity(n: Dim) -> Expr:
    return UNIT if n is ONE else Identity(n)
