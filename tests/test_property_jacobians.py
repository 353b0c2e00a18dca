"""Properties of Jacobians and second derivatives over random expressions
(jacobian_strategy.py): the value has exactly the shape S + V (+ V₂), agrees with central
differences (a second derivative with differences of the first, itself checked), and the
printed form — matrix or index notation — parses back to the same numbers.
"""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import matcalc
from fd import assert_close_to_fd, central_difference, random_arrays, rejecting_undefined
from jacobian_strategy import jacobian_cases, second_derivative_cases

SIZES = {"m": 3, "n": 4, "p": 2}
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much]}


def _layout(f, wrt, shapes):
    out = tuple(SIZES[d] for d in f.shape)
    for name in wrt:
        out += tuple(SIZES[d] for d in shapes[name])
    return out


def _check_round_trip(d, shapes, arrays):
    """The printed result reads back, shape and value (zeros, I and 𝟙 print their size
    where the text does not fix it: 0ₘₓₙₓₚ, Iₙ, 𝟙ₙ)."""
    text = str(d)
    back = matcalc.parse(text, shapes=shapes)
    assert back.shape == d.shape, text
    assert_close_to_fd(back.evaluate(**arrays), d.evaluate(**arrays), f"parse({text!r})")


def _function_at_random_point(text, shapes, seed, bound):
    """The parsed function and random arrays where its value is finite and below `bound`
    (elsewhere the example is rejected: finite differences need a tame point)."""
    f = matcalc.parse(text, shapes=shapes)
    arrays = random_arrays(shapes, SIZES, seed)
    value = np.asarray(f.evaluate(**arrays))
    assume(np.all(np.isfinite(value)) and np.all(np.abs(value) < bound))
    return f, arrays


@settings(max_examples=150, **SETTINGS)
@given(case=jacobian_cases(), seed=st.integers(0, 2**16))
@rejecting_undefined
def test_random_jacobians_match_finite_differences(case, seed):
    text, wrt, shapes = case
    f, arrays = _function_at_random_point(text, shapes, seed, bound=1e6)
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    assert tuple(d.shape) == tuple(f.shape) + tuple(shapes[wrt[0]])
    result = d.evaluate(**arrays)
    assert np.shape(result) == _layout(f, wrt, shapes)
    expected = central_difference(lambda a: f.evaluate(**a), arrays, wrt[0])
    assert_close_to_fd(result, expected, f"∂({text})/∂{wrt[0]} = {d}")
    _check_round_trip(d, shapes, arrays)


@settings(max_examples=100, **SETTINGS)
@given(case=second_derivative_cases(), seed=st.integers(0, 2**16))
@rejecting_undefined
def test_random_second_derivatives_match_finite_differences(case, seed):
    text, wrt, shapes = case
    f, arrays = _function_at_random_point(text, shapes, seed, bound=1e4)
    first = matcalc.derive(text, wrt=wrt[0], shapes=shapes)
    assert_close_to_fd(first.evaluate(**arrays), central_difference(lambda a: f.evaluate(**a), arrays, wrt[0]),
           f"∂({text})/∂{wrt[0]} = {first}")
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    result = d.evaluate(**arrays)
    assert tuple(d.shape) == tuple(f.shape) + tuple(shapes[wrt[0]]) + tuple(shapes[wrt[1]])
    assert np.shape(result) == _layout(f, wrt, shapes)
    expected = central_difference(lambda a: first.evaluate(**a), arrays, wrt[1], h=1e-5)
    assert_close_to_fd(result, expected, f"∂²({text})/∂{wrt[0]}∂{wrt[1]} = {d}")
    _check_round_trip(d, shapes, arrays)
