"""Adjoints (transpose rules) of the linear operations, as a table.

For a differential E that is linear in the placeholder dX, `pullback(E, G)` returns the
H with ⟨G, E⟩ = ⟨H, dX⟩ — the reorder-and-transpose step of the seed method made exact:
⟨G, L·M·R⟩ = ⟨LᵀGRᵀ, M⟩ (trace cyclicity), ⟨G, Mᵀ⟩ = ⟨Gᵀ, M⟩, ⟨G, K ⊙ M⟩ = ⟨G ⊙ K, M⟩,
⟨g, tr M⟩ = ⟨gI, M⟩, ⟨g, sum M⟩ = ⟨g𝟙, M⟩.  Only linear structure appears here; the
nonlinear nodes are handled by their differentials.

Each rule moves one layer: ⟨G, E⟩ = Σ ⟨Gᵢ, Eᵢ⟩ over the operands Eᵢ of E that hold dX,
so `pullback` and the derivation steps (`steps.py`) share one table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..algebra import add, hadamard, identity, inner, mul, transpose
from ..expr import Add, DiagMat, DiagVec, Differential, Expr, Hadamard, MatMul, Ones, Sum, Trace, Transpose

Moves = list[tuple[Expr, Expr]]  # (operand Eᵢ holding dX, its adjoint Gᵢ)


def product_adjoint(factors: tuple[Expr, ...], i: int, g: Expr) -> Expr:
    """H with ⟨G, F₁⋯dFᵢ⋯Fₙ⟩ = ⟨H, dFᵢ⟩ for the i-th factor of a product."""
    held, others = factors[i], factors[:i] + factors[i + 1:]
    if held.is_scalar:
        # ⟨G, m·R⟩ = m·⟨G, R⟩ for a scalar factor m
        return inner(g, mul(*others)) if others else g
    scalars = [f for f in others if f.is_scalar]
    left = [f for f in factors[:i] if not f.is_scalar]
    right = [f for f in factors[i + 1:] if not f.is_scalar]
    # ⟨G, L·M·R⟩ = ⟨Lᵀ G Rᵀ, M⟩
    lt = [transpose(mul(*left))] if left else []
    rt = [transpose(mul(*right))] if right else []
    return mul(*scalars, *lt, g, *rt)


def _matmul(e: MatMul, g: Expr) -> Moves:
    # A differential rule's result holds exactly one placeholder per product term.
    i = next(k for k, f in enumerate(e.factors) if f.has_differential)
    return [(e.factors[i], product_adjoint(e.factors, i, g))]


# The node argument is Any: each row receives only its own node type.
ADJOINTS: dict[type, Callable[[Any, Expr], Moves]] = {
    Add: lambda e, g: [(t, g) for t in e.terms if t.has_differential],
    MatMul: _matmul,
    Transpose: lambda e, g: [(e.arg, transpose(g))],
    Hadamard: lambda e, g: [(f, hadamard(g, *e.factors[:i], *e.factors[i + 1:]))
                            for i, f in enumerate(e.factors) if f.has_differential],
    Trace: lambda e, g: [(e.arg, mul(g, identity(e.arg.rows)))],
    Sum: lambda e, g: [(e.arg, g if e.arg.is_scalar else mul(g, Ones((e.arg.rows, e.arg.cols))))],
    DiagMat: lambda e, g: [(e.arg, DiagVec(g))],
    DiagVec: lambda e, g: [(e.arg, DiagMat(g))],
}


def pullback(e: Expr, g: Expr, dx: Differential) -> Expr:
    """H such that ⟨G, E⟩ = ⟨H, dX⟩, for E linear in `dx` = dX and G shaped like E."""
    if e == dx:
        return g
    parts = [pullback(child, h, dx) for child, h in ADJOINTS[type(e)](e, g)]
    # A one-operand move passes its result through unchanged (no re-collection by add).
    return add(*parts) if len(parts) > 1 or isinstance(e, (Add, Hadamard)) else parts[0]
