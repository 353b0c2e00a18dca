"""SymPy interop, checked by value both ways.

- to_sympy: for every row of the identity table, the function and its derivative are
  translated to SymPy, the MatrixSymbols replaced by random explicit matrices, and the
  SymPy value must equal matcalc's `evaluate` (shape and numbers);
- from_sympy: SymPy-built expressions read into matcalc evaluate to SymPy's own value;
- to_sympy → from_sympy keeps the value of every row (and of its derivative);
- unsupported nodes, bad names and shapes, and a missing SymPy are MatcalcErrors.
SymPy's explicit evaluation is slow, so sizes stay within 2–4 (m ≠ n ≠ p).
"""

from __future__ import annotations

import functools
import operator
import subprocess
import sys
import zlib

import numpy as np
import pytest
from fd import assert_close, central_difference, draw
from identities_table import ROWS, Row

import matcalc
from matcalc import expr as nodes
from matcalc.api import Expression
from matcalc.evaluator import evaluate as evaluate_node
from matcalc.functions import ELEMENTWISE
from matcalc.sympy_bridge import INSTALL_HINT, _ToSympy

sp = pytest.importorskip("sympy")

SIZES = [
    {"m": 3, "n": 2, "p": 4, "k": 2, "q": 3},
    {"m": 2, "n": 4, "p": 3, "k": 3, "q": 2},
]
ROW_PARAMS = [pytest.param(row, id=row.id) for row in ROWS]


# ── helpers ────────────────────────────────────────────────────────────────────────────
def draw_arrays(row: Row, index: int) -> dict:
    rng = np.random.default_rng([zlib.crc32(row.id.encode()), index, 7])
    out = {}
    for name, shape in sorted(row.shapes.items()):
        dims = tuple(d if isinstance(d, int) else SIZES[index][d] for d in shape)
        domain = row.domains.get(name, "real")
        value = draw(dims, rng, "real" if domain == "nonzero" else domain)
        if domain == "nonzero":  # away from the kinks of abs and norm1
            value = np.asarray(value) + 0.25 * np.where(np.asarray(value) >= 0, 1.0, -1.0)
            value = float(value) if dims == () else value
        out[name] = value
    return out


def explicit(e, memo: dict):
    """The value of a SymPy expression whose symbols are all numbers, bottom-up, each
    distinct subtree once (`doit` alone leaves e.g. tr(𝟙ᵀA) unevaluated)."""
    if isinstance(e, sp.MatrixBase) or not e.args:
        return e
    if e not in memo:
        args = [explicit(a, memo) for a in e.args]
        if isinstance(e, (sp.MatMul, sp.MatAdd)):  # explicit operands: SymPy's own * and +
            value = functools.reduce(operator.mul if isinstance(e, sp.MatMul) else operator.add, args)
        else:
            value = e.func(*args).doit(deep=False)
        memo[e] = value.as_explicit() if isinstance(value, sp.MatrixExpr) else value
    return memo[e]


def sympy_value(e, arrays: dict, known: dict | None = None):
    """SymPy's value of `e` for the arrays (vectors as n×1): a 2-D array, or a float."""
    sizes = dict(known or {})
    for s in e.atoms(sp.MatrixSymbol):
        value = np.asarray(arrays[s.name], dtype=float)
        for dim, size in zip(s.shape, value.reshape(-1, 1).shape if value.ndim < 2 else value.shape):
            if isinstance(dim, sp.Symbol):
                assert sizes.setdefault(dim.name, size) == size, (s, dim)
    numbers = {s: sp.Integer(sizes[s.name]) if s.is_integer else sp.Float(arrays[s.name])
               for s in e.atoms(sp.Symbol) if not isinstance(s, sp.Dummy)}
    numbers.update({s: sp.ImmutableMatrix(np.asarray(arrays[s.name], dtype=float).reshape(
        tuple(int(d.xreplace(numbers)) for d in s.shape)).tolist())
        for s in e.atoms(sp.MatrixSymbol)})
    value = explicit(e.xreplace(numbers), {})
    return np.array(value.tolist(), dtype=float) if isinstance(value, sp.MatrixBase) else float(value)


def declared(row: Row):
    return row.shapes if row.declare else None


def known_sizes(d: matcalc.Derivative, arrays: dict) -> dict:
    """Dimension sizes that no MatrixSymbol may fix (∂tr X/∂X = I): from the variable."""
    return {dim: size for dim, size in zip(d.shape, np.shape(arrays[d.wrt[0]])) if isinstance(dim, str)}


def assert_same(e: Expression, s, arrays: dict, what: str, known: dict | None = None,
                scalar_as_matrix: bool = False) -> None:
    """SymPy's value of `s` is the value of `e`, in the same orientation: a scalar is a
    SymPy scalar (or a 1×1 matrix, if `scalar_as_matrix`), a vector n×1, a row vector 1×n,
    a matrix m×n."""
    expected = np.asarray(e.evaluate(**arrays))
    actual = sympy_value(s, arrays, known)
    if expected.ndim == 0 and scalar_as_matrix and not isinstance(actual, float):
        expected = expected.reshape(1, 1)
    elif expected.ndim == 0:
        assert isinstance(actual, float), f"{what}: SymPy value {actual} is not a scalar"
    elif expected.ndim == 1:
        expected = expected[None, :] if e.node.rows is nodes.ONE else expected[:, None]
    try:
        assert_close(actual, expected, what=what)
    except AssertionError as failure:  # SymPy prints slowly: only on failure
        raise AssertionError(f"{failure}\nSymPy: {s}") from None


def translated(row: Row) -> tuple[Expression, matcalc.Derivative, object, object]:
    """The row's function and derivative, and their SymPy forms (shared by two tests)."""
    return _translated(row.id)


@functools.cache
def _translated(row_id: str) -> tuple[Expression, matcalc.Derivative, object, object]:
    (row,) = [r for r in ROWS if r.id == row_id]
    f = matcalc.parse(row.expr, shapes=declared(row))
    d = matcalc.derive(row.expr, wrt=row.wrt, shapes=declared(row))
    return f, d, f.to_sympy(), d.to_sympy()


# ── to_sympy: the value of every identity and its derivative ───────────────────────────
@pytest.mark.parametrize("row", ROW_PARAMS)
def test_to_sympy_has_the_value_of_function_and_derivative(row: Row):
    f, d, sf, sd = translated(row)
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        assert_same(f, sf, arrays, f"{row.id} draw {index}")
        assert_same(d, sd, arrays, f"{row.id} draw {index}: d = {d}", known_sizes(d, arrays))


# Every node type, including those SymPy has no class for (written by their definition).
N, M, S = ("n",), ("m",), ()
MN, NN, NM = ("m", "n"), ("n", "n"), ("n", "m")
NODE_CASES = [
    ("diag(x) A", {"x": N, "A": NM}, {}),
    ("diag(A)", {"A": NN}, {}),
    ("softmax(x)", {"x": N}, {}),
    ("logsumexp(A x)", {"A": MN, "x": N}, {}),
    ("norm1(A)", {"A": MN}, {}),
    ("‖A‖ + ‖x‖", {"A": MN, "x": N}, {}),
    ("sum(A) + sum(x)", {"A": MN, "x": N}, {}),
    ("A^3", {"A": NN}, {}),
    ("A.^3 + A ⊙ B", {"A": MN, "B": MN}, {}),
    ("A.^0.5 ./ B", {"A": MN, "B": MN}, {"A": "positive", "B": "positive"}),
    ("I + A", {"A": NN}, {}),
    ("𝟙 + x", {"x": N}, {}),
    ("exp(x) + 1", {"x": N}, {}),
    ("inv(A) Aᵀ + (Aᵀ)^-1", {"A": NN}, {"A": "invertible"}),
    ("det(A) A", {"A": NN}, {}),
    ("xᵀA", {"x": M, "A": MN}, {}),
    ("x / a", {"x": N, "a": S}, {}),
    ("xᵀy x + (yᵀx)x", {"x": N, "y": N}, {}),
    ("xᵀ(yᵀx)", {"x": N, "y": N}, {}),
    ("tr(a) + det(a) + logdet(a) + ‖a‖ + sum(a) + norm1(a) + inv(a)", {"a": S}, {"a": "positive"}),
    ("sin(a) x + cos(a)", {"a": S, "x": N}, {}),
    ("Xw + 𝟙", {"X": (3, "n"), "w": N}, {}),
    ("Aᵀ B", {"A": (2, 3), "B": (2, 3)}, {}),
]


@pytest.mark.parametrize("text, shapes, domains", NODE_CASES, ids=[c[0] for c in NODE_CASES])
def test_every_node_type_translates_by_value(text, shapes, domains):
    e = matcalc.parse(text, shapes=shapes)
    s = e.to_sympy()
    back = matcalc.from_sympy(s)
    row = Row(text, text, "", shapes, domains)
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        assert_same(e, s, arrays, f"{text} draw {index}")
        assert_close(back.evaluate(**arrays), e.evaluate(**arrays), what=f"{text} → {back}")


def test_every_node_type_has_a_rule():
    node_types = {c for c in vars(nodes).values()
                  if isinstance(c, type) and issubclass(c, nodes.Expr) and c is not nodes.Expr}
    # dX has no value; entries and deltas live only inside index notation, which to_sympy
    # refuses as a whole (it has no SymPy matrix-expression form).
    missing = node_types - set(_ToSympy(sp).rules) - {nodes.Differential, nodes.Entry, nodes.Delta}
    assert not missing, f"no to_sympy rule for {sorted(c.__name__ for c in missing)}"


@pytest.mark.parametrize("fn", sorted(ELEMENTWISE))
def test_every_elementwise_function_translates_by_value(fn):
    domain = {"log": "positive", "sqrt": "positive", "log1p": "positive", "arcsin": "unit",
              "arccos": "unit", "tan": "unit"}.get(fn, "nonzero")
    row = Row(fn, "", "", {"X": MN, "a": S}, {"X": domain, "a": domain})
    f = Expression(nodes.Add((nodes.Apply(fn, nodes.Var("X", ("m", "n"))),
                              nodes.MatMul((nodes.Apply(fn, nodes.Var("a", (nodes.ONE, nodes.ONE))),
                                            nodes.Ones(("m", "n")))))))
    s = f.to_sympy()
    name = ELEMENTWISE[fn].text
    assert f"{name}(X)" in str(matcalc.from_sympy(s)) and f"{name}(a)" in str(matcalc.from_sympy(s)), \
        "a function matcalc names keeps its name"
    for index in range(len(SIZES)):
        assert_same(f, s, draw_arrays(row, index), f"{fn} draw {index}")


# ── to_sympy → from_sympy keeps the value ─────────────────────────────────────────────
@pytest.mark.parametrize("row", ROW_PARAMS)
def test_round_trip_keeps_the_value(row: Row):
    f, d, sf, sd = translated(row)
    # The variables fix every size, also of results such as I that name none.
    variables = {**nodes.free_vars(f.node), **{v.name: v for v in d._wrt_vars}}
    for e, s in ((f, sf), (d, sd)):
        back = matcalc.from_sympy(s)
        for index in range(len(SIZES)):
            arrays = draw_arrays(row, index)
            assert_close(evaluate_node(back.node, arrays, variables), e.evaluate(**arrays),
                         what=f"{row.id} draw {index}: {e} → {back}")


# ── from_sympy: SymPy-built expressions keep SymPy's value ──────────────────────────────
m_, n_ = sp.symbols("m n", integer=True, positive=True)
X, Y = sp.MatrixSymbol("X", m_, n_), sp.MatrixSymbol("Y", m_, n_)
A, B = sp.MatrixSymbol("A", n_, n_), sp.MatrixSymbol("B", n_, n_)
w, x, y = sp.MatrixSymbol("w", n_, 1), sp.MatrixSymbol("x", n_, 1), sp.MatrixSymbol("y", m_, 1)
a, b = sp.Symbol("a", real=True), sp.Symbol("b")
T = sp.Dummy("t")
SHAPES = {"X": MN, "Y": MN, "A": NN, "B": NN, "w": N, "x": N, "y": M, "a": S, "b": S, "c": S,
          "Z": (3, "n")}
SYMPY_CASES = {
    "least squares": (X * w - y).T * (X * w - y),
    "trace and det": sp.Trace(A * B.T) + sp.Determinant(A) * a,
    "inverse": sp.Inverse(A) * B + A.T,
    "hadamard": sp.HadamardProduct(X, Y) + 3 * X - sp.Rational(1, 2) * Y,
    "identity": X.T * X + a * sp.Identity(n_),
    "matrix powers": sp.MatPow(A, 3) + sp.MatPow(A, -2) + sp.MatPow(A, 0) + sp.MatPow(A, 1),
    "log det": sp.log(sp.Determinant(A)),
    "exp": X.applyfunc(sp.exp),
    "lambda body": X.applyfunc(sp.Lambda(T, sp.exp(T) * T ** 2)),
    "polynomial": X.applyfunc(lambda t: t ** 2 + 3 * t * a - 1),
    "sigmoid": X.applyfunc(lambda t: 1 / (1 + sp.exp(-t))),
    "hadamard powers": sp.HadamardPower(X, 2) + sp.HadamardPower(Y, -1),
    "ones": sp.OneMatrix(1, m_) * X * w,
    "zeros": sp.ZeroMatrix(m_, n_) + X,
    "scalars": sp.Trace(X.T * Y) ** 2 + sp.sin(a) * sp.exp(b) + sp.Float(0.5) * a - sp.sqrt(b ** 2),
    "diag": sp.DiagMatrix(w) * A + sp.DiagMatrix(x.T),
    "frobenius": sp.sqrt(sp.Trace(X.T * X)),
    "bilinear": y.T * X * sp.Inverse(A) * w,
    "scaled vectors": a * X * w + y * b,
    "quadratic": sp.Transpose(x.T * A * x) + x.T * A.T * x,
    "functions": sp.Abs(a) + sp.sign(b) + sp.tanh(a) + sp.cos(b) + sp.log(b ** 2),
    "relu and step": sp.Max(a, 0) + sp.Heaviside(b, 0) + sp.Max(0, b),
    "det of transpose": sp.Determinant(A.T) * sp.Trace(sp.Inverse(A)),
    "abs entrywise": sp.HadamardProduct(X.applyfunc(sp.Abs), Y),
    "1x1 symbol is a scalar": sp.MatrixSymbol("c", 1, 1) + w.T * w,
    "integer dimension": sp.MatrixSymbol("Z", 3, n_) * w,
    "trace of 1x1": sp.Trace(w.T * x) * X + sp.Determinant(y.T * y) * Y,
}
SYMPY_DOMAINS = {"A": "spd", "B": "invertible", "Y": "nonzero", "a": "nonzero", "b": "nonzero"}


@pytest.mark.parametrize("name", list(SYMPY_CASES))
def test_from_sympy_has_sympys_value(name):
    s = SYMPY_CASES[name]
    e = matcalc.from_sympy(s)
    row = Row(name, "", "", SHAPES, SYMPY_DOMAINS)
    for index in range(len(SIZES)):
        assert_same(e, s, draw_arrays(row, index), f"{name} draw {index}: {e}", scalar_as_matrix=True)


def test_from_sympy_reads_diagonal_of():
    e = matcalc.from_sympy(sp.DiagonalOf(A * B))  # SymPy cannot evaluate it explicitly
    rng = np.random.default_rng(3)
    for n in (2, 3):
        arrays = {"A": rng.standard_normal((n, n)), "B": rng.standard_normal((n, n))}
        assert_close(e.evaluate(**arrays), np.diag(arrays["A"] @ arrays["B"]), what=str(e))


@pytest.mark.parametrize("s, wrt", [((X * w - y).T * (X * w - y), "w"), ((X * w - y).T * (X * w - y), "X"),
                                    (sp.log(sp.Determinant(A)) + sp.Trace(A * B), "A"),
                                    (sp.Trace(X.applyfunc(sp.tanh).T * Y), "X")],
                         ids=["ls_w", "ls_X", "logdet", "tanh"])
def test_expression_from_sympy_can_be_derived(s, wrt):
    f = matcalc.from_sympy(s)
    d = matcalc.derive(f, wrt=wrt)
    row = Row(wrt, "", "", SHAPES, {"A": "spd"})
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        assert_close(d.evaluate(**arrays), central_difference(lambda v: f.evaluate(**v), arrays, wrt),
                     what=f"d/d{wrt} {f} = {d}")


def test_from_sympy_gathers_distributed_transposes():
    f = matcalc.from_sympy((X * w - y).T * (X * w - y))  # SymPy holds (wᵀXᵀ − yᵀ)(Xw − y)
    assert str(f) == "(Xw − y)ᵀ(Xw − y)"
    assert str(matcalc.derive(f, wrt="w")) == "2Xᵀ(Xw − y)"


def test_from_sympy_normalizes_subscripts():
    e = matcalc.from_sympy(sp.MatrixSymbol("W_{1}", m_, n_) * sp.MatrixSymbol("x_1", n_, 1))
    assert e.variables == ("W1", "x1") and str(e) == "W₁x₁"


# ── errors ──────────────────────────────────────────────────────────────────────────────
def test_node_without_sympy_counterpart_is_named():
    x_ = nodes.Var("x", ("n", nodes.ONE))
    with pytest.raises(matcalc.UnsupportedError, match="Differential"):
        Expression(nodes.Differential(x_)).to_sympy()
    with pytest.raises(matcalc.UnsupportedError, match="frobnicate"):
        Expression(nodes.Apply("frobnicate", x_)).to_sympy()


UNSUPPORTED = [
    (X[0, 0], "MatrixElement"),
    (sp.KroneckerProduct(X, Y), "KroneckerProduct"),
    (sp.pi * X, "Pi"),
    (a ** b, "Pow"),
    (sp.Heaviside(a), "Heaviside"),
    (sp.Max(a, b), "Max"),
    (sp.MatPow(A, sp.Rational(1, 2)), "MatPow"),
    (sp.I * a, "ImaginaryUnit"),
    (sp.MatrixSymbol("r", 1, n_) * w, "row vector"),
    (sp.MatrixSymbol("Z", n_ + 1, n_), "dimension n \\+ 1"),
    (sp.Symbol("n") * X, "both a dimension and a variable"),
    (sp.DiagonalOf(X), "DiagonalOf"),
    (sp.exp(A), "exp \\(exp\\(A\\)\\) is a matrix function; for exp of each entry write A.applyfunc\\(exp\\)"),
    (sp.sin(A) + sp.log(A), "matrix function"),
    (sp.tanh(A * B), "for tanh of each entry write \\(A\\*B\\).applyfunc\\(tanh\\)"),
    (sp.sign(A), "matrix function"),
    (sp.Pow(A, 2, evaluate=False), "matrix function"),
]


@pytest.mark.parametrize("s, message", UNSUPPORTED, ids=[m for _, m in UNSUPPORTED])
def test_unsupported_sympy_is_named(s, message):
    with pytest.raises(matcalc.UnsupportedError, match=message):
        matcalc.from_sympy(s)


@pytest.mark.parametrize("name", ["x y", "exp", "I", "σ", "2x", "x'", "tr"])
def test_names_that_are_not_matcalc_names_are_rejected(name):
    with pytest.raises(matcalc.MatcalcError, match="not a matcalc variable name"):
        matcalc.from_sympy(sp.MatrixSymbol(name, n_, n_) + A)


SHAPE_ERRORS = [
    (sp.MatMul(X, Y), "cannot multiply X \\(m×n\\) by Y \\(m×n\\)"),
    (sp.Trace(X), "Trace of X \\(m×n\\): not square"),
    (sp.HadamardProduct(X, A), "cannot multiply entrywise X"),
    (sp.MatAdd(X, A), "cannot add"),
    (sp.Inverse(X), "cannot invert X"),
    (sp.Add(X, 1, evaluate=False), "cannot add"),
    (sp.MatMul(sp.MatrixSymbol("A", m_, n_), A), "A appears with two shapes, m×n and n×n"),
]


@pytest.mark.parametrize("s, message", SHAPE_ERRORS, ids=[m[:20] for _, m in SHAPE_ERRORS])
def test_shape_errors_name_operands(s, message):
    with pytest.raises(matcalc.ShapeError, match=message):
        matcalc.from_sympy(s)


@pytest.mark.parametrize("value", ["X*w", np.ones(3), 2.0, None])
def test_from_sympy_wants_a_sympy_expression(value):
    with pytest.raises(matcalc.MatcalcError, match="expects a SymPy expression"):
        matcalc.from_sympy(value)


def test_without_sympy_the_bridge_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)  # `import sympy` now raises ImportError
    e = matcalc.parse("x'x")
    with pytest.raises(matcalc.MatcalcError, match=INSTALL_HINT.replace("[", "\\[").replace("]", "\\]")):
        e.to_sympy()
    with pytest.raises(matcalc.MatcalcError, match="pip install"):
        matcalc.from_sympy(X)


def test_import_matcalc_does_not_need_sympy():
    code = ("import sys; sys.modules['sympy'] = None; import matcalc; "
            "print(matcalc.derive('(Xw-y)^T(Xw-y)', wrt='w'))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "2Xᵀ(Xw − y)"
