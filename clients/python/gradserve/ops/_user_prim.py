"""User-defined primitives (`class MyOp(ops.PrimitiveWithInfer)`) and their registered derivative rules.

MindSpore runs such a primitive in PyNative by calling its `__call__`; gradserve does the same in both modes
(a trace runs Python as it goes), so a `__call__` composing existing ops is the op's forward. A rule registered
with `@bprop_getters.register(MyOp)` (a function of the instance giving `bprop(*inputs, out, dout)`) replaces
the derivative of that composition, as a Cell's `bprop` method does (one mechanism: _bprop.call_with_rule).
"""
from __future__ import annotations

import functools
import types
from typing import Any, Callable

from .._bprop import call_with_rule
from .._trace import current
from .vm_impl_registry import Registry, get_vm_impl_fn

# MindSpore's table of derivative rules by primitive (mindspore.ops._grad_experimental.grad_base.bprop_getters)
bprop_getters = Registry()


def with_registered_bprop(call: Callable) -> Callable:
    """A user primitive's __call__, run under its registered bprop rule (if any) inside a trace."""
    @functools.wraps(call)
    def wrapped(self, *args: Any, **kwargs: Any) -> Any:
        getter = bprop_getters.get(type(self))
        if getter is None or current() is None or kwargs:
            return call(self, *args, **kwargs)
        return call_with_rule(types.MethodType(call, self), getter(self), type(self).__name__, list(args))
    return wrapped


def run_unimplemented(prim, inputs: tuple, kwargs: dict) -> Any:
    """A user primitive without __call__: its Python implementation registered in vm_impl_registry (MindSpore's
    debug-VM table; NumPy on concrete values, so outside a trace only), else a clear error."""
    name = type(prim).__name__
    impl = get_vm_impl_fn(prim)
    if impl is not None and current() is None:
        return impl(*inputs, **kwargs)
    where = " (its vm_impl reads values: it runs in PyNative calls outside a graph or gradient only)" \
        if impl is not None else ""
    raise NotImplementedError(
        f"{name}: a user-defined Primitive with no implementation{where} (no engine op is named {name!r}). "
        f"Define {name}.__call__ composing existing ops (a rule registered with bprop_getters.register({name}) "
        f"then gives its derivative), or use the ops directly")
