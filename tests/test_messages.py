"""Errors a person can act on: position and caret for parse errors, operands and shapes
for shape errors, the unknown name, the missing or misshaped array — and never another
exception type, whatever the input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcalc
from matcalc.errors import EvaluationError, ParseError, ShapeError, UnsupportedError


@pytest.mark.parametrize("text, line, column, fragment", [
    ("x + * y", 1, 5, "unexpected '*'"),
    ("tr(X", 1, 5, "end of input"),
    ("x $ y", 1, 3, "unexpected character '$'"),
    ("A\n+ )", 2, 3, "unexpected ')'"),
    ("X^\n T\n  x $", 3, 5, "unexpected character '$'"),  # a token spanning a line break
    ("‖x‖‖y\n‖ ‖", 2, 4, "end of input"),  # bars: open, close, open, close; the last opens
    ("(Xw - y", 1, 8, "expected ')'"),
    ("", 1, 1, "empty expression"),
])
def test_parse_errors_give_line_column_and_caret(text, line, column, fragment):
    with pytest.raises(ParseError) as info:
        matcalc.parse(text)
    error = info.value
    assert (error.line, error.column) == (line, column)
    assert fragment in str(error)
    assert f"line {line}, column {column}" in str(error)
    snippet = str(error).splitlines()[-2:]
    assert snippet[1].index("^") - 2 == column - 1  # the caret sits under the column


def test_unknown_function_suggests_the_nearest_name():
    with pytest.raises(ParseError, match="unknown function 'tahn'; did you mean 'tanh'"):
        matcalc.derive("sum(tahn(x))", wrt="x")


@pytest.mark.parametrize("text, word, column", [("sum(foo(x))", "foo", 5), ("qux(X)", "qux", 1),
                                                 ("2tahn(x)", "tahn", 2), ("W_1tahn(x)", "tahn", 4),
                                                 ("ab(x + y)'x", "ab", 1), ("Xw(y)'z", "Xw", 1)])
def test_a_word_before_a_parenthesis_that_is_no_function_is_an_error(text, word, column):
    """Never the product of its letters: the word is named, with the functions near it or
    the list of them, and how to write the product."""
    with pytest.raises(ParseError, match=f"unknown function '{word}'.* at line 1, column {column}") as info:
        matcalc.derive(text, wrt="x" if "x" in text else "X")
    message = str(info.value)
    assert f"for a product, write '{word} (…)'" in message
    assert ("did you mean" in message) == (word in ("tahn", "ab"))  # tanh, abs
    assert ("the functions are abs, arccos" in message) != ("did you mean" in message)


@pytest.mark.parametrize("text", ["ab (x + y)'x", "a*b*(x + y)'x", "a b(x + y)'x", "(ab)(x + y)'x"])
def test_a_product_before_a_parenthesis_with_a_space_or_star_is_still_a_product(text):
    d = matcalc.derive(text, wrt="x", shapes={"a": (), "b": ()})
    assert str(d) == "ab (2x + y)"  # printed so that it reads back as a product
    back = matcalc.parse(str(d), shapes={"a": (), "b": (), "x": ("n",), "y": ("n",)})
    arrays = {"a": 2.0, "b": 3.0, "x": np.arange(3.0), "y": np.ones(3)}
    np.testing.assert_allclose(back.evaluate(**arrays), d.evaluate(**arrays))


def test_a_word_with_digits_before_a_parenthesis_is_named_when_the_product_fails():
    with pytest.raises(ShapeError) as info:
        matcalc.derive("exp2(x)'x", wrt="x")
    message = str(info.value)
    assert message.startswith("cannot multiply") and "\n" not in message
    assert "matcalc has no function 'exp2', so 'exp2(…)' is read as a product" in message


@pytest.mark.parametrize("text, column", [("a/0", 3), ("x ./ 0", 6), ("X ./ (2*0)", 7), ("0^-1*a", 1)])
def test_division_by_a_zero_number_is_refused_at_the_divisor(text, column):
    with pytest.raises(ShapeError, match=f"division by zero \\(at line 1, column {column}\\)"):
        matcalc.parse(text)


def test_bare_sigma_is_a_name():  # (σ directly before "(" is the sigmoid: test_numpy_dialect.py)
    assert matcalc.parse("σ x").shapes == {"σ": (), "x": ("m",)}


@pytest.mark.parametrize("text, shapes, fragments", [
    ("X*y", {"X": ("m", "n"), "y": ("m",)}, ["cannot multiply X (m×n) by y (m)", "n ≠ m"]),
    ("sum(X + y)", {"X": ("m", "n"), "y": ("m",)}, ["cannot add X (m×n) and y (m)"]),
    ("x'y", {"x": ("n",), "y": ("m",)}, ["xᵀ (1×n)", "y (m)", "n ≠ m"]),
    ("tr(X)", {"X": ("m", "n")}, ["tr needs a square matrix", "X (m×n)"]),
    ("det(x)", {"x": ("n",)}, ["det needs a square matrix", "x (n)"]),
    ("sum(x .* y)", {"x": ("n",), "y": ("m",)}, ["cannot multiply elementwise x (n) by y (m)"]),
    ("x / y", {"x": ("n",), "y": ("n",)}, ["the divisor must be a scalar"]),
    ("sum(X^2)", {"X": ("m", "n")}, ["needs a square matrix", "X (m×n)"]),
])
def test_shape_errors_name_operands_and_shapes(text, shapes, fragments):
    with pytest.raises(ShapeError) as info:
        matcalc.derive(text, wrt=next(iter(shapes)), shapes=shapes)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert "line 1, column" in str(info.value)


@pytest.mark.parametrize("wrt", ["", "1x", "x y", None, 3, []])
def test_bad_wrt_is_a_matcalc_error(wrt):
    with pytest.raises(matcalc.MatcalcError, match="wrt"):
        matcalc.derive("x'x", wrt=wrt)


@pytest.mark.filterwarnings("ignore::matcalc.MatcalcWarning")  # wrt names absent by design
def test_an_undeclared_long_name_absent_from_the_expression_is_refused():
    # 'beta' would otherwise take the convention of its first letter, b: a scalar.
    with pytest.raises(matcalc.MatcalcError, match="declare it in shapes="):
        matcalc.derive("x'x", wrt="beta")
    assert matcalc.derive("x'x", wrt="beta", shapes={"beta": ("n",)}).shape == ("n",)


@pytest.mark.parametrize("shapes", [{"x": ("n", "m", "p")}, {"x": (0,)}, {"x": (1.5,)}, {"x": "n,m"},
                                    ["x"], {"": ("n",)}])
def test_bad_shape_declarations_are_matcalc_errors(shapes):
    with pytest.raises(matcalc.MatcalcError):
        matcalc.derive("x'x", wrt="x", shapes=shapes)


def test_index_forms_say_what_is_unsupported():
    # Vector- and matrix-valued expressions differentiate (tests/test_jacobians.py); an
    # expression written in index notation does not.
    with pytest.raises(UnsupportedError, match="index notation"):
        matcalc.derive("[i] ↦ x[i]", wrt="x")
    with pytest.raises(UnsupportedError, match="only valid in an index form"):
        matcalc.parse("A[i,j] + 1")


def test_evaluate_names_the_missing_array_and_the_expected_shape():
    d = matcalc.derive("(Xw - y)^T(Xw - y)", wrt="w", shapes={"X": ("m", "n"), "w": ("n",), "y": ("m",)})
    with pytest.raises(EvaluationError, match="missing array for y"):
        d.evaluate(X=np.ones((3, 2)), w=np.ones(2))
    with pytest.raises(EvaluationError, match=r"w has shape \(3,\), expected \(n,\) with n = 2"):
        d.evaluate(X=np.ones((3, 2)), w=np.ones(3), y=np.ones(3))
    with pytest.raises(EvaluationError, match="X must be a matrix"):
        d.evaluate(X=np.ones(3), w=np.ones(2), y=np.ones(3))
    with pytest.raises(EvaluationError, match="not a real numeric array"):
        d.evaluate(X="abc", w=np.ones(2), y=np.ones(3))


def test_evaluate_reports_a_singular_matrix():
    with pytest.raises(EvaluationError, match="singular"):
        matcalc.parse("tr(inv(X))").evaluate(X=np.zeros((2, 2)))


@pytest.mark.filterwarnings("ignore::matcalc.MatcalcWarning")  # wrt names absent by design
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_a_result_or_a_matcalc_error(text):
    try:
        matcalc.derive(text, wrt="x")
    except matcalc.MatcalcError as exc:
        assert "internal error" not in str(exc), exc


SEEDS = ["(Xw-y)^T(Xw-y)", "tr(A X^-1 B)", "½‖y − W₂σ(W₁x)‖²", "sum(log(1 + exp(-y .* (X*w))))",
         "x'Ax + b'x", "logdet(X) - tr(S inv(X))"]


@pytest.mark.filterwarnings("ignore::matcalc.MatcalcWarning")  # wrt names absent by design
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_expressions_give_a_result_or_a_matcalc_error(seed, data):
    text = list(seed)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text) - 1))
        action = data.draw(st.sampled_from(["insert", "delete", "swap"]))
        if action == "insert":
            text.insert(i, data.draw(st.sampled_from(list("()+-*'^T.‖|xyAX12 ,/⊙ᵀ⁻¹²"))))
        elif action == "delete" and len(text) > 1:
            del text[i]
        elif action == "swap" and i + 1 < len(text):
            text[i], text[i + 1] = text[i + 1], text[i]
    try:
        matcalc.derive("".join(text), wrt="x")
    except matcalc.MatcalcError as exc:
        assert "internal error" not in str(exc), exc


# Shape and unsupported errors carry their place as fields, as ParseError does.
@pytest.mark.parametrize("text, error, line, column", [
    ("Xw +\n  y'X", ShapeError, 1, 1),
    ("a +\n x ./ 0", ShapeError, 2, 7),
    ("a +\n tr(X^100)", UnsupportedError, 2, 5),
    ("a + X^0", UnsupportedError, 1, 5),
])
def test_shape_and_unsupported_errors_have_line_and_column(text, error, line, column):
    with pytest.raises(error) as info:
        matcalc.parse(text)
    assert (info.value.line, info.value.column) == (line, column), str(info.value)
    assert f"(at line {line}, column {column})" in str(info.value)
    assert info.value.reason in str(info.value)


def test_an_error_with_no_place_has_line_zero():
    with pytest.raises(ShapeError) as info:
        matcalc.parse("x", shapes={"x": (1, 2, 3)})
    assert (info.value.line, info.value.column) == (0, 0)


@pytest.mark.parametrize("text, wrt, nearest", [("(Xw - y)'(Xw - y)", "W", "w"), ("x'Ax", "z", "x"),
                                                ("tr(W1 X)", "W2", "W1"), ("x'A x", ["x", "a"], "A")])
def test_a_wrt_name_not_in_the_expression_warns_and_names_the_nearest(text, wrt, nearest):
    absent = wrt if isinstance(wrt, str) else wrt[-1]
    with pytest.warns(matcalc.MatcalcWarning) as caught:
        d = matcalc.derive(text, wrt=wrt)
    assert len(caught) == 1 and caught[0].filename == __file__  # points at the caller
    assert str(caught[0].message) == (f"'{absent}' does not occur in the expression, so the "
                                      f"derivative is zero; did you mean '{nearest}'?")
    assert "0" in str(d)


def test_a_wrt_name_in_the_expression_does_not_warn():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        matcalc.derive("x'Ax", wrt=["x", "A"])
