"""max() / min() in a graph (GRAPH_MODE or a @jit function): MindSpore 2.10's refusals, before Python's.

MindSpore's graph max / min refuse what Python would compare element by element or answer with its own texts:
an empty sequence ("max() arg is an empty sequence.", ValueError), a 0-d Tensor as the one argument ("Cannot
iterate over a scalar tensor.", TypeError), a Tensor of more than one element among the values compared, or
Tensors inside sequences given as separate arguments ("The truth value of an array with more than one element
is ambiguous.", ValueError), and one sequence of sequences holding Tensors ("max() cannot support tensor in
list or tuple nested now.", TypeError). Anything else is Python's max / min."""
from __future__ import annotations

from typing import Any, Callable

from ._tensor import Tensor

__all__ = ["checked"]

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


def checked(f: Callable) -> Callable:
    """f (builtins.max or min) with MindSpore's graph refusals first (see the module's doc)."""
    def run(*args, **kwargs):
        _check(f.__name__, args, kwargs)
        return f(*args, **kwargs)
    return run
