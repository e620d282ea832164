"""MindSpore 2.10's functional control-flow primitives ForiLoop, WhileLoop, Scan and Partial / ops.partial.
MindSpore compiles them into graph loops; here they run their Python bodies (under a trace the loop unrolls
into the graph, so what the body computes on Tensors is differentiable as written)."""
from __future__ import annotations

import functools

__all__ = ["ForiLoop", "WhileLoop", "Scan", "Partial", "partial"]


def _callable(fn, name: str, where: str) -> None:
    if not callable(fn):
        raise TypeError(f"For '{where}', '{name}' must be callable, got {type(fn).__name__}")


class ForiLoop:
    """ops.ForiLoop()(lower, upper, loop_func, init_val, unroll=True): val = loop_func(i, val) for i in
    [lower, upper)."""

    def __call__(self, lower, upper, loop_func, init_val, unroll=True):
        _callable(loop_func, "loop_func", "ForiLoop")
        val = init_val
        for i in range(int(lower), int(upper)):
            val = loop_func(i, val)
        return val


class WhileLoop:
    """ops.WhileLoop()(cond_func, loop_func, init_val): val = loop_func(val) while cond_func(val)."""

    def __call__(self, cond_func, loop_func, init_val):
        _callable(cond_func, "cond_func", "WhileLoop")
        _callable(loop_func, "loop_func", "WhileLoop")
        val = init_val
        while bool(cond_func(val)):
            val = loop_func(val)
        return val


class Scan:
    """ops.Scan()(loop_func, init, xs, length=None, unroll=True): carry, y = loop_func(carry, x) over xs (or
    length times with x None); returns (carry, [y, ...])."""

    def __call__(self, loop_func, init, xs, length=None, unroll=True):
        _callable(loop_func, "loop_func", "Scan")
        if xs is None:
            if length is None:
                raise ValueError("For 'Scan', 'length' must be given when 'xs' is None")
            xs = [None] * int(length)
        elif length is not None and int(length) != len(xs):
            raise ValueError(f"For 'Scan', 'length' ({length}) must be the length of 'xs' ({len(xs)})")
        carry, ys = init, []
        for x in xs:
            carry, y = loop_func(carry, x)
            ys.append(y)
        return carry, ys


def partial(func, *args):
    """func with its first arguments fixed."""
    _callable(func, "func", "partial")
    return functools.partial(func, *args)


class Partial:
    """ops.Partial()(func, *args): partial."""

    def __call__(self, func, *args):
        return partial(func, *args)
