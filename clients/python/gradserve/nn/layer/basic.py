"""`mindspore.nn.layer.basic`."""
from .. import Dense, Flatten

__all__ = ["Dense", "Flatten"]
