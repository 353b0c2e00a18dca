"""One gradient step of the seed network: matcalc's generated code against the alternatives.

The network is the seed's MNIST MLP (784-500-10, ReLU hidden layer, softmax output with
cross-entropy, samples as columns).  A step is forward pass, backward pass and the SGD
update of all four parameters.  Contenders:

  generated    `sgd_step` of the module `matcalc.mlp([784, 500, 10])` writes
  hand-written the seed's NumPy code (the backward pass verbatim from the second seed post,
               its forward pass and update in the same style)
  matmul floor only the five matrix products a step cannot avoid
  PyTorch      nn-free tensors, cross_entropy, .backward(), update under no_grad (if installed)
  JAX          jit of value_and_grad + update, block_until_ready (if installed)

Each contender runs in a process of its own, in interleaved rounds (interleave.py: random
order per round, a pause before each contender); the figure is the median over rounds of
the mean step time within a round.  Ratios are against the hand-written step and against
the floor.  Nothing here asserts a time.

    python tests/benchmarks/bench_mlp.py [--rounds 25] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

# PyTorch's and JAX's worker threads otherwise spin after each step, stealing the cores from
# the next contender's BLAS threads (interleaved rounds would then measure the spinning).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's matcalc
import matcalc
from interleave import interleaved

LAYERS = (784, 500, 10)
LR = 0.1


def data(batch: int, dtype: type, seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (LAYERS[0], batch)).astype(dtype)
    y = np.eye(LAYERS[-1], dtype=dtype)[:, rng.integers(0, LAYERS[-1], batch)]
    params = {
        "W1": (rng.standard_normal((500, 784)) * np.sqrt(2 / 784)).astype(dtype),
        "b1": np.zeros((500, 1), dtype=dtype),
        "W2": (rng.standard_normal((10, 500)) * np.sqrt(1 / 500)).astype(dtype),
        "b2": np.zeros((10, 1), dtype=dtype),
    }
    return x, y, params


# ── contenders: each a function make(x, y, params) -> step() ─────────────────────────────
def make_generated(x, y, params):
    namespace: dict = {}
    exec(matcalc.mlp(list(LAYERS), hidden="relu", loss="softmax_cross_entropy").source, namespace)  # noqa: S102 — generated here
    sgd_step = namespace["sgd_step"]
    p = {k: v.copy() for k, v in params.items()}
    return lambda: sgd_step(p, x, y, LR)


def make_handwritten(x, y, params):
    # The seed's globals (w1, b1, w2, b2 and the preallocated dw arrays) as closure state.
    w1, b1, w2, b2 = (params[k].copy() for k in ("W1", "b1", "W2", "b2"))
    dw1, db1, dw2, db2 = (np.zeros_like(a) for a in (w1, b1, w2, b2))

    def forward(x):
        h1 = np.maximum(np.dot(w1, x) + b1, 0.0)
        h2 = np.dot(w2, h1) + b2
        e = np.exp(h2 - np.max(h2, axis=0, keepdims=True))
        return e / np.sum(e, axis=0, keepdims=True), h1, h2

    def backward(probs, labels, x, h1, h2):  # verbatim from the seed
        n = probs.shape[1]
        e2 = probs - labels
        e1 = np.dot(w2.T, e2)
        e1[h1 <= 0.0] = 0.0
        dw2[:] = np.dot(e2, h1.T) / n
        db2[:] = np.mean(e2, axis=1)[:, np.newaxis]
        dw1[:] = np.dot(e1, x.T) / n
        db1[:] = np.mean(e1, axis=1)[:, np.newaxis]

    def step():
        probs, h1, h2 = forward(x)
        backward(probs, y, x, h1, h2)
        for w, dw in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2)):
            w -= LR * dw

    return step


def make_floor(x, y, params):
    w1, w2 = params["W1"], params["W2"]
    h = np.maximum(w1 @ x, 0)
    e2 = (w2 @ h) - y

    def step():
        w1 @ x
        w2 @ h
        e1 = w2.T @ e2
        e2 @ h.T
        e1 @ x.T

    return step


def make_torch(x, y, params):
    import torch

    if os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    tx, labels = torch.tensor(x), torch.tensor(y.argmax(axis=0))

    def step():
        h = torch.relu(p["W1"] @ tx + p["b1"])
        logits = p["W2"] @ h + p["b2"]
        loss = torch.nn.functional.cross_entropy(logits.T, labels)
        for v in p.values():
            v.grad = None
        loss.backward()
        with torch.no_grad():
            for v in p.values():
                v -= LR * v.grad

    return step


def make_jax(x, y, params):
    import jax
    import jax.numpy as jnp

    def loss(p, x, y):
        h = jax.nn.relu(p["W1"] @ x + p["b1"])
        logits = p["W2"] @ h + p["b2"]
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits, axis=0), axis=0))

    @jax.jit
    def update(p, x, y):
        grads = jax.grad(loss)(p, x, y)
        return {k: p[k] - LR * grads[k] for k in p}

    state = {"p": {k: jnp.asarray(v) for k, v in params.items()}}
    jx, jy = jnp.asarray(x), jnp.asarray(y)

    def step():
        state["p"] = update(state["p"], jx, jy)
        jax.block_until_ready(state["p"])

    return step


CONTENDERS = {"generated": make_generated, "hand-written": make_handwritten,
              "matmul floor": make_floor, "PyTorch": make_torch, "JAX": make_jax}


def available(name: str) -> bool:
    module = {"PyTorch": "torch", "JAX": "jax"}.get(name)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    if module == "jax":  # float64 needs x64 mode, set before any array exists
        import jax
        jax.config.update("jax_enable_x64", True)
    return True


def check_gradients_agree(batch: int = 16) -> None:
    """The generated and hand-written steps must do the same update (float64)."""
    x, y, params = data(batch, np.float64, seed=1)
    namespace: dict = {}
    exec(matcalc.mlp(list(LAYERS)).source, namespace)  # noqa: S102 — generated here
    grads = namespace["backward"]({k: v.copy() for k, v in params.items()}, x, y)
    h1 = np.maximum(params["W1"] @ x + params["b1"], 0)
    z2 = params["W2"] @ h1 + params["b2"]
    probs = np.exp(z2 - z2.max(axis=0)) / np.exp(z2 - z2.max(axis=0)).sum(axis=0)
    e2 = probs - y
    e1 = params["W2"].T @ e2
    e1[h1 <= 0] = 0
    expected = {"W1": e1 @ x.T / batch, "b1": e1.mean(axis=1, keepdims=True),
                "W2": e2 @ h1.T / batch, "b2": e2.mean(axis=1, keepdims=True)}
    for k, value in expected.items():
        assert np.allclose(grads[k], value, rtol=1e-10, atol=1e-12), k


def build(name: str, batch: int, dtype: str):
    """The step of one contender, in its own process (see interleave.py); None if missing."""
    if not available(name):
        return None
    x, y, params = data(batch, np.dtype(dtype).type)
    return CONTENDERS[name](x, y, params)


def run(rounds: int, inner_seconds: float, pause: float) -> dict:
    results: dict = {}
    for batch in (64, 512):
        for dtype in ("float32", "float64"):
            key = f"batch {batch}, {dtype}"
            results[key], _ = interleaved({name: (build, (name, batch, dtype)) for name in CONTENDERS},
                                          rounds, inner_seconds, pause, seed=key)
            print(key, {n: f"{1e3 * v:.2f} ms" for n, v in results[key].items()}, file=sys.stderr)
    return results


def markdown(results: dict) -> str:
    names = list(next(iter(results.values())))
    lines = ["| configuration | " + " | ".join(names) + " | generated / hand-written | generated / floor |",
             "| --- | " + " | ".join("---" for _ in names) + " | --- | --- |"]
    for key, row in results.items():
        cells = [f"{1e3 * row[n]:.2f} ms" for n in names]
        lines.append(f"| {key} | " + " | ".join(cells) +
                     f" | {row['generated'] / row['hand-written']:.2f} | {row['generated'] / row['matmul floor']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--inner", type=float, default=0.05, help="seconds per contender per round")
    parser.add_argument("--pause", type=float, default=0.2,
                        help="seconds of idle time before each contender is timed (BLAS threads "
                             "spin for about 0.1 s after their last call)")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for every library (BLAS, OpenMP, XLA, torch); default: "
                             "each library's own choice")
    args = parser.parse_args()
    if args.threads:
        # Read by the worker processes when they start: OpenBLAS/MKL/OpenMP, XLA and torch.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
        os.environ["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'true' if args.threads > 1 else 'false'} "
                                   f"intra_op_parallelism_threads={args.threads}")
    check_gradients_agree()
    results = run(args.rounds, args.inner, args.pause)
    print(f"{platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__}, "
          f"{args.rounds} interleaved rounds, medians, threads: {args.threads or 'library defaults'}\n")
    print(markdown(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
