"""`mindspore.nn.layer.container`."""
from .. import CellList, SequentialCell

__all__ = ["CellList", "SequentialCell"]
