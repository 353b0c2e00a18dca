"""NumPy source code for expressions: a standalone module that imports only numpy.

Values follow the user's layout (vectors 1-D, scalars 0-d), so a product is chosen by its
operands' kinds: a bᵀ is `np.outer`, aᵀb and Xw are `@`, a scalar scales.  A product chain
is evaluated from the end that keeps intermediates small (Xᵀ(Xw) never forms XᵀX), an
inverse inside a product becomes `np.linalg.solve`, and diag(v) inside a product becomes a
broadcast, so no dense intermediate larger than the operands is built.  Subtrees used more
than once are computed once, into temporaries.

Identifiers are never taken from user text unchecked: variable names are validated by the
parser, Greek letters are spelled in ASCII, and anything that is a Python keyword, a builtin,
`np` or a name the generated code uses itself gets a trailing underscore.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from dataclasses import dataclass
from fractions import Fraction

from .errors import MatcalcError, UnsupportedError
from .expr import (
    ONE,
    Add,
    Apply,
    Const,
    DiagMat,
    DiagVec,
    Differential,
    Dim,
    Expr,
    Hadamard,
    HPow,
    Identity,
    Pi,
    Pow,
    Inverse,
    MatMul,
    MatPow,
    Ones,
    Transpose,
    Var,
    Zero,
    external_shape,
)
from .functions import ELEMENTWISE, FUNCTIONS, MATRIX_ROWS, Elementwise, MatrixFunction
from .index_notation import Tensor, plans
from .latex_names import GREEK_LATEX
from .stable import stable

# Python precedence levels of generated code, low to high.
ADD, MUL, UNARY, POWER, ATOM = range(5)

# Used with fullmatch: `$` would also accept a trailing newline ("f\n").
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | {"np", "math"}

# Elementwise functions computed into their argument's array (`statements`, op "=out").
IN_PLACE_CODE: dict[str, str] = {name: row.code_in_place for name, row in ELEMENTWISE.items() if row.code_in_place}

# Helpers emitted only when used: the functions the registry's code templates call.
HELPERS: dict[str, str] = {row.code.split("(")[0]: row.helper for row in FUNCTIONS.values() if row.helper}


@dataclass(frozen=True)
class Code:
    """Python text and the level of its loosest operator, by Python's real precedence:
    `-A @ y` is `(-A) @ y`, a product, not a negation.  `negated` is the code this one
    negates when its text is a leading minus on it, so a sum writes `a - b`, not `a + -b`."""
    text: str
    prec: int
    negated: Code | None = None

    def at(self, prec: int) -> str:
        """The text, parenthesized if it binds looser than `prec`: operands of a
        left-associative operator are read at its level on the left and one above it on
        the right (`a - (b - c)`, `a / (b * c)`)."""
        return self.text if self.prec >= prec else f"({self.text})"


def atom(text: str) -> Code:
    return Code(text, ATOM)


def python_name(name: str, taken: Iterable[str] = ()) -> str:
    """A safe Python identifier for a matcalc name: ω → omega, lambda → lambda_, np → np_."""
    spelled = "".join(GREEK_LATEX.get(ch, ch) for ch in name)
    if not IDENTIFIER.fullmatch(spelled):
        raise MatcalcError(f"cannot use {name!r} as a name in generated code")
    taken = set(taken)
    while spelled in RESERVED or spelled in taken:
        spelled += "_"
    return spelled


def check_function_name(name: str) -> str:
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name) or name in RESERVED:
        raise MatcalcError(
            f"function name {name!r} must be a plain ASCII identifier that is not a Python "
            "keyword, a builtin or 'np'")
    return name


class _Emitter:
    """Writes the statements computing some roots: shared subtrees into temporaries."""

    def __init__(self, roots: Sequence[Expr | Tensor], params: Mapping[str, str],
                 variables: Sequence[Var], two_d: bool = False) -> None:
        # two_d: every value is a 2-D array (a batch of column vectors is a matrix), so
        # products are plain @ chains and every transpose is real.
        self.two_d = two_d
        self.params = params
        self.used = set(params.values())
        self.lines: list[str] = []
        self.helpers: set[str] = set()
        self.code: dict[Expr, Code] = {}
        self.dims = self._dimension_sources(variables)
        self.dim_names: dict[Dim, str] = {}
        self.args = [params[v.name] for v in variables]
        self.dtype_name: str | None = None
        # Values are computed from the stable forms (stable.py): log σ(t) as −softplus(−t).
        self.stable: dict[Expr, Expr] = {}
        self.shared = self._shared([stable(r, self.stable) if isinstance(r, Expr) else r for r in roots])
        self.counter = 0

    # -- names -----------------------------------------------------------------------
    def _fresh(self, stem: str) -> str:
        while True:
            self.counter += 1
            name = f"{stem}{self.counter}"
            if name not in self.used and name not in RESERVED:
                self.used.add(name)
                return name

    def _dimension_sources(self, variables: Sequence[Var]) -> dict[Dim, str]:
        """Where each symbolic dimension's size can be read: `X.shape[0]`."""
        sources: dict[Dim, str] = {}
        for v in variables:
            for axis, dim in enumerate(d for d in (v.rows, v.cols) if d is not ONE):
                if not isinstance(dim, int):
                    sources.setdefault(dim, f"{self.params[v.name]}.shape[{axis}]")
        return sources

    def dim(self, d: Dim) -> str:
        if isinstance(d, int):
            return str(d)
        if d not in self.dim_names:
            if d not in self.dims:
                raise MatcalcError(f"cannot tell the size of dimension {d} from the arguments")
            stem = d if isinstance(d, str) and IDENTIFIER.fullmatch(d) else "dim"
            name = stem if stem not in self.used and stem not in RESERVED else self._fresh(stem + "_")
            self.used.add(name)
            self.dim_names[d] = name
            self.lines.append(f"{name} = {self.dims[d]}")
        return self.dim_names[d]

    def dtype(self) -> str:
        """`, dtype=NAME` for a constant array (zeros, ones, identity): the arguments'
        floating type, so float32 in stays float32 out (1.0 in `result_type` makes integer
        arguments float64).  Empty where the arguments are not known (MLP statements)."""
        if not self.args:
            return ""
        if self.dtype_name is None:
            name = "dtype" if "dtype" not in self.used else self._fresh("dtype")
            self.used.add(name)
            self.dtype_name = name
            self.lines.append(f"{name} = np.result_type({', '.join(self.args)}, 1.0)")
        return f", dtype={self.dtype_name}"

    def shape(self, e: Expr) -> str:
        return self.shape_of_dims(external_shape(e.rows, e.cols))

    def shape_of_dims(self, dims: Sequence[Dim]) -> str:
        sizes = [self.dim(d) for d in dims]
        return "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"

    # -- sharing ---------------------------------------------------------------------
    @staticmethod
    def _shared(roots: Sequence[Expr | Tensor]) -> set[Expr]:
        """Non-trivial subtrees with more than one parent (or more than one root)."""
        parents: dict[Expr | Tensor, int] = {}
        seen: set[Expr] = set()
        for root in roots:
            parents[root] = parents.get(root, 0) + 1
            for node in root.walk():
                if node in seen:
                    continue
                seen.add(node)
                for child in dict.fromkeys(node.children):
                    parents[child] = parents.get(child, 0) + 1
        return {e for e, n in parents.items() if n > 1 and isinstance(e, Expr) and not _is_cheap(e)
                and not _is_chain_special(e)}

    # -- emission --------------------------------------------------------------------
    def emit(self, e: Expr) -> Code:
        """The code of e; the statements it needs are appended to self.lines first."""
        e = stable(e, self.stable)
        if e in self.code:
            return self.code[e]
        # Children first, iteratively, so deep expressions cannot exhaust the stack.
        for node in e.walk():
            if node not in self.code:
                code = self._node(node)
                if node in self.shared:
                    name = self._fresh("t")
                    self.lines.append(f"{name} = {code.text}")
                    code = atom(name)
                self.code[node] = code
        return self.code[e]

    def c(self, e: Expr) -> Code:
        return self.code[e]

    def _node(self, e: Expr) -> Code:
        rule = NODE_CODE.get(type(e))
        if rule is None:
            raise MatcalcError(f"cannot generate NumPy code for {type(e).__name__}")
        return rule(self, e)


def _is_cheap(e: Expr) -> bool:
    """Leaves, and −x or xᵀ of a leaf: a temporary would cost more reading than it saves."""
    if isinstance(e, (Var, Const)):
        return True
    if isinstance(e, Transpose):
        return isinstance(e.arg, Var)
    return (isinstance(e, MatMul) and len(e.factors) == 2 and isinstance(e.factors[0], Const)
            and isinstance(e.factors[1], Var))


def _is_chain_special(e: Expr) -> bool:
    """Factors a product applies without forming them: A⁻¹, A⁻ᵀ, diag(v)."""
    return isinstance(e, (Inverse, DiagMat)) or (isinstance(e, Transpose) and isinstance(e.arg, Inverse))


FLOAT64_MAX = Fraction(sys.float_info.max)


# -- per-node code ---------------------------------------------------------------------
def _const(value: Fraction) -> Code:
    if abs(value) > FLOAT64_MAX:  # NumPy would raise OverflowError where the code runs
        digits = len(str(abs(value.numerator // value.denominator)))
        raise UnsupportedError(f"a number of {digits} digits in the result is beyond the float64 range "
                               "(about 1.8e308), so NumPy code cannot hold it")
    if value < 0 and (value.denominator == 1 or float(value) == value):
        return _minus(_const(-value))
    if value.denominator == 1:
        return atom(str(value.numerator))
    if float(value) == value:  # exactly representable: 0.5, 0.25
        return atom(repr(float(value)))
    return Code(f"{value.numerator} / {value.denominator}", MUL)


def _is_broadcast(e: Expr) -> bool:
    """s·𝟙: numpy broadcasting does this when another operand has the full shape."""
    return isinstance(e, Ones) or (isinstance(e, MatMul) and any(isinstance(f, Ones) for f in e.factors)
                                   and all(f.is_scalar or isinstance(f, Ones) for f in e.factors))


def _broadcast_scalar(em: _Emitter, e: Expr) -> Code:
    scalars = [f for f in (e.factors if isinstance(e, MatMul) else ()) if f.is_scalar]
    if not scalars:
        return atom("1.0")
    return _scale(em, scalars, None)


def _scale(em: _Emitter, scalars: list[Expr], rest: Code | None) -> Code:
    """c · a · b⁻¹ · rest, written `c * a * rest / b`; a negative constant becomes a
    leading minus."""
    negative = False
    numerators: list[Code] = []
    denominators: list[Code] = []
    for s in scalars:
        if isinstance(s, Const) and s.value < 0:
            negative = not negative
            if s.value != -1:
                numerators.append(_const(-s.value))
        elif isinstance(s, HPow) and s.p == -1:
            denominators.append(em.c(s.arg))
        else:
            numerators.append(em.c(s))
    if rest is not None:
        numerators.append(rest)
    body = _product(numerators) if numerators else atom("1")
    if denominators:
        body = Code(" / ".join([body.at(MUL)] + [d.at(MUL + 1) for d in denominators]), MUL)
    return _minus(body) if negative else body


def _minus(body: Code) -> Code:
    """−body.  −(a * b) and (−a) * b are equal, so a product needs no parentheses; but
    the minus then binds only its first operand, and the whole text is a product, at MUL."""
    return Code("-" + body.at(MUL), MUL if body.prec == MUL else UNARY, negated=body)


def _negate(code: Code) -> Code:
    """−code, without a double minus."""
    return code.negated if code.negated is not None else _minus(code)


def _product(codes: list[Code]) -> Code:
    if len(codes) == 1:
        return codes[0]
    return Code(" * ".join(c.at(MUL + 1) if i else c.at(MUL) for i, c in enumerate(codes)), MUL)


def _add(em: _Emitter, e: Add) -> Code:
    full = [t for t in e.terms if not _is_broadcast(t)]
    out = ""
    for t in e.terms:
        code = _broadcast_scalar(em, t) if full and _is_broadcast(t) else (
            em.c(t) if not _is_broadcast(t) else _standalone_broadcast(em, t))
        if out and code.negated is not None:
            out += " - " + code.negated.at(MUL)
        elif out:
            out += " + " + code.at(MUL)
        else:
            out = code.at(ADD)
    return Code(out, ADD)


def _standalone_broadcast(em: _Emitter, e: Expr) -> Code:
    ones = atom(f"np.ones({em.shape(e)}{em.dtype()})")
    scalars = [f for f in (e.factors if isinstance(e, MatMul) else ()) if f.is_scalar]
    return _scale(em, scalars, ones) if scalars else ones


def _hadamard(em: _Emitter, e: Hadamard) -> Code:
    kept = [f for f in e.factors if not isinstance(f, Ones)]
    if not kept:
        return _standalone_broadcast(em, Ones((e.rows, e.cols)))
    # A step factor is a mask: multiplying by a boolean array is cheaper than heaviside.
    return _product([Code(f"({em.c(f.arg).text} > 0)", ATOM)
                     if isinstance(f, Apply) and f.fn == "step" and len(kept) > 1 else em.c(f)
                     for f in kept])


def _transpose(em: _Emitter, e: Transpose) -> Code:
    if e.arg.is_scalar or (not em.two_d and (e.arg.rows is ONE or e.arg.cols is ONE)):  # vectors are 1-D: a transpose changes nothing
        return em.c(e.arg)
    if isinstance(e.arg, Inverse):
        return atom(f"np.linalg.inv({em.c(e.arg.arg).text}).T")
    return atom(f"{em.c(e.arg).at(ATOM)}.T")


def _hpow(em: _Emitter, e: HPow) -> Code:
    base = em.c(e.arg)
    p = e.p
    if p == Fraction(1, 2):
        return atom(f"np.sqrt({base.text})")
    if p == Fraction(-1, 2):
        return Code(f"1 / np.sqrt({base.text})", MUL)
    if p == -1:
        return Code(f"1 / {base.at(MUL + 1)}", MUL)
    exponent = str(p.numerator) if p.denominator == 1 else repr(float(p))
    return Code(f"{base.at(POWER + 1)} ** {exponent if p >= 0 else '(' + exponent + ')'}", POWER)


def _template(em: _Emitter, row: Elementwise | MatrixFunction, arg: Expr) -> Code:
    """A function's code: its registry row's template (and helper)."""
    if row.helper:
        em.helpers.add(row.code.split("(")[0])
    return atom(row.code.format(em.c(arg).text))


def _call(row: MatrixFunction) -> Callable[[_Emitter, Expr], Code]:
    return lambda em, e: _template(em, row, e.children[0])


def _apply(em: _Emitter, e: Apply) -> Code:
    return _template(em, ELEMENTWISE[e.fn], e.arg)


def _diag_vec(em: _Emitter, e: DiagVec) -> Code:
    """diag(A B) without the n×n product: Σₖ A[i,k] B[k,i] for each i, and a ⊙ b for an
    outer product a bᵀ, so memory stays linear in n."""
    factors = e.arg.factors if isinstance(e.arg, MatMul) else ()
    chain = [f for f in factors if not f.is_scalar]
    if em.two_d or len(chain) < 2 or _is_chain_special(chain[0]):
        return ROW_CODE[DiagVec](em, e)
    # Split after the first column vector (A x zᵀB is the outer product of Ax and zᵀB),
    # else after the first factor.
    split = next((i + 1 for i, f in enumerate(chain[:-1]) if f.cols is ONE), 1)
    left, right = (_chain_code(em, part) for part in (chain[:split], chain[split:]))
    if chain[split - 1].cols is ONE:  # a column times a row: both are 1-D here
        body = Code(f"{left.at(MUL)} * {right.at(MUL + 1)}", MUL)
    else:
        body = atom(f'np.einsum("ij,ji->i", {left.text}, {right.text})')
    scalars = [f for f in factors if f.is_scalar]
    return _scale(em, scalars, body) if scalars else body


def _chain_code(em: _Emitter, factors: list[Expr]) -> Code:
    return em.c(factors[0]) if len(factors) == 1 else em.emit(MatMul(tuple(factors)))


# -- products ----------------------------------------------------------------------------
def _kind(e: Expr) -> str:
    return "scalar" if e.is_scalar else "col" if e.cols is ONE else "row" if e.rows is ONE else "mat"


def _matmul(em: _Emitter, e: MatMul) -> Code:
    scalars = [f for f in e.factors if f.is_scalar]
    chain = [f for f in e.factors if not f.is_scalar]
    if not chain:
        return _scale(em, scalars, None)
    if all(isinstance(f, Ones) for f in chain):
        return _standalone_broadcast(em, e)
    if em.two_d:
        acc = _materialize(em, chain[0])
        for f in chain[1:]:
            acc = _apply_right(em, f, acc, vector=False)
        return _scale(em, scalars, acc) if scalars else acc
    # Split where a column vector meets a row vector: the product is an outer product of
    # the segments (with scalar segments between them scaling it).
    segments: list[list[Expr]] = [[]]
    for i, f in enumerate(chain):
        segments[-1].append(f)
        if f.cols is ONE and i < len(chain) - 1:
            segments.append([])
    values = [_segment(em, s) for s in segments]
    kinds = [_segment_kind(s) for s in segments]
    scalar_codes = [v for v, k in zip(values, kinds) if k == "scalar"]
    vectors = [v for v, k in zip(values, kinds) if k != "scalar"]
    if len(vectors) == 2:
        body: Code | None = atom(f"np.outer({vectors[0].text}, {vectors[1].text})")
    else:
        body = vectors[0] if vectors else None
    if scalar_codes:
        body = _product(([body] if body is not None else []) + scalar_codes)
    return _scale(em, scalars, body) if scalars else body  # type: ignore[return-value]


def _segment_kind(seg: list[Expr]) -> str:
    rows_one, cols_one = seg[0].rows is ONE, seg[-1].cols is ONE
    return "scalar" if rows_one and cols_one else "row" if rows_one else "col" if cols_one else "mat"


def _segment(em: _Emitter, seg: list[Expr]) -> Code:
    """The product of a chain with no column-times-row inside, from the cheap end."""
    if seg[-1].cols is ONE and not seg[0].rows is ONE:
        right_to_left = True
    elif seg[0].rows is ONE:
        right_to_left = False
    else:  # all matrices: start from an end that is an ordinary matrix
        right_to_left = _is_chain_special(seg[0]) and not _is_chain_special(seg[-1])
    if right_to_left:
        seg = seg[::-1]
    apply = _apply_left if right_to_left else _apply_right
    vector = seg[0].cols is ONE if right_to_left else seg[0].rows is ONE
    if _is_chain_special(seg[0]) and len(seg) > 1:
        # Start with the first ordinary factor, so an inverse becomes a solve, not inv().
        first, rest = seg[1], seg[2:]
        acc = (_apply_right if right_to_left else _apply_left)(em, seg[0], _materialize(em, first),
                                                              first.rows is ONE if right_to_left
                                                              else first.cols is ONE)
    else:
        acc, rest = _materialize(em, seg[0]), seg[1:]
    for f in rest:
        acc = apply(em, f, acc, vector)
    return acc


def _materialize(em: _Emitter, f: Expr) -> Code:
    if isinstance(f, Inverse):
        return atom(f"np.linalg.inv({em.c(f.arg).text})")
    return em.c(f)


def _apply_left(em: _Emitter, f: Expr, acc: Code, vector: bool) -> Code:
    """f · acc."""
    if isinstance(f, Inverse):
        return atom(f"np.linalg.solve({em.c(f.arg).text}, {acc.text})")
    if isinstance(f, Transpose) and isinstance(f.arg, Inverse):
        return atom(f"np.linalg.solve({em.c(f.arg.arg).at(ATOM)}.T, {acc.text})")
    if isinstance(f, DiagMat):
        v = em.c(f.arg)
        scale = v.at(MUL) if vector else f"{v.at(ATOM)}[:, None]"
        return Code(f"{scale} * {acc.at(MUL + 1)}", MUL)
    return Code(f"{em.c(f).at(MUL)} @ {acc.at(MUL + 1)}", MUL)


def _apply_right(em: _Emitter, f: Expr, acc: Code, vector: bool) -> Code:
    """acc · f."""
    if isinstance(f, Inverse) or (isinstance(f, Transpose) and isinstance(f.arg, Inverse)):
        transposed = isinstance(f, Transpose)
        a = em.c(f.arg.arg if transposed else f.arg)  # type: ignore[attr-defined]
        # x A⁻¹ = (A⁻ᵀ xᵀ)ᵀ
        matrix = a.text if transposed else f"{a.at(ATOM)}.T"
        if vector:
            return atom(f"np.linalg.solve({matrix}, {acc.text})")
        return atom(f"np.linalg.solve({matrix}, {acc.at(ATOM)}.T).T")
    if isinstance(f, DiagMat):
        return Code(f"{acc.at(MUL)} * {em.c(f.arg).at(MUL + 1)}", MUL)
    return Code(f"{acc.at(MUL)} @ {em.c(f).at(MUL + 1)}", MUL)


def _zero(em: _Emitter, e: Zero) -> Code:
    return atom(f"np.zeros({em.shape(e)}{em.dtype()})") if not e.is_scalar else atom("0.0")


def _differential(em: _Emitter, e: Differential) -> Code:
    raise MatcalcError("a differential dX has no value, so it has no code")


# The matrix functions' code, from their registry rows.
ROW_CODE: dict[type, Callable[[_Emitter, Any], Code]] = {
    node: _call(row) for row in MATRIX_ROWS for node in row.nodes}

# The node argument is Any: each row receives only its own node type.
NODE_CODE: dict[type, Callable[[_Emitter, Any], Code]] = {
    Var: lambda em, e: atom(em.params[e.name]),
    Const: lambda em, e: _const(e.value),
    Pi: lambda em, e: atom("np.pi"),
    Identity: lambda em, e: atom(f"np.eye({em.dim(e.n)}{em.dtype()})"),
    Ones: _standalone_broadcast,
    Zero: _zero,
    MatMul: _matmul,
    Add: _add,
    Hadamard: _hadamard,
    Transpose: _transpose,
    MatPow: lambda em, e: atom(f"np.linalg.matrix_power({em.c(e.arg).text}, {e.k})"),
    HPow: _hpow,
    # np.power, not **: a negative float to a fractional power is nan there, complex in Python
    Pow: lambda em, e: atom(f"np.power({em.c(e.base).text}, {em.c(e.exponent).text})"),
    Apply: _apply,
    **ROW_CODE,  # Trace, Inverse, Softmax, …
    DiagVec: _diag_vec,  # the registry's np.diag, except of a product (memory linear in n)
    Differential: _differential,
}


# -- modules -----------------------------------------------------------------------------
def parameter_names(variables: Sequence[Var]) -> dict[str, str]:
    """matcalc name → Python parameter name, unique and safe."""
    out: dict[str, str] = {}
    for v in variables:
        out[v.name] = python_name(v.name, out.values())
    return out


def _shape_doc(v: Var) -> str:
    shape = external_shape(v.rows, v.cols)
    return "()" if not shape else "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def function_source(name: str | None, roots: Sequence[Expr | Tensor], variables: Sequence[Var],
                    summary: str, default: str = "f") -> str:
    """A module defining `name(variables...)` that returns the roots' values (a tuple if
    several), computing shared work once.  Without a name, `default` is used, with
    underscores appended until it is no variable's name (f → f_)."""
    params = parameter_names(variables)
    if name is None:
        name = python_name(default, params.values())
    check_function_name(name)
    if name in params.values():
        raise MatcalcError(f"function name {name!r} is also a variable's name")
    em = _Emitter(roots, params, variables)
    results = [em.emit(r) if isinstance(r, Expr) else _tensor(em, r) for r in roots]
    args = ", ".join(params[v.name] for v in variables)
    doc = [summary, "", "Shapes (vectors are 1-D arrays): " + ", ".join(
        f"{params[v.name]}: {_shape_doc(v)}" + (f" (= {v.name})" if params[v.name] != v.name else "")
        for v in variables) + "."]
    statements = _prune(em.lines + ["return " + ", ".join(r.text for r in results)])
    body = [f"    {line}" for line in statements]
    parts = [HELPERS[h] for h in sorted(em.helpers)]
    parts.append(f"def {name}({args}):\n" + _docstring(doc) + "\n".join(body))
    imports = [f"import {module}" for module, used in (("math", "math."), ("numpy as np", "np."))
               if any(used in part for part in parts)]
    if imports:  # (math: erf, which NumPy lacks)
        parts.insert(0, "\n".join(imports))
    return "\n\n\n".join(parts) + "\n"


def _prune(statements: list[str]) -> list[str]:
    """Drop assignments nothing reads (a dimension or temporary only an unused branch
    asked for), so the code is lint-clean."""
    while True:
        for i, line in enumerate(statements[:-1]):
            assignment = re.match(r"([A-Za-z_]\w*) = ", line)
            if assignment is None:  # an in-place update (`view[...] += term`) always stays
                continue
            target = assignment.group(1)
            if not any(re.search(rf"\b{re.escape(target)}\b", later) for later in statements[i + 1:]):
                del statements[i]
                break
        else:
            return statements


def _tensor(em: _Emitter, t: Tensor) -> Code:
    """An array in index notation: zeros, then each term added by one einsum into the view
    its deltas select (a diagonal of the result, never a delta array)."""
    terms = plans(t)
    uses: dict[Expr, int] = {}
    for plan in terms:
        for e in plan.entries:
            uses[e] = uses.get(e, 0) + 1
    operand: dict[Expr, Code] = {}

    def value(e: Expr) -> Code:
        # An inverse used by several terms is computed once (products would solve instead).
        if e not in operand:
            code = em.emit(e)
            if uses[e] > 1 and code.text.startswith("np."):
                name = em._fresh("t")
                em.lines.append(f"{name} = {code.text}")
                code = atom(name)
            operand[e] = code
        return operand[e]

    name = em._fresh("d")
    em.lines.append(f"{name} = np.zeros({em.shape_of_dims(t.dims)}{em.dtype()})")
    for plan in terms:
        codes: list[Code] = [_const(abs(plan.coefficient))] if abs(plan.coefficient) != 1 else []
        codes += [em.emit(f) for f in plan.scalars]
        if plan.entries:
            operands = [value(e) for e in plan.entries]
            if len(operands) == 1 and plan.spec == plan.present:
                term = operands[0]
            else:
                term = atom(f'np.einsum("{plan.spec}->{plan.present}", {", ".join(o.text for o in operands)})')
            if plan.present != plan.reps:  # constant along the free indices it lacks
                term = atom(term.at(ATOM) + "[" + ", ".join(":" if ch in plan.present else "None"
                                                           for ch in plan.reps) + "]")
            codes.append(term)
        body = _product(codes) if codes else atom("1.0")
        view = f'np.einsum("{plan.target}->{plan.reps}", {name})[...]' if plan.target != plan.reps else name
        em.lines.append(f"{view} {'-=' if plan.coefficient < 0 else '+='} {body.text}")
    return atom(name)


def statements(assignments: Sequence[tuple[str, str, Expr]], names: Mapping[str, str],
               two_d: bool = True) -> list[str]:
    """`target op code` lines computing each expression in turn.  Ops: `=`, `+=`, `*=`;
    `=out` for `f(v)` computed into the array of the variable v, which nothing after reads;
    `=out NAME` for a product of two factors computed into the array NAME; `=mask` for
    step(v) as the boolean `v > 0`;
    `names` maps every variable the expressions use to the Python name holding its value."""
    em = _Emitter([e for _, _, e in assignments], names, [], two_d=two_d)
    for target, op, e in assignments:
        if op == "*=" and isinstance(e, Apply) and e.fn == "step":
            # Multiplying by a boolean mask in place needs no array of floats.
            em.lines.append(f"{target} *= {em.emit(e.arg).text} > 0")
        elif op == "=out" and isinstance(e, Apply) and isinstance(e.arg, Var):
            em.lines.append(f"{target} = {IN_PLACE_CODE[e.fn].format(names[e.arg.name])}")
        elif op.startswith("=out ") and isinstance(e, MatMul) and len(e.factors) == 2:
            left, right = (em.emit(f).text for f in e.factors)
            em.lines.append(f"{target} = np.matmul({left}, {right}, out={op[5:]})")
        elif op == "=mask" and isinstance(e, Apply) and e.fn == "step":
            em.lines.append(f"{target} = {em.emit(e.arg).text} > 0")
        else:
            em.lines.append(f"{target} {op} {em.emit(e).text}")
    return em.lines


def _docstring(lines: list[str]) -> str:
    text = "\n".join(f"    {line}" if line else "" for line in lines).replace("\\", "\\\\").replace('"""', r'\"\"\"')
    return f'    """{text.lstrip()}\n    """\n'
