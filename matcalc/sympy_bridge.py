"""SymPy interop: expression nodes ↔ SymPy matrix expressions built on MatrixSymbol.

The only module that imports SymPy, and only when one of its functions is called: SymPy
is the optional extra `matcalc-symbolic[sympy]`.

Conventions of the translation (docs/sympy.md):
- a matrix is an m×n MatrixSymbol, a vector an n×1 MatrixSymbol, a scalar variable a real
  Symbol; a dimension is a positive-integer Symbol (or an Integer);
- every scalar-valued expression becomes a SymPy scalar.  A product with a 1×1 value
  (xᵀAx) is SymPy's 1×1 matrix, so where a scalar is needed it is written tr(xᵀAx) —
  the trace of a 1×1 matrix is its entry;
- nodes SymPy has no class for are written by their definition: sum(A) = tr(𝟙ᵀA),
  ‖A‖ = √tr(AᵀA), diag(X) = (X ⊙ I)𝟙, softmax(x) = exp(x)/sum(exp(x)), and elementwise
  functions as ElementwiseApplyFunction of a Lambda (σ(t) = 1/(1 + e⁻ᵗ), relu(t) =
  max(t, 0), step(t) = Heaviside(t, 0), softplus(t) = log(1 + eᵗ)); each function's form
  is its row of the registry (functions.py).
Reading SymPy back accepts those forms (and DiagMatrix, DiagonalOf, log det); any other
SymPy class is an UnsupportedError naming it, never an approximation.
"""

from __future__ import annotations

import functools
import importlib
import itertools
from collections.abc import Callable
from fractions import Fraction
from types import ModuleType
from typing import Any

from .algebra import (
    UNIT, ZERO, add, broadcast, const, hadamard, hpow, identity, inverse, mul, transpose,
)
from .errors import MatcalcError, ShapeError, UnsupportedError
from .expr import (
    ONE, Add, Apply, Const, Det, DiagMat, DiagVec, Dim, Expr, Hadamard, HPow, Identity, Pi, Pow,
    LogDet, MatMul, MatPow, Ones, Sum, Trace,
    Transpose, Var, Zero, shape_text,
    Tree,
)
from .functions import ELEMENTWISE, MATRIX_ROWS, NAMES, MatrixFunction
from .parser import NAME_PARTS, normalize_name

INSTALL_HINT = "SymPy interop needs SymPy: pip install 'matcalc-symbolic[sympy]'"
MAX_MATRIX_POWER = 64  # as in the parser: Xᵏ differentiates into k terms
RESERVED_NAMES = NAMES | {"I"}


def _sympy() -> ModuleType:
    try:
        return importlib.import_module("sympy")
    except ImportError:
        raise MatcalcError(INSTALL_HINT) from None


def _applyfunc() -> type:
    """SymPy's ElementwiseApplyFunction (not exported at the top level)."""
    cls: type = importlib.import_module("sympy.matrices.expressions.applyfunc").ElementwiseApplyFunction
    return cls


def _elementwise(sp: ModuleType) -> dict[str, Callable[[Any], Any]]:
    """Each elementwise function of the registry as a SymPy function of one scalar."""
    return {name: row.sympy(sp) for name, row in ELEMENTWISE.items()}


@functools.cache
def _lambdas(sp: ModuleType) -> dict[str, Any]:
    """Each elementwise function as a SymPy Lambda (built once: SymPy caches by identity
    of the bound variable, so a fresh one per call would redo all simplification)."""
    t = sp.Dummy("t")
    return {fn: sp.Lambda(t, f(t)) for fn, f in _elementwise(sp).items()}


def _calls(sp: ModuleType) -> dict[str, Any]:
    """The elementwise functions whose SymPy counterpart is f(t) for a SymPy function f."""
    t = sp.Dummy("t")
    applied = {name: f(t) for name, f in _elementwise(sp).items()}
    return {name: e for name, e in applied.items() if isinstance(e, sp.Function) and e.args == (t,)}


# ── matcalc → SymPy ─────────────────────────────────────────────────────────────────────
def to_sympy(expr: Expr | Tree) -> Any:
    """The SymPy matrix expression (or scalar) with the value of `expr`."""
    if not isinstance(expr, Expr):
        raise UnsupportedError("to_sympy: index notation has no SymPy matrix-expression "
                               "counterpart; use evaluate() for its values")
    sp = _sympy()
    return _ToSympy(sp).convert(expr)


class _ToSympy:
    def __init__(self, sp: ModuleType) -> None:
        self.sp = sp
        self.functions = _elementwise(sp)
        self.rules: dict[type, Callable[[Any, list[Any]], Any]] = {
            Var: lambda n, v: self.var(n),
            Const: lambda n, v: sp.Rational(n.value.numerator, n.value.denominator),
            Pi: lambda n, v: sp.pi,
            Identity: lambda n, v: sp.Integer(1) if n.is_scalar else sp.Identity(self.dim(n.n)),
            Ones: lambda n, v: sp.Integer(1) if n.is_scalar else sp.OneMatrix(*self.dims(n)),
            Zero: lambda n, v: sp.Integer(0) if n.is_scalar else sp.ZeroMatrix(*self.dims(n)),
            MatMul: self.matmul,
            Add: lambda n, v: sp.Add(*map(self.scalar, v)) if n.is_scalar else sp.MatAdd(*v).doit(deep=False),
            Hadamard: lambda n, v: sp.Mul(*map(self.scalar, v)) if n.is_scalar else sp.HadamardProduct(*v),
            Transpose: lambda n, v: self.scalar(v[0]) if n.is_scalar else v[0].T,
            MatPow: lambda n, v: sp.MatPow(v[0], n.k),
            HPow: lambda n, v: self.hpow(n, v[0]),
            Pow: lambda n, v: self.power_of(n, v[0], v[1]),
            Apply: lambda n, v: self.apply(n.fn, n.arg, v[0]),
            # Trace, Inverse, Sum, Softmax, …: the registry's forms
            **{node: self.function(row) for row in MATRIX_ROWS for node in row.nodes},
        }

    def function(self, row: MatrixFunction) -> Callable[[Any, list[Any]], Any]:
        return lambda n, v: row.sympy(self, n, v[0])

    def convert(self, expr: Expr) -> Any:
        memo: dict[Expr, Any] = {}
        for node in expr.walk():
            rule = self.rules.get(type(node))
            if rule is None:
                raise UnsupportedError(f"to_sympy: {type(node).__name__} has no SymPy counterpart")
            memo[node] = rule(node, [memo[c] for c in node.children])
        out = memo[expr]
        return self.scalar(out) if expr.is_scalar else out

    def dim(self, d: Dim) -> Any:
        if d is ONE:
            return self.sp.Integer(1)
        if isinstance(d, int):
            return self.sp.Integer(d)
        return self.sp.Symbol(d, integer=True, positive=True)

    def dims(self, n: Expr) -> tuple[Any, Any]:
        return self.dim(n.rows), self.dim(n.cols)

    def var(self, n: Var) -> Any:
        if n.is_scalar:
            return self.sp.Symbol(n.name, real=True)
        return self.sp.MatrixSymbol(n.name, *self.dims(n))

    def scalar(self, value: Any) -> Any:
        """A SymPy scalar for a 1×1 value: tr of a 1×1 matrix is its entry."""
        if isinstance(value, self.sp.MatrixExpr):
            assert value.shape == (1, 1), value.shape
            return self.sp.Trace(value)
        return value

    def matmul(self, n: MatMul, values: list[Any]) -> Any:
        # Scalar factors scale (as in matcalc); the others chain as matrix products.
        scalars = [self.scalar(v) for f, v in zip(n.factors, values) if f.is_scalar]
        chain = [v for f, v in zip(n.factors, values) if not f.is_scalar]
        # Shallow doit: canonical at this node only (a deep one re-walks every subtree).
        return self.sp.MatMul(*scalars, *chain).doit(deep=False) if chain else self.sp.Mul(*scalars)

    def hpow(self, n: HPow, value: Any) -> Any:
        p = self.sp.Rational(n.p.numerator, n.p.denominator)
        return self.scalar(value) ** p if n.is_scalar else self.sp.HadamardPower(value, p)

    def power_of(self, n: Pow, base: Any, exponent: Any) -> Any:
        if n.exponent.is_scalar:
            return self.scalar(base) ** self.scalar(exponent) if n.is_scalar else self.sp.HadamardPower(
                base, self.scalar(exponent))
        raise UnsupportedError("to_sympy: SymPy has no power with a matrix exponent "
                               "(a^B with B a vector or matrix)")

    def apply(self, fn: str, arg: Expr, value: Any) -> Any:
        f = self.functions.get(fn)
        if f is None:
            raise UnsupportedError(f"to_sympy: the elementwise function {fn} has no SymPy counterpart")
        if arg.is_scalar:
            return f(self.scalar(value))
        return _applyfunc()(_lambdas(self.sp)[fn], value)

    def total(self, arg: Expr, value: Any) -> Any:
        """sum(A) = tr(𝟙ᵀA) with 𝟙 of A's shape."""
        if arg.is_scalar:
            return self.scalar(value)
        return self.sp.Trace(self.sp.OneMatrix(self.dim(arg.cols), self.dim(arg.rows)) * value)


# ── SymPy → matcalc ─────────────────────────────────────────────────────────────────────
def from_sympy(expr: Any) -> Expr:
    """The expression node with the value of the SymPy expression `expr`."""
    sp = _sympy()
    if not isinstance(expr, sp.Basic):
        raise MatcalcError(f"from_sympy expects a SymPy expression, got {type(expr).__name__}")
    reader = _FromSympy(sp)
    node = reader.read(expr)
    clash = sorted(set(reader.variables) & reader.dimensions)
    if clash:
        raise UnsupportedError(f"from_sympy: {clash[0]} is both a dimension and a variable; "
                               "rename one of them")
    return node


def _gather_transposes(total: Expr) -> Expr:
    """Σ tᵢᵀ = (Σ tᵢ)ᵀ when that leaves fewer transposes: SymPy distributes a transpose
    over a sum ((Xw − y)ᵀ becomes wᵀXᵀ − yᵀ), the textbook form keeps it outside."""
    if not isinstance(total, Add) or total.is_scalar:
        return total
    gathered = Transpose(add(*(transpose(t) for t in total.terms)))
    return gathered if _transposes(gathered) < _transposes(total) else total


def _transposes(e: Expr) -> int:
    return sum(isinstance(n, Transpose) for n in e.walk())


def _show(e: Any, limit: int = 40) -> str:
    text = str(e)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _FromSympy:
    def __init__(self, sp: ModuleType) -> None:
        self.sp = sp
        self.variables: dict[str, Var] = {}
        self.dimensions: set[str] = set()
        self.bound: dict[Any, Expr] = {}  # Lambda variables → the matrix they stand for
        self.handlers = self._handlers()
        self.wild = sp.Wild("u")

    def unsupported(self, e: Any, why: str = "has no matcalc counterpart") -> UnsupportedError:
        return UnsupportedError(f"from_sympy: {type(e).__name__} ({_show(e)}) {why}")

    # -- leaves ----------------------------------------------------------------------
    def name(self, raw: str) -> str:
        name = normalize_name(raw)
        if not NAME_PARTS.match(raw) or name in RESERVED_NAMES:
            raise MatcalcError(
                f"from_sympy: {raw!r} is not a matcalc variable name: use a Latin or Greek letter "
                "(or several) with optional digits or _subscript, like 'x', 'W1', 'ω', 'W_ab', "
                "and not a function name or I")
        return name

    def dim(self, d: Any, owner: Any) -> Dim:
        if isinstance(d, (int, self.sp.Integer)):
            return ONE if int(d) == 1 else int(d)
        if isinstance(d, self.sp.Symbol) and str(d).isidentifier():
            self.dimensions.add(str(d))
            return str(d)
        raise UnsupportedError(f"from_sympy: dimension {d} of {owner} is not a symbol or an integer")

    def var(self, name: str, dims: tuple[Dim, Dim]) -> Var:
        v = Var(name, dims)
        seen = self.variables.setdefault(name, v)
        if seen != v:
            raise ShapeError(f"from_sympy: {name} appears with two shapes, "
                             f"{shape_text(*seen.dims)} and {shape_text(*dims)}")
        return v

    def matrix_symbol(self, e: Any) -> Var:
        rows, cols = self.dim(e.rows, e), self.dim(e.cols, e)
        if rows is ONE and cols is not ONE:
            raise UnsupportedError(f"from_sympy: {e.name} is a 1×{cols} row vector; matcalc variables "
                                   f"are column vectors: use MatrixSymbol({e.name!r}, {cols}, 1) and "
                                   "transpose it")
        return self.var(self.name(e.name), (rows, cols))

    def number(self, e: Any) -> Expr:
        if isinstance(e, self.sp.Rational):
            return const(Fraction(int(e.p), int(e.q)))
        if isinstance(e, self.sp.Float):
            return const(Fraction(str(e)))  # the decimal SymPy prints, exactly
        raise self.unsupported(e, "is not a rational number")

    # -- the walk --------------------------------------------------------------------
    def read(self, e: Any, elementwise: bool = False) -> Expr:
        """`elementwise`: inside a Lambda applied entrywise, so * and + act entrywise."""
        sp = self.sp
        if e in self.bound:
            return self.bound[e]
        if isinstance(e, sp.MatrixSymbol):
            return self.matrix_symbol(e)
        if isinstance(e, sp.Dummy):
            raise self.unsupported(e, "is a dummy variable outside its Lambda")
        if isinstance(e, sp.Symbol):
            return self.var(self.name(e.name), (ONE, ONE))
        if isinstance(e, sp.Number) or e.is_number and not e.args:
            return self.number(e)
        handler = self.handlers.get(type(e))
        if handler is None:
            raise self.unsupported(e)
        return handler(e, elementwise)

    def _handlers(self) -> dict[type, Callable[[Any, bool], Expr]]:
        sp = self.sp
        return {
            sp.MatMul: lambda e, ew: self.product([self.read(a, ew) for a in e.args], e.args),
            sp.MatAdd: lambda e, ew: self.sum([self.read(a, ew) for a in e.args], e.args, ew),
            sp.Add: lambda e, ew: self.sum([self.read(a, ew) for a in e.args], e.args, ew),
            sp.Mul: self.mul,
            sp.Pow: self.power,
            sp.Transpose: lambda e, ew: transpose(self.read(e.arg, ew)),
            sp.Inverse: lambda e, ew: self.inverse(self.read(e.arg, ew), e),
            sp.MatPow: self.matpow,
            sp.HadamardProduct: lambda e, ew: self.hadamard([self.read(a, ew) for a in e.args], e.args),
            sp.HadamardPower: self.hadamard_power,
            sp.Trace: self.trace,
            sp.Determinant: lambda e, ew: self.square(Det, self.read(e.arg, ew), e),
            sp.Identity: lambda e, ew: identity(self.dim(e.rows, e)),
            sp.OneMatrix: lambda e, ew: self.filled(e, Ones, UNIT),
            sp.ZeroMatrix: lambda e, ew: self.filled(e, Zero, ZERO),
            _applyfunc(): self.elementwise,
            sp.DiagMatrix: self.diag_matrix,
            sp.DiagonalOf: lambda e, ew: self.diagonal_of(self.read(e.args[0], ew), e),
            # An elementwise function whose SymPy counterpart is one SymPy function of t
            # (exp, sin, Abs, …) reads back by that function's class.
            **{type(f): self.function(name) for name, f in _calls(sp).items()},
            # the others by their forms: max(t, 0), Heaviside(t, 0), log(1 + eᵗ), log det
            sp.Max: self.relu,
            sp.Heaviside: self.step,
            sp.log: self.log,
        }

    # -- products and sums -------------------------------------------------------------
    def product(self, factors: list[Expr], sources: tuple[Any, ...]) -> Expr:
        chain = [(f, s) for f, s in zip(factors, sources) if not f.is_scalar]
        for (a, sa), (b, sb) in itertools.pairwise(chain):
            if a.cols != b.rows:
                raise ShapeError(f"from_sympy: cannot multiply {_show(sa)} ({shape_text(a.rows, a.cols)}) "
                                 f"by {_show(sb)} ({shape_text(b.rows, b.cols)})")
        return mul(*factors)

    def mul(self, e: Any, elementwise: bool) -> Expr:
        factors = [self.read(a, elementwise) for a in e.args]
        if elementwise:  # entrywise: scalars broadcast, equal shapes multiply entry by entry
            return self.hadamard(factors, e.args)
        return self.product(factors, e.args)

    def sum(self, terms: list[Expr], sources: tuple[Any, ...], elementwise: bool) -> Expr:
        # A scalar among matrices is entrywise only in a Lambda body (there it broadcasts).
        shaped = [(t, s) for t, s in zip(terms, sources) if not t.is_scalar or not elementwise]
        if not shaped:
            return add(*terms)
        like = shaped[0][0]
        self.same_shape(shaped, "add")
        return _gather_transposes(add(*(broadcast(t, like) if t.is_scalar else t for t in terms)))

    def hadamard(self, factors: list[Expr], sources: tuple[Any, ...]) -> Expr:
        self.same_shape([(f, s) for f, s in zip(factors, sources) if not f.is_scalar],
                        "multiply entrywise")
        return hadamard(*factors)

    def same_shape(self, pairs: list[tuple[Expr, Any]], verb: str) -> None:
        (a, sa) = pairs[0]
        for b, sb in pairs[1:]:
            if (a.rows, a.cols) != (b.rows, b.cols):
                raise ShapeError(f"from_sympy: cannot {verb} {_show(sa)} ({shape_text(a.rows, a.cols)}) "
                                 f"and {_show(sb)} ({shape_text(b.rows, b.cols)})")

    # -- powers and inverses -----------------------------------------------------------
    def exponent(self, e: Any, p: Any) -> Fraction:
        if not isinstance(p, self.sp.Rational):
            raise self.unsupported(e, "has an exponent that is not a rational number")
        return Fraction(int(p.p), int(p.q))

    def power(self, e: Any, elementwise: bool) -> Expr:
        p = self.exponent(e, e.exp)
        if p == -1:  # 1/(1 + e⁻ᵘ) = σ(u)
            u = self.argument_of(e.base, 1 + self.sp.exp(-self.wild))
            if u is not None:
                return Apply("sigmoid", self.entrywise(e, u, elementwise, "sigmoid"))
        base = self.entrywise(e, e.base, elementwise, "Pow")
        return Apply("sqrt", base) if p == Fraction(1, 2) else hpow(base, p)

    def hadamard_power(self, e: Any, elementwise: bool) -> Expr:
        return hpow(self.read(e.base, elementwise), self.exponent(e, e.exp))

    def inverse(self, a: Expr, e: Any) -> Expr:
        if a.is_scalar:
            return hpow(a, -1)
        if not a.is_square:
            raise ShapeError(f"from_sympy: cannot invert {_show(e.arg)} ({shape_text(a.rows, a.cols)}): "
                             "not square")
        return inverse(a)

    def matpow(self, e: Any, elementwise: bool) -> Expr:
        a, k = self.read(e.base, elementwise), self.exponent(e, e.exp)
        if k.denominator != 1:
            raise self.unsupported(e, "is a fractional matrix power")
        if a.is_scalar:
            return hpow(a, k)
        if abs(k) > MAX_MATRIX_POWER:
            raise self.unsupported(e, f"is a matrix power beyond ±{MAX_MATRIX_POWER}")
        if k < 0:
            a, k = self.inverse(a, e), -k
        elif not a.is_square:
            raise ShapeError(f"from_sympy: cannot raise {_show(e.base)} ({shape_text(a.rows, a.cols)}) "
                             "to a power: not square")
        if k == 0:
            return identity(a.rows)
        return a if k == 1 else MatPow(a, int(k))

    # -- reductions and structure ------------------------------------------------------
    def square(self, node: Callable[[Expr], Expr], a: Expr, e: Any) -> Expr:
        if a.is_scalar:  # tr and det of a 1×1 matrix are its entry
            return a
        if not a.is_square:
            raise ShapeError(f"from_sympy: {type(e).__name__} of {_show(e.arg)} "
                             f"({shape_text(a.rows, a.cols)}): not square")
        return node(a)

    def trace(self, e: Any, elementwise: bool) -> Expr:
        arg = e.arg
        if (isinstance(arg, self.sp.MatMul) and len(arg.args) == 2 and isinstance(arg.args[0], self.sp.OneMatrix)
                and arg.args[0].shape == arg.args[1].shape[::-1]):
            return Sum(self.read(arg.args[1], elementwise))  # tr(𝟙ᵀA) = sum(A)
        return self.square(Trace, self.read(arg, elementwise), e)

    def filled(self, e: Any, node: Callable[[tuple[Dim, Dim]], Expr], scalar: Expr) -> Expr:
        rows, cols = self.dim(e.rows, e), self.dim(e.cols, e)
        return scalar if (rows, cols) == (ONE, ONE) else node((rows, cols))

    def diag_matrix(self, e: Any, elementwise: bool) -> Expr:
        v = self.read(e.args[0], elementwise)
        if v.rows is ONE and v.cols is not ONE:
            v = transpose(v)
        if v.cols is not ONE or v.rows is ONE:
            raise ShapeError(f"from_sympy: DiagMatrix of {_show(e.args[0])} ({shape_text(v.rows, v.cols)}): "
                             "not a vector")
        return DiagMat(v)

    def diagonal_of(self, a: Expr, e: Any) -> Expr:
        if not a.is_square:
            raise self.unsupported(e, "of a non-square matrix has no matcalc counterpart")
        return DiagVec(a)

    # -- functions -----------------------------------------------------------------------
    def entrywise(self, e: Any, arg: Any, elementwise: bool, name: str) -> Expr:
        """The operand of a scalar function, which must be a scalar outside a Lambda:
        SymPy reads exp(X) as a matrix function, not as exp of each entry."""
        node = self.read(arg, elementwise)
        if not elementwise and not node.is_scalar:
            operand = str(arg) if isinstance(arg, self.sp.MatrixSymbol) else f"({arg})"
            raise self.unsupported(e, f"is a matrix function; for {name} of each entry write "
                                      f"{operand}.applyfunc({name})")
        return node

    def function(self, name: str) -> Callable[[Any, bool], Expr]:
        return lambda e, ew: Apply(name, self.entrywise(e, e.args[0], ew, type(e).__name__))

    def log(self, e: Any, elementwise: bool) -> Expr:
        if isinstance(e.args[0], self.sp.Determinant):  # log det X
            return self.square(LogDet, self.read(e.args[0].arg, elementwise), e.args[0])
        u = self.argument_of(e.args[0], 1 + self.sp.exp(self.wild))  # log(1 + eᵘ) = softplus(u)
        if u is not None:
            return Apply("softplus", self.entrywise(e, u, elementwise, "softplus"))
        return Apply("log", self.entrywise(e, e.args[0], elementwise, "log"))

    def argument_of(self, e: Any, pattern: Any) -> Any:
        """u when `e` is `pattern` with u for the wildcard, else None."""
        if not isinstance(e, self.sp.Add) or e.is_Matrix:
            return None
        found = e.match(pattern)
        return None if not found or self.wild not in found else found[self.wild]

    def relu(self, e: Any, elementwise: bool) -> Expr:
        rest = [a for a in e.args if a != 0]
        if len(e.args) != 2 or len(rest) != 1:
            raise self.unsupported(e, "is not max(t, 0) (relu)")
        return Apply("relu", self.entrywise(e, rest[0], elementwise, "Max"))

    def step(self, e: Any, elementwise: bool) -> Expr:
        if len(e.args) != 2 or e.args[1] != 0:
            raise self.unsupported(e, "is not Heaviside(t, 0): matcalc's step is 0 at 0")
        return Apply("step", self.entrywise(e, e.args[0], elementwise, "Heaviside"))

    def elementwise(self, e: Any, elementwise: bool) -> Expr:
        sp = self.sp
        arg = self.read(e.expr, elementwise)
        f = e.function
        if not isinstance(f, sp.Lambda):
            t = sp.Dummy("t")
            f = sp.Lambda(t, f(t))
        if len(f.variables) != 1:
            raise self.unsupported(e, "applies a function of several variables")
        for fn, template in _lambdas(sp).items():  # a function matcalc names: keep the name
            if f(*template.variables) == template.expr:
                return Apply(fn, arg)
        outer = self.bound
        self.bound = {**outer, f.variables[0]: arg}
        try:
            return self.read(f.expr, True)
        finally:
            self.bound = outer
