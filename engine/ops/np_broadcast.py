"""Binary ufunc out-kernels for broadcasts that leave NumPy a short innermost loop.

When both operands broadcast (neither has the output's shape), NumPy cannot merge the output's
axes and runs its inner loop along the last one: (32, 1, 3) - (1, 32, 3) is 1024 loops of 3
elements (~10 us for 3072 subtractions), (64, 1, 2) - (1, 64, 2) 4096 loops of 2 (~35 us). The
same ufunc applied to each index of the short last axis computes every element exactly as
before (an elementwise op does not depend on the order it visits elements) in a few long loops:
~7 and ~9 us. tests/engine/test_np_broadcast.py checks the values and where it applies.
"""
from __future__ import annotations

import math

SPLIT_MAX = 4  # a last axis up to this long is split
SPLIT_MIN_ROWS = 1024  # and only with this many elements per index (fewer: NumPy's loop is as fast)
SPLIT_MIN_RUN = 16  # nor when each split call would itself loop over short runs


def binary_kernel(fn, e):
    """fn(a, b, out) for the equation `e`, or the same ufunc split over a short last axis."""
    if len(e.inputs) != 2:
        return fn
    out = tuple(e.outputs[0].shape)
    shapes = [tuple(x.shape) for x in e.inputs]
    if len(out) < 2 or not 2 <= out[-1] <= SPLIT_MAX or out[-2] < SPLIT_MIN_RUN or any(s == out for s in shapes):
        return fn
    m = out[-1]
    if math.prod(out) // m < SPLIT_MIN_ROWS:
        return fn
    # each operand at index k of the last axis: itself (0-d), its only element there (size 1), or index k
    picks = [[None if not s else (Ellipsis, 0 if s[-1] == 1 else k) for k in range(m)] for s in shapes]
    outs = [(Ellipsis, k) for k in range(m)]

    def split(a, b, o=None):
        if o is None:
            return fn(a, b)
        for pa, pb, po in zip(picks[0], picks[1], outs):
            fn(a if pa is None else a[pa], b if pb is None else b[pb], o[po])
        return o
    split.parts = (fn, picks[0], picks[1], outs)  # a NumPy plan writes the calls out (executor.ArenaViews)
    return split
