"""mindspore.train's per-class metrics (Precision, Recall, Fbeta / F1, TopKCategoricalAccuracy, ConfusionMatrix),
computed in the client on NumPy as MindSpore 2.10 computes them: argmax of the scores against class indices
(or one-hot labels), counts accumulated over update() calls."""
from __future__ import annotations

import sys

import numpy as np

from ..nn._metrics import Metric, is_one_hot, check_inputs, rearrange_inputs

_EPS = sys.float_info.min  # MindSpore's: 0 / (0 + eps) is 0, never a NaN


def _check_eval_type(name: str, eval_type: str) -> str:
    if eval_type not in ("classification", "multilabel"):
        raise TypeError(f"For '{name}', the argument 'eval_type' must be 'classification' or 'multilabel', but got "
                        f"{eval_type!r}.")
    return eval_type


def _check_average(name: str, average) -> None:
    if not isinstance(average, bool):
        raise TypeError(f"For '{name}.eval', the argument 'average' must be a bool, but got {type(average)}.")


class _PerClass(Metric):
    """Shared by Precision / Recall / Fbeta: one-hot predictions (argmax) and labels, per-class counts."""

    _name = ""

    def clear(self) -> None:
        self._class_num = 0
        self._counts: dict = {}
        self._multilabel_ratio, self._multilabel_n = 0.0, 0

    def _one_hots(self, inputs, eval_type: str = "classification") -> tuple[np.ndarray, np.ndarray]:
        check_inputs(self._name, inputs, "predicted value", "true value")
        y_pred, y = self._convert_data(inputs[0]), self._convert_data(inputs[1])
        if eval_type == "classification" and y_pred.ndim == y.ndim and is_one_hot(y):
            y = y.argmax(axis=1)
        self._check_shapes(y_pred, y, eval_type)
        classes = y_pred.shape[1]
        if self._class_num and classes != self._class_num:
            raise ValueError(f"For '{self._name}.update', class number not match, last input predicted data "
                             f"contain {self._class_num} classes, but current predicted data contain {classes} "
                             f"classes, please check your predicted value(inputs[0]).")
        self._class_num = classes
        if eval_type == "multilabel":  # one row per class, the samples (and any further axes) along it
            return y_pred.swapaxes(1, 0).reshape(classes, -1), y.swapaxes(1, 0).reshape(classes, -1)
        if y.max() + 1 > classes:
            raise ValueError(f"For '{self._name}.update', predicted value (input[0]) should have the same classes "
                             f"number as true value (input[1]), but got predicted value classes {classes}, true "
                             f"value classes {y.max() + 1}.")
        eye = np.eye(classes)
        return eye[y_pred.argmax(axis=1).reshape(-1)], eye[y.reshape(-1).astype(np.int64)]

    def _check_shapes(self, y_pred, y, eval_type: str) -> None:
        if eval_type == "classification":
            if y_pred.ndim != y.ndim + 1 or y.shape != (y_pred.shape[0],) + y_pred.shape[2:]:
                raise ValueError(f"For '{self._name}.update', in classification case y (true value) must have the "
                                 f"shape of y_pred (predicted value) without its axis 1, but got y_pred shape "
                                 f"{y_pred.shape} and y shape {y.shape}.")
            return
        if y_pred.shape != y.shape:
            raise ValueError(f"For '{self._name}.update', in multilabel case y_pred (predicted value) and y (true "
                             f"value) must have the same shape, but got {y_pred.shape} and {y.shape}.")
        if not (np.equal(y_pred ** 2, y_pred).all() and np.equal(y ** 2, y).all()):
            raise ValueError(f"For '{self._name}.update', in multilabel case all elements in y_pred and y must be "
                             f"0 or 1.")

    def _add(self, **counts) -> None:
        for key, value in counts.items():
            self._counts[key] = self._counts.get(key, 0) + value

    def _check_updated(self) -> None:
        if self._class_num == 0:
            raise RuntimeError(f"The '{self._name}' can not be calculated, because the number of samples is 0, "
                               f"please check whether your inputs (predicted value, true value) are empty, or has "
                               f"called update method before calling eval method.")


class _PrecisionRecall(_PerClass):
    """true positives over the predicted (Precision) or the actual (Recall) positives of each class; in the
    multilabel case `average` is the mean of each sample's ratio."""

    _denominator = ""  # the one-hot that counts the class's positives: "pred" or "label"

    def __init__(self, eval_type: str = "classification"):
        self._type = _check_eval_type(self._name, eval_type)
        super().__init__()

    @rearrange_inputs
    def update(self, *inputs) -> None:
        y_pred, y = self._one_hots(inputs, self._type)
        positives = (y_pred if self._denominator == "pred" else y).sum(axis=0)
        true_positives = (y * y_pred).sum(axis=0)
        if self._type == "multilabel":  # per sample: kept in order, not summed
            self._multilabel_ratio += float(np.sum(true_positives / (positives + _EPS)))
            self._multilabel_n += len(positives)
            self._counts["tp"] = np.concatenate([self._counts.get("tp", np.empty(0)), true_positives])
            self._counts["p"] = np.concatenate([self._counts.get("p", np.empty(0)), positives])
        else:
            self._add(tp=true_positives, p=positives)

    def eval(self, average: bool = False):
        self._check_updated()
        _check_average(self._name, average)
        result = self._counts["tp"] / (self._counts["p"] + _EPS)
        if not average:
            return result
        if self._type == "multilabel":
            return np.mean(self._multilabel_ratio / (self._multilabel_n + _EPS))
        return result.mean()


class Precision(_PrecisionRecall):
    """train.Precision(eval_type): per class, correct predictions of it over predictions of it."""

    _name, _denominator = "Precision", "pred"


class Recall(_PrecisionRecall):
    """train.Recall(eval_type): per class, correct predictions of it over samples of it."""

    _name, _denominator = "Recall", "label"


class Fbeta(_PerClass):
    """train.Fbeta(beta): per class (1 + beta^2) tp / (beta^2 actual positives + predicted positives)."""

    _name = "Fbeta"

    def __init__(self, beta):
        if not beta > 0:
            raise ValueError(f"For 'Fbeta', the argument 'beta' must be greater than 0, but got {beta}.")
        self.beta = beta
        super().__init__()

    @rearrange_inputs
    def update(self, *inputs) -> None:
        y_pred, y = self._one_hots(inputs)
        self._add(tp=(y * y_pred).sum(axis=0), pred=y_pred.sum(axis=0), label=y.sum(axis=0))

    def eval(self, average: bool = False):
        _check_average(self._name, average)
        self._check_updated()
        c = self._counts
        fbeta = (1.0 + self.beta ** 2) * c["tp"] / (self.beta ** 2 * c["label"] + c["pred"] + _EPS)
        return fbeta.mean() if average else fbeta


class F1(Fbeta):
    """train.F1: Fbeta with beta 1."""

    def __init__(self):
        super().__init__(1.0)


class TopKCategoricalAccuracy(Metric):
    """train.TopKCategoricalAccuracy(k): the share of samples whose label is among the k highest scores."""

    def __init__(self, k):
        if not isinstance(k, int) or isinstance(k, bool):
            raise TypeError(f"For 'TopKCategoricalAccuracy', the type of the argument 'k' should be int, but got "
                            f"{type(k)}.")
        if k < 1:
            raise ValueError(f"For 'TopKCategoricalAccuracy', the argument 'k' must be at least 1, but got {k}.")
        self.k = k
        super().__init__()

    def clear(self) -> None:
        self._correct_num, self._samples_num = 0, 0

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs("TopKCategoricalAccuracy", inputs, "predicted value", "true value")
        y_pred, y = self._convert_data(inputs[0]), self._convert_data(inputs[1])
        if y_pred.ndim == y.ndim and is_one_hot(y):
            y = y.argmax(axis=1)
        top = np.argsort(-y_pred, axis=1, kind="stable")[:, :self.k]
        self._correct_num += int((top == y.reshape(-1, 1)).sum())
        self._samples_num += top.shape[0]

    def eval(self) -> float:
        if self._samples_num == 0:
            raise RuntimeError("The 'TopKCategoricalAccuracy' can not be calculated, because the number of samples "
                               "is 0, please check whether your inputs (predicted value, true value) are empty, or "
                               "has called update method before calling eval method.")
        return self._correct_num / self._samples_num


class Top1CategoricalAccuracy(TopKCategoricalAccuracy):
    def __init__(self):
        super().__init__(1)


class Top5CategoricalAccuracy(TopKCategoricalAccuracy):
    def __init__(self):
        super().__init__(5)


class ConfusionMatrix(Metric):
    """train.ConfusionMatrix(num_classes, normalize, threshold): counts[label, prediction] (float); scores of
    one more axis than the labels are argmax'ed, float scores of the labels' shape thresholded."""

    _NORMS = ("no_norm", "target", "prediction", "all")

    def __init__(self, num_classes, normalize="no_norm", threshold=0.5):
        if not isinstance(num_classes, int):
            raise TypeError(f"For 'ConfusionMatrix', the argument 'num_classes' must be int, but got "
                            f"{type(num_classes)}.")
        if normalize not in self._NORMS:
            raise ValueError(f"For 'ConfusionMatrix', the argument 'normalize' must be in {list(self._NORMS)}, but "
                             f"got {normalize!r}.")
        if not isinstance(threshold, float):
            raise TypeError(f"For 'ConfusionMatrix', the argument 'threshold' must be float, but got "
                            f"{type(threshold)}.")
        self.num_classes, self.normalize, self.threshold = num_classes, normalize, threshold
        super().__init__()

    def clear(self) -> None:
        self.confusion_matrix = np.zeros((self.num_classes, self.num_classes))
        self._is_update = False

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs("ConfusionMatrix", inputs, "predicted value", "true value")
        y_pred, y = self._convert_data(inputs[0]), self._convert_data(inputs[1])
        if y_pred.ndim not in (y.ndim, y.ndim + 1):
            raise ValueError(f"For 'ConfusionMatrix.update', predicted value (input[0]) must have the dimensions of "
                             f"true value (input[1]) or one more, but got {y_pred.ndim} and {y.ndim}.")
        if y_pred.ndim == y.ndim + 1:
            y_pred = np.argmax(y_pred, axis=1)
        elif np.issubdtype(y_pred.dtype, np.floating):
            y_pred = (y_pred >= self.threshold).astype(np.int64)
        cells = (y.reshape(-1) * self.num_classes + y_pred.reshape(-1)).astype(np.int64)
        counts = np.bincount(cells, minlength=self.num_classes ** 2)
        self.confusion_matrix += counts.reshape(self.num_classes, self.num_classes)
        self._is_update = True

    def eval(self) -> np.ndarray:
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        matrix = self.confusion_matrix.astype(float)
        if self.normalize == "no_norm":
            return matrix
        axis = {"target": 1, "prediction": 0, "all": None}[self.normalize]
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = matrix / matrix.sum(axis=axis, keepdims=axis is not None)
        matrix[np.isnan(matrix)] = 0.0  # a class never seen (a row or column of zeros)
        return matrix
