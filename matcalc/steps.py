"""The derivation of a gradient as steps: the seed method, each move an identity.

For scalar f and a variable X the steps are
  1. the seed's shortcut, marked informal: differentiate as if every operand were a scalar;
  2. the differential df, by the product and chain rules with the operands in order;
  3. reorder-and-transpose moves, one adjoint rule each (`rules/adjoints.py`), on
     df = Σ ⟨Gᵢ, Eᵢ⟩ until it reads ⟨G, dX⟩ = tr(Gᵀ dX) (Gᵀ dx for a vector);
  4. the identification ∂f/∂X = G, and the simplifications to the printed result.
Every step but the informal one equals the one before (the tests check it numerically).
A move is shown only when it changes the printed expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .algebra import UNIT, ZERO, add, is_zero, mul, transpose, zero_like
from .calculus import derive
from .errors import MatcalcError
from .expr import (
    ONE, Add, DiagMat, DiagVec, Differential, Expr, HPow, Identity, MatMul, MatPow, Ones, Sum,
    Trace, Transpose, Var, Zero,
)
from .printing import to_latex, to_text
from .rules.adjoints import ADJOINTS
from .rules.differentials import DIFFERENTIALS, differential, written_sum
from .rules.formula import Formula
from .simplifier import RULES as SIMPLIFY_RULES, simplify

# Beyond these sizes the moves are no longer worth reading: the steps fall back to one
# generic step (the result is the same; only the description is shorter).
MAX_DIFFERENTIAL_SIZE = 600
MAX_MOVES = 200


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a derivation: the rule applied and the expression after it.

    `node` is the differential df (linear in dX) when `is_differential`, otherwise the
    derivative ∂f/∂X.  An `informal` step is not dimensionally valid and claims no
    equality with its neighbours."""

    rule: str
    justification: str
    node: Expr
    variable: Var
    is_differential: bool = False
    informal: bool = False
    rule_latex: str = ""

    @property
    def text(self) -> str:
        return to_text(self.node)

    @property
    def latex(self) -> str:
        return to_latex(self.node)

    @property
    def equation(self) -> str:
        """`df = …` or `∂f/∂X = …` (informal: `∂f/∂X “=” …`)."""
        if self.is_differential:
            return f"df = {self.text}"
        relation = "“=”" if self.informal else "="
        return f"∂f/∂{to_text(self.variable)} {relation} {self.text}"

    @property
    def equation_latex(self) -> str:
        if self.is_differential:
            return rf"\mathrm{{d}}f = {self.latex}"
        relation = r"\overset{\text{scalars}}{=}" if self.informal else "="
        return rf"\frac{{\partial f}}{{\partial {to_latex(self.variable)}}} {relation} {self.latex}"

    def __str__(self) -> str:
        return f"{self.rule}: {self.equation}"


def _step(rule: Formula, node: Expr, x: Var, differential: bool, informal: bool = False) -> Step:
    return Step(rule.name, rule.justification, node, x, differential, informal, rule.latex)


# ── the rules a step can name ──────────────────────────────────────────────────────────
SCALARS = Formula("treat as scalars", r"\text{treat as scalars}",
                  "The blog posts' shortcut: differentiate as if every operand were a scalar, keeping "
                  "their order; the shapes do not fit yet, so this is a guide, not an equation.")
NO_DEPENDENCE = Formula("differential", r"\text{differential}",
                        "f does not depend on the variable, so its differential is zero.")
COLLECT = Formula("linearity: collect terms", r"\text{linearity: collect terms}",
                  "Terms with the same differential part add their coefficients: "
                  "⟨G₁, E⟩ + ⟨G₂, E⟩ = ⟨G₁ + G₂, E⟩.")
IDENTIFY = Formula("identify tr(Gᵀ dX)", r"\text{identify } \operatorname{tr}(G^{\top} \mathrm{d}X)",
                   "df = tr(Gᵀ dX) = ⟨G, dX⟩ for every direction dX, so ∂f/∂X = G, "
                   "which has the shape of X.")
IDENTIFY_VECTOR = Formula("identify Gᵀ dx", r"\text{identify } G^{\top} \mathrm{d}x",
                          "df = Gᵀ dx = ⟨G, dx⟩ for every direction dx, so ∂f/∂x = G, "
                          "which has the shape of x.")
IDENTIFY_SCALAR = Formula("identify g da", r"\text{identify } g \, \mathrm{d}a",
                          "df = g·da for every da, so ∂f/∂a = g.")
TRANSPOSE_RULES = {
    MatMul: Formula("(AB)ᵀ = BᵀAᵀ", r"(AB)^{\top} = B^{\top} A^{\top}",
                    "The transpose of a product is the product of the transposes, reversed."),
    Add: Formula("(A + B)ᵀ = Aᵀ + Bᵀ", r"(A + B)^{\top} = A^{\top} + B^{\top}",
                 "Transposition is linear."),
}
TRANSPOSE_ANY = Formula("transpose", r"\text{transpose}",
                        "Transposition applied to the factors: (Aᵀ)ᵀ = A, (A⁻¹)ᵀ = A⁻ᵀ, Iᵀ = I.")
GENERIC = Formula("reverse-mode gradient", r"\text{reverse-mode gradient}",
                  "The adjoint rules applied through the whole expression at once "
                  "(too large to show move by move).")
CANONICAL = Formula("simplify: canonical form", r"\text{simplify: canonical form}",
                    "Always-true identities: terms in canonical order, numbers folded, I and 𝟙 "
                    "dropped, (AB)ᵀ = BᵀAᵀ.")
COLLECT_LIKE = Formula("simplify: collect like terms", r"\text{simplify: collect like terms}",
                       "Equal terms add their coefficients: c₁T + c₂T = (c₁ + c₂)T.")
REORDER = Formula("simplify: order of terms", r"\text{simplify: order of terms}",
                  "Addition commutes: the terms in the order matcalc prints them.")
REGROUP = Formula("simplify: as derive collects", r"\text{simplify: as derive collects}",
                  "The same gradient as the reverse-mode computation writes it, collecting "
                  "contributions at shared subexpressions before simplifying (distributivity).")


# ── step 1: the seed's shortcut ──────────────────────────────────────────────────────────
def _scalarize(f: Expr) -> Expr:
    """f with every operand a scalar of the same name: transposes, traces, sums and diag
    vanish, I and 𝟙 become 1, Aᵏ becomes a power."""
    memo: dict[Expr, Expr] = {}
    for node in f.walk():
        ch = tuple(memo[c] for c in node.children)
        if isinstance(node, Var):
            memo[node] = Var(node.name, (ONE, ONE))
        elif isinstance(node, (Identity, Ones)):
            memo[node] = UNIT
        elif isinstance(node, Zero):
            memo[node] = ZERO
        elif isinstance(node, (Transpose, Trace, Sum, DiagMat, DiagVec)):
            memo[node] = ch[0]
        elif isinstance(node, MatPow):
            memo[node] = HPow(ch[0], Fraction(node.k))
        else:
            memo[node] = node if ch == node.children else node.with_children(ch)
    return memo[f]


def _scalar_step(f: Expr, x: Var) -> list[Step]:
    try:
        guess = derive(_scalarize(f), (Var(x.name, (ONE, ONE)),))
        assert isinstance(guess, Expr), "a scalar's derivative is a matrix expression"
    except MatcalcError:  # an informal guide only: when it cannot be formed, it is left out
        return []
    return [_step(SCALARS, guess, x, differential=False, informal=True)]


# ── step 2: the differential, operands in order ─────────────────────────────────────────
def forward_differential(f: Expr, x: Var) -> tuple[Expr | None, list[type]]:
    """df as one expression in dX, and the node types whose rules it used (in order)."""
    d: dict[Expr, Expr | None] = {}
    used: list[type] = []
    for node in f.walk():
        if node == x:
            d[node] = Differential(x)
            continue
        ds = tuple(d[c] for c in node.children)
        if all(di is None for di in ds):
            d[node] = None
            continue
        if type(node) not in used:
            used.append(type(node))
        # The table's rules, with sums in the order they write them and (dA)ᵀ kept:
        # reordering and transposing are the later steps' business.
        result = differential(node, ds, written=True)
        d[node] = None if result is None or is_zero(result) else result
    return d[f], used


# ── step 3: reorder and transpose ───────────────────────────────────────────────────────
Pair = tuple[Expr, Expr]  # (G, E): the term ⟨G, E⟩ of df


def _pair_expr(g: Expr, e: Expr) -> Expr:
    """⟨G, E⟩ written as a textbook would: g·e, Gᵀe for vectors, tr(GᵀE) for matrices."""
    if is_zero(g):
        return zero_like(UNIT)
    if e.is_scalar:
        return e if g == UNIT else mul(g, e)
    # Scalar factors of G stay outside: ⟨c·R, E⟩ = c·⟨R, E⟩.
    coefficient = [f for f in g.factors if f.is_scalar] if isinstance(g, MatMul) else []
    rest = mul(*(f for f in g.factors if not f.is_scalar)) if coefficient else g  # type: ignore[attr-defined]
    if isinstance(rest, Identity):  # ⟨I, E⟩ = tr E
        return mul(*coefficient, Trace(e))
    if isinstance(rest, Ones):  # ⟨𝟙, E⟩ = sum E
        return mul(*coefficient, Sum(e))
    if e.cols is ONE:
        return mul(*coefficient, transpose(rest), e)
    if e.rows is ONE:
        return mul(*coefficient, e, transpose(rest))
    return mul(*coefficient, Trace(mul(transpose(rest), e)))


def _show(pairs: list[Pair]) -> Expr:
    return written_sum([_pair_expr(g, e) for g, e in pairs]) or zero_like(UNIT)


def _merge(pairs: list[Pair]) -> list[Pair]:
    merged: dict[Expr, list[Expr]] = {}
    for g, e in pairs:
        merged.setdefault(e, []).append(g)
    return [(add(*gs), e) for e, gs in merged.items()]


def _next_pair(pairs: list[Pair], dx: Expr) -> int | None:
    """The first pair whose E lies inside no other pair's E: the others may still reach
    it, and then they meet and collect before going further (as in reverse mode)."""
    open_ = [i for i, (_, e) in enumerate(pairs) if e != dx]
    inside = [set(pairs[j][1].walk()) for j in open_]
    for i in open_:
        if not any(pairs[i][1] in seen for j, seen in zip(open_, inside) if j != i):
            return i
    return open_[0] if open_ else None


def _moves(df: Expr, x: Var, steps: list[Step]) -> Expr:
    """Apply the adjoint rules one at a time; return G with df = ⟨G, dX⟩."""
    dx = Differential(x)
    pairs: list[Pair] = [(UNIT, df)]
    shown = to_text(df)

    def emit(rule: Formula) -> None:
        nonlocal shown
        node = _show(pairs)
        text = to_text(node)
        if text != shown:
            steps.append(_step(rule, node, x, differential=True))
            shown = text

    for _ in range(MAX_MOVES):
        if len({e for _, e in pairs}) < len(pairs):
            pairs = _merge(pairs)
            emit(COLLECT)
        i = _next_pair(pairs, dx)
        if i is None:
            break
        g, e = pairs[i]
        adjoint = ADJOINTS[type(e)]
        pairs[i:i + 1] = [(h, child) for child, h in adjoint.moves(e, g)]
        emit(adjoint.formula(e))
    else:
        raise _TooLong
    return add(*(g for g, _ in pairs)) if pairs else zero_like(x)


class _TooLong(Exception):
    """More moves than are worth showing."""


# ── step 4: identify, transpose, simplify ────────────────────────────────────────────────
def _identify(g: Expr, x: Var, steps: list[Step]) -> Expr:
    if x.is_scalar:
        steps.append(_step(IDENTIFY_SCALAR, g, x, differential=False))
        return g
    rule = IDENTIFY_VECTOR if x.cols is ONE else IDENTIFY
    shown = transpose(g)  # the Gᵀ that df displays
    matrices = [f for f in shown.factors if not f.is_scalar] if isinstance(shown, MatMul) else [shown]
    # (Gᵀ)ᵀ = G at a glance: a transposed sum, one transposed factor, 𝟙, I, 0.
    if len(matrices) < 2 or to_text(shown) == to_text(g) or is_zero(g):
        steps.append(_step(rule, g, x, differential=False))
        return g
    steps.append(_step(rule, Transpose(shown), x, differential=False))
    g = transpose(shown)
    if to_text(g) != to_text(Transpose(shown)):
        steps.append(_step(TRANSPOSE_RULES.get(type(shown), TRANSPOSE_ANY), g, x, differential=False))
    return g


def _simplify_rule(fired: list[str]) -> Formula:
    names = list(dict.fromkeys(fired))
    if not names:
        return COLLECT_LIKE
    text = ", ".join(name.replace("_", " ") for name in names)
    return Formula(f"simplify: {text}", rf"\text{{simplify: {text}}}", " ".join(_rule_doc(n) for n in names))


def _rule_doc(name: str) -> str:
    """The formula line of a simplification rule's docstring."""
    docs = {r.__name__: (r.__doc__ or "").strip() for rules in SIMPLIFY_RULES.values() for r in rules}
    return docs.get(name, "").split("\n")[0] or name.replace("_", " ")


def _finish(g: Expr, x: Var, result: Expr, steps: list[Step]) -> None:
    fired: list[str] = []
    simplified = simplify(g, fired)
    if to_text(simplified) != to_text(g):
        rule = _simplify_rule(fired) if fired or _count_terms(simplified) < _count_terms(g) else CANONICAL
        steps.append(_step(rule, simplified, x, differential=False))
    if to_text(simplified) != to_text(result):
        reordered = _unordered(simplified) == _unordered(result)
        steps.append(_step(REORDER if reordered else REGROUP, result, x, differential=False))
    elif steps[-1].node != result:  # same text: show derive's own node
        last = steps.pop()
        steps.append(Step(last.rule, last.justification, result, x, False, False, last.rule_latex))


def _unordered(e: Expr) -> str:
    """e's text with the terms of every sum sorted: equal for sums that differ in order only."""
    memo: dict[Expr, str] = {}
    for node in e.walk():
        parts = [memo[c] for c in node.children]
        if isinstance(node, Add):
            parts.sort()
        memo[node] = f"{type(node).__name__}{node._key if not node.children else ''}({','.join(parts)})"
    return memo[e]


def _count_terms(e: Expr) -> int:
    return sum(len(n.terms) for n in e.walk() if isinstance(n, Add))


# ── the derivation ─────────────────────────────────────────────────────────────────────
def derivation(f: Expr, x: Var, result: Expr) -> tuple[Step, ...]:
    """The steps from f to ∂f/∂x = `result` (derive's simplified gradient)."""
    steps = _scalar_step(f, x)
    try:
        df, used = forward_differential(f, x)
        if df is None:
            steps.append(_step(NO_DEPENDENCE, zero_like(UNIT), x, differential=True))
            g: Expr = zero_like(x)
            steps.append(_step(IDENTIFY_SCALAR if x.is_scalar else IDENTIFY_VECTOR if x.cols is ONE
                               else IDENTIFY, g, x, differential=False))
        else:
            if df.written > MAX_DIFFERENTIAL_SIZE:
                raise _TooLong
            formulas = "; ".join(DIFFERENTIALS[t].formula for t in used)
            steps.append(_step(Formula("differential", r"\text{differential}",
                                    f"Product and chain rules with the operands kept in order: {formulas}."),
                               df, x, differential=True))
            g = _identify(_moves(df, x, steps), x, steps)
        _finish(g, x, result, steps)
    except (MatcalcError, _TooLong):  # a move that cannot be described: one generic step
        steps = [s for s in steps if s.informal or s.rule == "differential"][:2]
        steps.append(_step(GENERIC, result, x, differential=False))
    return tuple(steps)
