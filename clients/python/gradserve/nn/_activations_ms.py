"""nn.Softmax, nn.LogSoftmax, nn.FastGelu, nn.PReLU (a learnt slope per channel), nn.RReLU, nn.HShrink, nn.OneHot."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter, Tensor
from ..ops._elementwise_ms import fast_gelu
from ..ops._primitives import _has_bool, _refuse_bools

__all__ = ["Softmax", "LogSoftmax", "FastGelu", "PReLU", "RReLU", "HShrink", "OneHot"]


class Softmax(Cell):
    """nn.Softmax(axis=-1). Its construct reads as MindSpore 2.10's (`return self.softmax(input)`), which a
    switch_layer join error quotes."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis if _has_bool(axis) else int(axis)  # (a bool: refused when called, as MindSpore 2.10)
        self.softmax = _ops.Softmax(self.axis)  # MindSpore's attribute: the primitive (its .axis a tuple)

    def construct(self, input):  # noqa: A002 - MindSpore's name
        _refuse_bools((self.axis,), "Softmax", "Softmax(axis={t})(input=Tensor)",
                      "Softmax(axis=<int, tuple of int>)(input=<Tensor>)")
        return self.softmax(input)


class LogSoftmax(Cell):
    """nn.LogSoftmax(axis=-1)."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis if _has_bool(axis) else int(axis)  # (a bool: refused when called, as MindSpore 2.10)

    def construct(self, x):
        _refuse_bools(self.axis, "LogSoftmax", "LogSoftmax(axis={t})(logits=Tensor)", "LogSoftmax(axis=<int>)(logits=<Tensor>)")
        return _ops.log_softmax(x, self.axis)


class FastGelu(Cell):
    """nn.FastGelu(): ops.fast_gelu."""

    def construct(self, x):
        return fast_gelu(x)


class PReLU(Cell):
    """nn.PReLU(channel=1, w=0.25, dtype=float32): x where x > 0, else w * x, one learnt slope per channel
    (axis 1), a Parameter named 'a'."""

    def __init__(self, channel: int = 1, w=0.25, dtype=None):
        super().__init__()
        dt = getattr(dtype, "name", dtype) or "float32"
        w = w._host_copy() if isinstance(w, Tensor) else np.asarray(w)
        if w.ndim == 0:
            w = np.full((int(channel),), float(w))
        if w.shape != (int(channel),):
            raise ValueError(f"PReLU: w must be a number or have shape ({channel},), got {list(w.shape)}")
        self.w = Parameter(Tensor(w.astype(dt)), name="a")

    def construct(self, x):
        return _ops.prelu(x, self.w)


class RReLU(Cell):
    """nn.RReLU(lower=1/8, upper=1/3): ops.rrelu, x where x >= 0, else x times a slope drawn from U(lower, upper)
    per element at each call (MindSpore 2.10 draws in every mode, training or not)."""

    def __init__(self, lower=1 / 8, upper=1 / 3):
        super().__init__()
        for name, value in (("upper", upper), ("lower", lower)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"For 'RReLU', '{name}' must be a float or an int, got {type(value).__name__}")
        if lower > upper:
            raise ValueError(f"For RReLU, the value of 'upper' must be greater than or equal to 'lower', "
                             f"but got upper: {upper}, lower: {lower}.")
        self.lower, self.upper = float(lower), float(upper)

    def construct(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"For 'rrelu', the input must be a Tensor, but got {type(x)}.")
        return _ops.rrelu(x, self.lower, self.upper)


class HShrink(Cell):
    """nn.HShrink(lambd=0.5): x where |x| > lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.shrink = _ops.HShrink(lambd)

    def construct(self, input_x):
        return self.shrink(input_x)


class OneHot(Cell):
    """nn.OneHot(axis=-1, depth=1, on_value=1.0, off_value=0.0, dtype=float32): ops.one_hot of the indices,
    in dtype."""

    def __init__(self, axis=-1, depth=1, on_value=1.0, off_value=0.0, dtype=None):
        super().__init__()
        self.axis, self.depth, self.dtype = int(axis), int(depth), dtype
        self.on_value, self.off_value = on_value, off_value

    def construct(self, indices):
        out = _ops.one_hot(indices, self.depth, self.on_value, self.off_value, self.axis)
        return out if self.dtype is None else _ops.cast(out, self.dtype)
