"""Typing: the parser's syntax tree → expression nodes with checked, unified shapes.

Two passes: the first infers a shape (two dimension terms) for every syntax node and
unifies dimensions, reporting clashes with the operands' text and shapes; the second
builds the nodes with the resolved dimensions.  Nodes are built plainly (no rewriting
beyond flattening and folding numbers) so an input prints back as it was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from collections.abc import Callable, Mapping

from .errors import LimitError, ShapeError, UnsupportedError
from .expr import (
    ONE, Add, Apply, Const, Delta, Dim, Entry, Expr, Hadamard, HPow, Identity, Inverse, MatMul,
    MatPow, Ones, Pi, Pow, Transpose, Var, Zero, exact_power, free_vars, shape_text,
)
from .algebra import flatten_product
from .functions import (
    ANY_TO_SCALAR, DIAGONAL, ELEMENTWISE_SHAPE, FUNCTIONS, SQUARE_TO_SCALAR, SQUARE_TO_SQUARE,
    VECTOR_TO_SCALAR, VECTOR_TO_VECTOR, Elementwise,
)
from .shapes import DimVar, Term, Unifier, conventional_rank
from .syntax import Binary, Call, IndexForm, Indexed, Name, Neg, Number, Postfix, Sized, Syntax
from .index_notation import Tensor, delta_size, is_delta_name

Shape = tuple[Term, Term]
SCALAR: Shape = (ONE, ONE)
ONES_NAME = "𝟙"
IDENTITY_NAMES = ("I", "eye")
# vector(c), matrix(c) (matrixcalculus.org): every entry the scalar c, the size fixed by use.
FILLED = {"vector": 1, "matrix": 2}
PI_NAME = "π"  # the number π, reserved (as σ is for the sigmoid)
MAX_MATRIX_POWER = 64  # Xᵏ differentiates into k terms (docs/limits.md)
# I with a subscript is the identity of that size: I3 (I₃, I_3), I_n (I_{n}); Iₙ is lexed
# as a sized constant (parser.py).
SIZED_IDENTITY = re.compile(r"I(?:([0-9]+)|_([A-Za-z0-9]+))")


def identity_size(name: str) -> Dim | None:
    """The size written on the name of an identity (I3 → 3, I_n → "n"), else None."""
    m = SIZED_IDENTITY.fullmatch(name)
    if m is None:
        return None
    return int(m.group(1)) if m.group(1) else m.group(2)


def show(node: Syntax, limit: int = 40) -> str:
    """Short text of a syntax node, for messages."""
    text = _show(_start_of(node, limit))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _start_of(node: Syntax, limit: int) -> Syntax:
    """The first `limit` links of a long sum or product chain (each adds a character or
    more, so they fill the message): the chain may be thousands long."""
    spine = []
    while isinstance(node, Binary):
        spine.append(node)
        node = node.left
    return spine[-limit] if len(spine) > limit else spine[0] if spine else node


_OPS = {"matmul": "", "add": " + ", "sub": " − ", "hadamard": " ⊙ ", "hdiv": " ./ ", "div": "/",
        "times": " * ", "over": " / ", "power": "^", "hpower": ".^"}


def _show(n: Syntax) -> str:
    if isinstance(n, Name):
        return n.name
    if isinstance(n, Sized):
        return n.kind + "_{" + "×".join(map(str, n.dims)) + "}"
    if isinstance(n, Number):
        return str(n.value)
    if isinstance(n, Call):
        return f"{n.func}({', '.join(_show(a) for a in n.args)})"
    if isinstance(n, Neg):
        return f"−{_show(n.operand)}"
    if isinstance(n, Indexed):
        return f"{_show(n.operand)}[{','.join(n.indices)}]"
    if isinstance(n, IndexForm):
        return f"[{','.join(n.indices)}] ↦ {_show(n.body)}"
    if isinstance(n, Postfix):
        inner = _show(n.operand)
        inner = inner if isinstance(n.operand, (Name, Call)) else f"({inner})"
        suffix = {"transpose": "ᵀ", "power": f"^{n.exponent}", "hpower": f".^{n.exponent}"}[n.op]
        return inner + suffix
    left, right = _show(n.left), _show(n.right)
    if n.op == "matmul" and not isinstance(n.right, (Name, Call, Number)):
        right = f"({right})"
    return f"{left}{_OPS[n.op]}{right}"


@dataclass(frozen=True, slots=True)
class Use:
    """A use that gives an undeclared, conventionally scalar name a rank (docs/conventions.md):
    broadcast into a vector or matrix (`exact`: that rank and no other), or transposed (at
    least a vector).  `node` is where, for messages."""

    rank: int
    node: Syntax
    exact: bool

    def text(self, name: str) -> str:
        what = "a vector" if self.rank == 1 else "a matrix"
        how = "by its use in" if self.exact else "as it is transposed in"
        return f"{name} is {what} {how} {show(self.node)} (at line {self.node.pos.line}, column {self.node.pos.column})"


class Typing:
    """One typing of one syntax tree (holds that tree's unifier; not shared).  `uses` are
    the ranks earlier passes found for undeclared names; this pass collects more in `found`."""

    def __init__(self, declared: Mapping[str, tuple[Dim, Dim]], uses: Mapping[str, Use] | None = None) -> None:
        self.declared = declared
        self.uses: Mapping[str, Use] = uses or {}
        self.found: dict[str, Use] = {}
        self.contradicted = False  # the uses themselves clash: no further pass can help
        self.unifier = Unifier()
        self.shapes: dict[int, Shape] = {}
        self.var_shapes: dict[str, Shape] = {}
        self.hints: dict[DimVar, str] = {}
        self.index_dims: dict[str, Term] = {}  # the range of each index of an index form
        self.in_index_form = False
        self.sized_dims: set[str] = set()  # dimension symbols written on Iₙ, 𝟙ₙ, 0ₘₓₙ
        self.filled: list[tuple[Call, Shape]] = []  # vector(c), matrix(c) and their shapes

    # -- messages ---------------------------------------------------------------
    def dim_text(self, t: Term) -> str:
        t = self.unifier.find(t)
        if t is ONE:
            return "1"
        return self.hints.get(t, "?") if isinstance(t, DimVar) else str(t)

    def shape_text(self, s: Shape) -> str:
        return shape_text(self.unifier.find(s[0]), self.unifier.find(s[1]), self.dim_text)

    def fail(self, message: str, node: Syntax) -> ShapeError:
        return ShapeError(message, node.pos.line, node.pos.column)

    def operand(self, node: Syntax) -> str:
        return f"{show(node)} ({self.shape_text(self.shapes[id(node)])})"

    def is_scalar(self, s: Shape) -> bool:
        return all(self.unifier.find(x) is ONE for x in s)

    def unify(self, a: Term, b: Term) -> bool:
        return self.unifier.unify(a, b)

    # -- pass 1: shapes -----------------------------------------------------------
    def infer(self, node: Syntax) -> Shape:
        # A sum or product of thousands of terms is a left-leaning chain of Binary nodes:
        # walk down its left spine in a loop, not by recursion, then type it bottom-up.
        spine: list[Binary] = []
        while isinstance(node, Binary):
            spine.append(node)
            node = node.left
        shape = self.shapes[id(node)] = self._infer(node)
        for b in reversed(spine):
            shape = self.shapes[id(b)] = self._infer_binary(b)
        return shape

    def _name_shape(self, node: Name) -> Shape:
        name = node.name
        if name in self.var_shapes:
            return self.var_shapes[name]
        size = identity_size(name) if name not in self.declared else None
        if size is not None:
            return self._sized_shape("I", (size,))
        # Each I and 𝟙 has its own size, fixed by where it stands.
        if self._is_identity(name):
            n = self.unifier.fresh()
            self.hints[n] = f"size({name})"
            return (n, n)
        if name == ONES_NAME:
            return (self.unifier.fresh(True), self.unifier.fresh(True))
        if name == PI_NAME:
            if name in self.declared:
                raise UnsupportedError(f"π is the number π, not a variable: give the variable another "
                                       f"name (at line {node.pos.line}, column {node.pos.column})")
            return SCALAR
        if name in self.declared:
            shape: Shape = self.declared[name]
        else:
            rank = self.uses[name].rank if name in self.uses else conventional_rank(name)
            if rank is None:
                raise UnsupportedError(
                    f"cannot tell the shape of '{name}': declare it in shapes=", node.pos.line, node.pos.column)
            dims: list[Term] = []
            for axis in range(rank):
                v = self.unifier.fresh()
                self.hints[v] = f"len({name})" if rank == 1 else (f"rows({name})", f"cols({name})")[axis]
                dims.append(v)
            dims += [ONE] * (2 - rank)
            shape = (dims[0], dims[1])
        self.var_shapes[name] = shape
        return shape

    def _is_identity(self, name: str) -> bool:
        """I, or matrixcalculus.org's eye, where not declared as a variable."""
        return name in IDENTITY_NAMES and name not in self.declared

    def _sized_shape(self, kind: str, dims: tuple[Dim, ...]) -> Shape:
        """Iₙ is n×n, 𝟙ₙ and 0ₙ are vectors, 𝟙ₘₓₙ and 0ₘₓₙ matrices."""
        self.sized_dims.update(d for d in dims if isinstance(d, str))
        if kind == "I":
            return (dims[0], dims[0])
        return (dims[0], dims[1] if len(dims) > 1 else ONE)

    def _infer(self, node: Syntax) -> Shape:
        if isinstance(node, Name):
            return self._name_shape(node)
        if isinstance(node, Sized):
            if len(node.dims) > 2:
                raise self.fail(f"{show(node)}: a zero array of {len(node.dims)} dimensions "
                                "stands alone (it is the whole expression)", node)
            return self._sized_shape(node.kind, node.dims)
        if isinstance(node, Number):
            return SCALAR
        if isinstance(node, Neg):
            return self.infer(node.operand)
        if isinstance(node, Postfix):
            return self._infer_postfix(node)
        if isinstance(node, Call):
            return self._infer_call(node)
        if isinstance(node, (Indexed, IndexForm)):
            return self._infer_index(node)
        raise AssertionError(f"unknown syntax node {node!r}")  # Binary nodes are typed in infer()

    def _infer_index(self, node: Indexed | IndexForm) -> Shape:
        """An entry is a scalar whose indices range over its operand's axes (δ's over one
        range); an index form lists indices that its body must use."""
        if isinstance(node, IndexForm):
            if len(set(node.indices)) != len(node.indices):
                raise self.fail(f"an index is listed twice in [{','.join(node.indices)}]", node)
            self.in_index_form = True
            if not self.is_scalar(self.infer(node.body)):
                raise self.fail("the body of an index form must be a scalar: a sum of products "
                                "of entries such as A[i,k] B[l,j]", node)
            missing = [i for i in node.indices if i not in self.index_dims]
            if missing:
                raise self.fail(f"index {missing[0]} does not occur in the body, so its range is unknown", node)
            return SCALAR
        if not self.in_index_form:
            raise UnsupportedError("an entry M[i,j] is only valid in an index form such as "
                                   "[i,j] ↦ A[i,j]", node.pos.line, node.pos.column)
        operand = node.operand
        if isinstance(operand, Name) and is_delta_name(operand.name) and operand.name not in self.declared:
            if len(node.indices) != 2:
                raise self.fail("the Kronecker delta takes two indices, δ[i,j]", node)
            size = delta_size(operand.name)
            axes: list[Term] = [self.unifier.fresh() if size is None else size] * 2
        else:
            s = self.infer(operand)
            axes = [a for a in s if self.unifier.find(a) is not ONE]
            if len(axes) != len(node.indices):
                raise self.fail(f"{self.operand(operand)} takes {len(axes)} "
                                f"ind{'ex' if len(axes) == 1 else 'ices'}, got {len(node.indices)}", node)
        for index, axis in zip(node.indices, axes):
            known = self.index_dims.setdefault(index, axis)
            if not self.unify(known, axis):
                raise self.fail(f"index {index} ranges over {self.dim_text(known)} and "
                                f"{self.dim_text(axis)} at once", node)
        return SCALAR

    def could_be_scalar(self, s: Shape) -> bool:
        """Every axis is absent or may still be (the size of a 𝟙 is fixed by context)."""
        return all(self.unifier.find(x) is ONE or (
            isinstance(t := self.unifier.find(x), DimVar) and t.may_be_one) for x in s)

    def _settle(self, ls: Shape, rs: Shape, fits: bool) -> tuple[bool, bool]:
        """Scalar-ness of two operands; a 𝟙-made operand that only fits as a scalar becomes one."""
        lscalar, rscalar = self.is_scalar(ls), self.is_scalar(rs)
        if not (lscalar or rscalar or fits):
            for shape in (ls, rs):
                if self.could_be_scalar(shape):
                    for axis in shape:
                        self.unify(axis, ONE)
                    return self.is_scalar(ls), self.is_scalar(rs)
        return lscalar, rscalar

    def _ones_column(self, node: Syntax, other: Shape) -> None:
        """A bare 𝟙 multiplied by a vector or matrix is the all-ones column vector (𝟙ᵀ its
        transpose), sized by its neighbour: 𝟙ᵀy is the sum of y, A(𝟙ᵀy) a scaled A."""
        transposed = isinstance(node, Postfix) and node.op == "transpose"
        leaf = node.operand if transposed else node  # type: ignore[union-attr]
        if isinstance(leaf, Name) and leaf.name == ONES_NAME and not self.is_scalar(other):
            self.unify(self.shapes[id(node)][0 if transposed else 1], ONE)

    def _infer_binary(self, node: Binary) -> Shape:
        ls, rs = self.shapes[id(node.left)], self.infer(node.right)  # the left side is typed
        if node.op == "power":
            return self._infer_power(node, ls, rs)
        if node.op == "matmul":
            self._ones_column(node.left, rs)
            self._ones_column(node.right, ls)
            fits = self.unifier.find(ls[1]) == self.unifier.find(rs[0]) or isinstance(
                self.unifier.find(ls[1]), DimVar) or isinstance(self.unifier.find(rs[0]), DimVar)
            lscalar, rscalar = self._settle(ls, rs, fits)
        else:
            lscalar, rscalar = self._settle(ls, rs, True)
        if node.op == "matmul":
            if lscalar or rscalar:
                return rs if lscalar else ls
            if not self.unify(ls[1], rs[0]):
                raise self.fail(
                    f"cannot multiply {self.operand(node.left)} by {self.operand(node.right)}: "
                    f"{self.dim_text(ls[1])} ≠ {self.dim_text(rs[0])}", node)
            return (ls[0], rs[1])
        if node.op == "div" or (node.op == "over" and rscalar):
            if not rscalar:
                raise self.fail(
                    f"cannot divide {self.operand(node.left)} by {self.operand(node.right)}: "
                    "the divisor must be a scalar (use ./ to divide elementwise)", node)
            return ls
        if lscalar != rscalar and node.op not in ("times", "over"):  # NumPy's * and / scale
            self._no_broadcast(node, node.left if lscalar else node.right, rs if lscalar else ls)
        if lscalar or rscalar:  # a number or declared scalar broadcasts in + − ⊙ ./
            return rs if lscalar else ls
        verb = {"add": "add", "sub": "subtract", "hadamard": "multiply elementwise",
                "hdiv": "divide elementwise", "times": "multiply elementwise",
                "over": "divide elementwise", "hpower": "raise elementwise"}[node.op]
        joiner = {"sub": "from", "add": "and", "hpower": "to the power"}.get(node.op, "by")
        left, right = (node.right, node.left) if node.op == "sub" else (node.left, node.right)
        if not (self.unify(ls[0], rs[0]) and self.unify(ls[1], rs[1])):
            raise self.fail(f"cannot {verb} {self.operand(left)} {joiner} {self.operand(right)}: "
                            "shapes differ", node)
        return ls

    def _infer_power(self, node: Binary, ls: Shape, rs: Shape) -> Shape:
        """a^b with an expression exponent: both scalars.  Of a vector or matrix it is the
        elementwise power .^ (X^k, the matrix power, takes an integer number k)."""
        if not self.is_scalar(rs):
            raise self.fail(f"the exponent {self.operand(node.right)} of ^ is not a scalar: for "
                            f"an elementwise power write {show(node.left)}.^{show(node.right)}", node)
        if not self.is_scalar(ls):
            raise self.fail(f"{self.operand(node.left)} to the power {show(node.right)}: ^ with an "
                            f"expression exponent takes a scalar base; write {show(node.left)}.^"
                            f"{show(node.right)} for the elementwise power (a matrix power X^k takes "
                            "an integer number k)", node)
        return SCALAR

    # -- shapes by use --------------------------------------------------------------
    def promotable(self, name: str) -> bool:
        """An undeclared name that is a scalar only by the letter convention (so far)."""
        return (name not in self.declared and name not in self.uses and name not in (*IDENTITY_NAMES, ONES_NAME)
                and identity_size(name) is None and conventional_rank(name) == 0)

    def use(self, name: str, use: Use) -> None:
        """Record a use; two that want different ranks contradict each other."""
        known = self.found.get(name)
        if known is None or (use.exact and not known.exact):
            self.found[name] = use
        elif use.exact and known.rank != use.rank:
            self.contradicted = True
            raise ShapeError(f"{known.text(name)}, but {use.text(name)}: declare its shape "
                             f"in shapes=")

    def _no_broadcast(self, node: Binary, scalar: Syntax, other: Shape) -> None:
        """An undeclared name is not broadcast: where a scalar operand of + − ⊙ ./ is made
        of such names (directly, or through elementwise functions, negation, sums and
        numbers), they take the other operand's shape."""
        if self.could_be_scalar(other):
            return
        names = self._broadcast_names(scalar)
        if not names:
            return
        rows, cols = (self.unifier.find(x) for x in other)
        if rows is ONE:
            raise self.fail(
                f"{names[0]} would be broadcast into the row vector {self.operand(node.right if scalar is node.left else node.left)}, "
                f"and an undeclared name is not broadcast: write {names[0]}ᵀ for a vector "
                f"{names[0]}, or declare {names[0]} a scalar (shapes={{'{names[0]}': ()}})", node)
        rank = 1 if cols is ONE else 2
        for name in names:
            self.use(name, Use(rank, node, exact=True))

    def _broadcast_names(self, scalar: Syntax) -> list[str]:
        out: list[str] = []
        stack = [scalar]
        while stack:
            n = stack.pop()
            if isinstance(n, Name):
                if self.promotable(n.name) and n.name not in out:
                    out.append(n.name)
            elif isinstance(n, Neg) or (isinstance(n, Postfix) and n.op == "hpower"):
                stack.append(n.operand)
            elif isinstance(n, Call):
                row = FUNCTIONS.get(n.func)
                if row is not None and row.shape == ELEMENTWISE_SHAPE:
                    stack.extend(n.args)
            elif isinstance(n, Binary):
                if n.op in ("add", "sub", "hadamard", "hdiv", "hpower"):
                    stack += [n.right, n.left]
                elif n.op in ("div", "over"):
                    stack.append(n.left)
                elif n.op in ("matmul", "times") and isinstance(n.left, Number):  # 2b: scaling by a number
                    stack.append(n.right)
                elif n.op in ("matmul", "times") and isinstance(n.right, Number):
                    stack.append(n.left)
        return out

    def _require_square(self, node: Syntax, s: Shape, what: str) -> None:
        if self.is_scalar(s):
            return
        if self.unifier.find(s[0]) is ONE or self.unifier.find(s[1]) is ONE or not self.unify(s[0], s[1]):
            raise self.fail(f"{what} needs a square matrix; {self.operand(node)} is not square", node)

    def _infer_postfix(self, node: Postfix) -> Shape:
        s = self.infer(node.operand)
        if node.op == "transpose":
            if isinstance(node.operand, Name) and self.promotable(node.operand.name):
                self.use(node.operand.name, Use(1, node, exact=False))
            return (s[1], s[0])
        if node.op == "hpower":
            return s
        k = node.exponent
        assert k is not None
        if self.is_scalar(s):
            return s
        if k.denominator != 1:
            raise self.fail(f"{show(node.operand)}^{k}: a matrix power must be an integer "
                            "(use .^ for elementwise powers)", node)
        if k == 0:
            raise UnsupportedError("power 0 of a matrix: write I instead", node.pos.line, node.pos.column)
        self._require_square(node.operand, s, f"the power ^{k}" + (" (use .^ for elementwise powers)"
                                                                     if k != -1 else ""))
        if abs(k) > MAX_MATRIX_POWER:
            raise LimitError(f"matrix power {k} is too large (at most {MAX_MATRIX_POWER})",
                             node.pos.line, node.pos.column)
        # (X^a)^b is X^(ab), and its derivative as many terms: the limit holds for the product
        total, inner = abs(k), node.operand
        while isinstance(inner, Neg) or (isinstance(inner, Postfix) and inner.op != "hpower"):
            if isinstance(inner, Postfix) and inner.exponent is not None:
                total *= abs(inner.exponent)
            inner = inner.operand
        if total > MAX_MATRIX_POWER:
            raise LimitError(f"nested matrix powers {show(node)} make the power {total}, beyond the "
                             f"limit of {MAX_MATRIX_POWER}", node.pos.line, node.pos.column)
        return s

    def _infer_filled(self, node: Call) -> Shape:
        """vector(c) or matrix(c): c a scalar; the size is left to where it stands (build()
        refuses it where nothing fixes it)."""
        (arg,) = node.args
        if not self.is_scalar(self.infer(arg)):
            raise self.fail(f"{node.func}(c) fills an array with the scalar c; {self.operand(arg)} "
                            "is not a scalar", node)
        axes: list[Term] = []
        for axis in range(FILLED[node.func]):
            v = self.unifier.fresh()
            self.hints[v] = f"len({show(node)})" if node.func == "vector" else f"{('rows', 'cols')[axis]}({show(node)})"
            axes.append(v)
        shape: Shape = (axes[0], axes[1] if len(axes) > 1 else ONE)
        self.filled.append((node, shape))
        return shape

    def _check_filled_sizes(self) -> None:
        """Each vector(c), matrix(c) must be sized by a variable it meets (or a declared or
        written size): matcalc does not invent a dimension for it."""
        fixed = {self.unifier.find(d) for s in self.var_shapes.values() for d in s}
        for node, shape in self.filled:
            for axis in shape:
                root = self.unifier.find(axis)
                if isinstance(root, DimVar) and root not in fixed:
                    raise self.fail(f"nothing fixes the size of {show(node)}: use it where its "
                                    f"shape is known (as in x + {node.func}(1)), or write "
                                    f"{'𝟙ₙ' if node.func == 'vector' else '𝟙ₘₓₙ'} with its size", node)

    def _infer_call(self, node: Call) -> Shape:
        if node.func in FILLED:
            return self._infer_filled(node)
        row = FUNCTIONS.get(node.func)
        if row is None:  # the grammar names only registry functions (tests/test_functions.py)
            raise UnsupportedError(f"unknown function '{node.func}'", node.pos.line, node.pos.column)
        if len(node.args) != 1:
            raise UnsupportedError(f"{node.func} takes 1 argument, got {len(node.args)}",
                                   node.pos.line, node.pos.column)
        (arg,) = node.args
        s = self.infer(arg)
        f, rule = node.func, row.shape
        if rule == ELEMENTWISE_SHAPE:
            return s
        if rule in (SQUARE_TO_SCALAR, SQUARE_TO_SQUARE):
            self._require_square(arg, s, f)
            return s if rule == SQUARE_TO_SQUARE else SCALAR
        if rule in (VECTOR_TO_VECTOR, VECTOR_TO_SCALAR, DIAGONAL):
            r, c = (self.unifier.find(x) for x in s)
            if rule == DIAGONAL and r is not ONE and c is not ONE:
                self._require_square(arg, s, "diag of a matrix")
                return (s[0], ONE)
            if c is not ONE or r is ONE:
                raise self.fail(f"{f} needs a column vector; {self.operand(arg)} is not one", node)
            return (s[0], s[0]) if rule == DIAGONAL else (s[0], ONE) if rule == VECTOR_TO_VECTOR else SCALAR
        assert rule == ANY_TO_SCALAR, rule
        return SCALAR

    # -- pass 2: nodes ------------------------------------------------------------
    def build(self, node: Syntax) -> Expr:
        self._check_filled_sizes()
        names: dict[DimVar, Dim] = {}
        taken = {d for shape in self.declared.values() for d in shape if isinstance(d, str)}
        taken |= self.sized_dims
        resolved: dict[str, tuple[Dim, Dim]] = {}

        def dims(s: Shape) -> tuple[Dim, Dim]:
            return (self.unifier.resolve(s[0], names, taken), self.unifier.resolve(s[1], names, taken))

        # Variables first, in order of appearance, so their dimensions get the first names.
        for name, shape in self.var_shapes.items():
            resolved[name] = dims(shape)
        def index_dim(index: str) -> Dim:
            return self.unifier.resolve(self.index_dims[index], names, taken)

        builder = _Builder(dims, resolved, self.shapes, self.declared, index_dim)
        return builder.make(node)  # a Tensor for an index form (see make)


class _Builder:
    def __init__(self, dims: Callable[[Shape], tuple[Dim, Dim]], resolved: dict[str, tuple[Dim, Dim]],
                 shapes: dict[int, Shape], declared: Mapping[str, tuple[Dim, Dim]],
                 index_dim: Callable[[str], Dim]) -> None:
        self.dims, self.resolved, self.shapes, self.declared = dims, resolved, shapes, declared
        self.index_dim = index_dim
        # Equal subtrees made one node (this call only): the two Xw − y of (Xw − y)ᵀ(Xw − y)
        # and each variable's occurrences.  Everything downstream keys dictionaries on nodes,
        # and equal but distinct nodes cost a comparison of their whole trees at each lookup.
        self.shared: dict[Expr, Expr] = {}
        self.variables: dict[str, Var] = {}

    def shape_of(self, node: Syntax) -> tuple[Dim, Dim]:
        return self.dims(self.shapes[id(node)])

    def make(self, node: Syntax) -> Expr:
        spine: list[Binary] = []  # as in Typing.infer: long chains in a loop
        while isinstance(node, Binary):
            spine.append(node)
            node = node.left
        expr = self._make(node)
        terms: list[Expr] = []  # a sum being extended: its terms, made one Add node at the end
        for b in reversed(spine):
            right = self.make(b.right)
            if terms and b.op in ("add", "sub") and not (terms[0].is_scalar and not right.is_scalar):
                # as _binary does, without rebuilding an Add of all earlier terms at each +
                right = _broadcast(_signed(b.op, right), terms[0])
                terms.extend(right.terms if isinstance(right, Add) else (right,))
                continue
            if terms:
                expr, terms = Add(tuple(terms)), []
            expr = self._binary(b, expr, right)
            if isinstance(expr, Add) and b.op in ("add", "sub"):
                terms = list(expr.terms)
        made = Add(tuple(terms)) if terms else expr
        # (an index form's Tensor is no node: it is returned as it is)
        return self.shared.setdefault(made, made) if isinstance(made, Expr) else made

    def _make(self, node: Syntax) -> Expr:
        if isinstance(node, Sized):
            rows, cols = self.shape_of(node)
            kind = node.kind
            return Identity(rows) if kind == "I" else Ones((rows, cols)) if kind == ONES_NAME else Zero((rows, cols))
        if isinstance(node, Name):
            if identity_size(node.name) is not None and node.name not in self.declared:
                return Identity(self.shape_of(node)[0])
            if node.name == ONES_NAME:
                rows, cols = self.shape_of(node)
                return Const(Fraction(1)) if (rows, cols) == (ONE, ONE) else Ones((rows, cols))
            if node.name == PI_NAME:
                return Pi()
            if node.name in IDENTITY_NAMES and node.name not in self.declared:
                return Identity(self.shape_of(node)[0])
            var = self.variables.get(node.name)
            if var is None:
                var = self.variables[node.name] = Var(node.name, self.resolved[node.name])
            return var
        if isinstance(node, Number):
            return Const(node.value)
        if isinstance(node, Neg):
            inner = self.make(node.operand)
            if isinstance(inner, Const):
                return Const(-inner.value)
            return _product(Const(Fraction(-1)), inner)
        if isinstance(node, Postfix):
            return self._postfix(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, IndexForm):
            body = self.make(node.body)
            dims = tuple(self.index_dim(i) for i in node.indices)
            return Tensor(body, node.indices, dims, context(body, dims, self.declared))  # type: ignore[return-value]
        if isinstance(node, Indexed):
            name = node.operand.name if isinstance(node.operand, Name) else ""
            if is_delta_name(name) and name not in self.declared:
                return Delta(node.indices[0], node.indices[1], self.index_dim(node.indices[0]))
            return Entry(self.make(node.operand), node.indices)
        raise AssertionError(f"unknown syntax node {node!r}")  # Binary nodes are built in make()

    def _binary(self, node: Binary, left: Expr, right: Expr) -> Expr:
        op = node.op
        if isinstance(left, Const) and isinstance(right, Const):
            folded = _fold(op, left.value, right.value, node)
            if folded is not None:
                return Const(folded)
        if op == "matmul":
            return _product(left, right)
        if op == "div" or (op == "over" and right.is_scalar):
            return _product(left, _reciprocal(right, node))
        if op in ("add", "sub"):
            right = _signed(op, right)
            left, right = _broadcast(left, right), _broadcast(right, left)
            terms = [t for x in (left, right) for t in (x.terms if isinstance(x, Add) else (x,))]
            return Add(tuple(terms))
        if op in ("power", "hpower"):
            return _power(left, right, node)
        if op in ("hdiv", "over"):
            right = _reciprocal(right, node)
        if left.is_scalar or right.is_scalar:
            return _product(left, right)
        factors = [f for x in (left, right) for f in (x.factors if isinstance(x, Hadamard) else (x,))]
        return Hadamard(tuple(factors))

    def _postfix(self, node: Postfix) -> Expr:
        arg = self.make(node.operand)
        if node.op == "transpose":
            return arg if arg.is_scalar else Transpose(arg)
        k = node.exponent
        assert k is not None
        if isinstance(arg, Const) and arg.value == 0 and k < 0:
            raise ShapeError("division by zero", node.pos.line, node.pos.column)
        folded = exact_power(arg.value, k) if isinstance(arg, Const) else None
        if folded is not None:
            return Const(folded)
        if node.op == "hpower" or arg.is_scalar:
            return arg if k == 1 else HPow(arg, k)
        n = int(k)
        base = arg if abs(n) == 1 else MatPow(arg, abs(n))
        return Inverse(base) if n < 0 else base

    def _call(self, node: Call) -> Expr:
        arg = self.make(node.args[0])
        if node.func in FILLED:  # c𝟙, sized where it stands
            ones = Ones(self.shape_of(node))
            return ones if arg == Const(Fraction(1)) else _product(arg, ones)
        row = FUNCTIONS[node.func]
        return Apply(row.name, arg) if isinstance(row, Elementwise) else row.build(arg)


def _fold(op: str, a: Fraction, b: Fraction, node: Binary) -> Fraction | None:
    if op in ("div", "hdiv", "over"):
        if b == 0:
            raise ShapeError("division by zero", node.pos.line, node.pos.column)
        return a / b
    return {"matmul": a * b, "hadamard": a * b, "times": a * b, "add": a + b, "sub": a - b}.get(op)


def _power(base: Expr, exponent: Expr, node: Binary) -> Expr:
    """a^b, x.^y: an HPow where the exponent is a number (folded where both are), else a Pow."""
    if not isinstance(exponent, Const):
        return Pow(base, exponent)
    k = exponent.value
    if isinstance(base, Const):
        if base.value == 0 and k < 0:
            raise ShapeError("division by zero", node.pos.line, node.pos.column)
        folded = exact_power(base.value, k)
        if folded is not None:
            return Const(folded)
    return base if k == 1 else HPow(base, k)


def _signed(op: str, e: Expr) -> Expr:
    """A term of a sum: negated after a minus."""
    if op != "sub":
        return e
    return Const(-e.value) if isinstance(e, Const) else _product(Const(Fraction(-1)), e)


def _reciprocal(e: Expr, node: Binary) -> Expr:
    if isinstance(e, Const):
        if e.value == 0:
            pos = node.right.pos
            raise ShapeError("division by zero", pos.line, pos.column)
        return Const(1 / e.value)
    return HPow(e, Fraction(-1))


def _product(a: Expr, b: Expr) -> Expr:
    factors = flatten_product((a, b))
    numbers = [f for f in factors if isinstance(f, Const)]
    if len(numbers) > 1 or (numbers and numbers[0] is not factors[0]):
        value = Fraction(1)
        for c in numbers:
            value *= c.value
        factors = [Const(value)] + [f for f in factors if not isinstance(f, Const)]
    return factors[0] if len(factors) == 1 else MatMul(tuple(factors))


def _broadcast(e: Expr, other: Expr) -> Expr:
    """A scalar term in a sum with a non-scalar one is spread over its shape (s·𝟙)."""
    if e.is_scalar and not other.is_scalar:
        ones = Ones((other.rows, other.cols))
        return ones if e == Const(Fraction(1)) else _product(e, ones)
    return e


def context(node: Expr, dims: tuple[Dim, ...], declared: Mapping[str, tuple[Dim, Dim]]) -> tuple[Var, ...]:
    """The declared variables that fix a dimension of `dims` which no variable of `node`
    has: evaluating `tr(Iₙ)` or `δ_m[i,j] x[k]` takes n or m from their arrays."""
    fixed = {d for v in free_vars(node).values() for d in (v.rows, v.cols)}
    return tuple(Var(name, shape) for name, shape in declared.items()
                 if any(d in shape and d not in fixed for d in dims if isinstance(d, str)))


def typed(tree: Syntax, declared: Mapping[str, tuple[Dim, Dim]]) -> Expr:
    """The expression node for a syntax tree, with shapes checked and unified; a sized
    zero of three or four dimensions (`0ₘₓₙₓₚ`, a printed derivative) is a Tensor."""
    if isinstance(tree, Sized) and len(tree.dims) > 2:
        dims = tuple(tree.dims)
        indices = tuple(f"i{k}" for k in range(len(dims)))
        zero = Const(Fraction(0))
        return Tensor(zero, indices, dims, context(zero, dims, declared))  # type: ignore[return-value]
    uses: dict[str, Use] = {}
    while True:  # a pass per round of uses found: each round gives at least one name a rank
        typing = Typing(declared, uses)
        try:
            typing.infer(tree)
        except ShapeError as exc:
            if typing.found and not typing.contradicted:  # the clash may be the scalar reading that the uses correct
                uses.update(typing.found)
                continue
            if not uses:
                raise
            notes = "; ".join(use.text(name) for name, use in list(uses.items())[:3])
            raise ShapeError(f"{exc}; note: {notes} (declare its shape in shapes= to read it "
                             "otherwise)") from None
        if not typing.found:
            return typing.build(tree)
        uses.update(typing.found)
