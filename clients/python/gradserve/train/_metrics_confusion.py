"""train.ConfusionMatrixMetric: MindSpore 2.10's 17 metrics of binarized segmentation maps (sensitivity,
precision, f1, mcc, ...) from the true / false positive / negative counts of each sample and channel."""
from __future__ import annotations

import numpy as np

from ..nn._metrics import Metric, check_inputs, rearrange_inputs

# every spelling MindSpore accepts -> its short name
_ALIASES = {
    "tpr": ("sensitivity", "recall", "hit_rate", "true_positive_rate"),
    "tnr": ("specificity", "selectivity", "true_negative_rate"),
    "ppv": ("precision", "positive_predictive_value"),
    "npv": ("negative_predictive_value",),
    "fnr": ("miss_rate", "false_negative_rate"),
    "fpr": ("fall_out", "false_positive_rate"),
    "fdr": ("false_discovery_rate",),
    "for": ("false_omission_rate",),
    "pt": ("prevalence_threshold",),
    "ts": ("threat_score", "critical_success_index", "csi"),
    "acc": ("accuracy",),
    "ba": ("balanced_accuracy",),
    "f1": ("f1_score",),
    "mcc": ("matthews_correlation_coefficient",),
    "fm": ("fowlkes_mallows_index",),
    "bm": ("informedness", "bookmaker_informedness"),
    "mk": ("markedness", "deltap"),
}
_SHORT = {alias: short for short, aliases in _ALIASES.items() for alias in aliases + (short,)}
_DECREASES = ("none", "mean", "sum", "mean_batch", "sum_batch", "mean_channel", "sum_channel")


def _short_name(metric_name: str) -> str:
    short = _SHORT.get(metric_name.replace(" ", "_").lower())
    if short is None:
        raise NotImplementedError(f"ConfusionMatrixMetric: the metric {metric_name!r} is not implemented; use one "
                                  f"of {sorted(_SHORT)}")
    return short


def _ratio(num, den, where=None):
    """num / den, NaN where `where` (default: den > 0) does not hold."""
    ok = den > 0 if where is None else where
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, num / np.where(ok, den, 1), np.nan)


def _fraction(short: str, tp, fp, tn, fn):
    """(numerator, denominator) of the metric, as MindSpore defines each."""
    p, n = tp + fn, fp + tn
    simple = {"tpr": (tp, p), "tnr": (tn, n), "ppv": (tp, tp + fp), "npv": (tn, tn + fn), "fnr": (fn, p),
              "fpr": (fp, n), "fdr": (fp, fp + tp), "for": (fn, fn + tn), "ts": (tp, tp + fn + fp),
              "acc": (tp + tn, p + n), "f1": (2.0 * tp, 2.0 * tp + fn + fp)}
    if short in simple:
        return simple[short]
    tpr, tnr, ppv, npv = _ratio(tp, p), _ratio(tn, n), _ratio(tp, tp + fp), _ratio(tn, tn + fn)
    with np.errstate(invalid="ignore"):
        derived = {"pt": lambda: (np.sqrt(tpr * (1.0 - tnr)) + tnr - 1.0, tpr + tnr - 1.0),
                   "ba": lambda: (tpr + tnr, 2.0),
                   "mcc": lambda: (tp * tn - fp * fn, np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))),
                   "fm": lambda: (np.sqrt(ppv * tpr), 1.0),
                   "bm": lambda: (tpr + tnr - 1.0, 1.0),
                   "mk": lambda: (ppv + npv - 1.0, 1.0)}
        return derived[short]()


def metric_of_counts(metric_name: str, counts: np.ndarray) -> np.ndarray:
    """The metric of [..., 4] counts (tp, fp, tn, fn); NaN where its denominator is 0."""
    counts = np.asarray(counts, dtype=float)
    counts = counts[None] if counts.ndim == 1 else counts
    if counts.shape[-1] != 4:
        raise ValueError(f"ConfusionMatrixMetric: the last axis of the counts must be 4 (tp, fp, tn, fn), but got "
                         f"shape {counts.shape}")
    num, den = _fraction(_short_name(metric_name), *np.moveaxis(counts, -1, 0))
    if isinstance(den, np.ndarray):
        return _ratio(num, den, where=den != 0)  # pt's denominator may be negative
    return num / den


def _counts(y_pred: np.ndarray, y: np.ndarray, skip_channel: bool) -> np.ndarray:
    """[batch, channel, 4] counts of (tp, fp, tn, fn) over each channel's elements."""
    if not np.all(y.astype(np.uint8) == y):
        raise ValueError("For 'ConfusionMatrixMetric.update', the true value (input[1]) must be a binarized ndarray.")
    if y_pred.ndim < 2:
        raise ValueError(f"For 'ConfusionMatrixMetric.update', the predicted value (input[0]) must have at least 2 "
                         f"dimensions, but got {y_pred.ndim}.")
    if not skip_channel:  # the first channel is the background: left out
        y = y[:, 1:] if y.shape[1] > 1 else y
        y_pred = y_pred[:, 1:] if y_pred.shape[1] > 1 else y_pred
    if y.shape != y_pred.shape:
        raise ValueError(f"For 'ConfusionMatrixMetric.update', predicted value shape {y_pred.shape} and true value "
                         f"shape {y.shape} differ.")
    batch, channels = y_pred.shape[:2]
    y_pred = y_pred.astype(float).reshape(batch, channels, -1)
    y = y.astype(float).reshape(batch, channels, -1)
    tp, tn = (y_pred + y == 2).sum(axis=2), (y_pred + y == 0).sum(axis=2)
    positives = y.sum(axis=2)
    fn, fp = positives - tp, y.shape[-1] - positives - tn
    return np.stack([tp, fp, tn, fn], axis=-1).astype(float)


def _reduce(chart: np.ndarray, decrease: str) -> tuple[np.ndarray, np.ndarray]:
    """(reduced values, how many non-NaN values each reduced one had) of a [batch, channel] chart."""
    not_nans = (~np.isnan(chart)).astype(float)
    chart = np.where(np.isnan(chart), 0.0, chart)
    if decrease == "none":
        return chart, not_nans
    if decrease == "sum":
        return chart.sum(axis=(0, 1)), not_nans.sum(axis=(0, 1))
    if decrease in ("sum_batch", "sum_channel", "mean_batch", "mean_channel"):
        axis = 0 if decrease.endswith("batch") else 1
        total, count = chart.sum(axis=axis), not_nans.sum(axis=axis)
        if decrease.startswith("mean"):
            total = np.where(count > 0, total / np.where(count > 0, count, 1), 0.0)
        return total, count
    count = not_nans.sum(axis=1)  # "mean": over the channels of each sample, then over the samples
    per_sample = np.where(count > 0, chart.sum(axis=1) / np.where(count > 0, count, 1), 0.0)
    samples = (count > 0).astype(float).sum(axis=0)
    return np.where(samples > 0, per_sample.sum(axis=0) / max(samples, 1.0), 0.0), samples


class ConfusionMatrixMetric(Metric):
    """train.ConfusionMatrixMetric(skip_channel, metric_name, calculation_method, decrease): with
    calculation_method=False the metric of the counts summed over all samples and channels (an array of one
    value); with True the metric of each sample and channel, reduced by `decrease`, averaged over updates."""

    def __init__(self, skip_channel=True, metric_name="sensitivity", calculation_method=False, decrease="mean"):
        for name, value in (("skip_channel", skip_channel), ("calculation_method", calculation_method)):
            if not isinstance(value, bool):
                raise TypeError(f"For 'ConfusionMatrixMetric', the argument '{name}' must be a bool, but got "
                                f"{type(value)}.")
        if decrease not in _DECREASES:
            raise ValueError(f"For 'ConfusionMatrixMetric', the argument 'decrease' must be in {list(_DECREASES)}, "
                             f"but got {decrease!r}.")
        _short_name(metric_name)
        self.skip_channel, self.metric_name = skip_channel, metric_name
        self.calculation_method, self.decrease = calculation_method, decrease
        super().__init__()

    def clear(self) -> None:
        self._total_num, self._class_num = 0.0, 0
        self._totals = np.zeros(4)

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs("ConfusionMatrixMetric", inputs, "predicted value", "true value")
        counts = _counts(self._convert_data(inputs[0]), self._convert_data(inputs[1]), self.skip_channel)
        if self.calculation_method:
            score, not_nans = _reduce(metric_of_counts(self.metric_name, counts), self.decrease)
            self._total_num += float(np.asarray(score).item()) * int(np.asarray(not_nans).item())
            self._class_num += int(np.asarray(not_nans).item())
        else:
            self._totals += np.nan_to_num(counts).sum(axis=(0, 1))

    def eval(self):
        if not self.calculation_method:
            return metric_of_counts(self.metric_name, self._totals)
        if self._class_num == 0:
            raise RuntimeError("The 'ConfusionMatrixMetric' can not be calculated, because the number of samples is "
                               "0, please check whether your inputs(predicted value, true value) are empty, or has "
                               "called update method before calling eval method.")
        return self._total_num / self._class_num
