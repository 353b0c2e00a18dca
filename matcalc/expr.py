"""Immutable expression nodes.

Every value is a (rows, cols) array.  An absent axis is the dimension `ONE`, so a vector
is (n, ONE), a row vector (ONE, n) and a scalar (ONE, ONE); a declared dimension 1 stays
the integer 1 and keeps its axis.  This makes products uniform (xᵀAy is (ONE,n)(n,m)(m,ONE))
while evaluation can still return 1-D arrays for vectors.

Nodes are frozen, slotted dataclasses with tuple children; equal trees compare and hash
equal (the hash is computed once, at construction), so a tree can be used as a DAG by
keying dictionaries on its nodes.  Constructors only check shapes: rewriting lives in
`algebra.py` and `simplifier.py`.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field, fields
from fractions import Fraction
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Protocol, cast, final

from .errors import UnsupportedError


@final
class _One:
    """The dimension of an absent axis (the 1 of a column vector n×1)."""

    _instance: ClassVar[_One | None] = None
    __slots__ = ()

    def __new__(cls) -> _One:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ONE"

    def __reduce__(self) -> str:
        return "ONE"


ONE = _One()
Dim = str | int | _One

# Exact numbers stop at about 10^3000 (numerator and denominator): beyond it arithmetic
# slows down without bound, and Python refuses to print integers of more than 4300 digits.
EXACT_BITS = 10_000


def check_exact(value: Fraction, what: str = "number") -> None:
    if abs(value.numerator).bit_length() > EXACT_BITS or value.denominator.bit_length() > EXACT_BITS:
        raise UnsupportedError(f"a {what} of more than 3,000 digits arises from the numbers in the "
                               "expression; matcalc keeps numbers exact only up to that size")


def exact_power(base: Fraction, k: Fraction) -> Fraction | None:
    """base^k as an exact number, or None when it is not one (0^−1, 2^½) or would pass
    the exact-number bound (2^99999999999999999999 stays a power)."""
    if k.denominator != 1 or (base == 0 and k <= 0):
        return None
    if base == 0:
        return base
    if base in (1, -1):
        return base ** (int(k) % 2)
    size = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
    if size * abs(k) > EXACT_BITS:
        return None
    return base ** int(k)


def shape_text(rows: object, cols: object, name: Callable[[Any], str] = str) -> str:
    """`m×n` for a matrix, `n` for a vector, `1×n` for a row vector, `scalar`; `name`
    writes one dimension."""
    if rows is ONE and cols is ONE:
        return "scalar"
    if cols is ONE:
        return name(rows)
    if rows is ONE:
        return f"1×{name(cols)}"
    return f"{name(rows)}×{name(cols)}"


def external_shape(rows: Dim, cols: Dim) -> tuple[str | int, ...]:
    """The user-facing shape: absent axes dropped (vectors and row vectors are 1-D)."""
    return tuple(d for d in (rows, cols) if d is not ONE)  # type: ignore[misc]


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """The constructor fields of a node class (its operands and parameters)."""
    return tuple(f.name for f in fields(cls) if f.init)


def _written_and_held(children: tuple[Expr, ...]) -> tuple[int, bool]:
    """1 + the children's written sizes, and whether a differential is among them (one
    loop, not sum() and any() of generators: this runs for every node built)."""
    written, held = 1, False
    for c in children:
        written += c.written
        held = held or c.has_differential
    return written, held


@functools.cache
def _field_reader(cls: type) -> Callable[[Expr], tuple[Any, ...]]:
    """A reader of the constructor fields of a node class, as one tuple: every node built
    reads them, and one attrgetter is several times faster than a getattr per field."""
    names = _field_names(cls)
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda node: (get(node),)
    return operator.attrgetter(*names) if names else (lambda node: ())


class InternalShapeError(AssertionError):
    """A rule built an ill-shaped node: a bug in matcalc, never a user error."""


def _need(condition: bool, node: str, *operands: Expr) -> None:
    if not condition:
        shapes = ", ".join(shape_text(o.rows, o.cols) for o in operands)
        raise InternalShapeError(f"{node} of operands with shapes {shapes}")


@dataclass(frozen=True, slots=True, eq=False)
class Expr:
    rows: Dim = field(init=False, repr=False)
    cols: Dim = field(init=False, repr=False)
    _hash: int = field(init=False, repr=False)
    # Derived at construction, like the shape: the child nodes, whether a differential dA
    # occurs inside, and the nodes of the tree written out, a shared subtree counted at
    # each use (a derivative is a DAG that can double per level: calculus/ bounds it).
    children: tuple[Expr, ...] = field(init=False, repr=False)
    has_differential: bool = field(init=False, repr=False)
    written: int = field(init=False, repr=False)
    _key: tuple[object, ...] = field(init=False, repr=False)  # the constructor fields, for equality
    _is_differential: ClassVar[bool] = False

    # -- structure ---------------------------------------------------------------
    def _values(self) -> tuple[object, ...]:
        return self._key

    def _finish(self, rows: Dim, cols: Dim) -> None:
        cls: type = type(self)  # (as a plain type: Expr's __hash__ is for instances)
        values = _field_reader(cls)(self)
        if len(values) == 1 and isinstance(values[0], Expr):  # the common unary case
            children: tuple[Expr, ...] = values
        else:
            found: list[Expr] = []
            for value in values:
                if isinstance(value, Expr):
                    found.append(value)
                elif isinstance(value, tuple) and value and isinstance(value[0], Expr):
                    found.extend(value)
            children = tuple(found)
        written, held = _written_and_held(children)
        self._store(rows, cols, children, values, self._is_differential or held, written)

    # The node classes below know their fields: they hand their children and constructor
    # fields (`key`, exactly what _finish would read) to these instead of having _finish
    # find them by inspecting every field of every node built.
    def _finish_leaf(self, rows: Dim, cols: Dim, key: tuple[object, ...]) -> None:
        self._store(rows, cols, (), key, self._is_differential, 1)

    def _finish_unary(self, rows: Dim, cols: Dim, arg: Expr) -> None:
        children = (arg,)
        self._store(rows, cols, children, children, self._is_differential or arg.has_differential,
                    1 + arg.written)

    def _finish_nary(self, rows: Dim, cols: Dim, operands: tuple[Expr, ...]) -> None:
        written, held = _written_and_held(operands)
        self._store(rows, cols, operands, (operands,), self._is_differential or held, written)

    def _store(self, rows: Dim, cols: Dim, children: tuple[Expr, ...], key: tuple[object, ...],
               held: bool, written: int) -> None:
        """The derived fields of a frozen node, set once at construction."""
        _set_rows(self, rows)
        _set_cols(self, cols)
        _set_children(self, children)
        _set_key(self, key)
        _set_hash(self, hash((type(self).__name__, key)))
        _set_has_differential(self, held)
        _set_written(self, written)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            type(self) is type(other)
            and self._hash == other._hash
            and self._key == other._key
        )

    def with_children(self, children: tuple[Expr, ...]) -> Expr:
        """The same operation applied to new children (in `children` order)."""
        it = iter(children)
        args: list[object] = []
        for value in self._values():
            if isinstance(value, Expr):
                args.append(next(it))
            elif isinstance(value, tuple) and value and isinstance(value[0], Expr):
                args.append(tuple(next(it) for _ in value))
            else:
                args.append(value)
        return type(self)(*args)

    # -- shape ----------------------------------------------------------------
    @property
    def is_scalar(self) -> bool:
        return self.rows is ONE and self.cols is ONE

    @property
    def is_square(self) -> bool:
        return self.rows == self.cols and self.rows is not ONE

    @property
    def shape(self) -> tuple[str | int, ...]:
        return external_shape(self.rows, self.cols)

    def walk(self) -> Iterator[Expr]:
        """Every distinct subtree once, children before parents (iterative: deep trees are fine)."""
        seen: set[Expr] = set()
        stack: list[tuple[Expr, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                yield node
                continue
            if node in seen:
                continue
            seen.add(node)
            if not node.children:  # a leaf: it would be popped right back
                yield node
                continue
            stack.append((node, True))
            for c in reversed(node.children):
                if c not in seen:
                    stack.append((c, False))


def _slot_setter(name: str) -> Callable[[Expr, object], None]:
    """The setter of one of Expr's slots.  The derived fields are written through it: a
    frozen dataclass refuses plain assignment, and the slot's own setter is about twice as
    fast as object.__setattr__ (every node built writes seven)."""
    return cast(Callable[[Expr, object], None], vars(Expr)[name].__set__)


_set_rows, _set_cols, _set_children, _set_key, _set_hash, _set_has_differential, _set_written = (
    _slot_setter(name)
    for name in ("rows", "cols", "children", "_key", "_hash", "has_differential", "written"))


# -- leaves --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class Var(Expr):
    name: str
    dims: tuple[Dim, Dim]

    def __post_init__(self) -> None:
        self._finish_leaf(*self.dims, (self.name, self.dims))


@dataclass(frozen=True, slots=True, eq=False)
class Const(Expr):
    """An exact scalar number."""

    value: Fraction

    def __post_init__(self) -> None:
        check_exact(self.value)
        self._finish_leaf(ONE, ONE, (self.value,))


@dataclass(frozen=True, slots=True, eq=False)
class Pi(Expr):
    """The number π: a scalar constant that is no exact number (d erf(x) = 2/√π exp(−x²) dx)."""

    def __post_init__(self) -> None:
        self._finish_leaf(ONE, ONE, ())


@dataclass(frozen=True, slots=True, eq=False)
class Identity(Expr):
    n: Dim

    def __post_init__(self) -> None:
        self._finish_leaf(self.n, self.n, (self.n,))


@dataclass(frozen=True, slots=True, eq=False)
class Ones(Expr):
    """𝟙: all entries one; s·𝟙 is how a scalar is broadcast to a shape."""

    dims: tuple[Dim, Dim]

    def __post_init__(self) -> None:
        self._finish_leaf(*self.dims, (self.dims,))


@dataclass(frozen=True, slots=True, eq=False)
class Zero(Expr):
    dims: tuple[Dim, Dim]

    def __post_init__(self) -> None:
        self._finish_leaf(*self.dims, (self.dims,))


# -- products and sums ------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class MatMul(Expr):
    """A product; scalar factors scale, the others chain as matrix products."""

    factors: tuple[Expr, ...]

    def __post_init__(self) -> None:
        factors = self.factors
        _need(len(factors) >= 2, "product of fewer than two factors", *factors)
        # One pass over the matrix chain (the non-scalar factors): adjacent ones must agree.
        first: Expr | None = None
        last: Expr | None = None
        for f in factors:
            if f.rows is ONE and f.cols is ONE:
                continue
            if last is None:
                first = f
            elif last.cols != f.rows:
                _need(False, "product", last, f)
            last = f
        self._finish_nary(ONE if first is None else first.rows, ONE if last is None else last.cols, factors)


@dataclass(frozen=True, slots=True, eq=False)
class Add(Expr):
    terms: tuple[Expr, ...]

    def __post_init__(self) -> None:
        first = self.terms[0]
        rows, cols = first.rows, first.cols
        for t in self.terms:
            if t.rows != rows or t.cols != cols:
                _need(False, "sum", first, t)
        self._finish_nary(rows, cols, self.terms)


@dataclass(frozen=True, slots=True, eq=False)
class Hadamard(Expr):
    """Elementwise product of equally shaped operands."""

    factors: tuple[Expr, ...]

    def __post_init__(self) -> None:
        first = self.factors[0]
        rows, cols = first.rows, first.cols
        for f in self.factors:
            if f.rows != rows or f.cols != cols:
                _need(False, "elementwise product", first, f)
        self._finish_nary(rows, cols, self.factors)


# -- unary structure ------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class Transpose(Expr):
    arg: Expr

    def __post_init__(self) -> None:
        self._finish_unary(self.arg.cols, self.arg.rows, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class Inverse(Expr):
    arg: Expr

    def __post_init__(self) -> None:
        _need(self.arg.is_square or self.arg.is_scalar, "inverse", self.arg)
        self._finish_unary(self.arg.rows, self.arg.cols, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class MatPow(Expr):
    """Integer power k ≥ 2 of a square matrix."""

    arg: Expr
    k: int

    def __post_init__(self) -> None:
        _need(self.arg.is_square and self.k >= 2, "matrix power", self.arg)
        self._finish(self.arg.rows, self.arg.cols)


@dataclass(frozen=True, slots=True, eq=False)
class HPow(Expr):
    """Elementwise power a.^p (for a scalar, the ordinary power)."""

    arg: Expr
    p: Fraction

    def __post_init__(self) -> None:
        check_exact(self.p, "power")
        self._finish(self.arg.rows, self.arg.cols)


@dataclass(frozen=True, slots=True, eq=False)
class Pow(Expr):
    """base.^exponent entry by entry, the exponent an expression (a^b, x.^y, 2.^x): equal
    shapes, or a scalar on either side spread over the other's shape.  (A number exponent
    is an HPow.)"""

    base: Expr
    exponent: Expr

    def __post_init__(self) -> None:
        b, e = self.base, self.exponent
        _need(b.is_scalar or e.is_scalar or (b.rows == e.rows and b.cols == e.cols), "power", b, e)
        shaped = e if b.is_scalar else b
        self._finish(shaped.rows, shaped.cols)


@dataclass(frozen=True, slots=True, eq=False)
class Apply(Expr):
    """An elementwise function from `functions.ELEMENTWISE`."""

    fn: str
    arg: Expr

    def __post_init__(self) -> None:
        self._finish(self.arg.rows, self.arg.cols)


# -- reductions and structural functions ------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class Trace(Expr):
    arg: Expr

    def __post_init__(self) -> None:
        _need(self.arg.is_square or self.arg.is_scalar, "trace", self.arg)
        self._finish_unary(ONE, ONE, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class Det(Expr):
    arg: Expr

    def __post_init__(self) -> None:
        _need(self.arg.is_square or self.arg.is_scalar, "determinant", self.arg)
        self._finish_unary(ONE, ONE, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class LogDet(Expr):
    arg: Expr

    def __post_init__(self) -> None:
        _need(self.arg.is_square or self.arg.is_scalar, "log-determinant", self.arg)
        self._finish_unary(ONE, ONE, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class Sum(Expr):
    """Sum of all entries."""

    arg: Expr

    def __post_init__(self) -> None:
        self._finish_unary(ONE, ONE, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class Norm1(Expr):
    """Sum of absolute values of all entries."""

    arg: Expr

    def __post_init__(self) -> None:
        self._finish_unary(ONE, ONE, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class Norm2(Expr):
    """Euclidean norm of a vector, Frobenius norm of a matrix."""

    arg: Expr

    def __post_init__(self) -> None:
        self._finish_unary(ONE, ONE, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class DiagMat(Expr):
    """diag(v): the square matrix with v on its diagonal."""

    arg: Expr

    def __post_init__(self) -> None:
        _need(self.arg.cols is ONE and self.arg.rows is not ONE, "diag of a vector", self.arg)
        self._finish_unary(self.arg.rows, self.arg.rows, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class DiagVec(Expr):
    """diag(X): the diagonal of a square matrix, as a vector."""

    arg: Expr

    def __post_init__(self) -> None:
        _need(self.arg.is_square, "diag of a square matrix", self.arg)
        self._finish_unary(self.arg.rows, ONE, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class Softmax(Expr):
    arg: Expr

    def __post_init__(self) -> None:
        _need(self.arg.cols is ONE, "softmax of a vector", self.arg)
        self._finish_unary(self.arg.rows, ONE, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class LogSumExp(Expr):
    arg: Expr

    def __post_init__(self) -> None:
        _need(self.arg.cols is ONE, "logsumexp of a vector", self.arg)
        self._finish_unary(ONE, ONE, self.arg)


@dataclass(frozen=True, slots=True, eq=False)
class Differential(Expr):
    """dA: the placeholder a linear differential is written in (reverse mode transposes it away)."""

    arg: Expr
    _is_differential: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self._finish_unary(self.arg.rows, self.arg.cols, self.arg)


# -- index notation (docs/tensors.md; the arrays built from these: index_notation.py) ---
@dataclass(frozen=True, slots=True, eq=False)
class Entry(Expr):
    """M[a,b]: one entry of M (one index for a vector, two for a matrix); a scalar."""

    arg: Expr
    indices: tuple[str, ...]

    def __post_init__(self) -> None:
        self._finish(ONE, ONE)


@dataclass(frozen=True, slots=True, eq=False)
class Delta(Expr):
    """δ[a,b], the Kronecker delta: 1 where the indices are equal, else 0; both range over `n`."""

    i: str
    j: str
    n: Dim

    def __post_init__(self) -> None:
        self._finish(ONE, ONE)


class Tree(Protocol):
    """Anything made of nodes: an expression, or an array in index notation (index_notation.py)."""

    def walk(self) -> Iterator[Expr]: ...


def free_vars(expr: Tree) -> dict[str, Var]:
    """The variables of `expr` by name, in order of first appearance."""
    return {n.name: n for n in expr.walk() if isinstance(n, Var)}


def substitute(expr: Expr, mapping: Mapping[Expr, Expr]) -> Expr:
    """`expr` with every occurrence of each key replaced by its value (same shapes)."""
    memo: dict[Expr, Expr] = {}
    for node in expr.walk():
        if node in mapping:
            memo[node] = mapping[node]
        else:
            children = tuple(memo[c] for c in node.children)
            memo[node] = node if children == node.children else node.with_children(children)
    return memo[expr]
