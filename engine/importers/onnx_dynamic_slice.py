"""ONNX `Slice` whose starts are computed at run time (a Loop body's `x[i:i+1]` at the iteration number i)
-> the engine's `dynamic_slice`. Its window has a static size, so the ends must be the starts plus a constant:
both are traced back through one-element reshapes (Unsqueeze / Squeeze / Reshape / Cast / Identity) and
Add / Sub of a constant to one run-time value. A negative start counts from the end, as ONNX's. Where ONNX
would give a shorter slice (a start past `dim - size`, or in [-size, 0): no static shape, or empty) the window
is clamped into the axis, as dynamic_slice's."""
from __future__ import annotations

import numpy as np

from .graph_writer import UnsupportedModel

_PASS_THROUGH = ("Unsqueeze", "Squeeze", "Reshape", "Cast", "Identity")


def _producer(ctx, name: str):
    return next((n for n in ctx.current_graph.node if name in n.output), None)


def _affine(ctx, name: str):
    """name = base + offset: (base, offset), offset an int; base None where name is a constant."""
    if ctx.is_const(name):
        v = np.asarray(ctx.cval(name, None)).reshape(-1)
        return (None, int(v[0])) if v.size == 1 else (name, 0)
    node = _producer(ctx, name)
    if node is not None and node.op_type in _PASS_THROUGH:
        return _affine(ctx, node.input[0])
    if node is not None and node.op_type in ("Add", "Sub"):
        (ba, oa), (bb, ob) = _affine(ctx, node.input[0]), _affine(ctx, node.input[1])
        sign = 1 if node.op_type == "Add" else -1
        if bb is None:
            return ba, oa + sign * ob
        if ba is None and sign == 1:
            return bb, oa + ob
    return name, 0


def dynamic_slice(ctx, node, x: str) -> str:
    ins = list(node.input) + [""] * 4
    shape = ctx.w.shape(x)
    runtime = next(n for n in ins[1:3] if not ctx.is_const(n))

    def refuse(reason: str):
        # worded as every importer refusal of a run-time shape input ("input 'n' must be a constant here"), which
        # callers (the ONNX node suite) read to bind that input
        raise UnsupportedModel(f"Slice node {node.name!r}: input {runtime!r} must be a constant here (shapes are "
                               "static in gradserve graphs; run-time starts are taken on one axis, with steps of 1 "
                               f"and the ends the starts plus a constant): {reason}")

    n_starts = ctx.w.shape(ctx.val(ins[1]))[0] if not ctx.is_const(ins[1]) else ctx.cval(ins[1], node).size
    axes = list(range(n_starts)) if not ins[3] else [int(a) % len(shape) for a in ctx.cval(ins[3], node).reshape(-1)]
    if ins[4] and any(int(s) != 1 for s in ctx.cval(ins[4], node).reshape(-1)):
        refuse("its steps are not 1")
    if len(axes) != 1:
        refuse(f"it slices {len(axes)} axes")
    (bs, os_), (be, oe) = _affine(ctx, ins[1]), _affine(ctx, ins[2])
    size = oe - os_
    if bs is None or bs != be or not 0 < size <= shape[axes[0]]:
        refuse(f"the ends {ins[2]!r} are not the starts plus a constant (the slice's size must be static)")
    dim = shape[axes[0]]
    start = ctx.w.cast(ctx.w.reshape(ctx.val(ins[1]), ()), "int64")
    negative = ctx.w.binary("less", start, ctx.w.const(np.int64(0)))
    start = ctx.w.where(negative, ctx.w.add(start, ctx.w.const(np.int64(dim))), start)
    zero = ctx.w.const(np.int64(0))
    starts = [start if a == axes[0] else zero for a in range(len(shape))]
    sizes = tuple(size if a == axes[0] else d for a, d in enumerate(shape))
    return ctx.w.emit1("dynamic_slice", [x, *starts], {"sizes": sizes}, sizes, ctx.w.dtype(x))
