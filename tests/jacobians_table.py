"""The table checked by test_jacobians.py: derivatives of vector- and matrix-valued
functions, second and mixed derivatives, in the layout S + V (+ V₂).

Fields of a row:
  id       test id (unique)
  expr     matcalc input syntax
  wrt      a name, or a list of names (differentiate by the first, then the next)
  shapes   name -> tuple of dimension symbols (complete; always declared)
  domains  name -> domain of tests/fd.draw, or `nonzero` (real, at least 0.25 from 0)
  form     "matrix": the result must print as a matrix expression; "index": in index
           notation `[i,j,…] ↦ …` (a result of rank > 2 has no other form)
  compact  None, or the acceptable printed texts (compared with whitespace removed)

The expected shape is not a field: it is S + V computed from `shapes`, and checked exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    id: str
    expr: str
    wrt: tuple[str, ...]
    shapes: dict
    domains: dict = field(default_factory=dict)
    form: str = "matrix"
    compact: list | None = None


def R(id, expr, wrt, shapes, domains=None, form="matrix", compact=None):
    wrt = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    return Row(id, expr, wrt, shapes, domains or {}, form, compact)


S = ()
M, N, P = ("m",), ("n",), ("p",)
MN, NM, NN, MM, NP, PQ, PM = ("m", "n"), ("n", "m"), ("n", "n"), ("m", "m"), ("n", "p"), ("p", "q"), ("p", "m")
INV, SPD, POS, NZ = "invertible", "spd", "positive", "nonzero"
IDX = "index"

ROWS = [
    # ── vector by vector: Jacobians in matrix form ─────────────────────────────────────
    R("Ax", "A*x", "x", {"A": MN, "x": N}, compact=["A"]),
    R("x_hadamard_y", "x .* y", "x", {"x": N, "y": N}, compact=["diag(y)"]),
    R("exp", "exp(x)", "x", {"x": N}, compact=["diag(exp(x))"]),
    R("sigmoid_Wx", "sigmoid(W*x)", "x", {"W": MN, "x": N},
      compact=["diag(σ(Wx) ⊙ (1 − σ(Wx)))W"]),
    R("softmax", "softmax(x)", "x", {"x": N},
      compact=["diag(softmax(x)) − softmax(x) softmax(x)ᵀ"]),
    R("tanh_affine_bias", "tanh(W*x + b)", "b", {"W": MN, "x": N, "b": M},
      compact=["diag(1 − tanh(Wx + b).^2)"]),
    R("abs", "abs(x)", "x", {"x": N}, {"x": NZ}, compact=["diag(sign(x))"]),
    R("softplus", "log(1 + exp(x))", "x", {"x": N}),
    R("x_over_1_plus_x2", "x ./ (1 + x.^2)", "x", {"x": N}),
    R("outer_scale", "(u'x) v", "x", {"u": N, "x": N, "v": M}, compact=["vuᵀ"]),
    R("squared_norm_times", "(x'x) y", "x", {"x": N, "y": M}, compact=["2yxᵀ"]),
    R("row_vector_xA", "x'A", "x", {"x": M, "A": MN}, compact=["Aᵀ"]),
    R("Xt_y", "X'*y", "y", {"X": MN, "y": M}, compact=["Xᵀ"]),
    R("diag_x_y", "diag(x)*y", "x", {"x": N, "y": N}, compact=["diag(y)"]),
    R("mlp_two_layers", "W2*tanh(W1*x)", "x", {"W2": PM, "W1": MN, "x": N},
      compact=["W₂ diag(1 − tanh(W₁x).^2)W₁"]),
    R("softmax_Wx", "softmax(W*x)", "x", {"W": MN, "x": N}),
    R("normalize", "x/‖x‖", "x", {"x": N}),
    R("A_inv_B_x", "A*inv(B)*x", "x", {"A": MN, "B": NN, "x": N}, {"B": INV}),
    R("sqrt_elementwise", "sqrt(x)", "x", {"x": N}, {"x": POS}),
    # ── by a scalar ────────────────────────────────────────────────────────────────────
    R("vector_by_scalar", "a*x + exp(a)*y", "a", {"a": S, "x": N, "y": N}),
    R("matrix_by_scalar", "sin(a)*X", "a", {"a": S, "X": MN}, compact=["cos(a)X"]),
    # ── with a matrix: 3-D and 4-D results in index notation ───────────────────────────
    R("Ax_by_A", "A*x", "A", {"A": MN, "x": N}, form=IDX, compact=["[i,j,k] ↦ δ_m[i,j] x[k]"]),
    R("Xw_by_X", "X*w", "X", {"X": MN, "w": N}, form=IDX, compact=["[i,j,k] ↦ δ_m[i,j] w[k]"]),
    R("AXB", "A*X*B", "X", {"A": MN, "X": NP, "B": PQ}, form=IDX,
      compact=["[i,j,k,l] ↦ A[i,k] B[l,j]"]),
    R("inverse", "inv(X)", "X", {"X": NN}, {"X": INV}, form=IDX,
      compact=["[i,j,k,l] ↦ −(X⁻¹)[i,k] (X⁻¹)[l,j]"]),
    R("transpose", "X'", "X", {"X": MN}, form=IDX, compact=["[i,j,k,l] ↦ δ_m[j,k] δ_n[i,l]"]),
    R("square", "X*X", "X", {"X": NN}, form=IDX,
      compact=["[i,j,k,l] ↦ δ[i,k] X[l,j] + X[i,k] δ[j,l]"]),
    R("cube", "X^3", "X", {"X": NN}, form=IDX),
    R("hadamard_matrix", "X .* Y", "X", {"X": MN, "Y": MN}, form=IDX),
    R("exp_matrix", "exp(X)", "X", {"X": MN}, form=IDX),
    R("gram", "X'*X", "X", {"X": MN}, form=IDX),
    R("outer_by_vector", "x*x'", "x", {"x": N}, form=IDX),
    R("diag_of_matrix", "diag(X)", "X", {"X": NN}, form=IDX),
    R("mlp_by_W1", "W2*tanh(W1*x)", "W1", {"W2": PM, "W1": MN, "x": N}, form=IDX),
    R("vector_times_trace", "tr(X)*x", "X", {"X": NN, "x": M}, form=IDX),
    # ── Hessians of scalar functions ───────────────────────────────────────────────────
    R("hess_quadratic", "x'Ax", ["x", "x"], {"x": N, "A": NN}, compact=["A + Aᵀ"]),
    R("hess_least_squares", "||A*x - b||^2", ["x", "x"], {"A": MN, "x": N, "b": M},
      compact=["2AᵀA"]),
    R("hess_logistic", "sum(log(1 + exp(-y .* (X*w))))", ["w", "w"], {"X": MN, "w": N, "y": M},
      compact=["Xᵀ diag(y.^2 ⊙ σ(−Xw ⊙ y) ⊙ (1 − σ(−Xw ⊙ y)))X"]),
    R("hess_logsumexp", "logsumexp(x)", ["x", "x"], {"x": N},
      compact=["diag(softmax(x)) − softmax(x) softmax(x)ᵀ"]),
    R("hess_softmax_cross_entropy", "-y'log(softmax(x))", ["x", "x"], {"x": N, "y": N}),
    R("hess_sum_exp", "sum(exp(x))", ["x", "x"], {"x": N}, compact=["diag(exp(x))"]),
    R("hess_norm", "‖x‖", ["x", "x"], {"x": N}, {"x": NZ}),
    R("hess_scalar", "a^3*b", ["a", "a"], {"a": S, "b": S}, {"a": POS}, compact=["6ba"]),
    R("hess_logdet", "logdet(X)", ["X", "X"], {"X": NN}, {"X": SPD}, form=IDX,
      compact=["[i,j,k,l] ↦ −(X⁻¹)[j,k] (X⁻¹)[l,i]"]),
    R("hess_trace_inverse", "tr(inv(X))", ["X", "X"], {"X": NN}, {"X": INV}, form=IDX),
    R("hess_frobenius_least_squares", "||X*W - Y||^2", ["W", "W"], {"X": MN, "W": NP, "Y": ("m", "p")},
      form=IDX, compact=["[i,j,k,l] ↦ 2 (XᵀX)[i,k] δ_p[j,l]"]),
    R("hess_trace_quadratic", "tr(X'*A*X)", ["X", "X"], {"X": MN, "A": MM}, form=IDX),
    R("hess_det", "det(X)", ["X", "X"], {"X": NN}, {"X": INV}, form=IDX),
    # ── mixed and higher derivatives ───────────────────────────────────────────────────
    R("mixed_bilinear", "x'Ay", ["x", "y"], {"x": M, "A": MN, "y": N}, compact=["A"]),
    R("mixed_quadratic_by_A", "x'Ax", ["x", "A"], {"x": N, "A": NN}, form=IDX,
      compact=["[i,j,k] ↦ δ_n[i,j] x[k] + δ_n[i,k] x[j]"]),
    R("mixed_scalar_vector", "a*x'x", ["a", "x"], {"a": S, "x": N}, compact=["2x"]),
    R("mixed_vector_scalar", "a*x'x", ["x", "a"], {"a": S, "x": N}, compact=["2x"]),
    R("mixed_logistic_by_X", "sum(log(1 + exp(-y .* (X*w))))", ["w", "X"],
      {"X": MN, "w": N, "y": M}, form=IDX),
    R("second_derivative_of_vector", "sigmoid(W*x)", ["x", "x"], {"W": MN, "x": N}, form=IDX),
    R("second_derivative_by_scalar", "exp(a*x)", ["a", "a"], {"a": S, "x": N}),
    # a tensor differentiated again (the first derivative is already in index notation)
    R("tensor_then_vector", "X*w", ["X", "w"], {"X": MN, "w": N}, form=IDX),
    R("tensor_then_matrix", "A*X*B", ["X", "A"], {"A": MN, "X": NP, "B": PQ}, form=IDX),
    R("inverse_second", "inv(X)", ["X", "X"], {"X": NN}, {"X": INV}, form=IDX),
    R("mlp_by_W1_then_x", "W2*tanh(W1*x)", ["W1", "x"], {"W2": PM, "W1": MN, "x": N}, form=IDX),
]
