"""`mindspore.nn.optim`: the optimizers (defined in gradserve._training)."""
from ..._training import SGD, Adam, Momentum, Optimizer
from ._more import ASGD, AdaMax, AdamWeightDecay, Rprop

__all__ = ["Adam", "Momentum", "Optimizer", "SGD", "ASGD", "AdaMax", "Rprop", "AdamWeightDecay"]

from . import adam, momentum, optimizer, sgd  # noqa: E402,F401  (MindSpore's submodules)
