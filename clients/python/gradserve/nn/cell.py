"""`mindspore.nn.cell`: Cell (defined in gradserve._cellbase)."""
from .._cellbase import Cell

__all__ = ["Cell"]
