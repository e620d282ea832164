"""MindSpore 2.10's Partial / ops.partial (its loop primitives ForiLoop / WhileLoop / Scan: _loop_prims)."""
from __future__ import annotations

import functools

from .._trace import current

__all__ = ["Partial", "partial"]


def _callable(fn, name: str, where: str) -> None:
    if not callable(fn):
        raise TypeError(f"For '{where}', '{name}' must be callable, got {type(fn).__name__}")


def partial(func, *args, **kwargs):
    """func with its first arguments fixed; keywords too inside a graph (MindSpore 2.10 binds them there only:
    outside one, Python's TypeError as MindSpore's)."""
    _callable(func, "func", "partial")
    if kwargs and current() is None:
        raise TypeError(f"Partial.__call__() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return functools.partial(func, *args, **kwargs)


class Partial:
    """ops.Partial()(func, *args): partial."""

    def __call__(self, func, *args, **kwargs):
        return partial(func, *args, **kwargs)
