"""`mindspore.train.callback`: Model's callbacks."""
from .._model import Callback, LossMonitor

__all__ = ["Callback", "LossMonitor"]
