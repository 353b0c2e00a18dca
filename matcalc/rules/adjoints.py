"""Adjoints (transpose rules) of the linear operations, as a table.

For a differential E that is linear in the placeholder dX, `pullback(E, G)` returns the
H with ⟨G, E⟩ = ⟨H, dX⟩ — the reorder-and-transpose step of the seed method made exact:
⟨G, L·M·R⟩ = ⟨LᵀGRᵀ, M⟩ (trace cyclicity), ⟨G, Mᵀ⟩ = ⟨Gᵀ, M⟩, ⟨G, K ⊙ M⟩ = ⟨G ⊙ K, M⟩,
⟨g, tr M⟩ = ⟨gI, M⟩, ⟨g, sum M⟩ = ⟨g𝟙, M⟩.  Only linear structure appears here; the
nonlinear nodes are handled by their differentials.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..algebra import add, hadamard, identity, inner, mul, transpose
from ..expr import Add, DiagMat, DiagVec, Differential, Expr, Hadamard, MatMul, Ones, Sum, Trace, Transpose


def _holds(e: Expr, delta: Differential) -> bool:
    # A differential rule's result holds exactly one placeholder, so "has one" is "has it".
    return e.has_differential


def _matmul(e: MatMul, g: Expr, delta: Differential) -> Expr:
    i = next(k for k, f in enumerate(e.factors) if _holds(f, delta))
    held, others = e.factors[i], e.factors[:i] + e.factors[i + 1:]
    if held.is_scalar:
        # ⟨G, m·R⟩ = m·⟨G, R⟩ for a scalar factor m
        return pullback(held, inner(g, mul(*others)) if others else g, delta)
    scalars = [f for f in others if f.is_scalar]
    left = [f for f in e.factors[:i] if not f.is_scalar]
    right = [f for f in e.factors[i + 1:] if not f.is_scalar]
    # ⟨G, L·M·R⟩ = ⟨Lᵀ G Rᵀ, M⟩
    lt = [transpose(mul(*left))] if left else []
    rt = [transpose(mul(*right))] if right else []
    return pullback(held, mul(*scalars, *lt, g, *rt), delta)


# The node argument is Any: each row receives only its own node type.
ADJOINTS: dict[type, Callable[[Any, Expr, Differential], Expr]] = {
    Add: lambda e, g, dx: add(*(pullback(t, g, dx) for t in e.terms if _holds(t, dx))),
    MatMul: _matmul,
    Transpose: lambda e, g, dx: pullback(e.arg, transpose(g), dx),
    Hadamard: lambda e, g, dx: add(*(
        pullback(f, hadamard(g, *e.factors[:i], *e.factors[i + 1:]), dx)
        for i, f in enumerate(e.factors) if _holds(f, dx))),
    Trace: lambda e, g, dx: pullback(e.arg, mul(g, identity(e.arg.rows)), dx),
    Sum: lambda e, g, dx: pullback(e.arg, g if e.arg.is_scalar else mul(g, Ones((e.arg.rows, e.arg.cols))), dx),
    DiagMat: lambda e, g, dx: pullback(e.arg, DiagVec(g), dx),
    DiagVec: lambda e, g, dx: pullback(e.arg, DiagMat(g), dx),
}


def pullback(e: Expr, g: Expr, delta: Differential) -> Expr:
    """H such that ⟨G, E⟩ = ⟨H, dX⟩, for E linear in `delta` = dX and G shaped like E."""
    if e == delta:
        return g
    return ADJOINTS[type(e)](e, g, delta)
