"""`mindspore.ops.function.grad.grad_func`: MindSpore's derivative functions, re-exported from
ops.functional (one definition each), and custom_vjp (defined here, where MindSpore has it).

`custom_vjp`: a function whose derivative rule the user gives with `defbwd(bwd)`,
`bwd(*inputs, out, dout) -> one gradient per input`. The decorated function becomes a Cell whose
`bprop` is bwd, so the custom-bprop machinery (_bprop.py: an engine `custom_vjp` node, the rule
differentiated at higher orders) applies as for any Cell with a bprop."""
from __future__ import annotations

import functools
from typing import Any, Callable

from ...._cellbase import Cell
from ... import functional as _functional
from ...functional import (get_grad, grad, hessian, jacfwd, jacrev, jvp, stop_gradient,  # noqa: F401
                           value_and_grad, vjp)


class CustomVjp(Cell):
    _fwd: Callable[..., Any]
    _bwd: Callable[..., Any] | None

    def __init__(self, fwd: Callable[..., Any]):
        super().__init__()
        self._fwd, self._bwd = fwd, None
        functools.update_wrapper(self, fwd, updated=())

    def construct(self, *args):
        return self._fwd(*args)

    def defbwd(self, bwd: Callable[..., Any]) -> Callable[..., Any]:
        self._bwd = bwd
        return bwd

    def bprop(self, *args):
        if self._bwd is None:
            raise TypeError(f"custom_vjp function {getattr(self._fwd, '__name__', self._fwd)!r} has no "
                            f"backward rule: call .defbwd(bwd) with bwd(*inputs, out, dout) first")
        return self._bwd(*args)


def custom_vjp(fn=None):
    """`@custom_vjp def f(...)` then `f.defbwd(bwd)`; also `custom_vjp()(f)`."""
    if fn is None:
        return CustomVjp
    return CustomVjp(fn)


# Taylor-mode functions (jet, derivative, linearize) that ops.functional has: by name
_LATER = ("jet", "derivative", "linearize")
globals().update({n: getattr(_functional, n) for n in _LATER if hasattr(_functional, n)})
__all__ = ["custom_vjp", "get_grad", "grad", "hessian", "jacfwd", "jacrev", "jvp", "stop_gradient",
           "value_and_grad", "vjp", *(n for n in _LATER if hasattr(_functional, n))]
