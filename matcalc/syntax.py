"""The untyped syntax tree the parser produces: what was written, where, before shapes.

The typing step (`typer.py`) turns it into expression nodes; keeping the two apart lets
the grammar change without touching the mathematics.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Pos:
    """1-based line and column of the first character of a piece of input."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Name:
    """A variable, or `I` (identity) when it is not declared.  `name` is canonical:
    subscripts normalised (`W₁`, `W_1`, `W1` → `W1`; `W_{ab}` → `W_ab`)."""

    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Number:
    value: Fraction
    pos: Pos


@dataclass(frozen=True, slots=True)
class Call:
    """A function applied to arguments; `func` is canonical (`σ` → `sigmoid`,
    `‖x‖` → `norm2`, `inv(X)` → `inv`)."""

    func: str
    args: tuple[Syntax, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Binary:
    """`op` is one of: matmul (juxtaposition, `*` or `@`), add, sub, hadamard (`.*`, `⊙`),
    hdiv (`./`), div (`/`), and in NumPy code times (`*`) and over (`/`): elementwise, or
    scaling where one side (the divisor, for over) is a scalar."""

    op: str
    left: Syntax
    right: Syntax
    pos: Pos


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Syntax
    pos: Pos


@dataclass(frozen=True, slots=True)
class Postfix:
    """`op` is one of: transpose (`ᵀ`, `'`, `^T`), power (`^k`, `²`; `^-1` is power -1),
    hpower (`.^k`).  `exponent` is a Fraction for the powers, None for transpose."""

    op: str
    operand: Syntax
    exponent: Fraction | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Indexed:
    """An entry `M[i,j]` (or the Kronecker delta `δ[i,j]`) inside an index form."""

    operand: Syntax
    indices: tuple[str, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class IndexForm:
    """`[i,j,k] ↦ body`: the array whose entry at the listed indices is the body."""

    indices: tuple[str, ...]
    body: Syntax
    pos: Pos


@dataclass(frozen=True, slots=True)
class Sized:
    """A constant written with its size: `kind` is "I" (the identity, one dimension),
    "𝟙" (all ones: a vector of one dimension, a matrix of two) or "0" (zeros, any number
    of dimensions: a printed derivative may have more than two); a dimension is a symbol or a number."""

    kind: str
    dims: tuple[str | int, ...]
    pos: Pos


Syntax = Name | Number | Call | Binary | Neg | Postfix | Indexed | IndexForm | Sized
