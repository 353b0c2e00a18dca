"""The only exception types that leave the public API."""

from __future__ import annotations


class MatcalcError(Exception):
    """Base class: every failure a user can cause is one of these."""


class ParseError(MatcalcError):
    """Text that does not follow the grammar; carries the position and a caret snippet."""

    def __init__(self, message: str, text: str = "", line: int = 0, column: int = 0) -> None:
        self.line, self.column, self.text = line, column, text
        self.reason = message
        if line:
            message = f"{message} at line {line}, column {column}\n{caret_snippet(text, line, column)}"
        super().__init__(message)


class LocatedError(MatcalcError):
    """An error at a place in the input, where that is known: `line` and `column` (1-based;
    0 when the error belongs to no one place) are fields, and the message ends with them."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        self.line, self.column = line, column
        self.reason = message
        super().__init__(f"{message} (at line {line}, column {column})" if line else message)


class ShapeError(LocatedError):
    """Operands whose dimensions cannot agree; the message names operands and shapes."""


class UnsupportedError(LocatedError):
    """A name, function or operation matcalc does not know or cannot differentiate."""


class LimitError(UnsupportedError):
    """Work or output beyond a documented limit (docs/limits.md): refused before it is done."""


class EvaluationError(MatcalcError):
    """Missing or wrongly shaped arrays, or a value where the expression is undefined."""


class UndefinedValueError(EvaluationError):
    """The arrays are fine but the expression has no finite value there (log 0, a
    singular matrix, overflow); the message names the node where that happens."""


def caret_snippet(text: str, line: int, column: int) -> str:
    """The offending line with a caret under `column` (both 1-based)."""
    lines = text.splitlines() or [""]
    src = lines[min(max(line, 1), len(lines)) - 1]
    column = max(column, 1)
    if len(src) > 2 * SNIPPET_HALF:  # a long line: the part around the column
        start = max(column - 1 - SNIPPET_HALF, 0)
        end = start + 2 * SNIPPET_HALF
        src, column = ("…" if start else "") + src[start:end] + ("…" if end < len(src) else ""), \
            column - start + (1 if start else 0)
    return f"  {src}\n  {' ' * (column - 1)}^"


SNIPPET_HALF = 40


class MatcalcWarning(UserWarning):
    """Something that is valid but probably not what was meant (a wrt name that does not
    occur in the expression); the CLI prints it as a note."""
