"""The numbers of a mutable() tuple / list argument of a differentiated function in graph mode.

MindSpore 2.10 (checked in its venv) gives each such number the gradient 1 (the sens) when the function
returns the sequence whole: as it is, or converted by `tuple(x)` / `list(x)` / ListToTuple / TupleToList;
and 0 otherwise, also for its elements returned one by one (`x[0]`, `(x[0], x[1], x[2])`) or computed on
(`ops.add(x[0], 1)`). So each number gets a traced scalar input (its twin, as a lone mutable() number does:
_trace.twinned), used only where the whole sequence is an output. Inside the trace the argument is a
WholeList / WholeTuple: indexing gives the plain numbers, while iterating it (what tuple() and list() do)
gives tagged copies, so that a converted sequence is told apart from one rebuilt from indexed elements.
"""
from __future__ import annotations

from typing import Any, Callable

from ._misc import MutableBool, MutableList, MutableTuple


def twinnable(v) -> bool:
    """A number of a sequence that gets a twin (a bool gets 0 as before)."""
    return isinstance(v, (int, float)) and not isinstance(v, (bool, MutableBool))


class _TaggedInt(int):
    """An int element as iteration of a WholeList / WholeTuple gives it: `_gs_whole` = (sequence, index)."""
    _gs_whole: tuple = ()


class _TaggedFloat(float):
    """A float element likewise."""
    _gs_whole: tuple = ()


def _tagged(seq: Any, k: int, v):
    if not twinnable(v) or k not in seq._gs_twin_at:
        return v
    out = (_TaggedFloat if isinstance(v, float) else _TaggedInt)(v)
    out._gs_whole = (seq, k)
    return out


class WholeList(MutableList):
    """The mutable() list inside the trace (see the module docstring)."""
    _gs_twin_at: frozenset = frozenset()

    def __iter__(self):
        return (_tagged(self, k, v) for k, v in enumerate(list.__iter__(self)))


class WholeTuple(MutableTuple):
    """The mutable() tuple inside the trace."""
    _gs_twin_at: frozenset = frozenset()

    def __iter__(self):
        return (_tagged(self, k, v) for k, v in enumerate(tuple.__iter__(self)))


def whole(group, twin_positions: set[int]):
    """group (a MutableList / MutableTuple built in the trace) as a WholeList / WholeTuple whose top-level
    numbers at twin_positions iterate tagged."""
    out = WholeList(list.__iter__(group)) if isinstance(group, list) else WholeTuple(tuple.__iter__(group))
    out._gs_twin_at = frozenset(twin_positions)
    return out


def _is_whole(o, seq: Any) -> bool:
    if o is seq:
        return True
    twin_at = seq._gs_twin_at
    # (tuple(x) / list(x) in a trace are mutable sequences themselves: _dynamic_len.keep_kind)
    if not isinstance(o, (tuple, list)) or len(o) != len(seq) or not twin_at:
        return False
    plain = list.__iter__(seq) if isinstance(seq, list) else tuple.__iter__(seq)
    for k, (e, s) in enumerate(zip(tuple.__iter__(o) if isinstance(o, tuple) else list.__iter__(o), plain)):
        if k in twin_at:
            tag = getattr(e, "_gs_whole", None)
            if tag is None or tag[0] is not seq or tag[1] != k:
                return False
        elif e is not s:
            return False
    return True


def outputs(out, groups: list, replace: Callable[[Any, Any], Any]):
    """out with each whole sequence of groups ((WholeList / WholeTuple, flatten, unflatten) triples) rebuilt
    by replace(seq, its flat leaves) -> new leaves; other tuples / lists walked into."""
    for seq, flatten, unflatten in groups:
        if _is_whole(out, seq):
            leaves, tdef = flatten(seq)
            kind = "list" if isinstance(out, list) else "tuple"
            return unflatten((kind, tdef[1]), replace(seq, leaves))
    if type(out) in (tuple, list):
        return type(out)(outputs(v, groups, replace) for v in out)
    return out
