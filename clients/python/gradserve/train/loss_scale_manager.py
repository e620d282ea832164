"""`mindspore.train.loss_scale_manager`: the loss scale managers (the same classes as gradserve.amp's)."""
from ..amp import DynamicLossScaleManager, FixedLossScaleManager, LossScaleManager

__all__ = ["LossScaleManager", "FixedLossScaleManager", "DynamicLossScaleManager"]
