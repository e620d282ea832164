"""mint.flatten: every dim into one by default (start_dim=0), where ops.flatten keeps the batch dim (start_dim=1)."""
from __future__ import annotations

from .. import ops as _ops
from ..ops._axis_range import DIM_OUT_OF_RANGE, checked_axis
from .._calling_errors import failed_calling
from ..ops._primitives import _has_bool


def flatten(input, start_dim=0, end_dim=-1):  # noqa: A002 - MindSpore's names
    """dims start_dim..end_dim of input into one; a 0-d input gives shape (1,) (MindSpore 2.10's mint.flatten)."""
    if _has_bool((start_dim, end_dim)):  # (MindSpore 2.10's text; True is no dim 1)
        raise failed_calling("FlattenExt", {}, {"input": input, "start_dim": start_dim, "end_dim": end_dim},
                             {"input": "Tensor", "start_dim": "int", "end_dim": "int"})
    nd = max(len(input.shape), 1)  # (a 0-d input counts as 1-D: dims 0 / -1; MindSpore 2.10's range text)
    start, end = (checked_axis(d, nd, ValueError, DIM_OUT_OF_RANGE) for d in (start_dim, end_dim))
    if start > end:
        raise ValueError("For 'flatten', 'start_dim' cannot come after 'end_dim'.")
    return _ops.flatten(input, start_dim=start_dim, end_dim=end_dim)
