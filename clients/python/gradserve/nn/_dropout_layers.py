"""nn.Dropout1d / Dropout2d / Dropout3d: channel dropout (ops.dropout1d / 2d / 3d) while training."""
from __future__ import annotations

from .._cellbase import Cell
from ..ops._dropout_channels import dropout1d
from ..ops._dropout_nd import _channel_dropout, _check_rank

__all__ = ["Dropout1d", "Dropout2d", "Dropout3d"]


class Dropout1d(Cell):
    """nn.Dropout1d(p=0.5)(x): ops.dropout1d while training (set_train()), x itself otherwise."""

    def __init__(self, p=0.5):
        super().__init__()
        if not isinstance(p, float) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout1d: p must be a float in [0, 1], got {p!r}")
        self.prob = p

    def construct(self, x):
        if not self.training or self.prob == 0:
            return x
        return dropout1d(x, self.prob)


class _ChannelDropout(Cell):
    """Whole channels (the last `spatial` axes of each sample) zeroed with probability p while training, the kept
    ones scaled by 1 / (1 - p); x itself otherwise. MindSpore 2.10's checks and texts (its venv): p outside [0, 1]
    a ValueError at construction, an input not of rank spatial + 2 one at the call."""

    spatial, prim = 2, "Dropout2D"  # (the primitive MindSpore's rank error names)

    def __init__(self, p=0.5):
        super().__init__()
        name = type(self).__name__
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"For '{name}', the 'p' must be a number in range [0, 1], but got {p!r}.")
        self.p = float(p)

    def construct(self, x):
        _check_rank(x, self.spatial + 2, self.prim)
        if not self.training or self.p == 0:
            return x
        return _channel_dropout(x, 1.0 - self.p, self.spatial)[0]


class Dropout2d(_ChannelDropout):
    """nn.Dropout2d(p=0.5)(x [N, C, H, W]): see _ChannelDropout."""

    spatial, prim = 2, "Dropout2D"


class Dropout3d(_ChannelDropout):
    """nn.Dropout3d(p=0.5)(x [N, C, D, H, W]): see _ChannelDropout."""

    spatial, prim = 3, "Dropout3D"
