"""ONNX sequence ops (SequenceEmpty / Construct / At / Insert / Erase / Length, SplitToSequence,
ConcatFromSequence, and OptionalGetElement / OptionalHasElement on a plain tensor or sequence) over sequences whose length and positions are static. A sequence is never a graph
value: it is the Python list of its tensors' writer values (ctx.seqs, by ONNX name), so reading one
element is free and gradients flow through each element as through any tensor. A position that is
not a constant, a sequence crossing an If / Loop boundary and a sequence output of the model are
refused (ctx.val names the sequence)."""
from __future__ import annotations

import numpy as np

from .graph_writer import UnsupportedModel
from .onnx_ops import _ins, handles


def _seq(ctx, name: str, node) -> list[str]:
    seqs = getattr(ctx, "seqs", {})
    if name not in seqs:
        raise UnsupportedModel(f"input {name!r} is not a sequence made in this graph (a sequence from an enclosing "
                               "graph, a loop state or a model input is not imported)")
    return seqs[name]


def _position(ctx, node, name: str, n: int, default: int, room: int = 0) -> int:
    """A static position in a sequence of length n (negative counts from the end; `room` 1 for Insert,
    which may place after the last element)."""
    if not name:
        return default
    p = int(np.asarray(ctx.cval(name, node)).reshape(-1)[0])
    q = p + n if p < 0 else p
    if not 0 <= q < n + room:
        raise UnsupportedModel(f"position {p} is outside a sequence of {n} tensors")
    return q


@handles("SequenceEmpty")
def _empty(ctx, node, attrs):
    return [[]]


@handles("SequenceConstruct")
def _construct(ctx, node, attrs):
    return [[ctx.val(i) for i in node.input]]


@handles("SequenceAt")
def _at(ctx, node, attrs):
    s = _seq(ctx, node.input[0], node)
    if not s:
        raise UnsupportedModel("SequenceAt of an empty sequence")
    return [s[_position(ctx, node, node.input[1], len(s), 0)]]


@handles("SequenceInsert")
def _insert(ctx, node, attrs):
    s = list(_seq(ctx, node.input[0], node))
    s.insert(_position(ctx, node, _ins(node)[2], len(s), len(s), room=1), ctx.val(node.input[1]))
    return [s]


@handles("SequenceErase")
def _erase(ctx, node, attrs):
    s = list(_seq(ctx, node.input[0], node))
    if not s:
        raise UnsupportedModel("SequenceErase of an empty sequence")
    del s[_position(ctx, node, _ins(node)[1], len(s), len(s) - 1)]
    return [s]


@handles("SequenceLength")
def _length(ctx, node, attrs):
    ctx.consts[node.output[0]] = np.asarray(len(_seq(ctx, node.input[0], node)), np.int64)  # static shape arithmetic
    return []


@handles("SplitToSequence")
def _split_to_sequence(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    shape = w.shape(x)
    axis = int(attrs.get("axis", 0)) % len(shape)
    dim, split = shape[axis], _ins(node)[1]
    if not split:  # pieces of one, the axis dropped unless keepdims
        parts = w.split(x, [1] * dim, axis)
        if not attrs.get("keepdims", 1):
            parts = [w.reshape(p, shape[:axis] + shape[axis + 1:]) for p in parts]
        return [parts]
    sizes = np.asarray(ctx.cval(split, node)).astype(np.int64)
    if sizes.ndim == 0:  # equal chunks, the last one shorter
        k = int(sizes)
        if k <= 0:
            raise UnsupportedModel(f"split size {k} is not positive")
        sizes = np.asarray([k] * (dim // k) + ([dim % k] if dim % k else []))
    if (sizes < 0).any() or int(sizes.sum()) != dim:
        raise UnsupportedModel(f"split sizes {sizes.tolist()} do not add up to axis {axis}'s {dim}")
    return [w.split(x, [int(s) for s in sizes], axis)]


@handles("ConcatFromSequence")
def _concat_from_sequence(ctx, node, attrs):
    s = _seq(ctx, node.input[0], node)
    if not s:
        raise UnsupportedModel("ConcatFromSequence of an empty sequence (no shape to give the result)")
    if attrs.get("new_axis", 0):
        return [ctx.w.stack(s, int(attrs["axis"]))]
    return [ctx.w.concat(s, int(attrs["axis"]))]


@handles("OptionalGetElement")
def _optional_get(ctx, node, attrs):
    """On a tensor or sequence (opset 18+ allows them) the identity; an optional-typed value is not modelled
    (refused where it is made or enters the model)."""
    name = node.input[0]
    if ctx.is_const(name):  # stays a constant (a shape read downstream)
        ctx.consts[node.output[0]] = ctx.cval(name, node)
        return []
    return [_seq(ctx, name, node) if name in getattr(ctx, "seqs", {}) else ctx.val(name)]


@handles("OptionalHasElement")
def _optional_has(ctx, node, attrs):
    """False for a missing input (no input, or the name ''), true for a tensor or sequence: a static fact."""
    name = _ins(node)[0]
    if name and name not in getattr(ctx, "seqs", {}):
        ctx.val(name)  # a value this graph has (refused, naming it, otherwise)
    ctx.consts[node.output[0]] = np.asarray(bool(name))
    return []
