"""`mindspore.ops.operations._grad_ops` (imported as G): MindSpore's backward ops as classes. gradserve derives
gradients itself, so only the ones MindSpore programs call directly are here, each composed from ops already
in gradserve (its own derivative is that of those ops, so grad-of-grad works); any other name raises a clear
error when used (see _missing.py)."""
from __future__ import annotations

from ... import ops as _ops
from .._extra import P
from ._missing import module_getattr

__all__ = ["SoftplusGrad", "DropoutGrad"]


class SoftplusGrad:
    """SoftplusGrad()(dout, x) = dout * sigmoid(x): d softplus(x)/dx = sigmoid(x) (MindSpore's SoftplusGrad)."""

    def __call__(self, dout, x):
        return P.mul(dout, P.sigmoid(x))


class DropoutGrad:
    """DropoutGrad(keep_prob)(dy, mask) = dy * mask / keep_prob: the backward of Dropout with its kept-mask."""

    def __init__(self, keep_prob: float = 0.5):
        keep_prob = float(keep_prob)
        if not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"DropoutGrad: keep_prob must be in (0, 1], got {keep_prob}")
        self.keep_prob = keep_prob

    def __call__(self, dy, mask):
        return P.mul(P.mul(dy, P.cast(mask, dy.dtype)), 1.0 / self.keep_prob)


__getattr__ = module_getattr("mindspore.ops.operations._grad_ops", _ops)
