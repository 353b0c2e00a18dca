"""The one entry to the calculus: the simplified derivative of any order.

For scalar f, ∂f/∂X is the reverse-mode gradient (gradient.py), then simplified; any
other f — a vector or matrix expression, or an array in index notation from an earlier
step — goes through index notation (jacobian.py), which simplifies as it reads the
result back.  Differentiating by several variables repeats the step: the result of
∂/∂a then ∂/∂b has shape S + Va + Vb.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..expr import Expr, Var
from ..index_notation import Tensor
from ..simplifier import simplify
from .domain import check_defined
from .gradient import gradient
from .jacobian import jacobian
from .limits import check_written


def derive(f: Expr | Tensor, wrt: Sequence[Var]) -> Expr | Tensor:
    """∂f/∂wrt[0], then by wrt[1], …, simplified: shape S + V₀ + V₁ + …."""
    if isinstance(f, Expr):
        check_defined(f)  # a part defined nowhere would derive to a silent 0
    result = f
    for x in wrt:
        if isinstance(result, Expr) and result.is_scalar:
            result = simplify(gradient(result, x))
        else:
            result = jacobian(result, x)
        check_written(result.body if isinstance(result, Tensor) else result)  # every path, every order
    return result
