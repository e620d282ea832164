"""`mindspore.nn.optim.optimizer`: Optimizer, the base of the optimizers."""
from . import Optimizer

__all__ = ["Optimizer"]
