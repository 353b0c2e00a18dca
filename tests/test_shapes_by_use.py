"""Shapes of undeclared names decided by their use (issue 15.6, CONTRACT "Shapes of
undeclared names"): the reported misreads read as the textbook means them, checked against
NumPy functions written by hand and finite differences; contradictory uses are errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import matcalc
from fd import assert_close, assert_close_to_fd, central_difference, draw
from matcalc.cli import main

SIZES = [3, 5, 4, 2]  # distinct sizes given to the result's dimension symbols in order


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# text, expected rank of each name, the textbook's NumPy function of the arrays
MISREADS = [
    ("a'x", {"a": 1, "x": 1}, lambda v: v["a"] @ v["x"]),
    ("‖Ax − b‖²", {"A": 2, "x": 1, "b": 1}, lambda v: np.sum((v["A"] @ v["x"] - v["b"]) ** 2)),
    ("(x − μ)ᵀΣ⁻¹(x − μ)", {"x": 1, "μ": 1, "Σ": 2},
     lambda v: (v["x"] - v["μ"]) @ np.linalg.inv(v["Σ"]) @ (v["x"] - v["μ"])),
    ("½‖y − W₂relu(W₁x + b₁) − b₂‖²", {"y": 1, "W2": 2, "W1": 2, "x": 1, "b1": 1, "b2": 1},
     lambda v: 0.5 * np.sum((v["y"] - v["W2"] @ np.maximum(v["W1"] @ v["x"] + v["b1"], 0)
                             - v["b2"]) ** 2)),
    ("sum(exp(b) + x)", {"b": 1, "x": 1}, lambda v: np.sum(np.exp(v["b"]) + v["x"])),
    ("sum(σ(Xw + b))", {"X": 2, "w": 1, "b": 1}, lambda v: np.sum(_sigmoid(v["X"] @ v["w"] + v["b"]))),
    ("‖X − c‖²", {"X": 2, "c": 2}, lambda v: np.sum((v["X"] - v["c"]) ** 2)),
    ("sum(x ⊙ (2d − 1))", {"x": 1, "d": 1}, lambda v: np.sum(v["x"] * (2 * v["d"] - 1))),
    ("(a + b)ᵀ(b + x)", {"a": 1, "b": 1, "x": 1}, lambda v: (v["a"] + v["b"]) @ (v["b"] + v["x"])),
    # scaling keeps the convention; numbers broadcast as before
    ("c xᵀx + 1", {"c": 0, "x": 1}, lambda v: v["c"] * v["x"] @ v["x"] + 1),
    ("sum(x + 1)/(2c²)", {"x": 1, "c": 0}, lambda v: np.sum(v["x"] + 1) / (2 * v["c"] ** 2)),
]


def _arrays(shapes: dict, seed: int) -> dict:
    symbols: list = []
    for dims in shapes.values():
        symbols += [d for d in dims if d not in symbols]
    size = dict(zip(symbols, SIZES))
    rng = np.random.default_rng(seed)
    out = {}
    for name, dims in shapes.items():
        value = draw(tuple(size[d] for d in dims), rng)
        if name == "Σ":  # invertible
            value = value @ value.T + len(value) * np.eye(len(value))
        out[name] = value
    return out


@pytest.mark.parametrize("text, ranks, reference", MISREADS, ids=[m[0] for m in MISREADS])
def test_names_take_the_shape_their_use_gives(text, ranks, reference):
    f = matcalc.parse(text)
    assert {name: len(s) for name, s in f.shapes.items()} == ranks
    for seed in range(3):
        arrays = _arrays(f.shapes, seed)
        assert_close(f.evaluate(**arrays), reference(arrays), text)
        for name in ranks:
            d = matcalc.derive(text, wrt=name)
            assert d.shapes == f.shapes
            expected = central_difference(reference, arrays, name)
            assert_close_to_fd(d.evaluate(**arrays), expected, f"∂({text})/∂{name}")


def test_a_transposed_name_has_the_length_of_what_it_multiplies():
    f = matcalc.parse("a'x")
    assert f.shapes["a"] == f.shapes["x"]
    assert matcalc.parse("a'X").shapes["a"] == (matcalc.parse("a'X").shapes["X"][0],)


def test_declared_names_and_numbers_broadcast_as_before():
    f = matcalc.parse("Xw + b", shapes={"b": ()})
    assert f.shapes["b"] == ()
    arrays = {"X": np.arange(6.0).reshape(3, 2), "w": np.array([1.0, -1.0]), "b": 0.5}
    assert_close(f.evaluate(**arrays), arrays["X"] @ arrays["w"] + 0.5)
    assert matcalc.parse("1 − y").shapes == {"y": ("m",)}


def test_the_convention_decides_what_use_leaves_open():
    assert matcalc.parse("c x").shapes == {"c": (), "x": ("m",)}
    assert matcalc.parse("a b + c").shapes == {"a": (), "b": (), "c": ()}


@pytest.mark.parametrize("text, first, second", [
    ("sum(b + x) + sum(b + X)", "b + x", "b + X"),
    ("tr(X − a) + sum(exp(a) + y)", "X − a", "exp(a) + y"),
])
def test_contradictory_uses_name_both_places(text, first, second):
    with pytest.raises(matcalc.ShapeError) as info:
        matcalc.parse(text)
    message = str(info.value)
    assert first in message and second in message and "shapes=" in message
    assert message.count("column") == 2


@pytest.mark.parametrize("text, decided", [
    ("sum(b + x) + sum(x/b)", "b + x"),  # a vector by use, then a divisor (a scalar)
    ("a'x + a^2", "a'"),
])
def test_a_use_that_needs_a_scalar_after_another_names_both(text, decided):
    with pytest.raises(matcalc.ShapeError) as info:
        matcalc.parse(text)
    message = str(info.value)
    assert decided.replace("'", "ᵀ") in message and message.count("column") == 2


def test_a_name_broadcast_into_a_row_vector_is_an_error_that_says_what_to_write():
    with pytest.raises(matcalc.ShapeError, match="bᵀ"):
        matcalc.parse("xᵀA + b")
    f = matcalc.parse("xᵀA + bᵀ")
    assert f.shapes["b"] == (f.shapes["A"][1],)


def test_wrt_a_name_typed_by_use():
    d = matcalc.derive("‖Ax − b‖²", wrt="b")
    assert d.shape == d.shapes["b"] == (d.shapes["A"][0],)


def test_cli_json_and_steps_show_the_shapes(capsys):
    assert main(["derive", "a'x", "--wrt", "a", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["shapes"] == {"a": ["m"], "x": ["m"]}
    assert main(["derive", "a'x", "--wrt", "a", "--format", "text", "--steps"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "shapes: a: m, x: m"
    assert main(["derive", "a'x", "--wrt", "a", "--steps"]) == 0
    assert r"a \in \mathbb{R}^{m}" in capsys.readouterr().out.splitlines()[0]
