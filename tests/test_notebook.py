"""Jupyter display: expressions and derivatives render as LaTeX (`_repr_latex_`) and have a
plain `repr` that names the class and holds the re-parseable text."""

import re

import numpy as np
import pytest

import matcalc

CASES = [("(Xw - y)^T(Xw - y)", "w"), ("tr(A X^-1 B)", "X"), ("½‖y − W₂σ(W₁x)‖²", "W₁")]
SHAPES = [{"X": (5, 3), "w": (3,), "y": (5,)}, {"A": (3, 4), "X": (4, 4), "B": (4, 3)},
          {"y": (5,), "W₂": (5, 4), "W₁": (4, 3), "x": (3,)}]


@pytest.mark.parametrize("text, wrt", CASES)
def test_repr_latex_is_the_latex_in_math_mode(text, wrt):
    for obj in (matcalc.parse(text), matcalc.derive(text, wrt=wrt)):
        assert obj._repr_latex_() == f"${obj.latex}$"
        assert obj.latex and "$" not in obj.latex


@pytest.mark.parametrize("text, wrt", CASES)
def test_plain_repr_names_the_class_and_parses_back_to_the_same_value(text, wrt):
    d = matcalc.derive(text, wrt=wrt)
    for obj, cls in ((matcalc.parse(text), "Expression"), (d, "Derivative")):
        shown = repr(obj)
        match = re.fullmatch(rf"{cls}\('(.*)'\)", shown)
        assert match, shown
        assert match.group(1) == str(obj) and "\n" not in shown
    again = matcalc.parse(str(d))
    rng = np.random.default_rng(0)
    arrays = {name: rng.standard_normal(shape) for name, shape in SHAPES[CASES.index((text, wrt))].items()}
    if "X" in arrays and arrays["X"].shape == (4, 4):
        arrays["X"] += 4 * np.eye(4)  # well away from singular
    np.testing.assert_allclose(again.evaluate(**arrays), d.evaluate(**arrays), rtol=1e-10)
