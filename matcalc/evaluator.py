"""Reference NumPy semantics of expression nodes, and of arrays in index notation.

Values are 2-D internally ((rows, cols), an absent axis of size 1) so every product is a
matrix product; arrays come in and go out in the user's layout (vectors 1-D, scalars float).

Index notation is evaluated term by term with numpy.einsum (index_notation.plans): a
Kronecker delta between two free indices is not built as an array: the term is computed
with the two indices merged and added into the diagonal view of the result that they
select.  So nothing larger than the result (or the entries' own matrices) is allocated.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import EvaluationError, UndefinedValueError
from .expr import (
    ONE, Add, Apply, Const, DiagMat, Differential, Dim, Expr, Hadamard, HPow, Identity, Inverse, Pi, Pow,
    LogDet, MatMul, MatPow, Ones, Transpose, Var, Zero, external_shape, free_vars,
)
from .functions import ELEMENTWISE, MATRIX_ROWS, MatrixFunction
from .index_notation import Tensor, plans
from .printing import to_text
from .stable import EVALUATION_RULES, stable


def bind_dimensions(variables: Mapping[str, Var], arrays: Mapping[str, Any],
                    required: Collection[str] | None = None) -> tuple[dict[str, np.ndarray], dict[Dim, int]]:
    """Check each given variable's array against its shape (all of `required`, default all,
    must be given); return 2-D arrays and the dimension sizes they fix together."""
    sizes: dict[Dim, int] = {}
    values: dict[str, np.ndarray] = {}
    for name, var in variables.items():
        if name not in arrays:
            if required is not None and name not in required:
                continue
            expected = external_shape(var.rows, var.cols)
            raise EvaluationError(f"missing array for {name} (shape {_show_shape(expected)})")
        value = real_array(name, arrays[name])
        if not all_finite(value):
            where = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
            raise EvaluationError(f"{name} has a non-finite entry ({value[where]} at index "
                                  f"{where if value.ndim else '()'}): inputs must be finite")
        expected = external_shape(var.rows, var.cols)
        if value.ndim != len(expected):
            raise EvaluationError(
                f"{name} must be {_kind(len(expected))} of shape {_show_shape(expected)}, "
                f"got an array of shape {value.shape}")
        for dim, size in zip(expected, value.shape):
            known = dim if isinstance(dim, int) else sizes.get(dim)
            if known is not None and known != size:
                raise EvaluationError(
                    f"{name} has shape {value.shape}, expected {_show_shape(expected)} with "
                    f"{dim} = {known}" + ("" if isinstance(dim, int) else " (from an earlier array)"))
            if not isinstance(dim, int):
                sizes[dim] = size
        values[name] = value.reshape(_size(var.rows, sizes), _size(var.cols, sizes))
    return values, sizes


# Array kinds read as real numbers: bool, signed and unsigned integers, floats.  Complex
# values would lose their imaginary part, strings would be parsed as numbers, and objects
# hold anything: each is refused, not converted.
REAL_KINDS = "biuf"


def real_array(name: str, given: Any) -> np.ndarray:
    """`given` as a float64 array, refused unless its entries are real numbers and it has
    at least one (a reduction of no entries, such as the maximum a softmax shifts by, has
    no value)."""
    try:
        raw = np.asarray(given)
    except (TypeError, ValueError, OverflowError):
        raise EvaluationError(f"the value given for {name} is not a real numeric array") from None
    if raw.dtype.kind not in REAL_KINDS:
        what = {"c": "complex", "U": "string", "S": "bytes", "O": "object"}.get(raw.dtype.kind, "non-numeric")
        raise EvaluationError(f"the value given for {name} is not a real numeric array: it is a "
                              f"{what} array (dtype {raw.dtype}); pass bool, integer or float arrays")
    if raw.size == 0:
        raise EvaluationError(f"the array given for {name} has no entries (shape {raw.shape}): "
                              "every dimension must be at least 1")
    return raw.astype(np.float64, copy=False)


def _kind(ndim: int) -> str:
    return ("a scalar", "a vector", "a matrix")[ndim]


def _show_shape(shape: tuple[str | int, ...]) -> str:
    return "()" if not shape else "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _size(d: Dim, sizes: Mapping[Dim, int]) -> int:
    if d is ONE:
        return 1
    if isinstance(d, int):
        return d
    if d not in sizes:
        raise EvaluationError(f"cannot tell the size of dimension {d}: no array fixes it")
    return sizes[d]


class _Diagonal:
    """diag(v) kept as its vector: in a product it scales rows or columns by broadcasting
    (Xᵀ diag(p) X never builds an m×m matrix); anywhere else it is made dense."""

    __slots__ = ("v",)

    def __init__(self, v: np.ndarray) -> None:
        self.v = v


def _dense(value: np.ndarray | _Diagonal) -> np.ndarray:
    return np.diag(value.v) if isinstance(value, _Diagonal) else value


def _matmul(node: MatMul, v: list[Any]) -> np.ndarray:
    scale = 1.0
    product = None
    pending: np.ndarray | None = None  # a diagonal still waiting for its right neighbour
    for f, value in zip(node.factors, v):
        if f.is_scalar:
            scale = scale * _dense(value)[0, 0]
        elif isinstance(value, _Diagonal):
            if product is not None:
                product = product * value.v[None, :]
            else:
                pending = value.v if pending is None else pending * value.v
        else:
            if pending is not None:
                value, pending = pending[:, None] * value, None
            product = value if product is None else product @ value
    if pending is not None:
        product = np.diag(pending)
    return np.array([[scale]]) if product is None else scale * product


def _inverse(node: Expr, a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise UndefinedValueError(f"cannot invert a singular matrix in {_shown(node)}") from None


def _logdet(node: Expr, a: np.ndarray) -> np.ndarray:
    sign, value = np.linalg.slogdet(a)
    if sign <= 0:
        raise UndefinedValueError(f"log det is undefined in {_shown(node)}: the determinant is not positive")
    return np.array([[value]])


def _scalar(x: float) -> np.ndarray:
    return np.array([[x]])


def _function(row: MatrixFunction) -> Callable[[Any, list[Any]], Any]:
    return lambda n, v: row.numpy(v[0])


# The node argument is Any: each row receives only its own node type.
NUMPY_VALUES: dict[type, Callable[[Any, list[Any]], Any]] = {  # ndarray, or _Diagonal for diag(v)
    MatMul: _matmul,
    Add: lambda n, v: sum(v[1:], v[0]),
    Hadamard: lambda n, v: np.prod(np.stack(v), axis=0),
    Transpose: lambda n, v: v[0].T,
    MatPow: lambda n, v: np.linalg.matrix_power(v[0], n.k),
    HPow: lambda n, v: np.power(v[0], as_float(n.p)),
    Pow: lambda n, v: np.power(v[0], v[1]),  # (a 1×1 side broadcasts)
    Apply: lambda n, v: ELEMENTWISE[n.fn].numpy(v[0]),
    # Trace, Sum, Softmax, …: the registry's values
    **{node: _function(row) for row in MATRIX_ROWS for node in row.nodes},
    # with a message where the value is undefined, and diag(v) kept as its vector
    Inverse: lambda n, v: _inverse(n, v[0]),
    LogDet: lambda n, v: _logdet(n, v[0]),
    DiagMat: lambda n, v: _Diagonal(v[0][:, 0].copy()),
}


def evaluate(expr: Expr, arrays: Mapping[str, Any], variables: Mapping[str, Var] | None = None,
             required: Collection[str] | None = None) -> np.ndarray | float:
    """The value of `expr` for the given arrays (extra arrays are ignored).  `variables`
    (default: those of expr) are checked and fix dimension sizes; `required` must be given."""
    values, sizes = bind_dimensions(variables or free_vars(expr), arrays, required)
    result = evaluate_internal(expr, values, sizes)
    shape = tuple(_size(d, sizes) for d in external_shape(expr.rows, expr.cols))
    return float(result[0, 0]) if not shape else result.reshape(shape)


def evaluate_internal(expr: Expr, values: Mapping[str, np.ndarray], sizes: Mapping[Dim, int]) -> np.ndarray:
    """2-D value of every node, each distinct subtree computed once, from the stable forms
    (stable.py: log σ(t) as −softplus(−t), …)."""
    expr = stable(expr, rules=EVALUATION_RULES)
    memo: dict[Expr, np.ndarray | _Diagonal] = {}
    with np.errstate(all="ignore"):  # a non-finite value is reported below, naming its node
        for node in expr.walk():
            if isinstance(node, Var):
                memo[node] = values[node.name]
            elif isinstance(node, Const):
                memo[node] = _scalar(as_float(node.value))
            elif isinstance(node, Pi):
                memo[node] = _scalar(np.pi)
            elif isinstance(node, Identity):
                memo[node] = np.eye(_size(node.n, sizes))
            elif isinstance(node, (Ones, Zero)):
                fill = np.ones if isinstance(node, Ones) else np.zeros
                memo[node] = fill((_size(node.rows, sizes), _size(node.cols, sizes)))
            elif isinstance(node, Differential):
                raise EvaluationError("a differential dX has no value")
            else:
                args = [memo[c] for c in node.children]
                if not isinstance(node, MatMul):
                    args = [_dense(v) for v in args]
                memo[node] = NUMPY_VALUES[type(node)](node, args)
    result = _dense(memo[expr])
    # Only the result is checked on the way (a pass per node would double the cost of a
    # cheap expression such as A + Aᵀ); an intermediate inf that the result does not keep,
    # as in 1/(1 + exp(1000)) = 0, is a limit computed correctly, not an error.
    if not all_finite(result):
        raise UndefinedValueError(_first_not_finite(expr, memo))
    return result


def evaluate_tensor(t: Tensor, arrays: Mapping[str, Any], variables: Mapping[str, Var],
                    required: Collection[str] | None = None) -> np.ndarray:
    """The S + V array of `t` for the given arrays (as `evaluate`)."""
    values, sizes = bind_dimensions(variables, arrays, required)
    out = np.zeros(tuple(_size(d, sizes) for d in t.dims))
    memo: dict[Expr, np.ndarray] = {}

    def value(e: Expr) -> np.ndarray:
        if e not in memo:
            memo[e] = evaluate_internal(e, values, sizes)
        return memo[e]

    with np.errstate(all="ignore"):
        for plan in plans(t):
            scale = as_float(plan.coefficient)
            for f in plan.scalars:
                scale *= float(value(f)[0, 0])
            operands = [_vector_as_1d(value(e), e) for e in plan.entries]
            view = np.einsum(f"{plan.target}->{plan.reps}", out) if plan.target != plan.reps else out
            term = (np.einsum(f"{plan.spec}->{plan.present}", *operands, optimize=len(operands) > 1)
                    if operands else np.array(1.0))
            # Free indices no factor mentions broadcast (the term is constant along them).
            term = term.reshape(tuple(view.shape[plan.reps.index(ch)] if ch in plan.present else 1
                                      for ch in plan.reps))
            view += scale * term
    if not all_finite(out):  # each part was finite: a coefficient or a sum of terms overflowed
        raise UndefinedValueError("overflow: the derivative's value exceeds the float64 range")
    return out


def _vector_as_1d(v: np.ndarray, e: Expr) -> np.ndarray:
    """A vector's value as a 1-D array (values are 2-D internally)."""
    return v.reshape(tuple(n for n, d in zip(v.shape, (e.rows, e.cols)) if d is not ONE))


def all_finite(a: np.ndarray) -> bool:
    # A nan or inf entry makes the sum non-finite, and one summing pass costs a fraction
    # of isfinite's; only a sum that overflows needs the entry-by-entry check.
    with np.errstate(over="ignore", invalid="ignore"):
        total = a.sum()
    return bool(np.isfinite(total)) or bool(np.isfinite(a).all())


def _first_not_finite(expr: Expr, memo: Mapping[Expr, np.ndarray | _Diagonal]) -> str:
    """Where a value stops being finite: the first node (operands first) whose value is not
    finite while its operands are — a log of 0, a 1/0, an overflow."""
    for node in expr.walk():
        value = _dense(memo[node])
        if not np.isfinite(value).all():
            if isinstance(node, Const):
                return f"the number {_shown(node)} is beyond the float64 range"
            return _not_finite(node, [_dense(memo[c]) for c in node.children], value)
    raise AssertionError("a non-finite result with finite operands everywhere")


def as_float(value: Fraction) -> float:
    try:
        return float(value)
    except OverflowError:  # a Fraction beyond the float64 range
        return float("inf") if value > 0 else float("-inf")


def _shown(node: Expr, limit: int = 60) -> str:
    text = to_text(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _not_finite(node: Expr, args: list[np.ndarray], value: np.ndarray) -> str:
    """What went wrong at `node`, whose value has a nan or ±inf entry while its operands
    have none."""
    where = f"in {_shown(node)}"
    arg = args[0] if args else np.zeros((0, 0))
    undefined = ELEMENTWISE[node.fn].undefined if isinstance(node, Apply) else None
    if undefined and undefined[0](arg):  # outside the function's domain
        return f"{undefined[1]} {where}"
    if isinstance(node, HPow) and node.p < 0 and np.any(arg == 0):
        entry = "" if node.arg.is_scalar else "an entry of "
        return f"division by zero {where}: {entry}{_shown(node.arg, 40)} is 0"
    if isinstance(node, HPow) and node.p.denominator != 1 and np.any(arg < 0):
        return f"fractional power of a negative entry {where}"
    if isinstance(node, Inverse):
        return f"cannot invert a singular matrix {where}"
    if np.isnan(value).any():
        return f"undefined value (nan) {where}"
    return f"overflow {where}: the value exceeds the float64 range"
