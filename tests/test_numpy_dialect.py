"""NumPy-style input (issue 15.5, CONTRACT "Input syntax v2"): `@`, `.T`, `**`, `np.` functions,
NumPy's `*` and `/` in an input that is NumPy code, and σ as a name where no "(" follows it.
Each form is checked against the same computation written in NumPy, and a property reads
random expressions written in both dialects to the same value."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcalc
from expression_strategy import LEAVES, ONE, SHAPES
from fd import assert_close, assert_close_to_fd, central_difference, draw

SIZES = {"m": 3, "n": 4, "p": 2}


def _arrays(shapes: dict, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {name: draw(tuple(SIZES[d] for d in dims), rng) for name, dims in shapes.items()}


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# NumPy code, its shapes, and the same computation in NumPy (the code itself, evaluated)
CODE = [
    ("(X @ w - y).T @ (X @ w - y)", {"X": ("m", "n"), "w": ("n",), "y": ("m",)}),
    ("np.sum((X@w-y)**2)", {"X": ("m", "n"), "w": ("n",), "y": ("m",)}),
    ("x.T @ A @ x", {"x": ("n",), "A": ("n", "n")}),
    ("np.sum(x * y) + 2 * x.T @ x", {"x": ("n",), "y": ("n",)}),
    ("np.sum(A * B) / 2", {"A": ("m", "n"), "B": ("m", "n")}),
    ("np.sum(np.log(1 + np.exp(-y * (X @ w))))", {"X": ("m", "n"), "w": ("n",), "y": ("m",)}),
    ("np.trace(A.T @ B @ A)", {"A": ("n", "m"), "B": ("n", "n")}),
    ("numpy.linalg.norm(A @ x - y)**2", {"A": ("m", "n"), "x": ("n",), "y": ("m",)}),
    ("np.sum(x / (2 + y**2)) * 3", {"x": ("n",), "y": ("n",)}),
    ("-x.T @ x**3", {"x": ("n",)}),
    ("np.sum(np.tanh(W @ x + b) ** 2)", {"W": ("m", "n"), "x": ("n",), "b": ("m",)}),
]


def _numpy_value(code: str, arrays: dict):
    namespace = {"np": np, "numpy": np, **arrays}
    return eval(code, namespace)


@pytest.mark.parametrize("code, shapes", CODE, ids=[c for c, _ in CODE])
def test_numpy_code_reads_as_numpy_computes_it(code, shapes):
    f = matcalc.parse(code, shapes=shapes)
    for seed in range(3):
        arrays = _arrays(shapes, seed)
        assert_close(f.evaluate(**arrays), _numpy_value(code, arrays), code)
        wrt = sorted(shapes)[seed % len(shapes)]
        d = matcalc.derive(code, wrt=wrt, shapes=shapes)
        expected = central_difference(lambda v: _numpy_value(code, v), arrays, wrt)
        assert_close_to_fd(d.evaluate(**arrays), expected, f"∂({code})/∂{wrt}")


def test_undeclared_names_in_numpy_code_follow_use_and_convention():
    d = matcalc.derive("(X @ w - y).T @ (X @ w - y)", wrt="w")
    assert str(d) == str(matcalc.derive("(Xw - y)ᵀ(Xw - y)", wrt="w"))
    assert matcalc.parse("X @ w + b").shapes["b"] == ("m",)  # added to a vector: b is one
    assert matcalc.parse("c * x.T @ x").shapes["c"] == ()  # * scales: the convention stands


def test_star_is_elementwise_only_in_numpy_code():
    shapes = {"x": ("n",), "y": ("n",), "A": ("n", "n")}
    arrays = _arrays(shapes, 0)
    assert_close(matcalc.parse("x.T @ (A * A) @ y", shapes).evaluate(**arrays),
                 arrays["x"] @ (arrays["A"] * arrays["A"]) @ arrays["y"])
    assert_close(matcalc.parse("x'(A * A)y", shapes).evaluate(**arrays),  # not NumPy: a product
                 arrays["x"] @ arrays["A"] @ arrays["A"] @ arrays["y"])


def test_power_chains_read_from_the_right_as_in_python():
    assert matcalc.parse("2**3**2").evaluate() == 2 ** 3 ** 2
    x = np.array([1.5, -2.0])
    assert_close(matcalc.parse("-x**2", {"x": (2,)}).evaluate(x=x), -x ** 2)


def test_numpy_functions_matcalc_lacks_are_named_in_the_error():
    with pytest.raises(matcalc.ParseError, match="np.maximum") as info:
        matcalc.parse("np.sum(np.maximum(x, 0))")
    assert "np.exp" in str(info.value)


def test_sigma_before_a_parenthesis_is_the_sigmoid_and_a_name_elsewhere():
    f = matcalc.parse("‖y − Xw‖²/(2σ²)")
    assert f.shapes["σ"] == ()
    arrays = _arrays({"y": ("m",), "X": ("m", "n"), "w": ("n",)}, 1) | {"σ": 0.7}
    value = lambda v: np.sum((v["y"] - v["X"] @ v["w"]) ** 2) / (2 * v["σ"] ** 2)
    assert_close(f.evaluate(**arrays), value(arrays))
    d = matcalc.derive("‖y − Xw‖²/(2σ²)", wrt="σ")
    assert_close_to_fd(d.evaluate(**arrays), central_difference(value, arrays, "σ"), "∂/∂σ")
    x = np.array([0.3, -1.2, 2.0])
    assert_close(matcalc.parse("sum(σ(x))").evaluate(x=x), np.sum(_sigmoid(x)))
    assert_close(matcalc.parse("sum(σ (x))").evaluate(x=x, σ=2.0), 2 * np.sum(x))  # a product
    assert_close(matcalc.parse("sum(Wσ(x))", {"W": ("m", 3)}).evaluate(x=x, W=np.ones((2, 3))),
                 2 * np.sum(_sigmoid(x)))


def test_the_name_sigma_prints_so_that_it_reads_back():
    f = matcalc.parse("σ*(x + y)")
    assert str(f) == "σ (x + y)"
    arrays = {"σ": 1.5, "x": np.array([1.0, 2.0]), "y": np.array([0.5, 0.25])}
    assert_close(matcalc.parse(str(f)).evaluate(**arrays), f.evaluate(**arrays))


# --- the same random expression in both dialects ------------------------------------------
FUNCTIONS = [("tanh({})", "np.tanh({})"), ("sin({})", "np.sin({})"), ("exp(tanh({}))", "np.exp(np.tanh({}))")]


@st.composite
def pairs(draw_, shape: tuple[str, str], depth: int = 3) -> tuple[str, str]:
    """(plain text, NumPy code) of one random expression of `shape` (rows, cols; "1" absent)."""
    r, c = shape
    leaves = [(n, n) for n in LEAVES.get(shape, [])] + [(n + "ᵀ", n + ".T") for n in LEAVES.get((c, r), [])]
    if leaves and (depth <= 0 or not draw_(st.integers(0, 3))):
        return draw_(st.sampled_from(leaves))
    kinds = ["add", "sub", "hadamard", "scale", "matmul", "transpose", "function", "power",
             "over", "hdiv"] + (["sum", "trace"] if shape == (ONE, ONE) else [])
    kind = draw_(st.sampled_from(kinds)) if depth > 0 else "matmul"

    def sub(s: tuple[str, str]) -> tuple[str, str]:
        return draw_(pairs(s, depth - 1))

    if kind in ("add", "sub", "hadamard"):
        (p, q), (u, v) = sub(shape), sub(shape)
        op = {"add": ("+", "+"), "sub": ("−", "-"), "hadamard": ("⊙", "*")}[kind]
        return f"(({p}) {op[0]} ({u}))", f"(({q}) {op[1]} ({v}))"
    if kind == "scale":
        (p, q), (u, v) = sub((ONE, ONE)), sub(shape)
        return f"(({p})*({u}))", f"(({q}) * ({v}))"
    if kind == "transpose":
        p, q = sub((c, r))
        return f"({p})ᵀ", f"({q}).T"
    if kind == "function":
        plain, code = draw_(st.sampled_from(FUNCTIONS))
        p, q = sub(shape)
        return plain.format(p), code.format(q)
    if kind == "power":
        p, q = sub(shape)
        return f"({p}).^2", f"({q})**2"
    if kind == "over":
        (p, q), (u, v) = sub(shape), sub((ONE, ONE))
        return f"(({p})/(2 + ({u}).^2))", f"(({q}) / (2 + ({v})**2))"
    if kind == "hdiv":
        (p, q), (u, v) = sub(shape), sub(shape)
        return f"(({p}) ./ (2 + ({u}).^2))", f"(({q}) / (2 + ({v})**2))"
    if kind == "sum":
        inner = draw_(st.sampled_from([("n", ONE), ("m", "n"), ("n", "n")]))
        p, q = sub(inner)
        return f"sum({p})", f"np.sum({q})"
    if kind == "trace":
        k = draw_(st.sampled_from(["m", "n"]))
        p, q = sub((k, k))
        return f"tr({p})", f"np.trace({q})"
    # matmul through a dimension k; past the depth through n, where both sides have leaves
    k = draw_(st.sampled_from(["m", "n", "p"])) if depth > 0 else "n"
    (p, q), (u, v) = draw_(pairs((r, k), depth - 1)), draw_(pairs((k, c), depth - 1))
    return f"(({p})({u}))", f"(({q}) @ ({v}))"


@settings(max_examples=60, deadline=None)
@given(pair=pairs(("n", ONE)), seed=st.integers(0, 2**16))
def test_random_numpy_code_reads_as_its_plain_form(pair, seed):
    plain, code = pair
    code = f"({code}).T @ x"  # .T: NumPy code, whatever the drawn part holds
    plain = f"({plain})ᵀx"
    a, b = matcalc.parse(plain, SHAPES), matcalc.parse(code, SHAPES)
    arrays = _arrays(SHAPES, seed)
    assert_close(b.evaluate(**arrays), a.evaluate(**arrays), f"{code} vs {plain}", rtol=1e-10, atol=1e-10)
