"""The forms values are computed from: rewrites `evaluate` and generated code apply first.

Each rule is an identity whose right side has the same value but is computed without
overflow, underflow or cancellation where the left side loses it: log(σ(−40)) is −40 only
if σ(−40) ≈ 4e−18 is never formed and its log taken, 1 − σ(40) is 4e−18 only if it is not
computed as 1 − 1; and diag(XXᵀ) is (X ⊙ X)𝟙 in `evaluate`, never an n×n product.  Printed
results keep the textbook form (σ′ = σ(1 − σ)); only values take these.  Each rule returns
None to decline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from .algebra import add, apply, broadcast, hadamard, mul, neg, split_coefficient, transpose
from .expr import ONE, Add, Apply, Const, DiagVec, Expr, LogSumExp, Ones, Softmax

Rule = Callable[[Expr], Expr | None]


def _one_minus(e: Expr) -> Expr | None:
    """x when e is 1 − x (the 1 possibly broadcast as 𝟙)."""
    if isinstance(e, Add) and len(e.terms) == 2:
        for one, other in (e.terms, e.terms[::-1]):
            c, factors = split_coefficient(other)
            if (isinstance(one, Ones) or one == Const(Fraction(1))) and c == -1 and len(factors) == 1:
                return factors[0]
    return None


def _sigmoid_argument(e: Expr | None) -> Expr | None:
    return e.arg if isinstance(e, Apply) and e.fn == "sigmoid" else None


def one_minus_sigmoid(e: Expr) -> Expr | None:
    """1 − σ(t) = σ(−t)   (1 − σ(40) would be 1 − 1 = 0, σ(−40) is 4.2e−18)"""
    t = _sigmoid_argument(_one_minus(e))
    return apply("sigmoid", neg(t)) if t is not None else None


def log_sigmoid(e: Expr) -> Expr | None:
    """log σ(t) = −softplus(−t)   (σ(−800) underflows to 0, softplus(800) is 800).
    With one_minus_sigmoid applied first (children first), log(1 − σ(t)) = −softplus(t)."""
    if isinstance(e, Apply) and e.fn == "log":
        t = _sigmoid_argument(e.arg)
        if t is not None:
            return neg(apply("softplus", neg(t)))
    return None


def log_one_plus_exp(e: Expr) -> Expr | None:
    """log(1 + exp(z)) = softplus(z)   (exp(710) overflows, softplus(710) is 710)"""
    if isinstance(e, Apply) and e.fn == "log" and isinstance(e.arg, Add) and len(e.arg.terms) == 2:
        for one, other in (e.arg.terms, e.arg.terms[::-1]):
            if (isinstance(one, Ones) or one == Const(Fraction(1))) and isinstance(other, Apply) \
                    and other.fn == "exp":
                return apply("softplus", other.arg)
    return None


def log_softmax(e: Expr) -> Expr | None:
    """log softmax(z) = z − logsumexp(z)   (an entry of softmax that underflows has a finite log)"""
    if isinstance(e, Apply) and e.fn == "log" and isinstance(e.arg, Softmax):
        z = e.arg.arg
        return add(z, neg(broadcast(LogSumExp(z), z)))
    return None


def diag_of_product(e: Expr) -> Expr | None:
    """diag(AB) = (A ⊙ Bᵀ)𝟙: linear in n for A n×k, B k×n, where AB is n×n.  (Generated
    code has its own einsum for this; `evaluate` computes the product's value from this.)"""
    if not isinstance(e, DiagVec):
        return None
    c, factors = split_coefficient(e.arg)
    chain = [f for f in factors if not f.is_scalar]
    if len(chain) < 2:
        return None
    # Split after the first column vector (Ax zᵀB: k = 1), else after the first factor.
    split = next((i + 1 for i, f in enumerate(chain[:-1]) if f.cols is ONE), 1)
    left, right = mul(*chain[:split]), mul(*chain[split:])
    rows = hadamard(left, transpose(right))
    summed = rows if left.cols is ONE else mul(rows, Ones((left.cols, ONE)))
    return mul(Const(c), *(f for f in factors if f.is_scalar), summed)


RULES: dict[type, tuple[Rule, ...]] = {
    Add: (one_minus_sigmoid,),
    Apply: (log_sigmoid, log_one_plus_exp, log_softmax),
}
# `evaluate` computes every node's value in turn, so a product a diag(…) takes the
# diagonal of must not be a node: it is rewritten away first.
EVALUATION_RULES: dict[type, tuple[Rule, ...]] = {**RULES, DiagVec: (diag_of_product,)}


def stable(expr: Expr, memo: dict[Expr, Expr] | None = None,
           rules: Mapping[type, tuple[Rule, ...]] = RULES) -> Expr:
    """expr with every rule of `rules` applied, children first (each distinct subtree once;
    `memo`, if given, is shared between calls so equal subtrees stay equal)."""
    if memo is None:
        memo = {}
    for node in expr.walk():
        if node in memo:
            continue
        children = tuple([memo[c] for c in node.children])
        rebuilt = node if children == node.children else node.with_children(children)
        for rule in rules.get(type(rebuilt), ()):
            result = rule(rebuilt)
            if result is not None:
                # Rules build only from already stable parts and fresh σ/softplus nodes.
                rebuilt = result
                break
        memo[node] = rebuilt
    return memo[expr]
