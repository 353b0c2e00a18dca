"""The finite-difference oracle itself must be right, or every numeric test is void."""

import numpy as np

from fd import assert_close, central_difference


def test_gradient_of_quadratic_form_matches_closed_form():
    rng = np.random.default_rng(0)
    a, x = rng.standard_normal((4, 4)), rng.standard_normal(4)
    got = central_difference(lambda v: v["x"] @ v["A"] @ v["x"], {"A": a, "x": x}, "x")
    assert_close(got, (a + a.T) @ x)


def test_jacobian_layout_is_output_then_variable():
    rng = np.random.default_rng(1)
    a, x = rng.standard_normal((3, 5)), rng.standard_normal(5)
    got = central_difference(lambda v: v["A"] @ v["x"], {"A": a, "x": x}, "x")
    assert_close(got, a)
