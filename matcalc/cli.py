"""Command line: `matcalc derive EXPR --wrt NAME [--shape NAME=DIMS ...] [--format ...] [--steps]`
and `matcalc mlp --layers 784,500,10 [--hidden relu] [--loss ...] [--format numpy|latex]`.

Exit status: 0 on success, 1 on a MatcalcError (one line on stderr, no traceback),
2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence

from .version import __version__
from .api import derive, mlp
from .errors import MatcalcError, MatcalcWarning
from .expr import Var
from .mlp import LAYOUTS, LOSSES
from .printing import to_latex
from .shapes import declared_dims
from .steps import Step

FORMATS = ("latex", "text", "json", "numpy")


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
    d.add_argument("--latex", action="store_const", const="latex", default="auto", dest="syntax",
                   help="read EXPR as LaTeX (an EXPR with a backslash is read so anyway)")
    d.add_argument("--steps", action="store_true",
                   help="print the derivation step by step before the result")
    d.add_argument("--name", default=None, metavar="NAME",
                   help="with --format numpy: the generated function's name")
    d.add_argument("--value", action="store_true",
                   help="with --format numpy: return (value, derivative), sharing their work")
    m = commands.add_parser("mlp", help="generate a multilayer perceptron's backprop as NumPy code",
                            description="Print a NumPy module (init_params, forward, backward, "
                                        "sgd_step) or the LaTeX equations of its δ recursion.")
    m.add_argument("--layers", required=True, type=_sizes, metavar="N0,N1,...",
                   help="layer sizes from input to output, e.g. 784,500,10")
    m.add_argument("--hidden", default="relu", type=_names, metavar="ACT[,ACT...]",
                   help="hidden activation, or one per hidden layer: identity sigmoid tanh relu")
    m.add_argument("--loss", default="softmax_cross_entropy", choices=tuple(LOSSES))
    m.add_argument("--output", default=None, metavar="ACT",
                   help="output activation for mse: identity (default), sigmoid or tanh")
    m.add_argument("--layout", default="columns", choices=LAYOUTS,
                   help="samples as columns (default, as in the blog posts this method comes from) or as rows")
    m.add_argument("--no-bias", dest="bias", action="store_false", help="layers without biases")
    m.add_argument("--format", choices=("numpy", "latex"), default="numpy")
    m.add_argument("-o", "--out", metavar="FILE", help="write to FILE instead of standard output")
    return parser


def _sizes(text: str) -> list[int]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2 or not all(p.isdigit() and p.isascii() for p in parts):
        raise argparse.ArgumentTypeError(f"expected sizes like 784,500,10, got {text!r}")
    return [int(p) for p in parts]


def _names(text: str) -> str | list[str]:
    parts = [p.strip() for p in text.split(",")]
    return parts[0] if len(parts) == 1 else parts


def _read_expression(arg: str) -> str:
    if arg != "-":
        return arg
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise MatcalcError(f"standard input is not valid UTF-8 (byte {exc.start})") from None


def _run(args: argparse.Namespace) -> str:
    if args.command == "mlp":
        net = mlp(args.layers, hidden=args.hidden, loss=args.loss, output=args.output,
                  layout=args.layout, bias=args.bias)
        return net.source.rstrip("\n") if args.format == "numpy" else net.latex
    expr = _read_expression(args.expr)
    shapes = dict(args.shape) or None
    d = derive(expr, wrt=args.wrt if len(args.wrt) > 1 else args.wrt[0], shapes=shapes,
               syntax=args.syntax)
    if args.format == "numpy":
        if args.steps:
            raise MatcalcError("--steps shows a derivation as text, LaTeX or JSON, not as code")
        return d.numpy_source(name=args.name, value=args.value).rstrip("\n")
    if args.format == "json":
        data: dict[str, object] = {"expression": expr, "wrt": list(d.wrt), "shape": list(d.shape),
                "shapes": {name: list(shape) for name, shape in d.shapes.items()},
                "text": str(d), "latex": d.latex}
        if args.steps:
            data["steps"] = [_step_json(s) for s in d.steps]
        return json.dumps(data, ensure_ascii=False)
    result = str(d) if args.format == "text" else d.latex
    if not args.steps:
        return result
    return "\n".join([_shapes_line(d.shapes, args.format), *_step_lines(d.steps, args.format), result])


def _shapes_line(shapes: dict[str, tuple[str | int, ...]], fmt: str) -> str:
    """The shape of every name, so a reader sees how each was typed (docs/conventions.md)."""
    if fmt == "text":
        return "shapes: " + ", ".join(f"{name}: {'×'.join(map(str, s)) or 'scalar'}"
                                      for name, s in shapes.items())
    return r"\text{shapes: }" + r",\; ".join(
        to_latex(Var(name, declared_dims(name, s))) + r" \in \mathbb{R}"
        + ("^{" + r" \times ".join(map(str, s)) + "}" if s else "") for name, s in shapes.items())


def _step_lines(steps: Sequence[Step], fmt: str) -> list[str]:
    """Text: numbered rule and equation, the justification indented below; LaTeX: one
    self-contained formula per step."""
    lines = []
    for i, s in enumerate(steps, 1):
        informal = " (informal)" if s.informal else ""
        if fmt == "text":
            lines += [f"{i}. {s.rule}{informal}: {s.equation}", f"   {s.justification}"]
        else:
            lines.append(rf"\text{{{i}. }}{s.rule_latex}\text{{{informal}:}}\quad {s.equation_latex}")
    return lines


def _step_json(s: Step) -> dict[str, object]:
    return {"rule": s.rule, "justification": s.justification, "informal": s.informal,
            "differential": s.is_differential, "equation": s.equation, "text": s.text,
            "latex": s.latex}


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise MatcalcError(f"cannot write {path}: {exc.strerror}") from None


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
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always", MatcalcWarning)
            result = _run(args)
        for note in notes:  # (valid, but probably not meant: the output stays as it is)
            if issubclass(note.category, MatcalcWarning):
                print(f"matcalc: note: {note.message}", file=sys.stderr)
            else:
                warnings.showwarning(note.message, note.category, note.filename, note.lineno)
        if getattr(args, "out", None):
            _write(args.out, result + "\n")
        else:
            print(result)
    except MatcalcError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"matcalc: error: {first_line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    return 0
