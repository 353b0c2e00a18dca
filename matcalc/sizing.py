"""Sized constants: the identity, the all-ones array and the zero array with their size
written on them — `Iₙ`, `𝟙ₙ`, `𝟙ₘₓₙ`, `0ₘₓₙ` — wherever the text around them would not fix it.

The parser gives a bare `I` or `𝟙` the size its neighbours force (`A + I`, `X𝟙`); a bare
`0` is the number.  So a printed result names a size only where unification over the
printed text would leave it open (`tr(Iₙ)`, `a𝟙ₙ`) or where the bare form reads as
something else (a zero vector, a matrix of ones in a matrix product).  `with_sizes` marks
those leaves by following the same links the typing step unifies: adjacent factors of a
product, the terms of a sum, a transpose's swapped axes, a square matrix's two axes.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .expr import (
    ONE, Add, Apply, Det, DiagMat, DiagVec, Differential, Dim, Expr, Hadamard, HPow,
    Identity, Inverse, LogDet, MatMul, MatPow, Ones, Pow, Softmax, Trace, Transpose, Zero,
)

# Dimension symbols written as subscripts: the letters Unicode has subscripts for (x is
# the separator ₓ), and digits.
_SUBSCRIPT = dict(zip("aehijklmnoprstuv0123456789", "ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥ₀₁₂₃₄₅₆₇₈₉"))
_PLAIN = {v: k for k, v in _SUBSCRIPT.items()} | {"ₓ": "x"}
SUBSCRIPT_CHARS = "".join(_PLAIN)
_SUBSCRIPTABLE = re.compile(r"[aehijklmnoprstuv]?[0-9]*")


def size_text(dims: tuple[Dim, ...]) -> str:
    """`ₘₓₙ` when every dimension has a subscript form, else `_{X_rows×n}`."""
    shown = [str(d) for d in dims]
    if all(isinstance(d, int) or (isinstance(d, str) and d and not d.isdigit()
                                  and _SUBSCRIPTABLE.fullmatch(d)) for d in dims):
        return "ₓ".join("".join(_SUBSCRIPT[ch] for ch in d) for d in shown)
    return "_{" + "×".join(shown) + "}"


def read_size(text: str) -> tuple[str | int, ...]:
    """The dimensions in a size as `size_text` writes it, or as typed: `ₘₓₙ`, `₃`,
    `_{m×n}`, `_{m,n}`, `_n`, `_3` (digits are a number, anything else a symbol)."""
    if text.startswith("_{"):
        parts = re.split(r"\s*[×,]\s*", text[2:-1].strip())
    elif text.startswith("_"):
        parts = [text[1:]]
    else:
        parts = "".join(_PLAIN[ch] for ch in text).split("x")
    return tuple(int(p) if p.isdigit() else p for p in parts)


@dataclass(frozen=True, slots=True, eq=False)
class Sized(Expr):
    """A constant leaf (Identity, Ones, Zero) that prints with its size: printing only."""

    of: Expr

    def __post_init__(self) -> None:
        self._finish_leaf(self.of.rows, self.of.cols, (self.of,))


# A slot is one axis of a node (-1) or of its k-th child: (k, 0) rows, (k, 1) columns.
Slot = tuple[int, int]
_SAME = (((-1, 0), (0, 0)), ((-1, 1), (0, 1)))
_SQUARE = ((-1, 0), (-1, 1))


def _links(e: Expr) -> list[tuple[Slot, Slot]]:
    """The axes the typing step unifies at `e`: its own with its children's, and its own
    rows with its columns for a square matrix."""
    if isinstance(e, MatMul):
        chain = [k for k, f in enumerate(e.factors) if not f.is_scalar]
        if not chain:
            return []
        links = [((-1, 0), (chain[0], 0)), ((-1, 1), (chain[-1], 1))]
        return links + [((a, 1), (b, 0)) for a, b in itertools.pairwise(chain)]
    if isinstance(e, Pow):  # a scalar side is spread over the other
        return [((-1, axis), (k, axis)) for k, c in enumerate(e.children) if not c.is_scalar for axis in (0, 1)]
    if isinstance(e, (Add, Hadamard)):
        return [((-1, axis), (k, axis)) for k in range(len(e.children)) for axis in (0, 1)]
    if isinstance(e, Transpose):
        return [((-1, 0), (0, 1)), ((-1, 1), (0, 0))]
    if isinstance(e, (Inverse, MatPow)):
        return [*_SAME, _SQUARE]
    if isinstance(e, (HPow, Apply, Softmax, Differential)):
        return list(_SAME)
    if isinstance(e, (Trace, Det, LogDet)):
        return [((0, 0), (0, 1))]
    if isinstance(e, DiagMat):
        return [((-1, 0), (0, 0)), ((-1, 1), (0, 0))]
    if isinstance(e, DiagVec):
        return [((-1, 0), (0, 0)), ((0, 0), (0, 1))]
    if isinstance(e, Identity):
        return [_SQUARE]
    return []  # reductions to a scalar, entries of index notation: their operands stand alone


def _ones_matrix(e: Expr) -> bool:
    """𝟙 of two axes (or its transpose): a bare 𝟙 in a matrix product is a vector."""
    if isinstance(e, Transpose):
        e = e.arg
    return isinstance(e, Ones) and e.rows is not ONE and e.cols is not ONE


class _Sizes:
    """One marking of one tree: which axes its text fixes, node by node (memoized, so a
    shared subtree costs one visit per context)."""

    def __init__(self, root: Expr) -> None:
        # The subtrees that hold a constant: the others are fixed by their variables alone.
        self.holders: set[Expr] = set()
        for n in root.walk():
            if isinstance(n, (Identity, Ones, Zero)) or not self.holders.isdisjoint(n.children):
                self.holders.add(n)
        # Per node: which axes its own text fixes, and whether its rows and columns are
        # one dimension (a square matrix such as I or A⁻¹, or a product or sum of one).
        self.inner_memo: dict[Expr, tuple[bool, bool, bool]] = {}
        self.mark_memo: dict[tuple[Expr, bool, bool], Expr] = {}

    def known(self, e: Expr, given: tuple[bool, bool]) -> tuple[dict[Slot, bool], bool]:
        """Each slot of `e` and its children: whether the text fixes it, given what the
        context fixes of `e` itself; and whether e's two axes are linked."""
        parent: dict[Slot, Slot] = {}

        def find(s: Slot) -> Slot:
            while parent.get(s, s) != s:
                parent[s] = s = parent.get(parent[s], parent[s])  # (path halving)
            return s

        links = _links(e)
        links += [((k, 0), (k, 1)) for k, c in enumerate(e.children) if self.inner(c)[2]]
        for a, b in links:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[rb] = ra  # a sum's terms hang under its own slot: no long chains
        fixed: set[Slot] = set()
        for axis, dim in enumerate((e.rows, e.cols)):
            if given[axis] or dim is ONE:
                fixed.add(find((-1, axis)))
        for k, c in enumerate(e.children):
            inner = self.inner(c)
            for axis, dim in enumerate((c.rows, c.cols)):
                if inner[axis] or dim is ONE:
                    fixed.add(find((k, axis)))
        slots = [(-1, 0), (-1, 1)] + [(k, axis) for k in range(len(e.children)) for axis in (0, 1)]
        return {s: find(s) in fixed for s in slots}, find((-1, 0)) == find((-1, 1))

    def inner(self, e: Expr) -> tuple[bool, bool, bool]:
        """Which axes of `e` its own text fixes (whatever surrounds it), and whether they
        are linked."""
        if e not in self.holders:
            return (True, True, False)
        if e not in self.inner_memo:
            if isinstance(e, Identity):
                found = (False, False, True)
            elif isinstance(e, Ones):
                found = (e.rows is ONE, e.cols is ONE, False)
            elif not e.children:
                found = (True, True, False)  # variables, numbers, deltas; a zero shows its size
            else:
                k, linked = self.known(e, (False, False))
                found = (k[(-1, 0)], k[(-1, 1)], linked)
            self.inner_memo[e] = found
        return self.inner_memo[e]

    def mark(self, e: Expr, given: tuple[bool, bool]) -> Expr:
        key = (e, *given)
        if e not in self.holders:
            return e
        if key in self.mark_memo:
            return self.mark_memo[key]
        if isinstance(e, Identity):
            out: Expr = Sized(e) if not (given[0] or given[1]) else e
        elif isinstance(e, Ones):
            out = Sized(e) if any(not g and d is not ONE for g, d in zip(given, (e.rows, e.cols))) else e
        elif isinstance(e, Zero):
            out = e if e.is_scalar else Sized(e)
        elif not e.children:
            out = e
        else:
            k, _ = self.known(e, given)
            chain = isinstance(e, MatMul) and sum(not f.is_scalar for f in e.factors) > 1
            children = []
            for i, c in enumerate(e.children):
                marked = self.mark(c, (k[(i, 0)], k[(i, 1)]))
                if chain and _ones_matrix(c):
                    marked = _sized_ones(marked)
                children.append(marked)
            new = tuple(children)
            out = e if all(a is b for a, b in zip(new, e.children)) else e.with_children(new)
        self.mark_memo[key] = out
        return out


def _sized_ones(e: Expr) -> Expr:
    if isinstance(e, Transpose):
        return e if isinstance(e.arg, Sized) else Transpose(Sized(e.arg))
    return e if isinstance(e, Sized) else Sized(e)


def with_sizes(e: Expr) -> Expr:
    """`e` with each identity, all-ones or zero array whose size its text would not fix
    replaced by a `Sized` leaf."""
    return _Sizes(e).mark(e, (False, False))


def is_ones(e: Expr) -> bool:
    """𝟙, sized or not."""
    return isinstance(e, Ones) or (isinstance(e, Sized) and isinstance(e.of, Ones))

