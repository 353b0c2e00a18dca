"""Each case reported in the reliability issue (#14), reproduced: generated code, printed
results, input reading, evaluation, internal errors and bounded work.  Sections follow the
issue's numbering."""

from __future__ import annotations

import re
import time
from fractions import Fraction

import numpy as np
import pytest

import matcalc
from fd import assert_close, assert_close_to_fd, central_difference, draw, random_arrays
from matcalc.expr import Entry
from matcalc.mlp import MAX_LAYERS


# --- 1. Generated code parenthesizes by Python's precedence --------------------------------
def _run(source: str, name: str, arrays: dict):
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 — our own output
    return namespace[name](**arrays)


# Square shapes: the misread code ran without error there and computed other numbers.
@pytest.mark.parametrize("text, shapes", [
    ("x ⊙ (−A y)", {"x": ("n",), "A": ("n", "n"), "y": ("n",)}),
    ("1 ./ (−Xᵀt)", {"X": ("n", "n"), "t": ("n",)}),
    ("1 ./ (−2O)", {"O": ("n", "n")}),
    ("P(qᵀO(−A))ᵀ", {"P": ("n", "n"), "q": ("n",), "O": ("n", "n"), "A": ("n", "n")}),
])
def test_negation_inside_an_operator_keeps_its_parentheses_in_code(text, shapes):
    rng = np.random.default_rng(1)
    arrays = {name: rng.standard_normal((3,) * len(dims)) for name, dims in shapes.items()}
    f = matcalc.parse(text, shapes=shapes)
    expected = f.evaluate(**arrays)
    np.testing.assert_allclose(_run(f.numpy_source(name="f"), "f", arrays), expected, rtol=1e-12)
    wrt = min(shapes)
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    value, derivative = _run(d.numpy_source(name="g", value=True), "g", arrays)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    np.testing.assert_allclose(derivative, d.evaluate(**arrays), rtol=1e-12, atol=1e-12)



# --- 2, 3. Printed results read back; 𝟙 in input -------------------------------------------
SIZES = {"m": 3, "n": 4, "p": 2}


def _reads_back(text, wrt, shapes, seed=0):
    """The derivative's printed text parses back to the same shape and value (m ≠ n ≠ p);
    returns the text."""
    d = matcalc.derive(text, wrt=wrt, shapes=shapes)
    arrays = random_arrays(shapes, SIZES, seed)
    back = matcalc.parse(str(d), shapes=shapes)
    assert back.shape == d.shape, str(d)
    assert_close(back.evaluate(**arrays), d.evaluate(**arrays), str(d))
    return str(d)


def test_2_ones_print_their_size():
    # ∂tr(a𝟙 + Y)/∂a is tr(𝟙ₘₓₘ) = m, which a bare tr(𝟙) would read back as 1.
    printed = _reads_back("tr(a + Y)", "a", {"a": (), "Y": ("m", "m")})
    assert printed == "tr(𝟙ₘₓₘ)"
    assert matcalc.parse(printed, {"Y": ("m", "m")}).evaluate(Y=np.ones((3, 3))) == 3


def test_2_zero_tensors_print_their_size():
    # Was `[i,j,k,l] ↦ 0`: "index i does not occur"; and a zero vector printed as 0.
    assert _reads_back("tr(vvᵀ) sum(D)", ["D", "D"], {"v": ("p",), "D": ("m", "m")}) == "0ₘₓₘₓₘₓₘ"
    assert _reads_back("logsumexp(y − y)", "y", {"y": ("m",)}) == "0ₘ"
    assert _reads_back("a", "X", {"a": (), "X": ("m", "n")}) == "0ₘₓₙ"


def test_2_identities_print_their_size():
    # Was `I` (read back as some other size) or a delta whose size no array fixed.
    assert _reads_back("tr(D)", "D", {"D": ("m", "m")}) == "Iₘ"
    assert _reads_back("a x", "x", {"a": (), "x": ("n",)}) == "a Iₙ"
    _reads_back("X", "X", {"X": ("m", "n")})  # [i,j,k,l] ↦ δ_m[i,k] δ_n[j,l]


def test_2_softmax_and_logsumexp_of_zero_print_its_size():
    shapes = {"a": (), "x": ("n",), "y": ("m",)}
    assert _reads_back("a sum(softmax(y − y))", "a", shapes) == "sum(softmax(0ₘ))"
    assert _reads_back("x logsumexp(a(y − y))", "x", shapes) == "logsumexp(0ₘ)Iₙ"


def test_2_a_summation_index_ranges_over_one_dimension():
    # A third derivative whose terms each summed over an `a`, of range p in one and m in
    # another: "index a ranges over p and m at once".
    text = _reads_back("tr(vvᵀ)‖yvᵀ‖", ["y", "v", "v"], {"v": ("p",), "y": ("m",)})
    assert "↦" in text


def test_2_ones_in_an_entry_print_as_a_sized_row():
    # Was `(l𝟙)[i,j]`: an einsum error when evaluated.
    printed = _reads_back("sum(l)sum(x)l", ["x", "l"], {"l": ("m",), "x": ("n",)})
    assert "(l𝟙ₙᵀ)[i,j]" in printed


def test_2_a_result_too_long_to_read_back_is_a_limit_error():
    # A short input whose third derivative prints as some 500,000 characters, past the
    # 200,000 the parser reads: printing says so instead of giving unreadable text.
    d = matcalc.derive("det(4I + tanh((tanh(vvᵀ))^2)/4)", wrt=["v", "v", "v"], shapes={"v": ("p",)})
    with pytest.raises(matcalc.LimitError, match="200,000"):
        str(d)
    assert "characters" in repr(d)
    assert d.evaluate(v=np.ones(2)).shape == (2, 2, 2)


@pytest.mark.parametrize("text", ["I_n x", "Iₙx", "I_{n} x", "x + 0ₙ", "𝟙ₙᵀx x"])
def test_5_sized_constants_in_input(text):
    # I_n / Iₙ is the n×n identity (was a new matrix variable named I_n).
    x = np.arange(1.0, 5.0)
    e = matcalc.parse(text, {"x": ("n",)})
    expected = {"𝟙ₙᵀx x": x.sum() * x}.get(text, x)
    assert_close(e.evaluate(x=x), expected, text)


def test_2_a_written_size_takes_its_value_from_a_declared_array():
    # tr(Iₙ) has no variable of size n: the array of a declared X (n×n) gives n, for the
    # parsed text and for its derivative.
    shapes = {"X": ("n", "n"), "a": ()}
    arrays = {"a": 1.5, "X": np.ones((4, 4))}
    assert matcalc.parse("tr(Iₙ) a²", shapes).evaluate(**arrays) == 4 * 1.5 ** 2
    d = matcalc.derive("tr(Iₙ) a²", wrt="a", shapes=shapes)
    assert d.evaluate(**arrays) == 2 * 4 * 1.5
    assert matcalc.parse(str(d), shapes).evaluate(**arrays) == 2 * 4 * 1.5


def test_5_identity_with_a_number_subscript():
    assert_close(matcalc.parse("I₃ + A").evaluate(A=np.zeros((3, 3))), np.eye(3))
    assert_close(matcalc.parse("I3 + A").evaluate(A=np.zeros((3, 3))), np.eye(3))
    # a declared name stays a variable
    assert matcalc.parse("I3", {"I3": ("m", "m")}).variables == ("I3",)


@pytest.mark.parametrize("text, value", [
    ("‖A(𝟙'y)‖²", lambda A, y, X: np.sum(A ** 2) * y.sum() ** 2),   # was 𝟙 an n×p matrix
    ("(𝟙'y)*A", lambda A, y, X: y.sum() * A),                       # was a shape error
    ("X/(𝟙'y)", lambda A, y, X: X / y.sum()),
    ("(𝟙'y)^2", lambda A, y, X: y.sum() ** 2),
])
def test_3_ones_is_a_vector_sized_by_its_use(text, value):
    shapes = {"A": ("m", "n"), "y": ("p",), "X": ("m", "n")}
    e = matcalc.parse(text, shapes)
    for seed in range(3):
        arrays = random_arrays(shapes, SIZES, seed)
        assert_close(e.evaluate(**arrays), value(**arrays), text)
        d = matcalc.derive(text, wrt="y", shapes=shapes)
        expected = central_difference(lambda a: e.evaluate(**a), arrays, "y")
        assert_close_to_fd(d.evaluate(**arrays), expected, f"∂({text})/∂y = {d}")


# --- 4. Derivatives of functions defined nowhere -------------------------------------------

@pytest.mark.parametrize("text, wrt, zero", [
    ("1/(a − a)", "a", "a − a"),
    ("log(a − a)", "a", "a − a"),
    ("(a − a)/(a − a)", "a", "a − a"),
    ("logdet(X − X)", "X", "X − X"),
    ("tr(inv(X − X))", "X", "X − X"),
    ("sum(x ./ (y − y))", "x", "y − y"),
])
def test_a_derivative_of_a_function_defined_nowhere_is_an_error_naming_the_part(text, wrt, zero):
    with pytest.raises(matcalc.UndefinedValueError, match=f"undefined everywhere: {zero} is identically 0"):
        matcalc.derive(text, wrt=wrt)
    # as evaluating the function itself is
    rng = np.random.default_rng(4)
    f = matcalc.parse(text)
    arrays = {name: draw(shape, rng, "invertible" if len(shape) == 2 else "real")
              for name, shape in ((n, tuple(3 for _ in v.shape)) for n, v in
                                  matcalc.expr.free_vars(f.node).items())}
    with pytest.raises(matcalc.UndefinedValueError):
        f.evaluate(**arrays)


@pytest.mark.parametrize("text, wrt, domain", [
    ("1/(a − b)", "a", "real"),                 # zero somewhere, not everywhere
    ("log(a − a + b)", "b", "positive"),         # the zero is one term of the argument
    ("sqrt(a − a) + a", "a", "positive"),        # √0 = 0 and det 0 = 0 are defined
    ("det(X − X) + tr(inv(X − Y))", "X", "invertible"),
])
def test_parts_that_are_zero_only_somewhere_or_defined_at_zero_still_derive(text, wrt, domain):
    rng = np.random.default_rng(5)
    f = matcalc.parse(text)
    shapes = {n: tuple(3 for _ in v.shape) for n, v in matcalc.expr.free_vars(f.node).items()}
    d = matcalc.derive(text, wrt=wrt)
    for _ in range(3):
        arrays = {n: draw(shape, rng, domain) for n, shape in shapes.items()}
        if "Y" in arrays:
            arrays["Y"] = arrays["X"] + draw((3, 3), rng, "invertible")
        expected = central_difference(lambda a: f.evaluate(**a), arrays, wrt)
        assert_close_to_fd(d.evaluate(**arrays), expected, text)




# --- 5. Silent misreads ---------------------------------------------------------------------

def _values(text, shapes=None, seed=0, **sizes):
    """Random arrays for the names of `text` (sizes by dimension symbol, default 3)."""
    f = matcalc.parse(text, shapes)
    rng = np.random.default_rng(seed)
    return f, {n: draw(tuple(sizes.get(str(d), 3) if isinstance(d, str) else d for d in v.shape), rng)
               for n, v in matcalc.expr.free_vars(f.node).items()}


@pytest.mark.parametrize("text, names", [
    ("W_1x", ("W1", "x")), ("W_12x", ("W12", "x")), ("W_1xa", ("W1", "x", "a")),
    ("aW_1x", ("a", "W1", "x")),
])
def test_a_digit_subscript_ends_at_its_last_digit(text, names):
    f, arrays = _values(text, m=4)
    assert matcalc.parse(text).variables == names
    expected = arrays[names[0]]
    for n in names[1:]:
        expected = expected @ arrays[n] if np.ndim(expected) and np.ndim(arrays[n]) else expected * arrays[n]
    assert_close(f.evaluate(**arrays), expected, text)


def test_a_declared_name_with_a_digit_subscript_and_letter_subscripts_stay_whole():
    assert matcalc.parse("W_1x", {"W_1x": ("m", "n")}).variables == ("W_1x",)
    assert matcalc.parse("AW_1x", {"W_1x": ("m", "n")}).variables == ("A", "W_1x")
    assert matcalc.parse("W_in x").variables == ("W_in", "x")


@pytest.mark.parametrize("text", ["Xbeta_1", "Xbeta₁", "Xbeta_{1}", "Xbeta1"])
def test_declared_names_are_found_inside_longer_runs(text):
    shapes = {"beta_1": ("n",), "X": ("m", "n")}
    f, arrays = _values(text, shapes, m=4)
    assert f.variables == ("X", "beta1")
    assert_close(f.evaluate(**arrays), arrays["X"] @ arrays["beta1"], text)


@pytest.mark.parametrize("chain", [(2, 3, 2), (3, 2, 2), (2, -1, 2), (2, 2, -1), (9, 4, Fraction(1, 2)),
                                   (2, 1, 2, 2), (Fraction(1, 2), 2, 3),
                                   (2, Fraction(-8), Fraction(1, 3))])
def test_a_chain_of_powers_reads_from_the_right(chain):
    def written(c):  # Fractions in parentheses, ints bare (a bare sign in front)
        return f"({c})" if isinstance(c, Fraction) else str(c)

    exponent = Fraction(chain[-1])
    for base in reversed(chain[1:-1]):  # right-associative as Python's **, and −1^2 is −(1²)
        value = abs(Fraction(base)) ** exponent
        odd = Fraction(exponent).numerator % 2  # (−8)^(1/3) = −2
        exponent = -value if (isinstance(base, int) and base < 0) or (base < 0 and odd) else value
    text = "^".join(written(c) for c in chain) + "*a"
    assert matcalc.derive(text, wrt="a").evaluate(a=1.0) == pytest.approx(float(Fraction(chain[0]) ** exponent))
    x = np.array([0.7, 1.3, 2.0])
    assert_close(matcalc.parse("x.^" + "^".join(written(c) for c in chain[1:])).evaluate(x=x),
                 x ** float(exponent))
    assert str(matcalc.derive("2^3^2*a", wrt="a")) == "512"


@pytest.mark.parametrize("text, message", [
    ("2^2^(1/2)*a", "not a rational number"),
    ("a^2^(1/99999999999999999999)", "not a rational number"),
    ("a^(-4)^(1/2)", "not a rational number"),
    ("a^9^9^9", "more than 308 digits"),
    ("a^0^-1", "divides by zero"),
])
def test_a_chain_of_powers_that_has_no_exact_exponent_is_an_error(text, message):
    with pytest.raises(matcalc.ParseError, match=message):
        matcalc.parse(text)


@pytest.mark.parametrize("text", ["‖x‖2", "||x||2", "‖x‖1", "‖X‖2^2", "a + ‖x‖2x"])
def test_a_number_right_after_a_norm_is_an_error_that_shows_the_subscript(text):
    with pytest.raises(matcalc.ParseError, match="write ‖x‖₂ or ‖x‖_2") as info:
        matcalc.parse(text)
    assert text[info.value.column - 1].isdigit()
    matcalc.parse(text.replace("‖2", "‖₂").replace("|2", "|_2").replace("‖1", "‖₁"))  # as it says


LOOKALIKES = [("Α", "A", "Greek capital Alpha"), ("Β", "B", "Greek capital Beta"), ("Ε", "E", "Greek capital Epsilon"),
              ("Ζ", "Z", "Greek capital Zeta"), ("Η", "H", "Greek capital Eta"), ("Ι", "I", "Greek capital Iota"),
              ("Κ", "K", "Greek capital Kappa"), ("Μ", "M", "Greek capital Mu"), ("Ν", "N", "Greek capital Nu"),
              ("Ο", "O", "Greek capital Omicron"), ("Ρ", "P", "Greek capital Rho"), ("Τ", "T", "Greek capital Tau"),
              ("Υ", "Y", "Greek capital Upsilon"), ("Χ", "X", "Greek capital Chi"), ("ο", "o", "Greek small Omicron"),
              ("ν", "v", "Greek small Nu"), ("А", "A", "Cyrillic capital A"), ("х", "x", "Cyrillic small Ha"),
              ("Р", "P", "Cyrillic capital Er")]


@pytest.mark.parametrize("letter, latin, name", LOOKALIKES)
def test_a_letter_that_looks_latin_is_an_error_naming_both(letter, latin, name):
    for text in (f"‖{letter}‖²", f"tr(A{letter}2)", f"{letter}_1 + x'x"):
        with pytest.raises(matcalc.ParseError, match=f"{name} '{letter}' looks like Latin '{latin}'") as info:
            matcalc.derive(text, wrt="x" if "x" in text else latin)
        assert text[info.value.column - 1] == letter
    if name.startswith("Greek"):  # declared, it is the Greek letter
        assert matcalc.parse(f"{letter} + 1", {letter: ()}).variables == (letter,)


def test_greek_letters_unlike_latin_ones_stay_names():
    d = matcalc.derive("‖χ‖² + θ'x", wrt="χ")
    chi, theta, x = np.array([1.0, 2.0]), np.array([0.5, 0.1]), np.array([3.0, 1.0])
    assert_close(d.evaluate(χ=chi, θ=theta, x=x), 2 * chi)




# --- 6, 7, 9. Evaluation, internal errors, code names ---------------------------------------
def _refused(error: type[matcalc.MatcalcError], call, *words: str) -> None:
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert "internal error" not in message and all(w in message for w in words), message


@pytest.mark.parametrize("given, what", [
    (np.array([1 + 2j, 3.0]), "complex"),
    (np.array(["1.5", "2"]), "string"),
    (np.array([1.0, None], dtype=object), "object"),
    (np.array(["2026-01-01", "2026-01-02"], dtype="datetime64[D]"), "non-numeric"),
])
def test_evaluate_refuses_arrays_that_are_not_real_numbers(given, what):
    _refused(matcalc.EvaluationError, lambda: matcalc.parse("x'x").evaluate(x=given), what, "x")


def test_evaluate_refuses_two_spellings_of_one_name():
    W = np.ones((2, 2))
    _refused(matcalc.EvaluationError,
             lambda: matcalc.parse("tr(W1)").evaluate(**{"W1": W, "W₁": 2 * W, "W_1": 3 * W}),
             "two spellings", "W1")


def test_mlp_with_hidden_none_says_what_hidden_takes():
    _refused(matcalc.MatcalcError, lambda: matcalc.mlp([4, 3, 2], hidden=None), "hidden", "relu")


def test_a_variable_named_self_evaluates():
    e = matcalc.parse("sum(self)", shapes={"self": ("n",)})
    assert e.evaluate(self=np.arange(4.0)) == 6.0
    d = matcalc.derive("self'self", wrt="self", shapes={"self": ("n",)})
    np.testing.assert_array_equal(d.evaluate(self=np.arange(3.0)), [0.0, 2.0, 4.0])


def test_positional_arrays_are_refused_with_the_keyword_form():
    _refused(matcalc.EvaluationError, lambda: matcalc.parse("x'x").evaluate(np.ones(3)), "by name")
    _refused(matcalc.EvaluationError, lambda: matcalc.derive("x'x", wrt="x").evaluate(np.ones(3)),
             "by name")


def test_softmax_of_an_empty_array_is_an_evaluation_error():
    _refused(matcalc.EvaluationError, lambda: matcalc.parse("softmax(x)").evaluate(x=np.ones(0)),
             "no entries", "x")


def test_an_object_whose_array_method_raises_is_an_evaluation_error():
    class Broken:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("no array here")

    _refused(matcalc.EvaluationError, lambda: matcalc.parse("x'x").evaluate(x=Broken()),
             "x", "no array here")


def test_a_function_name_with_a_trailing_newline_is_refused():
    _refused(matcalc.MatcalcError, lambda: matcalc.parse("x'x").numpy_source(name="f\n"),
             "function name")
    _refused(matcalc.MatcalcError, lambda: matcalc.derive("x'x", wrt="x").numpy_source(name="g\n"),
             "function name")


def test_the_default_function_name_steps_aside_for_a_variable():
    e = matcalc.parse("f x")  # f: a scalar by the convention
    namespace: dict = {}
    exec(compile(e.numpy_source(), "<generated>", "exec"), namespace)  # noqa: S102 — our own output
    np.testing.assert_allclose(namespace["f_"](f=2.0, x=np.arange(3.0)), [0.0, 2.0, 4.0])
    shapes = {"grad_x": ("n",), "x": ("n",)}
    d = matcalc.derive("grad_x'x", wrt="x", shapes=shapes)
    assert "def grad_x_(grad_x, x):" in d.numpy_source()


# (8, the MLP part) mlp([3]*600) took 2 s, quadratic in the layers; now linear, and bounded.
def test_mlp_is_linear_in_its_layers_and_bounded():
    def cpu_seconds(depth: int) -> float:
        best = float("inf")
        for _ in range(2):
            start = time.process_time()
            matcalc.mlp([3] * (depth + 1))
            best = min(best, time.process_time() - start)
        return best

    # Quadratic work would take 16 times as long at 4 times the layers; linear about 4.
    assert cpu_seconds(600) < 8 * cpu_seconds(150)
    matcalc.mlp([3] * (MAX_LAYERS + 1))
    _refused(matcalc.LimitError, lambda: matcalc.mlp([3] * (MAX_LAYERS + 2)), str(MAX_LAYERS), "layers")



# (7) Index names ran out: 12 letters for a result's axes (KeyError), 32 for the summed
# indices of one term (StopIteration).  Now i, …, w, then i1, j1, … without end.
def test_a_result_with_more_axes_than_letters_reads_back():
    d = matcalc.derive("exp(x)", wrt=["x"] * 12)  # 13 axes
    x = np.array([0.3, -0.7])
    expected = np.zeros((2,) * 13)  # ∂¹² exp(x)[i] / ∂x[j]… is exp(x[i]) where all indices agree
    for i in range(2):
        expected[(i,) * 13] = np.exp(x[i])
    np.testing.assert_allclose(d.evaluate(x=x), expected, rtol=1e-13)
    np.testing.assert_allclose(matcalc.parse(str(d)).evaluate(x=x), expected, rtol=1e-13)
    zero = matcalc.derive("x'Ax", wrt=["x"] * 13)
    assert zero.shape == ("m",) * 13 and not zero.evaluate(x=x).any()


def _chain(depth: int, inner: str = "x") -> str:
    """σ(Wσ(W…σ(Wx)…)), `depth` sigmoids deep."""
    for _ in range(depth):
        inner = f"σ(W*{inner})"
    return inner


def test_the_third_derivative_of_a_deep_chain_has_enough_summation_indices():
    # Its terms sum over up to 34 indices, more than the letters for them.
    f, shapes = f"sum({_chain(12)})", {"W": ("n", "n"), "x": ("n",)}
    third = matcalc.derive(f, wrt=["x"] * 3, shapes=shapes)
    # (its text, some 800,000 characters, is past the input limit: printing refuses it)
    assert "a1" in {i for n in third.node.walk() if isinstance(n, Entry) for i in n.indices}
    second = matcalc.derive(f, wrt=["x"] * 2, shapes=shapes)
    rng = np.random.default_rng(7)
    W, x, h = rng.standard_normal((2, 2)), rng.standard_normal(2), 1e-5
    by_differences = np.stack([(second.evaluate(W=W, x=x + h * e) - second.evaluate(W=W, x=x - h * e)) / (2 * h)
                               for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(third.evaluate(W=W, x=x), by_differences, rtol=1e-5, atol=1e-9)


def test_summation_indices_are_never_named_like_a_variable():
    # a was also a summation index: `σ(Wa)[a]` printed, a name used for two things.
    shapes = {"W": ("n", "n"), "a": ("n",)}
    d = matcalc.derive(f"sum({_chain(2, 'a')})", wrt=["a"] * 3, shapes=shapes)
    text = str(d)
    indices = {i for group in re.findall(r"\[([^\]]*)\]", text) for i in group.split(",")}
    assert "a" not in indices and not indices & set(d.variables)
    rng = np.random.default_rng(3)
    arrays = {"W": rng.standard_normal((3, 3)), "a": rng.standard_normal(3)}
    np.testing.assert_allclose(matcalc.parse(text, shapes).evaluate(**arrays), d.evaluate(**arrays),
                               rtol=1e-12, atol=1e-12)


# --- 8. Bounded work ------------------------------------------------------------------------

LONG = 200_000  # the input limit


def _long(unit: str, head: str = "", tail: str = "") -> str:
    return head + (unit * (LONG // len(unit)))[: LONG - len(head) - len(tail)] + tail


ADVERSARIAL = {  # inputs at the length limit that the old patterns backtracked on, and others
    "x^ spaces": _long(" ", "x^", "y"), "^{ spaces": _long(" ", "x^{", "y"),
    "^( spaces": _long(" ", "x^(", "y"), "^- spaces": _long(" ", "x^-", "y"),
    "^{- spaces": _long(" ", "x^{-", "1"), ".^ spaces": _long(" ", "x.^", "y"),
    "^T spaces": _long(" ", "X^", "T"), "power then spaces": _long(" ", "x^2", "^y"),
    "spaces": _long(" ", "", "x"), "newlines": _long("\n", "", "x"),
    "digits": _long("7"), "decimal digits": _long("1."), "exponent digits": _long("9", "x^"),
    "bars": _long("‖"), "double bars": _long("|"), "bars and spaces": _long("‖ "),
    "letters": _long("a"), "Greek letters": _long("αβ"), "letters with a subscript": _long("a", "", "_1x"),
    "function names and spaces": _long("exp "), "power chains": _long("^2", "x"),
    "mixed": _long("x^ 1 ‖ ||a1 .^ "), "spaced carets": _long(" ^", "x"),
    "minus signs": _long("-", "", "a"), "plus signs": _long("+", "", "a"), "primes": _long("'", "x"),
    "signs after a product": _long("−", "a*", "a"),
}


@pytest.mark.parametrize("family", ADVERSARIAL)
def test_reading_an_input_at_the_length_limit_takes_under_a_second(family):
    text = ADVERSARIAL[family]
    assert len(text) <= LONG
    start = time.perf_counter()
    try:
        matcalc.parse(text)
    except matcalc.MatcalcError:
        pass
    assert time.perf_counter() - start < 1


def test_reading_a_long_valid_input_is_linear_in_its_length():
    # a sum of products of names: the parser's check for misspelt functions once looked
    # the position of each product up from the start of the text
    def best_of_three(n: int) -> float:
        text = "a b c\n + " * n + "a"
        times = []
        for _ in range(3):
            start = time.perf_counter()
            matcalc.parser.parse_syntax(text)
            times.append(time.perf_counter() - start)
        return min(times)

    assert best_of_three(10_000) < 25 * best_of_three(1_000)  # linear: 10; quadratic: 100


@pytest.mark.parametrize("text, total", [("((X^64)^64)^64", 4096), ("(X^8)^9", 72), ("((X^-8)ᵀ)^9", 72),
                                         ("(-X^2)^40", 80), ("(X^3)^2^5", 96)])
def test_nested_matrix_powers_are_held_to_the_power_limit(text, total):
    start = time.perf_counter()
    with pytest.raises(matcalc.LimitError, match=f"the power {total}, beyond the limit of 64"):
        matcalc.derive(f"tr({text})", wrt="X")
    assert time.perf_counter() - start < 1
    d = matcalc.derive("tr((X^8)^8)", wrt="X")  # 64: at the limit
    X = draw((3, 3), np.random.default_rng(8), "unit") / 2
    f = matcalc.parse("tr((X^8)^8)")
    assert_close_to_fd(d.evaluate(X=X), central_difference(lambda a: f.evaluate(**a), {"X": X}, "X"), text)


# The node limit and the size estimate refuse a derivative before its work is done: each of
# these ran for a minute or more (and 1.5 GB for the first).  A bound of 10 s, where each
# takes well under a second alone (x'A…Ax: about 2 s, its first derivative is real work),
# keeps the test meaningful on a busy machine.
def _bounded(call, seconds: float = 10):
    start = time.perf_counter()
    try:
        return call()
    finally:
        assert time.perf_counter() - start < seconds


def test_nested_matrix_powers_are_refused_quickly():
    # Refused while typing where the power limit holds through nesting, else by the size estimate.
    with pytest.raises(matcalc.UnsupportedError):
        _bounded(lambda: matcalc.derive("((X^64)^64)^64", wrt="X"))
    with pytest.raises(matcalc.UnsupportedError):
        _bounded(lambda: matcalc.derive("(" * 16 + "X" + ")^2" * 16, wrt="X"))


def test_nested_scalar_squaring_derives_quickly_and_correctly():
    d = _bounded(lambda: matcalc.derive("(" * 16 + "x'x" + ")^2" * 16, wrt="x"))  # (xᵀx)^(2¹⁶)
    x = np.array([0.6, -0.8])  # xᵀx = 1: the gradient 2¹⁶ (xᵀx)^(2¹⁶ − 1) 2x is 2¹⁷ x
    np.testing.assert_allclose(d.evaluate(x=x), 2 ** 17 * x, rtol=1e-12)


@pytest.mark.parametrize("text", ["softmax(" * 20 + "x" + ")" * 20,             # a Jacobian
                                  "sum(" + "softmax(" * 20 + "x" + ")" * 21])   # a gradient
def test_nested_softmax_is_refused_by_its_size(text):
    with pytest.raises(matcalc.LimitError, match="derive an inner part"):
        _bounded(lambda: matcalc.derive(text, wrt="x"))


def test_a_second_derivative_of_a_long_product_is_refused_by_its_size():
    with pytest.raises(matcalc.LimitError, match="index notation"):
        _bounded(lambda: matcalc.derive("x'" + "A" * 398 + "x", wrt=["A", "A"]))


def test_the_node_limit_guards_derivatives_in_index_notation():
    # Few factors per step, but the third derivative of a 16-deep chain written out is larger
    # than a million nodes.
    with pytest.raises(matcalc.LimitError, match="1,000,000 nodes"):
        _bounded(lambda: matcalc.derive(f"sum({_chain(16)})", wrt=["x"] * 3, shapes={"W": ("n", "n")}))
