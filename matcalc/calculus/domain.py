"""Parts of an expression that are undefined everywhere: 1/(a − a), log(X − X).

Their derivative would hide it: the terms through such a part cancel (d(a − a) = 0), and
the derivative comes out as 0 where the function has no value at all.  So the calculus
refuses them before deriving, naming the part.
"""

from __future__ import annotations

import functools

import numpy as np

from ..algebra import is_zero
from ..errors import UndefinedValueError
from ..expr import Apply, Const, Expr, HPow, Inverse, LogDet, MatPow
from ..functions import ELEMENTWISE
from ..printing import to_text
from ..simplifier import simplify


def check_defined(f: Expr) -> None:
    """Refuse f when a part of it divides by, inverts, or takes the log or log-determinant
    of something identically zero (as far as simplification sees: a − a, 0x, X − X)."""
    memo: dict[Expr, Expr] = {}  # one simplification of each subtree, for all the checks
    for node in f.walk():
        if len(node.children) != 1 or not _undefined_at_zero(node):
            continue
        (arg,) = node.children
        zero = simplify(arg, memo=memo)
        if is_zero(zero) or (isinstance(zero, MatPow) and is_zero(zero.arg)):
            why = "" if isinstance(arg, Const) else f": {to_text(arg)} is identically 0"
            raise UndefinedValueError(f"{to_text(node)} is undefined everywhere{why}, so neither it "
                                      "nor its derivative has a value")


def _undefined_at_zero(node: Expr) -> bool:
    """Whether `node` has no value when its argument is 0: a division by it (a negative
    power), its inverse or log-determinant, or an elementwise function that is not finite
    at 0 (log; read off the function's own NumPy column, so new functions need no entry)."""
    if isinstance(node, HPow):
        return node.p < 0
    if isinstance(node, Apply):
        return _infinite_at_zero(node.fn)
    return isinstance(node, (Inverse, LogDet))


@functools.cache
def _infinite_at_zero(fn: str) -> bool:
    with np.errstate(all="ignore"):
        return not np.isfinite(ELEMENTWISE[fn].numpy(np.zeros(1))).all()
