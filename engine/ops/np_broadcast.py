"""Binary ufunc out-kernels for broadcasts that leave NumPy a short innermost loop.

When both operands broadcast (neither has the output's shape), NumPy cannot merge the output's
axes and runs its inner loop along the last one: (32, 1, 3) - (1, 32, 3) is 1024 loops of 3
elements (~10 us for 3072 subtractions), (64, 1, 2) - (1, 64, 2) 4096 loops of 2 (~35 us). The
same ufunc called once on views with the last two axes swapped, iterated in C order (`order="C"`:
NumPy keeps the views' axis order instead of sorting axes by stride), loops along the long axis:
~5 us for L1's. Each element is computed exactly as before (an elementwise op does not depend on
the order it visits elements), and as one ufunc call NumPy handles an output that overlaps an
operand. tests/engine/test_np_broadcast.py checks the values and where it applies.
"""
from __future__ import annotations

import math

import numpy as np

SWAP_MAX = 4  # a last axis up to this long is swapped inward
SWAP_MIN_ROWS = 1024  # and only with this many elements per index (fewer: NumPy's loop is as fast)
SWAP_MIN_RUN = 16  # nor when the loop along the second-to-last axis would itself be short

# an operand of rank 0, 1, >= 2 seen with the output's last two axes swapped: (expression, view)
SWAPS = {0: (None, None), 1: ("[:, None]", lambda x: x[:, None]),
         2: (".swapaxes(-1, -2)", lambda x: x.swapaxes(-1, -2))}


def _merges(s: tuple, out: tuple) -> bool:
    """NumPy merges the output's last two axes into one loop for an operand of shape s: it broadcasts along both
    or has both whole ((1, 40, 2) - (30, 1, 1) is 30 loops of 80: a swap would only make them short)."""
    s = (1,) * (len(out) - len(s)) + s
    return s[-2:] == (1, 1) or s[-2:] == out[-2:]


def binary_kernel(fn, e):
    """fn(a, b, out) for the equation `e`, or the same ufunc called on views whose inner loop is long."""
    if len(e.inputs) != 2 or not isinstance(fn, np.ufunc):
        return fn
    out = tuple(e.outputs[0].shape)
    shapes = [tuple(x.shape) for x in e.inputs]
    if len(out) < 2 or not 2 <= out[-1] <= SWAP_MAX or out[-2] < SWAP_MIN_RUN or any(s == out for s in shapes):
        return fn
    if math.prod(out) // out[-1] < SWAP_MIN_ROWS or all(_merges(s, out) for s in shapes):
        return fn
    (ea, va), (eb, vb) = [SWAPS[min(len(s), 2)] for s in shapes]

    def swapped(a, b, o=None):
        if o is None:
            return fn(a, b)
        fn(a if va is None else va(a), b if vb is None else vb(b), o.swapaxes(-1, -2), order="C")
        return o
    swapped.parts = (fn, ea, eb)  # a NumPy plan writes the call out on views made once (executor.ArenaViews)
    return swapped
