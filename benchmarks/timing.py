"""Interleaved timing: every framework measured in the same rounds, medians reported.

The machines are shared and noisy, so no lone absolute time is meaningful: each
round runs every framework once (in a rotated order), each sample averages
enough calls to last about `target_s`, and the median over rounds is kept.
"""
from __future__ import annotations

import gc
import statistics
import time
from typing import Callable


def _calibrate(fn: Callable[[], object], target_s: float) -> int:
    fn()
    t0 = time.perf_counter()
    fn()
    dt = max(time.perf_counter() - t0, 1e-7)
    return max(1, min(100_000, int(target_s / dt)))


def interleaved(fns: dict[str, Callable[[], object]], rounds: int = 15, target_s: float = 0.02) -> dict[str, dict]:
    """Median seconds per call for each fn, measured interleaved. Returns {name: {median, iqr, samples, inner}}."""
    names = list(fns)
    inner = {k: _calibrate(fns[k], target_s) for k in names}
    samples: dict[str, list[float]] = {k: [] for k in names}
    gc_was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for k in order:
                fn, n = fns[k], inner[k]
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[k].append((time.perf_counter() - t0) / n)
            gc.collect()
    finally:
        if gc_was:
            gc.enable()
    out = {}
    for k in names:
        s = sorted(samples[k])
        q = statistics.quantiles(s, n=4) if len(s) >= 4 else [s[0], s[len(s) // 2], s[-1]]
        out[k] = {"median_s": statistics.median(s), "q1_s": q[0], "q3_s": q[2], "min_s": s[0],
                  "rounds": rounds, "calls_per_sample": inner[k]}
    return out
