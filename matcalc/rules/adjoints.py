"""Adjoints (transpose rules) of the linear operations, as a table.

For a differential E that is linear in the placeholder dX, `pullback(E, G)` returns the
H with ⟨G, E⟩ = ⟨H, dX⟩ — the reorder-and-transpose step of the seed method made exact:
⟨G, L·M·R⟩ = ⟨LᵀGRᵀ, M⟩ (trace cyclicity), ⟨G, Mᵀ⟩ = ⟨Gᵀ, M⟩, ⟨G, K ⊙ M⟩ = ⟨G ⊙ K, M⟩,
⟨g, tr M⟩ = ⟨gI, M⟩, ⟨g, sum M⟩ = ⟨g𝟙, M⟩.  Only linear structure appears here; the
nonlinear nodes are handled by their differentials.

Each rule moves one layer: ⟨G, E⟩ = Σ ⟨Gᵢ, Eᵢ⟩ over the operands Eᵢ of E that hold dX,
so `pullback` and the derivation steps (`steps.py`) share one table; each row also names
the identity it uses, as the steps show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..algebra import add, hadamard, identity, inner, mul, transpose
from ..expr import ONE, Add, DiagMat, DiagVec, Differential, Expr, Hadamard, MatMul, Ones, Sum, Trace, Transpose
from .formula import Formula

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


# The identities the moves use, as the derivation steps name them.
LINEARITY = Formula("linearity", r"\text{linearity}",
                    "The inner product distributes over a sum: ⟨G, A + B⟩ = ⟨G, A⟩ + ⟨G, B⟩.")
SCALAR_FACTOR = Formula("scalar factors commute", r"\text{scalar factors commute}",
                        "Scalar factors move across an inner product: ⟨G, m·R⟩ = ⟨G, R⟩·m and "
                        "⟨G, c·M⟩ = ⟨c·G, M⟩.")
CYCLICITY = Formula("trace cyclicity", r"\text{trace cyclicity}",
                    "A scalar is its own trace, and tr(ABC) = tr(CAB): ⟨G, L M R⟩ = ⟨Lᵀ G Rᵀ, M⟩ "
                    "moves the factors around the differential to the other side.")
SCALAR_TRANSPOSE = Formula("transpose of a scalar", r"\text{transpose of a scalar}",
                           "A scalar equals its transpose: aᵀb = bᵀa, so ⟨G, Mᵀ⟩ = ⟨Gᵀ, M⟩.")
TRACE_TRANSPOSE = Formula("tr(Aᵀ) = tr(A)", r"\operatorname{tr}(A^{\top}) = \operatorname{tr}(A)",
                          "A matrix and its transpose have the same trace: ⟨G, Mᵀ⟩ = ⟨Gᵀ, M⟩.")
ELEMENTWISE = Formula("elementwise factors commute", r"\text{elementwise factors commute}",
                      "⟨G, K ⊙ M⟩ = Σᵢⱼ Gᵢⱼ Kᵢⱼ Mᵢⱼ = ⟨G ⊙ K, M⟩.")
TRACE = Formula("trace as inner product", r"\text{trace as inner product}",
                "tr M = ⟨I, M⟩, so ⟨g, tr M⟩ = ⟨g I, M⟩.")
SUM = Formula("sum as inner product", r"\text{sum as inner product}",
              "sum(M) = ⟨𝟙, M⟩, so ⟨g, sum M⟩ = ⟨g 𝟙, M⟩.")
DIAGONAL = Formula("diagonal", r"\text{diagonal}",
                   "Only the diagonal meets diag(·): ⟨G, diag(v)⟩ = ⟨diag(G), v⟩ and "
                   "⟨g, diag(M)⟩ = ⟨diag(g), M⟩.")


def _product_formula(e: MatMul) -> Formula:
    held = next(f for f in e.factors if f.has_differential)
    others_scalar = all(f.is_scalar for f in e.factors if f is not held)
    return SCALAR_FACTOR if held.is_scalar or others_scalar else CYCLICITY


@dataclass(frozen=True, slots=True)
class Adjoint:
    # The node argument is Any: each row receives only its own node type.
    moves: Callable[[Any, Expr], Moves]
    formula: Callable[[Any], Formula]  # the identity a move on this node uses


ADJOINTS: dict[type, Adjoint] = {
    Add: Adjoint(lambda e, g: [(t, g) for t in e.terms if t.has_differential], lambda e: LINEARITY),
    MatMul: Adjoint(_matmul, _product_formula),
    Transpose: Adjoint(lambda e, g: [(e.arg, transpose(g))],
                       lambda e: SCALAR_TRANSPOSE if e.rows is ONE or e.cols is ONE else TRACE_TRANSPOSE),
    Hadamard: Adjoint(lambda e, g: [(f, hadamard(g, *e.factors[:i], *e.factors[i + 1:]))
                                    for i, f in enumerate(e.factors) if f.has_differential],
                      lambda e: ELEMENTWISE),
    Trace: Adjoint(lambda e, g: [(e.arg, mul(g, identity(e.arg.rows)))], lambda e: TRACE),
    Sum: Adjoint(lambda e, g: [(e.arg, g if e.arg.is_scalar else mul(g, Ones((e.arg.rows, e.arg.cols))))],
                 lambda e: SUM),
    DiagMat: Adjoint(lambda e, g: [(e.arg, DiagVec(g))], lambda e: DIAGONAL),
    DiagVec: Adjoint(lambda e, g: [(e.arg, DiagMat(g))], lambda e: DIAGONAL),
}


def pullback(e: Expr, g: Expr, dx: Differential) -> Expr:
    """H such that ⟨G, E⟩ = ⟨H, dX⟩, for E linear in `dx` = dX and G shaped like E."""
    if e == dx:
        return g
    parts = [pullback(child, h, dx) for child, h in ADJOINTS[type(e)].moves(e, g)]
    # A one-operand move passes its result through unchanged (no re-collection by add).
    return add(*parts) if len(parts) > 1 or isinstance(e, (Add, Hadamard)) else parts[0]
