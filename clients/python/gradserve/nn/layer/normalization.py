"""`mindspore.nn.layer.normalization`."""
from .. import BatchNorm1d, BatchNorm2d, LayerNorm

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]
