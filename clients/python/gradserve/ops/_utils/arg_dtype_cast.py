"""`mindspore.ops._utils.arg_dtype_cast`: ListToTuple / TupleToList, MindSpore's sequence conversion ops.
Python's own conversions here: the elements (Tensors included) pass through unchanged, so a gradient flows
through them as through any tuple or list."""
from __future__ import annotations

__all__ = ["ListToTuple", "TupleToList"]


class ListToTuple:
    def __call__(self, x):
        if not isinstance(x, (list, tuple)):
            raise TypeError(f"For 'ListToTuple', the input must be a list, but got {type(x).__name__}")
        return tuple(x)


class TupleToList:
    def __call__(self, x):
        if not isinstance(x, (list, tuple)):
            raise TypeError(f"For 'TupleToList', the input must be a tuple, but got {type(x).__name__}")
        return list(x)
