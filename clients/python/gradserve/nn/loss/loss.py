"""`mindspore.nn.loss.loss`: where MindSpore defines its losses and LossBase."""
from . import CrossEntropyLoss, L1Loss, LossBase, MSELoss

__all__ = ["CrossEntropyLoss", "L1Loss", "LossBase", "MSELoss"]

from . import SoftmaxCrossEntropyWithLogits  # noqa: E402

__all__ += ["SoftmaxCrossEntropyWithLogits"]
