"""`mindspore.nn.optim.adam`."""
from . import Adam, AdamOffload

__all__ = ["Adam", "AdamOffload"]
