"""Jacobians, Hessians, mixed and tensor derivatives against central differences.

For each row of tests/jacobians_table.py and each of three draws (distinct sizes per
dimension symbol, distinct seeds):
  - the value has exactly the shape S + V (+ V₂ …) and agrees with central differences:
    of the function for a first derivative; of the (itself checked) first derivative for a
    second one;
  - `d.shape` is that shape in dimension symbols;
  - the printed text is in the expected form (matrix or index notation) and parses back to
    the same numbers; LaTeX is produced.
Plus: evaluation builds nothing much larger than the result (no dense diag(v), no
Kronecker product), checked with tracemalloc on sizes where a dense intermediate would
take gigabytes.
"""

from __future__ import annotations

import tracemalloc
import zlib

import numpy as np
import pytest

import matcalc
from fd import assert_close, central_difference, draw
from jacobians_table import ROWS, Row

SIZES = [
    {"m": 3, "n": 4, "p": 5, "q": 2},
    {"m": 5, "n": 2, "p": 3, "q": 4},
    {"m": 4, "n": 3, "p": 2, "q": 5},
]
PARAMS = [pytest.param(row, id=row.id) for row in ROWS]
COMPACT = [pytest.param(row, id=row.id) for row in ROWS if row.compact]


def concrete(shape: tuple, sizes: dict) -> tuple[int, ...]:
    return tuple(sizes[d] for d in shape)


def draw_arrays(row: Row, index: int) -> dict:
    rng = np.random.default_rng([zlib.crc32(row.id.encode()), index])
    arrays = {}
    for name, shape in sorted(row.shapes.items()):
        domain = row.domains.get(name, "real")
        if domain == "nonzero":
            value = np.asarray(draw(concrete(shape, SIZES[index]), rng))
            value = value + 0.25 * np.where(value >= 0, 1.0, -1.0)
            arrays[name] = float(value) if shape == () else value
        else:
            arrays[name] = draw(concrete(shape, SIZES[index]), rng, domain)
    return arrays


def expected_shape(row: Row, f: matcalc.Expression) -> tuple:
    out = tuple(f.shape)
    for name in row.wrt:
        out += tuple(row.shapes[name])
    return out


def test_table_is_large_and_ids_are_unique():
    ids = [row.id for row in ROWS]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert sum(len(row.wrt) == 2 for row in ROWS) >= 15
    assert sum(row.form == "index" for row in ROWS) >= 15


@pytest.mark.parametrize("row", PARAMS)
def test_derivative_matches_central_differences(row: Row):
    f = matcalc.parse(row.expr, shapes=row.shapes)
    d = matcalc.derive(row.expr, wrt=list(row.wrt), shapes=row.shapes)
    assert tuple(d.shape) == expected_shape(row, f), f"{row.id}: d.shape = {d.shape}"
    first = matcalc.derive(row.expr, wrt=row.wrt[0], shapes=row.shapes) if len(row.wrt) == 2 else None
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        what = f"{row.id} draw {index} sizes {SIZES[index]}: d = {d}"
        if first is None:
            expected = central_difference(lambda a: f.evaluate(**a), arrays, row.wrt[0])
        else:
            assert_close(first.evaluate(**arrays),
                         central_difference(lambda a: f.evaluate(**a), arrays, row.wrt[0]),
                         what=f"{row.id} draw {index}: first derivative {first}")
            expected = central_difference(lambda a: first.evaluate(**a), arrays, row.wrt[1])
        value = d.evaluate(**arrays)
        assert np.shape(value) == concrete(expected_shape(row, f), SIZES[index]), what
        assert_close(value, expected, what=what, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("row", PARAMS)
def test_printed_form_parses_back_to_the_same_numbers(row: Row):
    d = matcalc.derive(row.expr, wrt=list(row.wrt), shapes=row.shapes)
    text = str(d)
    assert text.startswith("[") == (row.form == "index"), f"{row.id}: {text!r} is not in {row.form} form"
    assert d.latex.strip() and d.latex.count("{") == d.latex.count("}"), d.latex
    back = matcalc.parse(text, shapes=row.shapes)
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        value = d.evaluate(**arrays)
        again = back.evaluate(**arrays)
        # A matrix-form text may drop axes that the layout keeps (a scalar Hessian `6ab`).
        assert_close(np.broadcast_to(again, np.shape(value)), value, what=f"{row.id}: parse({text!r})")


@pytest.mark.parametrize("row", COMPACT)
def test_compact_form(row: Row):
    text = str(matcalc.derive(row.expr, wrt=list(row.wrt), shapes=row.shapes))
    assert "".join(text.split()) in ["".join(c.split()) for c in row.compact], f"{row.id}: {text!r}"


def test_absent_variable_gives_zeros_of_the_full_shape():
    shapes = {"x": ("n",), "A": ("m", "n"), "Y": ("p", "q")}
    d = matcalc.derive("A*x", wrt="Y", shapes=shapes)
    assert d.shape == ("m", "p", "q")
    value = d.evaluate(A=np.ones((3, 4)), x=np.ones(4), Y=np.ones((2, 5)))
    assert value.shape == (3, 2, 5) and not value.any()


def test_index_notation_round_trips_by_hand():
    with pytest.raises(matcalc.ShapeError, match="index k ranges over n and m"):
        matcalc.parse("[i,j,k,l] ↦ A[i,k] B[l,j] − 2 δ[i,k] C[l,j]",
                      {"A": ("m", "n"), "B": ("p", "q"), "C": ("p", "q")})  # δ[i,k] needs m = n
    rng = np.random.default_rng(5)
    A, B, C = rng.standard_normal((3, 3)), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    t = matcalc.parse("[i,j,k,l] ↦ A[i,k] B[l,j] − 2 δ[i,k] C[l,j]",
                      {"A": ("m", "m"), "B": ("p", "q"), "C": ("p", "q")})
    assert t.shape == ("m", "q", "m", "p")
    expected = np.einsum("ik,lj->ijkl", A, B) - 2 * np.einsum("ik,lj->ijkl", np.eye(3), C)
    assert_close(t.evaluate(A=A, B=B, C=C), expected)
    assert str(t) == "[i,j,k,l] ↦ A[i,k] B[l,j] − 2 δ[i,k] C[l,j]"
    assert t.latex == r"\left[A_{ik} B_{lj} - 2 \delta_{ik} C_{lj}\right]_{ijkl}"


# ── no dense intermediates ─────────────────────────────────────────────────────────────
def _peak_bytes(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        value = fn()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("expr, wrt, shapes, sizes", [
    # diag(σ′(Wx)) W: a dense diag would be m × m = 20000² doubles (3.2 GB)
    ("sigmoid(W*x)", "x", {"W": ("m", "n"), "x": ("n",)}, {"m": 20000, "n": 3}),
    # Xᵀ diag(p ⊙ (1 − p)) X, the logistic Hessian: the same m × m diagonal
    ("sum(log(1 + exp(-y .* (X*w))))", ["w", "w"], {"X": ("m", "n"), "w": ("n",), "y": ("m",)},
     {"m": 20000, "n": 3}),
    # δ[i,j] w[k]: as a Kronecker product I ⊗ wᵀ, or with δ as a dense array, it is no
    # larger than the result, so the bound below is what proves it: about one result.
    ("X*w", "X", {"X": ("m", "n"), "w": ("n",)}, {"m": 60, "n": 50}),
    # 2 (XᵀX)[i,k] δ[j,l]: the Kronecker form I ⊗ XᵀX, here from X with 20000 rows
    ("||X*W - Y||^2", ["W", "W"], {"X": ("m", "n"), "W": ("n", "p"), "Y": ("m", "p")},
     {"m": 20000, "n": 4, "p": 6}),
])
def test_evaluation_allocates_about_the_result(expr, wrt, shapes, sizes):
    rng = np.random.default_rng(0)
    arrays = {k: rng.standard_normal(tuple(sizes[d] for d in s)) for k, s in shapes.items()}
    d = matcalc.derive(expr, wrt=wrt, shapes=shapes)
    value, peak = _peak_bytes(lambda: d.evaluate(**arrays))
    inputs = sum(a.nbytes for a in arrays.values())
    assert peak <= 4 * (np.asarray(value).nbytes + inputs) + 2**20, (
        f"{expr}: peak {peak / 1e6:.1f} MB for a result of {np.asarray(value).nbytes / 1e6:.2f} MB "
        f"and inputs of {inputs / 1e6:.2f} MB")


def test_command_line_takes_repeated_wrt_and_prints_tensors(capsys):
    from matcalc.cli import main

    assert main(["derive", "x'Ax", "--wrt", "x", "--wrt", "x", "--format", "text"]) == 0
    assert capsys.readouterr().out.strip() == "A + Aᵀ"
    assert main(["derive", "A*X*B", "--wrt", "X", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"text": "[i,j,k,l] ↦ A[i,k] B[l,j]"' in out and '"shape": ["m", "q", "n", "p"]' in out


def test_printed_forms_are_identical_across_hash_seeds():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    script = ("import sys; sys.path.insert(0, 'tests')\n"
              "import matcalc\nfrom jacobians_table import ROWS\n"
              "for r in ROWS:\n"
              "    d = matcalc.derive(r.expr, list(r.wrt), r.shapes)\n"
              "    print(d, d.latex, d.shape)\n")
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False, env=env, cwd=root)
        assert run.returncode == 0, run.stderr.decode()
        outputs.add(run.stdout)
    assert len(outputs) == 1
