"""MindSpore 2.10's Partial / ops.partial (its loop primitives ForiLoop / WhileLoop / Scan: _loop_prims)."""
from __future__ import annotations

import functools

__all__ = ["Partial", "partial"]


def _callable(fn, name: str, where: str) -> None:
    if not callable(fn):
        raise TypeError(f"For '{where}', '{name}' must be callable, got {type(fn).__name__}")


def partial(func, *args):
    """func with its first arguments fixed."""
    _callable(func, "func", "partial")
    return functools.partial(func, *args)


class Partial:
    """ops.Partial()(func, *args): partial."""

    def __call__(self, func, *args):
        return partial(func, *args)
