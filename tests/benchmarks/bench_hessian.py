"""Hessian evaluation: matcalc's derived closed form against jax.hessian (jit, CPU) and
torch.func.hessian, on xᵀAx and the logistic loss at n = 100, 300, 1000 (m = 2n).

    python tests/benchmarks/bench_hessian.py [--rounds 15] [--sizes 100 300 1000] [--pause 0.2] [--json out.json]

matcalc derives once (`derive(expr, wrt=["x", "x"])`, time reported apart) and then each
round times `Derivative.evaluate`; jax's function is jit-compiled and warmed up before
timing (results are waited for with block_until_ready); torch runs eagerly.  jax and torch
are optional (never project dependencies): a contender that is not installed is reported
so.  Each contender runs in a process of its own, in interleaved rounds (interleave.py:
random order per round, a pause before each contender); medians and ratios to matcalc are
printed.  Nothing is asserted: the machine is noisy.  See README.md beside this file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if (REPO / "matcalc" / "__init__.py").is_file():
    sys.path.insert(0, str(REPO))

import matcalc
from interleave import interleaved

PROBLEMS = {
    "quadratic": ("x'Ax", "x", lambda n: {"A": ("n", "n"), "x": ("n",)}),
    "logistic": ("sum(log(1 + exp(-y .* (X*w))))", "w",
                 lambda n: {"X": ("m", "n"), "w": ("n",), "y": ("m",)}),
}


def arrays_for(problem: str, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([n, list(PROBLEMS).index(problem)])  # the same in every process
    if problem == "quadratic":
        return {"A": rng.standard_normal((n, n)), "x": rng.standard_normal(n)}
    m = 2 * n
    return {"X": rng.standard_normal((m, n)) / np.sqrt(n), "w": rng.standard_normal(n),
            "y": np.sign(rng.standard_normal(m))}


def derived(problem: str, n: int) -> matcalc.Derivative:
    expr, var, shapes = PROBLEMS[problem]
    return matcalc.derive(expr, wrt=[var, var], shapes=shapes(n))


def matcalc_contender(problem: str, n: int) -> Callable[[], object]:
    d, arrays = derived(problem, n), arrays_for(problem, n)
    return lambda: d.evaluate(**arrays)


def matcalc_code_contender(problem: str, n: int) -> Callable[[], object]:
    """The same Hessian as NumPy source (`numpy_source`), the path for code that runs often."""
    namespace: dict = {}
    exec(derived(problem, n).numpy_source(name="hessian"), namespace)  # noqa: S102 — generated here
    hessian, arrays = namespace["hessian"], arrays_for(problem, n)
    return lambda: hessian(**arrays)


def closed_form_contender(problem: str, n: int) -> Callable[[], object]:
    """The Hessian written by hand in NumPy, as the issue's anchors were measured."""
    a = arrays_for(problem, n)
    if problem == "quadratic":
        return lambda: a["A"] + a["A"].T
    X, w, y = a["X"], a["w"], a["y"]

    def hessian() -> np.ndarray:
        p = 1 / (1 + np.exp(y * (X @ w)))  # σ(−yᵢxᵢᵀw); y² = 1
        return X.T @ ((p * (1 - p))[:, None] * X)

    return hessian


def jax_contender(problem: str, n: int) -> Callable[[], object] | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    arrays = arrays_for(problem, n)
    if problem == "quadratic":
        h = jax.jit(jax.hessian(lambda x, A: x @ A @ x))
        args = (jnp.asarray(arrays["x"]), jnp.asarray(arrays["A"]))
    else:
        h = jax.jit(jax.hessian(lambda w, X, y: jnp.sum(jnp.logaddexp(0.0, -y * (X @ w)))))
        args = (jnp.asarray(arrays["w"]), jnp.asarray(arrays["X"]), jnp.asarray(arrays["y"]))
    return lambda: h(*args).block_until_ready()


def torch_contender(problem: str, n: int) -> Callable[[], object] | None:
    try:
        import torch
        from torch.func import hessian
    except ImportError:
        return None
    t = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in arrays_for(problem, n).items()}
    if problem == "quadratic":
        h = hessian(lambda x: x @ t["A"] @ x)
        return lambda: h(t["x"])
    h = hessian(lambda w: torch.nn.functional.softplus(-t["y"] * (t["X"] @ w)).sum())
    return lambda: h(t["w"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--pause", type=float, default=0.2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = []
    for problem in PROBLEMS:
        for n in args.sizes:
            start = time.perf_counter()
            derived(problem, n)
            derive_time = time.perf_counter() - start
            contenders = {"matcalc": (matcalc_contender, (problem, n)),
                          "matcalc code": (matcalc_code_contender, (problem, n)),
                          "closed form": (closed_form_contender, (problem, n)),
                          "jax": (jax_contender, (problem, n)),
                          "torch": (torch_contender, (problem, n))}
            medians, values = interleaved(contenders, args.rounds, pause=args.pause, seed=f"{problem} {n}")
            for name, value in values.items():  # every contender computes the same Hessian
                assert np.allclose(value, values["matcalc"], rtol=1e-8, atol=1e-8), (name, problem, n)
            live = list(medians)
            row = {"problem": problem, "n": n, "m": 2 * n if problem == "logistic" else None,
                   "derive_ms": derive_time * 1e3,
                   **{f"{k}_ms": medians[k] * 1e3 for k in live},
                   **{f"{k}_over_matcalc": medians[k] / medians["matcalc"] for k in live if k != "matcalc"}}
            missing = [k for k in contenders if k not in medians]
            rows.append(row)
            ratios = "  ".join(f"{k} {medians[k] * 1e3:9.3f} ms ({medians[k] / medians['matcalc']:6.1f}×)"
                               for k in live if k != "matcalc")
            print(f"{problem:9s} n={n:5d}  matcalc {medians['matcalc'] * 1e3:9.3f} ms  {ratios}"
                  + (f"  [{', '.join(missing)} not installed]" if missing else ""), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
