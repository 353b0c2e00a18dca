"""Text → syntax tree (`syntax.py`), through the Lark grammar in grammars/matcalc.lark,
or grammars/latex.lark for LaTeX (the same tree, by the same reductions).

The only module that imports lark: its exceptions are turned into `ParseError`s with
line, column and a caret here, and never cross the package boundary.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import unicodedata
from fractions import Fraction
from pathlib import Path
from collections.abc import Callable, Collection, Iterator
from contextvars import ContextVar
from typing import Any

import lark
from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .errors import ParseError, UnsupportedError
from .functions import ALIASES, FUNCTIONS, NAMES
from .latex_names import GREEK_LETTERS, SUPERSCRIPT_DIGITS
from .sizing import read_size
from .syntax import Binary, Call, IndexForm, Indexed, Name, Neg, Number, Pos, Postfix, Sized, Syntax

# Limits that keep every later stage (typing, derivation, printing) within Python's
# recursion limit and exact arithmetic bounded; docs/limits.md explains them.
MAX_DEPTH = 200
MAX_FACTORS = 2 * MAX_DEPTH  # the chain rule through 200 levels makes a product of 200+
MAX_LENGTH = 200_000  # characters: bounds the time of everything after
MAX_NUMBER_DIGITS = 400
MAX_NUMBER_ORDER = 308  # decimal exponent of the float64 range
DEPTH_HINT = ("each parenthesis, function call, norm, unary minus, transpose or power adds a "
              "level; long sums and products do not")
# Binary operators whose left-leaning chains the typing step flattens into one node.
CHAIN_CLASS = {"add": "sum", "sub": "sum", "matmul": "product", "div": "product",
               "hadamard": "hadamard", "hdiv": "hadamard", "times": "hadamard", "over": "hadamard",
               "power": "power", "hpower": "hpower"}
LETTERS = "A-Za-zα-ρσ-ωΑ-Ρ΢-Ω"  # σ too: a name where no "(" follows it
# Letters of other scripts drawn like Latin ones: as a name they are an error (unless
# declared), since `‖Χ‖²` with a Greek Chi wrt X would silently be 0.  The lexer admits no
# Cyrillic, but the error for a Cyrillic letter names the Latin one it resembles.
LOOKALIKES = dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧον", "ABEZHIKMNOPTYXov"))
CYRILLIC_LOOKALIKES = dict(zip("АВЕКМНОРСТХаеорсухіјѕІЈЅ", "ABEKMHOPCTXaeopcyxijsIJS"))
SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
# A layer label ends a name: W⁽¹⁾ (LaTeX W^{(1)}) is a name of its own, not a power.
LABEL = "⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾"
NAME_PARTS = re.compile(rf"([{LETTERS}]+)(?:([0-9]+)|([₀-₉]+)|_\{{([A-Za-z0-9]+)\}}|_([A-Za-z0-9]+))?({LABEL})?$")
LATEX_LABEL = re.compile(r"\^\s*\{\s*\(\s*([0-9]+)\s*\)\s*\}$")
FRACTION_CHARS = {"½": Fraction(1, 2), "⅓": Fraction(1, 3), "⅔": Fraction(2, 3), "¼": Fraction(1, 4),
                  "¾": Fraction(3, 4), "⅕": Fraction(1, 5), "⅙": Fraction(1, 6), "⅛": Fraction(1, 8)}
TOKEN_NAMES = {"RPAR": "')'", "LPAR": "'('", "_RPAR": "')'", "_LPAR": "'('", "RBRACE": "'}'", "LBRACE": "'{'", "_RBRACKET": "']'",
               "INDICES": "indices like _{ij}", "$END": "the end of the input", "PLUS": "'+'",
               "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "COMMA": "','", "HADAMARD": "'.*'",
               "NORM_CLOSE": "'‖'", "NORM_OPEN": "'‖'", "TRANSPOSE": "a transpose",
               "POWER": "a power", "HPOWER": "an elementwise power", "FUNC": "a function name",
               "NP_TRANSPOSE": "'.T'", "NP_POWER": "a power", "NP_STAR": "'*'", "NP_SLASH": "'/'",
               "NP_FUNC": "a function name", "AT": "'@'",
               "CARET": "'^'", "HCARET": "'.^'"}
EYE = "eye"  # the identity, as I (matrixcalculus.org writes x'*eye*x)
OPERAND_STARTS = {"FILLED", "NAME", "NUMBER", "LPAR", "FUNC", "NORM_OPEN", "ONES", "FRACTION_CHAR", "SIZED",
                  "_LPAR", "LBRACE", "LATEX_NAME", "FRAC", "SQRT", "NP_FUNC"}
# LaTeX spellings of functions that the registry's LaTeX column does not hold.
LATEX_FUNCTIONS = {r"\sigma": "sigmoid", r"\ln\det": "logdet"}
# Font commands whose argument is a name (\mathbf{x} is x); \mathrm{d} is a differential.
LATEX_FONTS = re.compile(r"\\(mathbf|boldsymbol|bm|pmb|mathit|mathrm|mathsf|mathbfit|vec)\s*\{\s*(\\?[A-Za-z]+)\s*\}")
# An input with one of these is NumPy code (docs/syntax.md): there * and / are NumPy's.
NUMPY_CODE = re.compile(r"@|\.T|(?<![A-Za-z0-9_])(?:np|numpy)\.")
NUMPY_RETYPED = {"*": "NP_STAR", "/": "NP_SLASH"}
# NumPy's functions that matcalc has (np.linalg.norm: the vector 2-norm or the Frobenius
# norm, as norm2), by the name after "np."; those the registry lacks are left out below.
NUMPY_FUNCTIONS = {
    **{name: name for name in ("exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "arcsin",
                               "arccos", "arctan", "log1p", "expm1", "abs", "sqrt", "sign", "sum",
                               "diag", "kron")},
    "trace": "tr", "linalg.norm": "norm2", "linalg.det": "det", "linalg.inv": "inv",
}


def normalize_name(name: str) -> str:
    """Canonical variable name: W₁, W_1, W_{1} and W1 are 'W1'; W_{ab} and W_ab are 'W_ab';
    W^{(1)} is 'W⁽¹⁾'."""
    if not isinstance(name, str):
        return name
    name = _plain_label(name)
    m = NAME_PARTS.match(name)
    if not m:
        return name
    letters, digits, sub_digits, braced, plain, label = m.groups()
    sub = digits or (sub_digits.translate(SUBSCRIPT_DIGITS) if sub_digits else None) or braced or plain
    label = label or ""
    if not sub:
        return letters + label
    return (letters + sub if sub.isdigit() else f"{letters}_{sub}") + label


def _plain_label(name: str) -> str:
    """W^{(1)} → W⁽¹⁾: the LaTeX spelling of a layer label."""
    m = LATEX_LABEL.search(name)
    return name[:m.start()] + f"⁽{m.group(1).translate(SUPERSCRIPT_DIGITS)}⁾" if m else name


class _Lexer(lark.lexer.Lexer):
    """Tokens for Lark's LALR parser (Lark's custom-lexer interface): one regular
    expression made of the grammar's own terminals, in the order Lark's basic lexer tries
    them, so each token is the one Lark would produce.

    Why not Lark's basic lexer: it reaches the end of the text by raising and catching
    EOFError and runs a postlexer generator on top, and those rarely used paths cost more
    than the whole lexing when the interpreter's caches are cold — the usual case for a
    single derive() between other work (tests/benchmarks/README.md).

    It also tells the two kinds of norm bar apart, which no regular expression can: a bar
    closes a norm when one is open and the previous token ends an operand (`‖x‖‖y‖` is a
    product of two norms); otherwise it opens one."""

    ENDS_OPERAND = frozenset({"NAME", "NUMBER", "RPAR", "TRANSPOSE", "INVERSE_TRANSPOSE", "POWER",
                              "HPOWER", "NORM_CLOSE", "ONES", "FRACTION_CHAR", "NORM_SUB", "SIZED",
                              "LATEX_NAME", "_RPAR", "RBRACE",  # (latex.lark's)
                              "NP_TRANSPOSE", "NP_POWER"})

    def __init__(self, conf: Any) -> None:
        terminals = [t for t in conf.terminals if t.name != "NORM_CLOSE"]  # NORM_OPEN's pattern
        # Lark's basic lexer tries the terminals in this order, the first match winning.
        terminals.sort(key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
        self._match = re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals),
                                 conf.g_regex_flags).match
        self._ignore = frozenset(conf.ignore)
        self._expected = {t.name for t in terminals} - self._ignore
        self._reads_numpy = "NP_TRANSPOSE" in self._expected  # matcalc.lark, not latex.lark
        literals = [t for t in terminals if t.pattern.type == "str"]
        for t in terminals:  # Lark retypes such literals (keywords); this lexer would not
            if t.pattern.type == "re" and any(re.fullmatch(t.pattern.to_regexp(), s.pattern.value)
                                              for s in literals if s.priority == t.priority):
                raise lark.exceptions.GrammarError(f"terminal {t.name} matches a literal terminal")

    # Lark's first custom-lexer interface (no __future_interface__): lex() receives the text.
    def lex(self, text: str) -> Iterator[Token]:  # type: ignore[override]
        match, ignore, ends_operand = self._match, self._ignore, self.ENDS_OPERAND
        pos, end, line, line_start = 0, len(text), 1, 0
        open_norms, previous, previous_end = 0, "", -1
        signs = minus_signs = 0  # a run of prefix signs: each minus is a level of nesting
        numpy = self._reads_numpy and NUMPY_CODE.search(text) is not None
        while pos < end:
            m = match(text, pos)
            if m is None:
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text, pos, line, pos - line_start + 1, allowed=self._expected)
            kind, value, stop = m.lastgroup or "", m.group(), m.end()
            tok = None
            if kind not in ignore:
                if numpy and value in NUMPY_RETYPED:
                    kind = NUMPY_RETYPED[value]
                if kind == "NORM_OPEN":
                    closing = open_norms > 0 and previous in ends_operand
                    open_norms += -1 if closing else 1
                    kind = "NORM_CLOSE" if closing else kind
                    if open_norms > MAX_DEPTH:  # as for "(": refused before a parse of it all
                        raise ParseError(f"expression nested more than {MAX_DEPTH} levels deep "
                                         f"({DEPTH_HINT})", text, line, pos - line_start + 1)
                elif kind == "NUMBER" and previous == "NORM_CLOSE" and previous_end == pos:
                    # ‖x‖2 reads as a product, 2‖x‖, where the norm's subscript was meant
                    raise ParseError(f"a number right after a norm: write ‖x‖₂ or ‖x‖_2 for the "
                                     f"2-norm (‖x‖₁ or ‖x‖_1 for the 1-norm), or {value}‖x‖ "
                                     "for a multiple", text, line, pos - line_start + 1)
                if kind == "MINUS" or kind == "PLUS":
                    if previous not in ends_operand and previous != "RSQB":
                        signs, minus_signs = signs + 1, minus_signs + (kind == "MINUS")
                        if signs > MAX_DEPTH:  # as for "(": refused before a parse of them all
                            raise ParseError(f"expression nested more than {MAX_DEPTH} levels deep "
                                             f"({DEPTH_HINT})" if minus_signs > MAX_DEPTH else
                                             f"more than {MAX_DEPTH} signs in a row", text, line,
                                             pos - line_start + 1)
                else:
                    signs = minus_signs = 0
                tok = Token(kind, value, pos, line, pos - line_start + 1)
                previous, previous_end = kind, stop
            if "\n" in value:
                line += value.count("\n")
                line_start = pos + value.rindex("\n") + 1
            if tok is not None:
                tok.end_line, tok.end_column, tok.end_pos = line, stop - line_start + 1, stop
                yield tok
            pos = stop


def _grammar_path(file: str = "matcalc.lark") -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammars" / file, here.parent / "grammars" / file):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{file} not found beside the package (a broken install)")


@functools.cache
def _lark(file: str = "matcalc.lark") -> Lark:
    # Lark calls the rule methods as it reduces (no parse tree is built, then walked): an
    # LALR parse is a loop, so this is as safe for deep input as it is quicker.
    return Lark(_grammar_path(file).read_text(encoding="utf-8"), parser="lalr", lexer=_Lexer,
                maybe_placeholders=False,  # positions come from tokens
                transformer=_Reductions())


def _pos(item: Token | Syntax) -> Pos:
    if isinstance(item, Token):
        return Pos(item.line or 1, item.column or 1)
    return item.pos  # a syntax node


def _exponent(tok: Token, text: str) -> Fraction:
    """The number in a power token: '^2', '^{-1}', '^(1/2)', '.^-1', '⁻¹', '²', and chains
    of '^', read from the right as in mathematics: '^3^2' is 3² = 9, '^-1^2' is −(1²)."""
    special = {"⁻¹": Fraction(-1), "²": Fraction(2), "³": Fraction(3)}
    if tok.value in special:
        return special[tok.value]
    body = tok.value[2:] if tok.value.startswith(".^") else tok.value[1:]
    body = body.replace("\\circ", "")  # LaTeX's Hadamard power ^{\circ 2}
    if sum(ch.isdigit() for ch in body) > MAX_NUMBER_ORDER:
        raise _error_at(f"exponent with more than {MAX_NUMBER_ORDER} digits", text, tok)
    parts = [re.sub(r"\s", "", part) for part in body.split("^")]
    value = _exponent_part(parts[-1], text, tok)
    for part in reversed(parts[:-1]):
        # A sign written bare applies after the power (−1^2 is −1); braces and
        # parentheses make it part of the base ({-1}^2 is 1).
        bare_sign = -1 if part.startswith("-") else 1
        shown = f"{part.lstrip('-')}^{value if value >= 0 and value.denominator == 1 else f'({value})'}"
        value = bare_sign * _exact_power(_exponent_part(part.lstrip("-"), text, tok), value, shown, text, tok)
    return value


def _exponent_part(part: str, text: str, tok: Token) -> Fraction:
    """One number of an exponent: '3', '-1', '2.5', '{-1}', '(1/2)', '(-1.5/2)'."""
    numerator, _, denominator = part.strip("{}()").partition("/")
    if denominator and int(denominator) == 0:
        raise _error_at("division by zero in an exponent", text, tok)
    return Fraction(numerator) / Fraction(denominator or 1)


def _exact_power(base: Fraction, k: Fraction, shown: str, text: str, tok: Token) -> Fraction:
    """base^k exactly, for an exponent written as a power (2^3^2): refused when it is no
    rational number, or longer than the exponents a literal may have."""
    if base == 0 and k < 0:
        raise _error_at(f"the exponent {shown} divides by zero", text, tok)
    if k.denominator != 1:  # a root: exact only when numerator and denominator are powers
        roots = [_integer_root(abs(n), k.denominator) for n in (base.numerator, base.denominator)]
        if (base < 0 and k.denominator % 2 == 0) or None in roots:
            raise _error_at(f"the exponent {shown} is not a rational number; exponents are "
                            "exact numbers: write its value as a decimal", text, tok)
        sign = -1 if base < 0 else 1  # an odd root of a negative number: (−8)^(1/3) = −2
        base, k = Fraction(sign * (roots[0] or 0), roots[1] or 1), Fraction(k.numerator)
    size = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
    if abs(base) != 1 and base != 0 and size * abs(k) > MAX_NUMBER_ORDER * 10 // 3:
        raise _error_at(f"the exponent {shown} has more than {MAX_NUMBER_ORDER} digits", text, tok)
    return base ** int(k)


def _integer_root(n: int, q: int) -> int | None:
    """The integer r with r^q = n (n ≥ 0), or None."""
    if q > n.bit_length():  # only 0 and 1 have roots this high (and 2^q would be huge)
        return n if n < 2 else None
    low, high = 0, 1 << (n.bit_length() // q + 1)
    while low < high:  # the largest r with r^q ≤ n
        mid = (low + high + 1) // 2
        low, high = (mid, high) if mid ** q <= n else (low, mid - 1)
    return low if low ** q == n else None


def _number(tok: Token, text: str) -> Fraction:
    """The exact value of a number literal, refused outside the float64 range (about
    1e-308 … 1e308) or beyond MAX_NUMBER_DIGITS digits before any big integer is made:
    `1e999999999` would otherwise be a billion-digit integer."""
    mantissa, _, exponent = tok.value.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return Fraction(0)
    shown = tok.value if len(tok.value) <= 20 else tok.value[:17] + "…"
    if len(digits) > MAX_NUMBER_DIGITS:
        raise _error_at(f"number {shown} has more than {MAX_NUMBER_DIGITS} digits", text, tok)
    # The decimal order of the leading digit (12.5e3 → 4, 0.001 → -3) plus the exponent;
    # an exponent of five or more digits is out of range whatever the mantissa.
    lead = len(whole.lstrip("0")) - 1 if whole.lstrip("0") else -(len(fraction) - len(fraction.lstrip("0")) + 1)
    power = exponent.lstrip("+-").lstrip("0")
    order = lead + int(exponent or 0) if len(power) <= 4 else (-1 if exponent.startswith("-") else 1) * 10**5
    if abs(order) > MAX_NUMBER_ORDER:
        raise _error_at(f"number {shown} is too {'large' if order > 0 else 'small'}: numbers must "
                        f"lie within the float64 range (1e-{MAX_NUMBER_ORDER} to 1e{MAX_NUMBER_ORDER})",
                        text, tok)
    return Fraction(tok.value)


def _operands(node: Syntax) -> tuple[Syntax, ...]:
    if isinstance(node, (Neg, Postfix, Indexed)):
        return (node.operand,)
    if isinstance(node, IndexForm):
        return (node.body,)
    return node.args if isinstance(node, Call) else (node.left, node.right) if isinstance(node, Binary) else ()


def _letter_name(ch: str) -> str:
    """'Greek capital Alpha' for Α, 'Cyrillic small o' for о."""
    script, case, _, letter = unicodedata.name(ch).split(" ", 3)
    letter = letter.title() if len(letter) > 1 else letter if case == "CAPITAL" else letter.lower()
    return f"{script.title()} {case.lower()} {letter}"


def _error_at(message: str, text: str, tok: Token) -> ParseError:
    pos = _pos(tok)
    return ParseError(message, text, pos.line, pos.column)


class _ToSyntax:
    """Grammar rules → syntax nodes, one method per rule alias, called by Lark at each
    reduction.  One instance per parse (it knows the text and the declared names).

    On the way it measures the nesting depth of what it builds and refuses more than
    MAX_DEPTH levels at the token that crosses the limit, before the recursive stages
    (typing, derivation, printing) run."""

    def __init__(self, text: str, declared: Collection[str]) -> None:
        self.text = text
        self.declared = frozenset(declared)
        self.longer_names = sorted((d for d in self.declared if len(d) > 1), key=len, reverse=True)
        self.line_starts: list[int] | None = None  # offsets of the lines, made when needed
        self.longest = max((len(d) for d in self.declared), default=0)  # letters a name can span
        # Products made by splitting one letter run (AX → A·X): a postfix after the run
        # belongs to its last letter (AXᵀ is A·Xᵀ).
        self.runs: dict[int, tuple[Syntax, list[Syntax]]] = {}  # by id; holds the node alive
        self.sizes: dict[int, tuple[Syntax, int, int]] = {}  # by id, as `runs`: depth, factors
        # Powers a^b written without parentheses around them: a^b^c continues one (by id, as `runs`).
        self.open_powers: dict[int, Syntax] = {}

    # -- limits ----------------------------------------------------------------------
    def _size(self, node: Syntax) -> tuple[int, int]:
        """(nesting depth, factors).  Depth is 1 + the deepest operand, except that a sum or
        product continuing a chain of its own kind (a + b + c, AXB, x ⊙ y ⊙ z) adds none:
        the typing step flattens such chains, in a loop, into one node.  Factors count
        what the typing step may flatten into one product, parenthesized and negated
        products included (a(bc) and a·(−b) are products of three), since the product
        rule makes n terms of n factors from a product of n."""
        spine: list[Binary] = []
        while isinstance(node, Binary) and self._known(node) is None:
            spine.append(node)
            node = node.left
        known = self._known(node)
        if known is None:  # a leaf, or a node made inside one callback (a letter run's piece)
            depth = 0 if isinstance(node, (Name, Number, Sized)) else 1 + max(
                self._size(c)[0] for c in _operands(node))
            factors = 1 + self._size(node.operand)[1] if isinstance(node, Neg) else 1
            known = self.sizes[id(node)] = (node, depth, factors)
        _, depth, factors = known
        for b in reversed(spine):
            same = isinstance(b.left, Binary) and CHAIN_CLASS[b.left.op] == CHAIN_CLASS[b.op]
            right = self._size(b.right)
            depth = max(depth + (0 if same else 1), 1 + right[0])
            factors = factors + right[1] if CHAIN_CLASS[b.op] != "sum" else 1
            if factors > MAX_FACTORS:
                pos = _pos(b.right)
                raise ParseError(f"a product of more than {MAX_FACTORS} factors (its derivative "
                                 f"would have {MAX_FACTORS}² factors or more); write repeated "
                                 "factors as a power (a^3, X^3, x.^3)", self.text, pos.line, pos.column)
            self.sizes[id(b)] = (b, depth, factors)
        return depth, factors

    def _known(self, node: Syntax) -> tuple[Syntax, int, int] | None:
        entry = self.sizes.get(id(node))
        return entry if entry and entry[0] is node else None

    def bounded(self, node: Syntax, where: Token | Syntax) -> Syntax:
        """`node`, unless it is nested deeper than MAX_DEPTH (a ParseError at `where`) or
        holds a product of more than MAX_FACTORS factors (a ParseError at the next one)."""
        if self._size(node)[0] > MAX_DEPTH:
            pos = _pos(where)
            raise ParseError(f"expression nested more than {MAX_DEPTH} levels deep ({DEPTH_HINT})",
                             self.text, pos.line, pos.column)
        return node

    # -- names -------------------------------------------------------------------
    def name(self, items: list[Any]) -> Syntax:
        (tok,) = items
        if tok.value == EYE and EYE not in self.declared:  # matrixcalculus.org's identity
            return Name(EYE, _pos(tok))
        if "^" in tok.value or " " in tok.value:  # LaTeX: W_{ 1 }^{(1)}
            return self._chain(self._split(_plain_label(re.sub(r"\s+", "", tok.value)), tok.line, tok.column))
        if len(tok.value) == 1:  # one letter: the common case, and nothing to split
            self._check_lookalike(tok.value, tok.line, tok.column)
            return Name(tok.value, _pos(tok))
        return self._chain(self._split(tok.value, tok.line, tok.column))

    def _split(self, run: str, line: int, column: int) -> list[Syntax]:
        """The names in a letter run with an optional subscript: declared names first
        (longest first, also where one ends in the run's subscript: Xbeta_1 is X·beta_1),
        else one letter each; a digit subscript ends at its last digit (W_1x is W_1·x)."""
        m = NAME_PARTS.match(run)
        letters = m.group(1) if m else run
        suffix = run[len(letters):]
        pieces: list[tuple[str, int]] = []
        i = 0
        while i < len(letters) and len(pieces) <= MAX_FACTORS:  # more: refused as a product
            if len(letters) - i <= self.longest and normalize_name(letters[i:] + suffix) in self.declared:
                pieces.append((letters[i:] + suffix, i))
                suffix = ""
                break
            longest = next((d for d in self.longer_names if letters.startswith(d, i)
                            and (i + len(d) < len(letters) or not suffix)), None)
            step = len(longest) if longest else 1
            pieces.append((letters[i:i + step], i))
            i += step
        rest = ""
        digits = re.match(r"_([0-9]+)(?=[^⁽])", suffix)
        if digits:  # W_1x: the subscript is 1, and x a name of its own
            suffix, rest = digits.group(), suffix[digits.end():]
        last, start = pieces[-1]
        pieces[-1] = (last + suffix, start)
        nodes: list[Syntax] = []
        for piece, offset in pieces:
            name = normalize_name(piece)
            self._check_lookalike(name, line, column + offset)
            nodes.append(Name(name, Pos(line, column + offset)))
        if rest:
            nodes.extend(self._split(rest, line, column + len(run) - len(rest)))
        return nodes

    def _check_lookalike(self, name: str, line: int, column: int) -> None:
        """A letter of another script that looks like a Latin one (Greek Α, Cyrillic А …)
        is almost always a slip of the keyboard or of a copy: an error, unless declared."""
        for offset, ch in enumerate(name):
            if ch in LOOKALIKES and name not in self.declared:
                raise ParseError(f"{_letter_name(ch)} '{ch}' looks like Latin '{LOOKALIKES[ch]}': "
                                 f"write '{LOOKALIKES[ch]}', or declare '{name}' in shapes to mean "
                                 "the Greek letter", self.text, line, column + offset)

    def _chain(self, nodes: list[Syntax]) -> Syntax:
        out = nodes[0]
        for n in nodes[1:]:
            out = Binary("matmul", out, n, out.pos)
        if len(nodes) > 1:
            self.runs[id(out)] = (out, nodes)
        return out

    def _run_pieces(self, node: Syntax) -> list[Syntax] | None:
        entry = self.runs.get(id(node))
        return entry[1] if entry and entry[0] is node else None

    def _postfix(self, operand: Syntax, make: Callable[[Syntax], Syntax]) -> Syntax:
        pieces = self._run_pieces(operand)
        if pieces:
            return self._chain(pieces[:-1] + [make(pieces[-1])])
        return make(operand)

    def group(self, items: list[Syntax]) -> Syntax:
        (inner,) = items
        self.runs.pop(id(inner), None)  # (AX)ᵀ transposes the whole product, (AX) stays whole
        self.open_powers.pop(id(inner), None)  # (a^b)^c is a power of a power
        return inner

    def number(self, items: list[Any]) -> Number:
        (tok,) = items
        return Number(_number(tok, self.text), _pos(tok))

    def fraction_char(self, items: list[Any]) -> Number:
        (tok,) = items
        return Number(FRACTION_CHARS[tok.value], _pos(tok))

    def ones(self, items: list[Any]) -> Name:
        (tok,) = items
        return Name("𝟙", _pos(tok))

    def sized(self, items: list[Any]) -> Syntax:
        """Iₙ, 𝟙ₘₓₙ, 0ₘₓₙ: a constant with its size (a declared I₃ stays a name)."""
        (tok,) = items
        return self._sized(tok.value[0], tok.value[1:], tok)

    def _sized(self, kind: str, size: str, tok: Token) -> Syntax:
        if normalize_name(kind + size) in self.declared:
            return Name(normalize_name(kind + size), _pos(tok))
        dims = read_size(size)
        if kind != "0" and len(dims) > (1 if kind == "I" else 2):
            what = "the identity Iₙ takes one dimension" if kind == "I" else \
                "the all-ones array takes one dimension (𝟙ₙ) or two (𝟙ₘₓₙ)"
            raise _error_at(f"{tok.value}: {what}", self.text, tok)
        return Sized(kind, dims, _pos(tok))

    # -- LaTeX (grammars/latex.lark) -------------------------------------------------
    def latex_name(self, items: list[Any]) -> Syntax:
        """\\mathbf{x} → x, \\boldsymbol{\\mu} → μ, \\Sigma → Σ, \\mathit{beta}_{1} → beta_1,
        \\mathbf{W}^{(1)} → W⁽¹⁾; a letter run in a font command splits as one in text."""
        (tok,) = items
        value = re.sub(r"\s+", "", tok.value)
        font = LATEX_FONTS.match(value)
        word, rest = (font.group(2), value[font.end():]) if font else re.match(r"(\\[A-Za-z]+)(.*)", value).groups()  # type: ignore[union-attr]
        if font and font.group(1) == "mathrm" and word == "d":
            raise _error_at(r"\mathrm{d} is a differential, which matcalc does not read; write the "
                            "expression to differentiate and pass wrt=", self.text, tok)
        if word.startswith("\\"):
            letter = GREEK_LETTERS.get(word[1:])
            if letter is None:
                raise _error_at(f"unknown LaTeX command {word}" + _latex_hint(word), self.text, tok)
            word = letter
        return self._chain(self._split(_plain_label(word + rest), tok.line, tok.column))

    def latex_sized(self, items: list[Any]) -> Syntax:
        """I_{n}, \\mathbf{1}_{m \\times n}, 0_{\\mathit{X\\_rows}}: the text's sized constants."""
        (tok,) = items
        kind, _, size = re.sub(r"\s+", "", tok.value).partition("_")
        size = re.sub(r"\\mathit\{([^}]*)\}", lambda m: m.group(1).replace("\\_", "_"), size)
        return self._sized("𝟙" if kind.startswith("\\") else kind, "_" + size.replace("\\times", "×"), tok)

    def latex_frac(self, items: list[Any]) -> Syntax:
        tok, top, bottom = items
        for part in (top, bottom):
            self.runs.pop(id(part), None)  # a fraction bar groups: \frac{AX}{2}^{\top} is whole
        return self.bounded(Binary("div", top, bottom, _pos(tok)), tok)

    def latex_sqrt(self, items: list[Any]) -> Syntax:
        tok, arg = items
        self.runs.pop(id(arg), None)
        return self.bounded(Call("sqrt", (arg,), _pos(tok)), tok)

    def latex_call(self, items: list[Any]) -> Syntax:
        tok, args = items
        return self.bounded(Call(self._latex_function(tok), tuple(args), _pos(tok)), tok)

    def latex_bare_call(self, items: list[Any]) -> Syntax:
        """\\log\\det X, \\det X^{-1}, \\operatorname{tr} AXB: the factor after the name."""
        tok, arg = items
        self.runs.pop(id(arg), None)  # \det AB is det(AB)
        return self.bounded(Call(self._latex_function(tok), (arg,), _pos(tok)), tok)

    def _latex_function(self, tok: Token) -> str:
        spelled = re.sub(r"\s+", "", tok.value).replace("{1}", "1").replace("{2}", "2")
        known = _latex_functions().get(spelled) or LATEX_FUNCTIONS.get(spelled)
        if known:
            return known
        word = re.sub(r"^\\(?:operatorname\*?|mathrm|text)\{(.*)\}$", r"\1", spelled).lstrip("\\")
        if spelled.startswith(r"\sum"):
            raise _error_at(r"\sum is a summation with limits, which matcalc does not read; write "
                            r"\operatorname{sum}(x) (or \mathbf{1}^\top x) for the sum of the entries",
                            self.text, tok)
        if word in FUNCTIONS or word in ALIASES:
            return ALIASES.get(word, word)
        close = [f"'{name}'" for name in difflib.get_close_matches(word, NAMES, n=3, cutoff=0.6)]
        raise _error_at(f"unknown function {tok.value}" + (f"; did you mean {' or '.join(close)}?" if close else
                        " (docs/syntax.md lists the functions)"), self.text, tok)

    def latex_norm(self, items: list[Any]) -> Syntax:
        opening, closing = items[0], items[2]
        if "rVert" in opening.value or "right" in opening.value:
            raise _error_at(f"{opening.value.strip()} closes a norm that is not open", self.text, opening)
        if "lVert" in closing.value or "left" in closing.value:
            raise _error_at(f"{closing.value.strip()} opens a norm inside a norm; close the first "
                            r"with \rVert or \|", self.text, closing)
        return self.norm(items)

    def latex_entry(self, items: list[Any]) -> Syntax:
        operand, tok = items
        indices = self._latex_indices(tok)
        return self.bounded(self._postfix(operand, lambda x: Indexed(x, indices, x.pos)), tok)

    def latex_index_form(self, items: list[Any]) -> Syntax:
        """\\left[X_{kj} \\delta_{il}\\right]_{ijkl}: inside the bracket a name's letter
        subscript is an entry's indices (unless the subscripted name is declared)."""
        body, tok = items
        return self.bounded(IndexForm(self._latex_indices(tok), self._entries(body), _pos(body)), tok)

    def _latex_indices(self, tok: Token) -> tuple[str, ...]:
        inner = tok.value[2:-1].strip()
        words = inner.split() if len(inner.split()) > 1 else re.findall(r"\\[A-Za-z]+|[A-Za-z0-9]", inner)
        out = []
        for word in words:
            letter = GREEK_LETTERS.get(word[1:]) if word.startswith("\\") else normalize_name(word)
            if letter is None:
                raise _error_at(f"unknown LaTeX command {word}" + _latex_hint(word), self.text, tok)
            out.append(letter)
        return tuple(out)

    def _entries(self, node: Syntax) -> Syntax:
        """`node` with its subscripted names read as entries: X_kj → X[k,j], δ_il → δ[i,l]."""
        if isinstance(node, Name):
            m = NAME_PARTS.match(node.name)
            sub = m.group(4) or m.group(5) if m else None
            if m and sub and not m.group(6) and node.name not in self.declared:
                return Indexed(Name(m.group(1), node.pos), tuple(sub), node.pos)
            return node
        if isinstance(node, Binary):  # a long sum is a deep left spine: walked in a loop
            spine = []
            while isinstance(node, Binary):
                spine.append(node)
                node = node.left
            out = self._entries(node)
            for b in reversed(spine):
                out = Binary(b.op, out, self._entries(b.right), b.pos)
            return out
        if isinstance(node, (Neg, Postfix)):
            return dataclasses.replace(node, operand=self._entries(node.operand))
        if isinstance(node, Call):
            return dataclasses.replace(node, args=tuple(self._entries(a) for a in node.args))
        return node

    def latex_kron(self, items: list[Any]) -> Syntax:
        left, tok, right = items
        if "kron" not in FUNCTIONS:
            pos = _pos(tok)
            raise UnsupportedError(r"the Kronecker product \otimes is not supported", pos.line, pos.column)
        return self._joined(lambda a, b, at: Call("kron", (a, b), at), left, right)

    # -- operators -----------------------------------------------------------------
    @staticmethod  # a factory for the methods below (callable in the class body since 3.10)
    def _binary(op: str) -> Callable[[_ToSyntax, list[Any]], Syntax]:
        def method(self: _ToSyntax, items: list[Any]) -> Syntax:
            left, right = items[0], items[-1]
            if op == "matmul" and len(items) == 2:
                self._check_unknown_function(left, right)
            if op in ("add", "sub"):
                return self.bounded(Binary(op, left, right, _pos(left)), right)
            return self._joined(lambda a, b, at: Binary(op, a, b, at), left, right)
        return method

    def _joined(self, make: Callable[[Syntax, Syntax, Pos], Syntax], left: Syntax, right: Syntax) -> Syntax:
        """left `op` right, at the products' one left-associative level: a letter run on the
        right gives its first letter (y ⊙ Xw is (y ⊙ X)w, a/bc is (a/b)c)."""
        pieces = self._run_pieces(right)
        if not pieces:
            return self.bounded(make(left, right, _pos(left)), right)
        out = make(left, pieces[0], _pos(left))
        for piece in pieces[1:]:
            out = Binary("matmul", out, piece, _pos(left))
        return self.bounded(out, right)

    add = _binary("add")
    sub = _binary("sub")
    matmul = _binary("matmul")
    div = _binary("div")
    hadamard = _binary("hadamard")
    hdiv = _binary("hdiv")

    def neg(self, items: list[Any]) -> Syntax:
        tok, operand = items[0], items[-1]
        node = Neg(operand, _pos(tok) if isinstance(tok, Token) else _pos(operand))
        return self.bounded(node, tok if isinstance(tok, Token) else operand)

    def transpose(self, items: list[Any]) -> Syntax:
        return self.bounded(self._postfix(items[0], lambda x: Postfix("transpose", x, None, x.pos)),
                             items[1])

    def inverse_transpose(self, items: list[Any]) -> Syntax:
        return self.bounded(self._postfix(items[0], lambda x: Postfix(
            "transpose", Postfix("power", x, Fraction(-1), x.pos), None, x.pos)), items[1])

    def power(self, items: list[Any]) -> Syntax:
        k = _exponent(items[1], self.text)
        if isinstance(items[0], Binary) and self._open_power(items[0]):  # a^b^2 is a^(b²)
            return self.bounded(self._raise_exponent(items[0], lambda x: Postfix("power", x, k, x.pos)),
                                items[1])
        return self.bounded(self._postfix(items[0], lambda x: Postfix("power", x, k, x.pos)), items[1])

    def hpower(self, items: list[Any]) -> Syntax:
        k = _exponent(items[1], self.text)
        return self.bounded(self._postfix(items[0], lambda x: Postfix("hpower", x, k, x.pos)), items[1])

    def filled(self, items: list[Any]) -> Syntax:
        """vector(c), matrix(c): a call the typing step sizes (typer.FILLED)."""
        tok, arg = items
        return self.bounded(Call(tok.value, (arg,), _pos(tok)), tok)

    def power_expr(self, items: list[Any]) -> Syntax:
        return self._power_expr("power", items)

    def hpower_expr(self, items: list[Any]) -> Syntax:
        return self._power_expr("hpower", items)

    def _power_expr(self, op: str, items: list[Any]) -> Syntax:
        """a^b, x.^y with an expression exponent.  As for a postfix, a letter run binds by
        its letter next to the operator: AX^b is A·X^b, a^bc is a^b·c; and a chain reads
        from the right, a^b^c = a^(b^c), as number exponents do."""
        base, tok, exponent = items
        pieces = self._run_pieces(exponent)
        exponent, rest = (pieces[0], pieces[1:]) if pieces else (exponent, [])
        node: Syntax
        if isinstance(base, Binary) and self._open_power(base):
            node = self._raise_exponent(base, lambda x: Binary(op, x, exponent, x.pos))
        else:
            node = self._postfix(base, lambda x: Binary(op, x, exponent, x.pos))
            last = self._run_pieces(node)
            made = last[-1] if last else node
            self.open_powers[id(made)] = made
        for piece in rest:
            node = Binary("matmul", node, piece, node.pos)
        return self.bounded(node, tok)

    def _open_power(self, node: Syntax) -> bool:
        return isinstance(node, Binary) and self.open_powers.get(id(node)) is node

    def _raise_exponent(self, power: Binary, make: Callable[[Syntax], Syntax]) -> Binary:
        """a^b raised to c, unparenthesized: a^(b^c), down the chain of exponents (`make`
        raises the last exponent: to an expression, or to a number, a^b^2 = a^(b²))."""
        right = (self._raise_exponent(power.right, make)
                 if isinstance(power.right, Binary) and self._open_power(power.right) else make(power.right))
        self.open_powers[id(right)] = right
        node = Binary(power.op, power.left, right, power.pos)
        self.open_powers[id(node)] = node
        return node

    def call(self, items: list[Any]) -> Syntax:
        tok, args = items
        func = ALIASES.get(tok.value, tok.value)
        return self.bounded(Call(func, tuple(args), _pos(tok)), tok)

    # -- NumPy code (docs/syntax.md) ---------------------------------------------------
    at = _binary("matmul")  # A @ B
    np_times = _binary("times")  # * : elementwise, or scaling by a scalar
    np_over = _binary("over")  # / : elementwise, or division by a scalar

    def np_power(self, items: list[Any]) -> Syntax:
        """x**k is the elementwise power x.^k (chains of ** read from the right, as in Python)."""
        tok = items[1]
        k = _exponent(Token("HPOWER", "." + tok.value.replace("**", "^"), tok.start_pos, tok.line,
                            tok.column), self.text)
        return self.bounded(self._postfix(items[0], lambda x: Postfix("hpower", x, k, x.pos)), tok)

    def np_call(self, items: list[Any]) -> Syntax:
        tok, args = items
        name = tok.value.split(".", 1)[1]
        func = NUMPY_FUNCTIONS.get(name)
        if func is None or func not in FUNCTIONS:
            known = ", ".join(f"np.{n}" for n, f in NUMPY_FUNCTIONS.items() if f in FUNCTIONS)
            raise _error_at(f"matcalc does not read the NumPy function '{tok.value}'; it reads "
                            f"{known}", self.text, tok)
        return self.bounded(Call(func, tuple(args), _pos(tok)), tok)

    def arguments(self, items: list[Any]) -> list[Syntax]:
        return list(items)

    def indices(self, items: list[Token]) -> tuple[str, ...]:
        return tuple(normalize_name(tok.value) for tok in items)

    def entry(self, items: list[Any]) -> Syntax:
        operand, indices = items
        return self.bounded(self._postfix(operand, lambda x: Indexed(x, indices, x.pos)), operand)

    def index_form(self, items: list[Any]) -> Syntax:
        indices, body = items[0], items[-1]
        return self.bounded(IndexForm(indices, body, _pos(items[1])), items[1])

    def norm(self, items: list[Any]) -> Syntax:
        opening, arg = items[0], items[1]
        sub = items[3].value if len(items) > 3 else "2"
        func = "norm1" if "1" in sub or "₁" in sub else "norm2"
        return self.bounded(Call(func, (arg,), _pos(opening)), opening)

    def _check_unknown_function(self, left: Syntax, right: Syntax) -> None:
        """A run of two or more letters written right before "(" (`tahn(x)`, `foo(x)`)
        meant a call far more often than the product t·a·h·n·(x): an error that names the
        word and the functions it is near.  With a space (`ab (x + y)`) or `*` it is a product."""
        run = _letter_run(left)
        if run is None or not isinstance(right, (Binary, Neg, Postfix, Call, Name, Number, Sized)):
            return
        word, end_col, line = run
        if self.line_starts is None:
            self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        at = self.line_starts[line - 1] + end_col - 1 if line <= len(self.line_starts) else None
        if at is None or at >= len(self.text) or self.text[at] != "(":
            return
        start = Pos(line, end_col - len(word))
        raise ParseError(unknown_function_message(word), self.text, start.line, start.column)


def unknown_function_message(word: str) -> str:
    """`tahn` → did you mean tanh or tan; `foo` → the list of functions.  Either way: how
    to write the product instead."""
    near = sorted(difflib.get_close_matches(word, NAMES, n=5, cutoff=0.6),
                  key=lambda name: (_edits(word, name), abs(len(name) - len(word))))[:3]
    if near:
        options = ", ".join(repr(n) for n in near[:-1]) + (" or " if len(near) > 1 else "") + repr(near[-1])
        return f"unknown function '{word}'; did you mean {options}? (for a product, write '{word} (…)')"
    return (f"unknown function '{word}' (the functions are {', '.join(sorted(FUNCTIONS))}); for a "
            f"product, write '{word} (…)' or '{'*'.join(word)}*(…)'")


def _edits(a: str, b: str) -> int:
    """Edits from a to b, a swap of neighbours counting as one (tahn → tanh is one)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        previous2, previous = previous, row
    return previous[-1]


# The parse in progress.  Lark binds its callbacks once, when the grammar is loaded, while
# each parse needs its own text and declared names: the callbacks look the parse up here.
# A context variable, set and reset around each parse, so threads and nested parses each
# see their own.
_ACTIVE: ContextVar[_ToSyntax] = ContextVar("matcalc_parse")


class _Reductions:
    """The callbacks Lark binds at load time: rule alias → that method of the active parse."""

    def __getattr__(self, rule: str) -> Callable[[list[Any]], Any]:
        method = getattr(_ToSyntax, rule, None) if not rule.startswith("_") else None
        if method is None:
            raise AttributeError(rule)
        return lambda items: method(_ACTIVE.get(), items)


@functools.cache
def _latex_functions() -> dict[str, str]:
    """The registry's LaTeX column read backwards: \\exp → exp, \\log\\det → logdet,
    \\operatorname{norm}_1 → norm1 (what the printer writes reads back)."""
    return {re.sub(r"\s+", "", row.latex): row.name for row in FUNCTIONS.values()}


def _latex_hint(command: str) -> str:
    """A suggestion for an unknown LaTeX command: the Greek letter or function it resembles."""
    close = difflib.get_close_matches(command[1:], [*GREEK_LETTERS, *NAMES], n=1, cutoff=0.75)
    return f"; did you mean \\{close[0]}?" if close else " (docs/syntax.md, \"From a paper\", lists what is read)"


def is_latex(text: str) -> bool:
    """Whether `text` is read as LaTeX when no syntax is named: it has a backslash."""
    return "\\" in text


def unknown_calls(text: str, declared: Collection[str] = ()) -> list[str]:
    """Words of two or more letters written right before "(" that name no function and no
    declared variable: `foo(x)` reads as the product f·o·o·x, which is rarely what was meant,
    so an error about that product mentions them."""
    known = {*NAMES, *declared, "vector", "matrix"}
    words = (m.group(1) for m in re.finditer(r"(?<![A-Za-z0-9_])([A-Za-z][A-Za-z0-9_]+)\(", text))
    return list(dict.fromkeys(w for w in words if w not in known))


def _letter_run(node: Syntax) -> tuple[str, int, int] | None:
    """The letters of a juxtaposed chain of one-letter names ending at the right, written
    without spaces, with the column just after it: `tahn` from t·a·h·n (and from 2·t·a·h·n
    or W_1·t·a·h·n); None for fewer than two letters."""
    letters: list[Name] = []
    while True:
        last = node.right if isinstance(node, Binary) and node.op == "matmul" else node
        if not (isinstance(last, Name) and len(last.name) == 1 and last.name.isalpha()):
            break
        if letters and (last.pos.line != letters[-1].pos.line or last.pos.column != letters[-1].pos.column - 1):
            break
        letters.append(last)
        if last is node:
            break
        node = node.left  # type: ignore[union-attr]
    if len(letters) < 2:
        return None
    letters.reverse()
    return "".join(n.name for n in letters), letters[-1].pos.column + 1, letters[0].pos.line


def _too_deep_parenthesis(text: str, opening: str = "(", closing: str = ")") -> tuple[int, int] | None:
    """Line and column of the first "(" nested more than MAX_DEPTH deep: a quick check
    before parsing, so that a wall of parentheses costs no parse at all.  (LaTeX's braces
    group too: they count with the parentheses there.)"""
    if sum(text.count(ch) for ch in opening) <= MAX_DEPTH:  # the usual case, counted in C
        return None
    depth, line, start = 0, 1, 0
    for i, ch in enumerate(text):
        if ch in opening:
            depth += 1
            if depth > MAX_DEPTH:
                return line, i - start + 1
        elif ch in closing:
            depth -= 1
        elif ch == "\n":
            line, start = line + 1, i + 1
    return None


def _describe(token_type: str, value: str) -> str:
    if token_type == "$END":
        return "end of input"
    return f"'{value}'" if value else TOKEN_NAMES.get(token_type, token_type)


def _expected(expected: Collection[str]) -> str:
    if set(expected) & OPERAND_STARTS and set(expected) != {"LBRACE"}:  # after \\sqrt: only {
        return "an operand (a name, number, '(' or function)"
    names = sorted({TOKEN_NAMES.get(e, e) for e in expected})
    return " or ".join(names[:4]) if names else "something else"


def _parse_error(exc: UnexpectedInput, text: str) -> ParseError:
    line, column = getattr(exc, "line", 1) or 1, getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = text[pos] if pos is not None and pos < len(text) else ""
        if ch in CYRILLIC_LOOKALIKES:
            return ParseError(f"{_letter_name(ch)} '{ch}' looks like Latin '{CYRILLIC_LOOKALIKES[ch]}': "
                              f"write '{CYRILLIC_LOOKALIKES[ch]}'", text, line, column)
        shown = repr(ch) if not ch.isprintable() or ch.isspace() else f"'{ch}'"
        return ParseError(f"unexpected character {shown}", text, line, column)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            lines = text.split("\n")
            line, column = len(lines), len(lines[-1]) + 1
        return ParseError(f"unexpected {_describe(tok.type, tok.value)}; expected "
                          f"{_expected(exc.expected)}", text, line, column)
    return ParseError("cannot read the expression", text, line, column)


SYNTAXES = ("auto", "text", "latex")


def parse_syntax(text: str, declared: Collection[str] = (), syntax: str = "auto") -> Syntax:
    """The syntax tree of `text`; `declared` are the (canonical) names declared with shapes,
    which may be longer than one letter.  `syntax` "latex" reads LaTeX, "text" matcalc's
    text, and "auto" LaTeX where the text has a backslash."""
    if syntax not in SYNTAXES:
        raise ParseError(f"syntax must be one of {', '.join(map(repr, SYNTAXES))}, got {syntax!r}")
    if not isinstance(text, str):
        raise ParseError(f"an expression must be text, got {type(text).__name__}")
    if not text.strip():
        raise ParseError("empty expression", text, 1, 1)
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression of {len(text):,} characters; at most {MAX_LENGTH:,} are "
                         "accepted")
    latex = syntax == "latex" or (syntax == "auto" and is_latex(text))
    too_deep = _too_deep_parenthesis(text, "({", ")}") if latex else _too_deep_parenthesis(text)
    if too_deep:
        raise ParseError(f"expression nested more than {MAX_DEPTH} levels deep ({DEPTH_HINT})",
                         text, *too_deep)
    builder = _ToSyntax(text, declared)
    active = _ACTIVE.set(builder)
    try:
        grammar = "latex.lark" if latex else "matcalc.lark"
        tree: Syntax = _lark(grammar).parse(text)  # type: ignore[assignment]  # what the rule methods return
        return builder.bounded(tree, tree)  # a letter run alone: no callback saw it
    except UnexpectedInput as exc:
        raise _parse_error(exc, text) from None
    except RecursionError:
        raise ParseError("expression nested too deeply", text, 1, 1) from None
    except lark.exceptions.LarkError as exc:
        raise ParseError(f"cannot read the expression ({exc})", text, 1, 1) from None
    finally:
        _ACTIVE.reset(active)
