"""NaN in MindSpore 2.10 CPU's max / min reductions (ReduceMax / ReduceMin, amax / amin, ArgMaxWithValue /
ArgMinWithValue, ops.max / ops.min, argmax / argmin, Tensor.max, mint.max): its kernels scan the reduced elements
in order from the first and keep a later one only where it compares greater (less), so a NaN is kept where it is
the first element and skipped anywhere else (MindSpore 2.10 CPU, checked: [1, nan, 3, 2] -> 3 at index 2,
[nan, 1, 3, 2] -> nan at index 0; 2-D along each axis and over all, 1,000 and 100,000 elements alike). The engine's
max / min propagate NaN (NumPy's, JAX's): `scan_like` hands them an x whose later NaNs cannot win instead.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._trace import apply, binary


def scan_like(x, axis, op: str):
    """x for the engine's op (max / argmax, min / argmin) over axis (an int, a list of ints, None: all) so that it
    answers as MindSpore's CPU scan: each NaN after the first reduced element becomes a stand-in no greater (for min:
    no less) than that first element, so neither it nor its index is picked over the first; a NaN first element
    stays (the answer NaN, index 0). The stand-in is the first element capped at the dtype's lowest finite value
    and holds no gradient (ReduceMax's gradient then goes to x's elements equal to the answer, NaN where it is NaN,
    as MindSpore's). Non-float x unchanged."""
    if not isinstance(x, Tensor) or x._dtype not in ("float16", "float32", "float64") or not x.shape:
        return x
    nd = len(x.shape)
    axes = range(nd) if axis is None else [a % nd for a in ((axis,) if isinstance(axis, int) else axis)]
    if any(x.shape[a] == 0 for a in axes):  # (nothing to scan: the op's own refusal of an empty reduction)
        return x
    first = x
    for a in axes:  # the first element along each reduced axis (kept as a size-1 axis)
        first = apply("gather", [first, Tensor(np.zeros(1, np.int64))], {"axis": a})[0]
    first = apply("broadcast_to", [first], {"shape": list(x.shape)})[0]
    is_max = op in ("max", "argmax")
    bound = Tensor(np.array(np.finfo(x._dtype).min if is_max else np.finfo(x._dtype).max, x._dtype))
    stand_in = apply("stop_gradient", [binary("minimum" if is_max else "maximum", first, bound)], {})[0]
    later_nan = binary("logical_and", binary("not_equal", x, x), binary("equal", first, first))
    return apply("where", [later_nan, stand_in, x], {})[0]


def all_extremum(x, op: str):
    """ops.max / ops.min / Tensor.max() / mint.max of all of x (op max / min): the scan's answer; where it is NaN
    (x's first element is) its gradient is split equally among x's NaN elements, as MindSpore 2.10 CPU's
    ([nan, 1, nan, 2] -> [0.5, 0, 0.5, 0]; ReduceMax / amax give NaN everywhere there, the engine op's rule)."""
    if not isinstance(x, Tensor) or x._dtype not in ("float16", "float32", "float64") or not x.shape or not x.size:
        return apply(op, [x], {"axis": None, "keepdims": False})[0]
    zero = Tensor(np.zeros((), x._dtype))
    first = apply("reshape", [x], {"shape": [-1]})[0]
    first = apply("gather", [first, Tensor(np.zeros((), np.int64))], {"axis": 0})[0]
    nan_first = binary("not_equal", first, first)
    # (the engine op's gradient of a NaN answer is NaN: it sees zeros then)
    whole = apply(op, [apply("where", [nan_first, zero, scan_like(x, None, op)], {})[0]], {"axis": None, "keepdims": False})[0]
    nans = binary("not_equal", x, x)
    count = apply("sum", [apply("cast", [nans], {"dtype": x._dtype})[0]], {"axis": None, "keepdims": False})[0]
    shared = binary("div", apply("sum", [apply("where", [nans, x, zero], {})[0]], {"axis": None, "keepdims": False})[0],
                    binary("maximum", count, Tensor(np.ones((), x._dtype))))
    return apply("where", [nan_first, shared, whole], {})[0]
