"""The public API: parse, derive, and the objects they return."""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Mapping, Sequence, TypeVar

import numpy as np

from .build import typed
from .einsum import evaluate_tensor
from .errors import MatcalcError, UnsupportedError
from .evaluate import evaluate
from .expr import Dim, Expr, Var, free_vars
from .indexed import Tensor
from .jacobian import derivative_chain
from .parser import normalize_name, parse_syntax
from .printing import to_latex, to_text
from .shapes import conventional_rank, declared_dims, normalize_shapes

T = TypeVar("T")
NAME = re.compile(r"^[A-Za-zΑ-Ωα-ω][A-Za-z0-9_]*$")


def _public(fn: Callable[..., T]) -> Callable[..., T]:
    """Only MatcalcError leaves the API: depth limits and internal faults are reported as such."""

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except MatcalcError:
            raise
        except RecursionError:
            raise MatcalcError("expression too deeply nested for matcalc") from None
        except MemoryError:
            raise MatcalcError("out of memory while processing the expression") from None
        except Exception as exc:  # a bug: still a typed, reportable error, never a raw traceback
            raise MatcalcError(f"internal error ({type(exc).__name__}: {exc}); "
                               "please report this expression") from exc

    return guarded


class Expression:
    """A typed expression: printable as text and LaTeX, evaluable with NumPy."""

    def __init__(self, node: Expr, source: str = "") -> None:
        self.node = node
        self.source = source

    def __str__(self) -> str:
        return to_text(self.node)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    @property
    def text(self) -> str:
        return str(self)

    @property
    def latex(self) -> str:
        return to_latex(self.node)

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    @property
    def shape(self) -> tuple[str | int, ...]:
        return self.node.shape

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(free_vars(self.node))

    @_public
    def evaluate(self, **arrays: Any) -> np.ndarray | float:
        """The value for NumPy arrays given by name (vectors 1-D; extra names ignored)."""
        return _evaluate(self.node, free_vars(self.node), set(free_vars(self.node)), arrays)


class Derivative(Expression):
    """∂f/∂x in the layout S + V (output shape, then variable shape)."""

    def __init__(self, node: Expr, function: Expression, wrt: tuple[Var, ...]) -> None:
        super().__init__(node)
        self.function = function
        self.wrt = tuple(v.name for v in wrt)
        self._wrt_vars = wrt

    @property
    def shape(self) -> tuple[str | int, ...]:
        out = self.function.node.shape
        for v in self._wrt_vars:
            out += v.shape
        return out

    @_public
    def evaluate(self, **arrays: Any) -> np.ndarray | float:
        variables = {**free_vars(self.function.node), **{v.name: v for v in self._wrt_vars}}
        required = set(free_vars(self.node)) | {v.name for v in self._wrt_vars}
        return _evaluate(self.node, variables, required, arrays)


def _evaluate(node: Expr | Tensor, variables: Mapping[str, Var], required: set[str],
              arrays: Mapping[str, Any]) -> np.ndarray | float:
    named = {normalize_name(k): v for k, v in arrays.items()}
    if isinstance(node, Tensor):
        return evaluate_tensor(node, named, variables, required)
    return evaluate(node, named, variables, required)


def _declared(shapes: Mapping[str, Any] | None) -> dict[str, tuple[Dim, Dim]]:
    return normalize_shapes(shapes, normalize_name)


@_public
def parse(expr: str, shapes: Mapping[str, Any] | None = None) -> Expression:
    """The typed expression for `expr`; `shapes` maps names to () / (n,) / (m, n)."""
    return _parse(expr, _declared(shapes))


def _parse(expr: str, declared: Mapping[str, tuple[Dim, Dim]]) -> Expression:
    if not isinstance(expr, str):
        raise MatcalcError(f"the expression must be a str, got {type(expr).__name__}")
    return Expression(typed(parse_syntax(expr, tuple(declared)), declared), expr)


def _wrt_names(wrt: str | Sequence[str]) -> list[str]:
    names = [wrt] if isinstance(wrt, str) else list(wrt) if isinstance(wrt, (list, tuple)) else None
    if not names:
        raise MatcalcError(f"wrt must be a variable name or a list of names, got {wrt!r}")
    out = []
    for name in names:
        canonical = normalize_name(name) if isinstance(name, str) else ""
        if not NAME.match(canonical):
            raise MatcalcError(f"wrt must name a variable (like 'x', 'W1', 'ω'), got {name!r}")
        out.append(canonical)
    return out


def _variable(name: str, f: Expr, declared: Mapping[str, tuple[Dim, Dim]]) -> Var:
    """The variable `name` as it appears in f, else as declared, else by the convention."""
    present = free_vars(f)
    if name in present:
        return present[name]
    if name in declared:
        return Var(name, declared[name])
    rank = conventional_rank(name)
    if rank is None:
        raise MatcalcError(f"cannot tell the shape of '{name}': declare it in shapes=")
    taken = {d for v in present.values() for d in (v.rows, v.cols)}
    fresh = (f"{name}_{axis}" for axis in ("rows", "cols")) if rank == 2 else iter([f"n_{name}"])
    dims = [d for d in fresh if d not in taken][:rank]
    return Var(name, declared_dims(name, dims))


@_public
def derive(expr: str, wrt: str | Sequence[str], shapes: Mapping[str, Any] | None = None) -> Derivative:
    """∂expr/∂wrt, simplified to textbook form (layout S + V)."""
    names = _wrt_names(wrt)
    declared = _declared(shapes)
    function = _parse(expr, declared)
    f = function.node
    variables = tuple(_variable(n, f, declared) for n in names)
    if isinstance(f, Tensor):
        raise UnsupportedError(f"{expr!r} is in index notation: derivatives of index-notation "
                               "expressions are not supported; write the expression with matrices")
    return Derivative(derivative_chain(f, variables), function, variables)
