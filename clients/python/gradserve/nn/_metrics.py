"""nn.Metric, nn.Accuracy, nn.Loss (also mindspore.train's): MindSpore's metrics, computed in the client
on NumPy from the outputs the service returned (Model.eval updates them batch by batch)."""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np


def _np(x) -> np.ndarray:
    return x._host_copy() if hasattr(x, "_host_copy") else np.asarray(x)


def rearrange_inputs(update):
    """Decorates a metric's update: with set_indexes([i, j, ...]) it sees inputs[i], inputs[j], ... (Model.eval
    passes the network's outputs and labels together; the indexes pick the ones a metric reads)."""

    @functools.wraps(update)
    def wrapper(self, *inputs):
        indexes = self.indexes
        return update(self, *(inputs if not indexes else [inputs[i] for i in indexes]))
    return wrapper


def check_inputs(name: str, inputs, *what: str) -> None:
    """update(*inputs) got as many inputs as the metric reads (what names them), else MindSpore's ValueError."""
    if len(inputs) != len(what):
        plural = "input" if len(what) == 1 else "inputs"
        raise ValueError(f"For '{name}.update', it needs {len(what)} {plural} ({', '.join(what)}), but got "
                         f"{len(inputs)}.")


def not_updated() -> RuntimeError:
    return RuntimeError("Please call the 'update' method before calling 'eval' method.")


class Metric:
    """clear() before a pass, update(*inputs) per batch, eval() at the end; metric(*inputs) does all three."""

    def __init__(self):
        self._indexes = None
        self.clear()

    @property
    def indexes(self):
        return getattr(self, "_indexes", None)

    def set_indexes(self, indexes):
        if not isinstance(indexes, list) or not all(isinstance(i, int) for i in indexes):
            raise ValueError("For 'set_indexes', the argument 'indexes' must be a list and all its elements must "
                             "be int, please check whether it is correct.")
        self._indexes = indexes
        return self

    def __call__(self, *inputs):
        self.clear()
        self.update(*inputs)
        return self.eval()

    def _convert_data(self, data) -> np.ndarray:
        """MindSpore's accepted inputs: a Tensor, a list or a NumPy array."""
        if hasattr(data, "_host_copy"):
            return data._host_copy()
        if isinstance(data, (list, np.ndarray)):
            return np.asarray(data)
        raise TypeError(f"For 'Metric' and its derived classes, the input data type must be tensor, list or "
                        f"numpy.ndarray, but got {type(data)}.")

    def clear(self) -> None:
        raise NotImplementedError

    def _update_undefined(self, *inputs: Any) -> None:
        raise NotImplementedError

    # each metric's update takes its own inputs (Accuracy's (y_pred, y), CosineSimilarity's one matrix): typed
    # as any callable so that every such override fits the base
    update: Callable[..., None] = _update_undefined

    def eval(self):
        raise NotImplementedError


def is_one_hot(y: np.ndarray) -> bool:
    """0 / 1 labels with exactly one 1 along axis 1 (MindSpore then reads y as its argmax over that axis)."""
    return y.ndim > 1 and bool(np.all(y * y == y)) and bool(np.all(y.sum(axis=1) == 1))


class Accuracy(Metric):
    """nn.Accuracy(eval_type): 'classification' compares the argmax over axis 1 of the logits (N, C, ...) with
    class indices (N, ...) or one-hot labels; 'multilabel' counts the samples whose 0 / 1 labels all match
    along axis 1. MindSpore 2.10's checks and texts; eval is a NumPy float64, as MindSpore's."""

    def __init__(self, eval_type: str = "classification"):
        if eval_type not in ("classification", "multilabel"):
            raise TypeError(f"The argument 'eval_type' must be in {{'classification', 'multilabel'}}, "
                            f"but got {eval_type}")
        self._type = eval_type
        super().__init__()

    def clear(self) -> None:
        self._correct, self._total, self._classes = 0, 0, 0

    @rearrange_inputs
    def update(self, *inputs) -> None:
        if len(inputs) != 2:
            raise ValueError(f"For 'Accuracy.update', it needs 2 inputs (predicted value, true value), but got "
                             f"{len(inputs)}")
        y_pred, y = self._convert_data(inputs[0]), self._convert_data(inputs[1])
        if self._type == "classification" and y_pred.ndim == y.ndim and is_one_hot(y):
            y = y.argmax(axis=1)
        self._check_shapes(y_pred, y)
        if self._type == "multilabel" and not (np.all(y_pred * y_pred == y_pred) and np.all(y * y == y)):
            raise ValueError("In multilabel case, all elements in y_pred (predicted value) and y (true value) should "
                             "be 0 or 1.Please check whether your inputs y_pred and y are correct.")
        if self._classes and y_pred.shape[1] != self._classes:
            raise ValueError(f"For 'Accuracy.update', class number not match, last input predicted data contain "
                             f"{self._classes} classes, but current predicted data contain {y_pred.shape[1]} "
                             f"classes, please check your predicted value(inputs[0]).")
        self._classes = y_pred.shape[1]
        hits = y_pred.argmax(axis=1) == y if self._type == "classification" else np.all(y_pred == y, axis=1)
        self._correct += int(hits.sum())
        self._total += int(hits.size)

    def _check_shapes(self, y_pred: np.ndarray, y: np.ndarray) -> None:
        if self._type == "multilabel":
            if y_pred.ndim != y.ndim:
                raise ValueError(f"In multilabel case, the dimension of y_pred (predicted value) should equal to the "
                                 f"dimension of y (true value), but got y_pred dimension: {y_pred.ndim} and y "
                                 f"dimension: {y.ndim}.")
            if y_pred.shape != y.shape:
                raise ValueError(f"In multilabel case, the shape of y_pred (predicted value) should equal to the "
                                 f"shape of y (true value), but got y_pred shape: {y_pred.shape} and y shape: "
                                 f"{y.shape}.")
            return
        if y_pred.ndim != y.ndim + 1:
            raise ValueError(f"In classification case, the dimension of y_pred (predicted value) should equal to the "
                             f"dimension of y (true value) add 1, but got y_pred dimension: {y_pred.ndim} and y "
                             f"dimension: {y.ndim}.")
        if y.shape != (y_pred.shape[0],) + y_pred.shape[2:]:
            raise ValueError(f"In classification case, y_pred (predicted value) shape and y (true value) shape can "
                             f"not match, y shape should be equal to y_pred shape that the value at index 1 is "
                             f"deleted. Such as y_pred shape (1, 2, 3), then y shape should be (1, 3). But got y_pred "
                             f"shape {y_pred.shape} and y shape {y.shape}")

    def eval(self) -> float:
        if not self._total:
            raise RuntimeError("The 'Accuracy' can not be calculated, because the number of samples is 0, please "
                               "check whether your inputs(predicted value, true value) are empty, or has called "
                               "update method before calling eval method.")
        return np.float64(self._correct) / self._total


class Loss(Metric):
    """nn.Loss: the mean over batches of each batch's mean loss."""

    def clear(self) -> None:
        self._sum, self._n = 0.0, 0

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs("Loss", inputs, "loss")
        self._sum += float(np.mean(_np(inputs[0])))
        self._n += 1

    def eval(self) -> float:
        if not self._n:
            raise RuntimeError("The 'Loss' can not be calculated, because the number of samples is 0.")
        return self._sum / self._n


class _MeanError(Metric):
    """MindSpore's definition: the errors of all elements summed, over the samples (the first axis)."""

    _name = ""

    def clear(self) -> None:
        self._sum, self._n = 0.0, 0

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs(self._name, inputs, "predicted value", "true value")
        y_pred, y = _np(inputs[0]).astype(np.float64), _np(inputs[1]).astype(np.float64)
        err = self._error(y_pred - y.reshape(y_pred.shape))
        self._sum += float(err.sum())
        self._n += y.shape[0] if y.ndim else 1

    def _error(self, d: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def eval(self) -> float:
        if not self._n:
            raise RuntimeError(f"The '{self._name}' can not be calculated, because the number of samples is 0.")
        return self._sum / self._n


class MAE(_MeanError):
    """nn.MAE: mean absolute error."""

    _name = "MAE"

    def _error(self, d):
        return np.abs(d)


class MSE(_MeanError):
    """nn.MSE: mean squared error."""

    _name = "MSE"

    def _error(self, d):
        return d * d


__all__ = ["rearrange_inputs", "Metric", "Accuracy", "Loss", "MAE", "MSE"]
