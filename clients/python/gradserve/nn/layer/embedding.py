"""`mindspore.nn.layer.embedding`."""
from .. import Embedding

__all__ = ["Embedding"]
