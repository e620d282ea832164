"""`mindspore.scipy.utils` (the helpers programs import): _nd_transpose."""
from __future__ import annotations

from .. import ops as _ops


def _nd_transpose(a):
    """a with its last two axes swapped (MindSpore's helper for batched matrices)."""
    if a.ndim < 2:
        raise ValueError(f"_nd_transpose: a must have at least 2 dimensions, got shape {list(a.shape)}")
    return _ops.swapaxes(a, -1, -2)
