"""`mindspore.nn.optim.momentum`."""
from . import Momentum

__all__ = ["Momentum"]
