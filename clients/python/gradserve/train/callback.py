"""`mindspore.train.callback`: Model's callbacks."""
from .._callbacks import (Callback, EarlyStopping, LossMonitor, ReduceLROnPlateau, RunContext, _CallbackManager,
                          _InternalCallbackParam)
from .._on_request_exit import OnRequestExit

__all__ = ["Callback", "LossMonitor", "RunContext", "EarlyStopping", "ReduceLROnPlateau", "_CallbackManager",
           "_InternalCallbackParam", "OnRequestExit"]
