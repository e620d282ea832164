"""ops.SearchSorted(dtype=int64, right=False)(sorted_sequence, values) and ops.searchsorted(sorted_sequence,
values, *, out_int32=False, right=False, side=None, sorter=None): for each value, the index in the sorted
last axis of the sequence where it would be inserted (left: the count of entries < value; right: <= value),
as numpy.searchsorted per row (NaN after every number; values and sequence compared in their promoted dtype).
sorted_sequence is 1-D (for all values) or has values' leading axes. Built as
a count of comparisons (no gradient: the result is an integer index)."""
from __future__ import annotations

from .. import dtype as _dt
from .._tensor import Tensor
from ._extra import P
from ._movement_ms import gather_elements
from ._ms_names import isnan

__all__ = ["SearchSorted", "searchsorted"]


def _search(sequence, values, right: bool, out_dtype: str, where: str):
    for name, t in (("sorted_sequence", sequence), ("values", values)):
        if not isinstance(t, Tensor):
            raise TypeError(f"For '{where}', '{name}' must be a Tensor, got {type(t).__name__}")
    if sequence.ndim == 0:
        raise ValueError(f"For '{where}', 'sorted_sequence' must have rank >= 1, got a scalar")
    if sequence.ndim > 1 and tuple(sequence.shape[:-1]) != tuple(values.shape[:-1]):
        raise ValueError(f"For '{where}', 'sorted_sequence' {list(sequence.shape)} and 'values' "
                         f"{list(values.shape)} must agree on every axis but the last")
    common = _dt.promote(sequence._dtype, values._dtype)  # float values in an int sequence: not truncated
    v = values if values._dtype == common else P.cast(values, common)
    seq = sequence if sequence._dtype == common else P.cast(sequence, common)
    rows = P.expand_dims(seq, -2) if seq.ndim > 1 else seq  # [..., 1, M] against [..., K, 1]
    v = P.expand_dims(v, -1)
    before = P.less_equal(rows, v) if right else P.less(rows, v)
    if _dt.is_float(common):  # a NaN value goes after every number (NumPy's, torch's, MindSpore's: len)
        before = P.logical_or(before, P.logical_and(isnan(v), P.logical_not(isnan(rows))) if not right
                              else isnan(v))
    count = P.sum(P.cast(before, out_dtype), -1)
    return count if count._dtype == out_dtype else P.cast(count, out_dtype)  # sum widens int32


def _sorted_by(sorted_sequence, sorter):
    """The sequence in its sorted order: its last axis gathered by sorter (argsort indices), or as given."""
    return sorted_sequence if sorter is None else gather_elements(sorted_sequence, -1, sorter)


class SearchSorted:
    """See the module's doc; dtype: the output's, int32 or int64."""

    def __init__(self, dtype=_dt.int64, right=False):
        name = _dt.to_name(dtype)
        if name not in ("int32", "int64"):
            raise TypeError(f"For 'SearchSorted', 'dtype' must be int32 or int64, got {dtype}")
        self.out_dtype, self.right = name, bool(right)

    def __call__(self, sorted_sequence, values, sorter=None):
        # (MindSpore 2.10's CPU kernel refuses a sorter; its other kernels take it)
        return _search(_sorted_by(sorted_sequence, sorter), values, self.right, self.out_dtype, "SearchSorted")


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    if side not in (None, "left", "right"):
        raise ValueError(f"For 'searchsorted', 'side' must be 'left' or 'right', got {side!r}")
    if side == "left" and right:  # side='right' wins over right=False (MindSpore 2.10); the opposite is refused
        raise ValueError("For 'searchsorted', side and right can't be set to opposites, got side of left while "
                         "right was True.")
    sorted_sequence = _sorted_by(sorted_sequence, sorter)
    return _search(sorted_sequence, values, right or side == "right", "int32" if out_int32 else "int64",
                   "searchsorted")
