"""The grammar: what each input parses to, as an s-expression of the syntax tree."""

import time

import pytest

from matcalc.errors import ParseError
from matcalc.parser import normalize_name, parse_syntax
from matcalc.syntax import Binary, Call, Name, Neg, Number, Postfix


def sexp(node) -> str:
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Number):
        return str(node.value)
    if isinstance(node, Neg):
        return f"(neg {sexp(node.operand)})"
    if isinstance(node, Postfix):
        extra = "" if node.exponent is None else f" {node.exponent}"
        return f"({node.op}{extra} {sexp(node.operand)})"
    if isinstance(node, Call):
        return f"({node.func} {' '.join(sexp(a) for a in node.args)})"
    assert isinstance(node, Binary)
    return f"({node.op} {sexp(node.left)} {sexp(node.right)})"


@pytest.mark.parametrize("text, tree", [
    ("(Xw-y)^T(Xw-y)", "(matmul (transpose (sub (matmul X w) y)) (sub (matmul X w) y))"),
    ("AXB", "(matmul (matmul A X) B)"),
    ("AXᵀB", "(matmul (matmul A (transpose X)) B)"),
    ("(AX)ᵀ", "(transpose (matmul A X))"),
    ("xᵀAx", "(matmul (matmul (transpose x) A) x)"),
    ("x'Ay", "(matmul (matmul (transpose x) A) y)"),
    ("x^TAx", "(matmul (matmul (transpose x) A) x)"),
    ("W₂ tanh(W₁x)", "(matmul W2 (tanh (matmul W1 x)))"),
    ("W2tanh(W_1 x)", "(matmul W2 (tanh (matmul W1 x)))"),
    ("½‖y − W₂σ(W₁x)‖²", "(matmul 1/2 (power 2 (norm2 (sub y (matmul W2 (sigmoid (matmul W1 x)))))))"),
    ("||x||^2", "(power 2 (norm2 x))"),
    ("‖x‖‖y‖", "(matmul (norm2 x) (norm2 y))"),
    ("‖x‖_1 + ‖X‖_F", "(add (norm1 x) (norm2 X))"),
    ("-a*b", "(neg (matmul a b))"),
    ("−a − b − c", "(sub (sub (neg a) b) c)"),
    ("a * -b", "(matmul a (neg b))"),
    ("a/b c", "(matmul (div a b) c)"),
    ("A^-1 B", "(matmul (power -1 A) B)"),
    ("A^{-1}B", "(matmul (power -1 A) B)"),
    ("A⁻¹", "(power -1 A)"),
    ("A⁻ᵀ", "(transpose (power -1 A))"),
    ("X^T^T", "(transpose (transpose X))"),
    ("x .^ 2 + x.^(1/2) + x.^-1", "(add (add (hpower 2 x) (hpower 1/2 x)) (hpower -1 x))"),
    ("x .* y ⊙ z ./ w", "(hdiv (hadamard (hadamard x y) z) w)"),
    ("sum(log(1 + exp(-y .* (X*w))))", "(sum (log (add 1 (exp (neg (hadamard y (matmul X w)))))))"),
    ("2(x + y)", "(matmul 2 (add x y))"),
    ("0.5x + 1e-3y", "(add (matmul 1/2 x) (matmul 1/1000 y))"),
    ("expx", "(matmul (matmul (matmul e x) p) x)"),
    ("trace(X) + Tr(X)", "(add (tr X) (tr X))"),
    ("ωᵀθ", "(matmul (transpose ω) θ)"),
    ("𝟙ᵀx", "(matmul (transpose 𝟙) x)"),
])
def test_parse_tree(text, tree):
    assert sexp(parse_syntax(text)) == tree


def test_declared_long_names_are_kept_whole():
    assert sexp(parse_syntax("Xbeta + W_in x", declared=("beta", "W_in"))) == \
        "(add (matmul X beta) (matmul W_in x))"
    assert sexp(parse_syntax("betax", declared=("beta",))) == "(matmul beta x)"


@pytest.mark.parametrize("raw, canonical", [
    ("W₁", "W1"), ("W_1", "W1"), ("W_{1}", "W1"), ("W1", "W1"), ("W_{ab}", "W_ab"),
    ("W_ab", "W_ab"), ("ω", "ω"), ("beta", "beta"), ("x y", "x y"),
])
def test_normalize_name(raw, canonical):
    assert normalize_name(raw) == canonical


def test_positions_point_at_the_first_character():
    tree = parse_syntax("x + tr(AB)")
    assert (tree.right.pos.line, tree.right.pos.column) == (1, 5)
    assert tree.right.args[0].right.pos.column == 9  # B inside the run AB


@pytest.mark.parametrize("text", ["(" * 10000 + "x" + ")" * 10000, "-" * 10000 + "x",
                                  "x" + "'" * 10000, "\x00", "x\x00y"])
def test_hostile_inputs_end_in_a_parse_error_quickly(text):
    start = time.perf_counter()
    try:
        parse_syntax(text)
    except ParseError:
        pass
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("text, tree", [
    ("a^0.5", "(power 1/2 a)"), ("x.^0.5", "(hpower 1/2 x)"), ("x.^(1/2)", "(hpower 1/2 x)"),
    ("x.^-1.5", "(hpower -3/2 x)"), ("A^{-2}", "(power -2 A)"), ("a^(-1/3)", "(power -1/3 a)"),
])
def test_exponents_keep_their_decimal_point_and_sign(text, tree):
    assert sexp(parse_syntax(text)) == tree
