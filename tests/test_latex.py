"""LaTeX input (grammars/latex.lark): each spelling of the contract means what its text
counterpart means (checked by value on random arrays, m ≠ n), papers' expressions derive,
every LaTeX string matcalc prints reads back to the same value and shape (random
expressions, derivatives, steps, MLP equations, sized constants), and bad LaTeX is a
ParseError at its column."""

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc
from expression_strategy import ONE, expressions, variable_and_shapes
from fd import assert_close, assert_close_to_fd, central_difference, random_arrays, rejecting_undefined
from matcalc.expr import ONE as NO_AXIS, free_vars

SIZES = {"m": 3, "n": 4, "p": 2}
SHAPES = {"a": (), "b": (), "c": (), "x": ("n",), "y": ("m",), "z": ("n",), "w": ("n",),
          "μ": ("n",), "A": ("m", "n"), "X": ("m", "n"), "B": ("n", "p"), "C": ("n", "n"),
          "S": ("n", "n"), "W1": ("p", "n"), "W2": ("m", "p"), "Σ": ("n", "n")}


def arrays_for(shapes: dict, seed: int = 0) -> dict:
    arrays = random_arrays(shapes, SIZES, seed)
    rng = np.random.default_rng(seed + 1)
    for square in ("C", "S", "Σ"):  # well-conditioned, positive definite: log det is defined
        if square in arrays:
            r = rng.standard_normal((4, 4)) / 4
            arrays[square] = np.eye(4) * 2 + r @ r.T
    return arrays


def same_value(latex: str, text: str, shapes: dict = SHAPES) -> None:
    """`latex` reads as `text` does: same shape, same value on two draws."""
    got, want = matcalc.parse(latex, shapes=shapes, syntax="latex"), matcalc.parse(text, shapes=shapes)
    assert got.shape == want.shape, (latex, got, want)
    for seed in range(2):
        arrays = arrays_for(shapes, seed)
        assert_close(got.evaluate(**arrays), want.evaluate(**arrays), what=f"{latex} vs {text}")


# ── the contract's spellings, each against its text counterpart ─────────────────────────
SPELLINGS = [
    (r"x^\top A^T y", "xᵀAᵀy"),
    (r"x^{\top} A^{T} y", "xᵀAᵀy"),
    (r"x^\intercal z", "xᵀz"),
    (r"X^TX", "XᵀX"),
    (r"\operatorname{tr}(C^{-1})", "tr(C⁻¹)"),
    (r"\frac{1}{2} x^\top x", "xᵀx/2"),
    (r"\tfrac{a}{2} + \dfrac{x^\top x}{b}", "a/2 + xᵀx/b"),
    (r"\frac{\|x\|^2}{2 b}", "‖x‖²/(2b)"),
    (r"\mathrm{tr}(A^\top X)", "tr(AᵀX)"),
    (r"\det C", "det(C)"),
    (r"\det(C)", "det(C)"),
    (r"\log\det C", "logdet(C)"),
    (r"\log \det(C)", "logdet(C)"),
    (r"\log\left(1 + \exp(-y^\top A x)\right)", "log(1 + exp(-yᵀAx))"),
    (r"\exp a^2", "exp(a²)"),
    (r"\tanh(A x)", "tanh(Ax)"),
    (r"\sigma(A x)", "σ(Ax)"),
    (r"\sigma\left(A x\right)", "σ(Ax)"),
    (r"\|x\|", "‖x‖"),
    (r"\|x\|_2^2", "‖x‖²"),
    (r"\|x\|_1", "norm1(x)"),
    (r"\|A\|_F", "‖A‖"),
    (r"\|A\|_{F}^{2}", "‖A‖²"),
    (r"\lVert x \rVert^2", "‖x‖²"),
    (r"\left\| A x - y \right\|^2", "‖Ax − y‖²"),
    (r"\left\lVert x\right\rVert", "‖x‖"),
    (r"\left( A x \right)^\top y", "(Ax)ᵀy"),
    (r"x^\top \cdot x", "x'x"),
    (r"a \cdot b x", "a b x"),
    (r"x \odot z", "x ⊙ z"),
    (r"x \circ z", "x ⊙ z"),
    (r"x \oslash (1 + z \odot z)", "x ./ (1 + z .* z)"),
    (r"\sqrt{1 + x^\top x}", "sqrt(1 + x'x)"),
    (r"\mathbf{x}^\top \mathbf{A}^\top \boldsymbol{y}", "xᵀAᵀy"),
    (r"\bm{x}^\top \mathbf{z}", "xᵀz"),
    (r"\mathbf{1}^\top x", "𝟙ᵀx"),
    (r"(\mathbf{x}-\boldsymbol{\mu})^\top \Sigma^{-1} (\mathbf{x}-\boldsymbol{\mu})", "(x − μ)ᵀΣ⁻¹(x − μ)"),
    (r"W_{2} \sigma(W_{1} x)", "W₂σ(W₁x)"),
    (r"W_2 \tanh(W_1 x)", "W₂tanh(W₁x)"),
    (r"x^{\top}\,A^{\top}\; y \! \quad + \qquad a~b", "xᵀAᵀy + ab"),
    (r"{x}^\top {C x}", "xᵀ(Cx)"),
    (r"x^\top {} x", "xᵀx"),
    (r"C^{2} + C^{-\top}", "C² + C⁻ᵀ"),
    (r"x^{\circ 2} + x^{\circ -1}", "x.^2 + x.^-1"),
    (r"\operatorname{relu}(x) \odot \operatorname{softplus}(z)", "relu(x) ⊙ softplus(z)"),
    (r"\operatorname{norm}_1\left(x\right) + \operatorname{norm}_2(x)", "norm1(x) + norm2(x)"),
    (r"\operatorname{tr} C^\top + \det AX^\top", "tr(Cᵀ) + det(AXᵀ)"),
    (r"-\frac{1}{2} a^2", "-a²/2"),
    (r"a^23", "a²·3"),
]


@pytest.mark.parametrize("latex, text", SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_latex_reads_as_its_text_counterpart(latex, text):
    same_value(latex, text)


def test_syntax_latex_reads_latex_without_a_backslash():
    same_value("x^T A^{-1} x", "xᵀA⁻¹x", {"x": ("m",), "A": ("m", "m")})
    d = matcalc.derive("x^{2}", wrt="x", shapes={"x": ()}, syntax="latex")
    assert str(d) == "2x"
    with pytest.raises(matcalc.ParseError):  # in text, x^{T}… is read by the text grammar
        matcalc.parse(r"\frac{1}{2}", syntax="text")


def test_greek_letters_by_name():
    shapes = {"θ": ("n",), "Λ": ("n", "n"), "ε": ()}
    same_value(r"\theta^\top \Lambda \theta + \varepsilon", "θᵀΛθ + ε", shapes)
    same_value(r"\boldsymbol{\theta}^\top \boldsymbol{\Lambda}\boldsymbol{\theta}", "θᵀΛθ", shapes)


def test_layer_labels_are_names():
    shapes = {"W^{(1)}": ("p", "n"), "W⁽²⁾": ("m", "p")}
    f = matcalc.parse(r"\mathbf{1}^\top W^{(2)} \tanh(W^{(1)} x)", shapes=shapes)
    assert set(f.variables) == {"W⁽¹⁾", "W⁽²⁾", "x"}
    d = matcalc.derive(r"\mathbf{1}^\top W^{(2)} \tanh(\mathbf{W}^{(1)} x)", wrt="W^{(1)}", shapes=shapes)
    assert d.shape == ("p", "n")
    arrays = {"W⁽¹⁾": np.random.default_rng(0).standard_normal((2, 4)),
              "W⁽²⁾": np.random.default_rng(1).standard_normal((3, 2)),
              "x": np.random.default_rng(2).standard_normal(4)}
    expected = central_difference(lambda a: f.evaluate(**a), arrays, "W⁽¹⁾")
    assert_close_to_fd(d.evaluate(**arrays), expected, str(d))
    for printed in (d.latex, str(d)):  # both printers write the label so it reads back
        assert_close(matcalc.parse(printed, shapes=shapes).evaluate(**arrays), d.evaluate(**arrays), what=printed)
    assert r"{W^{(1)}}" in matcalc.parse("W^{(1)}", syntax="latex").latex


def test_sigma_is_a_name_where_no_parenthesis_follows():
    shapes = {"σ": (), "x": ("n",), "z": ("n",)}
    assert set(matcalc.parse(r"\sigma x", shapes=shapes).variables) == {"σ", "x"}
    assert set(matcalc.parse(r"\sigma(x)", shapes=shapes).variables) == {"x"}  # the sigmoid
    # σ times a parenthesis prints braced, so it does not read back as the sigmoid
    g = matcalc.parse(r"\sigma \cdot (x + z)", shapes=shapes)
    assert g.latex.startswith(r"{\sigma} \left(")
    same_value(g.latex, r"\sigma \cdot (x + z)", shapes)


# ── papers' expressions derive ──────────────────────────────────────────────────────────
PAPERS = [
    (r"\frac{1}{2}\|Xw - y\|^2", "w", "‖Xw − y‖²/2"),
    (r"\frac{1}{2}\|\mathbf{y} - W_2 \sigma(W_1 \mathbf{x})\|_2^2", "W1", "‖y − W₂σ(W₁x)‖²/2"),
    (r"\operatorname{tr}(A X B)", "X", "tr(AXB)"),
    (r"\log\det X", "X", "logdet(X)"),
    (r"(\mathbf{x}-\boldsymbol{\mu})^\top \Sigma^{-1} (\mathbf{x}-\boldsymbol{\mu})", "μ", "(x − μ)ᵀΣ⁻¹(x − μ)"),
]
PAPER_SHAPES = {"X": ("m", "n"), "w": ("n",), "y": ("m",), "x": ("n",), "W1": ("p", "n"),
                "W2": ("m", "p"), "μ": ("n",), "Σ": ("n", "n"), "A": ("p", "m"), "B": ("n", "p")}


@pytest.mark.parametrize("latex, wrt, text", PAPERS, ids=[p[0] for p in PAPERS])
def test_paper_examples_derive(latex, wrt, text):
    shapes = dict(PAPER_SHAPES)
    if "det" in latex:
        shapes["X"] = ("n", "n")
    d, expected = matcalc.derive(latex, wrt=wrt, shapes=shapes), matcalc.derive(text, wrt=wrt, shapes=shapes)
    assert str(d) == str(expected)
    f = matcalc.parse(latex, shapes=shapes)
    for seed in range(2):
        arrays = arrays_for(shapes, seed)
        if "det" in latex:
            arrays["X"] = arrays["Σ"]
        fd = central_difference(lambda a: f.evaluate(**a), arrays, wrt)
        assert_close_to_fd(d.evaluate(**arrays), fd, f"{latex}: {d}")


def test_cli_latex(capsys):
    from matcalc.cli import main
    assert main(["derive", "x^T A x", "--latex", "--wrt", "x", "--format", "text"]) == 0
    assert capsys.readouterr().out.strip() == "(A + Aᵀ)x"
    assert main(["derive", r"\frac{1}{2}\|x\|^2", "--wrt", "x", "--format", "text"]) == 0
    assert capsys.readouterr().out.strip() == "x"


# ── what matcalc prints reads back ──────────────────────────────────────────────────────
def reads_back(printed: str, expected: matcalc.Expression, shapes: dict, arrays: dict, what: str) -> None:
    back = matcalc.parse(printed, shapes=shapes, syntax="latex")
    assert back.shape == expected.shape, (what, printed)
    assert_close_to_fd(back.evaluate(**arrays), expected.evaluate(**arrays), f"{what} printed as {printed}")


scalar_texts = expressions((ONE, ONE), depth=3)


@pytest.mark.filterwarnings("ignore::matcalc.MatcalcWarning")  # wrt names absent by design
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=scalar_texts, choice=st.integers(0, 10), seed=st.integers(0, 2**16))
@rejecting_undefined
def test_printed_latex_parses_back_to_the_same_value(text, choice, seed):
    wrt, shapes = variable_and_shapes(text, choice)
    arrays = random_arrays(shapes, SIZES, seed)
    f = matcalc.parse(text, shapes=shapes)
    reads_back(f.latex, f, shapes, arrays, text)
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    reads_back(d.latex, d, shapes, arrays, f"∂({text})/∂{wrt}")


@pytest.mark.filterwarnings("ignore::matcalc.MatcalcWarning")  # wrt names absent by design
@pytest.mark.parametrize("text, wrt, shapes", [
    ("x'x", "y", {}),                    # 0_{n_y}: a sized zero
    ("tr(I)", "a", {"I": ("n", "n")}),
    ("a sum(x)", "x", {}),               # a 𝟙_{n}
    ("sum(X)", "X", {"X": ("m", "n")}),  # 𝟙_{m × n}
    ("tr(AX)", "A", {"A": ("k", "k"), "X": ("k", "k")}),
    ("x'Ax + tr(X)", "X", {"X": ("n", "n")}),
])
def test_sized_constants_read_back(text, wrt, shapes):
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    variables = {**{v.name: v for v in d.function.context}, **free_vars(d.function.node),
                 **{v.name: v for v in d._wrt_vars}}
    declared = {name: tuple(dim for dim in (v.rows, v.cols) if dim is not NO_AXIS)
                for name, v in variables.items()}
    sizes = {str(dim): 3 + i for i, dim in enumerate(sorted({str(x) for s in declared.values() for x in s}))}
    arrays = {name: np.random.default_rng(0).standard_normal(tuple(sizes[str(x)] for x in s)) for name, s in declared.items()}
    back = matcalc.parse(d.latex, shapes=declared)
    assert back.shape == d.shape, d.latex
    assert_close(back.evaluate(**arrays), d.evaluate(**arrays), what=d.latex)


def test_steps_latex_reads_back():
    shapes = {"X": ("m", "n"), "w": ("n",), "y": ("m",)}
    d = matcalc.derive("‖Xw − y‖² + wᵀw", wrt="w", shapes=shapes)
    arrays = arrays_for(shapes)
    gradient_steps = [s for s in d.steps if not s.is_differential and not s.informal]
    assert len(gradient_steps) >= 2
    for s in gradient_steps:
        reads_back(s.latex, matcalc.parse(s.text, shapes=shapes), shapes, arrays, f"step {s.rule}")


@pytest.mark.parametrize("hidden, loss", [("relu", "softmax_cross_entropy"), ("tanh", "mse"),
                                          ("sigmoid", "sigmoid_bce")])
def test_mlp_equations_read_back(hidden, loss):
    from matcalc.mlp import derive_network, make_spec
    from matcalc.printing import to_latex
    net = derive_network(make_spec([4, 3, 2], hidden, loss, None, "columns", True))
    equations = matcalc.mlp([4, 3, 2], hidden=hidden, loss=loss).latex
    nodes = [*net.z, *net.a, *net.delta, *(g for _, g in net.grads)]
    rng = np.random.default_rng(0)
    for node in nodes:
        variables = free_vars(node)
        shapes = {name: tuple(d for d in (v.rows, v.cols) if d is not NO_AXIS) for name, v in variables.items()}
        dims = sorted({str(d) for s in shapes.values() for d in s if isinstance(d, str)})
        size = {d: 3 + i for i, d in enumerate(dims)}
        arrays = {name: rng.uniform(0.1, 1, tuple(size.get(str(d), d) for d in s)) for name, s in shapes.items()}
        latex = to_latex(node)
        assert latex in equations
        back = matcalc.parse(latex, shapes=shapes)
        expected = matcalc.parse(matcalc.Expression(node).text, shapes=shapes)
        assert_close(back.evaluate(**arrays), expected.evaluate(**arrays), what=latex)


@pytest.mark.parametrize("text, wrt, shapes", [
    ("X", "X", {"X": ("m", "n")}),                                   # deltas with their sizes
    ("AXB", "X", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "q")}),
    ("XᵀX", "X", {"X": ("m", "n")}),
    ("σ(Wx)", "W", {"W": ("m", "n")}),                               # an entry of a parenthesis
    ("exp(X) ⊙ Y", "X", {"X": ("m", "n"), "Y": ("m", "n")}),         # an entry of a call
    ("W₁ ⊙ W₁", "W1", {"W1": ("m", "n")}),                           # of a subscripted name
    ("θθᵀ", "θ", {"θ": ("n",)}),                                     # of a Greek name
    ("x xᵀ", "x", {}),
])
def test_index_notation_reads_back(text, wrt, shapes):
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    assert d.latex.startswith(r"\left["), d.latex
    back = matcalc.parse(d.latex, shapes=shapes)
    assert back.text == d.text and back.shape == d.shape
    arrays = random_arrays({**{k: v for k, v in shapes.items()}, **{n: ("n",) for n in "x" if n in text}},
                           {"m": 3, "n": 4, "p": 2, "q": 5}, 0)
    assert_close(back.evaluate(**arrays), d.evaluate(**arrays), what=d.latex)


# ── errors point into the LaTeX ─────────────────────────────────────────────────────────
@pytest.mark.parametrize("latex, column, words", [
    (r"x^\top \foo x", 8, "unknown LaTeX command \\foo"),
    (r"\alhpa x", 1, "did you mean \\alpha"),
    (r"\operatorname{tahn}(x)", 1, "'tanh'"),
    (r"\sum_i x_i", 1, "\\sum is a summation"),
    (r"\mathrm{d}x", 1, "differential"),
    (r"\frac{1}{2 x", 13, "expected"),
    (r"x^\top \rVert x \lVert", 8, "closes a norm"),
    (r"a + \sqrt[3]{x}", 10, "expected '{'"),
    (r"\left[ x \right]", 17, "expected indices like _{ij}"),
])
def test_errors_point_at_the_latex(latex, column, words):
    with pytest.raises(matcalc.ParseError) as info:
        matcalc.parse(latex)
    assert info.value.column == column and words in str(info.value), str(info.value)


def test_otimes_is_kron_or_a_clear_error():
    from matcalc.functions import FUNCTIONS
    if "kron" in FUNCTIONS:
        same_value(r"A \otimes B", "kron(A, B)")
    else:
        with pytest.raises(matcalc.UnsupportedError, match="Kronecker"):
            matcalc.parse(r"A \otimes B")


SPACES = " " * 100_000


@pytest.mark.parametrize("text", [
    "x^{" + SPACES, "x^{\\circ" + SPACES, "x^{\\circ -" + SPACES, "I_{n" + SPACES, "W^{(" + SPACES,
    "x_{" + SPACES, "\\left" + SPACES, "\\|x\\|_{" + SPACES, "\\left[x\\right]_{i" + SPACES,
    "{" * 90_000 + "x" + "}" * 90_000, "\\sqrt{" * 30_000, "\\left(" * 30_000, "\\|" * 60_000,
    "x" + "^{\\top}" * 20_000, "\\frac{1}{2}" * 10_000 + "x",
], ids=lambda t: repr(t[:12]))
def test_hostile_latex_fails_fast(text):
    start = time.perf_counter()
    with pytest.raises(matcalc.MatcalcError):
        matcalc.parse(text, syntax="latex")
    assert time.perf_counter() - start < 2


# ── fuzz: mutated printed LaTeX gives a result or a MatcalcError, never an internal error ──
LATEX_TOKEN = __import__("re").compile(r"\\[A-Za-z]+|\\.|\s+|.")
LATEX_VOCABULARY = ["{", "}", "(", ")", r"\left(", r"\right)", r"\left[", r"\right]", "_{ij}", "^{(1)}",
                    r"\|", r"\lVert", r"\rVert", "^", "_", r"^\top", "^{-1}", r"^{\circ 2}", r"\frac",
                    r"\sqrt", r"\operatorname{tr}", r"\log\det", r"\sigma", r"\mathbf{1}", r"\mathbf{x}",
                    r"\boldsymbol{\mu}", "I_{n}", r"0_{m \times n}", r"\otimes", r"\odot", r"\cdot",
                    r"\sum_i", r"\foo", r"\mathrm{d}", "\\", " ", "W_{1}", "x", "A", "2", "-", "+", "/"]


@st.composite
def mutated_latex(draw) -> str:
    text = draw(st.sampled_from([("1", "1"), ("n", "1"), ("m", "n")]).flatmap(lambda s: expressions(s, depth=2)))
    try:
        tokens = LATEX_TOKEN.findall(matcalc.parse(text).latex)
    except matcalc.MatcalcError:
        tokens = ["x"]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(tokens)))
        action = draw(st.sampled_from(["insert", "delete", "swap", "truncate"]))
        if action == "insert":
            tokens.insert(i, draw(st.sampled_from(LATEX_VOCABULARY)))
        elif action == "delete" and i < len(tokens):
            del tokens[i]
        elif action == "swap" and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        elif action == "truncate":
            tokens = tokens[:i]
    return "".join(tokens)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.one_of(mutated_latex(), st.lists(st.sampled_from(LATEX_VOCABULARY), max_size=20).map("".join)))
def test_any_latex_gives_a_result_or_a_matcalc_error(text):
    try:
        f = matcalc.parse(text, syntax="latex")
        printed = [f.latex, str(f)]
        for wrt in f.variables[:1]:
            printed.append(matcalc.derive(text, wrt=wrt, syntax="latex").latex)
        assert all(printed)
    except matcalc.MatcalcError as exc:
        assert "internal error" not in str(exc), (text, str(exc))


@pytest.mark.parametrize("name", sorted(__import__("matcalc.functions").functions.FUNCTIONS))
def test_every_function_reads_back_from_its_latex(name):
    """The registry's LaTeX column is what the printer writes: each row reads back."""
    from matcalc.functions import FUNCTIONS
    arg = "C" if name in ("tr", "det", "logdet", "inv") else "x"
    latex = FUNCTIONS[name].latex + rf"\left({arg}\right)"
    assert matcalc.parse(latex).text == matcalc.parse(f"{name}({arg})").text
