"""`mindspore.nn.loss`: the losses (defined in gradserve._training)."""
from ..._training import CrossEntropyLoss, L1Loss, LossBase, MSELoss

__all__ = ["CrossEntropyLoss", "L1Loss", "LossBase", "MSELoss"]

from .._layers_ms import SoftmaxCrossEntropyWithLogits  # noqa: E402

__all__ += ["SoftmaxCrossEntropyWithLogits"]

from . import loss  # noqa: E402,F401  (MindSpore's submodule)
