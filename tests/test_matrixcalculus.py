"""matrixcalculus.org's language (issue 15.1): its documented examples derive correctly, and
its operators and names read with its meaning: powers whose exponent is an expression (a^b,
x.^y, 2.^x), eye, vector(c), matrix(c).  Every derivative is checked against central
differences in float64 (m ≠ n), its printed text read back, its generated code run."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, assert_close_to_fd, central_difference, draw

import matcalc

SIZES = ({"m": 3, "n": 4}, {"m": 5, "n": 2})
S, N, M, MN, NN = (), ("n",), ("m",), ("m", "n"), ("n", "n")

# (text as on matcalcalculus.org, names to derive by, shapes for the numbers, domains)
EXAMPLES = [
    # its documentation's examples
    ("x'*A*x", ["x", "A"], {"x": N, "A": NN}, {}),
    ("0.5*x'*A*x", ["x"], {"x": N, "A": NN}, {}),
    ("A*exp(x)", ["x", "A"], {"A": MN, "x": N}, {}),
    ("sin(x)'*y", ["x", "y"], {"x": N, "y": N}, {}),
    ("(y.*v)'*x", ["x", "y", "v"], {"x": N, "y": N, "v": N}, {}),
    ("a^b", ["a", "b"], {"a": S, "b": S}, {"a": "positive"}),
    ("norm1(A*x-y)", ["x", "A"], {"A": MN, "x": N, "y": M}, {}),
    ("norm2(A*x-y)^2", ["x", "A", "y"], {"A": MN, "x": N, "y": M}, {}),
    ("sum(log(exp(-y.*(X*w)) + vector(1)))", ["w", "X", "y"], {"X": MN, "w": N, "y": M}, {}),
    ("tr(A*X'*B*X*C)", ["X"], {"A": NN, "X": MN, "B": ("m", "m"), "C": NN}, {}),
    ("log(det(inv(X)))", ["X"], {"X": NN}, {"X": "spd"}),
    # powers whose exponent is an expression
    ("2^a", ["a"], {"a": S}, {}),
    ("(x'*x)^a", ["x", "a"], {"x": N, "a": S}, {}),
    ("a^b^c", ["a", "b", "c"], {"a": S, "b": S, "c": S}, {"a": "positive", "b": "positive"}),
    ("sum(x.^y)", ["x", "y"], {"x": N, "y": N}, {"x": "positive"}),
    ("w'*(2.^x)", ["x"], {"w": N, "x": N}, {}),
    ("sum(X.^a)", ["X", "a"], {"X": MN, "a": S}, {"X": "positive"}),
    ("x.^(y + 1)", ["x", "y"], {"x": N, "y": N}, {"x": "positive"}),
    ("a.^x", ["a", "x"], {"a": S, "x": N}, {"a": "positive"}),
    # eye, vector(c), matrix(c)
    ("x'*eye*x + x'*(A + 2*eye)*x", ["x", "A"], {"x": N, "A": NN}, {}),
    ("vector(3)'*x", ["x"], {"x": N}, {}),
    ("sum(matrix(2) .* X .* X)", ["X"], {"X": MN}, {}),
    ("norm2(X - matrix(0.5))^2", ["X"], {"X": MN}, {}),
    # its other elementwise functions
    ("sum(tan(x/4) + arcsin(x/4) + arccos(x/4) + arctan(x))", ["x"], {"x": N}, {"x": "unit"}),
    ("sum(relu(x) + abs(x) + sign(x) .* x + tanh(x))", ["x"], {"x": N}, {"x": "nonzero"}),
    ("logdet(X)", ["X"], {"X": NN}, {"X": "spd"}),
]
CASES = [pytest.param(text, wrt, shapes, domains, id=f"{text} wrt {wrt}")
         for text, names, shapes, domains in EXAMPLES for wrt in names]


def arrays_for(shapes, domains, index):
    rng = np.random.default_rng(index)
    out = {}
    for name, dims in sorted(shapes.items()):
        domain = domains.get(name, "real")
        value = draw(tuple(SIZES[index][d] for d in dims), rng, "real" if domain == "nonzero" else domain)
        if domain == "nonzero":  # away from the kinks of abs, relu, sign
            value = np.asarray(value) + 0.25 * np.sign(np.asarray(value))
        out[name] = value
    return out


# An undeclared name is not broadcast (CONTRACT.md): as an operand of .^ with a matrix or
# vector it takes that shape, where the tests declare a scalar.
BY_USE = {("sum(X.^a)", "a"): 2, ("a.^x", "a"): 1}


@pytest.mark.parametrize("text, wrt, shapes, domains", CASES)
def test_it_reads_by_the_convention_alone(text, wrt, shapes, domains):
    """matrixcalculus.org gives no shapes: the letter convention (and use) does."""
    convention = matcalc.parse(text)
    assert set(convention.variables) == set(shapes)
    for name, dims in shapes.items():
        assert len(convention.shapes[name]) == BY_USE.get((text, name), len(dims)), name


@pytest.mark.parametrize("text, wrt, shapes, domains", CASES)
@pytest.mark.parametrize("index", range(len(SIZES)))
def test_the_derivative_matches_finite_differences(text, wrt, shapes, domains, index):
    f = matcalc.parse(text, shapes=shapes)
    d = matcalc.derive(text, wrt, shapes=shapes)
    arrays = arrays_for(shapes, domains, index)
    expected = central_difference(lambda a: f.evaluate(**a), arrays, wrt)
    assert_close_to_fd(d.evaluate(**arrays), expected, f"∂{text}/∂{wrt} = {d}")


@pytest.mark.parametrize("text, wrt, shapes, domains", CASES)
def test_printed_text_reads_back_and_code_has_the_value(text, wrt, shapes, domains):
    d = matcalc.derive(text, wrt, shapes=shapes)
    arrays = arrays_for(shapes, domains, 0)
    for e in (d.function, d):
        if e is d and len(d.shape) > 2:  # index notation
            continue
        back = matcalc.parse(str(e), shapes=shapes)
        assert_close(back.evaluate(**arrays), e.evaluate(**arrays), f"{e} read back")
    namespace: dict = {}
    exec(d.numpy_source("both", value=True), namespace)  # noqa: S102 — matcalc's own output
    value, derivative = namespace["both"](**arrays)
    assert_close(value, d.function.evaluate(**arrays), f"code of {text}")
    assert_close(derivative, d.evaluate(**arrays), f"code of ∂{text}/∂{wrt} = {d}")
    assert d.latex


def test_a_power_with_an_expression_exponent_has_the_textbook_derivative():
    """d(a^b) = b a^(b−1) da + a^b log(a) db."""
    assert str(matcalc.derive("a^b", "a")) == "b a^(b − 1)"
    assert str(matcalc.derive("a^b", "b")) == "log(a)a^b"
    assert matcalc.derive("a^b", "b").latex == r"\log\left(a\right) a^{b}"
    assert str(matcalc.parse("x.^y + 2.^x")) == "x.^y + 2.^x"


@pytest.mark.parametrize("text, value", [("2^a^b", 2.0 ** (3.0 ** 2.0)), ("(2^a)^b", (2.0 ** 3.0) ** 2.0),
                                         ("a^b c", 3.0 ** 2.0 * 5.0), ("a^-b", 3.0 ** -2.0),
                                         ("a^(b - 1)", 3.0), ("2^a^2", 2.0 ** 9.0), ("a^2^b", 3.0 ** 4.0)])
def test_powers_read_from_the_right_and_bind_to_the_next_atom(text, value):
    f = matcalc.parse(text, shapes={"a": (), "b": (), "c": ()})
    assert f.evaluate(a=3.0, b=2.0, c=5.0) == pytest.approx(value)


@pytest.mark.parametrize("text, message", [
    ("x^2", r"the power \^2 \(use \.\^ for elementwise powers\) needs a square matrix"),
    ("x^b", r"x \(len\(x\)\) to the power b: \^ with an expression exponent takes a scalar base; write x\.\^b"),
    ("X^a", r"write X\.\^a for the elementwise power \(a matrix power X\^k takes an integer number k\)"),
    ("a^x", r"the exponent x \(len\(x\)\) of \^ is not a scalar: for an elementwise power write a\.\^x"),
    ("x.^y + z.^X", r"cannot raise elementwise z \(len\(z\)\) to the power X \(len\(z\)×cols\(X\)\)"),
])
def test_a_power_that_does_not_fit_says_what_to_write(text, message):
    with pytest.raises(matcalc.ShapeError, match=message):
        matcalc.parse(text)


def test_the_matrix_power_stays_the_integer_power():
    d = matcalc.derive("tr(X^3)", "X", shapes={"X": ("n", "n")})
    X = draw((3, 3), np.random.default_rng(1))
    assert_close(d.evaluate(X=X), 3 * np.linalg.matrix_power(X, 2).T)


def test_eye_is_the_identity_unless_declared():
    assert str(matcalc.parse("x'*eye*x")) == "xᵀIx"
    assert matcalc.parse("x'*eye*x").variables == ("x",)
    declared = matcalc.parse("x'*eye*x", shapes={"eye": ("n", "n")})
    assert declared.variables == ("x", "eye")


@pytest.mark.parametrize("text", ["vector(1)", "a*matrix(2)", "sum(vector(1))", "vector(2)'*vector(3)"])
def test_a_filled_array_without_a_size_is_an_error(text):
    with pytest.raises(matcalc.ShapeError, match=r"nothing fixes the size of (vector|matrix)\("):
        matcalc.parse(text)


@pytest.mark.parametrize("text, value", [("vector(1)'*x", 6.0), ("x'*vector(2)", 12.0),
                                         ("sum(matrix(0.5) .* (x*x'))", 18.0), ("sum(x + vector(a))", 18.0)])
def test_vector_and_matrix_take_the_size_of_where_they_stand(text, value):
    assert matcalc.parse(text).evaluate(x=np.array([1.0, 2.0, 3.0]), a=4.0) == pytest.approx(value)


def test_vector_of_a_non_scalar_is_an_error():
    with pytest.raises(matcalc.ShapeError, match="vector\\(c\\) fills an array with the scalar c; x"):
        matcalc.parse("vector(x) + y")
