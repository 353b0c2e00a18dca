"""Every row of the rule tables, checked numerically on its own.

- differentials: dF(A; E) against (F(A + hE) − F(A − hE)) / 2h for a random direction E;
- elementwise functions: f′ against central differences inside the function's domain;
- simplification rules: the rewritten node has the value of the original.
Shapes are distinct (m ≠ n) so a misplaced transpose cannot pass by coincidence.
"""

from fractions import Fraction

import numpy as np
import pytest

from fd import assert_close, draw

import matcalc
from matcalc import algebra as alg
from matcalc.evaluator import evaluate
from matcalc.expr import (
    ONE, Add, Apply, Det, DiagMat, DiagVec, Differential, Hadamard, HPow, Inverse, LogDet,
    InternalShapeError, LogSumExp, MatMul, MatPow, Norm1, Norm2, Ones, Pow, Softmax, Sum, Trace, Transpose, Var,
    substitute,
)
from matcalc.functions import ELEMENTWISE
from matcalc.rules.differentials import DIFFERENTIALS, differential
from matcalc.simplifier import CANONICAL, CHECK_REWRITES, MAX_REWRITES, RULES, simplify

SIZES = {"m": 3, "n": 4, "p": 2}
A = Var("A", ("m", "n"))
B = Var("B", ("n", "p"))
C = Var("C", ("n", "n"))
x = Var("x", ("n", ONE))
y = Var("y", ("n", ONE))
u = Var("u", ("m", ONE))
s = Var("s", (ONE, ONE))
DOMAINS = {"C": "invertible", "x": "positive"}

# One node per differential rule; the test differentiates it with respect to each child.
NODES = {
    Add: Add((A, Transpose(Var("Q", ("n", "m"))))),
    MatMul: MatMul((s, A, C, x)),
    Hadamard: Hadamard((x, y, x)),
    Transpose: Transpose(A),
    Inverse: Inverse(C),
    MatPow: MatPow(C, 3),
    HPow: HPow(x, Fraction(3, 2)),
    Pow: Pow(x, y),  # x.^y, x positive
    Apply: Apply("tanh", A),
    Trace: Trace(MatMul((A, Transpose(A)))),
    Det: Det(C),
    LogDet: LogDet(MatMul((Transpose(C), C))),
    Sum: Sum(A),
    Norm2: Norm2(A),
    Norm1: Norm1(x),
    DiagMat: DiagMat(x),
    DiagVec: DiagVec(C),
    Softmax: Softmax(u),
    LogSumExp: LogSumExp(u),
}


def _arrays(node, rng):
    out = {}
    for v in node.walk():
        if isinstance(v, Var):
            shape = tuple(SIZES[d] for d in v.shape)
            out[v.name] = draw(shape, rng, DOMAINS.get(v.name, "real"))
    return out


def test_every_differential_rule_has_a_test_node():
    assert set(DIFFERENTIALS) == set(NODES)


@pytest.mark.parametrize("kind", list(NODES), ids=lambda k: k.__name__)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_differential_rule_matches_directional_derivative(kind, seed):
    node = NODES[kind]
    rng = np.random.default_rng(seed)
    arrays = _arrays(node, rng)
    for child in dict.fromkeys(node.children):
        direction = Var("E", (child.rows, child.cols))
        delta = Differential(child)
        d = differential(node, tuple(delta if c == child else None for c in node.children))
        linear = substitute(d, {delta: direction})
        e_value = draw(tuple(SIZES[dim] for dim in direction.shape), rng)
        expected = _directional(node, child, arrays, e_value)
        got = evaluate(linear, {**arrays, "E": e_value})
        assert_close(got, expected, f"d{kind.__name__} wrt {child}")


def _directional(node, child, arrays, e_value, h=1e-6):
    """(F(child + hE) − F(child − hE)) / 2h, moving `child` through a stand-in variable."""
    stand_in = Var("Z", (child.rows, child.cols))
    f = substitute(node, {child: stand_in})
    base = evaluate(child, arrays)
    plus = evaluate(f, {**arrays, "Z": base + h * e_value})
    minus = evaluate(f, {**arrays, "Z": base - h * e_value})
    return (np.asarray(plus) - np.asarray(minus)) / (2 * h)


DOMAIN_DRAW = {"positive reals": "positive", "all reals": "real", "x ≠ 0": "real",
               "|x| < 1": "unit", "|x| < π/2": "unit", "x > −1": "positive"}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("seed", [0, 1])
def test_elementwise_derivative_matches_finite_differences(name, seed):
    rng = np.random.default_rng(seed)
    row = ELEMENTWISE[name]
    z = draw((5,), rng, DOMAIN_DRAW[row.domain])
    z = np.where(np.abs(z) < 0.1, 0.5, z)  # keep off the kinks of abs, relu, sign, step
    h = 1e-6
    expected = (row.numpy(z + h) - row.numpy(z - h)) / (2 * h)
    v = Var("v", ("n", ONE))
    got = evaluate(row.derivative(v), {"v": z}) if not isinstance(
        row.derivative(v), type(alg.zero_like(v))) else np.zeros(5)
    assert_close(np.broadcast_to(got, (5,)), expected, name)


# Inputs on which each simplification rule fires.
ONE_PLUS_EXP = alg.add(alg.broadcast(alg.UNIT, u), Apply("exp", u))
RULE_INPUTS = {
    "factor_common_right": Add((MatMul((A, C, x)), MatMul((A, Transpose(C), x)))),
    "factor_common_left": Add((MatMul((A, C, x)), MatMul((A, y)))),
    "factor_common_coefficient": Add((MatMul((alg.const(2), A, x)), MatMul((alg.const(-2), u)))),
    "sigmoid_from_exp": Hadamard((Apply("exp", u), HPow(ONE_PLUS_EXP, Fraction(-1)), u)),
    "inner_product_cancel": MatMul((Transpose(x), Hadamard((y, HPow(x, Fraction(-1)))))),
    "ones_inner_product": MatMul((A, x, Ones((ONE, "p")), Var("w", ("p", ONE)))),
    "diag_of_outer_product": DiagVec(MatMul((alg.const(2), s, A, x, Transpose(y), Transpose(A)))),
    "diag_linearity": Add((DiagMat(x), MatMul((alg.const(-2), s, DiagMat(y))), C)),
    "sigmoid_derivative": Hadamard((HPow(ONE_PLUS_EXP, Fraction(-2)), Apply("exp", u), u)),
    # (x ./ y − 2 u₂ ./ (1 − y)) ⊙ y ⊙ (1 − y), with u₂ = x ⊙ x
    "quotient_cancel": Hadamard((
        Add((Hadamard((x, HPow(y, Fraction(-1)))),
             MatMul((alg.const(-2), Hadamard((x, x, HPow(alg.add(Ones(("n", ONE)), alg.neg(y)), Fraction(-1)))))))),
        y, alg.add(Ones(("n", ONE)), alg.neg(y)))),
    # x ⊙ (1 − y) − (1 − x) ⊙ y = x − y
    "distribute_to_cancel": Add((Hadamard((x, alg.add(Ones(("n", ONE)), alg.neg(y)))),
                                 MatMul((alg.const(-1), Hadamard((alg.add(Ones(("n", ONE)), alg.neg(x)), y)))))),
}


def test_every_simplification_rule_has_an_input():
    names = {rule.__name__ for rules in RULES.values() for rule in rules}
    assert names == set(RULE_INPUTS)


@pytest.mark.parametrize("name", sorted(RULE_INPUTS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simplification_rule_keeps_the_value(name, seed):
    node = RULE_INPUTS[name]
    rule = next(r for rules in RULES.values() for r in rules if r.__name__ == name)
    rewritten = rule(node)
    assert rewritten is not None and rewritten != node, f"{name} did not fire"
    arrays = _arrays(node, np.random.default_rng(seed))
    assert_close(evaluate(rewritten, arrays), evaluate(node, arrays), name)
    assert_close(evaluate(simplify(node), arrays), evaluate(node, arrays), name)


# ── the simplifier's invariants ───────────────────────────────────────────────────────────
def test_the_suite_checks_every_rewrite():
    assert CHECK_REWRITES.get(), "tests/conftest.py sets MATCALC_CHECK_REWRITES=1"


def test_a_rewrite_that_changes_the_shape_is_an_internal_error(monkeypatch):
    x = Var("x", ("n", ONE))

    def to_trace(e):  # x + x → a scalar: a wrong rule
        return alg.inner(x, x) if isinstance(e, Add) else None

    monkeypatch.setitem(RULES, Add, (to_trace,))
    with pytest.raises(InternalShapeError, match="to_trace turned a n Add into a scalar"):
        simplify(Add((x, Var("z", ("n", ONE)))))


def test_a_rewrite_that_brings_in_a_variable_is_an_internal_error(monkeypatch):
    x, y = Var("x", ("n", ONE)), Var("y", ("n", ONE))
    monkeypatch.setitem(RULES, Add, (lambda e: y,))
    with pytest.raises(AssertionError, match="brought in the variable y"):
        simplify(Add((x, Var("z", ("n", ONE)))))


def test_rules_that_undo_each_other_are_an_internal_error_not_a_silent_stop(monkeypatch):
    x, z = Var("x", ("n", ONE)), Var("z", ("n", ONE))

    def swap(e):  # x + z ↔ z + x, forever
        return Add(e.terms[::-1]) if isinstance(e, Add) else None

    monkeypatch.setitem(RULES, Add, (swap,))
    monkeypatch.setitem(CANONICAL, Add, lambda e, ch: Add(ch))
    with pytest.raises(AssertionError, match=f"no fixpoint in {MAX_REWRITES} rewrites of a Add"):
        simplify(Add((x, z)))
    with pytest.raises(matcalc.MatcalcError, match="internal error .*no fixpoint"):
        matcalc.derive("(x + z)'(x + z)", wrt="z", shapes={"x": ("n",), "z": ("n",)})
