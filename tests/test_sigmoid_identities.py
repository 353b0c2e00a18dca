"""σ identities (issue 16, point 2): eᵘ(1 + eᵘ)⁻² = σ(t)(1 − σ(t)), quotients that cancel
against the factors they multiply, and sums whose expansion cancels, so the logistic
derivatives print as a textbook prints them — and keep their values (central differences
in float64, m ≠ n, several draws)."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close_to_fd, central_difference

import matcalc

SHAPES = {"X": ("m", "n"), "θ": ("n",), "w": ("n",), "x": ("n",), "y": ("m",)}
SIZES = {"m": 5, "n": 3}
CS229 = "y'log(σ(X*θ)) + (1-y)'log(1 - σ(X*θ))"
FORMS = [  # (expression, wrt, the textbook's form)
    ("1/(1+exp(-w'x))", "w", "σ(wᵀx)(1 − σ(wᵀx))x"),
    ("sum(1 ./ (1 + exp(-X*w)))", "w", "Xᵀ(σ(Xw) ⊙ (1 − σ(Xw)))"),
    (CS229, "θ", "Xᵀ(y − σ(Xθ))"),
    (CS229, ("θ", "θ"), "−Xᵀ diag(σ(Xθ) ⊙ (1 − σ(Xθ)))X"),
]


@pytest.mark.parametrize("text, wrt, textbook", FORMS, ids=[f"{t} wrt {w}" for t, w, _ in FORMS])
def test_prints_the_textbook_form_and_keeps_its_value(text, wrt, textbook):
    shapes = {k: v for k, v in SHAPES.items() if k in matcalc.parse(text, SHAPES).variables}
    d = matcalc.derive(text, wrt=list(wrt) if isinstance(wrt, tuple) else wrt, shapes=shapes)
    assert str(d) == textbook
    inner = matcalc.derive(text, wrt=wrt[0], shapes=shapes) if isinstance(wrt, tuple) else d.function
    last = wrt[-1] if isinstance(wrt, tuple) else wrt
    for seed in range(3):
        rng = np.random.default_rng(seed)
        arrays = {k: rng.standard_normal(tuple(SIZES[s] for s in v)) for k, v in shapes.items()}
        if "y" in arrays:
            arrays["y"] = rng.uniform(0, 1, arrays["y"].shape)
        expected = central_difference(lambda a: inner.evaluate(**a), arrays, last)
        assert_close_to_fd(d.evaluate(**arrays), expected, f"{d}")
