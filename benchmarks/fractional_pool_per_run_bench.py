"""A GRAPH_MODE training step through fractional pooling whose windows are drawn each call (issue #13):
nn.FractionalMaxPool2d (N, C, 32, 32), output_ratio 0.5, kernel 2, and ops.FractionalMaxPool (NHWC 32 x 32,
pooling ratio 1.44), each under value_and_grad of a Dense head, against a server already running:

    GRADSERVE_SERVER=http://127.0.0.1:PORT python benchmarks/fractional_pool_per_run_bench.py --steps 20

Prints per case the traces, client CPU ms and wall ms a step (medians of the blocks, after two warm-up steps).
Not a test: nothing here asserts a timing."""
from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

import gradserve as gs
from gradserve import Tensor, _trace, nn, ops


class Step(nn.Cell):
    def __init__(self, pool, feat):
        super().__init__()
        self.pool, self.head = pool, nn.Dense(feat, 1)

    def construct(self, x):
        y = self.pool(x)
        y = y[0] if isinstance(y, tuple) else y
        return self.head(y.reshape(y.shape[0], -1)).sum()


CASES = {
    "nn.FractionalMaxPool2d 8x16x32x32": (lambda: nn.FractionalMaxPool2d(2, output_ratio=0.5), (8, 16, 32, 32),
                                          16 * 16 * 16),
    "ops.FractionalMaxPool 8x32x32x16": (lambda: ops.FractionalMaxPool([1.0, 1.44, 1.44, 1.0]), (8, 32, 32, 16),
                                         22 * 22 * 16),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    gs.set_context(mode=gs.GRAPH_MODE)
    out = {}
    for name, (make, shape, feat) in CASES.items():
        net = Step(make(), feat)
        vg = ops.value_and_grad(net, None, net.trainable_params())
        x = Tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
        for _ in range(2):
            vg(x)[0].asnumpy()
        blocks = []
        for _ in range(a.blocks):
            t0, c0, n0 = time.perf_counter(), time.process_time(), _trace.trace_counts["traces"]
            for _ in range(a.steps):
                vg(x)[0].asnumpy()
            blocks.append({"cpu_ms": (time.process_time() - c0) * 1e3 / a.steps,
                           "wall_ms": (time.perf_counter() - t0) * 1e3 / a.steps,
                           "traces": _trace.trace_counts["traces"] - n0})
        out[name] = {"blocks": blocks, "traces_per_block": [b["traces"] for b in blocks],
                     "cpu_ms_median": statistics.median(b["cpu_ms"] for b in blocks),
                     "wall_ms_median": statistics.median(b["wall_ms"] for b in blocks)}
        print(name, json.dumps({k: v for k, v in out[name].items() if k != "blocks"}), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
