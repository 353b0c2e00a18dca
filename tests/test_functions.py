"""Every row of the function registry (matcalc/functions.py), checked on its own.

The cases are made from each row's shape rule, so a new row is tested without a new test:
- the grammar's FUNC terminal names exactly the registry's functions and aliases;
- the value matches the row's SymPy counterpart;
- the derivative matches central differences in float64 on the row's domain (m ≠ n);
- the generated NumPy code of the function and its derivative has the value of `evaluate`;
- text prints and parses back to the same value, LaTeX prints (KaTeX checks it at the end
  of the session), every alias reads as the function;
- the value at zero, and the message for an argument outside the domain.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from fd import assert_close, assert_close_to_fd, central_difference, draw
from test_sympy_bridge import sympy_value  # SymPy's value of an expression, made explicit

import matcalc
from matcalc.functions import (
    ANY_TO_SCALAR, DIAGONAL, ELEMENTWISE, ELEMENTWISE_SHAPE, FUNCTIONS, NAMES, SQUARE_TO_SCALAR,
    SQUARE_TO_SQUARE, VECTOR_TO_SCALAR, VECTOR_TO_VECTOR, Elementwise, Function, function_of,
)
from matcalc.expr import ONE, Apply, Zero
from matcalc.printing import LatexPrinter, to_text
from matcalc.simplifier import simplify

GRAMMAR = Path(__file__).resolve().parent.parent / "grammars" / "matcalc.lark"
SIZES = ({"m": 3, "n": 4}, {"m": 4, "n": 2})
# The row's domain (as its row says it) → how tests/fd.py draws arguments there.
DRAWS = {"all reals": "real", "positive reals": "positive", "x ≠ 0": "nonzero", "A ≠ 0": "real",
         "invertible": "invertible", "positive determinant": "spd",
         "|x| < 1": "unit", "|x| < π/2": "unit", "x > −1": "positive"}
MN, NN, N = ("m", "n"), ("n", "n"), ("n",)


def cases(row: Function) -> list[tuple[str, dict[str, tuple[str, ...]], str]]:
    """(scalar objective using the function, shapes, the argument's name) by shape rule;
    a weight W or w makes a matrix or vector result scalar without symmetry to hide a
    transpose."""
    f = row.name
    by_rule = {
        ELEMENTWISE_SHAPE: [(f"sum(W ⊙ {f}(X))", {"W": MN, "X": MN}, "X"), (f"{f}(a)", {"a": ()}, "a")],
        SQUARE_TO_SCALAR: [(f"{f}(C)", {"C": NN}, "C")],
        SQUARE_TO_SQUARE: [(f"sum(W ⊙ {f}(C))", {"W": NN, "C": NN}, "C")],
        ANY_TO_SCALAR: [(f"{f}(X)", {"X": MN}, "X"), (f"{f}(x)", {"x": N}, "x")],
        VECTOR_TO_VECTOR: [(f"wᵀ{f}(x)", {"w": N, "x": N}, "x")],
        VECTOR_TO_SCALAR: [(f"{f}(x)", {"x": N}, "x")],
        DIAGONAL: [(f"sum(W ⊙ {f}(x))", {"W": NN, "x": N}, "x"), (f"wᵀ{f}(C)", {"w": N, "C": NN}, "C")],
    }
    return by_rule[row.shape]


CASES = [pytest.param(row, text, shapes, wrt, id=text) for row in FUNCTIONS.values()
         for text, shapes, wrt in cases(row)]


def arrays_for(row: Function, shapes: dict, wrt: str, draw_index: int) -> dict:
    rng = np.random.default_rng([draw_index, len(row.name), sum(map(ord, row.name))])
    out = {}
    for name, dims in sorted(shapes.items()):
        shape = tuple(SIZES[draw_index][d] for d in dims)
        domain = DRAWS[row.domain] if name == wrt else "real"
        value = draw(shape, rng, "real" if domain == "nonzero" else domain)
        if domain == "nonzero":  # away from the kinks of abs, relu, sign, step, norm1
            value = np.asarray(value) + 0.25 * np.sign(np.asarray(value))
            value = float(value) if shape == () else value
        out[name] = value
    return out


def test_the_grammar_names_the_registry_functions():
    """FUNC in grammars/matcalc.lark lists the registry's names and aliases, no more."""
    match = re.search(r"^FUNC(?:\.\d+)?:\s*/\(\?:([^)]*)\)", GRAMMAR.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, "no FUNC terminal of the form /(?:name|name|…)(?=…)/ in the grammar"
    # σ is the sigmoid only directly before "(" (elsewhere a name): its own alternative
    sigma = "|σ(?=\\()/" in match.string[match.end():].split("\n", 1)[0]
    assert sorted(match.group(1).split("|") + ["σ"] * sigma) == sorted(NAMES)


def test_every_row_has_a_known_domain_and_a_case_per_node():
    for row in FUNCTIONS.values():
        assert row.domain in DRAWS, f"{row.name}: domain {row.domain!r} has no draw in DRAWS"
    built = {type(node) for row in FUNCTIONS.values() for text, shapes, _ in cases(row)
              for node in matcalc.parse(text, shapes=shapes).node.walk()}
    for row in FUNCTIONS.values():
        assert set(getattr(row, "nodes", ())) <= built, f"{row.name}: a node class no case builds"


@pytest.mark.parametrize("row, text, shapes, wrt", CASES)
@pytest.mark.parametrize("index", range(len(SIZES)))
def test_derivative_matches_finite_differences(row, text, shapes, wrt, index):
    f = matcalc.parse(text, shapes=shapes)
    d = matcalc.derive(text, wrt, shapes=shapes)
    arrays = arrays_for(row, shapes, wrt, index)
    expected = central_difference(lambda a: f.evaluate(**a), arrays, wrt)
    assert_close_to_fd(d.evaluate(**arrays), expected, f"∂{text}/∂{wrt} = {d}")


@pytest.mark.parametrize("row, text, shapes, wrt", CASES)
def test_generated_code_has_the_value_of_evaluate(row, text, shapes, wrt):
    d = matcalc.derive(text, wrt, shapes=shapes)
    namespace: dict = {}
    exec(d.numpy_source("both", value=True), namespace)  # noqa: S102 — matcalc's own output
    for index in range(len(SIZES)):
        arrays = arrays_for(row, shapes, wrt, index)
        value, derivative = namespace["both"](**arrays)
        assert_close(value, d.function.evaluate(**arrays), f"code of {text}")
        assert_close(derivative, d.evaluate(**arrays), f"code of ∂{text}/∂{wrt} = {d}")


@pytest.mark.parametrize("row, text, shapes, wrt", CASES)
def test_text_parses_back_and_latex_prints(row, text, shapes, wrt):
    f = matcalc.parse(text, shapes=shapes)
    d = matcalc.derive(text, wrt, shapes=shapes)
    arrays = arrays_for(row, shapes, wrt, 0)
    for e in (f, d):
        back = matcalc.parse(str(e), shapes=shapes)
        if not back.variables:  # a constant (I, 𝟙, 0) takes its size from context: none here
            continue
        assert_close(back.evaluate(**arrays), e.evaluate(**arrays), f"{e} read back")
    node = next(n for n in f.node.walk() if function_of(n) is row)
    if not hasattr(LatexPrinter, "_" + type(node).__name__):  # A⁻¹ and ‖A‖ have their own notation
        assert row.latex in f.latex and f"{row.text}(" in str(f)
    assert d.latex  # every LaTeX string of the session is rendered by KaTeX at its end


@pytest.mark.parametrize("row", FUNCTIONS.values(), ids=lambda r: r.name)
def test_every_alias_reads_as_the_function(row):
    text, shapes, _ = cases(row)[0]
    f = matcalc.parse(text, shapes=shapes)
    for alias in row.aliases:
        assert matcalc.parse(text.replace(f"{row.name}(", f"{alias}("), shapes=shapes).node == f.node


@pytest.mark.parametrize("row", FUNCTIONS.values(), ids=lambda r: r.name)
def test_value_matches_the_sympy_counterpart(row):
    text, shapes, wrt = cases(row)[0]
    f = matcalc.parse(text, shapes=shapes)
    s = f.to_sympy()
    for index in range(len(SIZES)):
        arrays = arrays_for(row, shapes, wrt, index)
        assert_close(f.evaluate(**arrays), sympy_value(s, arrays), f"{text} against SymPy {s}")
    if isinstance(row, Elementwise):  # and the scalar function itself, at a few points
        for z in arrays_for(row, {"z": N}, "z", 0)["z"]:
            assert_close(row.numpy(np.float64(z)), float(sp.N(row.sympy(sp)(sp.Float(z)))), row.name)


@pytest.mark.parametrize("row", [r for r in ELEMENTWISE.values() if r.at_zero is not None], ids=lambda r: r.name)
def test_value_at_zero(row):
    assert row.numpy(np.float64(0.0)) == float(row.at_zero)
    # simplification uses it: f(0) folds to the number
    assert to_text(simplify(Apply(row.name, Zero((ONE, ONE))))) == str(row.at_zero)


@pytest.mark.parametrize("row", [r for r in ELEMENTWISE.values() if r.undefined], ids=lambda r: r.name)
def test_an_argument_outside_the_domain_is_named(row):
    predicate, message = row.undefined
    assert predicate(np.array(-2.0))  # outside every row's domain (log, sqrt, log1p, arcsin, …)
    with pytest.raises(matcalc.UndefinedValueError, match=re.escape(message)):
        matcalc.parse(f"{row.name}(a)").evaluate(a=-2.0)


def test_an_unknown_function_gets_one_message():
    """tahn is no function: one error that names it and suggests tanh, not "unknown
    function" followed by "read as a product"."""
    with pytest.raises(matcalc.ParseError) as caught:
        matcalc.derive("tahn(x)", "x")
    message = str(caught.value)
    assert "unknown function 'tahn'" in message and "'tanh'" in message
    assert "read as a product" not in message


def test_pi_is_the_number_pi():
    """π is a number (reserved, as σ is): it scales, prints π and \\pi, and reads back."""
    f = matcalc.parse("2π a + x'x", shapes={"x": ("n",)})
    assert not {"π"} & set(f.variables)
    x = np.array([1.0, 2.0])
    assert_close(f.evaluate(a=0.5, x=x), np.pi + 5.0)
    d = matcalc.derive("erf(a)", "a")  # d erf(a) = 2/√π exp(−a²) da
    assert "π" in str(d) and r"\pi" in d.latex
    assert_close(matcalc.parse(str(d)).evaluate(a=0.3), 2 / np.sqrt(np.pi) * np.exp(-0.09))
    namespace: dict = {}
    exec(d.numpy_source("g"), namespace)  # noqa: S102 — matcalc's own output
    assert_close(namespace["g"](a=0.3), d.evaluate(a=0.3))
    with pytest.raises(matcalc.UnsupportedError, match="π is the number π"):
        matcalc.parse("π x", shapes={"π": ()})


def test_erf_code_runs_with_numpy_and_math_only():
    source = matcalc.derive("sum(erf(W x))", "W").numpy_source("g", value=True)
    assert source.startswith("import math\nimport numpy as np\n")
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 — matcalc's own output
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((3, 2)), rng.standard_normal(2)
    value, _ = namespace["g"](W=W, x=x)
    assert_close(value, sum(math.erf(v) for v in W @ x))
