"""ops.WhileLoop / ops.ForiLoop / ops.Scan, MindSpore 2.10's loop primitives, as the loops their documentation
writes out: WhileLoop(cond_func, loop_func, init_val) is `while cond_func(v): v = loop_func(v)`,
ForiLoop(lower, upper, loop_func, init_val, unroll=True) is `for i in range(lower, upper): v = loop_func(i, v)`,
Scan(loop_func, init, xs, length=None, unroll=True) is `carry, y = loop_func(carry, x)` over xs, collecting
the ys. A condition that is a traced value (inside jit / GRAPH_MODE) becomes the engine's `while` (_while's
run_while, the one `while` of construct takes); a Python one runs trip by trip. An error inside loop_func is
MindSpore's ValueError ("Invalid loop_func ...")."""
from __future__ import annotations

import types

from .._late import late
from .._tensor import Tensor

__all__ = ["WhileLoop", "ForiLoop", "Scan"]

_FUNCTIONS = (types.FunctionType, types.MethodType)


def _check_function(value, name: str, op: str) -> None:
    if not isinstance(value, _FUNCTIONS):
        raise TypeError(f"For '{op}', the type of '{name}' should be a function, but got {type(value).__name__}")


def _invalid(err: Exception) -> ValueError:
    return ValueError(f"Invalid loop_func, please check input arguments and return value, error info: {err}")


class _LoopPrimitive:
    """MindSpore's Primitive surface these need: a name, no attributes."""

    @property
    def name(self) -> str:
        return type(self).__name__


class WhileLoop(_LoopPrimitive):
    def __call__(self, cond_func, loop_func, init_val):
        _check_function(cond_func, "cond_func", "WhileLoop")
        _check_function(loop_func, "loop_func", "WhileLoop")
        try:
            (out,) = late.run_while(cond_func, lambda v: (loop_func(v),), (init_val,), ("init_val",))
        except (TypeError, ValueError, IndexError, KeyError) as err:
            raise _invalid(err) from err
        return out


class ForiLoop(_LoopPrimitive):
    def __call__(self, lower, upper, loop_func, init_val, unroll=True):
        for name, bound in (("lower", lower), ("upper", upper)):
            if isinstance(bound, bool) or not isinstance(bound, (int, Tensor)):
                raise TypeError(f"For 'ForiLoop', the type of '{name}' should be int or Tensor, "
                                f"but got {type(bound).__name__}")
        _check_function(loop_func, "loop_func", "ForiLoop")
        if not isinstance(unroll, bool):
            raise TypeError(f"For 'ForiLoop', 'unroll' must be a bool, got {type(unroll).__name__}")
        try:
            _, out = late.run_while(lambda i, v: i < upper, lambda i, v: (i + 1, loop_func(i, v)),
                                    (lower, init_val), ("index", "init_val"))
        except (TypeError, ValueError, IndexError, KeyError) as err:
            raise _invalid(err) from err
        return out


class Scan(_LoopPrimitive):
    def __call__(self, loop_func, init, xs, length=None, unroll=True):
        _check_function(loop_func, "loop_func", "Scan")
        if xs is not None and not isinstance(xs, (list, tuple)):
            raise TypeError(f"For 'Scan', 'xs' must be a list, a tuple or None, got {type(xs).__name__}")
        if xs is None:
            if isinstance(length, bool) or not isinstance(length, int):
                raise TypeError(f"For 'Scan', 'length' must be an int when xs is None, got {length!r}")
            xs = [None] * length
        if not isinstance(unroll, bool):
            raise TypeError(f"For 'Scan', 'unroll' must be a bool, got {type(unroll).__name__}")
        carry, ys = init, []
        try:
            for x in xs:
                carry, y = loop_func(carry, x)
                ys.append(y)
        except (TypeError, ValueError, IndexError, KeyError) as err:
            raise _invalid(err) from err
        return carry, ys
