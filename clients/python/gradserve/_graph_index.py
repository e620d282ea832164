"""`seq[i]` read in rewritten code (_rewrite's pass 1e): Python's item, except that an index out of range of a tuple
or list under GRAPH_MODE's semantics is MindSpore 2.10's IndexError text, which its own tests check
("TupleGetItem evaluator index should be in range[-2, 2), but got -3"); PyNative keeps Python's.

A list's insert / pop in a graph: MindSpore 2.10 takes an int index only, where Python takes any __index__ (True,
a one-element Tensor) and would insert or pop where MindSpore refuses; a float, bool, str, None or Tensor index is
its TypeError, and pop's mutable() int too (texts checked in its venv; insert's depends on the syntax level)."""
from __future__ import annotations

from . import _join_kinds
from ._graph_shift import scalar_imm
from ._misc import MutableBool, MutableFloat, MutableInt
from ._tensor import Tensor
from ._trace import graph_semantics
from .context import syntax_level

_KIND = {tuple: "TupleGetItem", list: "list_getitem"}


def getitem(seq, i):
    if getattr(i, "_join_kinds", None) is not None and isinstance(seq, (tuple, list)):
        i = _join_kinds.path_number(i)  # (t[y], y True / 1 by path: the path's number)
    try:
        return seq[i]
    except IndexError:
        kind = next((k for t, k in _KIND.items() if isinstance(seq, t)), None)
        if kind is None or not isinstance(i, int) or isinstance(i, bool) or not graph_semantics():
            raise
        n = len(seq)
        raise IndexError(f"{kind} evaluator index should be in range[{-n}, {n}), but got {i}.") from None


_REFUSED = (float, bool, str, type(None), Tensor)  # (kinds MindSpore names; others go to Python's own check)


def _int_expected(i) -> TypeError:
    unknown = isinstance(i, (Tensor, MutableInt, MutableFloat, MutableBool))  # (a value known when run only)
    kind, value = ("ValueAny", "ValueAny") if unknown else scalar_imm(i)
    return TypeError(f"Integer argument expected, but got {kind} type value: {value}")


def checked_insert(seq: list):
    """seq.insert in a graph (graph_semantics() at the call)."""
    def insert(i, value):
        if isinstance(i, _REFUSED):
            if isinstance(i, Tensor):
                raise TypeError(f"For 'ListInsert', input[1] should be Scalar, but got Tensor[{i.dtype}].")
            if syntax_level() == 0:
                raise _int_expected(i)
            raise TypeError(f"The second input to ListInplaceInsert must be int scalar but got {scalar_imm(i)[0]}")
        return seq.insert(i, value)
    return insert


def checked_pop(seq: list):
    """seq.pop in a graph."""
    def pop(i=-1):
        if isinstance(i, (*_REFUSED, MutableInt)):  # (insert takes a mutable int; pop does not)
            raise _int_expected(i)
        return seq.pop(i)
    return pop
