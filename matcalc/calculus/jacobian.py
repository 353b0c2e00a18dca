"""Derivatives that are not gradients — Jacobians, Hessians, higher derivatives — by index
notation, in the layout S + V.

The total differential dF (the rule table of rules/differentials.py) is written
entrywise, dF[i,j] = Σ (terms linear in dX[a,b]); replacing dX[a,b] by δ[a,k] δ[b,l] and
contracting the deltas gives ∂F[i,j]/∂X[k,l].  A result of rank ≤ 2 whose terms are chains
is read back as matrices (matrix_form.py), so Jacobians and Hessians print in textbook
form; the rest stay in index notation.  A derivative of an array in index notation
differentiates each entry's matrix by the product rule, so a second derivative has shape
S + Va + Vb.
"""

from __future__ import annotations

from typing import cast

from fractions import Fraction

from ..algebra import add, hadamard, is_zero, mul
from ..expr import (
    ONE, Add, Const, Delta, DiagMat, DiagVec, Differential, Dim, Entry, Expr, Hadamard, MatMul, Sum,
    Trace, Transpose, Var, free_vars,
)
from ..index_notation import (
    Tensor, Term, canonical, contract, entry, expand, index_name_run, index_range, indices_of, rename,
)
from ..rules.differentials import differential
from ..simplifier import simplify
from .gradient import depends_on
from .limits import check_index_factors
from .matrix_form import as_matrix

# The printed names of a result's indices: its own axes, then the summed ones.
FREE_LETTERS = "ijklpqrstuvw"
SUMMED_LETTERS = "abcdefghmnoxyz" + "αβγεζηθκλμνξρτφχψω"


class _Names:
    """Fresh internal index names (renamed to letters once a result is complete)."""

    def __init__(self) -> None:
        self.count = 0
        self.dims: dict[str, Dim] = {}

    def fresh(self, dim: Dim) -> str | None:
        if dim is ONE:
            return None
        self.count += 1
        name = f"#{self.count}"
        self.dims[name] = dim
        return name


def total_differential(f: Expr, x: Var) -> Expr | None:
    """dF with dX = Differential(x), children before parents (None when F does not depend on x)."""
    d: dict[Expr, Expr] = {x: Differential(x)}
    for node in depends_on(f, x):
        if node == x:
            continue
        dn = differential(node, tuple(d.get(c) for c in node.children))
        if dn is not None and not is_zero(dn):
            d[node] = dn
    return d.get(f)


def _linear_terms(e: Expr, row: str | None, col: str | None, wrt_at: tuple[str | None, str | None],
                  names: _Names) -> list[Term]:
    """Entry (row, col) of E, linear in dX, with dX[a,b] written δ[a,k] δ[b,l] where
    wrt_at = (k, l) are the result's indices of X."""
    if not e.has_differential:
        return [(Fraction(1), (entry(e, row, col),))]
    if isinstance(e, Differential):
        return [(Fraction(1), tuple(Delta(cast(str, a), s, names.dims[s])
                                    for a, s in zip((row, col), wrt_at) if s is not None))]
    if isinstance(e, Add):
        return [t for term in e.terms if term.has_differential
                for t in _linear_terms(term, row, col, wrt_at, names)]
    if isinstance(e, Transpose):
        return _linear_terms(e.arg, col, row, wrt_at, names)
    if isinstance(e, MatMul):
        return _product_terms(e, row, col, wrt_at, names)
    if isinstance(e, Hadamard):
        i = next(k for k, f in enumerate(e.factors) if f.has_differential)
        others = e.factors[:i] + e.factors[i + 1:]
        return _times(entry(hadamard(*others), row, col), _linear_terms(e.factors[i], row, col, wrt_at, names))
    if isinstance(e, Trace):
        a = names.fresh(e.arg.rows)
        return _linear_terms(e.arg, a, a, wrt_at, names)
    if isinstance(e, Sum):
        a, b = names.fresh(e.arg.rows), names.fresh(e.arg.cols)
        return _linear_terms(e.arg, a, b, wrt_at, names)
    if isinstance(e, DiagMat):
        return _times(Delta(row, col, e.rows), _linear_terms(e.arg, row, None, wrt_at, names))  # type: ignore[arg-type]
    if isinstance(e, DiagVec):
        return _linear_terms(e.arg, row, row, wrt_at, names)
    raise AssertionError(f"{type(e).__name__} is not linear in a differential")


def _times(factor: Expr, terms: list[Term]) -> list[Term]:
    return [(c, (factor,) + fs) for c, fs in terms]


def _product_terms(e: MatMul, row: str | None, col: str | None,
                   wrt_at: tuple[str | None, str | None], names: _Names) -> list[Term]:
    """(L H R)[i,j] = Σ L[i,a] H[a,b] R[b,j] for the one factor H that holds dX."""
    i = next(k for k, f in enumerate(e.factors) if f.has_differential)
    held = e.factors[i]
    coefficient = Fraction(1)
    scalars: list[Expr] = []
    for f in e.factors[:i] + e.factors[i + 1:]:
        if isinstance(f, Const):
            coefficient *= f.value
        elif f.is_scalar:
            scalars.append(f)
    if held.is_scalar:
        rest = [f for f in e.factors if not f.is_scalar]
        outer = [entry(mul(*rest), row, col)] if rest else []
        inner = _linear_terms(held, None, None, wrt_at, names)
    else:
        left = [f for f in e.factors[:i] if not f.is_scalar]
        right = [f for f in e.factors[i + 1:] if not f.is_scalar]
        a = names.fresh(held.rows) if left else row
        b = names.fresh(held.cols) if right else col
        before = (entry(mul(*left), row, a),) if left else ()
        after = (entry(mul(*right), b, col),) if right else ()
        return [(coefficient * c, tuple(scalars) + before + fs + after)
                for c, fs in _linear_terms(held, a, b, wrt_at, names)]
    return [(coefficient * c, tuple(scalars) + tuple(outer) + fs) for c, fs in inner]


def _differentiate_terms(terms: list[Term], x: Var, wrt_at: tuple[str | None, str | None],
                         names: _Names) -> list[Term]:
    """Product rule over each term's factors; d(M[a,b]) is the entry (a, b) of dM.  The
    size of the result is counted first, and refused when too large (limits.py)."""
    differentials: dict[Expr, Expr | None] = {}  # each entry's matrix: its dM, once
    sizes: dict[Expr, tuple[int, int]] = {}
    factors_in_all = 0
    for _, factors in terms:
        for f in factors:
            arg = f.arg if isinstance(f, Entry) else f
            if isinstance(f, Delta):
                continue
            if arg not in differentials:
                differentials[arg] = total_differential(arg, x)
            d = differentials[arg]
            if d is not None:
                count, held = _count_terms(d, sizes)
                factors_in_all += held + count * (len(factors) - 1)
    check_index_factors(factors_in_all)
    out: list[Term] = []
    for c, factors in terms:
        for pos, f in enumerate(factors):
            d = None if isinstance(f, Delta) else differentials[f.arg if isinstance(f, Entry) else f]
            if d is None:
                continue
            arg = f.arg if isinstance(f, Entry) else f
            if isinstance(f, Entry):
                idx = f.indices
                row, col = (idx[0], idx[1]) if len(idx) == 2 else (
                    (idx[0], None) if arg.cols is ONE else (None, idx[0]))
            else:
                row, col = None, None
            for c2, fs in _linear_terms(d, row, col, wrt_at, names):
                out.append((c * c2, factors[:pos] + fs + factors[pos + 1:]))
    return out


def _count_terms(d: Expr, sizes: dict[Expr, tuple[int, int]]) -> tuple[int, int]:
    """How many terms `_linear_terms(d, …)` writes, and how many factors they hold in all:
    counted on the shared graph, so a differential that doubles per level costs its
    depth, not its 2^depth terms."""
    for node in d.walk():
        if node in sizes or not node.has_differential:
            continue
        if isinstance(node, Differential):
            sizes[node] = (1, 2)  # δ[a,k] δ[b,l]
        elif isinstance(node, Add):
            parts = [sizes[t] for t in node.terms if t.has_differential]
            sizes[node] = (sum(n for n, _ in parts), sum(k for _, k in parts))
        elif isinstance(node, (MatMul, Hadamard)):
            # One factor holds dX; each term gains at most one factor per other factor.
            n, k = sizes[next(f for f in node.factors if f.has_differential)]
            sizes[node] = (n, k + n * len(node.factors))
        elif isinstance(node, DiagMat):  # a δ more in each term
            n, k = sizes[node.arg]
            sizes[node] = (n, k + n)
        else:  # Transpose, Trace, Sum, DiagVec pass their operand's terms on
            sizes[node] = sizes[node.children[0]]
    return sizes[d]


def jacobian(f: Expr | Tensor, x: Var) -> Expr | Tensor:
    """∂f/∂x in the layout S + V, for f not a scalar expression: a matrix expression when the
    result has rank ≤ 2 and a matrix form, else a Tensor in index notation."""
    names = _Names()
    if isinstance(f, Tensor):
        mapping = {}
        for i, dim in zip(f.indices, f.dims):
            mapping[i] = names.fresh(dim)
        out: tuple[str, ...] = tuple(mapping.values())  # type: ignore[arg-type]
        terms: list[Term] = []
        for c, fs in expand(f.body):
            local = dict(mapping)
            for g in fs:
                for i in indices_of(g):
                    if i not in local:
                        local[i] = names.fresh(index_range(g, i))
            terms.append((c, tuple(rename(g, cast(dict[str, str], local)) for g in fs)))
    else:
        row, col = names.fresh(f.rows), names.fresh(f.cols)
        out = tuple(i for i in (row, col) if i is not None)
        terms = [(Fraction(1), (entry(f, row, col),))]
    wrt_at = (names.fresh(x.rows), names.fresh(x.cols))
    free = out + tuple(s for s in wrt_at if s is not None)
    dims = tuple(names.dims[i] for i in free)
    raw = _differentiate_terms(terms, x, wrt_at, names)
    # Printed index names are never a variable's name: `a[a]` would read as nonsense.
    taken = set(free_vars(f)) | {x.name}
    letters = dict(zip(free, index_name_run(FREE_LETTERS, taken)))
    done = [canonical(contract(c, fs, free), free, index_name_run(SUMMED_LETTERS, taken)) for c, fs in raw]
    memo: dict[Expr, Expr] = {}  # the entries' matrices recur from term to term: simplified once
    done = [(c, tuple(_tidy(rename(g, letters), memo) for g in fs)) for c, fs in done if c != 0]
    done = [(c, fs) for c, fs in done if not any(  # an entry of a matrix that simplified to 0
        is_zero(g.arg if isinstance(g, Entry) else g) for g in fs)]
    final_free = tuple(letters[i] for i in free)
    dims_of = dict(zip(final_free, dims))
    if len(final_free) <= 2:
        matrix = as_matrix(done, final_free, dims_of, memo)
        if matrix is not None:
            return simplify(matrix, memo=memo)
    body = add(*(mul(Const(c), *fs) for c, fs in done)) if done else Const(Fraction(0))
    return Tensor(body, final_free, dims)


def _tidy(factor: Expr, memo: dict[Expr, Expr]) -> Expr:
    """Each entry's matrix simplified on its own."""
    if isinstance(factor, Entry):
        arg = simplify(factor.arg, memo=memo)
        if len(factor.indices) == 2:
            row, col = factor.indices
            return entry(arg, row, col)
        return Entry(arg, factor.indices)
    return factor if isinstance(factor, Delta) else simplify(factor, memo=memo)
