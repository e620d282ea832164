"""`mindspore.nn.loss`: the losses (defined in gradserve._training)."""
from .._training import CrossEntropyLoss, L1Loss, LossBase, MSELoss

__all__ = ["CrossEntropyLoss", "L1Loss", "LossBase", "MSELoss"]
