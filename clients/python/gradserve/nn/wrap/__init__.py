"""`mindspore.nn.wrap`: the training cells (defined in gradserve._training)."""
from ..._training import TrainOneStepCell, WithLossCell
from .._loss_scale import DynamicLossScaleUpdateCell, FixedLossScaleUpdateCell, TrainOneStepWithLossScaleCell

__all__ = ["TrainOneStepCell", "WithLossCell", "TrainOneStepWithLossScaleCell", "DynamicLossScaleUpdateCell",
           "FixedLossScaleUpdateCell"]

from . import cell_wrapper  # noqa: E402,F401  (MindSpore's submodule)
