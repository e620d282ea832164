"""mint.bincount / mint.histc: MindSpore 2.10 has no CPU kernel for them (BincountExt / HistcExt, Ascend only), so
they are computed as documented, in the dtypes of MindSpore's own shape-inference tests (test_ops_histc_ext.cc:
the input's; test_ops_bincount_ext.cc: float32 weights -> float32, other weights -> float64) and its docs
(unweighted counts are integers: int64, as PyTorch's)."""
from __future__ import annotations

from ..ops import _counting
from ..ops._extra import P

__all__ = ["bincount", "histc"]


def bincount(input, weights=None, minlength=0):  # noqa: A002
    """the count (the weights' sum) of each value 0 .. max(max(input) + 1, minlength) - 1 of a 1-D non-negative
    integer input: int64, or with weights float32 for float32 weights, float64 for others."""
    if weights is None:
        return P.cast(_counting.count_values(input, None, minlength, "bincount"), "int64")
    dtype = "float32" if getattr(weights, "_dtype", None) == "float32" else "float64"
    return _counting.count_values(input, weights, minlength, "bincount", dtype)


def histc(input, bins=100, min=0, max=0):  # noqa: A002
    """counts of input's elements in `bins` equal-width bins over [min, max] (min = max: the data's range), in
    input's dtype."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins <= 0:
        raise ValueError(f"For 'histc', 'bins' must be a positive int, got {bins!r}")
    if float(min) > float(max):
        raise ValueError(f"For 'histc', 'min' must not be greater than 'max', got {min} and {max}")
    return _counting.no_bprop(_counting.count_bins(input, bins, float(min), float(max), input._dtype), input, "HistcExt")
