"""ops.functional's sequence primitive tuple_setitem (MindSpore 2.10's F.tuple_setitem): a new tuple with one item
replaced, the input unchanged; an index out of range is its IndexError text."""
from __future__ import annotations

__all__ = ["tuple_setitem"]


def tuple_setitem(data, index, value):
    """data with data[index] replaced by value (index may count from the end)."""
    if not isinstance(data, tuple):
        raise TypeError(f"For 'tuple_setitem', the first input should be a tuple, but got {type(data).__name__}")
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"For 'tuple_setitem', the index should be an int, but got {type(index).__name__}")
    n = len(data)
    if not -n <= index < n:
        raise IndexError(f"tuple_setitem evaluator the index: {index} to set out of range: [{-n},{n - 1}].")
    out = list(data)
    out[index] = value
    return tuple(out)
