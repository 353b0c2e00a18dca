"""Derivation time: matcalc.derive against SymPy's MatrixSymbol.diff and tensorgrad's
Derivative + simplify, on the same expressions in the same run; and matcalc's growth with
the depth L of an MLP loss.

    python tests/benchmarks/bench_derive.py [--rounds 15] [--json out.json]

Contenders run interleaved (each round times every contender once per expression), the
median per (expression, contender) is reported with its ratio to matcalc.  As in timeit,
garbage collection is paused during each timed call, so no contender pays for
collecting another's garbage.  SymPy and
tensorgrad are optional: a contender that is not installed, or fails on an expression,
is reported as such.  Nothing here asserts a time: the machine is noisy (2 cores).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import matcalc


@dataclass
class Case:
    name: str
    expr: str
    wrt: str
    shapes: dict
    sympy: Callable | None = None       # () -> zero-arg callable doing the derivative
    tensorgrad: Callable | None = None
    timings: dict = field(default_factory=dict)


# -- transcriptions ------------------------------------------------------------------
def _sympy_cases():
    import sympy as sp
    from sympy import MatrixSymbol, Symbol

    m, n, p = Symbol("m"), Symbol("n"), Symbol("p")
    X, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)
    A, x, a = MatrixSymbol("A", n, n), MatrixSymbol("x", n, 1), MatrixSymbol("a", n, 1)
    Xs = MatrixSymbol("X", n, n)
    B, C = MatrixSymbol("B", p, n), MatrixSymbol("C", n, p)
    u, v = MatrixSymbol("u", m, 1), MatrixSymbol("v", n, 1)
    W1, W2 = MatrixSymbol("W1", p, n), MatrixSymbol("W2", m, p)
    W = MatrixSymbol("W", m, n)
    r = X * w - y
    t = Symbol("t")
    sig = sp.Lambda(t, 1 / (1 + sp.exp(-t)))
    return {
        "least squares / w": lambda: (r.T * r).diff(w),
        "least squares / X": lambda: (r.T * r).diff(X),
        "xᵀAx / x": lambda: (x.T * A * x).diff(x),
        "uᵀXv / X": lambda: (u.T * X * v).diff(X),
        "tr(BXC) / X": lambda: sp.Trace(B * Xs * C).diff(Xs),
        "tr(XᵀX) / X": lambda: sp.Trace(X.T * X).diff(X),
        "logdet X / X": lambda: sp.log(sp.Determinant(Xs)).diff(Xs),
        "tr(BX⁻¹C) / X": lambda: sp.Trace(B * Xs.I * C).diff(Xs),
        "‖x − a‖ / x": lambda: sp.sqrt((x - a).T * (x - a)).diff(x),
        "logistic / w": lambda: sp.Trace(sp.ones(1, m) * (sp.ones(m, 1) + sp.HadamardProduct(-y, X * w)
                                                          .applyfunc(sp.exp)).applyfunc(sp.log)).diff(w),
        "2-layer MLP / W₁": lambda: ((y - W2 * (W1 * x).applyfunc(sig)).T
                                    * (y - W2 * (W1 * x).applyfunc(sig)) / 2).diff(W1),
        "softmax CE / W": lambda: (-u.T * ((W * x).applyfunc(sp.exp) / (sp.ones(1, m) * (W * x)
                                                                          .applyfunc(sp.exp))[0, 0])
                                   .applyfunc(sp.log)).diff(W),
    }


def _tensorgrad_cases():
    import sympy as sp
    import tensorgrad.functions as F
    from tensorgrad import Variable

    i, j, k, n, p = sp.symbols("i j k n p")

    def case(build):
        """build() -> (f, variable); built lazily so one failing transcription stays one row."""
        def run():
            f, var = build()
            return f.grad(var).simplify()
        return run

    def least_squares(wrt):
        X, w, y = Variable("X", i, j), Variable("w", j), Variable("y", i)
        r = X @ w - y
        return r @ r, {"w": w, "X": X}[wrt]

    def square():
        return Variable("X", i=n, j=n)

    def quadratic():
        A, x = Variable("A", i=n, j=n), Variable("x", i=n)
        return x @ A @ x.rename(i="j"), x

    def bilinear():
        u, X, v = Variable("u", i), Variable("X", i, j), Variable("v", j)
        return u @ X @ v, X

    def trace_bxc():
        X = square()
        return Variable("B", k=p, i=n) @ X @ Variable("C", j=n, k=p), X

    def trace_btxc_inverse():
        X = square()
        return Variable("B", k=p, i=n) @ F.inverse(X) @ Variable("C", j=n, k=p), X

    def logdet():
        X = square()
        return F.log(F.det(X)), X

    def frobenius():
        X = Variable("X", i, j)
        return F.frobenius2(X), X

    def distance():
        x, a = Variable("x", i), Variable("a", i)
        return F.sqrt(F.frobenius2(x - a)), x

    def logistic():
        X, w, y = Variable("X", i, j), Variable("w", j), Variable("y", i)
        return F.sum(F.log(1 + F.exp(-1 * (y * (X @ w))))), w

    def mlp():
        W1, W2 = Variable("W1", k, j), Variable("W2", i, k)
        x, y = Variable("x", j), Variable("y", i)
        return F.frobenius2(y - W2 @ F.sigmoid(W1 @ x)) / 2, W1

    def softmax_ce():
        W, x, u = Variable("W", i, j), Variable("x", j), Variable("u", i)
        return -1 * (u @ F.log(F.softmax(W @ x, dim="i"))), W

    return {
        "least squares / w": case(lambda: least_squares("w")),
        "least squares / X": case(lambda: least_squares("X")),
        "xᵀAx / x": case(quadratic),
        "uᵀXv / X": case(bilinear),
        "tr(BXC) / X": case(trace_bxc),
        "tr(XᵀX) / X": case(frobenius),
        "logdet X / X": case(logdet),
        "tr(BX⁻¹C) / X": case(trace_btxc_inverse),
        "‖x − a‖ / x": case(distance),
        "logistic / w": case(logistic),
        "2-layer MLP / W₁": case(mlp),
        "softmax CE / W": case(softmax_ce),
    }


CASES = [
    Case("least squares / w", "(Xw-y)^T(Xw-y)", "w", {}),
    Case("least squares / X", "(Xw-y)^T(Xw-y)", "X", {}),
    Case("xᵀAx / x", "x'Ax", "x", {}),
    Case("uᵀXv / X", "u'Xv", "X", {}),
    Case("tr(BXC) / X", "tr(BXC)", "X", {"B": ("p", "n"), "X": ("n", "n"), "C": ("n", "p")}),
    Case("tr(XᵀX) / X", "tr(X'X)", "X", {}),
    Case("logdet X / X", "logdet(X)", "X", {}),
    Case("tr(BX⁻¹C) / X", "tr(B inv(X) C)", "X", {}),
    Case("‖x − a‖ / x", "‖x − v‖", "x", {}),
    Case("logistic / w", "sum(log(1 + exp(-y .* (X*w))))", "w", {}),
    Case("2-layer MLP / W₁", "½‖y − W₂σ(W₁x)‖²", "W1", {}),
    Case("softmax CE / W", "-u'log(softmax(Wx))", "W", {}),
]


def _attach(cases: list[Case]) -> dict[str, str]:
    status = {}
    for name, loader in (("sympy", _sympy_cases), ("tensorgrad", _tensorgrad_cases)):
        try:
            table = loader()
            status[name] = "installed"
        except ImportError as exc:
            status[name] = f"not installed ({exc.name})"
            continue
        except Exception as exc:  # a transcription that cannot even be built
            status[name] = f"unavailable ({type(exc).__name__}: {exc})"
            continue
        for case in cases:
            setattr(case, name, table.get(case.name))
    return status


def _is_zero(result: object) -> bool:
    return bool(getattr(result, "is_ZeroMatrix", False)) or (
        getattr(result, "is_zero", None) is True) or type(result).__name__ == "Zero"


def _time(fn: Callable[[], object]) -> float | str:
    """Seconds, or why there is no time: a failure, or a wrong zero result (every case
    here has a nonzero derivative; SymPy returns 0 for log det)."""
    gc.disable()  # as timeit: no contender pays for collecting another's garbage
    try:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    except Exception as exc:
        return f"fails: {type(exc).__name__}"
    finally:
        gc.enable()
    return "wrong: returns 0" if _is_zero(result) else elapsed


def run_cases(rounds: int) -> list[Case]:
    for case in CASES:  # warm up: grammar load, imports, caches of the contenders
        matcalc.derive(case.expr, wrt=case.wrt, shapes=case.shapes or None)
    for _ in range(rounds):
        for case in CASES:
            contenders = {"matcalc": lambda c=case: matcalc.derive(c.expr, wrt=c.wrt, shapes=c.shapes or None)}
            if case.sympy:
                contenders["sympy"] = case.sympy
            if case.tensorgrad:
                contenders["tensorgrad"] = case.tensorgrad
            for name, fn in contenders.items():
                result = _time(fn)
                case.timings.setdefault(name, []).append(result)
    return CASES


def _median(values: list) -> float | str:
    numbers = [v for v in values if isinstance(v, float)]
    return statistics.median(numbers) if numbers else values[0]


# -- MLP depth scaling ---------------------------------------------------------------
def mlp_loss(layers: int) -> tuple[str, dict]:
    """½‖y − W_L σ(… σ(W_1 x + b_1) …) − b_L‖² with declared shapes."""
    shapes: dict = {"x": ("n0",), "y": (f"n{layers}",)}
    a = "x"
    for k in range(1, layers + 1):
        shapes[f"W{k}"] = (f"n{k}", f"n{k - 1}")
        shapes[f"b{k}"] = (f"n{k}",)
        z = f"W{k}({a}) + b{k}"
        a = f"σ({z})" if k < layers else z
    return f"½‖y − ({a})‖²", shapes


MLP_CHILD = r"""
import statistics, sys, time
contender, layers, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, sys.argv[4])
from bench_derive import mlp_loss
times = []
if contender == "matcalc":
    import matcalc
    text, shapes = mlp_loss(layers)
    run = lambda: matcalc.derive(text, wrt="W1", shapes=shapes)
elif contender == "tensorgrad":
    import sympy as sp, tensorgrad.functions as F
    from tensorgrad import Variable
    dims = sp.symbols(" ".join(f"d{k}" for k in range(layers + 1)))
    x = Variable("x", dims[0]); W = [None]; b = [None]
    a = x
    for k in range(1, layers + 1):
        Wk = Variable(f"W{k}", dims[k], dims[k - 1]); W.append(Wk)
        z = Wk @ a + Variable(f"b{k}", dims[k])
        a = F.sigmoid(z) if k < layers else z
    loss = F.frobenius2(Variable("y", dims[layers]) - a) / 2
    run = lambda: loss.grad(W[1]).simplify()
else:
    import sympy as sp
    from sympy import MatrixSymbol, Symbol
    t = Symbol("t"); sig = sp.Lambda(t, 1 / (1 + sp.exp(-t)))
    dims = [Symbol(f"n{k}") for k in range(layers + 1)]
    x = MatrixSymbol("x", dims[0], 1); a = x; W1 = None
    for k in range(1, layers + 1):
        Wk = MatrixSymbol(f"W{k}", dims[k], dims[k - 1]); W1 = W1 or Wk
        z = Wk * a + MatrixSymbol(f"b{k}", dims[k], 1)
        a = z.applyfunc(sig) if k < layers else z
    r = MatrixSymbol("y", dims[layers], 1) - a
    run = lambda: (r.T * r / 2).diff(W1)
run()
import gc
for _ in range(rounds):
    gc.disable()
    start = time.perf_counter(); run(); times.append(time.perf_counter() - start)
    gc.enable()
print(statistics.median(times))
"""


def run_mlp(contender: str, depths: list[int], rounds: int, timeout: float) -> dict[int, float | str]:
    out: dict[int, float | str] = {}
    here = str(__import__("pathlib").Path(__file__).resolve().parent)
    for layers in depths:
        try:
            proc = subprocess.run([sys.executable, "-c", MLP_CHILD, contender, str(layers), str(rounds), here],
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            out[layers] = f"timeout > {timeout:.0f} s"
            break
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            out[layers] = "fails: " + last.split(":")[0][:40]
            break
        out[layers] = float(proc.stdout.strip())
    return out


def growth_exponent(points: dict[int, float | str]) -> float | None:
    """Least-squares slope of log(time) against log(L)."""
    xs = [math.log(L) for L, t in points.items() if isinstance(t, float)]
    ys = [math.log(t) for t in points.values() if isinstance(t, float)]
    if len(xs) < 3:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sum((a - mx) ** 2 for a in xs)


# -- report ---------------------------------------------------------------------------
def _ms(v: float | str) -> str:
    return f"{v * 1e3:.2f} ms" if isinstance(v, float) else v


def report(cases: list[Case], status: dict, mlp: dict, rounds: int) -> tuple[str, dict]:
    lines = [f"Derivation time, median of {rounds} interleaved rounds (ratio = contender / matcalc)", "",
             "| expression | matcalc | SymPy | ratio | tensorgrad | ratio |", "| --- | --- | --- | --- | --- | --- |"]
    ratios: dict[str, list[float]] = {"sympy": [], "tensorgrad": []}
    data: dict = {"status": status, "cases": {}, "mlp": {}}
    for case in cases:
        row = {name: _median(values) for name, values in case.timings.items()}
        data["cases"][case.name] = row
        base = row["matcalc"]
        cells = [case.name, _ms(base)]
        for name in ("sympy", "tensorgrad"):
            value = row.get(name, status[name] if status[name] != "installed" else "no transcription")
            ratio = value / base if isinstance(value, float) and isinstance(base, float) else None
            if ratio:
                ratios[name].append(ratio)
            cells += [_ms(value), f"{ratio:.0f}×" if ratio else "—"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for name, values in ratios.items():
        if values:
            med = statistics.median(values)
            data[f"median_ratio_{name}"] = med
            lines.append(f"Median ratio {name}/matcalc over {len(values)} expressions: {med:.0f}×")
    lines += ["", "MLP loss ½‖y − W_L σ(…σ(W₁x + b₁)…) − b_L‖² wrt W₁, median time by depth L:", "",
              "| L | " + " | ".join(mlp) + " |", "| --- |" + " --- |" * len(mlp)]
    depths = sorted({L for points in mlp.values() for L in points})
    for L in depths:
        lines.append(f"| {L} | " + " | ".join(_ms(mlp[c].get(L, "—")) for c in mlp) + " |")
    exps = {c: growth_exponent(points) for c, points in mlp.items()}
    lines.append("| growth exponent | " + " | ".join(f"L^{e:.2f}" if e is not None else "—"
                                                     for e in exps.values()) + " |")
    data["mlp"] = {c: {str(L): t for L, t in points.items()} for c, points in mlp.items()}
    data["growth_exponent"] = exps
    return "\n".join(lines), data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--depths", default="1,2,4,8,16")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per MLP depth and contender")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    status = _attach(CASES)
    cases = run_cases(args.rounds)
    depths = [int(d) for d in args.depths.split(",")]
    mlp = {"matcalc": run_mlp("matcalc", depths, args.rounds, args.timeout)}
    for name in ("sympy", "tensorgrad"):
        if status[name] == "installed":
            mlp[name] = run_mlp(name, depths, max(3, args.rounds // 5), args.timeout)
    text, data = report(cases, status, mlp, args.rounds)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
