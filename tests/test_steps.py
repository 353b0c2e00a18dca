"""Derivation steps (matcalc/steps.py): every formal step equals the one before it.

A differential step is a scalar linear in dX; a derivative step G stands for ⟨G, dX⟩.
With dX bound to a random direction both are numbers, so consecutive formal steps must
agree, and the last must be derive's own result.  Checked for every row of the identity
table, the seed examples and random expressions; the seed's two-step story is checked
word for word.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import matcalc
from expression_strategy import ONE, expressions, variable_and_shapes
from fd import draw, rejecting_undefined
from identities_table import ROWS
from matcalc import steps as steps_module
from matcalc.cli import main
from matcalc.evaluator import evaluate
from matcalc.expr import Differential, Var, free_vars, substitute
from test_identities import SIZES, declared, draw_arrays
import itertools

DIRECTION = "dX_direction"  # not a name the inputs use


def step_values(d: matcalc.Derivative, arrays: dict, direction: np.ndarray) -> list[float | None]:
    """Each step's value as the number df(dX) = ⟨G, dX⟩ for dX = direction (None for
    informal steps)."""
    (x,) = d._wrt_vars
    variables = {**free_vars(d.function.node), x.name: x}
    given = {**arrays, DIRECTION: direction}
    bound = Var(DIRECTION, (x.rows, x.cols))
    values: list[float | None] = []
    for s in d.steps:
        if s.informal:
            values.append(None)
        elif s.is_differential:
            node = substitute(s.node, {Differential(x): bound})
            values.append(float(evaluate(node, given, {**variables, DIRECTION: bound}, required=())))
        else:
            g = evaluate(s.node, given, variables, required=())
            values.append(float(np.sum(np.asarray(g) * direction)))
    return values


def directional_difference(d: matcalc.Derivative, arrays: dict, direction: np.ndarray,
                           h: float = 1e-6) -> float:
    x = d.wrt[0]
    f = d.function
    plus = f.evaluate(**{**arrays, x: arrays[x] + h * direction})
    minus = f.evaluate(**{**arrays, x: arrays[x] - h * direction})
    return float((plus - minus) / (2 * h))


def assert_chain(d: matcalc.Derivative, arrays: dict, seed: int, what: str) -> None:
    """Consecutive formal steps agree; the first matches finite differences of f; the
    last is derive's result, node for node."""
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(np.shape(arrays[d.wrt[0]]))
    values = step_values(d, arrays, direction)
    formal = [(s, v) for s, v in zip(d.steps, values) if v is not None]
    assert formal, what
    scale = max(1.0, *(abs(v) for _, v in formal))
    for (before, a), (after, b) in itertools.pairwise(formal):
        assert abs(a - b) <= 1e-8 * scale, f"{what}: {before} ≠ {after} ({a} vs {b})"
    expected = float(np.sum(np.asarray(d.evaluate(**arrays)) * direction))
    assert abs(formal[-1][1] - expected) <= 1e-8 * scale, what
    assert abs(formal[0][1] - directional_difference(d, arrays, direction)) <= 1e-5 * scale, what
    last = d.steps[-1]
    assert not last.informal and not last.is_differential, what
    assert last.node == d.node and last.text == str(d), what


# ── the seed example ───────────────────────────────────────────────────────────────────
SEED = [
    ("(Xω-y)^T(Xω-y)", "X", "2(Xω − y)ω", "2(Xω − y)ωᵀ"),
    ("(Xω-y)^T(Xω-y)", "ω", "2(Xω − y)X", "2Xᵀ(Xω − y)"),
    ("(Xw-y)^T(Xw-y)", "X", "2(Xw − y)w", "2(Xw − y)wᵀ"),
    ("(Xw-y)^T(Xw-y)", "w", "2(Xw − y)X", "2Xᵀ(Xw − y)"),
]


@pytest.mark.parametrize("text, wrt, scalar_style, result", SEED)
def test_seed_two_step_story(text, wrt, scalar_style, result):
    steps = matcalc.derive(text, wrt=wrt).steps
    assert steps[0].rule == "treat as scalars" and steps[0].informal
    assert steps[0].text == scalar_style
    assert [s.informal for s in steps[1:]] == [False] * (len(steps) - 1)
    assert steps[1].rule == "differential" and steps[1].is_differential
    assert steps[-1].text == result
    rules = [s.rule for s in steps]
    assert "transpose of a scalar" in rules and "(AB)ᵀ = BᵀAᵀ" in rules
    assert any(r.startswith("identify") for r in rules)
    if wrt in ("X",):
        assert "trace cyclicity" in rules and "identify tr(Gᵀ dX)" in rules


def test_seed_steps_read_as_the_method_describes():
    steps = matcalc.derive("(Xω-y)^T(Xω-y)", wrt="X").steps
    assert [str(s) for s in steps] == [
        "treat as scalars: ∂f/∂X “=” 2(Xω − y)ω",
        "differential: df = (dX ω)ᵀ(Xω − y) + (Xω − y)ᵀ dX ω",
        "transpose of a scalar: df = (Xω − y)ᵀ dX ω + (Xω − y)ᵀ dX ω",
        "trace cyclicity: df = tr(ω(Xω − y)ᵀ dX) + (Xω − y)ᵀ dX ω",
        "trace cyclicity: df = tr(ω(Xω − y)ᵀ dX) + tr(ω(Xω − y)ᵀ dX)",
        "linearity: collect terms: df = 2 tr(ω(Xω − y)ᵀ dX)",
        "identify tr(Gᵀ dX): ∂f/∂X = (2ω(Xω − y)ᵀ)ᵀ",
        "(AB)ᵀ = BᵀAᵀ: ∂f/∂X = 2(Xω − y)ωᵀ",
    ]


@pytest.mark.parametrize("text, wrt, scalar_style, result", SEED)
def test_seed_steps_are_equal_numerically(text, wrt, scalar_style, result):
    d = matcalc.derive(text, wrt=wrt)
    weights = "ω" if "ω" in text else "w"
    for seed in range(3):
        rng = np.random.default_rng(seed)
        arrays = {"X": rng.standard_normal((4, 3)), weights: rng.standard_normal(3),
                  "y": rng.standard_normal(4)}
        assert_chain(d, arrays, seed, f"{text} wrt {wrt}")


# ── the identity table ─────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("row", [pytest.param(row, id=row.id) for row in ROWS])
def test_every_formal_step_equals_the_next(row):
    d = matcalc.derive(row.expr, wrt=row.wrt, shapes=declared(row))
    assert steps_module.GENERIC.name not in [s.rule for s in d.steps], "a move went undescribed"
    for index in range(len(SIZES)):
        arrays = draw_arrays(row, index)
        assert_chain(d, arrays, zlib.crc32(row.id.encode()) + index, row.id)


def test_steps_are_deterministic():
    for row in ROWS[::5]:
        first = matcalc.derive(row.expr, wrt=row.wrt, shapes=declared(row)).steps
        second = matcalc.derive(row.expr, wrt=row.wrt, shapes=declared(row)).steps
        assert [(str(s), s.latex, s.justification) for s in first] == \
            [(str(s), s.latex, s.justification) for s in second]


# ── robustness ─────────────────────────────────────────────────────────────────────────
def test_a_variable_f_does_not_depend_on():
    d = matcalc.derive("x'x", wrt="y")
    assert [s.text for s in d.steps if not s.informal] == ["0", "0_{n_y}"]  # the zero vector
    assert_chain(d, {"x": np.ones(3), "y": np.ones(2)}, 0, "x'x wrt y")


def test_too_large_a_differential_falls_back_to_one_generic_step(monkeypatch):
    monkeypatch.setattr(steps_module, "MAX_DIFFERENTIAL_SIZE", 3)
    d = matcalc.derive("(Xw-y)^T(Xw-y)", wrt="w")
    assert d.steps[-1].rule == steps_module.GENERIC.name
    assert d.steps[-1].node == d.node
    rng = np.random.default_rng(0)
    assert_chain(d, {"X": rng.standard_normal((4, 3)), "w": rng.standard_normal(3),
                     "y": rng.standard_normal(4)}, 0, "fallback")


def test_steps_are_computed_only_when_asked(monkeypatch):
    def fail(*args):
        raise AssertionError("steps computed during derive")

    monkeypatch.setattr(matcalc.api, "derivation", fail)
    d = matcalc.derive("x'Ax", wrt="x")
    assert str(d) == "(A + Aᵀ)x"


scalar_texts = expressions((ONE, ONE), depth=3)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=scalar_texts, choice=st.integers(0, 10), seed=st.integers(0, 2**16))
@rejecting_undefined
def test_random_expressions_have_equal_steps(text, choice, seed):
    wrt, shapes = variable_and_shapes(text, choice)
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    rng = np.random.default_rng(seed)
    sizes = {"m": 3, "n": 4, "p": 2}
    arrays = {name: draw(tuple(sizes[s] for s in dims), rng) for name, dims in shapes.items()}
    with np.errstate(all="ignore"):
        value = matcalc.parse(text, shapes=shapes).evaluate(**arrays)
    assume(np.isfinite(value) and abs(value) < 1e6)
    direction = rng.standard_normal(np.shape(arrays[wrt]))
    values = [v for v in step_values(d, arrays, direction) if v is not None]
    assume(all(np.isfinite(values)))
    scale = max(1.0, *(abs(v) for v in values))
    assert max(values) - min(values) <= 1e-7 * scale, [str(s) for s in d.steps]
    assert d.steps[-1].node == d.node
    assert steps_module.GENERIC.name not in [s.rule for s in d.steps], [str(s) for s in d.steps]


# ── printing and the command line ──────────────────────────────────────────────────────
def test_step_prints_as_text_and_latex():
    step = matcalc.derive("tr(AXB)", wrt="X").steps[-1]
    assert step.equation == "∂f/∂X = AᵀBᵀ"
    assert step.equation_latex == r"\frac{\partial f}{\partial X} = A^{\top} B^{\top}"
    differential = next(s for s in matcalc.derive("tr(AXB)", wrt="X").steps if s.is_differential)
    assert differential.equation == "df = tr(A dX B)"
    assert differential.equation_latex == r"\mathrm{d}f = \operatorname{tr}\left(A \mathrm{d}X B\right)"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.rstrip("\n").splitlines(), err


def test_cli_text_steps_come_before_the_result(capsys):
    code, lines, _ = run(capsys, "derive", "(Xω-y)^T(Xω-y)", "--wrt", "ω", "--steps", "--format", "text")
    d = matcalc.derive("(Xω-y)^T(Xω-y)", wrt="ω")
    assert code == 0 and lines[-1] == str(d)
    assert lines[0] == "shapes: X: m×n, ω: n, y: m"
    numbered = [line for line in lines[1:-1] if not line.startswith(" ")]
    assert numbered == [f"{i}. {s.rule}{' (informal)' if s.informal else ''}: {s.equation}"
                        for i, s in enumerate(d.steps, 1)]
    assert numbered[0] == "1. treat as scalars (informal): ∂f/∂ω “=” 2(Xω − y)X"


def test_cli_latex_steps(capsys):
    code, lines, _ = run(capsys, "derive", "tr(AXB)", "--wrt", "X", "--steps")
    d = matcalc.derive("tr(AXB)", wrt="X")
    assert code == 0 and lines[-1] == d.latex and len(lines) == len(d.steps) + 2
    assert lines[0].startswith(r"\text{shapes: }A \in \mathbb{R}^{")
    assert all(s.equation_latex in line for s, line in zip(d.steps, lines[1:]))


def test_cli_json_steps(capsys):
    code, lines, _ = run(capsys, "derive", "x'Ax", "--wrt", "x", "--steps", "--format", "json")
    data = json.loads("\n".join(lines))
    d = matcalc.derive("x'Ax", wrt="x")
    assert code == 0 and [s["text"] for s in data["steps"]] == [s.text for s in d.steps]
    assert data["steps"][-1]["text"] == data["text"] == "(A + Aᵀ)x"
    assert {"rule", "justification", "informal", "latex"} <= set(data["steps"][0])


def test_the_console_example_in_the_docs_is_what_the_cli_prints(capsys):
    docs = (Path(__file__).resolve().parent.parent / "docs" / "steps.md").read_text(encoding="utf-8")
    block = docs.split("$ matcalc derive 'tr(AXB)' --wrt X --steps --format text\n")[1].split("```")[0]
    code, lines, _ = run(capsys, "derive", "tr(AXB)", "--wrt", "X", "--steps", "--format", "text")
    assert code == 0 and lines == block.rstrip("\n").splitlines()
