"""Loss scaling (MindSpore's nn.TrainOneStepWithLossScaleCell, nn.DynamicLossScaleUpdateCell,
nn.FixedLossScaleUpdateCell, amp's loss scalers and managers). The scale multiplies the loss inside the traced
graph (so float16 gradients overflow as they would on a device); the overflow check and the scale's update run
here, in the client, where the optimizer runs."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Tensor


def all_finite(inputs, status=None) -> Tensor:
    """A bool scalar Tensor: every element of every Tensor in inputs is finite (mindspore.amp.all_finite; status,
    an Ascend overflow register, is not read)."""
    items = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    return Tensor(np.array(all(bool(np.isfinite(_ops.cast(t, np.float32)._host_copy()).all()) for t in items)))


def _positive(v, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or v <= 0:
        raise ValueError(f"{name} must be a positive number, got {v!r}")
    return float(v)


class _Scaler:
    """scale / unscale of a loss or a tuple of gradients by scale_value (a float32 0-d Tensor)."""

    def __init__(self, scale_value):
        self.scale_value = Tensor(np.array(_positive(scale_value, "scale_value"), np.float32))

    def _map(self, inputs, f):
        return tuple(f(x) for x in inputs) if isinstance(inputs, (tuple, list)) else f(inputs)

    def scale(self, inputs):
        s = float(self.scale_value._host_copy())
        return self._map(inputs, lambda x: x * _ops.cast(Tensor(np.array(s, np.float32)), x.dtype))

    def unscale(self, inputs):
        s = float(self.scale_value._host_copy())
        return self._map(inputs, lambda x: x / _ops.cast(Tensor(np.array(s, np.float32)), x.dtype))


class StaticLossScaler(_Scaler):
    """A fixed scale: adjust changes nothing (mindspore.amp.StaticLossScaler)."""

    def adjust(self, grads_finite):
        return False


class DynamicLossScaler(_Scaler):
    """mindspore.amp.DynamicLossScaler: after scale_window finite steps in a row the scale grows by
    scale_factor (when the product is finite); a step with non-finite gradients divides it by scale_factor
    (never below 1) and restarts the count."""

    def __init__(self, scale_value, scale_factor, scale_window):
        super().__init__(scale_value)
        self.scale_factor = _positive(scale_factor, "scale_factor")
        if isinstance(scale_window, bool) or not isinstance(scale_window, int) or scale_window < 1:
            raise ValueError(f"scale_window must be a positive int, got {scale_window!r}")
        self.scale_window, self.counter = scale_window, 0

    def adjust(self, grads_finite):
        s = float(self.scale_value._host_copy())
        if bool(np.asarray(grads_finite._host_copy() if isinstance(grads_finite, Tensor) else grads_finite)):
            self.counter = (self.counter + 1) % self.scale_window
            grown = np.float32(s * self.scale_factor)
            s = float(grown) if self.counter == 0 and np.isfinite(grown) else s
        else:
            s, self.counter = max(1.0, s / self.scale_factor), 0
        self.scale_value = Tensor(np.array(s, np.float32))
        return True


class FixedLossScaleUpdateCell(Cell):
    """nn.FixedLossScaleUpdateCell: the scale never changes."""

    def __init__(self, loss_scale_value):
        super().__init__()
        self.scaler = StaticLossScaler(loss_scale_value)

    def get_loss_scale(self):
        return float(self.scaler.scale_value._host_copy())

    def __call__(self, loss_scale, overflow):
        return bool(np.asarray(overflow._host_copy() if isinstance(overflow, Tensor) else overflow))


class DynamicLossScaleUpdateCell(Cell):
    """nn.DynamicLossScaleUpdateCell(loss_scale_value, scale_factor, scale_window): the DynamicLossScaler rule."""

    def __init__(self, loss_scale_value, scale_factor, scale_window):
        super().__init__()
        self.scaler = DynamicLossScaler(loss_scale_value, scale_factor, scale_window)

    def get_loss_scale(self):
        return float(self.scaler.scale_value._host_copy())

    def __call__(self, loss_scale, overflow):
        ov = bool(np.asarray(overflow._host_copy() if isinstance(overflow, Tensor) else overflow))
        self.scaler.adjust(not ov)
        return ov


def _scaled(network):
    def loss_times_scale(*args):
        *inputs, scale = args
        loss = network(*inputs)
        return loss * _ops.cast(scale, loss.dtype)
    return loss_times_scale


class TrainOneStepWithLossScaleCell(Cell):
    """nn.TrainOneStepWithLossScaleCell(network, optimizer, scale_sense): the gradients of loss * scale
    (taken in the graph), unscaled here; a step whose gradients are not all finite leaves the weights as they
    were. scale_sense: an update cell (Dynamic / Fixed LossScaleUpdateCell, which adjusts the scale) or a
    Tensor (a fixed scale). Returns (loss, overflow, the scale used) as MindSpore."""

    def __init__(self, network, optimizer, scale_sense):
        super().__init__(auto_prefix=False)
        if not isinstance(scale_sense, (Cell, Tensor)):
            raise TypeError(f"TrainOneStepWithLossScaleCell: scale_sense must be a Cell or a Tensor, got "
                            f"{type(scale_sense).__name__}")
        self.network, self.optimizer, self.weights = network, optimizer, optimizer.parameters
        self.scale_sense = scale_sense
        self._gs_grad = _ops.value_and_grad(_scaled(network), None, self.weights)

    def _scale(self) -> float:
        s: Any = self.scale_sense  # (an update cell: its get_loss_scale)
        if isinstance(s, Tensor):
            return float(np.asarray(s._host_copy()).reshape(-1)[0])
        return float(s.get_loss_scale())

    def __call__(self, *inputs):
        scale = self._scale()
        sens = Tensor(np.array(scale, np.float32))
        value, grads = self._gs_grad(*inputs, sens)
        loss = value / _ops.cast(sens, value.dtype)
        grads = tuple(g / _ops.cast(sens, g.dtype) for g in grads)
        overflow = not bool(all_finite(grads)._host_copy())
        if isinstance(self.scale_sense, Cell):
            self.scale_sense(sens, overflow)
        if not overflow:
            self.optimizer(grads)
        return loss, Tensor(np.array(overflow)), sens

    def construct(self, *inputs):
        raise TypeError("TrainOneStepWithLossScaleCell runs its optimizer in the client: call it, do not trace it")

    def _gs_compiled_part(self):
        return self.network


__all__ = ["TrainOneStepWithLossScaleCell", "DynamicLossScaleUpdateCell", "FixedLossScaleUpdateCell"]
