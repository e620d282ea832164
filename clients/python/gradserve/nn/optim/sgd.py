"""`mindspore.nn.optim.sgd`."""
from . import SGD

__all__ = ["SGD"]
