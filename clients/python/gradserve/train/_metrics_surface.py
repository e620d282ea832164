"""train.HausdorffDistance / MeanSurfaceDistance / RootMeanSquareDistance: distances between the edges of two
segmentations of one label, as MindSpore 2.10 computes them (its edges: the mask minus its erosion by the
face-connected cross, outside the array counting as background; its distances: scipy's exact Euclidean /
chessboard / taxicab distance transforms, here the same minimum over the other mask's edge points)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..nn._metrics import Metric, check_inputs, not_updated, rearrange_inputs

_METRICS = ("euclidean", "chessboard", "taxicab")


def edges(mask: np.ndarray) -> np.ndarray:
    """The mask's points with a face neighbour (or the array's border) outside it."""
    mask = np.asarray(mask, dtype=bool)
    padded = np.pad(mask, 1, constant_values=False)
    inner = mask.copy()
    centre = tuple(slice(1, -1) for _ in range(mask.ndim))
    for axis in range(mask.ndim):
        for step in (-1, 1):
            shifted = list(centre)
            shifted[axis] = slice(1 + step, padded.shape[axis] - 1 + step)
            inner &= padded[tuple(shifted)]
    return mask & ~inner


def surface_distances(from_edges: np.ndarray, to_edges: np.ndarray, metric: str) -> np.ndarray:
    """For each point of from_edges (in C order), its distance to the nearest point of to_edges (inf if none)."""
    sources = np.argwhere(from_edges)
    if len(sources) == 0:
        return np.array([])
    targets = np.argwhere(to_edges)
    if len(targets) == 0:
        return np.full(len(sources), np.inf)
    delta = np.abs(sources[:, None, :] - targets[None, :, :])  # integer steps: chessboard / taxicab give ints
    if metric == "euclidean":
        dist = np.sqrt((delta.astype(float) ** 2).sum(axis=-1))
    elif metric == "chessboard":
        dist = delta.max(axis=-1)
    else:
        dist = delta.sum(axis=-1)
    return dist.min(axis=1)


class _SurfaceMetric(Metric):
    """update(y_pred, y, label_idx): the edges of each input's `label_idx` region; eval() measures them."""

    _name = ""

    def __init__(self, distance_metric: str = "euclidean"):
        if distance_metric not in _METRICS:
            raise ValueError(f"For '{self._name}', the argument 'distance_metric' must be in {list(_METRICS)}, but "
                             f"got {distance_metric!r}.")
        self.distance_metric = distance_metric
        super().__init__()

    def clear(self) -> None:
        self._y_pred_edges: Any = 0
        self._y_edges: Any = 0
        self._is_update = False

    def _masks(self, inputs) -> tuple[np.ndarray, np.ndarray]:
        check_inputs(self._name, inputs, "predicted value", "true value", "label index")
        y_pred, y, label = self._convert_data(inputs[0]), self._convert_data(inputs[1]), inputs[2]
        if not isinstance(label, (int, float)):
            raise ValueError(f"For '{self._name}.update', the label index (input[2]) must be int or float, but got "
                             f"{type(label)}.")
        if label not in y_pred and label not in y:
            raise ValueError(f"For '{self._name}.update', the label index (input[2]) must be in predicted value "
                             f"(input[0]) or true value (input[1]), but {label} is not.")
        if y_pred.size == 0 or y_pred.shape != y.shape:
            raise ValueError(f"For '{self._name}.update', predicted value (input[0]) and true value (input[1]) must "
                             f"be non-empty and of one shape, but got shapes {y_pred.shape} and {y.shape}.")
        return (y_pred if y_pred.dtype == bool else y_pred == label), (y if y.dtype == bool else y == label)

    def _check_updated(self) -> None:
        if not self._is_update:
            raise not_updated()


class HausdorffDistance(_SurfaceMetric):
    """train.HausdorffDistance(distance_metric, percentile, directed, crop): the largest (or the percentile)
    distance from an edge point of one segmentation to the other's edges, both ways unless directed."""

    _name = "HausdorffDistance"

    def __init__(self, distance_metric="euclidean", percentile=None, directed=False, crop=True):
        if percentile is not None and not isinstance(percentile, float):
            raise TypeError(f"For 'HausdorffDistance', the argument 'percentile' must be float, but got "
                            f"{type(percentile)}.")
        self.percentile, self.directed, self.crop = percentile, directed, crop
        super().__init__(distance_metric)

    @rearrange_inputs
    def update(self, *inputs) -> None:
        self._is_update = True
        y_pred, y = self._masks(inputs)
        if self.crop:  # to the bounding box of both masks (no effect on the distances but at the array's border)
            either = y_pred | y
            if not either.any():
                self._y_pred_edges, self._y_edges = np.zeros_like(y_pred), np.zeros_like(y)
                return
            box = tuple(slice(i.min(), i.max() + 1) for i in np.nonzero(either))
            y_pred, y = np.squeeze(y_pred[box]), np.squeeze(y[box])
        self._y_pred_edges, self._y_edges = edges(y_pred), edges(y)

    def _one_way(self, from_edges, to_edges) -> float:
        dist = surface_distances(from_edges, to_edges, self.distance_metric)
        if dist.size == 0:
            return np.inf
        if not self.percentile:
            return dist.max()
        if not 0 <= self.percentile <= 100:
            raise ValueError(f"For 'HausdorffDistance', the value of the argument 'percentile' must be [0, 100], "
                             f"but got {self.percentile}.")
        return np.percentile(dist, self.percentile)

    def eval(self):
        self._check_updated()
        forward = self._one_way(self._y_pred_edges, self._y_edges)
        return forward if self.directed else max(forward, self._one_way(self._y_edges, self._y_pred_edges))


class _MeanSurface(_SurfaceMetric):
    """Mean (MeanSurfaceDistance) or mean square (RootMeanSquareDistance) of the edge distances."""

    _power = 1

    def __init__(self, symmetric=False, distance_metric="euclidean"):
        if not isinstance(symmetric, bool):
            raise TypeError(f"For '{self._name}', the argument 'symmetric' must be a bool, but got "
                            f"{type(symmetric)}.")
        self.symmetric = symmetric
        super().__init__(distance_metric)

    @rearrange_inputs
    def update(self, *inputs) -> None:
        y_pred, y = self._masks(inputs)
        self._y_pred_edges, self._y_edges = edges(y_pred), edges(y)
        self._is_update = True

    def _one_way(self, from_edges, to_edges):
        dist = surface_distances(from_edges, to_edges, self.distance_metric)
        return np.inf if dist.size == 0 else (dist ** self._power).mean()

    def _both_ways(self, forward, backward):
        raise NotImplementedError

    def eval(self):
        self._check_updated()
        forward = self._one_way(self._y_pred_edges, self._y_edges)
        if not self.symmetric or forward == np.inf:
            return forward
        backward = self._one_way(self._y_edges, self._y_pred_edges)
        return np.inf if backward == np.inf else self._both_ways(forward, backward)


class MeanSurfaceDistance(_MeanSurface):
    """train.MeanSurfaceDistance(symmetric, distance_metric)."""

    _name, _power = "MeanSurfaceDistance", 1

    def _both_ways(self, forward, backward):
        return np.mean((forward, backward))


class RootMeanSquareDistance(_MeanSurface):
    """train.RootMeanSquareDistance(symmetric, distance_metric): MindSpore returns the mean square one way (no
    root) and the root of the two mean squares' mean when symmetric."""

    _name, _power = "RootMeanSquareDistance", 2

    def _both_ways(self, forward, backward):
        return np.sqrt(np.mean((forward, backward)))
