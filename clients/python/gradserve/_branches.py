"""Python control flow on traced values (`if x > y:` in construct), by path enumeration.

A trace runs its function once; when Python asks for the truth of a traced Tensor (`__bool__`),
the innermost explorer answers True the first time and records the condition. The function is then
run again for every other combination of answers (depth first), each run adding its nodes to the
same trace, and the outputs of the paths are merged with `where` on the recorded conditions. So
both sides of a branch are evaluated and the chosen value is selected: values are exact; a
derivative is exact unless the untaken side's own derivative is infinite at the point (0 * inf:
guard such a side as for `where`). A `while` on a traced value never settles and is an error.
"""
from __future__ import annotations

import threading

import numpy as np

from . import ops
from ._late import late
from ._tensor import Tensor
from ._trace import flatten_out, unflatten

MAX_DECISIONS = 32  # per run: more means a loop on a traced value
MAX_PATHS = 64

_tls = threading.local()


class ControlFlowError(RuntimeError):
    pass


class _Explorer:
    def __init__(self):
        self.prefix: list[bool] = []
        self.path: list[bool] = []
        self.conds: list[Tensor] = []

    def decide(self, t: Tensor) -> bool:
        i = len(self.path)
        if i >= MAX_DECISIONS:
            raise ControlFlowError(f"more than {MAX_DECISIONS} branches on traced values in one run: a `while` "
                                   "on a traced Tensor cannot be traced (use a Python bound or ops over the values)")
        v = self.prefix[i] if i < len(self.prefix) else True
        self.path.append(v)
        self.conds.append(t)
        return v


def _stack() -> list:
    s = getattr(_tls, "stack", None)
    if s is None:
        s = _tls.stack = []
    return s


def decide(t: Tensor):
    """The truth of a traced Tensor for the current run, or None when no explorer is active."""
    s = _stack()
    return s[-1].decide(t) if s else None


def explore(run):
    """run() once per path of its branches on traced values; the merged output."""
    ex = _Explorer()
    s = _stack()
    s.append(ex)
    results = []
    try:
        while True:
            ex.path, ex.conds = [], []
            out = run()
            results.append((list(ex.path), list(ex.conds), out))
            trues = [i for i, v in enumerate(ex.path) if v]
            if not trues:
                break
            ex.prefix = ex.path[:trues[-1]] + [False]
            if len(results) >= MAX_PATHS:
                raise ControlFlowError(f"more than {MAX_PATHS} paths through branches on traced values")
    finally:
        s.pop()
    return results[0][2] if len(results) == 1 else _merge(results, 0)


def _merge(results, d):
    if len(results) == 1:
        return results[0][2]
    taken = [r for r in results if r[0][d]]
    other = [r for r in results if not r[0][d]]
    return _select(_truth(taken[0][1][d]), _merge(taken, d + 1), _merge(other, d + 1))


def _truth(c: Tensor) -> Tensor:
    if c.size != 1:
        raise ControlFlowError(f"the truth value of a Tensor of shape {list(c.shape)} is ambiguous: a branch "
                               "needs a single element")
    if c.shape != ():
        c = ops.reshape(c, ())
    return c if c._dtype == "bool" else ops.not_equal(c, 0)


class _Num:
    """A Python number in a branch's output: a value to select, of the other side's dtype."""

    def __init__(self, v):
        self.v = v


def _mark_numbers(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_mark_numbers(v) for v in x)
    if isinstance(x, dict):
        return {k: _mark_numbers(v) for k, v in x.items()}
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return _Num(x)
    return x


def _leaf(x, other) -> Tensor:
    if isinstance(x, _Num):
        dt = other._dtype if isinstance(other, Tensor) else ("float32" if isinstance(x.v, float) else "int64")
        return Tensor(np.asarray(x.v, dtype=dt))
    return x if isinstance(x, Tensor) else Tensor(x)


def _select(c: Tensor, a, b):
    la, ta = flatten_out(_mark_numbers(a))
    lb, tb = flatten_out(_mark_numbers(b))
    if ta != tb:
        raise ControlFlowError(f"the branches of an `if` on a traced value give different structures or "
                               f"constants: {ta} vs {tb}")
    out = []
    for x, y in zip(la, lb):
        if isinstance(x, _Num) and isinstance(y, _Num) and x.v == y.v:
            out.append(x.v)
            continue
        x, y = _leaf(x, y), _leaf(y, x)
        if x is y:
            out.append(x)
            continue
        if x._dtype != y._dtype:
            raise ControlFlowError(f"the branches give {x.dtype} and {y.dtype} for one output")
        out.append(ops.select(c, x, y))
    return unflatten(ta, out)


# a traced Tensor's `bool()` (in _tensor) and the trace of a function (in _trace) reach the explorer late
late.bind(decide=decide, explore=explore)
