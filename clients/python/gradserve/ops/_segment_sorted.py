"""ops.SegmentMax / SegmentMin / SegmentMean / SegmentProd (MindSpore 2.10's primitives over sorted segment ids,
max id + 1 segments): the unsorted segment reductions of _scatter_ms, with MindSpore's value for a segment no
row falls in: 0 (1 for the product)."""
from __future__ import annotations

from typing import Any

from .._late import late
from ._scatter_ms import (sorted_segments, unsorted_segment_max, unsorted_segment_min, unsorted_segment_prod,
                          unsorted_segment_sum)

__all__ = ["SegmentMax", "SegmentMin", "SegmentMean", "SegmentProd"]


def _rows_per_segment(x, ids, num):
    """How many rows each segment has, shaped to broadcast against the [num, *rest] result."""
    ones = late.ops.ones(tuple(ids.shape), x.dtype)
    count = unsorted_segment_sum(ones, ids, num)
    return late.ops.reshape(count, (num,) + (1,) * (len(x.shape) - len(ids.shape)))


class _Segment:
    _name = ""

    def __call__(self, input_x, segment_ids):
        ids, num = sorted_segments(segment_ids, self._name)
        return self._reduce(input_x, ids, num)

    def _reduce(self, x, ids, num):
        raise NotImplementedError


class _EmptyIsZero(_Segment):
    _unsorted: Any = None  # (the subclass's unsorted_segment_* function)

    def _reduce(self, x, ids, num):
        out = self._unsorted(x, ids, num)
        present = late.ops.greater(_rows_per_segment(x, ids, num), 0)
        return late.ops.select(late.ops.broadcast_to(present, tuple(out.shape)), out, late.ops.zeros_like(out))


class SegmentMax(_EmptyIsZero):
    """ops.SegmentMax()(input_x, segment_ids): each segment's maximum (0 if empty)."""

    _name, _unsorted = "SegmentMax", staticmethod(unsorted_segment_max)


class SegmentMin(_EmptyIsZero):
    """ops.SegmentMin()(input_x, segment_ids): each segment's minimum (0 if empty)."""

    _name, _unsorted = "SegmentMin", staticmethod(unsorted_segment_min)


class SegmentMean(_Segment):
    """ops.SegmentMean()(input_x, segment_ids): each segment's mean (0 if empty)."""

    _name = "SegmentMean"

    def _reduce(self, x, ids, num):
        if x._dtype == "bool":
            raise TypeError("For primitive[SegmentMean], the input argument[x_type] must be a type of "
                            "{Tensor[Complex128], Tensor[Complex64], Tensor[Float16], Tensor[Float32], Tensor[Float64], "
                            "Tensor[Int16], Tensor[Int32], Tensor[Int64], Tensor[Int8], Tensor[UInt16], Tensor[UInt32], "
                            "Tensor[UInt64], Tensor[UInt8]}, but got Tensor[Bool].")
        count = _rows_per_segment(x, ids, num)
        count = late.ops.select(late.ops.equal(count, 0), late.ops.ones_like(count), count)  # (complex: no maximum)
        total = unsorted_segment_sum(x, ids, num)
        if not x._dtype.startswith(("int", "uint")):
            return late.ops.div(total, count)
        # integers: MindSpore 2.10 keeps the dtype, the sum divided by the count rounded toward zero (-5 / 3 = -1)
        return late.ops.truncate_div(total, count)


class SegmentProd(_Segment):
    """ops.SegmentProd()(input_x, segment_ids): each segment's product (1 if empty)."""

    _name = "SegmentProd"

    def _reduce(self, x, ids, num):
        return unsorted_segment_prod(x, ids, num)
