"""MindSpore 2.10 op classes its tests call directly, composed of existing ops (derivatives are theirs):
SparseSoftmaxCrossEntropyWithLogitsV2, NLLLoss, CheckValid, FillV2; and nonzero / argwhere. Values checked in
MindSpore's venv."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P, one_hot

__all__ = ["SparseSoftmaxCrossEntropyWithLogitsV2", "NLLLoss", "CheckValid", "FillV2", "nonzero", "argwhere"]


class SparseSoftmaxCrossEntropyWithLogitsV2:
    """(logits [N, C], labels [N]) -> (loss [N] = -log softmax(logits)[labels], backprop [N, C] = softmax -
    one_hot(labels)): the loss and its gradient with respect to the logits, as TensorFlow's op."""

    def __call__(self, logits, labels):
        if logits.ndim != 2 or labels.ndim != 1 or labels.shape[0] != logits.shape[0]:
            raise ValueError(f"For 'SparseSoftmaxCrossEntropyWithLogitsV2', logits must be [N, C] and labels [N], "
                             f"got shapes {list(logits.shape)} and {list(labels.shape)}")
        hot = P.cast(one_hot(labels, int(logits.shape[1]), 1.0, 0.0), logits.dtype)
        loss = P.neg(_pick(P.log_softmax(logits, -1), labels))
        return loss, P.sub(P.softmax(logits, -1), hot)


def _pick(x, classes):
    """x[i, classes[i]] of an [N, C] x, gathered: a one-hot product would make 0 * -inf = NaN of a log(0)
    elsewhere in the row (MindSpore's kernels read the one element)."""
    from ._movement_ms import gather_elements

    idx = P.reshape(P.cast(classes, "int64"), (-1, 1))
    return P.reshape(gather_elements(x, 1, idx), (-1,))


class NLLLoss:
    """NLLLoss(reduction='mean', ignore_index=-100)(logits [N, C], target [N], weight [C]) -> (loss,
    total_weight): loss_i = -weight[t_i] logits[i, t_i] (0 where t_i == ignore_index), total_weight = the sum of
    the weights counted; 'mean' divides the sum by it."""

    def __init__(self, reduction="mean", ignore_index=-100):
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"For 'NLLLoss', 'reduction' must be in ['none', 'mean', 'sum'], but got {reduction!r}")
        self.reduction, self.ignore_index = reduction, int(ignore_index)

    def __call__(self, logits, target, weight):
        kept = P.not_equal(target, self.ignore_index)
        safe = P.where(kept, target, P.zeros_like(target))
        picked = _pick(logits, safe)
        picked = P.where(kept, picked, P.zeros_like(picked))  # an ignored row's element may be -inf: 0 * -inf
        w = P.where(kept, P.gather(weight, safe, 0), P.zeros_like(P.gather(weight, safe, 0)))
        loss = P.neg(P.mul(w, picked))
        total = P.sum(w)
        if self.reduction == "sum":
            loss = P.sum(loss)
        elif self.reduction == "mean":
            loss = P.div(P.sum(loss), total)
        return loss, total


class CheckValid:
    """CheckValid()(bboxes [N, 4] (x1, y1, x2, y2), img_metas [3] (height, width, ratio)) -> bool [N]: inside
    the image, x1 >= 0, y1 >= 0, x2 <= width * ratio - 1, y2 <= height * ratio - 1."""

    def __call__(self, bboxes, img_metas):
        if bboxes.ndim != 2 or int(bboxes.shape[1]) != 4 or tuple(img_metas.shape) != (3,):
            raise ValueError(f"For 'CheckValid', bboxes must be [N, 4] and img_metas [3], got shapes "
                             f"{list(bboxes.shape)} and {list(img_metas.shape)}")
        b = [bboxes[:, i] for i in range(4)]
        h, w, r = (img_metas[i] for i in range(3))
        ok = P.logical_and(P.greater_equal(b[0], 0), P.greater_equal(b[1], 0))
        ok = P.logical_and(ok, P.less_equal(b[2], P.sub(P.mul(w, r), 1)))
        return P.logical_and(ok, P.less_equal(b[3], P.sub(P.mul(h, r), 1)))


class FillV2:
    """FillV2()(shape, value): a Tensor of that shape (a tuple, or a 1-D int Tensor: its values are read) filled
    with value (a one-element Tensor: its dtype, and the gradient flows back to it)."""

    def __call__(self, shape, value):
        dims = [int(v) for v in (shape.tolist() if isinstance(shape, Tensor) else shape)]
        if not isinstance(value, Tensor):
            raise TypeError(f"For 'FillV2', 'value' must be a Tensor, got {type(value).__name__}")
        return P.broadcast_to(P.reshape(value, ()), tuple(dims))


def nonzero(input, *, as_tuple=False):  # noqa: A002
    """The positions of input's non-zero elements, int64 [count, ndim] in row-major order (as_tuple: one 1-D
    Tensor per axis). The count sets the shape: a traced input's value in this call is read (as masked_select
    does), and the positions carry no gradient."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'nonzero', 'input' must be a Tensor, but got {type(input).__name__}")
    if input.ndim == 0:
        raise ValueError("For 'NonZero', the dimension of 'x' must be greater than or equal to 1, but got 0.")
    known = input._value()
    if known is None:
        raise TypeError("nonzero: its output length is the number of non-zero values, which a traced graph (an "
                        "exported graph, a loop body) does not know: pass a concrete Tensor")
    pos = np.argwhere(np.asarray(known) != 0).astype(np.int64).reshape(-1, input.ndim)
    if as_tuple:
        return tuple(Tensor(np.ascontiguousarray(pos[:, a])) for a in range(input.ndim))
    return Tensor(pos)


def argwhere(input):  # noqa: A002
    """ops.argwhere: nonzero's [count, ndim] positions."""
    return nonzero(input)
