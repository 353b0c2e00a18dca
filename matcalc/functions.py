"""The registry of functions: every function of the language is one row here.

A row holds all that the stages need: the names the parser accepts, the shape rule the
typing step checks, the node it builds, the derivative (an elementwise f′, or the
differential of a matrix function with the formula the derivation steps show), the
reference NumPy value, the generated-code template, the text and LaTeX names, the value
at zero, the SymPy counterpart and the domain the tests draw from.  The grammar's FUNC
terminal names the same functions (tests/test_functions.py checks it).

A new elementwise function is one `Elementwise` row (and its name in the grammar).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from fractions import Fraction
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from .algebra import (
    UNIT, add, apply, broadcast, const, hadamard, hpow, inner, inverse, mul, neg, transpose, zero_like,
)
from .expr import (
    ONE, Apply, Det, DiagMat, DiagVec, Dim, Expr, HPow, Inverse, LogDet, LogSumExp, Norm1, Norm2,
    Pi, Softmax, Sum, Trace,
)

# Shape rules: argument → result.
ELEMENTWISE_SHAPE = "any → same"
SQUARE_TO_SCALAR = "square → scalar"
SQUARE_TO_SQUARE = "square → same"
ANY_TO_SCALAR = "any → scalar"
VECTOR_TO_VECTOR = "vector → same"
VECTOR_TO_SCALAR = "vector → scalar"
DIAGONAL = "vector → square, square → vector"


class SympyForms(Protocol):
    """What a matrix function's SymPy counterpart is written with (sympy_bridge gives it)."""

    sp: ModuleType  # the sympy module (imported only when SymPy interop is used)

    def scalar(self, value: Any) -> Any:
        """A SymPy scalar for a 1×1 value."""

    def total(self, arg: Expr, value: Any) -> Any:
        """The sum of the entries of `value`, the SymPy form of `arg`: tr(𝟙ᵀA)."""

    def apply(self, fn: str, arg: Expr, value: Any) -> Any:
        """The elementwise function `fn` of `value`."""

    def dim(self, d: Dim) -> Any:
        """A dimension as a SymPy integer or symbol."""


@dataclass(frozen=True, kw_only=True)
class Function:
    name: str                          # canonical: the syntax tree's call and Apply.fn
    aliases: tuple[str, ...] = ()      # other spellings the parser accepts
    text: str = ""                     # the name in printed text (re-parseable); default `name`
    latex: str                         # the LaTeX operator
    code: str                          # NumPy code; {} is the argument's code
    domain: str                        # where it is differentiable: tests draw arguments there
    helper: str = ""                   # a function the code template calls, its source

    def __post_init__(self) -> None:
        if not self.text:
            object.__setattr__(self, "text", self.name)


@dataclass(frozen=True, kw_only=True)
class Elementwise(Function):
    """f applied to each entry; d f(A) = f′(A) ⊙ dA."""

    derivative: Callable[[Expr], Expr]                  # f′(A), elementwise, shaped like A
    numpy: Callable[[np.ndarray], np.ndarray]            # the reference value
    sympy: Callable[[ModuleType], Callable[[Any], Any]]  # SymPy function of one scalar
    at_zero: Fraction | None = None                      # f(0) when it is a rational number
    code_in_place: str = ""                              # code computing into the argument's array ({0})
    undefined: tuple[Callable[[np.ndarray], Any], str] | None = None  # arguments outside its domain, and what to say

    @property
    def shape(self) -> str:
        return ELEMENTWISE_SHAPE


@dataclass(frozen=True, kw_only=True)
class MatrixFunction(Function):
    """A reduction or structural function: its own node class(es) (expr.py)."""

    shape: str                                     # one of the shape rules above
    build: Callable[[Expr], Expr]                  # the node for a typed argument (a scalar may need none)
    formulas: Mapping[type, str]                   # node class → its differential, as the steps show it
    differential: Callable[[Any, Expr], Expr]      # node F, dA (of its argument A) → dF
    numpy: Callable[[np.ndarray], np.ndarray]      # reference value, on 2-D arrays (vectors n×1)
    # The SymPy counterpart: (forms, node, SymPy value of the argument) → SymPy value.
    # SymPy has no class for most of these: they are written by their definitions.
    sympy: Callable[[SympyForms, Any, Any], Any]
    nodes: tuple[type, ...] = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "nodes", tuple(self.formulas))


# ── elementwise ─────────────────────────────────────────────────────────────────────────
def _one_minus(e: Expr) -> Expr:
    return add(broadcast(UNIT, e), neg(e))


# σ(x) = 1/(1 + e⁻ˣ) for x ≥ 0 and eˣ/(1 + eˣ) for x < 0: the exponential is of −|x|, so it
# never overflows, and a tiny σ(−700) ≈ 1e−304 keeps its relative precision (½(1 + tanh(x/2))
# is 0 from x = −40, exp(−logaddexp(0, −x)) is off by hundreds of ulps at −700).  The
# reference value and the generated code's helper are the same formula.
SIGMOID_HELPER = '''def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)'''


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    out: np.ndarray = np.where(x >= 0, 1.0, e) / (1.0 + e)
    return out


def _sympy_c(name: str) -> Callable[[Any], Any]:
    """SymPy's log1p or expm1 (of its C functions), so that they read back by name."""
    f: Callable[[Any], Any] = getattr(importlib.import_module("sympy.codegen.cfunctions"), name)
    return f


def _one_plus(e: Expr) -> Expr:
    return add(broadcast(UNIT, e), e)


# NumPy has no erf: the reference value is the standard library's, entry by entry, and the
# generated code (which needs NumPy only) calls the same through this helper.
_erf = np.vectorize(math.erf, otypes=[np.float64])
ERF_HELPER = '''def _erf(x):
    return np.vectorize(math.erf, otypes=[float])(x)'''

ELEMENTWISE_ROWS = (
    # d exp(A) = exp(A) ⊙ dA
    Elementwise(name="exp", latex=r"\exp", code="np.exp({})", domain="all reals",
                derivative=lambda a: apply("exp", a), numpy=np.exp, sympy=lambda sp: sp.exp,
                at_zero=Fraction(1)),
    # d log(A) = A.^−1 ⊙ dA
    Elementwise(name="log", aliases=("ln",), latex=r"\log", code="np.log({})", domain="positive reals",
                derivative=lambda a: hpow(a, -1), numpy=np.log, sympy=lambda sp: sp.log,
                undefined=(lambda a: np.any(a <= 0), "log of a non-positive entry")),
    Elementwise(name="sin", latex=r"\sin", code="np.sin({})", domain="all reals",
                derivative=lambda a: apply("cos", a), numpy=np.sin, sympy=lambda sp: sp.sin,
                at_zero=Fraction(0)),
    Elementwise(name="cos", latex=r"\cos", code="np.cos({})", domain="all reals",
                derivative=lambda a: neg(apply("sin", a)), numpy=np.cos, sympy=lambda sp: sp.cos,
                at_zero=Fraction(1)),
    # tanh′ = 1 − tanh²
    Elementwise(name="tanh", latex=r"\tanh", code="np.tanh({})", domain="all reals",
                derivative=lambda a: _one_minus(hpow(apply("tanh", a), 2)), numpy=np.tanh,
                sympy=lambda sp: sp.tanh, at_zero=Fraction(0), code_in_place="np.tanh({0}, out={0})"),
    # σ′ = σ ⊙ (1 − σ).  Computed without overflow or underflow (SIGMOID_HELPER).
    Elementwise(name="sigmoid", aliases=("σ",), text="σ", latex=r"\sigma",
                code="_sigmoid({})", helper=SIGMOID_HELPER, domain="all reals",
                derivative=lambda a: hadamard(apply("sigmoid", a), _one_minus(apply("sigmoid", a))),
                numpy=_sigmoid, sympy=lambda sp: lambda t: 1 / (1 + sp.exp(-t)),
                at_zero=Fraction(1, 2)),
    # relu′ = step (0 at 0, the numpy.sign convention)
    Elementwise(name="relu", latex=r"\operatorname{relu}", code="np.maximum({}, 0.0)", domain="x ≠ 0",
                derivative=lambda a: apply("step", a), numpy=lambda x: np.maximum(x, 0.0),
                sympy=lambda sp: lambda t: sp.Max(t, 0), at_zero=Fraction(0),
                code_in_place="np.maximum({0}, 0.0, out={0})"),
    # |x|′ = sign(x) (0 at 0)
    Elementwise(name="abs", latex=r"\operatorname{abs}", code="np.abs({})", domain="x ≠ 0",
                derivative=lambda a: apply("sign", a), numpy=np.abs, sympy=lambda sp: sp.Abs,
                at_zero=Fraction(0)),
    # √′ = ½ (√x)⁻¹
    Elementwise(name="sqrt", latex=r"\operatorname{sqrt}", code="np.sqrt({})", domain="positive reals",
                derivative=lambda a: mul(const(Fraction(1, 2)), hpow(apply("sqrt", a), -1)),
                numpy=np.sqrt, sympy=lambda sp: sp.sqrt, at_zero=Fraction(0),
                undefined=(lambda a: np.any(a < 0), "sqrt of a negative entry")),
    # softplus(x) = log(1 + eˣ); softplus′ = σ.  softplus(0) = log 2 stays symbolic.
    Elementwise(name="softplus", latex=r"\operatorname{softplus}", code="np.logaddexp(0.0, {})",
                domain="all reals", derivative=lambda a: apply("sigmoid", a),
                numpy=lambda x: np.logaddexp(0.0, x), sympy=lambda sp: lambda t: sp.log(1 + sp.exp(t))),
    # tan′ = 1 + tan²
    Elementwise(name="tan", latex=r"\tan", code="np.tan({})", domain="|x| < π/2",
                derivative=lambda a: _one_plus(hpow(apply("tan", a), 2)), numpy=np.tan,
                sympy=lambda sp: sp.tan, at_zero=Fraction(0)),
    # arcsin′ = 1/√(1 − x²), arccos′ = −1/√(1 − x²): finite inside (−1, 1)
    Elementwise(name="arcsin", aliases=("asin",), latex=r"\arcsin", code="np.arcsin({})",
                domain="|x| < 1", derivative=lambda a: hpow(apply("sqrt", _one_minus(hpow(a, 2))), -1),
                numpy=np.arcsin, sympy=lambda sp: sp.asin, at_zero=Fraction(0),
                undefined=(lambda a: np.any(np.abs(a) > 1), "arcsin of an entry outside [−1, 1]")),
    Elementwise(name="arccos", aliases=("acos",), latex=r"\arccos", code="np.arccos({})",
                domain="|x| < 1", derivative=lambda a: neg(hpow(apply("sqrt", _one_minus(hpow(a, 2))), -1)),
                numpy=np.arccos, sympy=lambda sp: sp.acos,
                undefined=(lambda a: np.any(np.abs(a) > 1), "arccos of an entry outside [−1, 1]")),
    # arctan′ = (1 + x²)^−1
    Elementwise(name="arctan", aliases=("atan",), latex=r"\arctan", code="np.arctan({})",
                domain="all reals", derivative=lambda a: hpow(_one_plus(hpow(a, 2)), -1),
                numpy=np.arctan, sympy=lambda sp: sp.atan, at_zero=Fraction(0)),
    Elementwise(name="sinh", latex=r"\sinh", code="np.sinh({})", domain="all reals",
                derivative=lambda a: apply("cosh", a), numpy=np.sinh, sympy=lambda sp: sp.sinh,
                at_zero=Fraction(0)),
    Elementwise(name="cosh", latex=r"\cosh", code="np.cosh({})", domain="all reals",
                derivative=lambda a: apply("sinh", a), numpy=np.cosh, sympy=lambda sp: sp.cosh,
                at_zero=Fraction(1)),
    # log1p(x) = log(1 + x), exact for tiny x; log1p′ = (1 + x)^−1
    Elementwise(name="log1p", latex=r"\operatorname{log1p}", code="np.log1p({})", domain="x > −1",
                derivative=lambda a: hpow(_one_plus(a), -1), numpy=np.log1p,
                sympy=lambda sp: _sympy_c("log1p"), at_zero=Fraction(0),
                undefined=(lambda a: np.any(a <= -1), "log1p of an entry ≤ −1")),
    # expm1(x) = eˣ − 1, exact for tiny x; expm1′ = exp
    Elementwise(name="expm1", latex=r"\operatorname{expm1}", code="np.expm1({})", domain="all reals",
                derivative=lambda a: apply("exp", a), numpy=np.expm1,
                sympy=lambda sp: _sympy_c("expm1"), at_zero=Fraction(0)),
    # erf′ = 2/√π exp(−x²)
    Elementwise(name="erf", latex=r"\operatorname{erf}", code="_erf({})", helper=ERF_HELPER,
                domain="all reals",
                derivative=lambda a: mul(const(2), hpow(apply("sqrt", Pi()), -1),
                                         apply("exp", neg(hpow(a, 2)))),
                numpy=_erf, sympy=lambda sp: sp.erf, at_zero=Fraction(0)),
    # sign and step are piecewise constant: derivative 0 wherever it exists.
    Elementwise(name="sign", latex=r"\operatorname{sign}", code="np.sign({})", domain="x ≠ 0",
                derivative=zero_like, numpy=np.sign,
                sympy=lambda sp: sp.sign, at_zero=Fraction(0)),  # sign(0) = 0, as numpy.sign
    # step(0) = 0: the derivative of relu at 0
    Elementwise(name="step", latex=r"\operatorname{step}", code="np.heaviside({}, 0.0)", domain="x ≠ 0",
                derivative=zero_like, numpy=lambda x: (x > 0).astype(np.float64),
                sympy=lambda sp: lambda t: sp.Heaviside(t, 0), at_zero=Fraction(0)),
)


# ── reductions and structural functions ───────────────────────────────────────────────
def _softmax(a: np.ndarray) -> np.ndarray:
    e: np.ndarray = np.exp(a - a.max(axis=0, keepdims=True))
    out: np.ndarray = e / e.sum(axis=0, keepdims=True)
    return out


def _logsumexp(a: np.ndarray) -> np.ndarray:
    top = a.max()
    return np.array([[top + np.log(np.exp(a - top).sum())]])


def _scalar(x: Any) -> np.ndarray:
    return np.array([[x]])


def _diagonal(a: np.ndarray) -> np.ndarray:
    """diag of a 2-D value: the square matrix of a column, the column of a square matrix."""
    return np.diag(a[:, 0]) if a.shape[1] == 1 else np.diag(a)[:, None].copy()


def _d_softmax(node: Softmax, da: Expr) -> Expr:
    # d softmax(a) = s ⊙ da − s sᵀ da
    return add(hadamard(node, da), neg(mul(node, transpose(node), da)))


def _sympy_norm2(s: SympyForms, node: Norm2, value: Any) -> Any:
    """‖A‖ = √tr(AᵀA) (Euclidean for a vector, Frobenius for a matrix)."""
    if node.arg.is_scalar:
        return s.sp.Abs(s.scalar(value))
    return s.sp.sqrt(s.sp.Trace(value.T * value))


def _sympy_diag(s: SympyForms, node: DiagMat | DiagVec, value: Any) -> Any:
    if isinstance(node, DiagMat):
        return s.sp.DiagMatrix(value)
    # SymPy's DiagonalOf fails on explicit matrices (1.14), so diag(X) = (X ⊙ I)𝟙.
    n = s.dim(node.rows)
    return s.sp.HadamardProduct(value, s.sp.Identity(n)) * s.sp.OneMatrix(n, 1)


def _sympy_softmax(s: SympyForms, node: Softmax, value: Any) -> Any:
    e = s.apply("exp", node.arg, value)
    return (1 / s.total(node.arg, e)) * e


# Both helpers shift by the maximum so exp never overflows; softmax works column by column,
# like the reference value.
SOFTMAX_HELPER = '''def _softmax(z):
    e = np.exp(z - np.max(z, axis=0))
    return e / np.sum(e, axis=0)'''
LOGSUMEXP_HELPER = '''def _logsumexp(z):
    top = np.max(z)
    return top + np.log(np.sum(np.exp(z - top)))'''

MATRIX_ROWS = (
    MatrixFunction(name="tr", aliases=("trace", "Tr"), latex=r"\operatorname{tr}", code="np.trace({})",
                   domain="all reals", shape=SQUARE_TO_SCALAR,
                   build=lambda a: a if a.is_scalar else Trace(a),
                   formulas={Trace: "d tr(A) = tr(dA)"}, differential=lambda n, da: Trace(da),
                   numpy=lambda a: _scalar(np.trace(a)),
                   sympy=lambda s, n, v: s.scalar(v) if n.arg.is_scalar else s.sp.Trace(v)),
    # d det A = det(A) tr(A⁻¹ dA)   (Jacobi's formula)
    MatrixFunction(name="det", latex=r"\det", code="np.linalg.det({})", domain="invertible",
                   shape=SQUARE_TO_SCALAR, build=lambda a: a if a.is_scalar else Det(a),
                   formulas={Det: "d det(A) = det(A) tr(A⁻¹ dA)"},
                   differential=lambda n, da: mul(n, Trace(mul(inverse(n.arg), da))),
                   numpy=lambda a: _scalar(np.linalg.det(a)),
                   sympy=lambda s, n, v: s.scalar(v) if n.arg.is_scalar else s.sp.Determinant(v)),
    # d log det A = tr(A⁻¹ dA); log det of a 1×1 matrix is the log of its entry
    MatrixFunction(name="logdet", latex=r"\log\det", code="np.linalg.slogdet({})[1]",
                   domain="positive determinant", shape=SQUARE_TO_SCALAR,
                   build=lambda a: Apply("log", a) if a.is_scalar else LogDet(a),
                   formulas={LogDet: "d logdet(A) = tr(A⁻¹ dA)"},
                   differential=lambda n, da: Trace(mul(inverse(n.arg), da)),
                   numpy=lambda a: _scalar(np.linalg.slogdet(a)[1]),
                   sympy=lambda s, n, v: s.sp.log(s.scalar(v) if n.arg.is_scalar else s.sp.Determinant(v))),
    MatrixFunction(name="sum", latex=r"\operatorname{sum}", code="np.sum({})", domain="all reals",
                   shape=ANY_TO_SCALAR, build=lambda a: a if a.is_scalar else Sum(a),
                   formulas={Sum: "d sum(A) = sum(dA)"}, differential=lambda n, da: Sum(da),
                   numpy=lambda a: _scalar(a.sum()), sympy=lambda s, n, v: s.total(n.arg, v)),
    # d‖A‖₁ = ⟨sign(A), dA⟩   (0 at 0, as numpy.sign)
    MatrixFunction(name="norm1", latex=r"\operatorname{norm}_1", code="np.sum(np.abs({}))",
                   domain="x ≠ 0", shape=ANY_TO_SCALAR, build=Norm1,
                   formulas={Norm1: "d norm1(A) = ⟨sign(A), dA⟩"},
                   differential=lambda n, da: inner(Apply("sign", n.arg), da),
                   numpy=lambda a: _scalar(np.abs(a).sum()),
                   sympy=lambda s, n, v: s.total(n.arg, s.apply("abs", n.arg, v))),
    # d‖A‖ = ⟨A, dA⟩ / ‖A‖  (Euclidean for a vector, Frobenius for a matrix; printed ‖A‖)
    MatrixFunction(name="norm2", latex=r"\operatorname{norm}_2", code="np.linalg.norm({})",
                   domain="A ≠ 0", shape=ANY_TO_SCALAR, build=Norm2,
                   formulas={Norm2: "d‖A‖ = ⟨A, dA⟩/‖A‖"},
                   differential=lambda n, da: mul(hpow(n, -1), inner(n.arg, da)),
                   numpy=lambda a: _scalar(np.sqrt((a ** 2).sum())), sympy=_sympy_norm2),
    # diag(v): the square matrix with v on its diagonal; diag(X): the diagonal of X
    MatrixFunction(name="diag", latex=r"\operatorname{diag}", code="np.diag({})", domain="all reals",
                   shape=DIAGONAL,
                   build=lambda a: a if a.is_scalar else DiagVec(a) if a.cols is not ONE else DiagMat(a),
                   formulas={DiagMat: "d diag(v) = diag(dv)", DiagVec: "d diag(A) = diag(dA)"},
                   differential=lambda n, da: type(n)(da), numpy=_diagonal, sympy=_sympy_diag),
    MatrixFunction(name="softmax", latex=r"\operatorname{softmax}", code="_softmax({})",
                   helper=SOFTMAX_HELPER, domain="all reals", shape=VECTOR_TO_VECTOR, build=Softmax,
                   formulas={Softmax: "d softmax(a) = s ⊙ da − s sᵀ da"}, differential=_d_softmax,
                   numpy=_softmax, sympy=_sympy_softmax),
    # d logsumexp(a) = softmax(a)ᵀ da
    MatrixFunction(name="logsumexp", latex=r"\operatorname{logsumexp}", code="_logsumexp({})",
                   helper=LOGSUMEXP_HELPER, domain="all reals", shape=VECTOR_TO_SCALAR, build=LogSumExp,
                   formulas={LogSumExp: "d logsumexp(a) = softmax(a)ᵀ da"},
                   differential=lambda n, da: mul(transpose(Softmax(n.arg)), da),
                   numpy=_logsumexp, sympy=lambda s, n, v: s.sp.log(s.total(n.arg, s.apply("exp", n.arg, v)))),
    # d(A⁻¹) = −A⁻¹ dA A⁻¹ (printed A⁻¹; the inverse of a scalar is its reciprocal)
    MatrixFunction(name="inv", latex=r"\operatorname{inv}", code="np.linalg.inv({})", domain="invertible",
                   shape=SQUARE_TO_SQUARE,
                   build=lambda a: HPow(a, Fraction(-1)) if a.is_scalar else Inverse(a),
                   formulas={Inverse: "d(A⁻¹) = −A⁻¹ dA A⁻¹"},
                   differential=lambda n, da: neg(mul(n, da, n)), numpy=np.linalg.inv,
                   sympy=lambda s, n, v: 1 / s.scalar(v) if n.is_scalar else v.I),
)

FUNCTIONS: dict[str, Elementwise | MatrixFunction] = {row.name: row for row in (*ELEMENTWISE_ROWS, *MATRIX_ROWS)}
ELEMENTWISE: dict[str, Elementwise] = {row.name: row for row in ELEMENTWISE_ROWS}
ALIASES: dict[str, str] = {alias: row.name for row in FUNCTIONS.values() for alias in row.aliases}
# Every name the language reads as a function, aliases included.
NAMES: frozenset[str] = frozenset(FUNCTIONS) | frozenset(ALIASES)
# The matrix function of each node class it builds.
BY_NODE: dict[type, MatrixFunction] = {node: row for row in MATRIX_ROWS for node in row.nodes}


def function_of(node: Expr) -> Elementwise | MatrixFunction | None:
    """The registry row of a function node (an Apply, a Trace, …); None for other nodes."""
    if isinstance(node, Apply):
        return ELEMENTWISE[node.fn]
    return BY_NODE.get(type(node))
