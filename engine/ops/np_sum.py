"""The NumPy sum kernel of the out-kernels of sum, mean and reduce_to (their `np_out`).

np.add.reduce over a short axis is slow on a large output: NumPy calls its inner loop once per
output element when the reduced axis is the contiguous one (~15-20 ns each: 18 us to sum a
(32, 32, 3) array over its last axis). For one reduced axis of length n <= 7 of a C-contiguous
array, NumPy's order is the plain left fold (a0 + a1) + a2 + ...: its pairwise sum is a sequential
loop below 8 terms, and a reduction over an outer axis adds slice by slice, both from +0.0.
So n adds of whole slices give the same bits in a few microseconds. tests/engine/test_np_sum.py checks that
equality on every such length, layout and special value.
"""
from __future__ import annotations

import numpy as np

FOLD_MAX = 7  # NumPy's pairwise summation is a plain loop below 8 terms
FOLD_MIN_ROWS = 64  # per add of a slice (~0.6 us) against ~15 ns per output element in NumPy's loop


def sum_kernel(x_shape: tuple, axes: tuple | None, keepdims: bool, dtype: str):
    """kernel(x, o=None) -> the sum of x over `axes` (None: all) into the contiguous buffer o (or a
    fresh array), bit-identical to np.add.reduce(x, axes, None, o, keepdims)."""
    nd = len(x_shape)
    red = set(range(nd)) if axes is None else {a % nd for a in axes}
    long = [a for a in red if x_shape[a] != 1]  # a size-1 axis adds no term
    n = x_shape[long[0]] if len(long) == 1 else 0
    out_size = int(np.prod([d for i, d in enumerate(x_shape) if i not in red]))
    if dtype not in ("float32", "float64") or not 2 <= n <= FOLD_MAX or out_size < FOLD_MIN_ROWS * (n - 1):
        return lambda x, o=None: np.add.reduce(x, axes, None, o, keepdims)
    ax = long[0]
    parts = [(slice(None),) * ax + (i,) for i in range(n)]
    mid = tuple(d for i, d in enumerate(x_shape) if i != ax)  # one slice's shape
    out_shape = tuple(1 if i in red else d for i, d in enumerate(x_shape)) if keepdims else \
        tuple(d for i, d in enumerate(x_shape) if i not in red)

    def fold(x, o=None):
        if not x.flags.c_contiguous:  # another layout may make NumPy take another order
            return np.add.reduce(x, axes, None, o, keepdims)
        acc = np.add(x[parts[0]], x[parts[1]], None if o is None else o.reshape(mid))
        for p in parts[2:]:
            np.add(acc, x[p], acc)
        np.add(acc, 0.0, acc)  # NumPy sums from +0.0: negative zeros sum to +0.0 (no other value changes)
        return acc.reshape(out_shape) if o is None else o
    return fold
