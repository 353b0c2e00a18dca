"""Stable values (CONTRACT.md, "Numerics (v2)"): σ, log σ, log(1 − σ), softplus, softmax,
log-softmax and logsumexp, in `evaluate` and in generated code, at arguments up to ±700 in
float64 (±80 in float32), against mpmath at 400 digits; and the derivatives of the logistic,
CS229 and softmax losses at logits of ±40 and ±500."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import matcalc

# 400 digits: 1 − σ(−700) = 1 − 1e−304 must not round to 1 in the reference.
mpmath.mp.dps = 400

# float64 arguments up to ±700, float32 up to ±80: the extremes, the points where the naive
# forms fail (σ(−40) = 0 from ½(1 + tanh), 1 − σ(40) = 0), and small ones.  Multiples of
# 1/8 so that z − max(z) is exact and softmax's error is the algorithm's, not its input's.
EDGES = {np.float64: [-700.0, -500.0, -40.0, -30.0, -1.0, -0.125, 0.0, 0.125, 1.0, 30.0, 40.0, 500.0, 700.0],
         np.float32: [-80.0, -40.0, -17.0, -1.0, 0.0, 0.5, 17.0, 40.0, 80.0]}


def _args(dtype: type, rng: np.random.Generator) -> np.ndarray:
    top = 700 if dtype is np.float64 else 80
    draws = rng.integers(-8 * top, 8 * top, 12) / 8
    return np.concatenate([EDGES[dtype], draws]).astype(dtype)


def _sigma(t: mpmath.mpf) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-t))


def _lse(z: np.ndarray) -> mpmath.mpf:
    return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in z))


ELEMENTWISE = {
    "σ(x)": _sigma,
    "log(σ(x))": lambda t: mpmath.log(_sigma(t)),
    "log(1 - σ(x))": lambda t: mpmath.log(1 - _sigma(t)),
    "softplus(x)": lambda t: mpmath.log(1 + mpmath.exp(t)),
    "log(1 + exp(x))": lambda t: mpmath.log(1 + mpmath.exp(t)),
}
VECTOR = {
    "softmax(x)": lambda z: [mpmath.exp(mpmath.mpf(float(v)) - _lse(z)) for v in z],
    "log(softmax(x))": lambda z: [mpmath.mpf(float(v)) - _lse(z) for v in z],
    "logsumexp(x)": lambda z: [_lse(z)],
}


def _load(source: str) -> object:
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 — our own output
    return namespace["f"]


def _ulps(actual: np.ndarray, reference: list[mpmath.mpf], dtype: type, scale: np.ndarray | None = None) -> float:
    """The largest error in units of the last place of the reference (or of `scale`)."""
    ref = np.array([float(r) for r in reference], dtype=np.float64)
    exact = np.array([mpmath.mpf(float(a)) - r for a, r in zip(np.atleast_1d(actual), reference)])
    size = np.abs(ref) if scale is None else scale
    tiny = np.finfo(dtype).tiny
    unit = np.maximum(np.spacing(np.abs(size).astype(dtype)).astype(np.float64), np.spacing(dtype(tiny)))
    return max(abs(float(e)) / u for e, u in zip(exact, unit))


@pytest.mark.parametrize("text", list(ELEMENTWISE))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_elementwise_values_are_within_a_few_ulps_at_the_extremes(text, dtype):
    x = _args(dtype, np.random.default_rng(len(text)))
    expression = matcalc.parse(text)
    reference = [ELEMENTWISE[text](mpmath.mpf(float(v))) for v in x]
    code = _load(expression.numpy_source())(x)
    assert code.dtype == dtype, expression.numpy_source()
    assert _ulps(code, reference, dtype) <= 4, expression.numpy_source()
    if dtype is np.float64:  # evaluate computes in float64
        assert _ulps(expression.evaluate(x=x), reference, dtype) <= 4


@pytest.mark.parametrize("text", list(VECTOR))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_family_is_within_a_few_ulps_at_the_extremes(text, dtype):
    expression = matcalc.parse(text)
    f = _load(expression.numpy_source())
    rng = np.random.default_rng(3)
    top = 700 if dtype is np.float64 else 80
    for z in (np.array([top, top - 1, -top, 0.0, top / 2]), np.array([-top, -top + 0.5, -top / 2]),
              rng.integers(-8 * top, 8 * top, 6) / 8):
        z = z.astype(dtype)
        reference = VECTOR[text](z)
        # log softmax(z) = z − logsumexp(z) is as accurate as its input allows: its
        # condition number is |z|/|result|, so its error is counted in ulps of max |z|.
        scale = np.full(len(reference), np.max(np.abs(z))) if text.startswith("log(") else None
        code = f(z)
        assert np.asarray(code).dtype == dtype
        assert _ulps(code, reference, dtype, scale) <= 4, (z, code)
        if dtype is np.float64:
            assert _ulps(expression.evaluate(x=z), reference, dtype, scale) <= 4


# ── derivatives of the losses at large logits ──────────────────────────────────────────
def _design(logit: float, rng: np.random.Generator, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """X (5×3) and w with Xw = ±logit (mixed signs): each row of a random X rescaled."""
    X = rng.standard_normal((5, 3))
    w = rng.standard_normal(3)
    signs = np.array([1, -1, 1, -1, -1])
    X = X * (signs * logit / (X @ w))[:, None]
    return X.astype(dtype), w.astype(dtype)


def _mp(a: np.ndarray) -> mpmath.matrix:
    return mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in np.atleast_2d(a)])


def _logistic_grad(X, y, w):  # −Xᵀ(y ⊙ σ(−y ⊙ Xw))
    z = _mp(X) * _mp(w).T
    inner = mpmath.matrix([y[i] * _sigma(-y[i] * z[i]) for i in range(len(y))])
    return -(_mp(X).T * inner)


def _cs229_grad(X, y, w):  # Xᵀ(y − σ(Xθ))
    z = _mp(X) * _mp(w).T
    return _mp(X).T * mpmath.matrix([y[i] - _sigma(z[i]) for i in range(len(y))])


LOSSES = [
    ("sum(log(1 + exp(-y .* (X*w))))", "w", np.array([1.0, -1.0, -1.0, 1.0, -1.0]), _logistic_grad),
    ("y'log(σ(X*w)) + (1-y)'log(1 - σ(X*w))", "w", np.array([1.0, 0.0, 0.0, 1.0, 1.0]), _cs229_grad),
]


def _close(actual: np.ndarray, reference: mpmath.matrix, rtol: float) -> None:
    ref = np.array([float(v) for v in reference])
    assert np.all(np.isfinite(actual)), actual
    assert np.linalg.norm(actual - ref) <= rtol * np.linalg.norm(ref), (actual, ref)


@pytest.mark.parametrize("loss, wrt, y, gradient", LOSSES, ids=["logistic", "cs229"])
@pytest.mark.parametrize("logit", [40.0, 500.0])
def test_logistic_gradients_are_finite_and_accurate_at_large_logits(loss, wrt, y, gradient, logit):
    d = matcalc.derive(loss, wrt=wrt)
    f = _load(d.numpy_source(name="f"))
    for seed in range(3):
        X, w = _design(logit, np.random.default_rng(seed), np.float64)
        reference = gradient(X, y, w)
        _close(d.evaluate(X=X, y=y, w=w), reference, 1e-13)
        _close(f(y, X, w), reference, 1e-13)
        if logit <= 80:  # within float32's range of arguments
            X32, w32, y32 = X.astype(np.float32), w.astype(np.float32), y.astype(np.float32)
            g = f(y32, X32, w32)
            assert g.dtype == np.float32
            _close(g, gradient(X32, y32, w32), 1e-5)


@pytest.mark.parametrize("loss, wrt, y, gradient", LOSSES, ids=["logistic", "cs229"])
@pytest.mark.parametrize("logit", [40.0, 500.0])
def test_logistic_values_and_hessians_are_accurate_at_large_logits(loss, wrt, y, gradient, logit):
    f = matcalc.parse(loss)
    h = matcalc.derive(loss, wrt=[wrt, wrt])
    X, w = _design(logit, np.random.default_rng(7), np.float64)
    z = _mp(X) * _mp(w).T
    values = [f.evaluate(X=X, y=y, w=w), _load(f.numpy_source())(y, X, w), h.evaluate(X=X, y=y, w=w),
              _load(h.numpy_source(name="f"))(y, X, w)]
    assert all(np.all(np.isfinite(v)) for v in values)
    value = (mpmath.fsum(mpmath.log(1 + mpmath.exp(-y[i] * z[i])) for i in range(5)) if "exp" in loss else
             mpmath.fsum(y[i] * mpmath.log(_sigma(z[i])) + (1 - y[i]) * mpmath.log(1 - _sigma(z[i]))
                         for i in range(5)))
    for computed in values[:2]:
        assert abs(computed - float(value)) <= 1e-14 * abs(float(value))
    # The Hessian Xᵀ diag(σ(z) ⊙ σ(−z)) X (up to sign): finite, against its mpmath value.
    weights = mpmath.diag([_sigma(z[i]) * _sigma(-z[i]) * (y[i] ** 2 if "exp" in loss else -1) for i in range(5)])
    reference = np.array((_mp(X).T * weights * _mp(X)).tolist(), dtype=float)
    for computed in values[2:]:
        np.testing.assert_allclose(computed, reference, rtol=1e-12, atol=1e-14 * np.abs(reference).max())


@pytest.mark.parametrize("logit", [40.0, 500.0])
def test_softmax_cross_entropy_is_finite_and_accurate_at_large_logits(logit):
    loss = "-y'log(softmax(z))"
    gradient = matcalc.derive(loss, wrt="z")
    rng = np.random.default_rng(int(logit))
    for _ in range(3):
        z = logit * np.sign(rng.standard_normal(4)) * rng.uniform(0.5, 1.0, 4)
        y = np.eye(4)[rng.integers(4)]
        lse = _lse(z)
        value = -mpmath.fsum(y[i] * (mpmath.mpf(z[i]) - lse) for i in range(4))
        for computed in (matcalc.parse(loss).evaluate(y=y, z=z), _load(matcalc.parse(loss).numpy_source())(y, z)):
            assert abs(computed - float(value)) <= 1e-13 * max(1.0, abs(float(value)))
        p = [mpmath.exp(mpmath.mpf(z[i]) - lse) for i in range(4)]
        reference = np.array([float(p[i] - y[i]) for i in range(4)])
        # softmax(z) − y, the textbook form, loses what its two terms cancel: each entry is
        # accurate relative to |softmax(z)ᵢ| + |yᵢ| (at z = 500 the exact −2.8e−35 is 1 − 1).
        scale = np.array([float(p[i]) + abs(y[i]) for i in range(4)])
        for computed in (gradient.evaluate(y=y, z=z), _load(gradient.numpy_source(name="f"))(y, z)):
            assert np.all(np.isfinite(computed))
            assert np.all(np.abs(computed - reference) <= 1e-15 * scale + 1e-300), (computed, reference)
        z32, y32 = z.astype(np.float32) / logit * 40, y.astype(np.float32)
        g = _load(gradient.numpy_source(name="f"))(y32, z32)
        assert g.dtype == np.float32 and np.all(np.isfinite(g))
