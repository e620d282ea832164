"""Ops MindSpore 2.10's tests call (seed 16 of its suite), composed of existing ops (derivatives are theirs):
deepcopy, MaskedScatter / Tensor.masked_scatter, and the backward classes NLLLossGrad / L2NormalizeGrad.
Values checked in MindSpore's venv."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["deepcopy", "MaskedScatter"]


def deepcopy(input_x):
    """ops.deepcopy(x): a copy of x (MindSpore's Identity; gradient 1)."""
    return P.identity(input_x)


def masked_scatter(input, mask, source):  # noqa: A002 - MindSpore's name
    """x.masked_scatter(mask, source): the positions where mask (broadcast to x's shape) is True take source's
    elements in row-major order, one after another; the rest keep x. The gradient reaches x where mask is
    False and source's first count(mask) elements (a gather of source's flat elements)."""
    if not isinstance(mask, Tensor) or mask.dtype not in ("bool", "uint8"):
        raise TypeError(f"For MaskedScatter, mask should be a bool Tensor, got "
                        f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}")
    if source.dtype != input.dtype:
        raise TypeError(f"For MaskedScatter, source's dtype {source.dtype} must be input's {input.dtype}")
    m = P.broadcast_to(P.cast(mask, "bool"), tuple(input.shape))
    flat_m = P.reshape(m, (-1,))
    if flat_m._data is not None and int(np.count_nonzero(flat_m._data)) > int(source.size):
        raise ValueError("For 'MaskedScatter', number of elements of updates < number of ones in mask.")
    # the k-th True position takes source's k-th element: its index is the running count of Trues, less one
    pos = P.sub(P.cumsum(P.cast(flat_m, "int32"), axis=0), 1)
    pos = P.clip(pos, Tensor(np.int32(0)), Tensor(np.int32(max(int(source.size) - 1, 0))))
    taken = P.gather(P.reshape(source, (-1,)), pos, 0)
    return P.reshape(P.select(flat_m, taken, P.reshape(input, (-1,))), tuple(input.shape))


class MaskedScatter:
    """ops.MaskedScatter()(x, mask, updates): masked_scatter."""

    def __call__(self, input_x, mask, updates):
        return masked_scatter(input_x, mask, updates)


class NLLLossGrad:
    """NLLLossGrad(reduction='mean', ignore_index=-100)(logits [N, C], loss_grad, labels [N], weight [C],
    total_weight) -> d loss / d logits: -weight[t_i] * loss_grad (loss_grad_i for 'none'; / total_weight for
    'mean') at [i, t_i], 0 elsewhere and where t_i == ignore_index."""

    def __init__(self, reduction="mean", ignore_index=-100):
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"For 'NLLLossGrad', 'reduction' must be in ['none', 'mean', 'sum'], got {reduction!r}")
        self.reduction, self.ignore_index = reduction, int(ignore_index)

    def __call__(self, logits, loss_grad, labels, weight, total_weight):
        n, c = (int(d) for d in logits.shape)
        kept = P.not_equal(labels, self.ignore_index)
        safe = P.where(kept, labels, P.zeros_like(labels))
        w = P.where(kept, P.gather(weight, safe, 0), P.zeros_like(P.gather(weight, safe, 0)))
        g = P.reshape(loss_grad, (n,)) if self.reduction == "none" else P.reshape(loss_grad, ())
        if self.reduction == "mean":
            g = P.div(g, P.reshape(total_weight, ()))
        hot = P.cast(P.equal(P.reshape(safe, (n, 1)), Tensor(np.arange(c, dtype=np.int32).reshape(1, c))),
                     logits.dtype)
        return P.mul(hot, P.reshape(P.neg(P.mul(w, g)), (n, 1)))


class L2NormalizeGrad:
    """L2NormalizeGrad(axis=0, epsilon=1e-4)(x, y, dy), y = L2Normalize(x): (dy - y sum(y dy, axis)) /
    max(sqrt(sum(x^2, axis)), epsilon) (MindSpore 2.10's kernel: the epsilon bounds the norm, not its square)."""

    def __init__(self, axis=0, epsilon=1e-4):
        axis = axis[0] if isinstance(axis, (tuple, list)) else axis
        self.axis, self.epsilon = int(axis), float(epsilon)

    def __call__(self, input_x, out, dout):
        norm = P.sqrt(P.sum(P.mul(input_x, input_x), self.axis, True))
        norm = P.maximum(norm, Tensor(np.asarray(self.epsilon, dtype=input_x.dtype.name)))
        return P.div(P.sub(dout, P.mul(out, P.sum(P.mul(out, dout), self.axis, True))), norm)


setattr(Tensor, "masked_scatter", masked_scatter)
