"""stablehlo.reduce_window with any reduction body (the pools and cumulative sums jax_layers maps to single
ops are the fast path): lax.cumlogsumexp and reverse cumulative reductions, min pools, sums with window or
base dilation. The body's operations are emitted inline on whole tensors (reduction bodies are
elementwise and read nothing from outside: StableHLO isolates them).

  - a prefix window (the whole axis, padded n - 1 before or after, stride 1): a log-depth scan
    (composites.prefix_scan) combining with the body;
  - any other window: the body folded over the window's offsets, each a strided slice of the input padded
    (and base-dilated) with the init value: prod(window) body applications on output-sized tensors.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ._shared import composites as C
from ._shared.graph_writer import UnsupportedModel

MAX_WINDOW_OFFSETS = 4096  # a fold this long is a model to refuse, not a graph to write


def body_fn(fn, op):
    """combine(w, a, b): the reduce_window body applied to whole tensors."""
    block = op.regions[0].blocks[0]
    if len(block.arguments) != 2:
        raise UnsupportedModel("variadic reduce_window body")

    def combine(w, a, b):
        sub = type(fn)(w, fn.funcs)
        sub.elementwise = True  # its results have the operands' shapes, not the body's scalar types
        return sub.run_block(block, [a, b])[0]
    return combine


def generic_reduce_window(fn, op, x, init, win, strides, dil, base, pads, shape):
    w = fn.w
    s = list(w.shape(x))
    nd = len(s)
    combine = body_fn(fn, op)
    axes = [a for a in range(nd) if win[a] != 1]
    if len(axes) == 1 and strides == [1] * nd and dil == [1] * nd and base == [1] * nd:
        a, n = axes[0], s[axes[0]]
        if win[a] == n and all(pads[k] == [0, 0] for k in range(nd) if k != a) and pads[a] in ([n - 1, 0], [0, n - 1]):
            flip = (lambda v: w.emit1("flip", [v], {"axis": [a]}, s, w.dtype(v))) if pads[a] == [0, n - 1] else \
                (lambda v: v)
            return flip(C.prefix_scan(w, flip(x), a, combine))
    c = fn.consts.get(init)
    if c is None or c.size != 1:
        raise UnsupportedModel("reduce_window whose init value is not a constant")
    if math.prod(win) > MAX_WINDOW_OFFSETS:
        raise UnsupportedModel(f"reduce_window of a {math.prod(win)}-element window with a general body (at most "
                               f"{MAX_WINDOW_OFFSETS})")
    fill = float(c.reshape(-1)[0])
    xp = _padded(w, x, fill, base, pads)
    acc = w.const(np.full(shape, fill, w.dtype(x)))
    for off in itertools.product(*(range(k) for k in win)):
        items = [[o * d, o * d + (m - 1) * st + 1, st] for o, d, m, st in zip(off, dil, shape, strides)]
        acc = combine(w, acc, w.index(xp, items))
    return acc


def dilate(w, x, axis, d):
    """d - 1 zeros between neighbours along `axis` (lhs_dilation): a new axis padded, merged, trimmed."""
    s = list(w.shape(x))
    y = w.reshape(x, s[:axis + 1] + [1] + s[axis + 1:])
    y = w.emit1("pad", [y], {"pads": [[0, 0]] * (axis + 1) + [[0, d - 1]] + [[0, 0]] * (len(s) - axis - 1),
                             "mode": "constant", "value": 0.0}, s[:axis + 1] + [d] + s[axis + 1:], w.dtype(x))
    y = w.reshape(y, s[:axis] + [s[axis] * d] + s[axis + 1:])
    return w.index(y, [[0, n, 1] if k != axis else [0, (s[axis] - 1) * d + 1, 1] for k, n in enumerate(s)])


def _padded(w, x, fill, base, pads):
    """x base-dilated (fill between neighbours) and padded with fill (negative pads crop)."""
    dt = w.dtype(x)
    for a, d in enumerate(base):
        if d != 1:
            mask = dilate(w, w.const(np.ones(w.shape(x), dt)), a, d)
            x = w.where(w.binary("greater", mask, w.scalar_like(0, mask)), dilate(w, x, a, d),
                        w.scalar_like(fill, x))
    for a, (lo, hi) in enumerate(pads):
        s = list(w.shape(x))
        if lo < 0 or hi < 0:
            x = w.index(x, [[max(-lo, 0), s[a] - max(-hi, 0), 1] if k == a else [0, n, 1] for k, n in enumerate(s)])
            lo, hi, s = max(lo, 0), max(hi, 0), list(w.shape(x))
        parts = [w.const(np.full(s[:a] + [lo] + s[a + 1:], fill, dt))] if lo else []
        parts += [x] + ([w.const(np.full(s[:a] + [hi] + s[a + 1:], fill, dt))] if hi else [])
        x = w.concat(parts, a)
    return x
