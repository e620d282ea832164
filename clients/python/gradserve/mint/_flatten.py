"""mint.flatten: every dim into one by default (start_dim=0), where ops.flatten keeps the batch dim (start_dim=1)."""
from __future__ import annotations

from .. import ops as _ops


def flatten(input, start_dim=0, end_dim=-1):  # noqa: A002 - MindSpore's names
    """dims start_dim..end_dim of input into one; a 0-d input gives shape (1,) (MindSpore 2.10's mint.flatten)."""
    return _ops.flatten(input, start_dim=start_dim, end_dim=end_dim)
