"""max() / min() in a graph (GRAPH_MODE or a @jit function): MindSpore 2.10's refusals, before Python's.

MindSpore's graph max / min refuse what Python would compare element by element or answer with its own texts:
an empty sequence ("max() arg is an empty sequence.", ValueError), a 0-d Tensor as the one argument ("Cannot
iterate over a scalar tensor.", TypeError), a Tensor of more than one element among the values compared, or
Tensors inside sequences given as separate arguments ("The truth value of an array with more than one element
is ambiguous.", ValueError), and one sequence of sequences holding Tensors ("max() cannot support tensor in
list or tuple nested now.", TypeError). Anything else is Python's max / min, except that a traced Tensor compared
with a Python number is compared by its value in this call, as MindSpore's graph runs such a max at run time
(`max(x, 2)`: x itself where x > 2, else 2; a cond could not join a Tensor with a number); so are any / all of
traced one-element Tensors (a Python bool, not a Tensor; MindSpore 2.10 checked in its venv).

Tensors only (`max(x, y)`, `min([x, y, z])`) are MindSpore's fold of its Maximum / Minimum primitive, not a pick:
the dtypes promoted (int32 with float16: float16), a NaN kept only where it is the later operand (`max(nan, 1)`
is 1, `max(1, nan)` is NaN: Maximum's CPU kernel), the gradient at a tie split as Maximum's (MindSpore 2.10,
probed in /work/ms_suite69/probe/p6.py; Python's pick kept the first operand's dtype and NaN rule)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import ops as _ops
from ._tensor import Tensor

__all__ = ["checked", "truth_by_value"]

_AMBIGUOUS = "The truth value of an array with more than one element is ambiguous."


def _holds_tensor(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and any(isinstance(x, Tensor) for x in v)


def _check(name: str, args: tuple, kwargs: dict) -> None:
    if len(args) == 1:
        (items,) = args
        if isinstance(items, Tensor):
            if not items.shape:
                raise TypeError("Cannot iterate over a scalar tensor.")
            if len(items.shape) > 1 and items.shape[0] > 1:
                raise ValueError(_AMBIGUOUS)  # (its rows compared)
            return
        if not isinstance(items, (list, tuple)):
            return
        if not items and "default" not in kwargs:
            raise ValueError(f"{name}() arg is an empty sequence.")
        if any(_holds_tensor(v) for v in items):
            raise TypeError(f"{name}() cannot support tensor in list or tuple nested now.")
    else:
        items = args
        if any(_holds_tensor(v) for v in items):
            raise ValueError(_AMBIGUOUS)
    if len(items) > 1 and any(isinstance(v, Tensor) and v.size > 1 for v in items):
        raise ValueError(_AMBIGUOUS)


def _traced(v) -> bool:
    return isinstance(v, Tensor) and v._data is None


def _values(items) -> "list | None":
    """items with each traced Tensor as its value in this call (None where one is not known)."""
    out = []
    for v in items:
        if _traced(v):
            v = v._value()
            if v is None:
                return None
        out.append(v)
    return out


def _fold(name: str, items) -> Tensor:
    """MindSpore's max_tensor / min_tensor: Maximum (Minimum) folded from items[0] with itself, then each item."""
    op = _ops.maximum if name == "max" else _ops.minimum
    out = items[0]
    for v in items:
        out = op(out, v)
    return out


def checked(f: Callable) -> Callable:
    """f (builtins.max or min) with MindSpore's graph refusals first (see the module's doc)."""
    def run(*args, **kwargs):
        _check(f.__name__, args, kwargs)
        items = args[0] if len(args) == 1 else args
        if not kwargs and isinstance(items, (list, tuple)) and items and all(isinstance(v, Tensor) for v in items):
            return _fold(f.__name__, items)
        if "key" not in kwargs and isinstance(items, (list, tuple)) and any(map(_traced, items)) and \
                not all(isinstance(v, Tensor) for v in items):
            values = _values(items)
            if values is not None:  # (the first of the largest, as Python's)
                return items[f(range(len(items)), key=lambda i: values[i])]
        return f(*args, **kwargs)
    return run


def truth_by_value(f: Callable) -> Callable:
    """f (builtins.any or all) in a graph: over traced one-element Tensors, their values' (see the module's doc)."""
    def run(items):
        if isinstance(items, (list, tuple)) and any(map(_traced, items)) and \
                all(v.size == 1 for v in items if isinstance(v, Tensor)):
            values = _values(items)
            if values is not None:
                return f(bool(v.reshape(())) if isinstance(v, np.ndarray) else v for v in values)
        if isinstance(items, Tensor) and items._data is None and len(items.shape) == 1:
            value = items._value()
            if value is not None:
                return f(bool(v) for v in value)
        return f(items)
    return run
