"""`seq[i]` read in rewritten code (_rewrite's pass 1e): Python's item, except that an index out of range of a tuple
or list under GRAPH_MODE's semantics is MindSpore 2.10's IndexError text, which its own tests check
("TupleGetItem evaluator index should be in range[-2, 2), but got -3"); PyNative keeps Python's."""
from __future__ import annotations

from . import _join_kinds
from ._trace import graph_semantics

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
