"""Generated NumPy code (Derivative.numpy_source): right values, safe names, no dense waste.

Each generated module runs in a namespace of its own (it must import numpy itself), and its
results are compared, shape first, with central differences and with matcalc's evaluator.
"""

from __future__ import annotations

import textwrap
import tracemalloc
import unicodedata

import numpy as np
import pytest
from expression_strategy import ONE, declared_shapes, expressions, variable_and_shapes
from generated import assert_ruff_clean, needs_ruff, run_without_matcalc
from fd import assert_close, central_difference, draw, random_arrays, rejecting_undefined
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st
from identities_table import ROWS, Row
from test_identities import SIZES, declared, draw_arrays

import matcalc
from matcalc.errors import ShapeError, UndefinedValueError


def load(source: str, name: str):
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 — our own output
    return namespace[name]


def ascii_name(name: str) -> str:
    """ω → omega, independently of matcalc: from the Unicode character names (which
    spell λ "LAMDA")."""
    def spell(ch: str) -> str:
        words = unicodedata.name(ch).split()
        word = words[-1].lower().replace("lamda", "lambda")
        return word.capitalize() if "CAPITAL" in words else word

    return "".join(spell(ch) if ord(ch) > 127 else ch for ch in name)


def call(fn, arrays: dict):
    """Call a generated function with arrays keyed by matcalc names."""
    import inspect

    params = inspect.signature(fn).parameters
    by_ascii = {ascii_name(k): v for k, v in arrays.items()}
    return fn(**{p: by_ascii[p.rstrip("_")] for p in params})


ROW_PARAMS = [pytest.param(row, id=row.id) for row in ROWS]


@pytest.mark.parametrize("row", ROW_PARAMS)
def test_generated_value_and_gradient_match(row: Row):
    d = matcalc.derive(row.expr, wrt=row.wrt, shapes=declared(row))
    f = matcalc.parse(row.expr, shapes=declared(row))
    source = d.numpy_source(name="both", value=True)
    both = load(source, "both")
    gradient_only = load(d.numpy_source(name="g"), "g")
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        value, gradient = call(both, arrays)
        what = f"{row.id} draw {index}:\n{source}"
        assert_close(value, f.evaluate(**arrays), what=what)
        assert_close(gradient, d.evaluate(**arrays), what=what)
        assert_close(call(gradient_only, arrays), gradient, what=what)


SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(text=expressions((ONE, ONE), depth=3), choice=st.integers(0, 10), seed=st.integers(0, 2**16))
@rejecting_undefined
def test_random_generated_gradients_match_finite_differences(text, choice, seed):
    wrt, shapes = variable_and_shapes(text, choice)
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    f = matcalc.parse(text, shapes=shapes)
    fn = load(d.numpy_source(name="g"), "g")
    arrays = random_arrays(shapes, {"m": 3, "n": 4, "p": 2}, seed)
    value = f.evaluate(**arrays)
    assume(np.all(np.isfinite(value)) and abs(value) < 1e6)
    expected = central_difference(lambda a: f.evaluate(**a), arrays, wrt)
    with np.errstate(all="ignore"):
        actual = call(fn, arrays)
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape, d.numpy_source(name="g")
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * scale,
                               err_msg=f"∂({text})/∂{wrt} = {d}\n{d.numpy_source(name='g')}")


# ── the textbook results, as code ─────────────────────────────────────────────────────────
def test_seed_example_code_is_the_textbook_form():
    source = matcalc.derive("(Xw-y)^T(Xw-y)", wrt="w").numpy_source(value=True)
    assert "t1 = X @ w - y" in source
    assert "return t1 @ t1, 2 * (X.T @ t1)" in source


SQUARE = {"A": ("n", "m"), "X": ("m", "m"), "B": ("m", "n"), "a": ("m",), "b": ("m",)}
RECT = {"u": ("m",), "v": ("m",), "X": ("m", "n"), "w": ("n",), "x": ("n",)}


@pytest.mark.parametrize("expr, wrt, shapes, absent", [
    # An inverse inside a product is a solve.
    ("tr(A*inv(X)*B)", "X", SQUARE, "inv("),
    ("a'inv(X)b", "X", SQUARE, "inv("),
    ("a'inv(X)'b + a'X a", "X", SQUARE, "inv("),
    # A rank-one gradient is an outer product of vectors, never a matrix chain.
    ("u'Xw", "X", RECT, "@"),
    # diag(v) scales rows; the dense diagonal matrix is never built.
    ("u'diag(v)Xw", "X", RECT, "np.diag("),
    ("x'X'diag(v)Xw", "X", RECT, "np.diag("),
])
def test_no_dense_intermediates(expr, wrt, shapes, absent):
    d = matcalc.derive(expr, wrt=wrt, shapes=shapes)
    f = matcalc.parse(expr, shapes=shapes)
    gradient_source = d.numpy_source(name="g")
    assert absent not in gradient_source.split('"""')[-1], gradient_source
    source = d.numpy_source(name="g", value=True)
    for seed, sizes in enumerate([{"m": 4, "n": 3}, {"m": 2, "n": 5}]):
        rng = np.random.default_rng(seed)
        arrays = {name: draw(tuple(sizes[x] for x in shapes[name]), rng,
                             "invertible" if shapes is SQUARE and name == "X" else "real")
                  for name in f.variables}
        value, gradient = call(load(source, "g"), arrays)
        assert_close(value, f.evaluate(**arrays), what=source)
        assert_close(gradient, d.evaluate(**arrays), what=source)


def test_large_diag_product_stays_linear_in_memory():
    """∂(uᵀdiag(v)w)/∂v = diag(uwᵀ) is computed as u ⊙ w: the generated code's peak memory,
    measured, grows like n (a dense diag(v) or the outer product uwᵀ would grow like n²:
    128 MB at n = 4000, where u ⊙ w is 32 kB)."""
    d = matcalc.derive("u'diag(v)w", wrt="v")
    fn = load(d.numpy_source(name="g"), "g")

    def peak_bytes(n: int) -> int:
        rng = np.random.default_rng(0)
        u, v, w = (rng.standard_normal(n) for _ in range(3))
        tracemalloc.start()  # NumPy reports its array buffers to tracemalloc
        try:
            result = fn(u=u, v=v, w=w)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert_close(result, u * w)
        return peak

    small, large = peak_bytes(1000), peak_bytes(4000)
    assert large <= 4 * small + 10_000, (small, large)  # 4 times the size, 4 times the memory
    assert large < 8 * 8 * 4000, large  # a few arrays of n floats


def test_stable_functions_do_not_overflow():
    d = matcalc.derive("sum(log(1 + exp(X*w)))", wrt="w")
    fn = load(d.numpy_source(name="g", value=True), "g")
    X = np.array([[1000.0, 0.0], [-1000.0, 1.0]])
    w = np.array([1.0, 2.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        value, gradient = fn(X=X, w=w)
    assert np.isclose(value, 1000.0 + np.logaddexp(0.0, -998.0))
    assert_close(gradient, X.T @ (1 / (1 + np.exp(-np.clip(X @ w, -500, 500)))))


# ── dtypes: the constants follow the arguments ─────────────────────────────────────────────
@pytest.mark.parametrize("expr, wrt, shapes, kind", [
    ("sum(A*x)", "x", {"A": ("m", "n"), "x": ("n",)}, "ones"),  # Aᵀ𝟙
    ("x", "x", {"x": ("n",)}, "eye"),  # I
    ("A*X*B", "X", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "q")}, "zeros"),  # an einsum tensor
    ("sum(A*x) + x'x", ["x", "x"], {"A": ("m", "n"), "x": ("n",)}, "eye"),  # 2I
])
def test_constants_take_the_arguments_dtype(expr, wrt, shapes, kind):
    d = matcalc.derive(expr, wrt=wrt, shapes=shapes)
    source = d.numpy_source(name="f")
    assert f"np.{kind}(" in source and "dtype=dtype)" in source
    fn = load(source, "f")
    sizes = {"m": 2, "n": 3, "p": 4, "q": 5}
    for dtype, expected in [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64)]:
        args = {name: np.ones([sizes[s] for s in dims], dtype=dtype) for name, dims in shapes.items()}
        result = np.asarray(fn(**args))
        assert result.dtype == expected, (dtype, result.dtype)
        reference = d.evaluate(**{k: v.astype(np.float64) for k, v in args.items()})
        assert result.shape == np.shape(reference)
        assert_close(result.astype(np.float64), reference)


def test_a_variable_named_dtype_keeps_its_name():
    d = matcalc.derive("sum(dtype*x)", wrt="x", shapes={"dtype": ("m", "n"), "x": ("n",)})
    source = d.numpy_source(name="f")
    assert "def f(dtype, x):" in source and "dtype1 = np.result_type(dtype, x, 1.0)" in source
    fn = load(source, "f")
    A = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    result = fn(dtype=A, x=np.ones(3, np.float32))
    assert result.dtype == np.float32 and np.array_equal(result, A.sum(axis=0))


# ── names ─────────────────────────────────────────────────────────────────────────────────
def test_hostile_declared_names_are_renamed():
    shapes = {"lambda": (), "np": ("n",), "print": (), "x": ("n",), "t1": ("n",)}
    d = matcalc.derive("lambda*sum(np) + print*x't1 + (x+t1)'(x+t1)", wrt="np", shapes=shapes)
    source = d.numpy_source(value=True)
    assert "def grad_np_(lambda_, np_, print_, x, t1):" in source
    fn = load(source, "grad_np_")
    rng = np.random.default_rng(3)
    x, t1, npv = rng.standard_normal((3, 4))
    value, gradient = fn(lambda_=2.0, np_=npv, print_=3.0, x=x, t1=t1)
    assert np.isclose(value, 2 * npv.sum() + 3 * x @ t1 + (x + t1) @ (x + t1))
    assert_close(gradient, np.full(4, 2.0))


def test_greek_names_are_ascii_in_code():
    source = matcalc.derive("(Xω-y)^T(Xω-y)", wrt="ω").numpy_source()
    assert "def grad_omega(X, omega, y):" in source
    assert source.isascii() is False  # the docstring keeps the formula as printed
    code_lines = [line for line in source.splitlines() if not line.strip().startswith(('"""', "∂", "Shapes"))]
    assert all(line.isascii() for line in code_lines if "=" in line or "return" in line)


@pytest.mark.parametrize("name", ["class", "np", "print", "x y", "__import__", "1f", "", 3])
def test_bad_function_names_are_refused(name):
    with pytest.raises(matcalc.MatcalcError, match="function name"):
        matcalc.derive("x'x", wrt="x").numpy_source(name=name)


def test_same_input_gives_identical_code():
    texts = {matcalc.derive("½‖y − W₂σ(W₁x)‖²", wrt="W1").numpy_source(value=True) for _ in range(3)}
    assert len(texts) == 1


def test_expression_source_computes_the_function():
    e = matcalc.parse("logsumexp(Ax) - sum(softmax(x))")
    fn = load(e.numpy_source(name="f"), "f")
    rng = np.random.default_rng(1)
    A, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    assert_close(fn(A=A, x=x), e.evaluate(A=A, x=x))


# ── embedding: the module works where matcalc cannot be imported ────────────────────────
def test_generated_module_runs_without_matcalc(tmp_path):
    d = matcalc.derive("sum(log(1 + exp(-y .* (X*w)))) + a*w'w", wrt="w")
    (tmp_path / "logistic_grad.py").write_text(d.numpy_source(name="gradient", value=True), encoding="utf-8")
    script = textwrap.dedent("""
        import numpy as np
        from logistic_grad import gradient
        rng = np.random.default_rng(5)
        X, y, w, a = rng.standard_normal((6, 3)), rng.choice([-1.0, 1.0], 6), rng.standard_normal(3), 0.3
        def f(w):
            return np.sum(np.log1p(np.exp(-y * (X @ w)))) + a * w @ w
        value, g = gradient(y=y, X=X, w=w, a=a)
        h = 1e-6
        fd = np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(3)])
        assert g.shape == (3,) and np.isclose(value, f(w)), (g.shape, value)
        assert np.allclose(g, fd, rtol=1e-6, atol=1e-8), (g, fd)
        print("ok")
    """)
    assert run_without_matcalc(script, tmp_path).strip() == "ok"


@needs_ruff
def test_generated_code_passes_ruff(tmp_path):
    cases = [("(Xw-y)^T(Xw-y)", "w"), ("tr(A*inv(X)*B)", "X"), ("½‖y − W₂σ(W₁x)‖²", "W1"),
             ("logsumexp(Ax) - y'Ax", "A"), ("lambda*sum(np)", "np"), ("u'diag(v)Xw", "X")]
    shapes = {"tr(A*inv(X)*B)": {"A": ("n", "m"), "X": ("m", "m"), "B": ("m", "n")},
              "lambda*sum(np)": {"lambda": (), "np": ("n",)}}
    for i, (expr, wrt) in enumerate(cases):
        d = matcalc.derive(expr, wrt=wrt, shapes=shapes.get(expr))
        (tmp_path / f"g{i}.py").write_text(d.numpy_source(value=True), encoding="utf-8")
    assert_ruff_clean(tmp_path)


# ── Jacobians, Hessians and tensors as code ──────────────────────────────────────────────
JACOBIAN_ROWS = [pytest.param(row, id=row.id) for row in __import__("jacobians_table").ROWS]


@pytest.mark.parametrize("row", JACOBIAN_ROWS)
def test_generated_jacobians_and_hessians_match(row):
    from test_jacobians import SIZES as JSIZES
    from test_jacobians import draw_arrays as jdraw

    d = matcalc.derive(row.expr, wrt=list(row.wrt), shapes=row.shapes)
    source = d.numpy_source(name="g")
    fn = load(source, "g")
    for index in range(len(JSIZES)):
        arrays = jdraw(row, index)
        with np.errstate(all="ignore"):
            actual = call(fn, arrays)
        assert_close(actual, d.evaluate(**arrays), what=f"{row.id} draw {index}:\n{source}")


def test_tensor_code_uses_einsum_into_diagonals_and_computes_inverses_once():
    source = matcalc.derive("inv(X)", wrt="X").numpy_source()
    assert source.count("np.linalg.inv(X)") == 1, source
    source = matcalc.derive("X*w", wrt="X").numpy_source()
    assert 'np.einsum("aab->ab", d1)[...] += w[None, :]' in source, source
    assert "def derivative_X(X, w):" in source
    assert "def hessian_x(x, A):" in matcalc.derive("x'Ax", wrt=["x", "x"]).numpy_source()


@pytest.mark.parametrize("text, shapes", [
    ("__import__('os').system('touch matcalc-pwned')", None),
    ("sum(__class__)", {"__class__": ("n",)}),
    ("exec('1')", None),
])
def test_code_in_the_input_never_reaches_generated_code(text, shapes, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(matcalc.MatcalcError):
        matcalc.derive(text, wrt="x", shapes=shapes).numpy_source()
    assert not (tmp_path / "matcalc-pwned").exists()


def test_names_that_are_builtins_are_renamed_not_called():
    shapes = {"exec": ("n",), "eval": ("n",), "os": ("n",)}
    source = matcalc.derive("sum(exec) + eval'os", wrt="exec", shapes=shapes).numpy_source(value=True)
    assert "def grad_exec_(exec_, eval_, os):" in source
    value, gradient = load(source, "grad_exec_")(exec_=np.ones(3), eval_=np.arange(3.0), os=np.ones(3))
    assert value == 6.0 and np.array_equal(gradient, np.ones(3))


# ── precedence: random expressions with negations and divisions in every operand ─────────
# Square sizes make a misread chain compute wrong numbers instead of failing on shapes.
CODE_SHAPES = [(ONE, ONE), ("n", ONE), (ONE, "n"), ("m", "n"), ("n", "n")]
CODE_SIZES = [{"m": 3, "n": 3, "p": 3}, {"m": 3, "n": 4, "p": 2}]
CODE_SETTINGS = settings(SETTINGS, max_examples=300)


def assert_code_matches(fn, source: str, expected_of, arrays_of, what: str) -> None:
    """Run generated code at each size and compare with matcalc's evaluator; a draw where
    the evaluator finds no finite value, or a value too large to compare, is skipped."""
    compared = 0
    for sizes in CODE_SIZES:
        arrays = arrays_of(sizes)
        try:
            expected = expected_of(arrays)
        except UndefinedValueError:
            continue
        expected = [np.asarray(e, float) for e in expected]
        if max((float(np.max(np.abs(e), initial=0.0)) for e in expected), default=0.0) > 1e6:
            continue
        with np.errstate(all="ignore"):
            actual = fn(arrays)
        for a, e in zip(actual, expected):
            a = np.asarray(a, float)
            assert a.shape == e.shape, f"{what}\n{source}"
            scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
            np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-9 * scale, err_msg=f"{what}\n{source}")
        compared += 1
    assume(compared)


def parsed_with_a_value(text: str, shapes):
    """The parsed text; a draw that divides by a constant 0 (`1/(2 - 2)`) is rejected."""
    try:
        return matcalc.parse(text, shapes=shapes)
    except ShapeError as error:
        if "division by zero" in str(error):
            reject()
        raise


@CODE_SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_random_expression_code_matches_evaluate(data, seed):
    shape = data.draw(st.sampled_from(CODE_SHAPES))
    text = data.draw(expressions(shape, depth=4, signed=True))
    shapes = declared_shapes(text)
    f = parsed_with_a_value(text, shapes)
    source = f.numpy_source(name="f")
    fn = load(source, "f")
    assert_code_matches(lambda arrays: [call(fn, arrays)], source,
                        lambda arrays: [f.evaluate(**arrays)],
                        lambda sizes: random_arrays(shapes, sizes, seed), text)


@CODE_SETTINGS
@given(data=st.data(), choice=st.integers(0, 10), seed=st.integers(0, 2**16))
@rejecting_undefined  # a draw defined nowhere, 1 ./ (x' − x'), has no derivative to generate
def test_random_derivative_code_with_value_matches_evaluate(data, choice, seed):
    shape = data.draw(st.sampled_from(CODE_SHAPES))
    text = data.draw(expressions(shape, depth=3, signed=True))
    wrt, shapes = variable_and_shapes(text, choice)
    f = parsed_with_a_value(text, shapes)
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    source = d.numpy_source(name="g", value=True)
    fn = load(source, "g")
    assert_code_matches(lambda arrays: call(fn, arrays), source,
                        lambda arrays: [f.evaluate(**arrays), d.evaluate(**arrays)],
                        lambda sizes: random_arrays(shapes, sizes, seed), f"∂({text})/∂{wrt} = {d}")
