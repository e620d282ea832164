"""mutable(seq, True): MindSpore's dynamic-length sequences, as its graph mode (a trace) sees them.

In a trace (graph mode, @jit) MindSpore joins the elements of a dynamic-length list / tuple into one element
abstract: making one of elements of different kinds (int and float, a Tensor and a number) is its ValueError;
setting or appending an element unlike the others its TypeError (appending a tuple too); the length and the
elements are unknown when compiling (F.is_sequence_shape_unknown, F.isconstant of an element: False), and
mutable() cannot make it constant-length again (RuntimeError). In PyNative MindSpore checks none of this, and
neither does gradserve outside a trace."""
from __future__ import annotations

from typing import Any

from ._late import late
from ._misc import MUTABLE_NUMBERS, MutableFloat, MutableInt, MutableList, MutableTuple, current_trace

__all__ = ["DynamicList", "DynamicTuple", "dynamic", "isconstant", "is_dynamic_sequence_element_unknown",
           "is_sequence_shape_unknown", "is_sequence_value_unknown"]


def in_graph() -> bool:
    return current_trace[0]() is not None


def _kind(v) -> str:
    """MindSpore's name of an element's type, as its messages write it."""
    if hasattr(v, "_dtype"):
        return "Tensor"
    if isinstance(v, bool) or type(v).__name__ == "MutableBool":
        return "Bool"
    return type(v).__bases__[0].__name__ if isinstance(v, MUTABLE_NUMBERS) else type(v).__name__


def _abstract(v) -> Any:
    """What must agree between a dynamic sequence's element and a new one: a Tensor's dtype, a number's type, a
    tuple's length and its elements' (MindSpore compares abstracts, values aside)."""
    if hasattr(v, "_dtype"):
        return ("Tensor", str(v._dtype))
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, tuple(_abstract(x) for x in v))
    return _kind(v)


def _traced_scalar(v) -> bool:
    """A 0-d traced Tensor: how a trace carries a Python number a loop changes (MindSpore's scalar)."""
    return hasattr(v, "_dtype") and getattr(v, "_data", 0) is None and len(v.shape) == 0


def _check_item(seq, v, where: str) -> None:
    if not in_graph() or not len(seq) or _traced_scalar(v) or _traced_scalar(seq[0]):
        return
    if where == "ListAppend" and isinstance(v, (tuple, list)):
        raise TypeError("The prim 'ListAppend', the input_data must be list and target must be scalar or tensor, "
                        f"but got {list(seq)!r} and target {v!r}")
    if _abstract(seq[0]) != _abstract(v):
        if where == "ListAppend":
            raise TypeError(f"For ListAppend, the mutable list existing item abstract '{_abstract(seq[0])}' is not "
                            f"same with the new added item abstract '{_abstract(v)}'.")
        raise TypeError(f"For {where}, when the queue is dynamic length, the element within dynamic length sequence "
                        f"abstract '{_abstract(seq[0])}' is not same with the target element abstract "
                        f"'{_abstract(v)}'.")


def _unknown(v):
    """An element read in a trace: a value not known when compiling (a number mutable, a Tensor traced)."""
    if not in_graph():
        return v
    if isinstance(v, bool) or isinstance(v, MUTABLE_NUMBERS):
        return v
    if isinstance(v, int):
        return MutableInt(v)
    if isinstance(v, float):
        return MutableFloat(v)
    if hasattr(v, "_dtype") and getattr(v, "_data", None) is not None:
        return late.ops.identity(v)  # (a node of the trace: its value no longer a constant)
    return v


class DynamicTuple(MutableTuple):
    """mutable(tuple, True)."""

    def __getitem__(self, i):  # type: ignore[override]  # an element marked unknown in a trace
        got = super().__getitem__(i)
        return got if isinstance(i, slice) else _unknown(got)


class DynamicList(MutableList):
    """mutable(list, True): setitem / append check the new element in a trace (see the module's doc)."""

    def __getitem__(self, i):  # type: ignore[override]  # an element marked unknown in a trace
        got = super().__getitem__(i)
        return got if isinstance(i, slice) else _unknown(got)

    def __setitem__(self, i, v) -> None:
        if not isinstance(i, slice):
            _check_item(self, v, "list_setitem")
        super().__setitem__(i, v)

    def append(self, v) -> None:
        _check_item(self, v, "ListAppend")
        super().append(v)


def dynamic(items: list, as_list: bool):
    """mutable(items, True): the dynamic-length sequence (in a trace, its elements of one kind)."""
    if in_graph():
        kinds = [_kind(v) for v in items]
        for i, k in enumerate(kinds[1:], 1):
            if k != kinds[0]:
                raise ValueError("In graph mode, the element type of dynamic length array must be the same.The "
                                 "element type do not match, can not convert to dynamic length sequence. The 0th "
                                 f"element type is: {kinds[0]}. The {i}th element type is: {k}")
    return DynamicList(items) if as_list else DynamicTuple(items)


def make(input_data):
    """mutable(input_data, True): a list or tuple only (MindSpore's TypeError, in either mode)."""
    if isinstance(input_data, (DynamicList, DynamicTuple)):
        return input_data
    if not isinstance(input_data, (tuple, list)):
        raise TypeError("For 'mutable', when the variable_len is True, the first input should be list or tuple, "
                        f"but got: {_kind(input_data)}")
    out = dynamic(list(input_data), isinstance(input_data, list))
    setattr(out, "__ms_origin_object__", input_data)
    return out


def refuse_constant_length(x) -> None:
    """mutable(x) of a dynamic-length x in a trace: MindSpore's RuntimeError."""
    if in_graph() and isinstance(x, (DynamicList, DynamicTuple)):
        raise RuntimeError("For 'mutable', can not convert a dynamic length sequence to constant length.")


def combined(seq, other, out):
    """seq + other, seq * other (out: the plain result) in a trace: a mutable sequence, dynamic-length when
    either operand is or the count is a mutable int (MindSpore 2.10, jit: F.is_sequence_shape_unknown of
    mutable([1, 2], True) * 2 and of mutable([1, 2]) * mutable(2) is True, of mutable([1, 2]) * 2 False)."""
    if out is NotImplemented or not in_graph():
        return out
    dyn = isinstance(other, MutableInt) or any(isinstance(v, (DynamicList, DynamicTuple)) for v in (seq, other))
    if isinstance(out, list):
        return DynamicList(out) if dyn else MutableList(out)
    return DynamicTuple(out) if dyn else MutableTuple(out)


def repeated(left, right):
    """`left * right`, one of them a list / tuple display, in rewritten code: a plain sequence times a mutable int
    in a trace is dynamic-length (MindSpore 2.10, jit: F.is_sequence_shape_unknown of [1, 2] * mutable(5) is True)."""
    seq, n = (left, right) if isinstance(left, (list, tuple)) else (right, left)
    if isinstance(seq, (list, tuple)) and not isinstance(seq, (MutableList, MutableTuple)) and isinstance(n, MutableInt):
        return combined(seq, n, seq * int(n))  # (int(): MutableInt's own * comes back here)
    return left * right


def slice_of(seq, i, got):
    """got = seq[i] of a list / tuple, in a trace: a slice with a mutable-int bound, or of a dynamic-length
    sequence, is dynamic-length (its length unknown when compiling); any other slice of a mutable sequence is
    mutable (its values unknown). MindSpore 2.10, jit: F.is_sequence_shape_unknown / is_sequence_value_unknown
    of [1, 2, 3][mutable(1):] True / True, of mutable([1, 2, 3])[1:] False / True."""
    if not (in_graph() and isinstance(i, slice) and isinstance(got, (list, tuple))):
        return got
    if any(isinstance(b, MutableInt) for b in (i.start, i.stop, i.step)) or isinstance(seq, (DynamicList,
                                                                                            DynamicTuple)):
        return DynamicList(got) if isinstance(got, list) else DynamicTuple(got)
    if isinstance(seq, (MutableList, MutableTuple)):
        return MutableList(got) if isinstance(got, list) else MutableTuple(got)
    return got


def getslice(seq, lower, upper, step):
    """`seq[lower:upper:step]` read in rewritten code: a plain list / tuple sliced at a mutable int in a trace
    is dynamic-length (slice_of); anything else is Python's slice (a mutable sequence's own __getitem__
    marks its slices)."""
    i = slice(lower, upper, step)
    got = seq[i]
    return slice_of(seq, i, got) if type(seq) in (list, tuple) else got


def no_dynamic_input(f, as_sequence: bool = False):
    """map / zip / enumerate called in a trace: a dynamic-length argument is MindSpore's RuntimeError (2.10, jit;
    enumerate reports it as zip, as MindSpore builds it on zip). as_sequence (graph semantics): the result is a
    sequence, as MindSpore's graph builds it: map of a list a list, else a tuple (zip / enumerate: of tuples)."""
    name = "map" if f is map else "zip"

    def checked(*args, **kwargs):
        if in_graph() and any(isinstance(a, (DynamicList, DynamicTuple)) for a in args):
            raise RuntimeError(f"For '{name}', the dynamic length input is unsupported in graph mode.")
        out = f(*args, **kwargs)
        if not as_sequence:
            return out
        return list(out) if f is map and len(args) > 1 and isinstance(args[1], list) else tuple(out)
    return checked


def keep_kind(f):
    """tuple(seq) / list(seq) in a trace: of a dynamic-length seq dynamic-length, of a mutable one mutable (MindSpore
    2.10, jit: F.is_sequence_shape_unknown / is_sequence_value_unknown of tuple(mutable([1, 2], True)) True / True,
    of tuple(mutable([1, 2])) False / True)."""
    def made(*args, **kwargs):
        out = f(*args, **kwargs)
        src = args[0] if len(args) == 1 and not kwargs else None
        if isinstance(src, (DynamicList, DynamicTuple)):
            return DynamicList(out) if f is list else DynamicTuple(out)
        if isinstance(src, (MutableList, MutableTuple)):
            return MutableList(out) if f is list else MutableTuple(out)
        return out
    return made


def check_index(seq, i) -> None:
    """seq[i] with i a mutable int, or of an empty mutable sequence, in a trace: an index out of range is
    MindSpore's ValueError when running (Python's IndexError elsewhere)."""
    if not (in_graph() and (isinstance(i, MutableInt) or isinstance(i, int) and not len(seq))) or \
            -len(seq) <= i < len(seq):
        return
    if not len(seq):
        prim = "list_getitem" if isinstance(seq, list) else "TupleGetItem"
        raise ValueError(f"For primitive:'{prim}', cannot get item by index from an empty sequence.")
    raise ValueError(f"For RealTupleGetItem, index is out of range: [{-len(seq)}, {len(seq)}), but got {int(i)}.")


def is_sequence_value_unknown(x) -> bool:
    """F.is_sequence_value_unknown(seq): in a trace, whether seq is mutable (its values are inputs) or holds a
    value not known when compiling (a traced Tensor, a mutable number, such a sequence: MindSpore 2.10, jit:
    of [x, 1] with x a Tensor argument True, of [1, 2] False)."""
    if not (in_graph() and isinstance(x, (list, tuple))):
        return False
    return isinstance(x, (MutableList, MutableTuple)) or any(
        is_sequence_value_unknown(v) if isinstance(v, (list, tuple)) else not isconstant(v) for v in x)


def is_sequence_shape_unknown(x) -> bool:
    """F.is_sequence_shape_unknown(seq): in a trace, whether seq's length is unknown (a dynamic-length one)."""
    return in_graph() and isinstance(x, (DynamicList, DynamicTuple))


def is_dynamic_sequence_element_unknown(x) -> bool:
    """F.is_dynamic_sequence_element_unknown(seq): whether a dynamic-length seq has no element to know its
    elements' kind from (an empty one); any other input is MindSpore's TypeError."""
    if not (in_graph() and isinstance(x, (DynamicList, DynamicTuple))):
        raise TypeError("The input of IsElementUnknown should be variable length sequence.")
    return len(x) == 0


def length(x) -> int:
    """len(x) in rewritten code: a dynamic-length sequence's length is not known when compiling, so in a trace it
    is a mutable int (MindSpore 2.10, jit: F.isconstant(len(mutable([t, t], True))) is False; of a plain or a
    mutable constant-length one, True)."""
    n = len(x)
    return MutableInt(n) if in_graph() and isinstance(x, (DynamicList, DynamicTuple)) else n


def graph_length(x) -> int:
    """len(x) with graph semantics: length's, and a 0-d Tensor's refusal in MindSpore's graph text (PyNative's,
    Tensor.__len__'s, has no period)."""
    if hasattr(x, "_dtype") and not x.shape:
        raise TypeError("Not support len of a 0-D tensor.")
    return length(x)


def isconstant(x) -> bool:
    """F.isconstant(x): whether x is known when compiling: in a trace not a mutable number or sequence, nor a
    traced Tensor's value; outside one, always."""
    if not in_graph():
        return True
    if isinstance(x, MUTABLE_NUMBERS) or isinstance(x, (MutableList, MutableTuple)):
        return False
    return not (hasattr(x, "_dtype") and getattr(x, "_data", None) is None)


late.bind(dynamic_len=__import__(__name__, fromlist=["make"]))  # _misc.mutable(seq, True) calls make
