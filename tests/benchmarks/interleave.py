"""Interleaved timing of contenders, each in a process of its own (shared by the benchmarks).

A contender is `make(*args)`, a module-level function that builds a zero-argument step and
returns it (or None when its library is not installed).  It is built and run in a spawned
process, so no library's thread pools (OpenBLAS, OpenMP, XLA, torch) share a process with
another's.  Each round times every contender for about `inner` seconds, in a random order
drawn anew per round, after a `pause`: OpenBLAS threads busy-wait for about 0.1 s after a
call, and a fixed rotation would put each contender behind the same spinning neighbour in
every round.  The figure per contender is the median over rounds of the mean step time.
"""

from __future__ import annotations

import gc
import multiprocessing
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Maker = Callable[..., Callable[[], object] | None]


def _serve(make: Maker, args: tuple, conn: Any) -> None:
    step = make(*args)
    if step is None:
        conn.send(None)
        return
    value = np.asarray(step())  # the first result, for the caller to check contenders agree
    for _ in range(2):  # warm up (JIT compilation, allocator)
        step()
    start = time.perf_counter()
    step()
    conn.send((time.perf_counter() - start, value))
    while (reps := conn.recv()) is not None:
        gc.disable()  # as timeit does
        start = time.perf_counter()
        for _ in range(reps):
            step()
        elapsed = time.perf_counter() - start
        gc.enable()
        conn.send(elapsed / reps)


def interleaved(contenders: dict[str, tuple[Maker, tuple]], rounds: int, inner: float = 0.05,
                pause: float = 0.2, seed: str = "") -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """(median step time, first result) per contender that is installed."""
    context = multiprocessing.get_context("spawn")
    workers: dict[str, tuple[Any, Any, int]] = {}
    values: dict[str, np.ndarray] = {}
    try:
        for name, (make, args) in contenders.items():
            here, there = context.Pipe()
            process = context.Process(target=_serve, args=(make, args, there))
            process.start()
            first = here.recv()
            if first is None:
                process.join()
                continue
            seconds, values[name] = first
            workers[name] = (here, process, max(1, int(inner / max(seconds, 1e-6))))
        names = list(workers)
        times: dict[str, list[float]] = {n: [] for n in names}
        order = random.Random(seed)
        for _ in range(rounds):
            for name in order.sample(names, len(names)):
                time.sleep(pause)  # the previous contender's thread pools go idle
                here, _, reps = workers[name]
                here.send(reps)
                times[name].append(here.recv())
    finally:
        for here, process, _ in workers.values():
            here.send(None)
            process.join()
    return {n: statistics.median(v) for n, v in times.items()}, values
