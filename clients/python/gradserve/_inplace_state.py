"""Tensors written in place inside a traced `if` (`x.add_(y)`, `ops.assign(x, v)` on a plain Tensor), kept so
that control flow carries the writes as it carries Parameter assignments (_param_state).

A traced `if` runs each side from the same start (_branches). While one runs (`depth() > 0`), every in-place
write first `record`s the Tensor's binding; `mark()` before a side, `changed(mark)` after it (each Tensor
written since, and a Tensor holding the value it has now) and `restore(mark)` (each back to its binding at the
mark) let the cond take the written values as extra outputs and rebind the Tensors to them. Bindings are
(_data, _trace, _name): a Tensor's shape and dtype never change in place."""
from __future__ import annotations

import threading

from ._tensor import Tensor

_tls = threading.local()


def _state():
    if not hasattr(_tls, "log"):
        _tls.log, _tls.depth = [], 0
    return _tls


def depth() -> int:
    return _state().depth


def record(t: Tensor) -> None:
    """Before t is rebound in place: its binding now (only while a traced `if` is being explored)."""
    s = _state()
    if s.depth:
        s.log.append((t, (t._data, t._trace, t._name)))


def mark() -> int:
    s = _state()
    s.depth += 1
    return len(s.log)


def done() -> None:
    """The end of a mark's use: the log is dropped when no traced `if` is being explored any more."""
    s = _state()
    s.depth -= 1
    if not s.depth:
        s.log.clear()


def changed(m: int, outside=None) -> list[tuple[Tensor, Tensor]]:
    """(Tensor, a Tensor bound to its present value) for each Tensor written since mark m, first written first;
    with `outside` (a trace) only those whose value at the mark was one of that trace or its ancestors (not
    a Tensor made inside the branch)."""
    seen: dict[int, Tensor | None] = {}  # None: made inside the branch (not carried)
    for t, (_, trace, _) in _state().log[m:]:
        if id(t) not in seen and (outside is None or _encloses(trace, outside)):
            seen[id(t)] = t
        seen.setdefault(id(t), None)
    out = []
    for t in (t for t in seen.values() if t is not None):
        now = Tensor.__new__(type(t))
        now._data, now._trace, now._name, now._shape, now._dtype = t._data, t._trace, t._name, t._shape, t._dtype
        out.append((t, now))
    return out


def _encloses(trace, inner) -> bool:
    while inner is not None:
        if inner is trace:
            return True
        inner = inner.parent
    return False


def restore(m: int, outside=None) -> None:
    """Every Tensor written since mark m back to its binding at m; with `outside` (a trace), only those bound
    to a value of that trace or its ancestors then (a Tensor made inside the branch keeps its value: it may
    be the branch's output)."""
    log = _state().log
    for t, (data, trace, name) in reversed(log[m:]):
        if outside is None or _encloses(trace, outside):
            t._data, t._trace, t._name = data, trace, name
    del log[m:]


def note_graph_write(t: Tensor) -> None:
    """t was just written in place in a GRAPH_MODE trace (its binding now that trace's value)."""
    t.__dict__["_gs_graph_written"] = t._trace


def graph_written(t: Tensor) -> bool:
    """Whether t's present value is one an in-place write of its trace gave it (note_graph_write): another name
    may be bound to the same Tensor and see the next write (`out = x; x -= 1` in MindSpore 2.10's graph)."""
    return t._data is None and t.__dict__.get("_gs_graph_written") is t._trace
