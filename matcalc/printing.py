"""Text and LaTeX printers sharing one precedence table.

The text form is re-parseable: it follows the grammar's precedence (postfix > products,
left-associative at one level > unary minus > sums), so a product that is not the first
operand of another product is parenthesized — `Xw ⊙ y` but `y ⊙ (Xw)`.
"""

from __future__ import annotations

import re

import dataclasses

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar
from fractions import Fraction

from .expr import (
    ONE, Add, Apply, Const, Delta, Differential, Entry, Expr, Hadamard, HPow, Identity, Inverse,
    MatMul, MatPow, Norm2, Ones, Pi, Pow, Transpose, Var, Zero,
    Dim, Tree, free_vars, substitute,
)
from .functions import ELEMENTWISE, function_of
from .index_notation import Tensor, index_name_run, index_range, indices_of, rename
from .latex_names import GREEK_LATEX, split_label
from .sizing import Sized, is_ones, size_text, with_sizes

# Precedence, low to high.
SUM, NEG, PRODUCT, POSTFIX, ATOM = range(5)

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPTS = {2: "²", 3: "³"}


def _split_name(name: str) -> tuple[str, str]:
    """'W12' → ('W', '12'); 'W_ab' → ('W', 'ab'); 'beta' → ('beta', '')."""
    if "_" in name:
        base, _, sub = name.partition("_")
        return base, sub
    base = name.rstrip("0123456789")
    return base, name[len(base):]


def _is_broadcast(term: Expr) -> bool:
    return is_ones(term) or (
        isinstance(term, MatMul) and is_ones(term.factors[-1])
        and all(f.is_scalar for f in term.factors[:-1]))


def _without_ones(term: Expr) -> Expr:
    """s·𝟙 → s (inside a sum a scalar broadcasts by itself)."""
    if is_ones(term):
        return Const(Fraction(1))
    rest = term.factors[:-1]  # type: ignore[attr-defined]
    return rest[0] if len(rest) == 1 else MatMul(rest)


_W = TypeVar("_W", bound=Callable[..., Any])


def writes(*nodes: type) -> Callable[[_W], _W]:
    """Marks a printer method as the writer of these node classes (see Printer.writers)."""
    def mark(method: _W) -> _W:
        method.writes = nodes  # type: ignore[attr-defined]
        return method
    return mark


class Printer:
    """The shared structure; subclasses give the notation."""

    # The notation: each subclass sets these marks and defines the hooks below.
    minus: str
    add_sep: str
    sub_sep: str
    hdiv_sep: str
    transpose_mark: str
    inverse_mark: str
    inverse_transpose: str
    ones_mark: str
    pi_mark: str

    def paren(self, text: str) -> str:
        raise NotImplementedError

    def hadamard_join(self, parts: list[str]) -> str:
        raise NotImplementedError

    def power(self, p: Fraction) -> str:
        raise NotImplementedError

    def hpower(self, p: Fraction) -> str:
        raise NotImplementedError

    def reciprocal(self, text: str) -> str:
        raise NotImplementedError

    def product(self, c: Fraction, numerator: list[Expr], pieces: list[tuple[str, int]],
                denominator: list[Expr]) -> str:
        raise NotImplementedError

    def __call__(self, e: Expr | Tree) -> str:  # a Tree: a Tensor of index_notation.py
        return self.render(e)[0]

    # Node class → the method that writes it, collected from each class's methods marked
    # @writes(Node) (a subclass's own method replaces its base's for the same node).
    writers: ClassVar[Mapping[type, Callable[[Any, Any], tuple[str, int]]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.writers = {node: method for klass in reversed(cls.__mro__) for method in vars(klass).values()
                       for node in getattr(method, "writes", ())}

    def render(self, e: Expr | Tree) -> tuple[str, int]:
        # A node with no notation of its own (Trace, Sum, Softmax, …) is a call of its
        # registry function, written by that row's name.
        writer = self.writers.get(type(e))
        return writer(self, e) if writer is not None else self._call(e)

    def _call(self, e: Expr | Tree) -> tuple[str, int]:
        raise NotImplementedError

    def wrap(self, e: Expr, level: int) -> str:
        """`e` rendered, parenthesized if it binds looser than `level`."""
        text, own = self.render(e)
        return text if own >= level else self.paren(text)

    # -- sums and products ------------------------------------------------------
    @writes(Add)
    def _Add(self, e: Add) -> tuple[str, int]:
        out = ""
        # s·𝟙 prints as s (it broadcasts back) only when another term carries the shape.
        implicit = not e.is_scalar and not all(_is_broadcast(t) for t in e.terms)
        for i, term in enumerate(e.terms):
            if implicit and _is_broadcast(term):
                term = _without_ones(term)
            negative = isinstance(term, Const) and term.value < 0 or (
                isinstance(term, MatMul) and isinstance(term.factors[0], Const) and term.factors[0].value < 0)
            if negative:
                term = _negate(term)
            text = self.wrap(term, NEG if i == 0 and not negative else PRODUCT)
            if i == 0:
                out = (self.minus + text) if negative else text
            else:
                out += (self.sub_sep if negative else self.add_sep) + text
        return out, SUM

    @writes(MatMul)
    def _MatMul(self, e: MatMul) -> tuple[str, int]:
        coefficient = Fraction(1)
        numerator: list[Expr] = []
        denominator: list[Expr] = []
        for f in e.factors:
            if isinstance(f, Const):
                coefficient *= f.value
            elif f.is_scalar and isinstance(f, HPow) and f.p < 0:
                denominator.append(f.arg if f.p == -1 else HPow(f.arg, -f.p))
            else:
                numerator.append(f)
        if coefficient < 0:
            return self.minus + self.wrap(_negate(e), PRODUCT), NEG
        pieces = [self.render(f) for f in numerator]
        return self.product(coefficient, numerator, pieces, denominator), PRODUCT

    @writes(Hadamard)
    def _Hadamard(self, e: Hadamard) -> tuple[str, int]:
        numerators = [f for f in e.factors if not (isinstance(f, HPow) and f.p == -1)]
        denominators = [f.arg for f in e.factors if isinstance(f, HPow) and f.p == -1]
        out = self.hadamard_join([self.wrap(f, PRODUCT if i == 0 else POSTFIX)
                                  for i, f in enumerate(numerators)]) if numerators else "1"
        for d in denominators:
            out += self.hdiv_sep + self.wrap(d, POSTFIX)
        return out, PRODUCT

    # -- leaves ---------------------------------------------------------------------
    @writes(Identity)
    def _Identity(self, e: Identity) -> tuple[str, int]:
        return "I", ATOM

    @writes(Ones)
    def _Ones(self, e: Ones) -> tuple[str, int]:
        # A bare 𝟙 in a product reads as a column: a row of ones is its transpose.
        if e.rows is ONE and e.cols is not ONE:
            return self.ones_mark + self.transpose_mark, POSTFIX
        return self.ones_mark, ATOM

    @writes(Zero)
    def _Zero(self, e: Zero) -> tuple[str, int]:
        return "0", ATOM

    @writes(Pi)
    def _Pi(self, e: Pi) -> tuple[str, int]:
        return self.pi_mark, ATOM

    def size(self, dims: tuple[Dim, ...]) -> str:
        raise NotImplementedError

    def sized_delta(self, e: Delta) -> str:
        """A delta with its range, where no entry of its term fixes one of its indices."""
        raise NotImplementedError

    @writes(Sized)
    def _Sized(self, e: Sized) -> tuple[str, int]:
        """Iₙ, 𝟙ₙ, 𝟙ₘₓₙ, 0ₘₓₙ; a row is the transpose of a column, 𝟙ₙᵀ."""
        if isinstance(e.of, Identity):
            return "I" + self.size((e.rows,)), ATOM
        mark = self.ones_mark if isinstance(e.of, Ones) else "0"
        if e.rows is ONE:
            return mark + self.size((e.cols,)) + self.transpose_mark, POSTFIX
        return mark + self.size(tuple(d for d in (e.rows, e.cols) if d is not ONE)), ATOM

    # -- postfix --------------------------------------------------------------------
    @writes(Transpose)
    def _Transpose(self, e: Transpose) -> tuple[str, int]:
        if isinstance(e.arg, Inverse):
            return self.wrap(e.arg.arg, ATOM) + self.inverse_transpose, POSTFIX
        return self.wrap(e.arg, ATOM) + self.transpose_mark, POSTFIX

    @writes(Inverse)
    def _Inverse(self, e: Inverse) -> tuple[str, int]:
        return self.wrap(e.arg, ATOM) + self.inverse_mark, POSTFIX

    @writes(MatPow)
    def _MatPow(self, e: MatPow) -> tuple[str, int]:
        return self.wrap(e.arg, ATOM) + self.power(Fraction(e.k)), POSTFIX

    @writes(Pow)
    def _Pow(self, e: Pow) -> tuple[str, int]:
        """a^b, x.^y: the base and the exponent each an atom (parenthesized otherwise)."""
        return self.power_of(self.wrap(e.base, ATOM), self.wrap(e.exponent, ATOM), not e.is_scalar), POSTFIX

    def power_of(self, base: str, exponent: str, elementwise: bool) -> str:
        raise NotImplementedError

    @writes(HPow)
    def _HPow(self, e: HPow) -> tuple[str, int]:
        if e.arg.is_scalar and e.p.denominator == 1 and e.p > 0:
            return self.wrap(e.arg, ATOM) + self.power(e.p), POSTFIX
        if e.arg.is_scalar and e.p.denominator == 1 and e.p < 0:
            return self.product(Fraction(1), [], [], [e.arg if e.p == -1 else HPow(e.arg, -e.p)]), PRODUCT
        if e.p == -1:
            return self.reciprocal(self.wrap(e.arg, POSTFIX)), PRODUCT
        return self.wrap(e.arg, ATOM) + self.hpower(e.p), POSTFIX


def _negate(term: Expr) -> Expr:
    if isinstance(term, Const):
        return Const(-term.value)
    assert isinstance(term, MatMul)
    c = -term.factors[0].value  # type: ignore[attr-defined]
    rest = term.factors[1:]
    if c == 1:
        return rest[0] if len(rest) == 1 else MatMul(rest)
    return MatMul((Const(c), *rest))


def _wordlike(ch: str) -> bool:
    return (ch.isascii() and (ch.isalnum() or ch == "_")) or "α" <= ch <= "ω" or "Α" <= ch <= "Ω" \
        or ch in "₀₁₂₃₄₅₆₇₈₉"


# Two letters of a name before "(": `ab(x)` reads as a call of a function ab, an error
# (docs/syntax.md), so the printer writes `ab (x)`.
LETTER_PAIR = re.compile("[A-Za-zα-ωΑ-Ω]{2}$")


def _joins(last: str, text: str) -> bool:
    """Juxtaposing `text` after a character `last` needs a space to stay two tokens
    (or, before a named function, to stay readable)."""
    return _named(text) or (_wordlike(last) and _wordlike(text[0]))


def _named(text: str) -> bool:
    """Starts with a multi-letter word: a function name or a long variable name."""
    return len(text) > 1 and text[:2].isascii() and text[:2].isalpha()


def _is_tight(e: Expr) -> bool:
    """Can be juxtaposed without a space: a one-letter name (maybe subscripted) or a
    bracketed form, possibly with postfix marks."""
    while isinstance(e, (Transpose, Inverse, MatPow)) or (isinstance(e, HPow) and e.p > 0):
        e = e.arg
    if isinstance(e, Var):
        base, _ = _split_name(e.name)
        return len(base) == 1 and "_" not in e.name
    # (a one-character function name, σ, is as tight as a one-letter variable; a sized
    # constant is not: `A Iₙ`, since AIₙ would read as the name AI)
    return isinstance(e, (Identity, Ones, Norm2, Add)) or (isinstance(e, Apply) and len(ELEMENTWISE[e.fn].text) == 1)


class TextPrinter(Printer):
    minus, add_sep, sub_sep, hdiv_sep = "−", " + ", " − ", " ./ "
    transpose_mark, inverse_mark, inverse_transpose, ones_mark = "ᵀ", "⁻¹", "⁻ᵀ", "𝟙"
    pi_mark = "π"

    def paren(self, text: str) -> str:
        return f"({text})"

    def hadamard_join(self, parts: list[str]) -> str:
        return " ⊙ ".join(parts)

    def power(self, p: Fraction) -> str:
        return SUPERSCRIPTS.get(int(p), f"^{p}") if p.denominator == 1 else f"^({p})"

    def hpower(self, p: Fraction) -> str:
        return f".^{p}" if p.denominator == 1 and p > 0 else f".^({p})"

    def reciprocal(self, text: str) -> str:
        return f"1 ./ {text}"

    def power_of(self, base: str, exponent: str, elementwise: bool) -> str:
        return f"{base}{'.^' if elementwise else '^'}{exponent}"

    def size(self, dims: tuple[Dim, ...]) -> str:
        return size_text(dims)

    def product(self, c: Fraction, numerator: list[Expr], pieces: list[tuple[str, int]],
                denominator: list[Expr]) -> str:
        out = "" if c.numerator == 1 and numerator else str(c.numerator)
        previous: Expr | None = None
        for i, (f, (text, level)) in enumerate(zip(numerator, pieces)):
            if level < PRODUCT or (level == PRODUCT and (i > 0 or out)) or isinstance(f, Hadamard) or (
                    out and text.startswith("‖")):  # a bar after an operand would close an outer norm
                text = self.paren(text)
            # A space only where two letters would otherwise fuse into one token
            # (a long name, a function name): `Xw`, `2Xᵀ(Xw − y)`, but `W₂ tanh(W₁x)`.
            # And after the name σ before "(": σ(…) would be the sigmoid.
            if out and _joins(out[-1], text) and not (
                    _is_tight(f) and (previous is None or _is_tight(previous)) and not _named(text)) or (
                    out.endswith("σ") and text.startswith("(")):
                out += " "
            elif text.startswith("(") and LETTER_PAIR.search(out) and not isinstance(previous, Differential):
                out += " "  # `ab(x)` would read as a call of a function ab (docs/syntax.md)
            out += text
            previous = f
        below = ([str(c.denominator)] if c.denominator != 1 else []) + [
            self.wrap(d, POSTFIX) for d in denominator]
        if below:
            if not out:
                out = "1"
            joined = below[0]
            for piece in below[1:]:
                joined += (" " if _joins(joined[-1], piece) else "") + piece
            out += "/" + (joined if len(below) == 1 else f"({joined})")
        return out

    @writes(Var)
    def _Var(self, e: Var) -> tuple[str, int]:
        base, sub = _split_name(e.name)
        if "_" in e.name:
            return e.name, ATOM
        return base + sub.translate(SUBSCRIPTS), ATOM

    @writes(Const)
    def _Const(self, e: Const) -> tuple[str, int]:
        if e.value < 0:
            return "−" + self._Const(Const(-e.value))[0], NEG
        return (str(e.value), ATOM) if e.value.denominator == 1 else (str(e.value), PRODUCT)

    @writes(Differential)
    def _Differential(self, e: Differential) -> tuple[str, int]:
        return "d" + self.wrap(e.arg, ATOM), ATOM

    def _call(self, e: Expr | Tree) -> tuple[str, int]:  # Apply, Trace, Sum, …: f(A)
        row = function_of(e) if isinstance(e, Expr) else None
        assert row is not None and isinstance(e, Expr), f"no printer for {type(e).__name__}"
        return f"{row.text}({self(e.children[0])})", ATOM

    @writes(Norm2)
    def _Norm2(self, e: Norm2) -> tuple[str, int]:
        return f"‖{self(e.arg)}‖", ATOM

    # -- index notation (matcalc/index_notation.py) -----------------------------------
    @writes(Entry)
    def _Entry(self, e: Entry) -> tuple[str, int]:
        text, level = self.render(e.arg)
        return (text if level == ATOM else self.paren(text)) + f"[{','.join(e.indices)}]", ATOM

    @writes(Delta)
    def _Delta(self, e: Delta) -> tuple[str, int]:
        return f"δ[{e.i},{e.j}]", ATOM

    def sized_delta(self, e: Delta) -> str:
        return f"δ{e.n if isinstance(e.n, int) else f'_{e.n}'}[{e.i},{e.j}]"

    @writes(Tensor)
    def _Tensor(self, e: Tensor) -> tuple[str, int]:
        if _is_zero(e.body):
            return "0" + self.size(e.dims), ATOM
        return f"[{','.join(e.indices)}] ↦ {_index_terms(self, _distinct_sums(e))}", SUM


class LatexPrinter(Printer):
    minus, add_sep, sub_sep, hdiv_sep = "-", " + ", " - ", r" \oslash "
    transpose_mark, inverse_mark, inverse_transpose, ones_mark = r"^{\top}", "^{-1}", r"^{-\top}", r"\mathbf{1}"
    pi_mark = r"\pi"

    def paren(self, text: str) -> str:
        return rf"\left({text}\right)"

    def hadamard_join(self, parts: list[str]) -> str:
        return r" \odot ".join(parts)

    def power(self, p: Fraction) -> str:
        return f"^{{{p}}}"

    def hpower(self, p: Fraction) -> str:
        return f"^{{\\circ {p}}}"

    def reciprocal(self, text: str) -> str:
        return rf"1 \oslash {text}"

    def power_of(self, base: str, exponent: str, elementwise: bool) -> str:
        return f"{base}^{{\\circ {exponent}}}" if elementwise else f"{base}^{{{exponent}}}"

    def size(self, dims: tuple[Dim, ...]) -> str:
        return "_{" + r" \times ".join(_latex_dim(d) for d in dims) + "}"

    def product(self, c: Fraction, numerator: list[Expr], pieces: list[tuple[str, int]],
                denominator: list[Expr]) -> str:
        parts = [self.paren(text) if level < PRODUCT or isinstance(f, Hadamard) else text
                 for f, (text, level) in zip(numerator, pieces)]
        lead = "" if c.numerator == 1 and parts else str(c.numerator)
        below = ([str(c.denominator)] if c.denominator != 1 else []) + [
            self.wrap(d, POSTFIX) for d in denominator]
        if not below:
            return f"{lead} {' '.join(parts)}".strip()
        if len(pieces) == 1 and not lead:
            top = pieces[0][0]  # a fraction bar groups its numerator: no parentheses
        else:
            top = f"{lead} {' '.join(parts)}".strip()
        return rf"\frac{{{top}}}{{{' '.join(below)}}}"

    @writes(Var)
    def _Var(self, e: Var) -> tuple[str, int]:
        name, label = split_label(e.name)
        base, sub = _split_name(name)
        base = "\\" + GREEK_LATEX[base] if base in GREEK_LATEX else (
            base if len(base) == 1 else rf"\mathit{{{base}}}")
        text = f"{base}_{{{sub}}}" if sub else base
        # Braced where a mark would follow: W^{(1)}^{\top} is a double superscript, and
        # \sigma \left(…\right) would read back as the sigmoid.
        if label:
            return f"{{{text}^{{({label})}}}}", ATOM
        return (f"{{{text}}}" if text == r"\sigma" else text), ATOM

    @writes(Const)
    def _Const(self, e: Const) -> tuple[str, int]:
        v = e.value
        if v < 0:
            return "-" + self._Const(Const(-v))[0], NEG
        return (str(v), ATOM) if v.denominator == 1 else (rf"\frac{{{v.numerator}}}{{{v.denominator}}}", ATOM)

    @writes(Differential)
    def _Differential(self, e: Differential) -> tuple[str, int]:
        return r"\mathrm{d}" + self.wrap(e.arg, ATOM), ATOM

    def _call(self, e: Expr | Tree) -> tuple[str, int]:  # Apply, Trace, Sum, …: f(A)
        row = function_of(e) if isinstance(e, Expr) else None
        assert row is not None and isinstance(e, Expr), f"no printer for {type(e).__name__}"
        return rf"{row.latex}\left({self(e.children[0])}\right)", ATOM

    @writes(Norm2)
    def _Norm2(self, e: Norm2) -> tuple[str, int]:
        return rf"\left\| {self(e.arg)} \right\|", ATOM

    # -- index notation (matcalc/index_notation.py) -----------------------------------
    def _indices(self, indices: tuple[str, ...]) -> str:
        names = ["\\" + GREEK_LATEX[i] if i in GREEK_LATEX else i for i in indices]
        return ("" if all(len(n) == 1 for n in names) else " ").join(names)

    @writes(Entry)
    def _Entry(self, e: Entry) -> tuple[str, int]:
        text, level = self.render(e.arg)
        if level != ATOM:
            text = self.paren(text)
        elif not (isinstance(e.arg, Var) and "_" not in text):
            text = f"{{{text}}}"
        return f"{text}_{{{self._indices(e.indices)}}}", ATOM

    @writes(Delta)
    def _Delta(self, e: Delta) -> tuple[str, int]:
        return rf"\delta_{{{self._indices((e.i, e.j))}}}", ATOM

    def sized_delta(self, e: Delta) -> str:
        """δ over the dimension n, {\\delta_{n}}_{ij}: the text's δ_n[i,j]."""
        return rf"{{\delta_{{{_latex_dim(e.n)}}}}}_{{{self._indices((e.i, e.j))}}}"

    @writes(Tensor)
    def _Tensor(self, e: Tensor) -> tuple[str, int]:
        if _is_zero(e.body):
            return "0" + self.size(e.dims), ATOM
        return rf"\left[{_index_terms(self, _distinct_sums(e))}\right]_{{{self._indices(e.indices)}}}", ATOM


def _latex_dim(d: Dim) -> str:
    """A dimension symbol in LaTeX: n, 3, \\mathit{X\\_rows}."""
    text = str(d)
    return text if len(text) == 1 or text.isdigit() else r"\mathit{" + text.replace("_", r"\_") + "}"


def _is_zero(body: Expr) -> bool:
    return isinstance(body, Const) and body.value == 0


# Names for summation indices renamed apart.
_INDEX_NAMES = "abcdefghmnoxyz"


def _distinct_sums(t: Tensor) -> Expr:
    """The body of tensor `t` with its summation indices renamed so that one name ranges
    over one dimension throughout: each term sums over its own a, b, …, but a reader gives
    an index one range for the whole body."""
    terms = t.body.terms if isinstance(t.body, Add) else (t.body,)
    ranges: dict[str, Dim] = dict(zip(t.indices, t.dims))
    entries = [[n for n in term.walk() if isinstance(n, (Entry, Delta))] for term in terms]
    taken = set(ranges) | {i for found in entries for n in found for i in indices_of(n)}
    fresh = index_name_run(_INDEX_NAMES, taken | set(free_vars(t.body)))  # never a variable's name
    out = []
    for term, found in zip(terms, entries):
        mapping: dict[str, str] = {}
        for n in found:
            for i in indices_of(n):
                if i in t.indices or i in mapping:
                    continue
                r = index_range(n, i)
                if ranges.setdefault(i, r) != r:
                    mapping[i] = next(fresh)
                    ranges[mapping[i]] = r
                else:
                    mapping[i] = i
        renamed = {n: rename(n, mapping) for n in found}
        out.append(substitute(term, {n: r for n, r in renamed.items() if r != n}))
    return out[0] if len(out) == 1 else Add(tuple(out))


def _index_terms(printer: Printer, body: Expr) -> str:
    """A body of index notation: terms of juxtaposed entries, spaced for reading."""
    out = ""
    terms = body.terms if isinstance(body, Add) else (body,)
    # A delta whose index no entry fixes carries its range, δ_m[i,j], so the text parses
    # back with every size known.
    bound = {i for t in terms for f in (t.factors if isinstance(t, MatMul) else (t,))
             if isinstance(f, Entry) for i in f.indices}
    for n, term in enumerate(terms):
        coefficient, factors = Fraction(1), []
        parts = term.factors if isinstance(term, MatMul) else (term,)
        chain = [f for f in parts if not f.is_scalar]  # one scalar product, xᵀy
        if chain:
            parts = tuple(f for f in parts if f.is_scalar) + (MatMul(tuple(chain)),)
        for f in parts:
            if isinstance(f, Const):
                coefficient *= f.value
            elif isinstance(f, Delta) and not (f.i in bound and f.j in bound):
                factors.append(printer.sized_delta(f))
            else:
                factors.append(printer.wrap(f, POSTFIX))
        sign = printer.minus if coefficient < 0 else ""
        number = abs(coefficient)
        lead = [] if number == 1 and factors else [printer.render(Const(number))[0]]
        text = " ".join(lead + factors)
        out += (sign + text) if n == 0 else (printer.sub_sep if sign else printer.add_sep) + text
    return out


_TEXT, _LATEX = TextPrinter(), LatexPrinter()


def _marked(e: Expr | Tree) -> Expr | Tree:
    """`e` with the sizes its text must show marked (sizing.py)."""
    if isinstance(e, Expr):
        return with_sizes(e)
    assert isinstance(e, Tensor)
    return dataclasses.replace(e, body=with_sizes(e.body))


def to_text(e: Expr | Tree) -> str:
    """The re-parseable text of an expression or a tensor in index notation."""
    return _TEXT(_marked(e))


def to_latex(e: Expr | Tree) -> str:
    return _LATEX(_marked(e))
