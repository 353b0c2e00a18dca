"""Gradients by the matrix differential, in reverse mode.

For scalar f, df = ⟨G, dX⟩ identifies ∂f/∂X = G (the shape of X).  Walking the expression
from the output down, each node F with adjoint Ḡ = ∂f/∂F hands each child C the adjoint
pullback(dF|dC, Ḡ): the node's differential with only dC kept (product and chain rules,
operands in order), reordered and transposed until it reads ⟨·, dC⟩.  Equal subtrees are
one node, so (Xw − y)ᵀ(Xw − y) sends its two contributions to the same Xw − y and they
collect to 2(Xw − y) before travelling further — the textbook form falls out.
"""

from __future__ import annotations

from ..algebra import UNIT, add, const, is_zero, mul, zero_like
from ..expr import Add, Differential, Expr, MatMul, Var
from ..rules.adjoints import product_adjoint, pullback
from ..rules.differentials import differential
from .limits import check_written


def depends_on(f: Expr, x: Var) -> list[Expr]:
    """The subtrees of f that contain x (x included), children before parents."""
    dependent: set[Expr] = set()
    order: list[Expr] = []
    for node in f.walk():
        if node == x or not dependent.isdisjoint(node.children):
            dependent.add(node)
            order.append(node)
    return order


def gradient(f: Expr, x: Var) -> Expr:
    """∂f/∂x for scalar f, shaped like x; refused when too large to write out."""
    g = _gradient(f, x)
    check_written(g)
    return g


def _gradient(f: Expr, x: Var) -> Expr:
    assert f.is_scalar, "gradient() needs a scalar function"
    order = depends_on(f, x)
    if not order or order[-1] != f:
        return zero_like(x)
    dependent = set(order)
    contributions: dict[Expr, list[Expr]] = {f: [UNIT]}
    for node in reversed(order):
        if node == x:
            break
        pending = contributions.pop(node, None)
        if pending is None:  # every path to here had a zero derivative (e.g. through sign)
            continue
        g = add(*pending)
        children = node.children
        held: dict[Expr, int] = {}  # each dependent child, in order, with its occurrences
        for c in children:
            if c in dependent:
                held[c] = held.get(c, 0) + 1
        if isinstance(node, Add):
            # d(T₁ + … + Tₙ) by dT is k·dT for a term occurring k times, so T receives k·G:
            # the rule's result, read off without building an n-term differential per term.
            for child, k in held.items():
                contributions.setdefault(child, []).append(g if k == 1 else mul(const(k), g))
            continue
        if isinstance(node, MatMul):
            # The product rule's term for each place C holds, moved at once: ⟨G, L·dC·R⟩ =
            # ⟨LᵀGRᵀ, dC⟩ (what pullback makes of the differential, without building it).
            if any(is_zero(c) for c in children):
                continue  # a factor 0: every term is zero
            for child in held:
                parts = [product_adjoint(children, i, g) for i, c in enumerate(children) if c == child]
                contributions.setdefault(child, []).append(add(*parts) if len(parts) > 1 else parts[0])
            continue
        for child in held:
            dc = Differential(child)
            dF = differential(node, tuple(dc if c == child else None for c in children))
            # Linear in dC: without dC in it (a factor 0 swallowed it) it is zero.
            if dF is not None and dF.has_differential:
                contributions.setdefault(child, []).append(pullback(dF, g, dc))
    return add(*contributions[x]) if x in contributions else zero_like(x)
