"""MindSpore 2.10's small cells over gradserve.ops: nn.Identity, ReLU6, Softmin, Softsign, SoftShrink, Threshold,
Unflatten, GLU, Tril, ChannelShuffle, ClipByNorm, Norm; the losses nn.BCELoss, BCEWithLogitsLoss, HuberLoss, MAELoss, RMSELoss."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell
from .._training import LossBase

__all__ = ["Identity", "ClipByNorm", "Norm", "Tril", "Triu", "CentralCrop", "ChannelShuffle", "ReLU6", "Softmin", "Softsign", "SoftShrink", "Threshold", "Unflatten", "GLU", "BCELoss",
           "BCEWithLogitsLoss", "HuberLoss", "MAELoss", "RMSELoss"]


class Identity(Cell):
    """nn.Identity(*args, **kwargs)(x): x (the arguments are accepted and ignored, as MindSpore's)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def construct(self, x):
        return x


class ClipByNorm(Cell):
    """nn.ClipByNorm(axis=None)(x, clip_norm): x * clip_norm / max(l2norm(x, axis), clip_norm) (the inner op's)."""

    def __init__(self, axis=None):
        super().__init__()
        self.clip_by_norm = _ops.operations._inner_ops.ClipByNorm(axis)

    def construct(self, x, clip_norm):
        return self.clip_by_norm(x, clip_norm)


class Norm(Cell):
    """nn.Norm(axis=(), keep_dims=False)(x): sqrt(sum(x^2, axis)); without keep_dims every size-1 axis of the kept-dims
    sum is squeezed (MindSpore 2.10's Squeeze(axis): axis () squeezes all of them)."""

    def __init__(self, axis=(), keep_dims=False):
        super().__init__()
        if not isinstance(keep_dims, bool):
            raise TypeError(f"For 'Norm', the type of 'keep_dims' should be 'bool', but got "
                            f"'{type(keep_dims).__name__}'.")
        self.axis, self.keep_dims = axis, keep_dims

    def construct(self, x):
        out = _ops.sqrt(_ops.ReduceSum(True)(_ops.square(x), self.axis))
        return out if self.keep_dims else _ops.squeeze(out, self.axis)


class Tril(Cell):
    """nn.Tril()(x, k=0): ops.tril(x, k), the lower triangle of x from diagonal k on (MindSpore 2.10's cell)."""

    def construct(self, x, k=0):
        return _ops.tril(x, k)


class Triu(Cell):
    """nn.Triu()(x, k=0): ops.triu(x, k), the upper triangle of x from diagonal k on (MindSpore 2.10's cell)."""

    def construct(self, x, k=0):
        return _ops.triu(x, k)


class CentralCrop(Cell):
    """nn.CentralCrop(central_fraction)(image): the centre of a [C, H, W] / [N, C, H, W] image, each side starting
    at int((size - size * fraction) / 2) and as long as what is left between the two margins (MindSpore 2.10's
    box: fraction 0.5 of 5 x 6 keeps rows 1..3 and columns 1..4)."""

    def __init__(self, central_fraction):
        super().__init__()
        if not isinstance(central_fraction, float):
            raise TypeError(f"For 'CentralCrop', the type of 'central_fraction' should be 'float', but got type "
                            f"'{type(central_fraction).__name__}'.")
        if not 0.0 < central_fraction <= 1.0:
            raise ValueError(f"For 'CentralCrop', the 'central_fraction' must be in range of (0.0, 1.0], but got "
                             f"{central_fraction} with type 'float'.")
        self.central_fraction = central_fraction

    def construct(self, image):
        if image.ndim not in (3, 4):
            raise ValueError(f"CentralCrop image must be 3d or 4d, but got shape {tuple(image.shape)}")
        if self.central_fraction == 1.0:
            return image
        h, w = image.shape[-2:]
        top, left = int((h - h * self.central_fraction) / 2), int((w - w * self.central_fraction) / 2)
        return image[..., top:h - top, left:w - left]


class ChannelShuffle(Cell):
    """nn.ChannelShuffle(groups)(x): ops.channel_shuffle(x, groups), groups checked when the cell is made."""

    def __init__(self, groups):
        super().__init__()
        if isinstance(groups, bool) or not isinstance(groups, int):
            raise TypeError(f"For 'ChannelShuffle', 'groups' must be an int, got {type(groups).__name__}")
        if groups < 1:
            raise ValueError(f"For 'ChannelShuffle', 'groups' must be positive, got {groups}")
        self.groups = groups

    def construct(self, x):
        return _ops.channel_shuffle(x, self.groups)


_REQUIRED = object()  # an init argument with no default (Python's TypeError when missing, as MindSpore's class)


def _cell(name: str, fn, doc: str, **defaults):
    """A Cell class calling fn(x, *its init arguments in order)."""
    def __init__(self, *args, **kwargs):
        Cell.__init__(self)
        values = dict(defaults)
        values.update(zip(defaults, args))
        values.update(kwargs)
        missing = [f"'{k}'" for k, v in values.items() if v is _REQUIRED]
        if missing:
            raise TypeError(f"{name}.__init__() missing {len(missing)} required positional argument"
                            f"{'s' if len(missing) > 1 else ''}: {' and '.join(missing)}")
        self._fn_args = tuple(values[k] for k in defaults)

    def construct(self, x):
        return fn(x, *self._fn_args)
    return type(name, (Cell,), {"__init__": __init__, "construct": construct, "__doc__": doc})


ReLU6 = _cell("ReLU6", _ops.relu6, "nn.ReLU6()(x): min(max(x, 0), 6).")
Softmin = _cell("Softmin", _ops.softmin, "nn.Softmin(axis=-1)(x): softmax(-x).", axis=-1)
Softsign = _cell("Softsign", _ops.softsign, "nn.Softsign()(x): x / (1 + |x|).")
SoftShrink = _cell("SoftShrink", _ops.softshrink, "nn.SoftShrink(lambd=0.5)(x).", lambd=0.5)
Threshold = _cell("Threshold", _ops.threshold, "nn.Threshold(threshold, value)(x): x where x > threshold, else value.",
                  threshold=_REQUIRED, value=_REQUIRED)
GLU = _cell("GLU", _ops.glu, "nn.GLU(axis=-1)(x): x's first half times the sigmoid of its second half.", axis=-1)


class Unflatten(Cell):
    """nn.Unflatten(axis, unflattened_size)(x): axis split into the sizes given (one may be -1)."""

    def __init__(self, axis, unflattened_size):
        super().__init__()
        self.axis, self.sizes = int(axis), tuple(int(s) for s in unflattened_size)

    def construct(self, x):
        axis = self.axis % x.ndim
        return _ops.reshape(x, tuple(x.shape[:axis]) + self.sizes + tuple(x.shape[axis + 1:]))


class BCELoss(Cell):
    """nn.BCELoss(weight=None, reduction='mean')(logits, labels): ops.binary_cross_entropy of probabilities."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__()
        self.weight, self.reduction = weight, reduction

    def construct(self, logits, labels):
        return _ops.binary_cross_entropy(logits, labels, self.weight, self.reduction)


class BCEWithLogitsLoss(Cell):
    """nn.BCEWithLogitsLoss(reduction='mean', weight=None, pos_weight=None)(logits, labels)."""

    def __init__(self, reduction="mean", weight=None, pos_weight=None):
        super().__init__()
        self.reduction, self.weight, self.pos_weight = reduction, weight, pos_weight

    def construct(self, logits, labels):
        return _ops.binary_cross_entropy_with_logits(logits, labels, self.weight, self.pos_weight, self.reduction)


class HuberLoss(Cell):
    """nn.HuberLoss(reduction='mean', delta=1.0)(logits, labels): ops.huber_loss."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__()
        self.reduction, self.delta = reduction, float(delta)

    def construct(self, logits, labels):
        return _ops.huber_loss(logits, labels, self.reduction, self.delta)


class MAELoss(LossBase):
    """nn.MAELoss(reduction='mean')(logits, labels): |logits - labels|, reduced."""

    def construct(self, logits, labels):
        return self.get_loss(_ops.abs(logits - labels))


class RMSELoss(LossBase):
    """nn.RMSELoss()(logits, label): sqrt(mean((logits - label)^2))."""

    def __init__(self):
        super().__init__("mean")

    def construct(self, logits, label):
        return _ops.sqrt(self.get_loss(_ops.square(logits - label)))
