"""`mindspore.nn.wrap.loss_scale`: the loss-scale training cells (defined in nn/_loss_scale.py)."""
from .._loss_scale import DynamicLossScaleUpdateCell, FixedLossScaleUpdateCell, TrainOneStepWithLossScaleCell

__all__ = ["DynamicLossScaleUpdateCell", "FixedLossScaleUpdateCell", "TrainOneStepWithLossScaleCell"]
