"""No dense detours (issue 16, point 3): derivatives whose inputs and results are vectors
and tall n×k matrices are computed, by generated code and by `evaluate`, in memory linear
in n — never a diag(v), an outer product uwᵀ or a product XXᵀ of n² entries that the result
does not need.  Measured with tracemalloc, which sees NumPy's array buffers."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest
from fd import assert_close, assert_close_to_fd, central_difference

import matcalc

SHAPES = {"X": ("n", "k"), "w": ("k",), "u": ("n",), "v": ("n",), "a": ("n",), "x": ("n",), "y": ("n",)}
FORMS = [  # (expression, wrt): each derivative once had an n×n intermediate
    ("u'diag(v)a", "v"),                              # u ⊙ a, once diag(uaᵀ)
    ("u'diag(v)a", "u"),                              # diag(v)a: a broadcast
    ("x'diag(v)x", "v"),
    ("sum(diag(v)*X)", "v"),                          # diag(𝟙Xᵀ)
    ("tr(diag(v)*X*X')", "v"),                        # diag(XXᵀ)
    ("norm2(diag(v)*x - y)^2", "v"),
    ("(X*w - y)'diag(v)(X*w - y)", "w"),              # weighted least squares: Xᵀ diag(v) r
    ("(X*w - y)'diag(v)(X*w - y)", "v"),
    ("sum(σ(diag(v)*X*w))", "v"),
    ("u'diag(X*w)*u", "w"),
    ("sum(log(1 + exp(-y .* (X*w))))", ("w", "w")),   # Xᵀ diag(…) X, k×k
    ("y'log(σ(X*w)) + (1-y)'log(1 - σ(X*w))", ("w", "w")),  # once a sum of four n×n diag(…)
]
IDS = [f"{text} wrt {wrt}" for text, wrt in FORMS]


def _derive(text: str, wrt: str | tuple[str, ...]) -> matcalc.Derivative:
    shapes = {name: shape for name, shape in SHAPES.items() if name in matcalc.parse(text, SHAPES).variables}
    return matcalc.derive(text, wrt=list(wrt) if isinstance(wrt, tuple) else wrt, shapes=shapes)


def _arrays(d: matcalc.Derivative, n: int, k: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(n)
    return {name: rng.standard_normal(tuple(n if dim == "n" else k for dim in SHAPES[name]))
            for name in d.function.variables}


def _peak(compute: Callable[..., object], arrays: dict[str, np.ndarray]) -> int:
    tracemalloc.start()
    try:
        compute(**arrays)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _load(source: str) -> Callable[..., np.ndarray]:
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 — our own output
    return namespace["g"]


@pytest.mark.parametrize("text, wrt", FORMS, ids=IDS)
def test_derivative_is_right_at_small_sizes(text, wrt):
    """The forms the rules print (u ⊙ w, one diag of a sum, …), against central differences
    in float64 with n ≠ k, and the generated code against `evaluate`."""
    d = _derive(text, wrt)
    g = _load(d.numpy_source(name="g"))
    # A Hessian is the difference quotient of the gradient.
    inner, last = (_derive(text, wrt[0]), wrt[1]) if isinstance(wrt, tuple) else (d.function, wrt)
    for seed in range(3):
        arrays = _arrays(d, 5 + seed)
        if "y .*" in text or "log(σ" in text:
            arrays["y"] = np.sign(arrays["y"]) if "y .*" in text else (arrays["y"] > 0).astype(float)
        expected = central_difference(lambda a: inner.evaluate(**a), arrays, last)
        value = d.evaluate(**arrays)
        assert_close_to_fd(value, expected, f"{d}")
        assert_close(g(**arrays), value, f"{d}", rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("text, wrt", FORMS, ids=IDS)
def test_memory_stays_linear_at_n_20000(text, wrt):
    d = _derive(text, wrt)
    g = _load(d.numpy_source(name="g"))
    for name, compute in (("code", g), ("evaluate", d.evaluate)):
        # First at n = 500 and 2000: a quadratic intermediate grows 16 times there, and is
        # caught before n = 20000 would make it 3.2 GB.
        small, large = (_peak(compute, _arrays(d, n)) for n in (500, 2000))
        assert large <= 5 * small + 100_000, (name, str(d), small, large)
        peak = _peak(compute, _arrays(d, 20000))
        assert peak < 50_000_000, (name, str(d), peak)


def test_the_textbook_forms_print():
    """diag(uwᵀ) = u ⊙ w and c·diag(a) + d·diag(b) = diag(c·a + d·b) print as such."""
    assert str(matcalc.derive("u'diag(v)w", wrt="v")) == "u ⊙ w"
    assert str(matcalc.derive("x'diag(v)x", wrt="v")) == "x.^2"
    hessian = str(_derive("y'log(σ(X*w)) + (1-y)'log(1 - σ(X*w))", ("w", "w")))
    assert hessian.count("diag(") == 1, hessian
