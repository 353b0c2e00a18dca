"""Derivation time: matcalc.derive against SymPy's MatrixSymbol.diff and tensorgrad's
Derivative + simplify, on the same expressions in the same run; and the growth of the
derivation time with the depth L of an MLP loss.

    python tests/benchmarks/bench_derive.py [--quick] [--rounds 15] [--json out.json]
    python tests/benchmarks/bench_derive.py --only-baselines     # SymPy / tensorgrad alone

Needs only numpy, lark and sympy (and matcalc from this repository); tensorgrad is
optional and reported as "not installed" when absent.  Contenders run interleaved: each
round times every contender once per expression, in an order rotated from round to round,
and the median per (expression, contender) is reported with its ratio to matcalc.  As in
timeit, garbage collection is paused during each timed call.  Nothing here asserts a time:
the machine is noisy (2 cores).  See README.md beside this file.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

# tensorgrad runs on torch, whose OpenMP worker threads otherwise spin for a while after each
# call, taking the two cores from whatever is timed next: matcalc and tensorgrad alike ran
# 1.6–1.8× slower with the spinning (as in bench_mlp.py).  Set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REPO = Path(__file__).resolve().parents[2]
if (REPO / "matcalc" / "__init__.py").is_file():
    sys.path.insert(0, str(REPO))  # benchmark this checkout, installed or not

CONTENDERS = ("matcalc", "sympy", "tensorgrad")
TARGETS = {"sympy": 20.0, "tensorgrad": 10.0, "growth": 1.2}  # from the issue; reported, never asserted


@dataclass
class Case:
    name: str
    expr: str        # matcalc syntax
    wrt: str
    shapes: dict     # declared shapes: every name, so no convention is relied on
    same_as: str = ""  # the case this one writes in another input syntax: its baselines
    runs: dict = field(default_factory=dict)      # contender -> zero-arg callable
    timings: dict = field(default_factory=dict)   # contender -> [seconds | "fails: …"]


CASES = [
    Case("least squares / w", "(Xw − y)ᵀ(Xw − y)", "w", {"X": ("m", "n"), "w": ("n",), "y": ("m",)}),
    Case("least squares / X", "(Xw − y)ᵀ(Xw − y)", "X", {"X": ("m", "n"), "w": ("n",), "y": ("m",)}),
    Case("xᵀAx / x", "xᵀAx", "x", {"A": ("n", "n"), "x": ("n",)}),
    Case("aᵀXb / X", "aᵀXb", "X", {"a": ("m",), "X": ("m", "n"), "b": ("n",)}),
    Case("tr(AXB) / X", "tr(AXB)", "X", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "p")}),
    Case("tr(XᵀX) / X", "tr(XᵀX)", "X", {"X": ("m", "n")}),
    Case("logdet X / X", "logdet(X)", "X", {"X": ("n", "n")}),
    Case("tr(AX⁻¹B) / X", "tr(A X⁻¹ B)", "X", {"A": ("p", "n"), "X": ("n", "n"), "B": ("n", "p")}),
    Case("‖x − a‖ / x", "‖x − a‖", "x", {"x": ("n",), "a": ("n",)}),
    Case("logistic / w", "sum(log(1 + exp(−y ⊙ (Xw))))", "w", {"X": ("m", "n"), "w": ("n",), "y": ("m",)}),
    Case("2-layer MLP / W₁", "½‖y − W₂σ(W₁x)‖²", "W1",
         {"W1": ("h", "n"), "W2": ("m", "h"), "x": ("n",), "y": ("m",)}),
    Case("softmax CE / W", "−yᵀlog(softmax(Wx))", "W", {"W": ("m", "n"), "x": ("n",), "y": ("m",)}),
    # The same derivations read from LaTeX (grammars/latex.lark).
    Case("least squares / w (LaTeX)", r"(X\mathbf{w} - \mathbf{y})^\top (X\mathbf{w} - \mathbf{y})", "w",
         {"X": ("m", "n"), "w": ("n",), "y": ("m",)}, same_as="least squares / w"),
    Case("tr(AXB) / X (LaTeX)", r"\operatorname{tr}(A X B)", "X",
         {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "p")}, same_as="tr(AXB) / X"),
    Case("logdet X / X (LaTeX)", r"\log\det X", "X", {"X": ("n", "n")}, same_as="logdet X / X"),
    Case("2-layer MLP / W₁ (LaTeX)", r"\frac{1}{2}\|\mathbf{y} - W_2 \sigma(W_1 \mathbf{x})\|_2^2", "W1",
         {"W1": ("h", "n"), "W2": ("m", "h"), "x": ("n",), "y": ("m",)}, same_as="2-layer MLP / W₁"),
]


# -- transcriptions ------------------------------------------------------------------------
def _matcalc_runs() -> dict[str, Callable]:
    import matcalc

    def run(case: Case) -> Callable:
        calls = [0]

        def call():
            # A fresh but equivalent input every call (trailing blanks, a copied shape
            # table), so that no cache keyed on the input could flatter matcalc.  (matcalc
            # caches only its grammar object and per-class field lists: built in warm-up.)
            calls[0] += 1
            return matcalc.derive(case.expr + " " * (calls[0] % 16), wrt=case.wrt, shapes=dict(case.shapes))
        return call
    return {case.name: run(case) for case in CASES}


def _sympy_runs() -> dict[str, Callable]:
    """MatrixSymbol with symbolic dimensions; the expression built outside the timing, the
    call timed is .diff(wrt).  Elementwise functions through applyfunc with a Lambda, sums
    through OneMatrix (sympy.ones needs integer sizes): what a user of SymPy would write."""
    import sympy as sp
    from sympy import HadamardProduct, MatrixSymbol, OneMatrix, Symbol, Trace

    m, n, p, h = sp.symbols("m n p h")
    t = Symbol("t")
    sigmoid = sp.Lambda(t, 1 / (1 + sp.exp(-t)))
    X, w, y = MatrixSymbol("X", m, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", m, 1)
    A, x = MatrixSymbol("A", n, n), MatrixSymbol("x", n, 1)
    a_m, b_n, a_n = MatrixSymbol("a", m, 1), MatrixSymbol("b", n, 1), MatrixSymbol("a", n, 1)
    Xs = MatrixSymbol("X", n, n)
    A_pm, B_np, A_pn = MatrixSymbol("A", p, m), MatrixSymbol("B", n, p), MatrixSymbol("A", p, n)
    W1, W2, W = MatrixSymbol("W1", h, n), MatrixSymbol("W2", m, h), MatrixSymbol("W", m, n)
    r = X * w - y
    mlp_r = y - W2 * (W1 * x).applyfunc(sigmoid)
    e = (W * x).applyfunc(sp.exp)
    exprs = {  # name -> (expression, variable)
        "least squares / w": (r.T * r, w),
        "least squares / X": (r.T * r, X),
        "xᵀAx / x": (x.T * A * x, x),
        "aᵀXb / X": (a_m.T * X * b_n, X),
        "tr(AXB) / X": (Trace(A_pm * X * B_np), X),
        "tr(XᵀX) / X": (Trace(X.T * X), X),
        "logdet X / X": (sp.log(sp.Determinant(Xs)), Xs),
        "tr(AX⁻¹B) / X": (Trace(A_pn * Xs.I * B_np), Xs),
        "‖x − a‖ / x": (sp.sqrt((x - a_n).T * (x - a_n)), x),
        "logistic / w": (OneMatrix(1, m) * (OneMatrix(m, 1) + HadamardProduct(-y, X * w).applyfunc(sp.exp))
                         .applyfunc(sp.log), w),
        "2-layer MLP / W₁": (mlp_r.T * mlp_r / 2, W1),
        "softmax CE / W": (-y.T * (e / Trace(OneMatrix(1, m) * e)).applyfunc(sp.log), W),
    }
    return {name: (lambda f=f, v=v: f.diff(v)) for name, (f, v) in exprs.items()}


def _tensorgrad_runs() -> dict[str, Callable]:
    """Variables with named edges and symbolic sizes; the call timed builds the expression
    (as matcalc parses its text) and runs f.grad(x).simplify() (a lazy Derivative, resolved
    by simplify)."""
    import sympy as sp
    import tensorgrad.functions as F
    from tensorgrad import Variable

    i, j, k, n, p = sp.symbols("i j k n p")

    def run(build):
        def call():
            f, var = build()
            return f.grad(var).simplify()
        return call

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
        a, X, b = Variable("a", i), Variable("X", i, j), Variable("b", j)
        return a @ X @ b, X

    def trace_axb():
        X = Variable("X", i, j)
        return Variable("A", k, i) @ X @ Variable("B", j, k), X

    def trace_inverse():
        X = square()
        return Variable("A", k=p, i=n) @ F.inverse(X) @ Variable("B", j=n, k=p), X

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
        W, x, y = Variable("W", i, j), Variable("x", j), Variable("y", i)
        return -1 * (y @ F.log(F.softmax(W @ x, dim="i"))), W

    builds = {
        "least squares / w": lambda: least_squares("w"),
        "least squares / X": lambda: least_squares("X"),
        "xᵀAx / x": quadratic,
        "aᵀXb / X": bilinear,
        "tr(AXB) / X": trace_axb,
        "tr(XᵀX) / X": frobenius,
        "logdet X / X": logdet,
        "tr(AX⁻¹B) / X": trace_inverse,
        "‖x − a‖ / x": distance,
        "logistic / w": logistic,
        "2-layer MLP / W₁": mlp,
        "softmax CE / W": softmax_ce,
    }
    return {name: run(build) for name, build in builds.items()}


LOADERS = {"matcalc": _matcalc_runs, "sympy": _sympy_runs, "tensorgrad": _tensorgrad_runs}
DISTRIBUTIONS = {"matcalc": "matcalc-symbolic", "sympy": "sympy", "tensorgrad": "tensorgrad"}


def _version(name: str) -> str:
    try:
        return metadata.version(DISTRIBUTIONS[name])
    except metadata.PackageNotFoundError:
        return "?"


def attach(cases: list[Case], contenders: tuple[str, ...]) -> dict[str, str]:
    """Load each contender's transcriptions; status is 'installed', 'not installed', …"""
    status = {}
    for name in CONTENDERS:
        if name not in contenders:
            status[name] = "skipped"
            continue
        try:
            table = LOADERS[name]()
        except ImportError as exc:
            status[name] = f"not installed ({exc.name})"
            continue
        except Exception as exc:  # noqa: BLE001 -- a transcription that cannot be built
            status[name] = f"unavailable ({type(exc).__name__}: {exc})"
            continue
        status[name] = "installed"
        for case in cases:
            key = case.name if name == "matcalc" else case.same_as or case.name
            if key in table:
                case.runs[name] = table[key]
    return status


# -- timing ---------------------------------------------------------------------------------
def _is_zero(result: object) -> bool:
    return bool(getattr(result, "is_ZeroMatrix", False)) or (
        getattr(result, "is_zero", None) is True) or type(result).__name__ == "Zero"


def time_call(fn: Callable[[], object], reps: int = 1) -> float | str:
    """Seconds per call (the mean of `reps` calls in a row), or why there is no time: a
    failure, or a zero result (every derivative in the table is nonzero; SymPy returns 0
    for log det)."""
    gc.disable()  # as timeit: no contender pays for collecting another's garbage
    try:
        start = time.perf_counter()
        for _ in range(reps):
            result = fn()
        elapsed = (time.perf_counter() - start) / reps
    except Exception as exc:  # noqa: BLE001
        return f"fails: {type(exc).__name__}"
    finally:
        gc.enable()
    return "wrong: returns 0" if _is_zero(result) else elapsed


def run_cases(cases: list[Case], rounds: int, show: bool = False, loop: float = 0.0) -> None:
    """Interleaved rounds.  With `loop` > 0 each timed entry is the mean of as many calls in
    a row as fill about `loop` seconds (timeit's way: caches warm from the previous call),
    instead of one call right after the other contenders' (caches cold)."""
    reps: dict[tuple[str, str], int] = {}
    for case in cases:  # warm-up: grammar load, lazy imports of the contenders
        for name, fn in case.runs.items():
            try:
                result = fn()
                if loop > 0:  # calibrated on a second call: the first loads grammars and imports
                    start = time.perf_counter()
                    fn()
                    reps[case.name, name] = max(1, int(loop / max(time.perf_counter() - start, 1e-6)))
                if show:
                    print(f"[{name}] {case.name}: {str(result)[:160]}", file=sys.stderr)
            except Exception as exc:  # noqa: BLE001
                if show:
                    print(f"[{name}] {case.name}: {type(exc).__name__}: {str(exc)[:120]}", file=sys.stderr)
    for r in range(rounds):
        for case in cases:
            names = list(case.runs)
            names = names[r % len(names):] + names[:r % len(names)]  # rotate the order
            for name in names:
                n = reps.get((case.name, name), 1) if loop > 0 else 1
                case.timings.setdefault(name, []).append(time_call(case.runs[name], n))


def median(values: list) -> float | str:
    numbers = [v for v in values if isinstance(v, float)]
    if len(numbers) * 2 > len(values):
        return statistics.median(numbers)
    failures = [v for v in values if not isinstance(v, float)]
    return max(set(failures), key=failures.count)


# -- MLP depth scaling ----------------------------------------------------------------------
def mlp_loss(layers: int) -> tuple[str, dict]:
    """½‖y − (W_L σ(… σ(W_1 x + b_1) …) + b_L)‖² in matcalc syntax, with declared shapes."""
    shapes: dict = {"x": ("n0",), "y": (f"n{layers}",)}
    a = "x"
    for k in range(1, layers + 1):
        shapes[f"W{k}"] = (f"n{k}", f"n{k - 1}")
        shapes[f"b{k}"] = (f"n{k}",)
        z = f"W{k}({a}) + b{k}"
        a = f"σ({z})" if k < layers else z
    return f"½‖y − ({a})‖²", shapes


def _mlp_run(contender: str, layers: int) -> Callable[[], object]:
    if contender == "matcalc":
        import matcalc
        text, shapes = mlp_loss(layers)
        return lambda: matcalc.derive(text, wrt="W1", shapes=dict(shapes))
    if contender == "tensorgrad":
        import sympy as sp
        import tensorgrad.functions as F
        from tensorgrad import Variable
        dims = [sp.Symbol(f"n{k}") for k in range(layers + 1)]

        def build_and_derive():
            a = Variable("x", dims[0])
            W1 = None
            for k in range(1, layers + 1):
                Wk = Variable(f"W{k}", dims[k], dims[k - 1])
                W1 = W1 or Wk
                z = Wk @ a + Variable(f"b{k}", dims[k])
                a = F.sigmoid(z) if k < layers else z
            loss = F.frobenius2(Variable("y", dims[layers]) - a) / 2
            return loss.grad(W1).simplify()
        return build_and_derive
    import sympy as sp
    from sympy import MatrixSymbol
    t = sp.Symbol("t")
    sigmoid = sp.Lambda(t, 1 / (1 + sp.exp(-t)))
    dims = [sp.Symbol(f"n{k}") for k in range(layers + 1)]
    a = MatrixSymbol("x", dims[0], 1)
    W1 = None
    for k in range(1, layers + 1):
        Wk = MatrixSymbol(f"W{k}", dims[k], dims[k - 1])
        W1 = W1 or Wk
        z = Wk * a + MatrixSymbol(f"b{k}", dims[k], 1)
        a = z.applyfunc(sigmoid) if k < layers else z
    r = MatrixSymbol("y", dims[layers], 1) - a
    loss = r.T * r / 2
    return lambda: loss.diff(W1)


def mlp_child(contender: str, layers: int, rounds: int, budget: float) -> None:
    """In a subprocess: time one contender at one depth, one line of JSON per timed call.
    Deep expressions recurse deeply in every contender: the recursion limit is raised (in
    a thread with a large stack) as a user would, for all contenders alike."""
    import threading
    sys.setrecursionlimit(200_000)
    threading.stack_size(1 << 29)
    error: list[BaseException] = []

    def work() -> None:
        try:
            run = _mlp_run(contender, layers)
            start = time.perf_counter()
            first = time_call(run)
            if isinstance(first, str):
                print(json.dumps(first), flush=True)
                return
            if first > 1.0:  # warm-up costs are negligible next to a call this long: count it
                print(json.dumps(first), flush=True)
            for _ in range(rounds):
                if time.perf_counter() - start + first > budget:
                    break
                t = time_call(run)
                print(json.dumps(t), flush=True)
                if isinstance(t, str):
                    return
        except BaseException as exc:  # noqa: BLE001 -- reported through the exit status
            error.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if error:
        print(f"{type(error[0]).__name__}: {error[0]}", file=sys.stderr)
        sys.exit(1)


def run_mlp(contender: str, depths: list[int], rounds: int, timeout: float) -> dict[int, float | str]:
    out: dict[int, float | str] = {}
    for layers in depths:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--mlp-child", contender, str(layers),
               str(rounds), str(timeout * 0.5)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
            lines, failed = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as exc:
            raw = exc.stdout or b""
            lines, failed = (raw.decode() if isinstance(raw, bytes) else raw), None
        values = [json.loads(line) for line in lines.splitlines() if line.strip()]
        times = [v for v in values if isinstance(v, float)]
        errors = [v for v in values if isinstance(v, str)]
        if errors:
            out[layers] = errors[0]
        elif failed is None:
            out[layers] = (statistics.median(times) if times else f"timeout > {timeout:.0f} s")
        elif failed != 0:
            if failed < 0:
                out[layers] = f"fails: crash (signal {-failed})"
            else:
                last = (proc.stderr.strip().splitlines() or ["?"])[-1]
                out[layers] = "fails: " + last.split(":")[0][:40]
        elif times:
            out[layers] = statistics.median(times)
        else:
            out[layers] = "fails: no output"
        if not isinstance(out[layers], float):
            break  # deeper ones would fail or time out as well
    return out


def growth_exponent(points: dict[int, float | str]) -> float | None:
    """Least-squares slope of log(time) against log(L), over the depths completed (≥ 3)."""
    done = [(math.log(L), math.log(t)) for L, t in points.items() if isinstance(t, float)]
    if len(done) < 3:
        return None
    mx = statistics.fmean(x for x, _ in done)
    my = statistics.fmean(y for _, y in done)
    return sum((x - mx) * (y - my) for x, y in done) / sum((x - mx) ** 2 for x, _ in done)


# -- report ---------------------------------------------------------------------------------
def _ms(v: float | str) -> str:
    if not isinstance(v, float):
        return v
    return f"{v:.2f} s" if v >= 1 else f"{v * 1e3:.2f} ms"


def _cell(row: dict, name: str, status: dict) -> float | str:
    if status[name] != "installed":
        return status[name].split(" (")[0]
    return row.get(name, "no transcription")


def report(cases: list[Case], status: dict, mlp: dict, rounds: int, depths: list[int],
           loop: float = 0.0) -> tuple[str, dict]:
    names = {"matcalc": "matcalc", "sympy": "SymPy", "tensorgrad": "tensorgrad"}
    env = (f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
           f"{os.cpu_count()} CPUs, " + ", ".join(
               f"{names[c]} {_version(c)}" for c in CONTENDERS if status[c] == "installed"))
    mode = f"each entry the mean of calls in a row over ~{loop} s" if loop > 0 else "one call per entry"
    lines = [(f"Derivation time, median of {rounds} interleaved rounds ({mode}); ratio = contender / "
              f"matcalc ({env})"), "",
             "| expression | matcalc | SymPy | ratio | tensorgrad | ratio |",
             "| --- | --- | --- | --- | --- | --- |"]
    ratios: dict[str, list[float]] = {"sympy": [], "tensorgrad": []}
    data: dict = {"environment": env, "status": status, "rounds": rounds, "loop": loop, "cases": {}, "ratios": {},
                  "mlp": {}, "growth_exponent": {}, "targets": TARGETS}
    for case in cases:
        row = {name: median(values) for name, values in case.timings.items()}
        base = _cell(row, "matcalc", status)
        cells = [case.name, _ms(base)]
        data["cases"][case.name] = {"expr": case.expr, "wrt": case.wrt, "shapes": case.shapes}
        for name in ("sympy", "tensorgrad"):
            value = _cell(row, name, status)
            ratio = value / base if isinstance(value, float) and isinstance(base, float) else None
            if ratio:
                ratios[name].append(ratio)
                data["ratios"].setdefault(name, {})[case.name] = ratio
            cells += [_ms(value), f"{ratio:.0f}×" if ratio else "—"]
        for name in CONTENDERS:
            data["cases"][case.name][name] = _cell(row, name, status)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for name, values in ratios.items():
        if values:
            med = statistics.median(values)
            data[f"median_ratio_{name}"] = med
            lines.append(f"- median ratio {names[name]} / matcalc: **{med:.1f}×** over the {len(values)} "
                         f"expressions {names[name]} completes (target ≥ {TARGETS[name]:.0f}×)")
    if mlp:
        shown = list(mlp)
        lines += ["", ("MLP loss ½‖y − (W_L σ(…σ(W₁x + b₁)…) + b_L)‖² wrt W₁ (median per depth, each "
                  "contender and depth in its own subprocess):"), "",
                  "| L | " + " | ".join(names[c] for c in shown) + " |", "| --- |" + " --- |" * len(shown)]
        for L in depths:
            lines.append(f"| {L} | " + " | ".join(_ms(mlp[c].get(L, "—")) for c in shown) + " |")
        cells = []
        for c in shown:
            e = growth_exponent(mlp[c])
            data["growth_exponent"][c] = e
            done = [L for L, t in mlp[c].items() if isinstance(t, float)]
            cells.append(f"L^{e:.2f} (L = {done[0]}–{done[-1]})" if e is not None
                         else f"— ({len(done)} depth{'s' * (len(done) != 1)} completed)")
        lines.append("| growth exponent | " + " | ".join(cells) + " |")
        if data["growth_exponent"].get("matcalc") is not None:
            lines += ["", (f"- matcalc growth exponent {data['growth_exponent']['matcalc']:.2f} "
                          f"(target ≤ {TARGETS['growth']})")]
        data["mlp"] = {c: {str(L): t for L, t in points.items()} for c, points in mlp.items()}
    return "\n".join(lines), data


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--mlp-child"]:
        contender, layers, rounds, budget = argv[1], int(argv[2]), int(argv[3]), float(argv[4])
        mlp_child(contender, layers, rounds, budget)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="5 rounds, 20 s per MLP depth (a smoke run; figures are noisier)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 15, 5 with --quick)")
    parser.add_argument("--depths", default="1,2,4,8,16", help="MLP depths L (default 1,2,4,8,16)")
    parser.add_argument("--timeout", type=float,
                        help="seconds per MLP depth and contender (default 60, 20 with --quick)")
    parser.add_argument("--only-baselines", action="store_true",
                        help="time SymPy and tensorgrad alone (matcalc not imported): checks the transcriptions")
    parser.add_argument("--no-mlp", action="store_true", help="skip the MLP depth scaling")
    parser.add_argument("--loop", type=float, default=0.0, metavar="SECONDS",
                        help="time each entry as the mean of calls in a row filling about SECONDS "
                             "(timeit style, warm caches) instead of one call (default)")
    parser.add_argument("--show", action="store_true", help="print each contender's result once (to stderr)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 15)
    timeout = args.timeout or (20.0 if args.quick else 60.0)
    depths = [int(d) for d in args.depths.split(",")]
    contenders = tuple(c for c in CONTENDERS if not (args.only_baselines and c == "matcalc"))

    status = attach(CASES, contenders)
    if status["matcalc"] not in ("installed", "skipped"):
        print(f"matcalc {status['matcalc']}: rerun with --only-baselines", file=sys.stderr)
        sys.exit(2)
    run_cases(CASES, rounds, show=args.show, loop=args.loop)
    mlp = {}
    if not args.no_mlp:
        for name in contenders:
            if status[name] == "installed":
                mlp[name] = run_mlp(name, depths, rounds if name == "matcalc" else max(3, rounds // 3), timeout)
    text, data = report(CASES, status, mlp, rounds, depths, args.loop)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
