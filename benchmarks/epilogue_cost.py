"""What a split product's epilogue (bias add, then tanh) costs per block against once on the whole output.

    python benchmarks/epilogue_cost.py [--n 3000]

W2's forward products (256x512 float32 outputs) are cut by the split (engine/backends/split_gemm.py) into
column blocks at two threads (272 and 240 columns), or would be into row blocks (144 and 112 rows) if cut by
rows. Applying `np.add(blk, bias, out=blk); np.tanh(blk, out=blk)` on each block by the thread that computed
it would take the epilogue off the caller's serial path, if a block's epilogue cost about its share of the
whole's. Each variant runs the epilogue of the whole output (the blocks one after another on this thread),
thread CPU time, the variants interleaved and the order reversed every round; medians. The blocks' results
are compared bit for bit with the whole's. Not a test: nothing asserts a timing.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

COLS = (slice(0, 272), slice(272, 512))
ROWS = (slice(0, 144), slice(144, 256))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((256, 512)).astype(np.float32)
    bias = rng.standard_normal(512).astype(np.float32)
    o = np.empty_like(a)

    def whole():
        np.add(o, bias, out=o)
        np.tanh(o, out=o)

    def columns():
        for sl in COLS:
            blk = o[:, sl]
            np.add(blk, bias[sl], out=blk)
            np.tanh(blk, out=blk)

    def rows():
        for sl in ROWS:
            blk = o[sl]
            np.add(blk, bias, out=blk)
            np.tanh(blk, out=blk)

    def tanh_whole():
        np.tanh(o, out=o)

    def tanh_columns():
        for sl in COLS:
            np.tanh(o[:, sl], out=o[:, sl])

    variants = [whole, columns, rows, tanh_whole, tanh_columns]
    want = {}
    for f in variants:
        o[...] = a
        f()
        want[f.__name__] = o.copy()
    same = {n: want[n].tobytes() == want[ref].tobytes()
            for n, ref in (("columns", "whole"), ("rows", "whole"), ("tanh_columns", "tanh_whole"))}
    took: dict = {f.__name__: [] for f in variants}
    for i in range(args.n):
        for f in (variants if i % 2 else variants[::-1]):
            o[...] = a
            t = time.thread_time_ns()
            f()
            took[f.__name__].append(time.thread_time_ns() - t)
    base = {"columns": "whole", "rows": "whole", "tanh_columns": "tanh_whole"}
    for name, ts in took.items():
        med = float(np.median(ts)) / 1e3
        extra = ""
        if name in base:
            extra = (f"  ({med / (float(np.median(took[base[name]])) / 1e3):.2f}x {base[name]}; bit-identical: "
                     f"{same[name]})")
        print(f"{name:13s} {med:8.1f} us CPU{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
