"""One table of the elementwise functions: derivative, NumPy evaluation, text and LaTeX.

A new function is one row here (plus its name in the grammar); the differential rule
d f(A) = f′(A) ⊙ dA, the evaluator and both printers read the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from collections.abc import Callable

import numpy as np

from .algebra import UNIT, add, apply, broadcast, const, hadamard, hpow, mul, neg, zero_like
from .expr import Expr


@dataclass(frozen=True)
class Elementwise:
    text: str                                # how the text printer writes it (re-parseable)
    latex: str                               # LaTeX operator
    derivative: Callable[[Expr], Expr]       # f′(A), elementwise, same shape as A
    numpy: Callable[[np.ndarray], np.ndarray]
    domain: str                              # for tests and docs: where f is differentiable


def _one_minus(e: Expr) -> Expr:
    return add(broadcast(UNIT, e), neg(e))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # 0.5(1 + tanh(x/2)) never overflows, unlike 1/(1 + exp(−x)) for large negative x.
    return 0.5 * (1.0 + np.tanh(0.5 * x))


ELEMENTWISE: dict[str, Elementwise] = {
    # d exp(A) = exp(A) ⊙ dA
    "exp": Elementwise("exp", r"\exp", lambda a: apply("exp", a), np.exp, "all reals"),
    # d log(A) = A.^−1 ⊙ dA
    "log": Elementwise("log", r"\log", lambda a: hpow(a, -1), np.log, "positive reals"),
    "sin": Elementwise("sin", r"\sin", lambda a: apply("cos", a), np.sin, "all reals"),
    "cos": Elementwise("cos", r"\cos", lambda a: neg(apply("sin", a)), np.cos, "all reals"),
    # tanh′ = 1 − tanh²
    "tanh": Elementwise("tanh", r"\tanh", lambda a: _one_minus(hpow(apply("tanh", a), 2)),
                        np.tanh, "all reals"),
    # σ′ = σ ⊙ (1 − σ)
    "sigmoid": Elementwise("σ", r"\sigma",
                           lambda a: hadamard(apply("sigmoid", a), _one_minus(apply("sigmoid", a))),
                           _sigmoid, "all reals"),
    # relu′ = step (0 at 0, the numpy.sign convention)
    "relu": Elementwise("relu", r"\operatorname{relu}", lambda a: apply("step", a),
                        lambda x: np.maximum(x, 0.0), "x ≠ 0"),
    # |x|′ = sign(x) (0 at 0)
    "abs": Elementwise("abs", r"\operatorname{abs}", lambda a: apply("sign", a), np.abs, "x ≠ 0"),
    # √′ = ½ (√x)⁻¹
    "sqrt": Elementwise("sqrt", r"\operatorname{sqrt}",
                        lambda a: mul(const(Fraction(1, 2)), hpow(apply("sqrt", a), -1)), np.sqrt,
                        "positive reals"),
    # softplus(x) = log(1 + eˣ); softplus′ = σ
    "softplus": Elementwise("softplus", r"\operatorname{softplus}",
                            lambda a: apply("sigmoid", a), lambda x: np.logaddexp(0.0, x),
                            "all reals"),
    # sign and step are piecewise constant: derivative 0 wherever it exists.
    "sign": Elementwise("sign", r"\operatorname{sign}", zero_like, np.sign, "x ≠ 0"),
    "step": Elementwise("step", r"\operatorname{step}", zero_like,
                        lambda x: (x > 0).astype(np.float64), "x ≠ 0"),
}
