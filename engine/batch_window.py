"""Batching rules of the window ops (engine/ops/conv.py, pooling.py): conv, conv_transpose,
im2col, col2im, max_pool, avg_pool, max_pool_mask.

All of them already map over a leading N axis, so a batched input is folded into N
((B, N, ...) -> (B*N, ...)) and unfolded after: one op of B times the work. A batched
weight goes into the channel groups instead: per example the weight is a different set
of filters, which is what groups are (each group of output channels sees its own
weights). With x unbatched the B filter sets share x (B*O output channels, same groups);
with both batched, x's examples become channel groups too (groups B*g), one grouped conv.
"""
from __future__ import annotations

from .batching import fold, rule, unfold


@rule("im2col", "col2im", "max_pool", "avg_pool", "max_pool_mask")
def _fold_n(b, e, ins, batched, size):
    return [unfold(b, b.emit1(e.op, fold(b, ins[0]), **e.attrs), size)]


def _channels_to_batch(b, y, size, groups):
    """(N, G*B*A, *sp), channels ordered (group, example, a) -> (B, N, G*A, *sp)."""
    n, ch, sp = y.shape[0], y.shape[1], tuple(y.shape[2:])
    a = ch // (groups * size)
    y = b.reshape(y, shape=(n, groups, size, a) + sp)
    y = b.transpose(y, perm=(2, 0, 1, 3) + tuple(range(4, 4 + len(sp))))
    return b.reshape(y, shape=(size, n, groups * a) + sp)


def _examples_to_channels(b, x):
    """(B, N, C, *sp) -> (N, B*C, *sp): each example's channels a block of its own."""
    nb, n, c, sp = x.shape[0], x.shape[1], x.shape[2], tuple(x.shape[3:])
    x = b.transpose(x, perm=(1, 0) + tuple(range(2, x.aval.ndim)))
    return b.reshape(x, shape=(n, nb * c) + sp)


def _channels_to_examples(b, y, size):
    """(N, B*O, *sp) -> (B, N, O, *sp)."""
    n, ch, sp = y.shape[0], y.shape[1], tuple(y.shape[2:])
    y = b.reshape(y, shape=(n, size, ch // size) + sp)
    return b.transpose(y, perm=(1, 0) + tuple(range(2, y.aval.ndim)))


@rule("conv")
def _conv(b, e, ins, batched, size):
    (x, w), (bx, bw) = ins, batched
    g = e.attrs.get("groups", 1)
    if bx and not bw:
        return [unfold(b, b.emit1("conv", fold(b, x), w, **e.attrs), size)]
    o, rest = w.shape[1], tuple(w.shape[2:])
    if bw and not bx:
        # (B, g*Og, ...) -> (g*B*Og, ...): group j's output channels are the B examples' filters of group j
        w = b.reshape(w, shape=(size, g, o // g) + rest)
        w = b.transpose(w, perm=(1, 0, 2) + tuple(range(3, 3 + len(rest))))
        y = b.emit1("conv", x, b.reshape(w, shape=(g * size * (o // g),) + rest), **e.attrs)
        return [_channels_to_batch(b, y, size, g)]
    w = b.reshape(w, shape=(size * o,) + rest)
    y = b.emit1("conv", _examples_to_channels(b, x), w, **dict(e.attrs, groups=size * g))
    return [_channels_to_examples(b, y, size)]


@rule("conv_transpose")
def _conv_transpose(b, e, ins, batched, size):
    (y, w), (by, bw) = ins, batched  # w [C_in, C_out / g, *window]
    g = e.attrs.get("groups", 1)
    if by and not bw:
        return [unfold(b, b.emit1("conv_transpose", fold(b, y), w, **e.attrs), size)]
    cin, cog, rest = w.shape[1], w.shape[2], tuple(w.shape[3:])
    if bw and not by:
        # (B, C_in, Cog, ...) -> (C_in, B*Cog, ...): group j's outputs are (example, channel) pairs
        w = b.transpose(w, perm=(1, 0, 2) + tuple(range(3, 3 + len(rest))))
        z = b.emit1("conv_transpose", y, b.reshape(w, shape=(cin, size * cog) + rest), **e.attrs)
        return [_channels_to_batch(b, z, size, g)]
    w = b.reshape(w, shape=(size * cin, cog) + rest)
    z = b.emit1("conv_transpose", _examples_to_channels(b, y), w, **dict(e.attrs, groups=size * g))
    return [_channels_to_examples(b, z, size)]
