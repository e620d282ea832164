"""`mindspore.train`: Model, its callbacks and metrics, and the checkpoint functions."""
from .._checkpoint import load_checkpoint, load_param_into_net, save_checkpoint
from .._model import Callback, LossMonitor, Model
from ..nn._metrics import Accuracy, Loss, Metric
from ._roc_curve import ROC, auc

__all__ = ["Model", "Callback", "LossMonitor", "Metric", "Accuracy", "Loss", "ROC", "auc", "save_checkpoint", "load_checkpoint",
           "load_param_into_net"]

from . import callback, serialization  # noqa: E402,F401  (MindSpore's submodules)
