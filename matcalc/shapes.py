"""Dimensions: declared shapes, the naming convention, and unification.

Undeclared names follow matrixcalculus.org's convention: a–g scalars, h–z vectors, A–Z
matrices; lowercase Greek vectors except the conventionally scalar α β γ η λ μ ε.
Unknown dimensions are unification variables; `Xw` unifies cols(X) with len(w).
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Mapping, Sequence

from .errors import ShapeError
from .expr import ONE, Dim

SCALAR_GREEK = set("αβγηλμεσ")  # σ: a name wherever it is not the sigmoid σ(…)


def conventional_rank(name: str) -> int | None:
    """0, 1 or 2 by the naming convention, from the first letter; None for no letter."""
    first = name[:1]
    if not first:
        return None
    if "a" <= first <= "g":
        return 0
    if "h" <= first <= "z":
        return 1
    if "A" <= first <= "Z":
        return 2
    if first in SCALAR_GREEK:
        return 0
    if "α" <= first <= "ω":
        return 1
    if "Α" <= first <= "Ω":
        return 2
    return None


@dataclass(frozen=True, slots=True)
class DimVar:
    """An unknown dimension.  `may_be_one`: it may turn out to be an absent axis (for 𝟙)."""

    id: int
    may_be_one: bool = False


Term = Dim | DimVar


def declared_dims(name: str, dims: Sequence[object]) -> tuple[Dim, Dim]:
    """A user's shape tuple as (rows, cols): () scalar, (n,) vector, (m, n) matrix."""
    if isinstance(dims, (str, int)):
        dims = (dims,)
    try:
        items = tuple(dims)
    except TypeError:
        raise ShapeError(f"the shape of {name} must be a tuple of dimensions, got {dims!r}") from None
    checked: list[Dim] = []
    for d in items:
        if isinstance(d, bool) or not isinstance(d, (str, int)):
            raise ShapeError(f"dimension {d!r} of {name} must be a name (str) or a positive int")
        if isinstance(d, int) and d < 1:
            raise ShapeError(f"dimension {d} of {name} must be positive")
        if isinstance(d, str) and not (d.isidentifier() or d.isalnum()):
            raise ShapeError(f"dimension {d!r} of {name} must be a plain name like 'n' or 'm1'")
        checked.append(d)
    if len(checked) == 0:
        return ONE, ONE
    if len(checked) == 1:
        return checked[0], ONE
    if len(checked) == 2:
        return checked[0], checked[1]
    raise ShapeError(f"{name} has {len(checked)} dimensions; matcalc variables have at most 2")


class Unifier:
    """Union–find over dimensions.  Declared names and integers are rigid: `n` never
    unifies with `m` or with 3; a DimVar binds to anything (to ONE only if may_be_one)."""

    def __init__(self) -> None:
        self._parent: dict[DimVar, Term] = {}
        self._count = 0

    def fresh(self, may_be_one: bool = False) -> DimVar:
        self._count += 1
        return DimVar(self._count, may_be_one)

    def find(self, t: Term) -> Term:
        while isinstance(t, DimVar) and t in self._parent:
            t = self._parent[t]
        return t

    def unify(self, a: Term, b: Term) -> bool:
        a, b = self.find(a), self.find(b)
        if a == b and type(a) is type(b):
            return True
        if isinstance(a, DimVar) and isinstance(b, DimVar):
            # The root keeps the stricter constraint (a proper dimension, not maybe-absent).
            if a.may_be_one and not b.may_be_one:
                self._parent[a] = b
            else:
                self._parent[b] = a
            return True
        if isinstance(b, DimVar):
            a, b = b, a
        if isinstance(a, DimVar):
            if b is ONE and not a.may_be_one:
                return False
            self._parent[a] = b
            return True
        return False

    def resolve(self, t: Term, names: dict[DimVar, Dim], taken: set[str]) -> Dim:
        """The final dimension: bound value, else ONE for a free 𝟙 axis, else a new name."""
        t = self.find(t)
        if not isinstance(t, DimVar):
            return t
        if t.may_be_one:
            return ONE
        if t not in names:
            # The first free name of m n p q r s k l m1 n1 …: the ones before position
            # len(names) are all given out or taken already (so 10,000 of them cost no scan).
            i = len(names)
            while _dim_name(i) in taken:
                i += 1
            names[t] = _dim_name(i)
            taken.add(names[t])  # type: ignore[arg-type]
        return names[t]


def _dim_name(i: int) -> str:
    base = "mnpqrskl"
    return base[i % len(base)] + (str(i // len(base)) if i >= len(base) else "")


def normalize_shapes(shapes: Mapping[str, object] | None,
                     canonical: Callable[[str], str]) -> dict[str, tuple[Dim, Dim]]:
    """Declared shapes keyed by canonical name."""
    if shapes is None:
        return {}
    if not isinstance(shapes, Mapping):
        raise ShapeError(f"shapes must be a dict of name → tuple, got {type(shapes).__name__}")
    out: dict[str, tuple[Dim, Dim]] = {}
    for name, dims in shapes.items():
        if not isinstance(name, str) or not name:
            raise ShapeError(f"shape keys must be names, got {name!r}")
        out[canonical(name)] = declared_dims(name, dims)  # type: ignore[arg-type]
    return out
