"""Index (Einstein) notation: arrays built from entries and Kronecker deltas.

A derivative with no matrix form (∂(AXB)/∂X is 4-D) is written entrywise:
`[i,j,k,l] ↦ A[i,k] B[l,j]` — the array whose (i, j, k, l) entry is the body, an index
repeated in a term and not listed on the left being summed.  The body is an ordinary
scalar expression whose factors are entries `M[a,b]`, deltas `δ[a,b]` (the nodes `Entry`
and `Delta` of expr.py) and index-free scalars, so the algebra constructors collect its
like terms as for any product.

This module holds the array (`Tensor`), the term-level operations shared by the typing
of index forms, the derivation (calculus/jacobian.py), the evaluator and the code
generator — expansion into a sum of products, delta contraction, renaming of indices,
fresh index names — and the plan that computes a term with one `numpy.einsum`.
"""

from __future__ import annotations

import itertools
import string
from dataclasses import dataclass, field
from fractions import Fraction
from collections.abc import Collection, Iterator

from .algebra import transpose
from .errors import EvaluationError, UnsupportedError
from .expr import (
    ONE, Add, Const, Delta, DiagVec, Dim, Entry, Expr, HPow, Identity, MatMul, Ones, Trace, Transpose,
    Var,
)


@dataclass(frozen=True, slots=True)
class Tensor:
    """The array whose entry at the free `indices` (ranging over `dims`) is `body`.
    `context`: variables that fix a dimension no variable of the body has (`δ_m[i,j] x[k]`
    parsed with A declared m×n takes m from A's array)."""

    body: Expr
    indices: tuple[str, ...]
    dims: tuple[Dim, ...]
    context: tuple[Var, ...] = ()
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.body, self.indices, self.dims, self.context)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def shape(self) -> tuple[str | int, ...]:
        return self.dims  # type: ignore[return-value]  # free indices never range over ONE

    @property
    def is_scalar(self) -> bool:
        return False

    def walk(self) -> Iterator[Expr]:
        yield from self.body.walk()
        yield from self.context


# A term of a body: a numeric coefficient times factors (entries, deltas, index-free scalars).
Term = tuple[Fraction, tuple[Expr, ...]]


def indices_of(factor: Expr) -> tuple[str, ...]:
    if isinstance(factor, Entry):
        return factor.indices
    if isinstance(factor, Delta):
        return (factor.i, factor.j)
    return ()


def entry(e: Expr, row: str | None, col: str | None) -> Expr:
    """The entry of `e` at (row, col); None marks an absent axis.  Entries are written in
    a normal form: Mᵀ[a,b] is M[b,a], I[a,b] is δ[a,b], M[a,a] is diag(M)[a]."""
    assert (row is None) == (e.rows is ONE) and (col is None) == (e.cols is ONE), "index/axis mismatch"
    if row is None and col is None:
        return e
    if isinstance(e, Transpose):
        return entry(e.arg, col, row)
    if isinstance(e, Identity):
        return Delta(row, col, e.n)  # type: ignore[arg-type]
    if row is not None and row == col:
        return Entry(DiagVec(e), (row,))
    return Entry(e, tuple(i for i in (row, col) if i is not None))


def rename(factor: Expr, mapping: dict[str, str]) -> Expr:
    """The factor with its indices renamed (a repeated index inside an entry becomes diag)."""
    if isinstance(factor, Delta):
        return Delta(mapping.get(factor.i, factor.i), mapping.get(factor.j, factor.j), factor.n)
    if not isinstance(factor, Entry):
        return factor
    new = tuple(mapping.get(i, i) for i in factor.indices)
    if new == factor.indices:
        return factor
    if len(new) == 1:
        return Entry(factor.arg, new)
    return entry(factor.arg, new[0], new[1])


def contract(coefficient: Fraction, factors: tuple[Expr, ...], free: tuple[str, ...]) -> Term:
    """Σ_a δ[a,b] T[a] = T[b]: deltas with a summed index are contracted away, δ[a,a] summed
    over a is tr(I); deltas between free indices stay."""
    factors = tuple(factors)
    while True:
        for pos, f in enumerate(factors):
            if not isinstance(f, Delta):
                continue
            rest = factors[:pos] + factors[pos + 1:]
            if f.i == f.j:
                # δ[a,a] = 1 for each a; alone it still sums to n (summed) or says k's range (free).
                if any(f.i in indices_of(g) for g in rest):
                    factors = rest
                    break
                if f.i in free:
                    continue
                factors = rest + (Trace(Identity(f.n)),)
                break
            if f.i not in free or f.j not in free:
                gone, kept = (f.i, f.j) if f.i not in free else (f.j, f.i)
                if any(gone in indices_of(g) for g in rest):
                    factors = tuple(rename(g, {gone: kept}) for g in rest)
                elif any(kept in indices_of(g) for g in rest):
                    factors = rest  # Σ_a δ[a,k] = 1
                else:  # nothing else names k: keep its range (free), or count it (summed)
                    factors = rest + (Delta(kept, kept, f.n) if kept in free else Trace(Identity(f.n)),)
                break
        else:
            return coefficient, _drop_ones_entries(factors, free)


def _drop_ones_entries(factors: tuple[Expr, ...], free: tuple[str, ...]) -> tuple[Expr, ...]:
    """𝟙[a,b] = 1 is dropped when each of its indices stays bound elsewhere in the term."""
    out = list(factors)
    for f in factors:
        if isinstance(f, Entry) and isinstance(f.arg, Ones):
            others = [i for g in out if g is not f for i in indices_of(g)]
            if all(i in free or i in others for i in f.indices):
                out.remove(f)
                # A free index found nowhere else still needs its range: δ[k,k] = 1.
                out += [Delta(i, i, index_range(f, i)) for i in f.indices if i not in others]
    return tuple(out)


def index_range(factor: Expr, index: str) -> Dim:
    """The dimension an index of an entry or delta ranges over."""
    if isinstance(factor, Delta):
        return factor.n
    assert isinstance(factor, Entry)
    arg = factor.arg
    if len(factor.indices) == 1:
        return arg.rows if arg.cols is ONE else arg.cols
    return arg.rows if factor.indices[0] == index else arg.cols


def index_name_run(letters: str, taken: Collection[str] = ()) -> Iterator[str]:
    """Index names without end: each letter, then each letter with 1, 2, … appended (`i`,
    …, `w`, `i1`, …: names the grammar reads as one index), skipping the `taken` ones."""
    for suffix in itertools.chain(("",), map(str, itertools.count(1))):
        for letter in letters:
            if letter + suffix not in taken:
                yield letter + suffix


def canonical(term: Term, free: tuple[str, ...], summed_names: Iterator[str]) -> Term:
    """Summed indices renamed in order of appearance, from `summed_names` (a fresh run of
    names for each term, so equal terms meet)."""
    coefficient, factors = term
    mapping: dict[str, str] = {}
    names = (n for n in summed_names if n not in free)
    for f in factors:
        for i in indices_of(f):
            if i not in free and i not in mapping:
                mapping[i] = next(names)
    scalars = tuple(f for f in factors if not indices_of(f))
    indexed = tuple(rename(f, mapping) for f in factors if indices_of(f))
    return coefficient, scalars + indexed


def expand(body: Expr) -> list[Term]:
    """The body as a sum of products of entries, deltas and index-free scalars."""
    if isinstance(body, Add):
        return [t for term in body.terms for t in expand(term)]
    if isinstance(body, Const):
        return [(body.value, ())]
    if isinstance(body, MatMul):
        terms: list[Term] = [(Fraction(1), ())]
        for f in body.factors:
            if f.is_scalar:
                terms = [(c1 * c2, f1 + f2) for c1, f1 in terms for c2, f2 in expand(f)]
        # The non-scalar factors of a scalar product chain into one index-free scalar, xᵀy.
        chain = tuple(f for f in body.factors if not f.is_scalar)
        if chain:
            whole = _index_free(MatMul(chain) if len(chain) > 1 else chain[0])
            terms = [(c, fs + (whole,)) for c, fs in terms]
        return terms
    if isinstance(body, HPow) and isinstance(body.arg, Entry) and body.p.denominator == 1 and body.p > 0:
        terms = [(Fraction(1), ())]
        for _ in range(int(body.p)):
            terms = [(c, fs + (body.arg,)) for c, fs in terms]
        return terms
    if isinstance(body, (Entry, Delta)):
        return [(Fraction(1), (body,))]
    return [(Fraction(1), (_index_free(body),))]


def _index_free(e: Expr) -> Expr:
    if any(isinstance(n, (Entry, Delta)) for n in e.walk()):
        raise UnsupportedError("index notation takes sums and products of entries M[i,j] and "
                               "deltas δ[i,j] (and index-free scalars); apply other functions "
                               "to the matrix inside the entry, as exp(M)[i,j]")
    return e


def delta_size(name: str) -> Dim | None:
    """The range written on a delta's name: δ_m → "m", δ3 → 3; plain δ → None."""
    if name.startswith("δ_") and len(name) > 2:
        return name[2:]
    if name[1:].isdigit():
        return int(name[1:])
    return None


def is_delta_name(name: str) -> bool:
    return name == "δ" or (name.startswith("δ") and delta_size(name) is not None)


def column(e: Expr) -> Expr:
    """A vector entry's argument as a column vector (a row vector is transposed)."""
    return transpose(e) if e.rows is ONE else e


# -- evaluation plans ----------------------------------------------------------------------
@dataclass(frozen=True)
class TermPlan:
    """One term of a tensor as one einsum: `coefficient · Π scalars · einsum(spec → present)`
    added into the view `target → reps` of the result (deltas between free indices merge
    them: the view is a diagonal of the result, never a delta array).  The evaluator
    (evaluator.py) runs a plan; the code generator (codegen.py) writes it out."""
    coefficient: Fraction
    scalars: tuple[Expr, ...]   # scalar factors
    entries: tuple[Expr, ...]   # the matrices or vectors whose entries the term multiplies
    spec: str                   # einsum inputs, one subscript string per entry: "ik,lj"
    present: str                # the einsum's output: the free letters the entries carry
    target: str                 # the result's subscripts, merged letters repeated: "ijil"
    reps: str                   # the distinct letters of target, in order: "ijl"


def plans(t: Tensor) -> list[TermPlan]:
    """The einsum plan of every nonzero term of t."""
    out = []
    for coefficient, factors in expand(t.body):
        coefficient, factors = contract(coefficient, factors, t.indices)
        if coefficient != 0:
            out.append(_plan(coefficient, factors, t.indices))
    return out


def _plan(coefficient: Fraction, factors: tuple[Expr, ...], free: tuple[str, ...]) -> TermPlan:
    # Deltas left after contraction join free indices: merge each pair into one.
    parent = {i: i for i in free}

    def find(i: str) -> str:
        while parent[i] != i:
            i = parent[i]
        return i

    scalars: list[Expr] = []
    entries: list[Expr] = []
    subscripts: list[tuple[str, ...]] = []
    for f in factors:
        if isinstance(f, Delta):
            a, b = find(f.i), find(f.j)
            if a != b:
                parent[max(a, b, key=free.index)] = min(a, b, key=free.index)
        elif isinstance(f, Entry):
            entries.append(f.arg)
            subscripts.append(f.indices)
        else:
            scalars.append(f)
    letters: dict[str, str] = {}

    def letter(i: str) -> str:
        i = find(i) if i in parent else i
        if i not in letters:
            if len(letters) >= 52:
                raise EvaluationError("a term of this tensor has more than 52 indices")
            letters[i] = string.ascii_letters[len(letters)]
        return letters[i]

    target = "".join(letter(i) for i in free)
    reps = "".join(dict.fromkeys(target))
    spec = ",".join("".join(letter(i) for i in s) for s in subscripts)
    present = "".join(ch for ch in reps if ch in spec)
    return TermPlan(coefficient, tuple(scalars), tuple(entries), spec, present, target, reps)
