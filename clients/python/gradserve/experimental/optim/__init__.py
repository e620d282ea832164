"""`mindspore.experimental.optim`: MindSpore 2.10's PyTorch-style optimizers (param_groups of dicts, each with
its learning rate as a float32 Parameter) and their schedulers (`lr_scheduler`). gradserve has Optimizer, Adam,
AdamW and SGD; MindSpore's other ones here (Adadelta, Adagrad, ASGD, Adamax, RMSprop, Rprop, RAdam, NAdam) are
not implemented (an AttributeError)."""
from ._optimizers import SGD, Adam, AdamW, Optimizer
from . import lr_scheduler  # noqa: F401

__all__ = ["Optimizer", "Adam", "AdamW", "SGD"]
