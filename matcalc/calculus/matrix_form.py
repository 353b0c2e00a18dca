"""Reading index notation back as matrices.

A term whose indices form chains (every index in at most two factors) is a product of
matrices: A[i,a] s[a] B[a,k] is A diag(s) B, u[i] v[k] is u vᵀ, y[i] δ[i,k] is diag(y), a
closed loop is a trace.  Each term is seen as a graph — indices are nodes, matrix entries
and deltas edges, vector entries weights on their index — and read off along its paths.
"""

from __future__ import annotations

from fractions import Fraction
from collections.abc import Iterator

from ..algebra import add, hadamard, identity, mul, transpose
from ..expr import ONE, Const, Delta, DiagMat, Dim, Entry, Expr, Identity, Ones, Sum, Trace, Zero
from ..index_notation import Term, column, indices_of
from ..simplifier import simplify


class _Graph:
    """One term as a graph: indices are nodes, matrix entries and deltas edges, vector
    entries weights on their index, index-free factors scalars."""

    def __init__(self, factors: tuple[Expr, ...], dims: dict[str, Dim], memo: dict[Expr, Expr]) -> None:
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
                self.edges.append((f.indices[0], f.indices[1], simplify(f.arg, memo=memo)))
                dims.setdefault(f.indices[0], f.arg.rows)
                dims.setdefault(f.indices[1], f.arg.cols)
            elif isinstance(f, Entry):
                v = column(simplify(f.arg, memo=memo))
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


def _term_matrix(factors: tuple[Expr, ...], free: tuple[str, ...], dims: dict[str, Dim],
                 memo: dict[Expr, Expr]) -> Expr | None:
    g = _Graph(factors, dict(dims), memo)
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


def as_matrix(terms: list[Term], free: tuple[str, ...], dims: dict[str, Dim],
              memo: dict[Expr, Expr]) -> Expr | None:
    """The sum of `terms` as a matrix expression indexed by `free` (at most two indices:
    rows, then columns), or None when a term is not a chain.  `memo`: simplify's memo, shared
    by the terms (their entries recur from term to term)."""
    rows = dims[free[0]] if free else ONE
    cols = dims[free[1]] if len(free) == 2 else ONE
    if not terms:
        return Zero((rows, cols)) if (rows, cols) != (ONE, ONE) else Const(Fraction(0))
    pieces = []
    for c, fs in terms:
        m = _term_matrix(fs, free, dims, memo)
        if m is None:
            return None
        pieces.append(mul(Const(c), m))
    return add(*pieces)
