"""Evaluation of index notation by numpy.einsum.

Each term of a tensor's body is one einsum over the values of its entries' matrices; a
Kronecker delta between two free indices is not built as an array: the term is computed
with the two indices merged and added into the diagonal view of the result that they
select.  So nothing larger than the result (or the entries' own matrices) is allocated.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from collections.abc import Collection, Mapping

import numpy as np

from .errors import EvaluationError, UndefinedValueError
from .evaluate import _size, all_finite, as_float, bind_dimensions, evaluate_internal
from .expr import ONE, Expr, Var
from .indexed import Delta, Entry, Tensor, contract, expand


@dataclass(frozen=True)
class TermPlan:
    """One term of a tensor as one einsum: `coefficient · Π scalars · einsum(spec → present)`
    added into the view `target → reps` of the result (deltas between free indices merge
    them: the view is a diagonal of the result, never a delta array)."""
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


def evaluate_tensor(t: Tensor, arrays: Mapping[str, Any], variables: Mapping[str, Var],
                    required: Collection[str] | None = None) -> np.ndarray:
    """The S + V array of `t` for the given arrays (as `evaluate.evaluate`)."""
    values, sizes = bind_dimensions(variables, arrays, required)
    out = np.zeros(tuple(_size(d, sizes) for d in t.dims))
    memo: dict[Expr, np.ndarray] = {}

    def value(e: Expr) -> np.ndarray:
        if e not in memo:
            memo[e] = evaluate_internal(e, values, sizes)
        return memo[e]

    with np.errstate(all="ignore"):
        for plan in plans(t):
            scale = as_float(plan.coefficient)
            for f in plan.scalars:
                scale *= float(value(f)[0, 0])
            operands = [_drop_ones(value(e), e) for e in plan.entries]
            view = np.einsum(f"{plan.target}->{plan.reps}", out) if plan.target != plan.reps else out
            term = (np.einsum(f"{plan.spec}->{plan.present}", *operands, optimize=len(operands) > 1)
                    if operands else np.array(1.0))
            # Free indices no factor mentions broadcast (the term is constant along them).
            term = term.reshape(tuple(view.shape[plan.reps.index(ch)] if ch in plan.present else 1
                                      for ch in plan.reps))
            view += scale * term
    if not all_finite(out):  # each part was finite: a coefficient or a sum of terms overflowed
        raise UndefinedValueError("overflow: the derivative's value exceeds the float64 range")
    return out


def _drop_ones(v: np.ndarray, e: Expr) -> np.ndarray:
    """A vector's value as a 1-D array (values are 2-D internally)."""
    return v.reshape(tuple(n for n, d in zip(v.shape, (e.rows, e.cols)) if d is not ONE))
