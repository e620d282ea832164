"""mindspore.train.ROC and mindspore.train.auc: the receiver operating characteristic of scores against labels,
computed in the client on NumPy (as the other metrics). Conventions read off MindSpore 2.10: the curve starts at
(0, 0) with the threshold max(score) + 1, has one point per distinct score (highest first, none dropped), a
multi-class input gives one curve per class (lists), and eval() is an error before update()."""
from __future__ import annotations

import numpy as np

from ..nn._metrics import Metric, _np, check_inputs


def _int_or_none(name: str, v):
    if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
        raise TypeError(f"For 'ROC', the type of '{name}' must be int, but got {type(v).__name__}.")
    return v


def _binary_curve(scores: np.ndarray, labels: np.ndarray, pos_label: int):
    """fpr, tpr, thresholds of one class: a point after each run of equal scores, highest first."""
    order = np.argsort(-scores, kind="stable")
    scores, hits = scores[order], (labels[order] == pos_label).astype(np.int64)
    ends = np.append(np.flatnonzero(np.diff(scores)), scores.size - 1)  # the last index of each distinct score
    tps = np.concatenate([[0], np.cumsum(hits)[ends]])
    fps = np.concatenate([[0], ends + 1 - tps[1:]])
    if fps[-1] <= 0:
        raise ValueError("For 'ROC.eval', there is no negative samples in true value, false positive value is "
                         "meaningless.")
    if tps[-1] <= 0:
        raise ValueError("For 'ROC.eval', there is no positive samples in true value, true positive value is "
                         "meaningless.")
    thresholds = np.concatenate([scores[ends[:1]] + 1, scores[ends]])
    return fps / fps[-1], tps / tps[-1], thresholds


class ROC(Metric):
    """ROC(class_num=None, pos_label=None). update(y_pred, y): scores and labels of one shape (a binary curve for
    pos_label, default 1), or scores (N, C) with class indices (N,) (one curve per class; class_num must be C)."""

    def __init__(self, class_num=None, pos_label=None):
        self.class_num = _int_or_none("class_num", class_num)
        self.pos_label = _int_or_none("pos_label", pos_label)
        super().__init__()

    def clear(self) -> None:
        self._scores: np.ndarray | None = None
        self._labels: np.ndarray | None = None

    def update(self, *inputs) -> None:
        check_inputs("ROC", inputs, "predicted value", "true value")
        scores, labels = _np(inputs[0]), _np(inputs[1])
        if scores.ndim == labels.ndim:
            if self.class_num not in (None, 1):
                raise ValueError(f"For 'ROC', when predicted value (input[0]) and true value (input[1]) have the "
                                 f"same shape, the 'class_num' must be 1, but got {self.class_num}.")
            self.class_num, self.pos_label = 1, 1 if self.pos_label is None else self.pos_label
            scores, labels = scores.reshape(-1), labels.reshape(-1)
        elif scores.ndim == labels.ndim + 1 == 2:
            if self.pos_label is not None:
                raise ValueError("For 'ROC', with class scores (N, C) and class indices (N,) the 'pos_label' "
                                 f"must be None, but got {self.pos_label}.")
            if self.class_num != scores.shape[1]:
                raise ValueError(f"For 'ROC', the 'class_num' must equal the number of classes from predicted "
                                 f"value (input[0]), but got 'class_num' {self.class_num}, the number of classes "
                                 f"from predicted value {scores.shape[1]}.")
            if labels.shape[0] != scores.shape[0]:
                raise ValueError(f"For 'ROC', {scores.shape[0]} rows of scores for {labels.shape[0]} labels.")
        else:
            raise ValueError(f"For 'ROC', predicted value (input[0]) and true value (input[1]) must have same "
                             f"dimensions, or scores (N, C) with labels (N,), but got predicted value ndim: "
                             f"{scores.ndim}, true value ndim: {labels.ndim}.")
        self._scores, self._labels = scores, labels

    def eval(self):
        """(fpr, tpr, thresholds): arrays for a binary curve, lists of arrays (one per class) otherwise."""
        scores, labels, classes = self._scores, self._labels, self.class_num
        if scores is None or labels is None or classes is None:  # (update sets class_num)
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        if classes == 1:
            return _binary_curve(scores, labels, 1 if self.pos_label is None else self.pos_label)
        curves = [_binary_curve(scores[:, c], labels, c) for c in range(classes)]
        return tuple(list(parts) for parts in zip(*curves))


def auc(x, y, reorder=False):
    """The area under the curve y(x) by the trapezoidal rule; x must be monotonic unless reorder (then sorted)."""
    x, y = (np.asarray(_np(v)) for v in (x, y))
    for name, v in (("x", x), ("y", y)):
        if not (v.ndim == 1 or (v.ndim == 2 and v.shape[1] == 1)):
            raise ValueError(f"For 'auc', the argument '{name}' must be a 1-dimensional array, or a 2-dimensional "
                             f"array with the second dimension of 1, but got shape {v.shape}.")
    x, y = x.reshape(-1), y.reshape(-1)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {[x.shape[0], y.shape[0]]}.")
    if x.shape[0] < 2:
        raise ValueError(f"For 'auc', the shape of the argument 'x' in axis 0 must be at least 2, but got "
                         f"{x.shape[0]}.")
    direction = 1
    if reorder:
        order = np.lexsort((y, x))
        x, y = x[order], y[order]
    else:
        dx = np.diff(x)
        if np.any(dx < 0):
            if not np.all(dx <= 0):
                raise ValueError(f"For 'auc', the argument 'x' must be increasing or decreasing, but got {x}")
            direction = -1
    return direction * float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


__all__ = ["ROC", "auc"]
