"""train.OcclusionSensitivity: how much a classifier's score of the label drops when a neighbourhood of each
input element is set to pad_val (MindSpore 2.10's metric; the model runs on the service in batches)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..nn._metrics import Metric, check_inputs, rearrange_inputs


def _bounding_box(b_box, shape: np.ndarray):
    """([lower], [upper]) per axis from MindSpore's flat [lo0, hi0, lo1, hi1, ...]; a negative bound: the edge."""
    if b_box is None:
        return None, None
    if len(b_box) != 2 * len(shape):
        raise ValueError(f"For 'OcclusionSensitivity', 'b_box' needs a lower and an upper bound for each of the "
                         f"{len(shape)} axes after the batch, but got {len(b_box)} values.")
    low, high = np.array(b_box[::2]), np.array(b_box[1::2])
    low[low < 0] = 0
    high[high < 0] = shape[high < 0] - 1
    if np.any(high >= shape) or np.any(low > high):
        raise ValueError(f"For 'OcclusionSensitivity', 'b_box' {b_box} must lie inside the input of shape "
                         f"{tuple(shape)} with each lower bound at most its upper one.")
    return low, high


class OcclusionSensitivity(Metric):
    """train.OcclusionSensitivity(pad_val, margin, n_batch, b_box): update(model, x, label) with a batch of
    one; eval() gives, per element, the label's score minus its score with that element's neighbourhood
    (margin on each side, clipped at the edges as MindSpore clips it) occluded."""

    def __init__(self, pad_val=0.0, margin=2, n_batch=128, b_box=None):
        # (a bool is not an int to MindSpore's check_value_type: margin=True is its TypeError)
        if not isinstance(pad_val, float) or isinstance(n_batch, bool) or not isinstance(n_batch, int) or \
                isinstance(margin, bool) or not isinstance(margin, (int, list)):
            raise TypeError("For 'OcclusionSensitivity', 'pad_val' must be a float, 'margin' an int or a list and "
                            f"'n_batch' an int, but got {pad_val!r}, {margin!r}, {n_batch!r}.")
        if b_box is not None and not isinstance(b_box, list):
            raise TypeError(f"For 'OcclusionSensitivity', 'b_box' must be a list, but got {type(b_box)}.")
        self.pad_val, self.margin, self.n_batch, self.b_box = pad_val, margin, n_batch, b_box
        super().__init__()

    def clear(self) -> None:
        self._baseline, self._is_update = 0, False
        self._sensitivity_im: Any = 0

    def _occluded(self, x: np.ndarray, index, shape) -> np.ndarray:
        low = [max(0, i - self.margin) for i in index]
        high = [min(n, i + self.margin) for i, n in zip(index, shape)]
        out = x.copy()
        out[(...,) + tuple(slice(a, b) for a, b in zip(low, high))] = self.pad_val
        return out

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs("OcclusionSensitivity", inputs, "classification model", "predicted value", "label")
        model, x, label = inputs[0], self._convert_data(inputs[1]), self._convert_data(inputs[2])
        if x.shape[0] > 1 or np.prod(label.shape) != x.shape[0]:
            raise RuntimeError(f"For 'OcclusionSensitivity.update', the input must be a batch of one with one "
                               f"label, but got input shape {x.shape} and label shape {label.shape}.")
        shape = np.array(x.shape[1:])
        low, high = _bounding_box(self.b_box, shape)
        out_shape = shape if low is None else high - low + 1
        self._baseline = model(Tensor(x))._host_copy()[0, label].item()
        scores, batch = [], []
        count = int(np.prod(out_shape))
        for i in range(count):
            index = np.unravel_index(i, out_shape)
            index = index if low is None else tuple(np.add(index, low))
            batch.append(self._occluded(x, index, shape))
            if len(batch) == self.n_batch or i == count - 1:
                out = model(Tensor(np.vstack(batch)))._host_copy()
                scores.append(out[np.arange(len(batch)), label.reshape(-1)[0]])
                batch = []
        self._sensitivity_im = np.concatenate(scores).reshape(out_shape)
        self._is_update = True

    def eval(self) -> np.ndarray:
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        return self._baseline - np.squeeze(self._sensitivity_im)
