"""train.names / get_metric_fn / get_metrics: MindSpore's registry of metrics by name (Model(metrics={'acc'}))."""
from __future__ import annotations

from ..nn._metrics import MAE, MSE, Accuracy, Loss, Metric
from ._metrics_classify import (F1, ConfusionMatrix, Precision, Recall, Top1CategoricalAccuracy,
                                Top5CategoricalAccuracy, TopKCategoricalAccuracy)
from ._metrics_confusion import ConfusionMatrixMetric
from ._metrics_more import BleuScore, CosineSimilarity, Dice, Perplexity
from ._metrics_occlusion import OcclusionSensitivity
from ._metrics_surface import HausdorffDistance, MeanSurfaceDistance, RootMeanSquareDistance
from ._roc_curve import ROC, auc

_BY_NAME = {
    "accuracy": Accuracy, "acc": Accuracy, "precision": Precision, "recall": Recall, "F1": F1, "dice": Dice,
    "roc": ROC, "auc": auc, "bleu_score": BleuScore, "cosine_similarity": CosineSimilarity,
    "occlusion_sensitivity": OcclusionSensitivity, "topk": TopKCategoricalAccuracy,
    "hausdorff_distance": HausdorffDistance, "top_1_accuracy": Top1CategoricalAccuracy,
    "top_5_accuracy": Top5CategoricalAccuracy, "mae": MAE, "mse": MSE, "loss": Loss,
    "mean_surface_distance": MeanSurfaceDistance, "root_mean_square_distance": RootMeanSquareDistance,
    "perplexity": Perplexity, "confusion_matrix": ConfusionMatrix, "confusion_matrix_metric": ConfusionMatrixMetric,
}


def names() -> list[str]:
    """The names get_metric_fn knows, sorted."""
    return sorted(_BY_NAME)


def get_metric_fn(name: str, *args, **kwargs):
    """A new metric of that name, built with the given arguments."""
    if name not in _BY_NAME:
        raise KeyError(f"For 'get_metric_fn', unsupported metric {name!r}; the supported ones are {names()}.")
    return _BY_NAME[name](*args, **kwargs)


def get_metrics(metrics):
    """Model's `metrics` argument: None, a dict of name -> Metric, or a set of names."""
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        for key, metric in metrics.items():
            if not isinstance(key, str) or not isinstance(metric, Metric):
                raise TypeError(f"For 'get_metrics', a dict of metrics maps str to Metric, but got {type(key)}: "
                                f"{type(metric)}.")
        return metrics
    if isinstance(metrics, set):
        return {name: get_metric_fn(name) for name in metrics}
    raise TypeError(f"For 'get_metrics', the argument 'metrics' must be None, dict or set, but got {metrics!r}.")
