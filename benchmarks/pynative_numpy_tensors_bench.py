"""A PyNative training step that makes Tensors from NumPy in construct (issue #13): a position encoding from
np.arange, a causal mask, a 64x64 constant table (16 KiB), against a server already running:

    GRADSERVE_SERVER=http://127.0.0.1:PORT python benchmarks/pynative_numpy_tensors_bench.py --steps 60

Prints, per block of steps (after two warm-up steps; a step: value_and_grad, then nn.SGD), the SDK's traces and the client process's CPU ms a step
(time.process_time: every thread of this process), and the wall ms; the median of the blocks. Each step's loss
is checked against NumPy's (the same math by hand). Not a test: nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

import gradserve as gs
from gradserve import Tensor, _trace, nn, ops

N, D = 16, 8
TABLE = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32) / 8.0


class Step(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = gs.Parameter(Tensor(np.random.default_rng(1).standard_normal((D, 64)).astype(np.float32) / 4.0))
        self.np_table = TABLE

    def construct(self, x):
        n, d = x.shape
        angle = np.arange(n)[:, None] / np.power(10000.0, np.arange(0, d, 2)[None, :] / d)
        pe = np.concatenate([np.sin(angle), np.cos(angle)], axis=1).astype(np.float32)
        mask = np.tril(np.ones((n, n), np.float32)) / np.arange(1, n + 1, dtype=np.float32)[:, None]
        h = ops.matmul(Tensor(mask), x + Tensor(pe))
        return ops.tanh(ops.matmul(ops.matmul(h, self.w), Tensor(self.np_table))).sum()


def _numpy_loss(x, w):
    n, d = x.shape
    angle = np.arange(n)[:, None] / np.power(10000.0, np.arange(0, d, 2)[None, :] / d)
    pe = np.concatenate([np.sin(angle), np.cos(angle)], axis=1)
    mask = np.tril(np.ones((n, n))) / np.arange(1, n + 1)[:, None]
    return np.tanh(mask @ (x + pe) @ w @ TABLE).sum()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    gs.set_context(mode=gs.PYNATIVE_MODE)
    net = Step()
    vg = ops.value_and_grad(net, None, net.trainable_params())
    opt = nn.SGD(net.trainable_params(), learning_rate=0.05)
    x = np.random.default_rng(2).standard_normal((N, D)).astype(np.float32)
    worst = 0.0

    def step():
        nonlocal worst
        want = _numpy_loss(x.astype(np.float64), net.w.asnumpy().astype(np.float64))
        loss, grads = vg(Tensor(x))
        worst = max(worst, abs(float(loss.asnumpy()) - want) / abs(want))
        opt(grads)  # (the weights change each step: the loss checked is this step's)

    for _ in range(2):
        step()
    blocks = []
    for _ in range(a.blocks):
        t0, c0, n0 = time.perf_counter(), time.process_time(), _trace.trace_counts["traces"]
        for _ in range(a.steps):
            step()
        blocks.append({"cpu_ms": (time.process_time() - c0) * 1e3 / a.steps,
                       "wall_ms": (time.perf_counter() - t0) * 1e3 / a.steps,
                       "traces": _trace.trace_counts["traces"] - n0})
    out = {"steps": a.steps, "blocks": blocks, "max_rel_diff_vs_numpy": worst,
           "cpu_ms_median": statistics.median(b["cpu_ms"] for b in blocks),
           "wall_ms_median": statistics.median(b["wall_ms"] for b in blocks)}
    print(json.dumps(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
