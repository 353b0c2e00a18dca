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
from collections.abc import Iterator

from ..algebra import add, hadamard, identity, is_zero, mul, transpose
from ..expr import (
    ONE, Add, Const, Delta, DiagMat, DiagVec, Differential, Dim, Entry, Expr, Hadamard, Identity, MatMul,
    Ones, Sum, Trace, Transpose, Var, Zero,
)
from ..index_notation import (
    Tensor, Term, canonical, column, contract, entry, expand, index_name_run, index_range, indices_of,
    rename,
)
from ..rules.differentials import differential
from ..simplifier import simplify
from .gradient import depends_on

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
    """Product rule over each term's factors; d(M[a,b]) is the entry (a, b) of dM."""
    out: list[Term] = []
    for c, factors in terms:
        for pos, f in enumerate(factors):
            arg = f.arg if isinstance(f, Entry) else f
            if isinstance(f, Delta) or not any(n == x for n in arg.walk()):
                continue
            d = total_differential(arg, x)
            if d is None:
                continue
            if isinstance(f, Entry):
                idx = f.indices
                row, col = (idx[0], idx[1]) if len(idx) == 2 else (
                    (idx[0], None) if arg.cols is ONE else (None, idx[0]))
            else:
                row, col = None, None
            for c2, fs in _linear_terms(d, row, col, wrt_at, names):
                out.append((c * c2, factors[:pos] + fs + factors[pos + 1:]))
    return out


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
    letters = dict(zip(free, index_name_run(FREE_LETTERS)))
    done = [canonical(contract(c, fs, free), free, index_name_run(SUMMED_LETTERS)) for c, fs in raw]
    done = [(c, tuple(_tidy(rename(g, letters)) for g in fs)) for c, fs in done if c != 0]
    done = [(c, fs) for c, fs in done if not any(  # an entry of a matrix that simplified to 0
        is_zero(g.arg if isinstance(g, Entry) else g) for g in fs)]
    final_free = tuple(letters[i] for i in free)
    dims_of = dict(zip(final_free, dims))
    if len(final_free) <= 2:
        matrix = as_matrix(done, final_free, dims_of)
        if matrix is not None:
            return simplify(matrix)
    body = add(*(mul(Const(c), *fs) for c, fs in done)) if done else Const(Fraction(0))
    return Tensor(body, final_free, dims)


def _tidy(factor: Expr) -> Expr:
    """Each entry's matrix simplified on its own."""
    if isinstance(factor, Entry):
        arg = simplify(factor.arg)
        if len(factor.indices) == 2:
            row, col = factor.indices
            return entry(arg, row, col)
        return Entry(arg, factor.indices)
    return factor if isinstance(factor, Delta) else simplify(factor)


# -- reading index terms back as matrices ------------------------------------------------
class _Graph:
    """One term as a graph: indices are nodes, matrix entries and deltas edges, vector
    entries weights on their index, index-free factors scalars."""

    def __init__(self, factors: tuple[Expr, ...], dims: dict[str, Dim]) -> None:
        self.edges: list[tuple[str, str, Expr]] = []  # (a, b, M): M[a,b]
        self.weights: dict[str, list[Expr]] = {}
        self.scalars: list[Expr] = []
        self.nodes: list[str] = []
        self.dims = dims
        for f in factors:
            for i in indices_of(f):
                if i not in self.nodes:
                    self.nodes.append(i)
            if isinstance(f, Delta) and f.i == f.j:
                dims.setdefault(f.i, f.n)  # δ[k,k] = 1: it only names k's range
            elif isinstance(f, Delta):
                self.edges.append((f.i, f.j, identity(f.n)))
                dims.setdefault(f.i, f.n)
            elif isinstance(f, Entry) and len(f.indices) == 2:
                self.edges.append((f.indices[0], f.indices[1], simplify(f.arg)))
                dims.setdefault(f.indices[0], f.arg.rows)
                dims.setdefault(f.indices[1], f.arg.cols)
            elif isinstance(f, Entry):
                v = column(simplify(f.arg))
                self.weights.setdefault(f.indices[0], []).append(v)
                dims.setdefault(f.indices[0], v.rows)
            else:
                self.scalars.append(f)
        self.used: set[int] = set()

    def degree(self, node: str) -> int:
        return sum((a == node) + (b == node) for a, b, _ in self.edges)

    def unused_degree(self, node: str) -> int:
        return sum((a == node) + (b == node) for k, (a, b, _) in enumerate(self.edges) if k not in self.used)

    def next_edge(self, node: str) -> tuple[int, str, Expr] | None:
        """An unused edge at `node`: its id, the far end, and the matrix read from `node`."""
        for k, (a, b, m) in enumerate(self.edges):
            if k in self.used:
                continue
            if a == node:
                return k, b, m
            if b == node:
                return k, a, transpose(m)
        return None

    def weight(self, node: str) -> Expr | None:
        ws = self.weights.pop(node, [])
        return hadamard(*ws) if ws else None

    def walk(self, start: str, stop: str | None = None) -> Iterator[tuple[Expr, str]]:
        """Matrices along the path from `start` (until `stop` or a dead end), with each node reached."""
        node = start
        while node != stop or node == start:
            step = self.next_edge(node)
            if step is None:
                return
            k, node, m = step
            self.used.add(k)
            yield m, node
            if node == start:
                return

    def vector(self, start: str) -> Expr:
        """Σ over the path leaving `start`: a column vector indexed by `start` (its own
        weights are the caller's)."""
        factors: list[Expr] = []
        last: str | None = None
        for m, node in self.walk(start):
            factors.append(m)
            last = node
            if self.next_edge(node) is not None:
                w = self.weight(node)
                if w is not None:
                    factors.append(DiagMat(w))
        if last is None:
            return Ones((self.dims[start], ONE))
        end = self.weight(last)
        factors.append(end if end is not None else Ones((self.dims[last], ONE)))
        return mul(*factors)

    def at(self, node: str) -> Expr | None:
        """The column vector hanging at a free index: its weights ⊙ a branch leaving it."""
        w = self.weight(node)
        branch = self.vector(node) if self.next_edge(node) is not None else None
        parts = [p for p in (w, branch) if p is not None]
        return hadamard(*parts) if parts else None


def _term_matrix(factors: tuple[Expr, ...], free: tuple[str, ...], dims: dict[str, Dim]) -> Expr | None:
    g = _Graph(factors, dict(dims))
    # A chain passes each index at most twice; a free index ends one.
    if any(g.degree(n) > 2 for n in g.nodes) or any(g.degree(i) > 1 for i in free):
        return None
    parts: list[Expr] = list(g.scalars)
    if len(free) == 2:
        r, c = free
        chain = _path(g, r, c)
        if chain is None:  # an outer product u vᵀ
            u, v = g.at(r), g.at(c)
            chain = mul(u if u is not None else Ones((dims[r], ONE)),
                        transpose(v if v is not None else Ones((dims[c], ONE))))
        parts.append(chain)
    elif len(free) == 1:
        u = g.at(free[0])
        parts.append(u if u is not None else Ones((dims[free[0]], ONE)))
    # What is left is closed: paths give uᵀ M v, cycles traces, lone weights inner products.
    for node in g.nodes:
        if node in free:
            continue
        unused = g.unused_degree(node)
        if unused == 0 and node in g.weights:
            ws = g.weights.pop(node)
            parts.append(Sum(ws[0]) if len(ws) == 1 else mul(transpose(ws[0]), hadamard(*ws[1:])))
        elif unused == 1:
            start = g.weight(node)
            parts.append(mul(transpose(start if start is not None else Ones((g.dims[node], ONE))),
                             g.vector(node)))
    for node in g.nodes:  # cycles: tr(diag(w₀) M₁ diag(w₁) M₂ …)
        if node in free or g.unused_degree(node) == 0:
            continue
        w = g.weight(node)
        loop: list[Expr] = [DiagMat(w)] if w is not None else []
        for m, reached in g.walk(node):
            loop.append(m)
            wr = g.weight(reached) if reached != node else None
            if wr is not None:
                loop.append(DiagMat(wr))
        parts.append(Trace(mul(*loop)))
    if g.weights or len(g.used) != len(g.edges):
        return None
    return mul(*parts) if len(parts) > 1 else parts[0] if parts else Const(Fraction(1))


def _path(g: _Graph, r: str, c: str) -> Expr | None:
    """The matrix chain from r to c, with diagonal weights inside, or None when r and c are
    not joined."""
    if not _joined(g, r, c):
        return None
    factors: list[Expr] = []
    wr = g.weight(r)
    pending = [wr] if wr is not None else []
    for m, node in g.walk(r, c):
        if isinstance(m, Identity) and (node == c):
            wc = g.weight(c)
            pending += [wc] if wc is not None else []
            factors.append(DiagMat(hadamard(*pending)) if pending else m)
            pending = []
            continue
        if pending:
            factors.append(DiagMat(hadamard(*pending)))
        factors.append(m)
        w = g.weight(node)
        pending = [w] if w is not None else []
    if pending:
        factors.append(DiagMat(hadamard(*pending)))
    return mul(*factors)


def _joined(g: _Graph, r: str, c: str) -> bool:
    seen, frontier = {r}, [r]
    while frontier:
        n = frontier.pop()
        for a, b, _ in g.edges:
            for p, q in ((a, b), (b, a)):
                if p == n and q not in seen:
                    seen.add(q)
                    frontier.append(q)
    return c in seen


def as_matrix(terms: list[Term], free: tuple[str, ...], dims: dict[str, Dim]) -> Expr | None:
    """The sum of `terms` as a matrix expression indexed by `free` (at most two indices:
    rows, then columns), or None when a term is not a chain."""
    rows = dims[free[0]] if free else ONE
    cols = dims[free[1]] if len(free) == 2 else ONE
    if not terms:
        return Zero((rows, cols)) if (rows, cols) != (ONE, ONE) else Const(Fraction(0))
    pieces = []
    for c, fs in terms:
        m = _term_matrix(fs, free, dims)
        if m is None:
            return None
        pieces.append(mul(Const(c), m))
    return add(*pieces)
