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
from collections.abc import Callable

from .algebra import UNIT, ZERO, add, hadamard, is_zero, mul, transpose, zero_like
from .calculus import derive
from .expr import (
    ONE, Add, Apply, Det, DiagMat, DiagVec, Differential, Expr, Hadamard, HPow,
    Identity, Inverse, LogDet, LogSumExp, MatMul, MatPow, Norm1, Norm2, Ones, Softmax, Sum,
    Trace, Transpose, Var, Zero,
)
from .printing import to_latex, to_text
from .rules.adjoints import ADJOINTS
from .rules.differentials import DIFFERENTIALS
from .simplifier import RULES as SIMPLIFY_RULES, simplify

# Beyond these sizes the moves are no longer worth reading: the steps fall back to one
# generic step (the result is the same; only the description is shorter).
MAX_DIFFERENTIAL_SIZE = 600
MAX_MOVES = 200


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    latex: str  # the name as LaTeX (KaTeX-safe)
    justification: str


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


def _step(rule: Rule, node: Expr, x: Var, differential: bool, informal: bool = False) -> Step:
    return Step(rule.name, rule.justification, node, x, differential, informal, rule.latex)


# ── the rules a step can name ──────────────────────────────────────────────────────────
SCALARS = Rule("treat as scalars", r"\text{treat as scalars}",
               "The blog posts' shortcut: differentiate as if every operand were a scalar, keeping "
               "their order; the shapes do not fit yet, so this is a guide, not an equation.")
NO_DEPENDENCE = Rule("differential", r"\text{differential}",
                     "f does not depend on the variable, so its differential is zero.")
LINEARITY = Rule("linearity", r"\text{linearity}",
                 "The inner product distributes over a sum: ⟨G, A + B⟩ = ⟨G, A⟩ + ⟨G, B⟩.")
COLLECT = Rule("linearity: collect terms", r"\text{linearity: collect terms}",
               "Terms with the same differential part add their coefficients: "
               "⟨G₁, E⟩ + ⟨G₂, E⟩ = ⟨G₁ + G₂, E⟩.")
SCALAR_FACTOR = Rule("scalar factors commute", r"\text{scalar factors commute}",
                     "Scalar factors move across an inner product: ⟨G, m·R⟩ = ⟨G, R⟩·m and "
                     "⟨G, c·M⟩ = ⟨c·G, M⟩.")
CYCLICITY = Rule("trace cyclicity", r"\text{trace cyclicity}",
                 "A scalar is its own trace, and tr(ABC) = tr(CAB): ⟨G, L M R⟩ = ⟨Lᵀ G Rᵀ, M⟩ "
                 "moves the factors around the differential to the other side.")
SCALAR_TRANSPOSE = Rule("transpose of a scalar", r"\text{transpose of a scalar}",
                        "A scalar equals its transpose: aᵀb = bᵀa, so ⟨G, Mᵀ⟩ = ⟨Gᵀ, M⟩.")
TRACE_TRANSPOSE = Rule("tr(Aᵀ) = tr(A)", r"\operatorname{tr}(A^{\top}) = \operatorname{tr}(A)",
                       "A matrix and its transpose have the same trace: ⟨G, Mᵀ⟩ = ⟨Gᵀ, M⟩.")
ELEMENTWISE = Rule("elementwise factors commute", r"\text{elementwise factors commute}",
                   "⟨G, K ⊙ M⟩ = Σᵢⱼ Gᵢⱼ Kᵢⱼ Mᵢⱼ = ⟨G ⊙ K, M⟩.")
TRACE = Rule("trace as inner product", r"\text{trace as inner product}",
             "tr M = ⟨I, M⟩, so ⟨g, tr M⟩ = ⟨g I, M⟩.")
SUM = Rule("sum as inner product", r"\text{sum as inner product}",
           "sum(M) = ⟨𝟙, M⟩, so ⟨g, sum M⟩ = ⟨g 𝟙, M⟩.")
DIAGONAL = Rule("diagonal", r"\text{diagonal}",
                "Only the diagonal meets diag(·): ⟨G, diag(v)⟩ = ⟨diag(G), v⟩ and "
                "⟨g, diag(M)⟩ = ⟨diag(g), M⟩.")
IDENTIFY = Rule("identify tr(Gᵀ dX)", r"\text{identify } \operatorname{tr}(G^{\top} \mathrm{d}X)",
                "df = tr(Gᵀ dX) = ⟨G, dX⟩ for every direction dX, so ∂f/∂X = G, "
                "which has the shape of X.")
IDENTIFY_VECTOR = Rule("identify Gᵀ dx", r"\text{identify } G^{\top} \mathrm{d}x",
                       "df = Gᵀ dx = ⟨G, dx⟩ for every direction dx, so ∂f/∂x = G, "
                       "which has the shape of x.")
IDENTIFY_SCALAR = Rule("identify g da", r"\text{identify } g \, \mathrm{d}a",
                       "df = g·da for every da, so ∂f/∂a = g.")
TRANSPOSE_RULES = {
    MatMul: Rule("(AB)ᵀ = BᵀAᵀ", r"(AB)^{\top} = B^{\top} A^{\top}",
                 "The transpose of a product is the product of the transposes, reversed."),
    Add: Rule("(A + B)ᵀ = Aᵀ + Bᵀ", r"(A + B)^{\top} = A^{\top} + B^{\top}",
              "Transposition is linear."),
}
TRANSPOSE_ANY = Rule("transpose", r"\text{transpose}",
                     "Transposition applied to the factors: (Aᵀ)ᵀ = A, (A⁻¹)ᵀ = A⁻ᵀ, Iᵀ = I.")
GENERIC = Rule("reverse-mode gradient", r"\text{reverse-mode gradient}",
               "The adjoint rules applied through the whole expression at once "
               "(too large to show move by move).")
CANONICAL = Rule("simplify: canonical form", r"\text{simplify: canonical form}",
                 "Always-true identities: terms in canonical order, numbers folded, I and 𝟙 "
                 "dropped, (AB)ᵀ = BᵀAᵀ.")
COLLECT_LIKE = Rule("simplify: collect like terms", r"\text{simplify: collect like terms}",
                    "Equal terms add their coefficients: c₁T + c₂T = (c₁ + c₂)T.")
REORDER = Rule("simplify: order of terms", r"\text{simplify: order of terms}",
               "Addition commutes: the terms in the order matcalc prints them.")
REGROUP = Rule("simplify: as derive collects", r"\text{simplify: as derive collects}",
               "The same gradient as the reverse-mode computation writes it, collecting "
               "contributions at shared subexpressions before simplifying (distributivity).")

# The differential rules, as shown in the justification of the differential step.
DIFFERENTIAL_FORMULAS: dict[type, str] = {
    Add: "d(A + B) = dA + dB",
    MatMul: "d(AB) = dA B + A dB",
    Hadamard: "d(A ⊙ B) = dA ⊙ B + A ⊙ dB",
    Transpose: "d(Aᵀ) = (dA)ᵀ",
    Inverse: "d(A⁻¹) = −A⁻¹ dA A⁻¹",
    MatPow: "d(Aᵏ) = Σᵢ Aⁱ dA Aᵏ⁻¹⁻ⁱ",
    HPow: "d(A.^p) = p A.^(p−1) ⊙ dA",
    Apply: "d f(A) = f′(A) ⊙ dA",
    Trace: "d tr(A) = tr(dA)",
    Det: "d det(A) = det(A) tr(A⁻¹ dA)",
    LogDet: "d logdet(A) = tr(A⁻¹ dA)",
    Sum: "d sum(A) = sum(dA)",
    Norm2: "d‖A‖ = ⟨A, dA⟩/‖A‖",
    Norm1: "d norm1(A) = ⟨sign(A), dA⟩",
    DiagMat: "d diag(v) = diag(dv)",
    DiagVec: "d diag(A) = diag(dA)",
    Softmax: "d softmax(a) = s ⊙ da − s sᵀ da",
    LogSumExp: "d logsumexp(a) = softmax(a)ᵀ da",
}


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
    except Exception:  # noqa: BLE001 — an informal guide only: when it cannot be formed, it is left out
        return []
    return [_step(SCALARS, guess, x, differential=False, informal=True)]


# ── step 2: the differential, operands in order ─────────────────────────────────────────
def _in_order(terms: list[Expr]) -> Expr | None:
    """Σ terms as written: nested sums flattened, nothing collected or reordered."""
    flat: list[Expr] = []
    for t in terms:
        flat.extend(t.terms if isinstance(t, Add) else () if is_zero(t) else (t,))
    return None if not flat else flat[0] if len(flat) == 1 else Add(tuple(flat))


def _product_in_order(combine: Callable[..., Expr], factors: tuple[Expr, ...],
                      d: tuple[Expr | None, ...]) -> Expr | None:
    return _in_order([combine(*factors[:i], di, *factors[i + 1:]) for i, di in enumerate(d) if di is not None])


# The differential table, except that sums keep their written order and d(Aᵀ) stays
# (dA)ᵀ: reordering and transposing are the later steps' business.
IN_ORDER: dict[type, Callable[..., Expr | None]] = {
    Add: lambda n, d: _in_order([x for x in d if x is not None]),
    MatMul: lambda n, d: _product_in_order(mul, n.factors, d),
    Hadamard: lambda n, d: _product_in_order(hadamard, n.factors, d),
    Transpose: lambda n, d: Transpose(d[0]),
}


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
        rule = IN_ORDER.get(type(node)) or DIFFERENTIALS[type(node)]
        result = rule(node, ds)
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
    return _in_order([_pair_expr(g, e) for g, e in pairs]) or zero_like(UNIT)


def _move_rule(e: Expr, g: Expr) -> Rule:
    if isinstance(e, Add):
        return LINEARITY
    if isinstance(e, MatMul):
        held = next(f for f in e.factors if f.has_differential)
        others_scalar = all(f.is_scalar for f in e.factors if f is not held)
        return SCALAR_FACTOR if held.is_scalar or others_scalar else CYCLICITY
    if isinstance(e, Transpose):
        return SCALAR_TRANSPOSE if e.rows is ONE or e.cols is ONE else TRACE_TRANSPOSE
    if isinstance(e, Hadamard):
        return ELEMENTWISE
    if isinstance(e, Trace):
        return TRACE
    if isinstance(e, Sum):
        return SUM
    return DIAGONAL


def _merge(pairs: list[Pair]) -> list[Pair]:
    merged: dict[Expr, list[Expr]] = {}
    for g, e in pairs:
        merged.setdefault(e, []).append(g)
    return [(add(*gs), e) for e, gs in merged.items()]


def _next_pair(pairs: list[Pair], delta: Expr) -> int | None:
    """The first pair whose E lies inside no other pair's E: the others may still reach
    it, and then they meet and collect before going further (as in reverse mode)."""
    open_ = [i for i, (_, e) in enumerate(pairs) if e != delta]
    inside = [set(pairs[j][1].walk()) for j in open_]
    for i in open_:
        if not any(pairs[i][1] in seen for j, seen in zip(open_, inside) if j != i):
            return i
    return open_[0] if open_ else None


def _moves(df: Expr, x: Var, steps: list[Step]) -> Expr:
    """Apply the adjoint rules one at a time; return G with df = ⟨G, dX⟩."""
    delta = Differential(x)
    pairs: list[Pair] = [(UNIT, df)]
    shown = to_text(df)

    def emit(rule: Rule) -> None:
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
        i = _next_pair(pairs, delta)
        if i is None:
            break
        g, e = pairs[i]
        pairs[i:i + 1] = [(h, child) for child, h in ADJOINTS[type(e)](e, g)]
        emit(_move_rule(e, g))
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


def _simplify_rule(fired: list[str]) -> Rule:
    names = list(dict.fromkeys(fired))
    if not names:
        return COLLECT_LIKE
    text = ", ".join(name.replace("_", " ") for name in names)
    return Rule(f"simplify: {text}", rf"\text{{simplify: {text}}}", " ".join(_rule_doc(n) for n in names))


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
            formulas = "; ".join(DIFFERENTIAL_FORMULAS[t] for t in used)
            steps.append(_step(Rule("differential", r"\text{differential}",
                                    f"Product and chain rules with the operands kept in order: {formulas}."),
                               df, x, differential=True))
            g = _identify(_moves(df, x, steps), x, steps)
        _finish(g, x, result, steps)
    except Exception:  # noqa: BLE001 — a move that cannot be described: one generic step, never a failure
        steps = [s for s in steps if s.informal or s.rule == "differential"][:2]
        steps.append(_step(GENERIC, result, x, differential=False))
    return tuple(steps)
