"""nn.TimeDistributed(layer, time_axis, reshape_with_axis=None): layer applied to every time step of the
input, the outputs stacked back at time_axis (MindSpore 2.10's documented behaviour). With reshape_with_axis
the time axis is folded into that axis (one call of layer over R * T rows: layer must treat that axis as a
batch), then unfolded; without it, one call of layer per time step. The derivative is that of the ops used."""
from __future__ import annotations

from typing import Any

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Tensor

__all__ = ["TimeDistributed"]


def _axis(axis, ndim: int, what: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise ValueError(f"TimeDistributed: {what} {axis!r} is out of range for an input of rank {ndim}")
    return axis % ndim


def _move(x, src: int, dst: int):
    """x with its axis src moved to position dst (the others in order)."""
    if src == dst:
        return x
    perm = [a for a in range(x.ndim) if a != src]
    perm.insert(dst, src)
    return _ops.transpose(x, tuple(perm))


class TimeDistributed(Cell):
    """See the module's doc. layer: a Cell or an op (a callable of one Tensor)."""

    def __init__(self, layer, time_axis, reshape_with_axis=None):
        super().__init__()
        if not callable(layer):
            raise TypeError(f"TimeDistributed: layer must be a Cell or a Primitive, got {type(layer).__name__}")
        self.layer = layer
        self.time_axis = time_axis
        self.reshape_with_axis = reshape_with_axis

    def construct(self, inputs):
        if not isinstance(inputs, Tensor) or inputs.ndim < 2:
            raise ValueError("TimeDistributed: inputs must be a Tensor of rank >= 2, got "
                             f"{getattr(inputs, 'shape', type(inputs).__name__)}")
        t = _axis(self.time_axis, inputs.ndim, "time_axis")
        if self.reshape_with_axis is None:
            steps: list[Any] = [self.layer(s) for s in _ops.unstack(inputs, t)]  # Tensors (any callable's)
            return _ops.stack(steps, _axis(self.time_axis, steps[0].ndim + 1, "time_axis"))
        r = _axis(self.reshape_with_axis, inputs.ndim, "reshape_with_axis")
        if r == t:
            raise ValueError("TimeDistributed: reshape_with_axis must differ from time_axis")
        steps_n = inputs.shape[t]
        x = _move(inputs, t, r + 1 if t > r else r)  # time right after the folded axis
        r_new = r if t > r else r - 1
        shape = list(x.shape)
        folded = _ops.reshape(x, tuple(shape[:r_new] + [shape[r_new] * steps_n] + shape[r_new + 2:]))
        y: Any = self.layer(folded)
        ys = list(y.shape)
        y = _ops.reshape(y, tuple(ys[:r_new] + [ys[r_new] // steps_n, steps_n] + ys[r_new + 1:]))
        return _move(y, r_new + 1, _axis(self.time_axis, y.ndim, "time_axis"))
