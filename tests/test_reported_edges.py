"""Each case reported in the reliability issue (#14), reproduced: generated code, printed
results, input reading, evaluation, internal errors and bounded work.  Sections follow the
issue's numbering."""

from __future__ import annotations

import time

import numpy as np
import pytest

import matcalc
from matcalc.mlp import MAX_LAYERS


# --- 1. Generated code parenthesizes by Python's precedence --------------------------------
def _run(source: str, name: str, arrays: dict):
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 — our own output
    return namespace[name](**arrays)


# Square shapes: the misread code ran without error there and computed other numbers.
@pytest.mark.parametrize("text, shapes", [
    ("x ⊙ (−A y)", {"x": ("n",), "A": ("n", "n"), "y": ("n",)}),
    ("1 ./ (−Xᵀt)", {"X": ("n", "n"), "t": ("n",)}),
    ("1 ./ (−2O)", {"O": ("n", "n")}),
    ("P(qᵀO(−A))ᵀ", {"P": ("n", "n"), "q": ("n",), "O": ("n", "n"), "A": ("n", "n")}),
])
def test_negation_inside_an_operator_keeps_its_parentheses_in_code(text, shapes):
    rng = np.random.default_rng(1)
    arrays = {name: rng.standard_normal((3,) * len(dims)) for name, dims in shapes.items()}
    f = matcalc.parse(text, shapes=shapes)
    expected = f.evaluate(**arrays)
    np.testing.assert_allclose(_run(f.numpy_source(name="f"), "f", arrays), expected, rtol=1e-12)
    wrt = min(shapes)
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    value, derivative = _run(d.numpy_source(name="g", value=True), "g", arrays)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    np.testing.assert_allclose(derivative, d.evaluate(**arrays), rtol=1e-12, atol=1e-12)



# --- 2, 3. Printed results read back; 𝟙 in input -------------------------------------------




# --- 4. Derivatives of functions defined nowhere -------------------------------------------




# --- 5. Silent misreads ---------------------------------------------------------------------




# --- 6, 7, 9. Evaluation, internal errors, code names ---------------------------------------
def _refused(error: type[matcalc.MatcalcError], call, *words: str) -> None:
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert "internal error" not in message and all(w in message for w in words), message


@pytest.mark.parametrize("given, what", [
    (np.array([1 + 2j, 3.0]), "complex"),
    (np.array(["1.5", "2"]), "string"),
    (np.array([1.0, None], dtype=object), "object"),
    (np.array(["2026-01-01", "2026-01-02"], dtype="datetime64[D]"), "non-numeric"),
])
def test_evaluate_refuses_arrays_that_are_not_real_numbers(given, what):
    _refused(matcalc.EvaluationError, lambda: matcalc.parse("x'x").evaluate(x=given), what, "x")


def test_evaluate_refuses_two_spellings_of_one_name():
    W = np.ones((2, 2))
    _refused(matcalc.EvaluationError,
             lambda: matcalc.parse("tr(W1)").evaluate(**{"W1": W, "W₁": 2 * W, "W_1": 3 * W}),
             "two spellings", "W1")


def test_mlp_with_hidden_none_says_what_hidden_takes():
    _refused(matcalc.MatcalcError, lambda: matcalc.mlp([4, 3, 2], hidden=None), "hidden", "relu")


def test_a_variable_named_self_evaluates():
    e = matcalc.parse("sum(self)", shapes={"self": ("n",)})
    assert e.evaluate(self=np.arange(4.0)) == 6.0
    d = matcalc.derive("self'self", wrt="self", shapes={"self": ("n",)})
    np.testing.assert_array_equal(d.evaluate(self=np.arange(3.0)), [0.0, 2.0, 4.0])


def test_positional_arrays_are_refused_with_the_keyword_form():
    _refused(matcalc.EvaluationError, lambda: matcalc.parse("x'x").evaluate(np.ones(3)), "by name")
    _refused(matcalc.EvaluationError, lambda: matcalc.derive("x'x", wrt="x").evaluate(np.ones(3)),
             "by name")


def test_softmax_of_an_empty_array_is_an_evaluation_error():
    _refused(matcalc.EvaluationError, lambda: matcalc.parse("softmax(x)").evaluate(x=np.ones(0)),
             "no entries", "x")


def test_an_object_whose_array_method_raises_is_an_evaluation_error():
    class Broken:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("no array here")

    _refused(matcalc.EvaluationError, lambda: matcalc.parse("x'x").evaluate(x=Broken()),
             "x", "no array here")


def test_a_function_name_with_a_trailing_newline_is_refused():
    _refused(matcalc.MatcalcError, lambda: matcalc.parse("x'x").numpy_source(name="f\n"),
             "function name")
    _refused(matcalc.MatcalcError, lambda: matcalc.derive("x'x", wrt="x").numpy_source(name="g\n"),
             "function name")


def test_the_default_function_name_steps_aside_for_a_variable():
    e = matcalc.parse("f x")  # f: a scalar by the convention
    namespace: dict = {}
    exec(compile(e.numpy_source(), "<generated>", "exec"), namespace)  # noqa: S102 — our own output
    np.testing.assert_allclose(namespace["f_"](f=2.0, x=np.arange(3.0)), [0.0, 2.0, 4.0])
    shapes = {"grad_x": ("n",), "x": ("n",)}
    d = matcalc.derive("grad_x'x", wrt="x", shapes=shapes)
    assert "def grad_x_(grad_x, x):" in d.numpy_source()


# (8, the MLP part) mlp([3]*600) took 2 s, quadratic in the layers; now linear, and bounded.
def test_mlp_is_linear_in_its_layers_and_bounded():
    def cpu_seconds(depth: int) -> float:
        best = float("inf")
        for _ in range(2):
            start = time.process_time()
            matcalc.mlp([3] * (depth + 1))
            best = min(best, time.process_time() - start)
        return best

    # Quadratic work would take 16 times as long at 4 times the layers; linear about 4.
    assert cpu_seconds(600) < 8 * cpu_seconds(150)
    matcalc.mlp([3] * (MAX_LAYERS + 1))
    _refused(matcalc.LimitError, lambda: matcalc.mlp([3] * (MAX_LAYERS + 2)), str(MAX_LAYERS), "layers")



# --- 8. Bounded work ------------------------------------------------------------------------
