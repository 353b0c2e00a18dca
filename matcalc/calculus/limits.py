"""The bounds on a derivative's size (docs/limits.md), each checked before the work it bounds.

A derivative is a DAG: ((X²)²)² … shares each level's gradient between two terms, so
written out it doubles per level, and index notation writes every term out.  The sizes
are counted on the shared graph (cheap) and refused with a LimitError before the terms
are written, printed or simplified.
"""

from __future__ import annotations

from ..errors import LimitError
from ..expr import Expr

# Beyond this many nodes written out a derivative is refused (printing a million nodes
# takes seconds; forty squarings would take days).
MAX_WRITTEN_NODES = 1_000_000

# Index notation writes each term of a derivative as its own product of entries; beyond
# this many factors over all the terms of one step (measured: about 3 s at the limit,
# most of it collecting like terms) the step is refused before any term is written.
MAX_INDEX_FACTORS = 100_000


def check_written(e: Expr) -> None:
    """Refuse an expression (a derivative, or a body in index notation) that is too large to
    write out."""
    if e.written > MAX_WRITTEN_NODES:
        raise LimitError(
            f"the derivative written out would have more than {MAX_WRITTEN_NODES:,} nodes "
            "(nested powers, inverses or products repeat a subexpression at every level); "
            "derive an inner part and substitute")


def check_index_factors(factors: int) -> None:
    """Refuse a step in index notation whose terms would hold too many factors in all."""
    if factors > MAX_INDEX_FACTORS:
        raise LimitError(
            f"the derivative in index notation would have about {_rounded(factors)} factors in its "
            f"terms (at most {MAX_INDEX_FACTORS:,} are written; nested powers, products and "
            "functions multiply the terms at every level); derive an inner part and substitute")


def _rounded(n: int) -> str:
    """A large count for a message: 123,456 or 1.2e+40."""
    return f"{n:,}" if n < 10**9 else f"{n:.1e}"
