"""The differential of every node type, as a table: node, d(children) → dF.

`d[i]` is the differential of the i-th child (None where it is zero).  Each rule is the
scalar product/chain rule with the operands kept in their order — the blog posts' "treat
them as scalars" step — and builds only linear structure in the d's, which `adjoints.py`
knows how to transpose.  Each row carries the formula the derivation steps show; the
functions' rows (Trace, Det, Softmax, …) come from the registry in `functions.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..algebra import UNIT, add, apply, broadcast, hadamard, hpow, identity, is_zero, mul, neg, transpose
from ..expr import (
    Add, Apply, Const, Differential, Expr, Hadamard, HPow, Identity, MatMul, MatPow, Ones, Pi, Pow,
    Transpose, Var, Zero,
)
from ..functions import ELEMENTWISE, MATRIX_ROWS, MatrixFunction

D = tuple[Expr | None, ...]

@dataclass(frozen=True, slots=True)
class DifferentialRule:
    formula: str  # as the derivation steps show it
    # (node, d, written): written, terms are added as written (the steps), not canonically
    rule: Callable[..., Expr | None]


def written_sum(terms: list[Expr]) -> Expr | None:
    """Σ terms as written: nested sums flattened, nothing collected or reordered."""
    flat: list[Expr] = []
    for t in terms:
        flat.extend(t.terms if isinstance(t, Add) else () if is_zero(t) else (t,))
    return None if not flat else flat[0] if len(flat) == 1 else Add(tuple(flat))


def _sum(terms: list[Expr], written: bool) -> Expr | None:
    if written:
        return written_sum(terms)
    return add(*terms) if terms else None


def _product_rule(combine: Callable[..., Expr], factors: tuple[Expr, ...], d: D, written: bool) -> Expr | None:
    """d(A∘B∘C) = dA∘B∘C + A∘dB∘C + A∘B∘dC, each factor kept in its place."""
    return _sum([combine(*factors[:i], di, *factors[i + 1:]) for i, di in enumerate(d) if di is not None],
                written)


def _power(a: Expr, k: int) -> Expr:
    return identity(a.rows) if k == 0 else a if k == 1 else MatPow(a, k)


def _matpow(node: MatPow, d: D) -> Expr:
    # d(Aᵏ) = Σᵢ Aⁱ dA Aᵏ⁻¹⁻ⁱ
    (a,), (da,) = node.children, d
    assert da is not None  # differential() calls a unary rule only with a nonzero d
    return add(*(mul(_power(a, i), da, _power(a, node.k - 1 - i)) for i in range(node.k)))


def _scalar_or_elementwise(coefficient: Expr, da: Expr) -> Expr:
    return mul(coefficient, da) if da.is_scalar else hadamard(coefficient, da)


def _power_rule(n: Pow, d: D, written: bool) -> Expr | None:
    """d(a^b) = b a^(b−1) da + a^b log(a) db, entry by entry (a scalar side spread)."""
    a, b = n.base, n.exponent
    da, db = d
    terms = []
    if da is not None:
        less = add(b, neg(broadcast(UNIT, b)))  # b − 1
        terms.append(_scalar_or_elementwise(_scalar_or_elementwise(b, Pow(a, less)), da))
    if db is not None:
        terms.append(_scalar_or_elementwise(_scalar_or_elementwise(apply("log", a), n), db))
    return _sum(terms, written)


def _function_rule(row: MatrixFunction) -> Callable[[Expr, D, bool], Expr]:
    def rule(node: Expr, d: D, written: bool) -> Expr:
        (da,) = d
        assert da is not None  # differential() calls a rule only with a nonzero d
        return row.differential(node, da)
    return rule


DIFFERENTIALS: dict[type, DifferentialRule] = {
    Add: DifferentialRule("d(A + B) = dA + dB", lambda n, d, w: _sum([x for x in d if x is not None], w)),
    MatMul: DifferentialRule("d(AB) = dA B + A dB", lambda n, d, w: _product_rule(mul, n.factors, d, w)),
    Hadamard: DifferentialRule("d(A ⊙ B) = dA ⊙ B + A ⊙ dB", lambda n, d, w: _product_rule(hadamard, n.factors, d, w)),
    # (as written, the steps keep (dA)ᵀ for their transpose moves)
    Transpose: DifferentialRule("d(Aᵀ) = (dA)ᵀ", lambda n, d, w: Transpose(d[0]) if w else transpose(d[0])),
    MatPow: DifferentialRule("d(Aᵏ) = Σᵢ Aⁱ dA Aᵏ⁻¹⁻ⁱ", lambda n, d, w: _matpow(n, d)),
    HPow: DifferentialRule("d(A.^p) = p A.^(p−1) ⊙ dA",
               lambda n, d, w: _scalar_or_elementwise(mul(Const(n.p), hpow(n.arg, n.p - 1)), d[0])),
    Pow: DifferentialRule("d(A.^B) = B ⊙ A.^(B − 1) ⊙ dA + A.^B ⊙ log(A) ⊙ dB",
                          lambda n, d, w: _power_rule(n, d, w)),
    Apply: DifferentialRule("d f(A) = f′(A) ⊙ dA",
                lambda n, d, w: _scalar_or_elementwise(ELEMENTWISE[n.fn].derivative(n.arg), d[0])),
    # Trace, Inverse, Det, Softmax, …: the registry's rows
    **{node: DifferentialRule(formula, _function_rule(row))
       for row in MATRIX_ROWS for node, formula in row.formulas.items()},
}

CONSTANT_LEAVES = (Var, Const, Pi, Identity, Ones, Zero, Differential)


def differential(node: Expr, d: D, written: bool = False) -> Expr | None:
    """dF for F = `node`, given its children's differentials; `written`: sums keep the
    order the rules write them in and d(Aᵀ) stays (dA)ᵀ (for the derivation steps)."""
    for x in d:
        if x is not None:
            return DIFFERENTIALS[type(node)].rule(node, d, written)
    return None
