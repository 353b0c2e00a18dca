"""Properties over random expressions (see expression_strategy.py):

1. every derivative matches central differences, shape exactly, with distinct sizes
   (m=3, n=4, p=2) and again with all sizes equal (a result that is right only because
   dimensions coincide fails the first; one that relies on distinct sizes, the second);
2. printed text parses back to the same value (function and derivative);
3. deriving twice gives byte-identical text and LaTeX.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import matcalc
from expression_strategy import ONE, declared_shapes, expressions, variable_and_shapes, variables_in
from fd import assert_close_to_fd, central_difference, random_arrays, rejecting_undefined

SIZE_SETS = [{"m": 3, "n": 4, "p": 2}, {"m": 3, "n": 3, "p": 3}]
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


scalar_texts = expressions((ONE, ONE), depth=3)


@SETTINGS
@given(text=scalar_texts, choice=st.integers(0, 10), seed=st.integers(0, 2**16))
@rejecting_undefined
def test_random_gradients_match_finite_differences(text, choice, seed):
    wrt, shapes = variable_and_shapes(text, choice)
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    f = matcalc.parse(text, shapes=shapes)
    for sizes in SIZE_SETS:
        arrays = random_arrays(shapes, sizes, seed)
        value = f.evaluate(**arrays)
        assume(np.all(np.isfinite(value)) and abs(value) < 1e6)
        expected = central_difference(lambda a: f.evaluate(**a), arrays, wrt)
        assert_close_to_fd(d.evaluate(**arrays), expected, f"∂({text})/∂{wrt} = {d} at sizes {sizes}")


@SETTINGS
@given(text=scalar_texts, choice=st.integers(0, 10), seed=st.integers(0, 2**16))
@rejecting_undefined
def test_printed_text_parses_back_to_the_same_value(text, choice, seed):
    wrt, shapes = variable_and_shapes(text, choice)
    arrays = random_arrays(shapes, SIZE_SETS[0], seed)
    f = matcalc.parse(text, shapes=shapes)
    again = matcalc.parse(str(f), shapes=shapes)
    assert_close_to_fd(again.evaluate(**arrays), f.evaluate(**arrays), f"{text} printed as {f}")
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    # Zeros, identities and ones carry their size where the text around them does not
    # fix it (0ₘ, tr(Iₙ), a𝟙ₙ): every result reads back, shape and value.
    reparsed = matcalc.parse(str(d), shapes=shapes)
    assert reparsed.shape == d.shape, str(d)
    assert_close_to_fd(reparsed.evaluate(**arrays), d.evaluate(**arrays), f"∂({text})/∂{wrt} printed as {d}")


@settings(max_examples=50, deadline=None)
@given(text=scalar_texts)
def test_derivation_is_deterministic(text):
    names = variables_in(text)
    assume(names)
    shapes = declared_shapes(text)
    first = matcalc.derive(text, wrt=names[0], shapes=shapes)
    second = matcalc.derive(text, wrt=names[0], shapes=shapes)
    assert (str(first), first.latex) == (str(second), second.latex)


@pytest.mark.parametrize("text, wrt", [
    ("tr(C^3)", "C"), ("x'Cx", "x"), ("tr(CᵀC)", "C"), ("‖Cx − z‖²", "C"),
])
def test_square_cases_are_right_when_every_dimension_is_equal(text, wrt):
    """Equal sizes: a wrongly placed transpose would still have the right shape here."""
    shapes = declared_shapes(text)
    for seed in range(3):
        arrays = random_arrays(shapes, SIZE_SETS[1], seed)
        f = matcalc.parse(text, shapes=shapes)
        expected = central_difference(lambda a, f=f: f.evaluate(**a), arrays, wrt)
        assert_close_to_fd(matcalc.derive(text, wrt=wrt, shapes=shapes).evaluate(**arrays), expected, text)


# Inputs the random searches found, kept as fixed cases (text, variable).
REGRESSIONS = [
    ("sum((AC) ./ (1 + exp(A)))", "A"),            # σ rewrite met a matrix factor of a product
    ("sum((B'CB) ./ (1 + exp(B'B)))", "B"),
    ("‖D .* diag(y - y)‖ + tr(DᵀD)", "D"),          # diag(0) must fold to 0
    ("sum(y + (y)/(1 + (a)^2))", "a"),             # a sum of broadcast scalars kept its shape
    ("det(4I + tanh((det(4I + tanh(vvᵀ)/4))(D))/4)", "v"),  # each I has its own size
    ("‖vyᵀ + vyᵀ + (vyᵀ)(D)‖²", "D"),              # postfix after a recycled letter run
    ("‖y‖² (‖(log(1 + exp(C)))ᵀ(‖z‖²)C‖)", "C"),   # a norm after an operand inside a norm
    ("‖(2 - (2))(yvᵀ)‖ + vᵀv", "v"),              # a factor 0 swallowed dv in a differential
]


@pytest.mark.parametrize("text, wrt", REGRESSIONS)
def test_regressions_found_by_random_search(text, wrt):
    shapes = declared_shapes(text)
    f = matcalc.parse(text, shapes=shapes)
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    for sizes in SIZE_SETS:
        arrays = random_arrays(shapes, sizes, 0)
        expected = central_difference(lambda a: f.evaluate(**a), arrays, wrt)
        assert_close_to_fd(d.evaluate(**arrays), expected, f"∂({text})/∂{wrt} = {d}")
        assert_close_to_fd(matcalc.parse(str(d), shapes=shapes).evaluate(**arrays), d.evaluate(**arrays), str(d))
        assert_close_to_fd(matcalc.parse(str(f), shapes=shapes).evaluate(**arrays), f.evaluate(**arrays), str(f))
