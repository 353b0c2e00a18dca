"""The public API: parse, derive, and the objects they return."""

from __future__ import annotations

import difflib
import functools
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from . import calculus
from .codegen import function_source, parameter_names
from .errors import EvaluationError, LimitError, LocatedError, MatcalcError, MatcalcWarning, ParseError, UnsupportedError
from .evaluator import evaluate, evaluate_tensor
from .expr import Dim, Expr, Identity, Ones, Var, Zero, free_vars
from .index_notation import Tensor
from .mlp import MLP
from .mlp import mlp as _mlp
from .parser import MAX_LENGTH, is_latex, normalize_name, parse_syntax, unknown_calls
from .printing import to_latex, to_text
from .shapes import conventional_rank, declared_dims, normalize_shapes
from .steps import Step, derivation
from .sympy_bridge import from_sympy as _from_sympy, to_sympy as _to_sympy
from .typer import context, typed

T = TypeVar("T")
NAME = re.compile(r"^[A-Za-zΑ-Ωα-ω][A-Za-z0-9_]*(?:⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾)?$")  # W⁽¹⁾: a layer label
CONVENTIONAL = re.compile(r"^[A-Za-zΑ-Ωα-ω](?:[0-9]+|_[A-Za-z0-9]+)?(?:⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾)?$")  # W, W1, W_in


def _readable(text: str) -> str:
    """Printed text, refused where it is longer than the parser reads (docs/limits.md):
    printing never gives text that does not read back without saying so."""
    if len(text) > MAX_LENGTH:
        raise LimitError(f"the result's text has {len(text):,} characters, more than the "
                         f"{MAX_LENGTH:,} that matcalc reads back; evaluate it (d.evaluate(...)), "
                         "generate code for it (d.numpy_source()), or derive a smaller part")
    return text


def _public(fn: Callable[..., T]) -> Callable[..., T]:
    """Only MatcalcError leaves the API: depth limits and internal faults are reported as such."""

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except (MatcalcError, MatcalcWarning):  # a warning raised as an error (-W error)
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

    def __init__(self, node: Expr | Tensor, source: str = "", context: tuple[Var, ...] = ()) -> None:
        self.node = node
        self.source = source
        # Declared variables that only fix a size written in the text (tr(Iₙ) takes n from
        # them): evaluate accepts their arrays without requiring them.
        self.context = context

    @_public  # printing recurses: a deep enough tree is a MatcalcError, not a RecursionError
    def __str__(self) -> str:
        return _readable(to_text(self.node))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._shown()!r})"

    def _shown(self) -> str:
        """The text, or its length where it is too long to read back (for repr and the
        docstrings of generated code, which work at any size)."""
        text = to_text(self.node)
        return text if len(text) <= MAX_LENGTH else f"a result of {len(text):,} characters"

    @property
    def text(self) -> str:
        return str(self)

    @property
    @_public
    def latex(self) -> str:
        return to_latex(self.node)  # (LaTeX is longer than the text: the text's limit decides)

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    @property
    def shape(self) -> tuple[str | int, ...]:
        return self.node.shape

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(free_vars(self.node))

    @property
    def shapes(self) -> dict[str, tuple[str | int, ...]]:
        """The shape given to every name, declared, by its use or by the convention
        (docs/conventions.md), written as in `shapes=`: () scalar, (n,) vector, (m, n) matrix."""
        return {name: v.shape for name, v in free_vars(self.node).items()}

    @_public
    def evaluate(self, /, *positional: Any, **arrays: Any) -> np.ndarray | float:
        """The value for NumPy arrays given by name (vectors 1-D; extra names ignored).
        `self` is positional-only, so a variable may be called self."""
        _by_name_only(positional)
        variables = {**{v.name: v for v in self.context}, **free_vars(self.node)}
        return _evaluate(self.node, variables, set(free_vars(self.node)), arrays)

    @_public
    def numpy_source(self, name: str | None = None) -> str:
        """A standalone module (it imports only numpy) defining `name(vars...)` → the value
        (default name `f`, or `f_` where a variable is called f)."""
        variables = tuple(free_vars(self.node).values())
        return function_source(name, [self.node], variables, f"{self._shown()}.")

    @_public
    def to_sympy(self) -> Any:
        """The SymPy matrix expression with the same value (needs SymPy; docs/sympy.md)."""
        return _to_sympy(self.node)


class Derivative(Expression):
    """∂f/∂x in the layout S + V (output shape, then variable shape)."""

    def __init__(self, node: Expr | Tensor, function: Expression, wrt: tuple[Var, ...]) -> None:
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

    @property
    def shapes(self) -> dict[str, tuple[str | int, ...]]:
        """The shapes of the function's names and of the wrt variables."""
        return {**self.function.shapes, **{v.name: v.shape for v in self._wrt_vars}}

    @functools.cached_property
    def steps(self) -> tuple[Step, ...]:
        """The derivation step by step (docs/steps.md), built on first use."""
        return _steps(self.function.node, self._wrt_vars, self.node)

    @_public
    def evaluate(self, /, *positional: Any, **arrays: Any) -> np.ndarray | float:
        _by_name_only(positional)
        variables = {**{v.name: v for v in self.function.context}, **free_vars(self.function.node),
                     **{v.name: v for v in self._wrt_vars}}
        required = set(free_vars(self.node)) | {v.name for v in self._wrt_vars}
        return _evaluate(self.node, variables, required, arrays)


    @_public
    def numpy_source(self, name: str | None = None, value: bool = False) -> str:
        """A standalone module (it imports only numpy) defining `name(vars...)` that returns
        the derivative, or `(f, derivative)` with value=True, sharing their common work."""
        variables = tuple({**free_vars(self.function.node),
                           **{v.name: v for v in self._wrt_vars}}.values())
        wrt = parameter_names(self._wrt_vars[:1])[self.wrt[0]]
        scalar = self.function.node.is_scalar
        default = (f"grad_{wrt}" if scalar and len(self.wrt) == 1 else
                   f"hessian_{wrt}" if scalar and self.wrt == (self.wrt[0],) * 2 else
                   "derivative_" + "_".join(parameter_names(self._wrt_vars).values()))
        what = "∂/∂" + " then ∂/∂".join(self.wrt)
        summary = f"{what} of {self.function._shown()}: {self._shown()}." + (
            " Returns (value, derivative)." if value else "")
        roots = [self.function.node, self.node] if value else [self.node]
        return function_source(name, roots, variables, summary, default)


@_public
def mlp(layers: Sequence[int], hidden: str | Sequence[str] = "relu",
        loss: str = "softmax_cross_entropy", output: str | None = None,
        layout: str = "columns", bias: bool = True) -> MLP:
    """A multilayer perceptron's forward pass and backpropagation as a NumPy module.

    `hidden` is one activation or one per hidden layer (identity, sigmoid, tanh, relu);
    `loss` is mse, softmax_cross_entropy or sigmoid_bce; `output` picks mse's output
    activation; `layout` "columns" puts samples in columns (as the blog posts this method comes from do), "rows" in rows."""
    return _mlp(layers, hidden, loss, output, layout, bias)


@_public
def _steps(f: Expr | Tensor, wrt: tuple[Var, ...], result: Expr | Tensor) -> tuple[Step, ...]:
    if len(wrt) != 1 or isinstance(f, Tensor) or isinstance(result, Tensor) or not f.is_scalar:
        raise UnsupportedError("steps are shown for gradients (first derivatives of scalar "
                               "expressions) only")
    return derivation(f, wrt[0], result)


def _by_name_only(positional: tuple[Any, ...]) -> None:
    if positional:
        raise EvaluationError(f"evaluate takes arrays by name (d.evaluate(x=..., A=...)), got "
                              f"{len(positional)} positional argument{'s' * (len(positional) > 1)}")


def _evaluate(node: Expr | Tensor, variables: Mapping[str, Var], required: set[str],
              arrays: Mapping[str, Any]) -> np.ndarray | float:
    named: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, given in arrays.items():
        name = normalize_name(key)
        if name in named:
            raise EvaluationError(f"{spelled[name]!r} and {key!r} are two spellings of the variable "
                                  f"{name}: pass it once")
        spelled[name] = key
        named[name] = given if name not in variables else _as_array(key, given)
    if isinstance(node, Tensor):
        return evaluate_tensor(node, named, variables, required)
    return evaluate(node, named, variables, required)


def _as_array(key: str, given: Any) -> Any:
    """The user's value as an ndarray.  Here, at the boundary, because a user's object
    runs its own code (`__array__`), which may raise anything."""
    if isinstance(given, np.ndarray):
        return given
    try:
        return np.asarray(given)
    except Exception as exc:  # noqa: BLE001 — foreign code: reported as the value's fault
        raise EvaluationError(f"the value given for {key} cannot be read as an array "
                              f"({type(exc).__name__}: {exc})") from None


def _declared(shapes: Mapping[str, Any] | None) -> dict[str, tuple[Dim, Dim]]:
    return normalize_shapes(shapes, normalize_name)


@_public
def parse(expr: str, shapes: Mapping[str, Any] | None = None, syntax: str = "auto") -> Expression:
    """The typed expression for `expr`; `shapes` maps names to () / (n,) / (m, n).
    `syntax="latex"` reads LaTeX (the default reads LaTeX where `expr` has a backslash)."""
    return _parse(expr, _declared(shapes), syntax)


@_public
def from_sympy(expr: Any) -> Expression:
    """The expression for a SymPy matrix expression (needs SymPy; docs/sympy.md)."""
    return Expression(_from_sympy(expr))


def _parse(expr: str, declared: Mapping[str, tuple[Dim, Dim]], syntax: str = "auto") -> Expression:
    if not isinstance(expr, str):
        raise MatcalcError(f"the expression must be a str, got {type(expr).__name__}")
    tree = parse_syntax(expr, tuple(declared), syntax)
    try:
        node = typed(tree, declared)
        if isinstance(node, Tensor):
            return Expression(node, expr)  # (a Tensor carries its context)
        sizes = tuple(d for n in node.walk() if isinstance(n, (Identity, Ones, Zero))
                      for d in (n.rows, n.cols))
        return Expression(node, expr, context(node, sizes, declared))
    except MatcalcError as exc:
        latex = syntax == "latex" or (syntax == "auto" and is_latex(expr))  # f(x) there is a call
        words = [] if latex else unknown_calls(expr, declared)
        if not words or isinstance(exc, ParseError):
            raise
        noted = type(exc)(f"{exc}; note: matcalc has no function '{words[0]}', so '{words[0]}(…)' "
                          "is read as a product of the names in it (docs/syntax.md lists the functions)")
        if isinstance(exc, LocatedError) and isinstance(noted, LocatedError):
            noted.line, noted.column = exc.line, exc.column  # the place, already in the text
        raise noted from None


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


def _variable(name: str, f: Expr | Tensor, declared: Mapping[str, tuple[Dim, Dim]]) -> Var:
    """The variable `name` as it appears in f, else as declared, else by the convention."""
    present = free_vars(f)
    if name in present:
        return present[name]
    _warn_absent(name, present)
    if name in declared:
        return Var(name, declared[name])
    rank = conventional_rank(name) if CONVENTIONAL.match(name) else None
    if rank is None:
        raise MatcalcError(f"'{name}' is not in the expression, and only one-letter names "
                           f"(with a subscript) have a conventional shape: declare it in shapes=")
    taken = {d for v in present.values() for d in (v.rows, v.cols)}
    fresh = (f"{name}_{axis}" for axis in ("rows", "cols")) if rank == 2 else iter([f"n_{name}"])
    dims = [d for d in fresh if d not in taken][:rank]
    return Var(name, declared_dims(name, dims))


def _warn_absent(name: str, present: Mapping[str, Var]) -> None:
    """`--wrt W` of an expression in w is zeros, as the contract says, but rarely meant."""
    nearest = sorted(present, key=lambda p: (p.lower() != name.lower(), -difflib.SequenceMatcher(
        None, p.lower(), name.lower()).ratio()))
    hint = f"; did you mean '{nearest[0]}'?" if nearest else ""
    warnings.warn(f"'{name}' does not occur in the expression, so the derivative is zero{hint}",
                  MatcalcWarning, stacklevel=6)  # the caller of derive


@_public
def derive(expr: str | Expression, wrt: str | Sequence[str],
           shapes: Mapping[str, Any] | None = None, syntax: str = "auto") -> Derivative:
    """∂expr/∂wrt, simplified to textbook form (layout S + V); `expr` is text (LaTeX with
    `syntax="latex"`, or where it has a backslash) or an Expression (from `parse` or
    `from_sympy`)."""
    names = _wrt_names(wrt)
    declared = _declared(shapes)
    function = expr if isinstance(expr, Expression) else _parse(expr, declared, syntax)
    f = function.node
    variables = tuple(_variable(n, f, declared) for n in names)
    if isinstance(f, Tensor):
        raise UnsupportedError(f"{expr!r} is in index notation: derivatives of index-notation "
                               "expressions are not supported; write the expression with matrices")
    return Derivative(calculus.derive(f, variables), function, variables)
