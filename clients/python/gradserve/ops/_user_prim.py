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
from .._trace import apply, current, graph_semantics
from ..dtype import to_name
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
    inferred = _run_user_infer(prim, inputs)
    getter = bprop_getters.get(type(prim))
    if getter is not None and inferred is not None and not kwargs and current() is not None and graph_semantics():
        return call_with_rule(_stand_in(prim, name, inferred), getter(prim), name, list(inputs))
    where = " (its vm_impl reads values: it runs in PyNative calls outside a graph or gradient only)" \
        if impl is not None else ""
    raise NotImplementedError(
        f"{_ms_text(prim, name)}\n{name}: a user-defined Primitive with no implementation{where} (no engine op is named {name!r}). "
        f"Define {name}.__call__ composing existing ops (a rule registered with bprop_getters.register({name}) "
        f"then gives its derivative), or use the ops directly")


def _stand_in(prim, name: str, inferred: tuple) -> Callable:
    """The forward of a user primitive with an infer and a registered bprop, no implementation, in a graph:
    MindSpore 2.10's GRAPH_MODE prunes such a forward where only the bprop's gradient is asked (GradOperation
    [2, 2], `out * 3` [6, 6]) and refuses where its value is used (`MyDouble(x) * x`, value_and_grad, a call):
    a stand-in of the inferred shape and dtype that refuses with MindSpore's text where the plan runs it."""
    dtype, shape = inferred
    return lambda x, *rest: apply("no_kernel", [x], {"message": _ms_text(prim, name), "shape": shape,
                                                     "dtype": dtype})[0]


def _run_user_infer(prim, inputs: tuple) -> tuple | None:
    """MindSpore infers a primitive's output before it selects a kernel, so an error the user's infer_shape /
    infer_dtype raises is the program's error there, not the missing kernel (MindSpore 2.10: a MockNeg whose
    infer_dtype raises TypeError("InferError") is that TypeError, in GRAPH_MODE too; infer_dtype runs first). Shapes go
    in as lists, dtypes as the inputs' dtypes (MindSpore's are tensor[float32], not modelled); run only where every
    input is a Tensor (other inputs' abstract forms differ). Gives (dtype, shape) of its one Tensor output where
    both say it (_one_output), else None."""
    if not inputs or not all(hasattr(x, "shape") and hasattr(x, "dtype") for x in inputs):
        return None
    got = []
    for method, args in (("infer_dtype", [x.dtype for x in inputs]), ("infer_shape", [list(x.shape) for x in inputs])):
        if callable(getattr(prim, method, None)):
            got.append(getattr(prim, method)(*args))
    return _one_output(*got) if len(got) == 2 else None


def _one_output(dtype, shape) -> tuple | None:
    """(engine dtype name, shape) of an infer's one Tensor output; None for anything else (a tuple of them)."""
    if not isinstance(shape, (list, tuple)) or not all(isinstance(d, int) and d >= 0 for d in shape):
        return None
    try:
        return to_name(dtype), tuple(shape)
    except TypeError:
        return None


def _ms_text(prim, name: str) -> str:
    """MindSpore 2.10's RuntimeError text for a user primitive it cannot run (gradserve's NotImplementedError is a
    RuntimeError too): one with an infer (a PrimitiveWithInfer, an __infer__) has no kernel on the device, in both
    modes; one without is no evaluator in a graph and lacks __infer__ in PyNative. (With an infer and a registered
    bprop, MindSpore's graph prunes the forward where only the gradient is asked, and gives the bprop's value:
    _stand_in.)"""
    from .. import context
    if callable(getattr(prim, "__infer__", None)) or callable(getattr(prim, "infer_shape", None)):
        device = context.get_context("device_target")
        return (f"Kernel select failed:\nUnsupported op [{name}] on {device}, Please confirm whether the device target "
                "setting is correct, or refer to 'mindspore.ops' at https://www.mindspore.cn to query the operator "
                "support list.")
    if current() is not None and graph_semantics():  # (a GRAPH_MODE construct, a jit function)
        return f"Operator '{name}' is invalid, or no matching evaluator could be found."
    return f"prim:{name} has no attr:__infer__"
