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
            raise ValueError(f"For 'set_indexes', the argument 'indexes' must be a list of int, but got {indexes!r}.")
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


class Accuracy(Metric):
    """nn.Accuracy(eval_type='classification'): correct predictions / samples, the argmax of the logits
    against class indices (or one-hot labels)."""

    def __init__(self, eval_type: str = "classification"):
        if eval_type != "classification":
            raise NotImplementedError(f"Accuracy: eval_type {eval_type!r} is not supported ('classification')")
        super().__init__()

    def clear(self) -> None:
        self._correct, self._total = 0, 0

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs("Accuracy", inputs, "predicted value", "true value")
        pred = np.argmax(_np(inputs[0]), axis=-1)
        y = _np(inputs[1])
        y = np.argmax(y, axis=-1) if y.ndim == pred.ndim + 1 else y
        if y.shape != pred.shape:
            raise ValueError(f"Accuracy.update: labels of shape {list(y.shape)} for predictions of shape "
                             f"{list(pred.shape)}")
        self._correct += int((pred == y).sum())
        self._total += int(pred.size)

    def eval(self) -> float:
        if not self._total:
            raise RuntimeError("The 'Accuracy' can not be calculated, because the number of samples is 0.")
        return self._correct / self._total


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
