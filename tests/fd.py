"""Finite differences and random draws shared by the numeric tests.

Every derivative matcalc prints is checked against central differences in float64; the
layout is S + V (output shape, then variable shape), as in CONTRACT.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from hypothesis import reject

from matcalc import UndefinedValueError

Arrays = dict[str, np.ndarray]


def central_difference(f: Callable[[Arrays], np.ndarray], arrays: Mapping[str, np.ndarray],
                       wrt: str, h: float = 1e-6) -> np.ndarray:
    """∂f/∂arrays[wrt] in layout S + V, by (f(x + h e) − f(x − h e)) / 2h per entry."""
    base = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
    x = base[wrt]
    out_shape = np.shape(f(base))
    result = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        fp = np.asarray(f({**base, wrt: plus}), dtype=np.float64)
        fm = np.asarray(f({**base, wrt: minus}), dtype=np.float64)
        result[(Ellipsis,) + idx] = (fp - fm) / (2 * h)
    return result


def draw(shape: tuple[int, ...], rng: np.random.Generator, domain: str = "real") -> np.ndarray | float:
    """A random array of `shape` in `domain`:
    real — standard normal; positive — in [0.5, 2]; spd — symmetric positive definite;
    invertible — well-conditioned square (I·n + noise); unit — entries in [-0.9, 0.9]."""
    if domain == "real":
        value = rng.standard_normal(shape)
    elif domain == "positive":
        value = rng.uniform(0.5, 2.0, shape)
    elif domain == "unit":
        value = rng.uniform(-0.9, 0.9, shape)
    elif domain == "spd":
        (n, _) = shape
        a = rng.standard_normal((n, n))
        value = a @ a.T + n * np.eye(n)
    elif domain == "invertible":
        (n, _) = shape
        value = n * np.eye(n) + rng.standard_normal((n, n))
    else:
        raise ValueError(f"unknown domain {domain!r}")
    return float(value) if shape == () else value


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str = "",
                 rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Shape first (exactly), then value."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def assert_close_to_fd(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """As assert_close, with the tolerance of a central difference: relative 1e-4, and
    absolute 1e-5 of the largest expected entry (at least 1e-5)."""
    scale = max(1.0, float(np.max(np.abs(np.asarray(expected, dtype=np.float64)), initial=0.0)))
    assert_close(actual, expected, what, rtol=1e-4, atol=1e-5 * scale)


def random_arrays(shapes: Mapping[str, tuple[str, ...]], sizes: Mapping[str, int], seed: int) -> Arrays:
    """Standard normal arrays for declared shapes, dimension names mapped through `sizes`."""
    rng = np.random.default_rng(seed)
    return {name: draw(tuple(sizes[d] for d in dims), rng) for name, dims in shapes.items()}


def rejecting_undefined(test: Callable[..., Any]) -> Callable[..., Any]:
    """A random draw where the function or its derivative has no value (log of a negative
    entry, the gradient of ‖y − y‖ at 0) is rejected, as matcalc reports it, not failed."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return test(*args, **kwargs)
        except UndefinedValueError:
            reject()

    return run
