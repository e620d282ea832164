"""`mindspore.nn.optim`: the optimizers (defined in gradserve._training)."""
from ..._training import SGD, Adam, AdamOffload, Momentum, Optimizer
from ._more import ASGD, AdaMax, AdamWeightDecay, Rprop

from ._adagrad_rmsprop import Adadelta, Adagrad, RMSProp  # noqa: E402
from ._lamb_lars import LARS, Lamb  # noqa: E402
from ._ftrl_proximal import FTRL, ProximalAdagrad  # noqa: E402

__all__ = ["Adam", "AdamOffload", "Momentum", "Optimizer", "SGD", "ASGD", "AdaMax", "Rprop", "AdamWeightDecay", "Adagrad", "RMSProp", "Lamb", "LARS", "Adadelta", "FTRL", "ProximalAdagrad"]

from . import adam, momentum, optimizer, sgd  # noqa: E402,F401  (MindSpore's submodules)
