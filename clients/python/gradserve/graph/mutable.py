"""`mindspore.graph.mutable`: mutable."""
from .._misc import mutable

__all__ = ["mutable"]
