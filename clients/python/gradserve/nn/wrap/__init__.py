"""`mindspore.nn.wrap`: the training cells (defined in gradserve._training)."""
from ..._training import TrainOneStepCell, WithLossCell

__all__ = ["TrainOneStepCell", "WithLossCell"]

from . import cell_wrapper  # noqa: E402,F401  (MindSpore's submodule)
