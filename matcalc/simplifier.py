"""Simplification to textbook form: small named rules, run bottom-up to a fixpoint.

The algebra constructors already flatten, fold, collect like terms and push transposes
into products; the rules here are the identities that need a look at several terms:
factoring a shared factor out of a sum, and recognising σ in exp(u)/(1 + exp(u)).
Each rule returns None to decline.  Rules are directed (they shrink the tree), so the
fixpoint terminates; a cap guards it anyway, and reaching it is a bug, raised as one.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from fractions import Fraction
from collections.abc import Callable

from .algebra import add, broadcast, hadamard, hpow, inverse, is_zero, mul, split_coefficient, transpose
from .functions import ELEMENTWISE
from .expr import (
    ONE, Add, Apply, Const, DiagMat, DiagVec, Expr, Identity, Zero, Hadamard, HPow, Inverse, MatMul, Ones, Sum, Transpose,
    InternalShapeError, free_vars, shape_text,
)

Rule = Callable[[Expr], Expr | None]


def _chain(term: Expr) -> tuple[Fraction, list[Expr], list[Expr]]:
    """term = c · scalars · chain (chain: the non-scalar factors, in order)."""
    c, factors = split_coefficient(term)
    scalars = [f for f in factors if f.is_scalar]
    chain = [f for f in factors if not f.is_scalar]
    return c, scalars, chain


def factor_common_right(e: Expr) -> Expr | None:
    """A·x + B·x = (A + B)·x, for terms sharing their last matrix factor."""
    return _factor(e, side=-1)


def factor_common_left(e: Expr) -> Expr | None:
    """X·a + X·b = X·(a + b), for terms sharing their first matrix factor."""
    return _factor(e, side=0)


def _factor(e: Expr, side: int) -> Expr | None:
    if not isinstance(e, Add):
        return None
    groups: dict[Expr, list[int]] = {}
    parsed = [_chain(t) for t in e.terms]
    for i, (_, _, chain) in enumerate(parsed):
        if len(chain) >= 2:
            groups.setdefault(chain[side], []).append(i)
    for shared, members in groups.items():
        if len(members) < 2:
            continue
        rests = []
        for i in members:
            c, scalars, chain = parsed[i]
            rest = chain[:-1] if side == -1 else chain[1:]
            rests.append(mul(Const(c), *scalars, *rest))
        combined = add(*rests)
        factored = mul(combined, shared) if side == -1 else mul(shared, combined)
        others = [t for i, t in enumerate(e.terms) if i not in members]
        return add(factored, *others) if others else factored
    return None


def _is_one_plus_exp(e: Expr) -> Expr | None:
    """1 + exp(u) (with 1 possibly broadcast as 𝟙) → u."""
    if isinstance(e, Add) and len(e.terms) == 2:
        one, other = e.terms
        if (isinstance(one, Ones) or one == Const(Fraction(1))) and isinstance(other, Apply) and other.fn == "exp":
            return other.arg
    return None


def sigmoid_from_exp(e: Expr) -> Expr | None:
    """exp(u) ⊙ (1 + exp(u)).^−1 = σ(u), and (1 + exp(u)).^−1 = σ(−u)."""
    factors = e.factors if isinstance(e, (Hadamard, MatMul)) else (e,)
    for f in factors:
        if isinstance(f, HPow) and f.p == -1:
            u = _is_one_plus_exp(f.arg)
            if u is None:
                continue
            if isinstance(e, MatMul) and not f.is_scalar:
                # A matrix factor of a product: rewrite it in place; it does not meet its
                # neighbours elementwise.
                i = factors.index(f)
                return mul(*factors[:i], Apply("sigmoid", mul(Const(Fraction(-1)), u)), *factors[i + 1:])
            rest = list(factors)
            rest.remove(f)
            if Apply("exp", u) in rest:
                rest.remove(Apply("exp", u))
                replacement = Apply("sigmoid", u)
            else:
                replacement = Apply("sigmoid", mul(Const(Fraction(-1)), u))
            combine = hadamard if isinstance(e, Hadamard) else mul
            return combine(*rest, replacement) if rest else replacement
    return None


def factor_common_coefficient(e: Expr) -> Expr | None:
    """c·s·a + c·s·b = c·s·(a + b): a number |c| ≠ 1 and scalar factors s shared by every term."""
    if not isinstance(e, Add):
        return None
    parsed = [_chain(t) for t in e.terms]
    magnitudes = {abs(c) for c, _, _ in parsed}
    c = magnitudes.pop() if len(magnitudes) == 1 else Fraction(1)
    shared = [f for f in parsed[0][1] if all(f in scalars for _, scalars, _ in parsed[1:])]
    if c == 1 and not shared:
        return None
    rests = []
    for coefficient, scalars, chain in parsed:
        rest = list(scalars)
        for f in shared:
            rest.remove(f)
        rests.append(mul(Const(coefficient / c), *rest, *chain))
    return mul(Const(c), *shared, Add(tuple(rests)) if len(rests) > 1 else rests[0])


def inner_product_cancel(e: Expr) -> Expr | None:
    """uᵀ(v ⊙ u.^−1) = sum(v): an inner product whose Hadamard partner divides by u."""
    if not isinstance(e, MatMul):
        return None
    factors = list(e.factors)
    for i in range(len(factors) - 1):
        u, h = factors[i], factors[i + 1]
        if isinstance(u, Transpose) and u.arg.cols is ONE and isinstance(h, Hadamard) and any(
                isinstance(f, HPow) and f.arg == u.arg and f.p < 0 for f in h.factors):
            return mul(*factors[:i], Sum(hadamard(u.arg, *h.factors)), *factors[i + 2:])
    return None


def ones_inner_product(e: Expr) -> Expr | None:
    """𝟙ᵀv = sum(v), vᵀ𝟙 = sum(v), and 𝟙ₘₓₖv = sum(v)𝟙ₘ."""
    if not isinstance(e, MatMul):
        return None
    f = list(e.factors)
    for i in range(len(f) - 1):
        a, b = f[i], f[i + 1]
        if a.is_scalar or b.is_scalar or a.cols != b.rows:
            continue  # only a row against a column of the same length is an inner product
        if isinstance(a, Ones) and b.cols is ONE:  # 𝟙ₘₓₖ v = sum(v) 𝟙ₘ
            ones = [] if a.rows is ONE else [Ones((a.rows, ONE))]
            return mul(*f[:i], Sum(b), *ones, *f[i + 2:])
        if isinstance(b, Ones) and b.cols is ONE and a.rows is ONE:
            return mul(*f[:i], Sum(a), *f[i + 2:])
    return None


def sigmoid_derivative(e: Expr) -> Expr | None:
    """exp(u) ⊙ (1 + exp(u)).^−2 = σ(t) ⊙ (1 − σ(t)), t = ±u (σ′ = σ(1 − σ); the sign of u
    does not matter: σ(u)σ(−u) is even in u)."""
    factors = e.factors if isinstance(e, (Hadamard, MatMul)) else ()
    for f in factors:
        if isinstance(f, HPow) and f.p == -2 and (isinstance(e, Hadamard) or f.is_scalar):
            u = _is_one_plus_exp(f.arg)
            if u is None or Apply("exp", u) not in factors:
                continue
            t = u if split_coefficient(u)[0] > 0 else mul(Const(Fraction(-1)), u)
            rest = list(factors)
            rest.remove(f)
            rest.remove(Apply("exp", u))
            s = Apply("sigmoid", t)
            combine = hadamard if isinstance(e, Hadamard) else mul
            return combine(*rest, s, add(broadcast(Const(Fraction(1)), s), mul(Const(Fraction(-1)), s)))
    return None


def _elementwise_factors(t: Expr) -> tuple[Fraction, list[Expr]] | None:
    """t = c · (Hadamard product of the returned factors), or None for a matrix product."""
    c, factors = split_coefficient(t)
    if len(factors) != 1:
        return None
    return c, list(factors[0].factors) if isinstance(factors[0], Hadamard) else [factors[0]]


def quotient_cancel(e: Expr) -> Expr | None:
    """(a ./ f + b ./ g) ⊙ f ⊙ g = a ⊙ g + b ⊙ f: the product distributes over a sum whose
    every term divides by one of its other factors, which then cancels."""
    if not isinstance(e, Hadamard):
        return None
    for k, total in enumerate(e.factors):
        others = e.factors[:k] + e.factors[k + 1:]
        if not isinstance(total, Add):
            continue
        terms = [_elementwise_factors(t) for t in total.terms]
        if all(parts is not None and any(isinstance(f, HPow) and f.p < 0 and f.arg in others for f in parts[1])
               for parts in terms):
            return add(*(mul(Const(c), hadamard(*parts, *others)) for c, parts in filter(None, terms)))
    return None


MAX_EXPANDED = 16  # terms a sum may expand into for distribute_to_cancel


def _distributed(c: Fraction, factors: list[Expr]) -> list[Expr]:
    """c · ⊙ factors with every factor that is a sum multiplied out."""
    for i, f in enumerate(factors):
        if isinstance(f, Add):
            rest = factors[:i] + factors[i + 1:]
            out: list[Expr] = []
            for term in f.terms:
                tc, parts = _elementwise_factors(term) or (Fraction(1), [term])
                out += _distributed(c * tc, [*rest, *parts])
            return out
    # In one order (⊙ commutes), so that y ⊙ x from one term and x ⊙ y from another collect.
    return [mul(Const(c), hadamard(*sorted(factors, key=repr)))]


def _size(e: Expr) -> int:
    return sum(1 for _ in e.walk())


def distribute_to_cancel(e: Expr) -> Expr | None:
    """a ⊙ (b + c) + d = a ⊙ b + a ⊙ c + d where like terms of the expansion then cancel and
    the result is smaller: y ⊙ (1 − s) − (1 − y) ⊙ s = y − s."""
    if not isinstance(e, Add) or not any(isinstance(f, Add) for t in e.terms
                                         for f in (_elementwise_factors(t) or (0, []))[1]):
        return None
    expanded: list[Expr] = []
    for t in e.terms:
        parts = _elementwise_factors(t)
        expanded += _distributed(*parts) if parts is not None else [t]
        if len(expanded) > MAX_EXPANDED:
            return None
    result = add(*expanded)
    cancelled = (len(result.terms) if isinstance(result, Add) else 1) < len(expanded)
    return result if cancelled and _size(result) < _size(e) else None


def diag_of_outer_product(e: Expr) -> Expr | None:
    """diag(u vᵀ) = u ⊙ v: the diagonal of an outer product, without its n² entries
    (also diag(A x zᵀB) = Ax ⊙ Bᵀz, the product split where a column meets a row)."""
    if not isinstance(e, DiagVec):
        return None
    c, scalars, chain = _chain(e.arg)
    for i, f in enumerate(chain[:-1]):
        if f.cols is ONE:
            return mul(Const(c), *scalars, hadamard(mul(*chain[:i + 1]), transpose(mul(*chain[i + 1:]))))
    return None


def diag_linearity(e: Expr) -> Expr | None:
    """c·diag(a) + d·diag(b) = diag(c·a + d·b): one diagonal matrix, not a sum of n×n ones."""
    if not isinstance(e, Add):
        return None
    parsed = [_chain(t) for t in e.terms]
    diagonal = {i: (c, scalars, chain[0]) for i, (c, scalars, chain) in enumerate(parsed)
                if len(chain) == 1 and isinstance(chain[0], DiagMat)}
    if len(diagonal) < 2:
        return None
    inside = [mul(Const(c), *scalars, d.arg) for c, scalars, d in diagonal.values() if isinstance(d, DiagMat)]
    return add(DiagMat(add(*inside)), *(t for i, t in enumerate(e.terms) if i not in diagonal))


RULES: dict[type, tuple[Rule, ...]] = {
    Add: (diag_linearity, distribute_to_cancel, factor_common_right, factor_common_left, factor_common_coefficient),
    Hadamard: (sigmoid_from_exp, sigmoid_derivative, quotient_cancel),
    MatMul: (sigmoid_from_exp, sigmoid_derivative, inner_product_cancel, ones_inner_product),
    DiagVec: (diag_of_outer_product,),
}

def _apply_at_zero(fn: str, zero: Expr) -> Expr:
    value = ELEMENTWISE[fn].at_zero
    if value is None:
        return Apply(fn, zero)  # log(0) is no number; softplus(0) = log 2 stays symbolic
    return broadcast(Const(value), zero) if value else zero


CANONICAL: dict[type, Callable[..., Expr]] = {
    # (a node already canonical comes back as it is: `keep`)
    MatMul: lambda e, ch: mul(*ch, keep=e),
    Add: lambda e, ch: add(*ch, keep=e),
    Hadamard: lambda e, ch: hadamard(*ch),
    Transpose: lambda e, ch: transpose(ch[0], keep=e),
    Inverse: lambda e, ch: inverse(ch[0]),
    HPow: lambda e, ch: hpow(ch[0], e.p),
    # f(0) for the elementwise functions whose value at 0 is a rational constant
    Apply: lambda e, ch: _apply_at_zero(e.fn, ch[0]) if is_zero(ch[0]) else Apply(e.fn, ch[0]),
    # diag(Aᵀ) = diag(A), diag(𝟙ₘₓₘ) = 𝟙ₘ, diag(0) = 0
    DiagVec: lambda e, ch: Ones((ch[0].rows, ONE)) if isinstance(ch[0], Ones) else Zero(
        (ch[0].rows, ONE)) if is_zero(ch[0]) else DiagVec(ch[0].arg if isinstance(ch[0], Transpose) else ch[0]),
    # diag(𝟙) = I, diag(0) = 0
    DiagMat: lambda e, ch: Identity(ch[0].rows) if isinstance(ch[0], Ones) else Zero(
        (ch[0].rows, ch[0].rows)) if is_zero(ch[0]) else DiagMat(ch[0]),
}

MAX_REWRITES = 50

# Checking mode: after every rewrite the result must keep the node's shape and bring in no
# variable the node lacks (tensorgrad's invariant).  The test suite turns it on with the
# environment (tests/conftest.py sets MATCALC_CHECK_REWRITES=1 before importing matcalc,
# so the subprocesses it starts check too); off, it costs one lookup per simplify call.
CHECK_REWRITES: ContextVar[bool] = ContextVar(
    "check_rewrites", default=os.environ.get("MATCALC_CHECK_REWRITES") == "1")


def simplify(expr: Expr, fired: list[str] | None = None, memo: dict[Expr, Expr] | None = None) -> Expr:
    """Children first, each distinct subtree once; at each node the first rule that
    applies rewrites it, until none does.  `fired`, if given, collects the names of the
    rules that rewrote something (the derivation steps name them).  `memo` maps subtrees
    to their simplified forms: a rule's result is simplified with the memo of the pass
    that made it, so the subtrees it kept are not simplified again."""
    if memo is None:
        memo = {}
    _simplify_below(expr, memo, fired, CHECK_REWRITES.get(), with_root=True)
    return memo[expr]


def _simplify_below(top: Expr, memo: dict[Expr, Expr], fired: list[str] | None, check: bool,
                    with_root: bool) -> None:
    """memo[node] for every subtree of top (and top itself if with_root)."""
    for node in top.walk():
        if node in memo or (node is top and not with_root):
            continue
        memo[node] = _rewrite(_rebuilt(node, memo), memo, fired, check)
        if check:
            _check_shape("simplification", node, memo[node])


def _rebuilt(node: Expr, memo: dict[Expr, Expr]) -> Expr:
    """node over its children's simplified forms, in canonical form."""
    children = tuple([memo[c] for c in node.children])
    canonical = CANONICAL.get(type(node))
    if canonical:  # also for unchanged children: the input's own y − y must become 0
        return canonical(node, children)
    return node if children == node.children else node.with_children(children)


def _rewrite(node: Expr, memo: dict[Expr, Expr], fired: list[str] | None, check: bool) -> Expr:
    """The rules applied at one node until none applies.  A result's fresh subtrees are
    simplified first, and its root is rewritten here, in this loop, so that rules that
    undo each other meet the cap instead of recursing without end."""
    results: list[Expr] = []
    applied: list[str] = []
    for _ in range(MAX_REWRITES):
        for rule in RULES.get(type(node), ()):
            result = rule(node)
            if result is not None and result != node:
                if check:
                    _check_rewrite(rule.__name__, node, result)
                if fired is not None:
                    fired.append(rule.__name__)
                results.append(result)
                applied.append(rule.__name__)
                if result in memo:  # already simplified: a fixpoint
                    node = memo[result]
                else:
                    _simplify_below(result, memo, fired, check, with_root=False)
                    node = _rebuilt(result, memo)
                break
        else:
            for result in results:  # each form the node took simplifies to the same
                memo.setdefault(result, node)
            return node
    # Directed rules reach a fixpoint in a few steps; going round means two rules undo
    # each other, a bug that a silent stop would hide.
    raise AssertionError(f"simplification found no fixpoint in {MAX_REWRITES} rewrites of a "
                         f"{type(node).__name__}; the last rules applied: "
                         f"{', '.join(applied[-4:])}")


def _check_shape(what: str, before: Expr, after: Expr) -> None:
    if (after.rows, after.cols) != (before.rows, before.cols):
        raise InternalShapeError(f"{what} turned a {shape_text(before.rows, before.cols)} "
                                 f"{type(before).__name__} into a {shape_text(after.rows, after.cols)} "
                                 f"{type(after).__name__}")


def _check_rewrite(rule: str, before: Expr, after: Expr) -> None:
    """The invariants of a rewrite: the same shape, no new variable."""
    _check_shape(f"the rule {rule}", before, after)
    new = free_vars(after).keys() - free_vars(before).keys()
    if new:
        raise AssertionError(f"the rule {rule} brought in the variable {min(new)}")
