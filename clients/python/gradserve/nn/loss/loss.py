"""`mindspore.nn.loss.loss`: where MindSpore defines its losses and LossBase."""
from . import CrossEntropyLoss, L1Loss, LossBase, MSELoss

__all__ = ["CrossEntropyLoss", "L1Loss", "LossBase", "MSELoss"]
