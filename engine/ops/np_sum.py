"""The NumPy sum kernel of the out-kernels of sum, mean and reduce_to (their `np_out`).

np.add.reduce is slow when its inner loop is short: NumPy calls that loop once per run of
contiguous elements (~15-20 ns a call), so summing a (32, 32, 3) array over its last axis takes
~18 us, over axis 1 of a (32, 32, 16) array ~26 us, for a few thousand additions. Two rewrites
give NumPy's own bits faster, both for a C-contiguous float32/float64 input summed over one axis
(besides axes of size 1):

  fold   an axis of length n <= 7: NumPy's order there is the plain left fold from +0.0
         ((0 + a0) + a1) + a2 ... (its pairwise sum is a sequential loop below 8 terms, and a
         reduction over an outer axis adds slice by slice), so n adds of whole slices.
  front  an axis with longer axes inside it and outside it (NumPy folds slice by slice, in
         short runs): the same fold over the axis moved to the front of a contiguous copy,
         where each of NumPy's runs is the whole rest of the array.

tests/engine/test_np_sum.py checks both against np.add.reduce, bit for bit, on every case they
cover, on other layouts (which go to NumPy as they are) and on special values.
"""
from __future__ import annotations

import numpy as np

FOLD_MAX = 7  # NumPy's pairwise summation is a plain loop below 8 terms
FOLD_MIN_ROWS = 64  # per add of a slice (~0.6 us) against ~15 ns per output element in NumPy's loop
FRONT_MAX_RUN = 64  # NumPy's runs up to this long are slow enough to pay for the copy
FRONT_MIN_RUNS = 64


def sum_kernel(x_shape: tuple, axes: tuple | None, keepdims: bool, dtype: str):
    """kernel(x, o=None) -> the sum of x over `axes` (None: all) into the contiguous buffer o (or a
    fresh array), bit-identical to np.add.reduce(x, axes, None, o, keepdims)."""
    nd = len(x_shape)
    red = set(range(nd)) if axes is None else {a % nd for a in axes}
    long = [a for a in red if x_shape[a] != 1]  # a size-1 axis adds no term
    plain = lambda x, o=None: np.add.reduce(x, axes, None, o, keepdims)  # noqa: E731
    if dtype not in ("float32", "float64") or len(long) != 1 or 0 in x_shape:
        return plain
    ax = long[0]
    n = x_shape[ax]
    out_size = int(np.prod([d for i, d in enumerate(x_shape) if i not in red]))
    out_shape = tuple(1 if i in red else d for i, d in enumerate(x_shape)) if keepdims else \
        tuple(d for i, d in enumerate(x_shape) if i not in red)
    run, runs = int(np.prod(x_shape[ax + 1:])), int(np.prod(x_shape[:ax + 1]))
    if n <= FOLD_MAX and out_size >= FOLD_MIN_ROWS * (n - 1):
        kernel = _fold(x_shape, ax, out_shape)
    elif 1 < run <= FRONT_MAX_RUN and runs >= FRONT_MIN_RUNS and runs > n:
        kernel = _front(x_shape, ax, out_shape)
    else:
        return plain

    def checked(x, o=None):
        if not x.flags.c_contiguous:  # another layout may make NumPy take another order
            return plain(x, o)
        return kernel(x, o)
    checked.__name__ = kernel.__name__
    return checked


def _fold(x_shape: tuple, ax: int, out_shape: tuple):
    parts = [(slice(None),) * ax + (i,) for i in range(x_shape[ax])]
    mid = tuple(d for i, d in enumerate(x_shape) if i != ax)  # one slice's shape

    def fold(x, o=None):
        acc = np.add(x[parts[0]], x[parts[1]], None if o is None else o.reshape(mid))
        for p in parts[2:]:
            np.add(acc, x[p], acc)
        np.add(acc, 0.0, acc)  # NumPy sums from +0.0: negative zeros sum to +0.0 (no other value changes)
        return acc.reshape(out_shape) if o is None else o
    return fold


def _front(x_shape: tuple, ax: int, out_shape: tuple):
    perm = (ax,) + tuple(i for i in range(len(x_shape)) if i != ax)
    rest = tuple(x_shape[i] for i in perm[1:])

    def front(x, o=None):
        moved = x.transpose(perm).copy()  # C order: the summed axis outermost
        r = np.add.reduce(moved, 0, None, None if o is None else o.reshape(rest))
        return r.reshape(out_shape) if o is None else o
    return front
