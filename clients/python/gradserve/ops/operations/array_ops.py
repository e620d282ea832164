"""`mindspore.ops.operations.array_ops`: where MindSpore defines some op classes (Unstack, SpaceToDepth, ...);
gradserve's are all in ops (aliased here), SpaceToDepth is composed below, and a name it lacks raises a clear
error when used (see _missing.py)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from .._extra import P as _P
from ._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.operations.array_ops", _ops)


class SpaceToDepth:
    """SpaceToDepth(block_size)(x): NCHW [n, c, h, w] -> [n, block_size**2 * c, h / bs, w / bs]; output channel
    (i * bs + j) * c + k holds x[:, k, bs * y + i, bs * x + j] (MindSpore's / TensorFlow's order). A reshape and
    a transpose, so its derivative is theirs."""

    def __init__(self, block_size: int):
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2:
            raise ValueError(f"SpaceToDepth: block_size must be an int >= 2, got {block_size!r}")
        self.block_size = block_size

    def __call__(self, x):
        bs = self.block_size
        if len(x.shape) != 4:
            raise ValueError(f"SpaceToDepth: x must be 4-D (NCHW), got shape {list(x.shape)}")
        n, c, h, w = x.shape
        if h % bs or w % bs:
            raise ValueError(f"SpaceToDepth: height and width of x (shape {list(x.shape)}) must be divisible "
                             f"by block_size {bs}")
        blocks = _P.reshape(x, (n, c, h // bs, bs, w // bs, bs))
        moved = _P.transpose(blocks, (0, 3, 5, 1, 2, 4))  # n, i, j, c, y, x
        return _P.reshape(moved, (n, bs * bs * c, h // bs, w // bs))
