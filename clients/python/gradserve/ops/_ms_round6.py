"""MindSpore 2.10 spellings found by its own test files (round 6), composed from ops already here:
tensor_split / hsplit / vsplit / dsplit (numpy.array_split's chunks), fill_diagonal (numpy.fill_diagonal's
positions, wrap included), hinge_embedding_loss, dropout1d (whole channels dropped), lp_pool1d, IOU and UniqueWithPad. Each derivative is that of the ops it is made of."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._conv import avg_pool1d
from ._dropout import _mask
from ._extra import P

__all__ = ["tensor_split", "hsplit", "vsplit", "dsplit", "fill_diagonal", "hinge_embedding_loss", "dropout1d",
           "lp_pool1d", "IOU", "UniqueWithPad", "unique_with_pad"]


def _chunk_bounds(n: int, indices_or_sections, where: str) -> list[tuple[int, int]]:
    """[(start, stop)] along an axis of size n, as numpy.array_split cuts it: an int is how many chunks
    (the first n % k one longer), a sequence the cut points (clipped to the axis; a cut before the last
    one gives an empty chunk)."""
    if isinstance(indices_or_sections, bool):
        raise TypeError(f"{where}: indices_or_sections must be an int or a sequence of ints, got a bool")
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError(f"{where}: the number of sections must be positive, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        starts = np.cumsum([0, *sizes]).tolist()
        return [(starts[i], starts[i + 1]) for i in range(k)]
    if not isinstance(indices_or_sections, (list, tuple)) or \
            not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in indices_or_sections):
        raise TypeError(f"{where}: indices_or_sections must be an int or a sequence of ints, "
                        f"got {indices_or_sections!r}")
    cuts = [0, *(int(i) for i in indices_or_sections), n]
    clip = [min(max(c + n if c < 0 else c, 0), n) for c in cuts]
    return [(clip[i], max(clip[i], clip[i + 1])) for i in range(len(clip) - 1)]


def tensor_split(input, indices_or_sections, axis=0):  # noqa: A002 - MindSpore's names
    """ops.tensor_split(input, indices_or_sections, axis=0): a tuple of chunks along axis (numpy.array_split)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"tensor_split: expected a Tensor, got {type(input).__name__}")
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -input.ndim <= axis < input.ndim:
        raise ValueError(f"tensor_split: axis {axis!r} is out of range for a {input.ndim}-D tensor")
    axis = int(axis) % input.ndim
    bounds = _chunk_bounds(int(input.shape[axis]), indices_or_sections, "tensor_split")
    lead = (slice(None),) * axis
    return tuple(input[(*lead, slice(a, b))] for a, b in bounds)


def _split_at(name: str, axis: int, min_ndim: int):
    def split(input, indices_or_sections):  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
        if input.ndim < min_ndim:
            raise ValueError(f"{name}: expects a tensor of at least {min_ndim} dimensions, got {input.ndim}")
        return tensor_split(input, indices_or_sections, axis)
    split.__name__ = name
    split.__doc__ = f"ops.{name}(input, indices_or_sections): tensor_split along axis {axis}."
    return split


# MindSpore 2.10's own checks: hsplit wants 2-D or more, vsplit 1-D or more, dsplit 3-D or more.
hsplit = _split_at("hsplit", 1, 2)
vsplit = _split_at("vsplit", 0, 1)
dsplit = _split_at("dsplit", 2, 3)


def fill_diagonal(input, fill_value, wrap=False):  # noqa: A002
    """Tensor.fill_diagonal(fill_value, wrap=False): input with its main diagonal set to fill_value (a new
    tensor; gradserve's Tensors are values). The positions are numpy.fill_diagonal's: a tall 2-D matrix
    with wrap=True starts the diagonal again one row below its end; above 2-D all sizes must be equal."""
    if not isinstance(fill_value, float):  # MindSpore 2.10's FillDiagonal takes a float only
        raise TypeError(f"fill_diagonal: fill_value must be a float, got {type(fill_value).__name__}")
    if input.ndim < 2:
        raise ValueError(f"fill_diagonal: expects a tensor of at least 2 dimensions, got {input.ndim}")
    shape = tuple(int(s) for s in input.shape)
    if input.ndim > 2 and len(set(shape)) != 1:
        raise ValueError(f"fill_diagonal: above 2 dimensions all sizes must be equal, got shape {list(shape)}")
    mask = np.zeros(shape, dtype=bool)
    np.fill_diagonal(mask, True, wrap=bool(wrap))
    return P.select(Tensor(mask), P.cast(Tensor(np.array(fill_value)), input.dtype), input)


def hinge_embedding_loss(inputs, targets, margin=1.0, reduction="mean"):
    """ops.hinge_embedding_loss: inputs where targets == 1, max(0, margin - inputs) where targets == -1
    (torch's HingeEmbeddingLoss), reduced by 'mean' | 'sum' | 'none'."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"hinge_embedding_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if not isinstance(margin, (int, float)) or isinstance(margin, bool):
        raise TypeError(f"hinge_embedding_loss: margin must be a float, got {type(margin).__name__}")
    zeros = P.zeros_like(inputs)
    pos = P.select(P.not_equal(targets, P.cast(Tensor(np.array(-1)), targets.dtype)), inputs, zeros)
    neg = P.select(P.not_equal(targets, P.cast(Tensor(np.array(1)), targets.dtype)),
                   P.relu(P.sub(P.cast(Tensor(np.array(float(margin))), inputs.dtype), inputs)), zeros)
    loss = P.add(pos, neg)
    if reduction == "mean":
        return P.mean(loss)
    return P.sum(loss) if reduction == "sum" else loss


def dropout1d(input, p=0.5, training=True):  # noqa: A002
    """ops.dropout1d(input, p=0.5, training=True) over (N, C, L) or (C, L): each channel (all of its L values)
    zeroed with probability p, the rest scaled by 1 / (1 - p); p = 1 zeroes everything (MindSpore's
    Dropout2D with keep_prob 0)."""
    if not isinstance(p, float):
        raise TypeError(f"dropout1d: p must be a float, got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout1d: p must be in [0, 1], got {p}")
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout1d: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: input must be 2-D (C, L) or 3-D (N, C, L), got shape {list(input.shape)}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return P.zeros_like(input)
    keep = 1.0 - p
    mask = _mask(input, keep, (*tuple(input.shape)[:-1], 1))
    return P.div(P.mul(input, mask), keep)


def lp_pool1d(x, norm_type, kernel_size, stride=None, ceil_mode=False):
    """ops.lp_pool1d over (N, C, L) or (C, L): (sum of x^p over each window)^(1/p), as MindSpore 2.10 computes
    it: avg_pool1d of x^p, times kernel_size, to the power 1/p (its sign(out) * relu(abs(out)) is out itself)."""
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)):
        raise TypeError(f"lp_pool1d: norm_type must be a float or an int, got {type(norm_type).__name__}")
    if float(norm_type) == 0.0:
        raise ValueError("lp_pool1d: norm_type can not be 0")
    if x.ndim not in (2, 3):
        raise ValueError(f"lp_pool1d: x must be 2-D (C, L) or 3-D (N, C, L), got shape {list(x.shape)}")
    p, unbatched = float(norm_type), x.ndim == 2
    xb = P.expand_dims(x, 0) if unbatched else x
    out = avg_pool1d(P.pow(xb, p), kernel_size, kernel_size if stride is None else stride, 0, ceil_mode)
    out = P.squeeze(out, 0) if unbatched else out
    return P.pow(P.mul(out, float(kernel_size)), 1.0 / p)


class IOU:
    """ops.IOU(mode='iou')(anchor_boxes [N, 4], gt_boxes [M, 4]) -> [M, N]: each (gt, anchor) pair's
    intersection over their union ('iou') or over the gt box's area ('iof'). Boxes are (x0, y0, x1, y1)
    in pixels, both ends counted (a side is x1 - x0 + 1), as MindSpore's kernel counts them."""

    def __init__(self, mode="iou"):
        if mode not in ("iou", "iof"):
            raise ValueError(f"IOU: mode must be 'iou' or 'iof', got {mode!r}")
        self.mode = mode

    def __call__(self, anchor_boxes, gt_boxes):
        for name, b in (("anchor_boxes", anchor_boxes), ("gt_boxes", gt_boxes)):
            if b.ndim != 2 or int(b.shape[1]) != 4:
                raise ValueError(f"IOU: {name} must be [n, 4], got shape {list(b.shape)}")
        a = P.expand_dims(anchor_boxes, 0)  # [1, N, 4]
        g = P.expand_dims(gt_boxes, 1)  # [M, 1, 4]
        one = P.cast(Tensor(np.array(1.0)), anchor_boxes.dtype)

        def side(lo, hi):  # clipped at 0: boxes apart overlap by nothing
            return P.relu(P.add(P.sub(hi, lo), one))

        def area(b):
            return P.mul(side(b[..., 0], b[..., 2]), side(b[..., 1], b[..., 3]))

        inter = P.mul(side(P.maximum(a[..., 0], g[..., 0]), P.minimum(a[..., 2], g[..., 2])),
                      side(P.maximum(a[..., 1], g[..., 1]), P.minimum(a[..., 3], g[..., 3])))
        if self.mode == "iof":
            return P.div(inter, area(g))
        return P.div(inter, P.sub(P.add(area(a), area(g)), inter))


_UNIQUE_PAD_MAX = 4096  # a length-n input compares every pair (n x n): a clear refusal beyond this


def unique_with_pad(x, pad_num):
    """UniqueWithPad()(x [n], pad_num) -> (y [n], idx [n]): y the distinct values in order of first
    appearance, then pad_num; idx[i] the position of x[i] in y (int32). Made of static-shape ops (every
    pair compared), so it also runs traced (graph mode, vmap)."""
    if x.ndim != 1:
        raise ValueError(f"UniqueWithPad: x must be 1-D, got shape {list(x.shape)} (vmap it for a batch)")
    n = int(x.shape[0])
    if n > _UNIQUE_PAD_MAX:
        raise ValueError(f"UniqueWithPad: x has {n} elements, more than the {_UNIQUE_PAD_MAX} this "
                         f"all-pairs form handles; use ops.unique on a concrete tensor")
    same = P.equal(P.expand_dims(x, 1), P.expand_dims(x, 0))  # [i, j]: x[i] == x[j]
    first = P.argmax(P.cast(same, "int32"), axis=1)  # the first j with x[j] == x[i]
    position = Tensor(np.arange(n, dtype=np.int32))
    is_first = P.equal(P.cast(first, "int32"), position)
    slot = P.sub(P.cumsum(P.cast(is_first, "int32"), axis=0), P.cast(Tensor(np.array(1)), "int32"))
    idx = P.gather(slot, P.cast(first, "int32"), 0)
    # y[k] = the x[i] that is a first appearance with slot k; pad_num where no i has slot k
    owner = P.logical_and(P.expand_dims(is_first, 0), P.equal(P.expand_dims(slot, 0), P.expand_dims(position, 1)))
    zero = P.zeros_like(x)
    y = P.cast(P.sum(P.select(owner, P.broadcast_to(P.expand_dims(x, 0), (n, n)),
                              P.broadcast_to(P.expand_dims(zero, 0), (n, n))), 1), x.dtype)  # sum widens ints
    filled = P.greater(P.sum(P.cast(owner, "int32"), 1), P.cast(Tensor(np.array(0)), "int32"))
    pad = P.cast(Tensor(np.array(pad_num)), x.dtype)
    return P.select(filled, y, P.broadcast_to(pad, (n,))), P.cast(idx, "int32")


class UniqueWithPad:
    def __call__(self, x, pad_num):
        return unique_with_pad(x, pad_num)
