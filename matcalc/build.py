"""Typing: the parser's syntax tree → expression nodes with checked, unified shapes.

Two passes: the first infers a shape (two dimension terms) for every syntax node and
unifies dimensions, reporting clashes with the operands' text and shapes; the second
builds the nodes with the resolved dimensions.  Nodes are built plainly (no rewriting
beyond flattening and folding numbers) so an input prints back as it was written.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping

from .errors import ShapeError, UnsupportedError
from .expr import (
    ONE, Add, Apply, Const, Det, DiagMat, DiagVec, Dim, Expr, Hadamard, HPow, Identity,
    Inverse, LogDet, LogSumExp, MatMul, MatPow, Norm1, Norm2, Ones, Softmax, Sum, Trace,
    Transpose, Var, exact_power, shape_text,
)
from .algebra import flatten_product
from .functions import ELEMENTWISE
from .shapes import DimVar, Term, Unifier, conventional_rank
from .syntax import Binary, Call, Name, Neg, Number, Postfix, Syntax

Shape = tuple[Term, Term]
SCALAR: Shape = (ONE, ONE)
REDUCTIONS = {"tr": Trace, "det": Det, "logdet": LogDet, "sum": Sum, "norm1": Norm1,
              "norm2": Norm2, "logsumexp": LogSumExp}
SQUARE_ONLY = {"tr", "det", "logdet", "inv"}
VECTOR_ONLY = {"softmax", "logsumexp"}
KNOWN_FUNCTIONS = set(ELEMENTWISE) | set(REDUCTIONS) | {"inv", "diag", "softmax"}
ONES_NAME = "𝟙"


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


_OPS = {"matmul": "", "add": " + ", "sub": " − ", "hadamard": " ⊙ ", "hdiv": " ./ ", "div": "/"}


def _show(n: Syntax) -> str:
    if isinstance(n, Name):
        return n.name
    if isinstance(n, Number):
        return str(n.value)
    if isinstance(n, Call):
        return f"{n.func}({', '.join(_show(a) for a in n.args)})"
    if isinstance(n, Neg):
        return f"−{_show(n.operand)}"
    if isinstance(n, Postfix):
        inner = _show(n.operand)
        inner = inner if isinstance(n.operand, (Name, Call)) else f"({inner})"
        suffix = {"transpose": "ᵀ", "power": f"^{n.exponent}", "hpower": f".^{n.exponent}"}[n.op]
        return inner + suffix
    left, right = _show(n.left), _show(n.right)
    if n.op == "matmul" and not isinstance(n.right, (Name, Call, Number)):
        right = f"({right})"
    return f"{left}{_OPS[n.op]}{right}"


class Typing:
    """One typing of one syntax tree (holds that tree's unifier; not shared)."""

    def __init__(self, declared: Mapping[str, tuple[Dim, Dim]]) -> None:
        self.declared = declared
        self.unifier = Unifier()
        self.shapes: dict[int, Shape] = {}
        self.var_shapes: dict[str, Shape] = {}
        self.hints: dict[DimVar, str] = {}

    # -- messages ---------------------------------------------------------------
    def dim_text(self, t: Term) -> str:
        t = self.unifier.find(t)
        if t is ONE:
            return "1"
        return self.hints.get(t, "?") if isinstance(t, DimVar) else str(t)

    def shape_text(self, s: Shape) -> str:
        return shape_text(self.unifier.find(s[0]), self.unifier.find(s[1]), self.dim_text)

    def fail(self, message: str, node: Syntax) -> ShapeError:
        return ShapeError(f"{message} (at line {node.pos.line}, column {node.pos.column})")

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
        # Each I and 𝟙 has its own size, fixed by where it stands.
        if name == "I" and name not in self.declared:
            n = self.unifier.fresh()
            self.hints[n] = "size(I)"
            return (n, n)
        if name == ONES_NAME:
            return (self.unifier.fresh(True), self.unifier.fresh(True))
        if name in self.declared:
            shape: Shape = self.declared[name]
        else:
            rank = conventional_rank(name)
            if rank is None:
                raise UnsupportedError(
                    f"cannot tell the shape of '{name}': declare it in shapes= "
                    f"(at line {node.pos.line}, column {node.pos.column})")
            dims: list[Term] = []
            for axis in range(rank):
                v = self.unifier.fresh()
                self.hints[v] = f"len({name})" if rank == 1 else (f"rows({name})", f"cols({name})")[axis]
                dims.append(v)
            dims += [ONE] * (2 - rank)
            shape = (dims[0], dims[1])
        self.var_shapes[name] = shape
        return shape

    def _infer(self, node: Syntax) -> Shape:
        if isinstance(node, Name):
            return self._name_shape(node)
        if isinstance(node, Number):
            return SCALAR
        if isinstance(node, Neg):
            return self.infer(node.operand)
        if isinstance(node, Postfix):
            return self._infer_postfix(node)
        if isinstance(node, Call):
            return self._infer_call(node)
        raise AssertionError(f"unknown syntax node {node!r}")  # Binary nodes are typed in infer()

    def could_be_scalar(self, s: Shape) -> bool:
        """Every axis is absent or may still be (the size of a 𝟙 is fixed by context)."""
        return all(self.unifier.find(x) is ONE or (
            isinstance(self.unifier.find(x), DimVar) and self.unifier.find(x).may_be_one) for x in s)

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

    def _infer_binary(self, node: Binary) -> Shape:
        ls, rs = self.shapes[id(node.left)], self.infer(node.right)  # the left side is typed
        if node.op == "matmul":
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
        if node.op == "div":
            if not rscalar:
                raise self.fail(
                    f"cannot divide {self.operand(node.left)} by {self.operand(node.right)}: "
                    "the divisor must be a scalar (use ./ to divide elementwise)", node)
            return ls
        if lscalar or rscalar:  # a scalar broadcasts in + − ⊙ ./
            return rs if lscalar else ls
        verb = {"add": "add", "sub": "subtract", "hadamard": "multiply elementwise",
                "hdiv": "divide elementwise"}[node.op]
        joiner = "from" if node.op == "sub" else "by" if node.op in ("hadamard", "hdiv") else "and"
        left, right = (node.right, node.left) if node.op == "sub" else (node.left, node.right)
        if not (self.unify(ls[0], rs[0]) and self.unify(ls[1], rs[1])):
            raise self.fail(f"cannot {verb} {self.operand(left)} {joiner} {self.operand(right)}: "
                            "shapes differ", node)
        return ls

    def _require_square(self, node: Syntax, s: Shape, what: str) -> None:
        if self.is_scalar(s):
            return
        if self.unifier.find(s[0]) is ONE or self.unifier.find(s[1]) is ONE or not self.unify(s[0], s[1]):
            raise self.fail(f"{what} needs a square matrix; {self.operand(node)} is not square", node)

    def _infer_postfix(self, node: Postfix) -> Shape:
        s = self.infer(node.operand)
        if node.op == "transpose":
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
            raise UnsupportedError(f"power 0 of a matrix: write I instead "
                                   f"(at line {node.pos.line}, column {node.pos.column})")
        self._require_square(node.operand, s, f"the power ^{k}" + (" (use .^ for elementwise powers)"
                                                                     if k != -1 else ""))
        if abs(k) > 64:
            raise UnsupportedError(f"matrix power {k} is too large (at most 64) "
                                   f"(at line {node.pos.line}, column {node.pos.column})")
        return s

    def _infer_call(self, node: Call) -> Shape:
        if node.func not in KNOWN_FUNCTIONS:
            raise UnsupportedError(f"unknown function '{node.func}' "
                                   f"(at line {node.pos.line}, column {node.pos.column})")
        if len(node.args) != 1:
            raise UnsupportedError(f"{node.func} takes 1 argument, got {len(node.args)} "
                                   f"(at line {node.pos.line}, column {node.pos.column})")
        (arg,) = node.args
        s = self.infer(arg)
        f = node.func
        if f in ELEMENTWISE:
            return s
        if f in SQUARE_ONLY:
            self._require_square(arg, s, f)
            return s if f == "inv" else SCALAR
        if f in VECTOR_ONLY or f == "diag":
            r, c = (self.unifier.find(x) for x in s)
            if f == "diag" and r is not ONE and c is not ONE:
                self._require_square(arg, s, "diag of a matrix")
                return (s[0], ONE)
            if c is not ONE or r is ONE:
                raise self.fail(f"{f} needs a column vector; {self.operand(arg)} is not one", node)
            return (s[0], s[0]) if f == "diag" else (s[0], ONE) if f == "softmax" else SCALAR
        return SCALAR  # sum, norm1, norm2

    # -- pass 2: nodes ------------------------------------------------------------
    def build(self, node: Syntax) -> Expr:
        names: dict[DimVar, Dim] = {}
        taken = {d for shape in self.declared.values() for d in shape if isinstance(d, str)}
        resolved: dict[str, tuple[Dim, Dim]] = {}

        def dims(s: Shape) -> tuple[Dim, Dim]:
            return (self.unifier.resolve(s[0], names, taken), self.unifier.resolve(s[1], names, taken))

        # Variables first, in order of appearance, so their dimensions get the first names.
        for name, shape in self.var_shapes.items():
            resolved[name] = dims(shape)
        return _Builder(dims, resolved, self.shapes, set(self.declared)).make(node)


class _Builder:
    def __init__(self, dims, resolved, shapes, declared: set[str]) -> None:
        self.dims, self.resolved, self.shapes, self.declared = dims, resolved, shapes, declared

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
        return Add(tuple(terms)) if terms else expr

    def _make(self, node: Syntax) -> Expr:
        if isinstance(node, Name):
            if node.name == ONES_NAME:
                rows, cols = self.shape_of(node)
                return Const(Fraction(1)) if (rows, cols) == (ONE, ONE) else Ones((rows, cols))
            if node.name == "I" and "I" not in self.declared:
                return Identity(self.shape_of(node)[0])
            return Var(node.name, self.resolved[node.name])
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
        raise AssertionError(f"unknown syntax node {node!r}")  # Binary nodes are built in make()

    def _binary(self, node: Binary, left: Expr, right: Expr) -> Expr:
        op = node.op
        if isinstance(left, Const) and isinstance(right, Const):
            folded = _fold(op, left.value, right.value, node)
            if folded is not None:
                return Const(folded)
        if op == "matmul":
            return _product(left, right)
        if op == "div":
            return _product(left, _reciprocal(right))
        if op in ("add", "sub"):
            right = _signed(op, right)
            left, right = _broadcast(left, right), _broadcast(right, left)
            terms = [t for x in (left, right) for t in (x.terms if isinstance(x, Add) else (x,))]
            return Add(tuple(terms))
        if op == "hdiv":
            right = _reciprocal(right)
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
            raise ShapeError(f"division by zero (at line {node.pos.line}, column {node.pos.column})")
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
        f = node.func
        if f in ELEMENTWISE:
            return Apply(f, arg)
        if arg.is_scalar and f in ("tr", "det", "sum", "diag"):
            return arg
        if arg.is_scalar and f == "inv":
            return HPow(arg, Fraction(-1))
        if arg.is_scalar and f == "logdet":
            return Apply("log", arg)
        if f == "inv":
            return Inverse(arg)
        if f == "diag":
            return DiagVec(arg) if arg.cols is not ONE else DiagMat(arg)
        if f == "softmax":
            return Softmax(arg)
        return REDUCTIONS[f](arg)


def _fold(op: str, a: Fraction, b: Fraction, node: Binary) -> Fraction | None:
    if op in ("div", "hdiv"):
        if b == 0:
            raise ShapeError(f"division by zero (at line {node.pos.line}, column {node.pos.column})")
        return a / b
    return {"matmul": a * b, "hadamard": a * b, "add": a + b, "sub": a - b}.get(op)


def _signed(op: str, e: Expr) -> Expr:
    """A term of a sum: negated after a minus."""
    if op != "sub":
        return e
    return Const(-e.value) if isinstance(e, Const) else _product(Const(Fraction(-1)), e)


def _reciprocal(e: Expr) -> Expr:
    if isinstance(e, Const):
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


def typed(tree: Syntax, declared: Mapping[str, tuple[Dim, Dim]]) -> Expr:
    """The expression node for a syntax tree, with shapes checked and unified."""
    typing = Typing(declared)
    typing.infer(tree)
    return typing.build(tree)
