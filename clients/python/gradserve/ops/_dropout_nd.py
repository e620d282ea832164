"""Channel dropout: ops.Dropout2D / ops.Dropout3D (keep_prob) -> (output, mask) and ops.dropout2d /
ops.dropout3d (p, training) -> output. Each channel (the last 2 or 3 axes of one sample) is kept whole with
probability keep_prob and scaled by 1 / keep_prob, or zeroed whole; the mask is bool of x's shape
(MindSpore 2.10 on CPU, checked against it: integer inputs keep their dtype, the scaling truncated;
keep_prob 0 zeroes everything). The mask is a per-run draw (ops/_dropout.py's MaskParameter), so the
derivative is that of x * mask / keep_prob."""
from __future__ import annotations

from .._tensor import Tensor
from . import _primitives as P
from ._dropout import _mask

__all__ = ["Dropout2D", "Dropout3D", "dropout2d", "dropout3d"]


def _check_rank(x, rank: int, where: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{where}: the input must be a Tensor, got {type(x).__name__}")
    if x.ndim != rank:
        raise ValueError(f"For primitive[{where}], the rank of input must be equal to {rank}, "
                         f"but got shape {list(x.shape)}")


def _channel_dropout(x: Tensor, keep_prob: float, spatial: int) -> tuple[Tensor, Tensor]:
    """(x * mask / keep_prob in x's dtype, bool mask of x's shape): one draw per channel."""
    shape = (*tuple(x.shape)[:-spatial], *([1] * spatial))
    if x._dtype.startswith("float"):
        xf, keep = x, _mask(x, keep_prob, shape)
    else:  # integers: drawn and scaled in float32, truncated back (MindSpore 2.10: 3 / 0.4 -> 7)
        xf = P.cast(x, "float32")
        keep = _mask(xf, keep_prob, shape)
    kept = P.mul(xf, keep)
    out = kept if keep_prob == 0.0 else P.div(kept, keep_prob)
    mask = P.cast(P.broadcast_to(keep, tuple(x.shape)), "bool")
    return (out if out._dtype == x._dtype else P.cast(out, x._dtype)), mask


def _check_keep(keep_prob, where: str) -> float:
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float)) or not 0.0 <= keep_prob <= 1.0:
        raise ValueError(f"For '{where}', the 'keep_prob' must be in range of [0.0, 1.0], but got {keep_prob!r}.")
    return float(keep_prob)


class _DropoutND(P.Primitive):
    spatial = 2

    def __init__(self, keep_prob=0.5):
        self.keep_prob = _check_keep(keep_prob, type(self).__name__)

    def __call__(self, x):
        _check_rank(x, self.spatial + 2, type(self).__name__)
        return _channel_dropout(x, self.keep_prob, self.spatial)


class Dropout2D(_DropoutND):
    """ops.Dropout2D(keep_prob=0.5)(x [N, C, H, W]) -> (output, mask): see the module's doc."""
    spatial = 2


class Dropout3D(_DropoutND):
    """ops.Dropout3D(keep_prob=0.5)(x [N, C, D, H, W]) -> (output, mask): see the module's doc."""
    spatial = 3


def _functional(x, p, training, spatial: int, where: str):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"For '{where}', the 'p' must be a number in range [0, 1], but got {p!r}.")
    _check_rank(x, spatial + 2, where)
    if not training or p == 0:
        return x
    return _channel_dropout(x, 1.0 - float(p), spatial)[0]


def dropout2d(input, p=0.5, training=True):  # noqa: A002 - MindSpore's names
    """ops.dropout2d(input [N, C, H, W], p=0.5, training=True): whole channels zeroed with probability p."""
    return _functional(input, p, training, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True):  # noqa: A002 - MindSpore's names
    """ops.dropout3d(input [N, C, D, H, W], p=0.5, training=True): whole channels zeroed with probability p."""
    return _functional(input, p, training, 3, "dropout3d")

