"""Grammar-aware fuzzing: whatever the string, parse, derive, printing, evaluate and the
NumPy code generator end in a result or a MatcalcError — never another exception, a generic "internal error" or a
recursion fallback.

Inputs: valid expressions (expression_strategy.py) with tokens inserted, deleted,
swapped and duplicated, wrapped hundreds of levels deep or repeated into long chains;
token soup; raw Unicode text; random bytes decoded three ways; NUL bytes; empty input.
Each Hypothesis example checks a batch of inputs, so a CI run covers ≥ 2,000 inputs in
a few seconds.  The longer run (docs/limits.md):

    MATCALC_FUZZ_EXAMPLES=100000 python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import os
import re
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc
from matcalc.expr import external_shape, free_vars
from expression_strategy import expressions

INPUTS = int(os.environ.get("MATCALC_FUZZ_EXAMPLES", "2400"))
BATCH = 12

TOKEN = re.compile(r"\s+|[A-Za-z]+\(|[A-Za-zα-ωΑ-Ω][₀-₉0-9]*|[0-9]+(?:\.[0-9]+)?|\.\*|\./|\.\^|\^T|\|\||.")
VOCABULARY = ["(", ")", "+", "-", "−", "*", "/", ".*", "./", "⊙", "'", "ᵀ", "^T", "^{T}", "^2", "^-1",
              "^{-1}", "⁻¹", "⁻ᵀ", "²", "³", ".^2", ".^(1/2)", "^(1/3)", "‖", "||", "_1", "_F", ",", "x",
              "X", "a", "A", "w", "W₁", "b_2", "I", "𝟙", "½", "0", "1", "2.5", "1e308", "1e309",
              "tr(", "exp(", "log(", "sqrt(", "inv(", "det(", "logdet(", "diag(", "softmax(",
              "logsumexp(", "σ(", "tahn(", "sum(", "norm1(", "norm2(", "relu(", "abs(", " ", "\n", "\t",
              "\x00", "__import__(", "os", "@", "$", "λ", "é", "∑", "∂", "\u202e", "\ufeff", "\udcff"]
WRAPPERS = ["-{}", "({})'", "exp({})", "({})^2", "‖{}‖", "a*({})", "({})⁻¹", "sum({})", "({}) + 1"]

shapes = st.sampled_from([("1", "1"), ("n", "1"), ("m", "n"), ("n", "n")])
valid = shapes.flatmap(lambda s: expressions(s, depth=3))


@st.composite
def mutated(draw) -> str:
    tokens = TOKEN.findall(draw(valid))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(tokens)))
        action = draw(st.sampled_from(["insert", "delete", "swap", "duplicate", "truncate"]))
        if action == "insert":
            tokens.insert(i, draw(st.sampled_from(VOCABULARY)))
        elif action == "delete" and i < len(tokens):
            del tokens[i]
        elif action == "swap" and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        elif action == "duplicate" and i < len(tokens):
            j = draw(st.integers(i, len(tokens)))
            tokens[j:j] = tokens[i:j]
        elif action == "truncate":
            tokens = tokens[:i]
    return "".join(tokens)


@st.composite
def extreme(draw) -> str:
    """Near and past the limits (deep wrapping, long chains) around a small expression: a
    parse costs about 30 µs a token, and the limits themselves are tested in test_hostile."""
    text = draw(shapes.flatmap(lambda s: expressions(s, depth=1)))
    if draw(st.booleans()):
        for wrapper in draw(st.lists(st.sampled_from(WRAPPERS), min_size=1, max_size=210)):
            text = wrapper.format(text)
        return text
    op = draw(st.sampled_from([" + ", " - ", "*", " .* ", " ", "/"]))
    return op.join([f"({text})"] * draw(st.sampled_from([2, 3, 10, 100, 399, 401])))


soup = st.lists(st.sampled_from(VOCABULARY), max_size=25).map("".join)
raw_text = st.text(max_size=60)
decoded = st.tuples(st.binary(max_size=60), st.sampled_from(["replace", "surrogateescape", "latin-1"])).map(
    lambda pair: pair[0].decode("latin-1") if pair[1] == "latin-1" else pair[0].decode("utf-8", pair[1]))
special = st.sampled_from(["", " ", "\x00", "\n\n", "(", ")", "‖", "x\x00", "\udcff", "𝟙", "½½",
                           "x'" * 300, "(" * 201 + "x" + ")" * 201, "1e309", "2^99999999999999999999"])
inputs = st.one_of(mutated(), mutated(), mutated(), extreme(), soup, raw_text, decoded, special)


def arrays_for(node) -> dict[str, object]:
    """Well-shaped arrays for every variable (each dimension 2 or 3), drawn from the text's
    hash so a failure replays."""
    variables = free_vars(node)
    rng = np.random.default_rng(zlib.crc32(repr(sorted(variables)).encode()))
    size = {}
    out = {}
    for name, var in variables.items():
        shape = tuple(d if isinstance(d, int) else size.setdefault(d, int(rng.integers(2, 4)))
                      for d in external_shape(var.rows, var.cols))
        out[name] = rng.normal(size=shape) if shape else float(rng.normal())
    return out


def expect_result_or_error(run) -> object:
    try:
        return run()
    except matcalc.MatcalcError as exc:
        message = str(exc)
        assert "internal error" not in message and "too deeply nested for matcalc" not in message, message
        return None


def check(text: str) -> None:
    """Every public stage of matcalc on `text`: parse, print, evaluate, generate code, and
    the same for its derivatives with respect to its first two variables."""
    f = expect_result_or_error(lambda: matcalc.parse(text))
    if f is None:
        return
    arrays = arrays_for(f.node)
    stages(f, arrays)
    for wrt in list(f.variables)[:2]:
        d = expect_result_or_error(lambda wrt=wrt: matcalc.derive(text, wrt=wrt))
        if d is not None:
            stages(d, arrays)


def stages(e, arrays) -> None:
    str(e), e.latex
    expect_result_or_error(lambda: e.evaluate(**arrays))
    expect_result_or_error(lambda: e.numpy_source())


@settings(max_examples=max(-(-INPUTS // BATCH), 1), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(inputs, min_size=BATCH, max_size=BATCH))
def test_any_input_gives_a_result_or_a_matcalc_error(batch):
    for text in batch:
        check(text)


# Inputs the fuzzer found that failed once; each is fixed at its cause.
REGRESSIONS = [
    "2^99999999999999999999",           # exact power computed in full: hang
    "1e999999 * a",                     # 10^999999 built, then refused by str(): ValueError
    "9" * 5000,                         # int() of more than 4300 digits: ValueError
    "a^" + "9" * 5000,
    "x" + "'" * 300,                    # postfix chains passed the parenthesis limit
    "-" * 300 + "a",
    "+".join(["a"] * 3000),             # RecursionError in the lark transformer and typing
    "a" * 3000,                         # a letter run: quadratic product rule
    "(((((((2^64)^64)^64)^64)^64)^64)^64)*a",  # float(Fraction) OverflowError in evaluate
    "0^-1*a",                           # printed as 1/0
    "(A + A) ./0 (1 + (A).^2)",         # Fraction(1, 0) when dividing by a literal 0 (long run)
    "a/0", "x ./ (1 - 1)",
    "1e308(A' + A')'",                  # a tensor coefficient beyond float64: OverflowError in float()
    "1e200 * 1e200 * x'x",              # a number NumPy code cannot hold
]


def test_regressions():
    for text in REGRESSIONS:
        check(text)
