"""`mindspore.train`: Model, its callbacks and metrics, and the checkpoint functions."""
from .._callbacks import Callback, EarlyStopping, LossMonitor, ReduceLROnPlateau, RunContext
from .._checkpoint import load_checkpoint, load_param_into_net, save_checkpoint
from .._model import Model
from .._on_request_exit import OnRequestExit
from ..nn._metrics import MAE, MSE, Accuracy, Loss, Metric
from ._roc_curve import ROC, auc

__all__ = ["Model", "Callback", "LossMonitor", "RunContext", "EarlyStopping", "ReduceLROnPlateau", "Metric",
           "Accuracy", "Loss", "MAE", "MSE", "ROC", "auc", "save_checkpoint", "load_checkpoint", "load_param_into_net",
           "OnRequestExit"]

from . import amp, callback, loss_scale_manager, serialization  # noqa: E402,F401  (MindSpore's submodules)
