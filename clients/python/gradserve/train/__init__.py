"""`mindspore.train`: Model, its callbacks and metrics, and the checkpoint functions."""
from .._callbacks import Callback, EarlyStopping, LossMonitor, ReduceLROnPlateau, RunContext
from .._checkpoint import load_checkpoint, load_param_into_net, save_checkpoint
from .._model import Model
from .._on_request_exit import OnRequestExit
from ..nn._metrics import MAE, MSE, Accuracy, Loss, Metric, rearrange_inputs
from ._metric_names import get_metric_fn, get_metrics, names
from ._metrics_classify import (F1, ConfusionMatrix, Fbeta, Precision, Recall, Top1CategoricalAccuracy,
                                Top5CategoricalAccuracy, TopKCategoricalAccuracy)
from ._metrics_confusion import ConfusionMatrixMetric
from ._metrics_more import BleuScore, CosineSimilarity, Dice, Perplexity
from ._metrics_occlusion import OcclusionSensitivity
from ._metrics_surface import HausdorffDistance, MeanSurfaceDistance, RootMeanSquareDistance
from ._roc_curve import ROC, auc

__all__ = ["Model", "Callback", "LossMonitor", "RunContext", "EarlyStopping", "ReduceLROnPlateau", "Metric",
           "Accuracy", "Loss", "MAE", "MSE", "ROC", "auc", "save_checkpoint", "load_checkpoint", "load_param_into_net",
           "OnRequestExit", "rearrange_inputs", "names", "get_metric_fn", "get_metrics", "Precision", "Recall", "Fbeta",
           "F1", "TopKCategoricalAccuracy", "Top1CategoricalAccuracy", "Top5CategoricalAccuracy", "ConfusionMatrix",
           "ConfusionMatrixMetric", "BleuScore", "CosineSimilarity", "Dice", "Perplexity", "OcclusionSensitivity",
           "HausdorffDistance", "MeanSurfaceDistance", "RootMeanSquareDistance"]

from . import amp, callback, loss_scale_manager, serialization, summary  # noqa: E402,F401  (MindSpore's submodules)
from .summary import SummaryRecord, NoSummaries as _NoSummaries  # noqa: E402

SummaryCollector = _NoSummaries("mindspore.train", "SummaryCollector")  # (a callback writing summaries: see .summary)
