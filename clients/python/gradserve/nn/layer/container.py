"""`mindspore.nn.layer.container`."""
from .. import CellList, SequentialCell

__all__ = ["CellList", "SequentialCell"]

from .. import CellDict  # noqa: E402

__all__ += ["CellDict"]
