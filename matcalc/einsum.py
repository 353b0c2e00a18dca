"""Evaluation of index notation by numpy.einsum.

Each term of a tensor's body is one einsum over the values of its entries' matrices; a
Kronecker delta between two free indices is not built as an array: the term is computed
with the two indices merged and added into the diagonal view of the result that they
select.  So nothing larger than the result (or the entries' own matrices) is allocated.
"""

from __future__ import annotations

import string
from fractions import Fraction
from typing import Any, Collection, Mapping

import numpy as np

from .errors import EvaluationError
from .evaluate import _size, bind_dimensions, evaluate_internal
from .expr import ONE, Expr, Var
from .indexed import Delta, Entry, Tensor, contract, expand


def evaluate_tensor(t: Tensor, arrays: Mapping[str, Any], variables: Mapping[str, Var],
                    required: Collection[str] | None = None) -> np.ndarray:
    """The S + V array of `t` for the given arrays (as `evaluate.evaluate`)."""
    values, sizes = bind_dimensions(variables, arrays, required)
    shape = tuple(_size(d, sizes) for d in t.dims)
    out = np.zeros(shape)
    memo: dict[Expr, np.ndarray] = {}

    def value(e: Expr) -> np.ndarray:
        if e not in memo:
            memo[e] = evaluate_internal(e, values, sizes)
        return memo[e]

    free = t.indices
    with np.errstate(all="ignore"):
        for coefficient, factors in expand(t.body):
            coefficient, factors = contract(coefficient, factors, free)
            if coefficient != 0:
                _add_term(out, coefficient, factors, free, value)
    return out


def _add_term(out: np.ndarray, coefficient: Fraction, factors: tuple[Expr, ...],
              free: tuple[str, ...], value) -> None:
    # Deltas left after contraction join free indices: merge each pair into one.
    parent = {i: i for i in free}

    def find(i: str) -> str:
        while parent[i] != i:
            i = parent[i]
        return i

    scale = float(coefficient)
    operands: list[np.ndarray] = []
    subscripts: list[list[str]] = []
    for f in factors:
        if isinstance(f, Delta):
            a, b = find(f.i), find(f.j)
            if a != b:
                parent[max(a, b, key=free.index)] = min(a, b, key=free.index)
            continue
        if isinstance(f, Entry):
            v = value(f.arg)
            operands.append(v.reshape(tuple(n for n, d in zip(v.shape, (f.arg.rows, f.arg.cols))
                                            if d is not ONE)))
            subscripts.append(list(f.indices))
            continue
        scale *= float(value(f)[0, 0])
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
    view = np.einsum(f"{target}->{reps}", out) if target != reps else out
    spec = ",".join("".join(letter(i) for i in s) for s in subscripts)
    present = "".join(ch for ch in reps if ch in spec)
    if operands:
        term = np.einsum(f"{spec}->{present}", *operands, optimize=len(operands) > 1)
    else:
        term = np.array(1.0)
    # Free indices no factor mentions broadcast (the term is constant along them).
    term = term.reshape(tuple(view.shape[reps.index(ch)] if ch in present else 1 for ch in reps))
    view += scale * term
