"""`lst[i] = v` and `lst[i:j] = [...]` of a list in a trace where i (or a slice bound) is a mutable() int, as
MindSpore 2.10's graph mode (jit, GRAPH_MODE) compiles them: the index is not known when compiling, so

- an item write to a constant-length list needs every element, and the new one, of one abstract (a number's
  type, a Tensor's dtype): else its TypeError (texts below, checked against MindSpore 2.10 CPU); afterwards no
  element is a constant (F.isconstant(lst[0]) is False: each is a mutable number or a traced Tensor);
- a slice write at a mutable bound, or of / into a dynamic-length list, gives a dynamic-length list
  (F.is_sequence_shape_unknown True), its elements of one kind: other kinds in either list are its ValueError
  (gradserve._dynamic_len.dynamic), the origin's against the target's its TypeError.

The values are Python's (the write at the index's value in this call), as MindSpore's runs give them; a
gradient flows through the Tensors written and read, as through any list. Outside a trace, and for any other
index, _inplace.assigned_item (Python's own item assignment for a list)."""
from __future__ import annotations

from . import _dynamic_len as _dl
from ._misc import MutableInt
from .ops import _inplace


def assigned(x, index, value):
    """rewritten code's `x = _gs_.setitem(x, index, value)`."""
    if type(x) in (list, _dl.MutableList) and _dl.in_graph():
        if isinstance(index, MutableInt):
            return _item(x, index, value)
        if isinstance(index, slice) and (any(isinstance(b, MutableInt) for b in (index.start, index.stop, index.step)) or
                                         isinstance(value, (_dl.DynamicList, _dl.DynamicTuple))):
            return _slice(x, index, value)
    if isinstance(x, _dl.DynamicList) and isinstance(index, slice) and _dl.in_graph():
        return _slice(x, index, value)
    return _inplace.assigned_item(x, index, value)


def _item(x: list, i: MutableInt, value) -> list:
    _dl.check_index(x, i)
    first = _dl._abstract(x[0])
    for k, v in enumerate(x[1:], 1):
        if not _dl._traced_scalar(v) and _dl._abstract(v) != first:
            raise TypeError("For list_setitem, when the index is variable and the queue is constant length, the "
                            f"sequence[0] item abstract '{first}' is not same with the sequence[{k}] item abstract "
                            f"'{_dl._abstract(v)}'.")
    if not _dl._traced_scalar(value) and _dl._abstract(value) != first:
        raise TypeError("For list_setitem, when the index is variable and the queue is constant length, the element "
                        f"within constant length sequence abstract '{first}' is not same with the target element "
                        f"abstract '{_dl._abstract(value)}'.")
    x[int(i)] = value
    x[:] = [_dl._unknown(v) for v in x]  # (which one was written is not known when compiling)
    return x


def _slice(x: list, index: slice, value) -> list:
    for seq in (x, value):
        if isinstance(seq, (list, tuple)) and not isinstance(seq, (_dl.DynamicList, _dl.DynamicTuple)):
            _dl.dynamic(list(seq), True)  # (its ValueError where the elements are of other kinds)
    if len(x) and isinstance(value, (list, tuple)) and len(value) and \
            _dl._abstract(x[0]) != _dl._abstract(value[0]):
        raise TypeError("For SequenceSliceSetItem, the element within origin sequence abstract "
                        f"'{_dl._abstract(x[0])}' is not same with the element within target sequence abstract "
                        f"'{_dl._abstract(value[0])}'.")
    x[slice(*(None if b is None else int(b) for b in (index.start, index.stop, index.step)))] = value
    return _dl.DynamicList(_dl._unknown(v) for v in x)  # (its length not known when compiling)
