"""The identity table checked by test_identities.py: scalar-valued functions, their input
text, the variable, the shapes (dimension symbols) and, where the textbook form is
unambiguous, the compact result text(s) matcalc must print.

Fields of a row:
  id       test id (unique)
  expr     matcalc input syntax
  wrt      the variable (canonical name: `W1` for `W₁`, `W_1`)
  shapes   name -> tuple of dimension symbols; () scalar, ("n",) vector, ("m", "n") matrix.
           Always complete: it is used to draw the arrays even when `declare` is False.
  domains  name -> domain of tests/fd.draw (real/positive/unit/spd/invertible), plus the
           local `nonzero` (real, pushed at least 0.25 away from 0: kinks of abs/norm1);
           default real
  declare  pass `shapes=` to matcalc.derive / matcalc.parse; False exercises the naming
           convention (a–g scalars, h–z vectors, A–Z matrices, Greek vectors except
           α β γ η λ μ ε)
  compact  None, or the acceptable result texts (compared with all whitespace removed)
  numpy_f  None, or an independent NumPy transcription of `expr` (tests the evaluator)

Minus in results is U+2212 "−"; transpose ᵀ; inverse-transpose X⁻ᵀ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Row:
    id: str
    expr: str
    wrt: str
    shapes: dict
    domains: dict = field(default_factory=dict)
    declare: bool = True
    compact: list | None = None
    numpy_f: Callable | None = None


def R(id, expr, wrt, shapes, domains=None, declare=True, compact=None, numpy_f=None):
    return Row(id, expr, wrt, shapes, domains or {}, declare, compact, numpy_f)


# Shape shorthands.
S = ()
M, N, P, K = ("m",), ("n",), ("p",), ("k",)
MN, NM, NN, MM = ("m", "n"), ("n", "m"), ("n", "n"), ("m", "m")
MP, PN, NP, PM = ("m", "p"), ("p", "n"), ("n", "p"), ("p", "m")
KN, MK, PK = ("k", "n"), ("m", "k"), ("p", "k")

INV = "invertible"
SPD = "spd"
POS = "positive"


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


# Independent NumPy transcriptions (never through matcalc).
def np_quadratic(v):
    return v["x"] @ v["A"] @ v["x"]


def np_least_squares(v):
    r = v["X"] @ v["w"] - v["y"]
    return r @ r


def np_logistic(v):
    return np.sum(np.log(1.0 + np.exp(-v["y"] * (v["X"] @ v["w"]))))


def np_logdet(v):
    _, value = np.linalg.slogdet(v["X"])
    return value


def np_gaussian_nll(v):
    d = v["x"] - v["μ"]
    return 0.5 * np.linalg.slogdet(v["Σ"])[1] + 0.5 * d @ np.linalg.solve(v["Σ"], d)


def np_mlp2_bias(v):
    r = v["y"] - v["W2"] @ np.tanh(v["W1"] @ v["x"] + v["b1"]) - v["b2"]
    return 0.5 * r @ r


def np_softmax_xent(v):
    return -v["y"] @ np.log(_softmax(v["W"] @ v["x"]))


def np_mlp3(v):
    h1 = np.tanh(v["W1"] @ v["x"] + v["b1"])
    r = v["y"] - v["W3"] @ _sigmoid(v["W2"] @ h1 + v["b2"])
    return 0.5 * r @ r


# Shapes shared by several rows.
LS = {"X": MN, "w": N, "y": M}
LS_OMEGA = {"X": MN, "ω": N, "y": M}
GAUSS = {"x": N, "μ": N, "Σ": NN}
MLP2 = {"W1": KN, "W2": MK, "x": N, "y": M}
MLP2B = {"W1": KN, "b1": K, "W2": MK, "b2": M, "x": N, "y": M}
MLP3 = {"W1": KN, "b1": K, "W2": PK, "b2": P, "W3": MP, "x": N, "y": M}
SOFTMAX = {"W": MN, "x": N, "y": M}

LS_W = ["2Xᵀ(Xw−y)"]
LS_X = ["2(Xw−y)wᵀ"]
LS_Y = ["−2(Xw−y)", "2(y−Xw)"]
TR_AINVXB = ["−X⁻ᵀAᵀBᵀX⁻ᵀ"]
# The form `−Xᵀ(y ⊙ σ(−y ⊙ Xw))` does not re-parse to the same value: products are one
# left-associative level (CONTRACT.md), so `y ⊙ Xw` reads (y ⊙ X)w.  matcalc writes the
# product operand first, `Xw ⊙ y`, which is as short and parses back exactly.
LOGISTIC_W = ["−Xᵀ(y⊙σ(−Xw⊙y))", "−Xᵀ(y⊙σ(−y⊙(Xw)))"]

ROWS: list[Row] = [
    # ── Matrix Cookbook §2: linear forms ────────────────────────────────────────────────
    R("aTx", "a'x", "x", {"a": N, "x": N}, compact=["a"]),
    R("xTa", "x'a", "x", {"a": N, "x": N}, compact=["a"]),
    R("aTx_wrt_a", "aᵀx", "a", {"a": N, "x": N}, compact=["x"]),
    R("aTXb", "a'Xb", "X", {"a": M, "X": MN, "b": N}, compact=["abᵀ"]),
    R("aTXTb", "a'X'b", "X", {"a": N, "X": MN, "b": M}, compact=["baᵀ"]),
    R("aTXTXb", "aᵀXᵀXb", "X", {"a": N, "X": MN, "b": N}, compact=["X(abᵀ+baᵀ)", "X(baᵀ+abᵀ)"]),
    R("aTinvXb", "a' inv(X) b", "X", {"a": N, "X": NN, "b": N}, {"X": INV}, compact=["−X⁻ᵀabᵀX⁻ᵀ"]),
    R("sum_x", "sum(x)", "x", {"x": N}),
    R("sum_X", "sum(X)", "X", {"X": MN}),
    # ── Matrix Cookbook §2: quadratic and bilinear forms ────────────────────────────────
    R("xTAx_x_conv", "x'Ax", "x", {"x": N, "A": NN}, declare=False, compact=["(A+Aᵀ)x"], numpy_f=np_quadratic),
    R("xTAx_A", "xᵀAx", "A", {"x": N, "A": NN}, compact=["xxᵀ"]),
    R("xTAy_x", "x'Ay", "x", {"x": M, "A": MN, "y": N}, compact=["Ay"]),
    R("xTAy_y", "x'Ay", "y", {"x": M, "A": MN, "y": N}, compact=["Aᵀx"]),
    R("xTAy_A", "x'Ay", "A", {"x": M, "A": MN, "y": N}, compact=["xyᵀ"]),
    R("xTx_conv", "x'x", "x", {"x": N}, declare=False, compact=["2x"]),
    R("affine_quad_x", "(Ax+b)'C(Dx+e)", "x", {"A": MN, "b": M, "C": MP, "D": PN, "e": P, "x": N}),
    R("a_xTx_wrt_a_conv", "a*x'x", "a", {"a": S, "x": N}, declare=False, compact=["xᵀx", "‖x‖²"]),
    # ── Matrix Cookbook §2: traces ──────────────────────────────────────────────────────
    R("tr_X", "tr(X)", "X", {"X": NN}, compact=["Iₙ"]),
    R("tr_AX", "tr(AX)", "X", {"A": NM, "X": MN}, compact=["Aᵀ"]),
    R("tr_XA", "tr(XA)", "X", {"X": MN, "A": NM}, compact=["Aᵀ"]),
    R("tr_AXB", "tr(AXB)", "X", {"A": NM, "X": MP, "B": PN}, compact=["AᵀBᵀ"]),
    R("tr_AXB_star", "tr(A*X*B)", "X", {"A": NM, "X": MP, "B": PN}, compact=["AᵀBᵀ"]),
    R("tr_AXB_conv", "tr(AXB)", "X", {"A": NM, "X": MP, "B": PN}, declare=False, compact=["AᵀBᵀ"]),
    R("tr_AXTB", "tr(AXᵀB)", "X", {"A": PN, "X": MN, "B": MP}, compact=["BA"]),
    R("tr_XTX", "tr(X'X)", "X", {"X": MN}, compact=["2X"]),
    R("tr_XXT", "tr(XX')", "X", {"X": MN}, compact=["2X"]),
    R("tr_XTAX", "tr(XᵀAX)", "X", {"X": MN, "A": MM}, compact=["(A+Aᵀ)X"]),
    R("tr_X2", "tr(X^2)", "X", {"X": NN}, compact=["2Xᵀ"]),
    R("tr_X3", "tr(X^3)", "X", {"X": NN}),
    R("tr_AinvXB", "tr(A inv(X) B)", "X", {"A": MN, "X": NN, "B": NM}, {"X": INV}, compact=TR_AINVXB),
    R("tr_AXinvB_pow", "tr(A X^-1 B)", "X", {"A": MN, "X": NN, "B": NM}, {"X": INV}, compact=TR_AINVXB),
    R("tr_invX", "tr(inv(X))", "X", {"X": NN}, {"X": INV}),
    R("a_trX_wrt_X", "a*tr(X)", "X", {"a": S, "X": NN}, compact=["aIₙ"]),
    R("a_trX_wrt_a", "a tr(X)", "a", {"a": S, "X": NN}, compact=["tr(X)"]),
    # ── Matrix Cookbook §2: determinants ────────────────────────────────────────────────
    R("det_X", "det(X)", "X", {"X": NN}, {"X": INV}, compact=["det(X)X⁻ᵀ"]),
    R("logdet_X", "logdet(X)", "X", {"X": NN}, {"X": SPD}, compact=["X⁻ᵀ"], numpy_f=np_logdet),
    R("logdet_X_conv", "logdet(X)", "X", {"X": NN}, {"X": SPD}, declare=False, compact=["X⁻ᵀ"]),
    R("log_det_X", "log(det(X))", "X", {"X": NN}, {"X": SPD}, compact=["X⁻ᵀ"]),
    R("det_AXB", "det(AXB)", "X", {"A": NN, "X": NN, "B": NN}, {"A": INV, "X": INV, "B": INV}),
    # ── Matrix Cookbook §2: norms ───────────────────────────────────────────────────────
    R("norm_x", "‖x‖", "x", {"x": N}, compact=["x/‖x‖"]),
    R("norm_x_sq", "‖x‖²", "x", {"x": N}, compact=["2x"]),
    R("norm_x_sq_ascii", "||x||^2", "x", {"x": N}, compact=["2x"]),
    R("norm_x_minus_a", "‖x − a‖", "x", {"x": N, "a": N}, compact=["(x−a)/‖x−a‖"]),
    R("norm_x_minus_y_conv", "‖x - y‖", "x", {"x": N, "y": N}, declare=False, compact=["(x−y)/‖x−y‖"]),
    R("frob_sq", "‖X‖²", "X", {"X": MN}, compact=["2X"]),
    R("frob_AX_minus_B", "‖AX − B‖²", "X", {"A": MN, "X": NP, "B": MP}, compact=["2Aᵀ(AX−B)"]),
    R("norm1_x", "norm1(x)", "x", {"x": N}, {"x": "nonzero"}),
    # ── matrixcalculus.org documentation examples ───────────────────────────────────────
    R("mc_xAx", "x'*A*x", "x", {"x": N, "A": NN}, compact=["(A+Aᵀ)x"]),
    R("mc_trXTAX_conv", "tr(X'*A*X)", "X", {"X": MN, "A": MM}, declare=False, compact=["(A+Aᵀ)X"]),
    R("mc_logdet", "logdet(X)", "X", {"X": NN}, {"X": SPD}, compact=["X⁻ᵀ"]),
    R("mc_norm2_sq", "norm2(A*x-b)^2", "x", {"A": MN, "x": N, "b": M}, compact=["2Aᵀ(Ax−b)"]),
    R("mc_default_x_conv", "x'*A*x + c*sin(y)'*x", "x", {"x": N, "A": NN, "c": S, "y": N}, declare=False),
    R("mc_default_y_conv", "x'*A*x + c*sin(y)'*x", "y", {"x": N, "A": NN, "c": S, "y": N}, declare=False),
    # ── ML: least squares ───────────────────────────────────────────────────────────────
    R("ls_w_conv", "(Xw-y)^T(Xw-y)", "w", LS, declare=False, compact=LS_W, numpy_f=np_least_squares),
    R("ls_X_conv", "(Xw-y)^T(Xw-y)", "X", LS, declare=False, compact=LS_X),
    R("ls_y_conv", "(Xw-y)^T(Xw-y)", "y", LS, declare=False, compact=LS_Y),
    R("ls_w", "(Xw - y)ᵀ(Xw - y)", "w", LS, compact=LS_W),
    R("ls_omega_w", "(Xω-y)^T(Xω-y)", "ω", LS_OMEGA, compact=["2Xᵀ(Xω−y)"]),
    R("ls_omega_X", "(Xω-y)^T(Xω-y)", "X", LS_OMEGA, compact=["2(Xω−y)ωᵀ"]),
    R("ls_omega_y", "(Xω-y)^T(Xω-y)", "y", LS_OMEGA, compact=["−2(Xω−y)", "2(y−Xω)"]),
    # ── ML: ridge and lasso ─────────────────────────────────────────────────────────────
    R("ridge_w", "‖Xw − y‖² + λ‖w‖²", "w", {**LS, "λ": S}),
    R("ridge_X", "‖Xw − y‖² + λ‖w‖²", "X", {**LS, "λ": S}),
    R("ridge_lambda", "‖Xw − y‖² + λ‖w‖²", "λ", {**LS, "λ": S}),
    R("ridge_w_conv", "λ*||w||^2 + ||X*w - y||^2", "w", {**LS, "λ": S}, declare=False),
    R("lasso_w", "1/2*‖Xw − y‖² + λ*norm1(w)", "w", {**LS, "λ": S}, {"w": "nonzero"}),
    R("lasso_X", "0.5*‖Xw − y‖² + λ*norm1(w)", "X", {**LS, "λ": S}, {"w": "nonzero"}),
    # ── ML: logistic regression, softplus ───────────────────────────────────────────────
    R("logistic_w_conv", "sum(log(1 + exp(-y .* (X*w))))", "w", LS, declare=False, compact=LOGISTIC_W,
      numpy_f=np_logistic),
    R("logistic_w", "sum(log(1 + exp(-y .* (X*w))))", "w", LS, compact=LOGISTIC_W),
    R("logistic_X", "sum(log(1 + exp(-y .* (X*w))))", "X", LS),
    R("logistic_y", "sum(log(1 + exp(-y ⊙ (Xw))))", "y", LS),
    R("softplus_w", "sum(softplus(-y .* (Xw)))", "w", LS),
    R("softplus_X", "sum(softplus(-y .* (Xw)))", "X", LS),
    # ── ML: softmax cross-entropy ───────────────────────────────────────────────────────
    R("xent_W", "-y'log(softmax(Wx))", "W", SOFTMAX, numpy_f=np_softmax_xent),
    R("xent_x", "-y'log(softmax(Wx))", "x", SOFTMAX),
    R("lse_W", "logsumexp(Wx) - y'Wx", "W", SOFTMAX),
    R("lse_x", "logsumexp(Wx) - y'Wx", "x", SOFTMAX),
    # ── ML: Gaussian negative log-likelihood (no symmetrization: entries independent) ───
    R("gauss_mu", "1/2*logdet(Σ) + 1/2*(x-μ)'inv(Σ)(x-μ)", "μ", GAUSS, {"Σ": SPD}, numpy_f=np_gaussian_nll),
    R("gauss_Sigma", "0.5*logdet(Σ) + 0.5*(x-μ)'inv(Σ)(x-μ)", "Σ", GAUSS, {"Σ": SPD}),
    R("gauss_x", "0.5*logdet(Σ) + 0.5*(x - μ)ᵀ Σ^-1 (x - μ)", "x", GAUSS, {"Σ": SPD}),
    # ── ML: 2-layer MLP, sigmoid, no biases ─────────────────────────────────────────────
    R("mlp2_W1", "1/2*‖y − W₂σ(W₁x)‖²", "W1", MLP2),
    R("mlp2_W2", "1/2*‖y − W₂σ(W₁x)‖²", "W2", MLP2),
    R("mlp2_x", "1/2*‖y − W2 sigmoid(W1 x)‖²", "x", MLP2),
    # ── ML: 2-layer MLP, tanh, biases ───────────────────────────────────────────────────
    R("mlp2b_W1", "1/2*‖y − W₂ tanh(W₁x + b₁) − b₂‖²", "W1", MLP2B, numpy_f=np_mlp2_bias),
    R("mlp2b_b1", "1/2*‖y − W₂ tanh(W₁x + b₁) − b₂‖²", "b1", MLP2B),
    R("mlp2b_W2", "1/2*‖y − W₂ tanh(W₁x + b₁) − b₂‖²", "W2", MLP2B),
    R("mlp2b_b2", "1/2*‖y − W_2 tanh(W_1 x + b_1) − b_2‖²", "b2", MLP2B),
    # ── ML: 2-layer MLP, relu, biases (pre-activations nonzero almost surely) ───────────
    R("relu_W1", "1/2*‖y − W₂ relu(W₁x + b₁) + b₂‖²", "W1", MLP2B),
    R("relu_b1", "1/2*‖y − W₂ relu(W₁x + b₁) + b₂‖²", "b1", MLP2B),
    R("relu_W2", "1/2*‖y − W₂ relu(W₁x + b₁) + b₂‖²", "W2", MLP2B),
    R("relu_b2", "1/2*‖y − W₂ relu(W₁x + b₁) + b₂‖²", "b2", MLP2B),
    # ── ML: 3-layer MLP ─────────────────────────────────────────────────────────────────
    R("mlp3_W1", "1/2*‖y − W₃σ(W₂ tanh(W₁x + b₁) + b₂)‖²", "W1", MLP3, numpy_f=np_mlp3),
    R("mlp3_b1", "1/2*‖y − W₃σ(W₂ tanh(W₁x + b₁) + b₂)‖²", "b1", MLP3),
    R("mlp3_W2", "1/2*‖y − W₃σ(W₂ tanh(W₁x + b₁) + b₂)‖²", "W2", MLP3),
    R("mlp3_b2", "1/2*‖y − W₃σ(W₂ tanh(W₁x + b₁) + b₂)‖²", "b2", MLP3),
    R("mlp3_W3", "1/2*‖y − W₃σ(W₂ tanh(W₁x + b₁) + b₂)‖²", "W3", MLP3),
    # ── Elementwise compositions ────────────────────────────────────────────────────────
    R("sum_exp_Ax_conv", "sum(exp(Ax))", "x", {"A": MN, "x": N}, {"x": "unit"}, declare=False),
    R("sum_exp_Ax_A", "sum(exp(Ax))", "A", {"A": MN, "x": N}, {"x": "unit"}),
    R("sum_log_x", "sum(log(x))", "x", {"x": N}, {"x": POS}),
    R("sum_sqrt_x", "sum(sqrt(x))", "x", {"x": N}, {"x": POS}),
    R("xT_sin_x_conv", "x'sin(x)", "x", {"x": N}, declare=False),
    R("cos_x_T_y", "cos(x)ᵀy", "x", {"x": N, "y": N}),
    R("sum_abs_Ax", "sum(abs(Ax))", "x", {"A": MN, "x": N}),
    R("sum_abs_Ax_A", "sum(abs(Ax))", "A", {"A": MN, "x": N}),
    R("sum_tanh_Xw", "sum(tanh(Xw))", "w", {"X": MN, "w": N}),
    R("sum_sigmoid_Ax_A", "sum(σ(Ax))", "A", {"A": MN, "x": N}),
    R("sum_softplus_x", "sum(softplus(x))", "x", {"x": N}),
    R("y_T_exp_Ax", "yᵀexp(Ax)", "x", {"y": M, "A": MN, "x": N}, {"x": "unit"}),
    R("sum_x_cubed", "sum(x.^3)", "x", {"x": N}),
    R("sum_x_div_y", "sum(x ./ y)", "y", {"x": N, "y": N}, {"y": POS}),
    R("exp_plus_one_log", "sum(log(exp(x) + 1))", "x", {"x": N}),
    R("norm_sqrt_quad", "sqrt(xᵀAx)", "x", {"x": N, "A": NN}, {"A": SPD}),
    R("a_sin_xTx", "sin(a*x'x)", "a", {"a": S, "x": N}, {"x": "unit"}),
    R("scalar_chain", "exp(-c * ‖x‖²)", "c", {"c": S, "x": N}, {"x": "unit", "c": POS}),
]
