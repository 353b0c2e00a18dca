"""A Hypothesis strategy for random well-shaped expressions, written as matcalc text.

`expressions(shape)` draws text whose value has `shape` (rows, cols over the dimension
symbols m, n, p, with "1" for an absent axis), from the grammar's operators: products
(juxtaposition and *), transposes (' ᵀ ^T), + −, scaling, .* ⊙ ./, division by a scalar,
powers and inverses of square matrices, elementwise functions, and the reductions.
Arguments of log, sqrt, inverses and determinants are built so they stay in the domain
(1 + u.^2, 4I + tanh(U)/4), so finite differences are meaningful on every draw.
"""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st

ONE = "1"
DIMS = ("m", "n", "p")

# Leaves by shape: name and its declared shape.
LEAVES: dict[tuple[str, str], list[str]] = {
    (ONE, ONE): ["a", "b"],
    ("n", ONE): ["x", "z"],
    ("m", ONE): ["y"],
    ("p", ONE): ["v"],
    ("m", "n"): ["A", "X"],
    ("n", "p"): ["B"],
    ("n", "n"): ["C"],
    ("m", "m"): ["D"],
}
SHAPES = {name: tuple(d for d in shape if d != ONE) for shape, names in LEAVES.items() for name in names}
VECTOR = {"m": "y", "n": "x", "p": "v"}
ELEMENTWISE = ("exp(tanh({}))", "sin({})", "cos({})", "tanh({})", "σ({})", "sigmoid({})",
               "softplus({})", "log(1 + {}.^2)", "sqrt(1 + {}.^2)", "abs({})", "relu({})",
               # kept inside their domains: |tanh| < 1 < π/2, log1p of a square
               "tan(tanh({}))", "arcsin(tanh({})/2)", "asin(tanh({})/2)", "arccos(tanh({})/2)",
               "acos(tanh({})/2)", "arctan({})", "atan({})", "sinh(tanh({}))", "cosh(tanh({}))",
               "log1p({}.^2)", "expm1(tanh({}))", "erf({})")


def _paren(text: str) -> str:
    return f"({text})"


def _fallback(shape: tuple[str, str]) -> str:
    """A depth-0 expression of any shape: a leaf, a transposed leaf, or an outer product."""
    r, c = shape
    if shape in LEAVES:
        return LEAVES[shape][0]
    if (c, r) in LEAVES:
        return LEAVES[(c, r)][0] + "'"
    left = "a" if r == ONE else VECTOR[r]
    right = "a" if c == ONE else VECTOR[c] + "ᵀ"
    return f"{left}{right}" if ONE not in shape else f"({left}*{right})"


@st.composite
def expressions(draw, shape: tuple[str, str], depth: int = 3, signed: bool = False) -> str:
    """`signed` adds the forms whose code needs Python's precedence most: a product with a
    leading minus (`−A y`, `−2O`, read −(A y)) and a reciprocal (`1 ./ (…)`, `b/(…)`),
    each as the operand of any operator.  A reciprocal's operand may come near 0, so
    tests that use `signed` compare values, not finite differences."""
    r, c = shape
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        options = list(LEAVES.get(shape, [])) + [_fallback(shape)]
        if shape == (ONE, ONE):
            options += ["2", "0.5", "½", "π"]
        return draw(st.sampled_from(options))
    sub = lambda s: expressions(s, depth - 1, signed)
    kinds = ["sum", "difference", "scale", "product", "transpose", "function", "negate"]
    if signed:
        kinds += ["negated_product", "negated_product", "reciprocal"]
    kinds += ["expression_power"]  # a^b, x.^y, 2.^x (matrixcalculus.org)
    if shape != (ONE, ONE):
        kinds += ["hadamard", "hdiv", "divide", "filled"]
    if r == c != ONE:
        kinds += ["power", "inverse", "diag_matrix"]
    if c == ONE and r != ONE:
        kinds += ["softmax", "diag_vector"]
    if shape == (ONE, ONE):
        kinds += ["trace", "sum_all", "norm", "norm_squared", "norm1", "logsumexp", "det", "logdet"]
    kind = draw(st.sampled_from(kinds))

    if kind == "sum":
        return f"{draw(sub(shape))} + {draw(sub(shape))}"
    if kind == "difference":
        return f"{draw(sub(shape))} - {_paren(draw(sub(shape)))}"
    if kind == "negate":
        return f"-{_paren(draw(sub(shape)))}"
    if kind == "scale":
        return f"{_paren(draw(sub((ONE, ONE))))}{_paren(draw(sub(shape)))}"
    if kind == "negated_product":
        k = draw(st.sampled_from(DIMS + (ONE,)))
        minus = draw(st.sampled_from(["-", "−"]))
        return f"{minus}{_paren(draw(sub((r, k))))}{_paren(draw(sub((k, c))))}"
    if kind == "reciprocal":
        form = draw(st.integers(0, 2))
        if shape == (ONE, ONE):
            numerator = "1" if form == 0 else _paren(draw(sub(shape)))
            return f"{numerator}/{_paren(draw(sub(shape)))}"
        if form == 2:  # division by a scalar
            return f"{_paren(draw(sub(shape)))}/{_paren(draw(sub((ONE, ONE))))}"
        numerator = "1" if form == 0 else _paren(draw(sub(shape)))
        return f"{numerator} ./ {_paren(draw(sub(shape)))}"
    if kind == "product":
        k = draw(st.sampled_from(DIMS + (ONE,)))
        op = draw(st.sampled_from(["", "*", " "]))
        return f"{_paren(draw(sub((r, k))))}{op}{_paren(draw(sub((k, c))))}"
    if kind == "transpose":
        mark = draw(st.sampled_from(["'", "ᵀ", "^T"]))
        return f"{_paren(draw(sub((c, r))))}{mark}"
    if kind == "function":
        return draw(st.sampled_from(ELEMENTWISE)).format(_paren(draw(sub(shape))))
    if kind == "expression_power":  # a positive base; an exponent in (−1, 1)
        mark = "^" if shape == (ONE, ONE) else ".^"
        base = draw(st.sampled_from(["2", "½", f"(1 + {_paren(draw(sub(shape)))}{mark}2)"]))
        scalar_exponent = base.startswith("(") and draw(st.booleans())  # (a number base takes the shape)
        return f"{base}{mark}tanh({draw(sub((ONE, ONE) if scalar_exponent else shape))})"
    if kind == "filled":  # vector(c), matrix(c): sized by the other operand
        filled = "vector({})" if c == ONE else "vector({})'" if r == ONE else "matrix({})"
        return f"{_paren(draw(sub(shape)))} + {filled.format(draw(st.sampled_from(['1', '0.5', '2'])))}"
    if kind == "hadamard":
        op = draw(st.sampled_from([".*", "⊙"]))
        return f"{_paren(draw(sub(shape)))} {op} {_paren(draw(sub(shape)))}"
    if kind == "hdiv":
        return f"{_paren(draw(sub(shape)))} ./ (1 + {_paren(draw(sub(shape)))}.^2)"
    if kind == "divide":
        return f"{_paren(draw(sub(shape)))}/(1 + {_paren(draw(sub((ONE, ONE))))}^2)"
    if kind == "power":
        k = draw(st.sampled_from(["^2", "²", "^3"]))
        return f"(tanh({draw(sub(shape))})){k}"
    if kind == "inverse":
        form = draw(st.sampled_from(["inv({})", "({})^-1", "({})⁻¹"]))
        identity = draw(st.sampled_from(["I", "eye"]))
        return form.format(f"4{identity} + tanh({draw(sub(shape))})/4")
    if kind == "diag_matrix":
        return f"diag({draw(sub((r, ONE)))})"
    if kind == "softmax":
        return f"softmax({draw(sub(shape))})"
    if kind == "diag_vector":
        return f"diag({draw(sub((r, r)))})"
    # scalar-valued reductions of a random non-scalar operand
    d = draw(st.sampled_from(DIMS))
    if kind == "trace":
        return f"tr({draw(sub((d, d)))})"
    if kind in ("det", "logdet"):
        return f"{kind}(4I + tanh({draw(sub((d, d)))})/4)"
    if kind == "logsumexp":
        return f"logsumexp({draw(sub((d, ONE)))})"
    operand_shape = draw(st.sampled_from([(d, ONE), (d, draw(st.sampled_from(DIMS)))]))
    operand = draw(sub(operand_shape))
    return {"sum_all": f"sum({operand})", "norm": f"‖{operand}‖",
            "norm_squared": draw(st.sampled_from([f"‖{operand}‖²", f"||{operand}||^2"])),
            "norm1": f"norm1({operand})"}[kind]


def variables_in(text: str) -> list[str]:
    """The leaf names a generated text uses (every leaf is a single letter)."""
    return sorted({ch for ch in text if ch in SHAPES})


def declared_shapes(text: str) -> dict[str, tuple[str, ...]]:
    return {name: SHAPES[name] for name in variables_in(text)}


def variable_and_shapes(text: str, choice: int) -> tuple[str, dict[str, tuple[str, ...]]]:
    """One of the text's variables (picked by `choice`) and the shapes of all of them; a
    text without variables is rejected."""
    names = variables_in(text)
    assume(names)
    return names[choice % len(names)], declared_shapes(text)
