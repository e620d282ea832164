"""Parameters assigned inside a traced construct (`self.w = v`, `self.w += 1`, `ops.assign(self.w, v)`).

MindSpore's graph mode treats such an assignment as an update of the Parameter that later reads in the
same run see (a read after it carries no derivative back to the assigned value, as MindSpore's Assign). A trace cannot write the Parameter's data, so it keeps the Parameter's current value here
(per thread, for the trace being built): Trace.ref of a Parameter reads this value when there is one.
Control flow carries the values as extra outputs / loop state (_branches, _while snapshot and compare
them). The values are the trace's own: after the run the Parameter's data is as before (not written back).
"""
from __future__ import annotations

import threading

import numpy as np

from ._late import late
from ._tensor import Tensor

_tls = threading.local()


def _values() -> dict:
    v = getattr(_tls, "values", None)
    if v is None:
        v = _tls.values = {}
    return v


def get(p):
    """The value assigned to Parameter p in this trace, or None."""
    hit = _values().get(id(p))
    return None if hit is None else hit[1]


def assign(p, value) -> None:
    if not isinstance(value, Tensor):  # `self.w = 0`: a value of w's dtype and shape
        value = Tensor(np.full(tuple(p.shape), value, dtype=p._dtype))
    elif value._data is None and not getattr(value, "_gs_stopped", False):
        value = late.ops.stop_gradient(_as_param(p, value))  # as MindSpore's Assign: no derivative reaches it
        value._gs_stopped = True
    _values()[id(p)] = (p, value)


def _as_param(p, value):
    """value in p's dtype and shape (reads of p are typed by p): one of the same size reshaped, a smaller
    one broadcast; anything else is an error naming p."""
    ops = late.ops
    if value._dtype != p._dtype:
        value = ops.cast(value, p._dtype)
    if tuple(value.shape) == tuple(p.shape):
        return value
    if value.size == p.size:
        return ops.reshape(value, tuple(p.shape))
    try:
        return ops.broadcast_to(value, tuple(p.shape))
    except Exception as e:  # noqa: BLE001 - the shape rule's own message, with the parameter's name
        raise ValueError(f"assigning a value of shape {list(value.shape)} to Parameter {p.name!r} of shape "
                         f"{list(p.shape)}: {e}") from None


def snapshot() -> dict:
    return dict(_values())


def restore(snap: dict) -> None:
    _tls.values = dict(snap)


def reset() -> None:
    _tls.values = {}


def changed(before: dict, after: dict) -> list:
    """The Parameters whose value differs between two snapshots, in a stable order."""
    keys = [k for k in after if k not in before or after[k][1] is not before[k][1]]
    return [after[k][0] for k in keys]
