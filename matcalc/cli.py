"""Command line: `matcalc derive EXPR --wrt NAME [--shape NAME=DIMS ...] [--format ...]`.

Exit status: 0 on success, 1 on a MatcalcError (one line on stderr, no traceback),
2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from . import __version__
from .api import derive
from .errors import MatcalcError

FORMATS = ("latex", "text", "json")


def _shape(spec: str) -> tuple[str, tuple[str | int, ...]]:
    """'X=m,n' → ('X', ('m', 'n')); 'x=n' → vector; 'a=' or 'a=()' → scalar; ints stay ints."""
    name, sep, dims = spec.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=DIMS (like X=m,n or a=), got {spec!r}")
    dims = dims.strip().strip("()")
    parts = [d.strip() for d in dims.split(",")] if dims else []
    if any(not p for p in parts):
        raise argparse.ArgumentTypeError(f"empty dimension in {spec!r}")
    return name.strip(), tuple(int(p) if p.isdigit() else p for p in parts)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matcalc", description="Symbolic matrix calculus.")
    parser.add_argument("--version", action="version", version=f"matcalc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    d = commands.add_parser("derive", help="derive an expression and print the result",
                            description="Print ∂EXPR/∂NAME (LaTeX by default).")
    d.add_argument("expr", metavar="EXPR", help="the expression, or - to read it from stdin")
    d.add_argument("--wrt", required=True, action="append", metavar="NAME",
                   help="the variable (repeat for higher derivatives)")
    d.add_argument("--shape", action="append", type=_shape, default=[], metavar="NAME=DIMS",
                   help="declare a shape: X=m,n (matrix), x=n (vector), a= (scalar)")
    d.add_argument("--format", choices=FORMATS, default="latex")
    return parser


def _read_expression(arg: str) -> str:
    if arg != "-":
        return arg
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise MatcalcError(f"standard input is not valid UTF-8 (byte {exc.start})") from None


def _run(args: argparse.Namespace) -> str:
    expr = _read_expression(args.expr)
    shapes = dict(args.shape) or None
    d = derive(expr, wrt=args.wrt if len(args.wrt) > 1 else args.wrt[0], shapes=shapes)
    if args.format == "text":
        return str(d)
    if args.format == "json":
        return json.dumps({"expression": expr, "wrt": list(d.wrt), "shape": list(d.shape),
                           "text": str(d), "latex": d.latex}, ensure_ascii=False)
    return d.latex


def _undecodable(argv: Sequence[str]) -> str | None:
    """A message for the first argument that was not valid UTF-8: Python hands such bytes
    over as lone surrogates (\\udcff for 0xff), which no later stage could print."""
    for i, arg in enumerate(argv, 1):
        bad = next((ch for ch in arg if "\udc80" <= ch <= "\udcff"), None)
        if bad is not None:
            return (f"argument {i} is not valid UTF-8 (byte 0x{ord(bad) - 0xDC00:02x} at "
                    f"character {arg.index(bad) + 1})")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    bad = _undecodable(sys.argv[1:] if argv is None else argv)
    if bad:
        print(f"matcalc: error: {bad}", file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    try:
        print(_run(args))
    except MatcalcError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"matcalc: error: {first_line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    return 0
