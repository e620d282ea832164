"""`mindspore.nn.wrap`: the training cells (defined in gradserve._training)."""
from .._training import TrainOneStepCell, WithLossCell

__all__ = ["TrainOneStepCell", "WithLossCell"]
