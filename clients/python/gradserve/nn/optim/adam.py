"""`mindspore.nn.optim.adam`."""
from . import Adam

__all__ = ["Adam"]
