"""Hypothesis strategies for derivatives beyond gradients, built on expression_strategy.py:
vector- and matrix-valued random expressions with one variable to differentiate by
(Jacobians, 3-D and 4-D results), and scalar or vector expressions with two variables
(Hessians and mixed second derivatives, shape S + V₁ + V₂).
"""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st

from expression_strategy import ONE, declared_shapes, expressions, variables_in

# Output shapes (rows, cols) of the random functions: vectors of two lengths, a row
# vector, a rectangular and a square matrix.
OUTPUT_SHAPES = [("n", ONE), ("m", ONE), (ONE, "p"), ("m", "n"), ("n", "n")]


@st.composite
def jacobian_cases(draw, depth: int = 2) -> tuple[str, list[str], dict]:
    """(text, [variable], shapes): a non-scalar function and one of its variables."""
    text = draw(expressions(draw(st.sampled_from(OUTPUT_SHAPES)), depth))
    names = variables_in(text)
    assume(names)
    return text, [draw(st.sampled_from(names))], declared_shapes(text)


@st.composite
def second_derivative_cases(draw, depth: int = 2) -> tuple[str, list[str], dict]:
    """(text, [first, second], shapes): a scalar (mostly) or vector function and two of its
    variables, possibly the same one (a Hessian)."""
    shape = draw(st.sampled_from([(ONE, ONE)] * 3 + [("n", ONE)]))
    text = draw(expressions(shape, depth))
    names = variables_in(text)
    assume(names)
    first = draw(st.sampled_from(names))
    second = draw(st.sampled_from([first, *names]))
    return text, [first, second], declared_shapes(text)
