"""Numeric identity table: every row's derivative against central differences.

The table (tests/identities_table.py) lists scalar-valued functions from the Matrix
Cookbook §2, matrixcalculus.org's documentation and common ML losses.  For each row and
each of three draws (distinct sizes per dimension symbol, distinct seeds):
  - the derivative agrees with central differences of the expression's own evaluator,
    in the S + V layout (here V: the functions are scalar);
  - the printed text is one of the expected compact forms (when the row gives any);
  - the printed text parses back and evaluates to the same numbers;
  - the declared shape comes back as `d.shape`.
Some rows carry an independent NumPy transcription that checks the evaluator itself.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest

import matcalc
from fd import assert_close, central_difference, draw
from identities_table import ROWS, Row
from matcalc.functions import FUNCTIONS

# Three size assignments; within each, every symbol has a different size, so a transposed
# or mis-contracted result cannot pass by accident.  Square matrices repeat a symbol.
SIZES = [
    {"m": 3, "n": 4, "p": 5, "k": 2, "q": 6},
    {"m": 5, "n": 2, "p": 3, "k": 6, "q": 4},
    {"m": 4, "n": 6, "p": 2, "k": 3, "q": 5},
]

ROW_PARAMS = [pytest.param(row, id=row.id) for row in ROWS]
COMPACT_PARAMS = [pytest.param(row, id=row.id) for row in ROWS if row.compact]
NUMPY_PARAMS = [pytest.param(row, id=row.id) for row in ROWS if row.numpy_f]
DECLARED_PARAMS = [pytest.param(row, id=row.id) for row in ROWS if row.declare]


# ── helpers ────────────────────────────────────────────────────────────────────────────
def declared(row: Row):
    return row.shapes if row.declare else None


def concrete(shape: tuple, sizes: dict) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) else sizes[d] for d in shape)


def draw_one(shape: tuple[int, ...], rng: np.random.Generator, domain: str):
    """fd.draw, plus `nonzero`: real entries pushed at least 0.25 away from 0 (kinks)."""
    if domain == "nonzero":
        value = np.asarray(draw(shape, rng, "real"))
        value = value + 0.25 * np.where(value >= 0, 1.0, -1.0)
        return float(value) if shape == () else value
    return draw(shape, rng, domain)


def draw_arrays(row: Row, index: int) -> dict:
    """Arrays for every name of the row, for draw `index` (0, 1, 2)."""
    rng = np.random.default_rng([zlib.crc32(row.id.encode()), index])
    sizes = SIZES[index]
    return {name: draw_one(concrete(shape, sizes), rng, row.domains.get(name, "real"))
            for name, shape in sorted(row.shapes.items())}


def squeeze(text: str) -> str:
    return "".join(text.split())


# The function names the printer writes (longest first: logdet before log), removed before
# variable names are read.
_FUNCTIONS = re.compile("|".join(sorted({*FUNCTIONS, *(f.text for f in FUNCTIONS.values())},
                                        key=len, reverse=True)))
_NAME = re.compile(r"[A-Za-zΑ-Ωα-ω](?:[0-9₀-₉]+|_[A-Za-z0-9]+)?")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def fixes_a_dimension(text: str, row: Row) -> bool:
    """Whether `text` names a vector or matrix variable of the row.  Texts such as `I`,
    `2I`, `aI`, `0`, `𝟏` carry no size, so they cannot be parsed back on their own."""
    names = {m.group().translate(_SUBSCRIPTS).replace("_", "")
             for m in _NAME.finditer(_FUNCTIONS.sub("", text))}
    return any(row.shapes.get(name, ()) != () for name in names)


# ── the table itself ───────────────────────────────────────────────────────────────────
def test_table_is_large_and_ids_are_unique():
    ids = [row.id for row in ROWS]
    assert len(ids) >= 70
    assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1]
    for row in ROWS:
        assert row.wrt in row.shapes, row.id
        assert set(row.domains) <= set(row.shapes), row.id


# ── derivative vs central differences ──────────────────────────────────────────────────
@pytest.mark.parametrize("row", ROW_PARAMS)
def test_gradient_matches_central_differences(row: Row):
    d = matcalc.derive(row.expr, wrt=row.wrt, shapes=declared(row))
    f_expr = matcalc.parse(row.expr, shapes=declared(row))

    def f(arrays):
        return f_expr.evaluate(**arrays)

    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        expected = central_difference(f, arrays, row.wrt)
        assert_close(d.evaluate(**arrays), expected,
                     what=f"{row.id} draw {index} sizes {SIZES[index]}: d = {d}")


# ── compact printed form ───────────────────────────────────────────────────────────────
@pytest.mark.parametrize("row", COMPACT_PARAMS)
def test_compact_form(row: Row):
    d = matcalc.derive(row.expr, wrt=row.wrt, shapes=declared(row))
    text = str(d)
    accepted = [squeeze(c) for c in row.compact]
    assert squeeze(text) in accepted, f"{row.id}: got {text!r}, expected one of {row.compact}"
    assert isinstance(d.latex, str) and d.latex.strip(), f"{row.id}: empty latex"


# ── printed text parses back to the same numbers ───────────────────────────────────────
@pytest.mark.parametrize("row", ROW_PARAMS)
def test_printed_result_round_trips(row: Row):
    d = matcalc.derive(row.expr, wrt=row.wrt, shapes=declared(row))
    text = str(d)
    if not fixes_a_dimension(text, row):
        pytest.skip(f"{text!r} names no vector or matrix: its size cannot be inferred")
    back = matcalc.parse(text, shapes=declared(row))
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        assert_close(back.evaluate(**arrays), d.evaluate(**arrays),
                     what=f"{row.id} draw {index}: parse({text!r})")


@pytest.mark.parametrize("row", ROW_PARAMS)
def test_printed_latex_round_trips(row: Row):
    """d.latex reads back (LaTeX input, tests/test_latex.py) to the same shape and value."""
    d = matcalc.derive(row.expr, wrt=row.wrt, shapes=declared(row))
    if not fixes_a_dimension(str(d), row):
        pytest.skip(f"{d.latex!r} names no vector or matrix: its size cannot be inferred")
    back = matcalc.parse(d.latex, shapes=declared(row), syntax="latex")
    assert back.shape == d.shape, d.latex
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        assert_close(back.evaluate(**arrays), d.evaluate(**arrays),
                     what=f"{row.id} draw {index}: parse({d.latex!r})")


# ── the evaluator against an independent NumPy transcription ───────────────────────────
@pytest.mark.parametrize("row", NUMPY_PARAMS)
def test_evaluator_matches_numpy(row: Row):
    expr = matcalc.parse(row.expr, shapes=declared(row))
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        assert_close(expr.evaluate(**arrays), row.numpy_f(arrays),
                     what=f"{row.id} draw {index}: evaluate({row.expr!r})")


# ── symbolic shape of the result ───────────────────────────────────────────────────────
@pytest.mark.parametrize("row", DECLARED_PARAMS)
def test_shape_is_the_declared_shape_of_the_variable(row: Row):
    d = matcalc.derive(row.expr, wrt=row.wrt, shapes=row.shapes)
    assert tuple(d.shape) == tuple(row.shapes[row.wrt]), f"{row.id}: d.shape = {d.shape!r}"


# ── variables the expression does not contain ──────────────────────────────────────────
@pytest.mark.parametrize("wrt, shape", [("y", ("m",)), ("Y", ("m", "p")), ("c", ())],
                         ids=["vector", "matrix", "scalar"])
def test_derivative_wrt_absent_variable_is_zero(wrt, shape):
    shapes = {"x": ("n",), wrt: shape}
    d = matcalc.derive("x'x", wrt=wrt, shapes=shapes)
    assert tuple(d.shape) == shape
    for index, sizes in enumerate(SIZES):
        rng = np.random.default_rng([99, index])
        arrays = {name: draw(concrete(s, sizes), rng) for name, s in shapes.items()}
        arrays["z"] = rng.standard_normal(3)  # extra, unused: must be accepted
        assert_close(d.evaluate(**arrays), np.zeros(concrete(shape, sizes)),
                     what=f"d(x'x)/d{wrt} draw {index}")
