"""`mindspore.nn.layer.basic`."""
from .. import Dense, Flatten

__all__ = ["Dense", "Flatten"]

from .. import Dropout  # noqa: E402

__all__ += ["Dropout"]
