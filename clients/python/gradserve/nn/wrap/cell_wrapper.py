"""`mindspore.nn.wrap.cell_wrapper`: where MindSpore defines WithLossCell and TrainOneStepCell."""
from . import TrainOneStepCell, WithLossCell

__all__ = ["TrainOneStepCell", "WithLossCell"]
