"""`x in seq` inside rewritten code (see _rewrite, pass 1c) when x is a Tensor and seq a list or tuple.

MindSpore 2.10's graph mode (checked in its venv) takes a Tensor to be in a sequence when an element is that
Tensor or a Tensor of its shape equal to it everywhere; elements that are not Tensors, or of another shape, never
match (`Tensor(1) in [1, 2]` is False there). Python's `in` would take the truth of an element-wise `==`
instead, which a Tensor of more than one element does not have. In PyNative mode MindSpore runs Python's `in`,
and so does this. With traced values the answer is a traced bool Tensor (any of the all-equal tests); with known
values, a Python bool as MindSpore's. `seq.index(x)` in a graph (graph_index) finds elements by the same rule:
a Tensor is never at a number's place nor a number at a Tensor's (`[1, 2].index(Tensor(1))` is MindSpore's
ValueError "... is not in ...", where Python's `==` answers 0)."""
from __future__ import annotations

import sys
from typing import Any, Callable

from ._late import late
from ._tensor import Tensor
from .context import GRAPH_MODE, get_context


def member_in(x: Any, seq: Any) -> Any:
    if not (isinstance(x, Tensor) and isinstance(seq, (list, tuple))) or get_context("mode") != GRAPH_MODE:
        return x in seq
    found = None
    for e in seq:
        if e is x:
            return True
        if not isinstance(e, Tensor) or tuple(e.shape) != tuple(x.shape) or e.dtype != x.dtype:
            continue
        same = late.ops.all(late.ops.equal(x, e))
        found = same if found is None else late.ops.logical_or(found, same)
    if found is None:
        return False
    known = found._value()
    return bool(known) if known is not None else found


def member_not_in(x: Any, seq: Any) -> Any:
    r = member_in(x, seq)
    return late.ops.logical_not(r) if isinstance(r, Tensor) else not r


def _same(e: Any, x: Any) -> bool:
    if e is x:
        return True
    if isinstance(e, Tensor) != isinstance(x, Tensor):
        return False
    if not isinstance(x, Tensor):
        return bool(e == x)
    return bool(member_in(x, [e]))  # (a traced answer: the branch explorer's bool)


def graph_index(seq: "list | tuple") -> Callable:
    """seq.index in a graph (rewritten code calls it in place of the bound method: _rewrite._call)."""
    def index(x: Any, start: int = 0, end: int = sys.maxsize) -> int:
        for i in range(*slice(start, end).indices(len(seq))):
            if _same(seq[i], x):
                return i
        raise ValueError(f"{x!r} is not in {type(seq).__name__}")
    return index
