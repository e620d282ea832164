"""`mindspore._Function` (mindspore.common._Function): a custom autograd function in PyTorch's form.

    class Square(_Function):
        @staticmethod
        def forward(ctx, x): ctx.save_for_backward(x); return x * x
        @staticmethod
        def backward(ctx, dout): x, = ctx.saved_tensors; return 2 * x * dout
    Square.apply(x)

Inside a trace (grad / jit / a Cell's construct), `apply` is a call with a custom bprop (_bprop.py: an engine
`custom_vjp` node). The backward rule is traced as its own function, so what forward kept on `ctx` (saved
tensors, attributes, marks) is rebuilt there by running forward again on the rule's own inputs: the engine
drops whatever of that recomputation backward does not use. Outside any trace `apply` is forward alone.
MindSpore's checks on backward's result are kept: one gradient per input (RuntimeError), None for a
non-Tensor input, a Tensor or None for a Tensor input; a gradient of a broadcast shape is summed down to the
input's and cast to its dtype. A tensor marked dirty must be one of forward's outputs (RuntimeError). Not
modelled: mark_dirty's in-place semantics (forward's in-place writes are traced as any others) and
set_materialize_grads(False) (an unused output's gradient is zeros, not None).
"""
from __future__ import annotations

import inspect

import numpy as np

from . import ops as _ops
from ._cellbase import Cell
from ._tensor import Tensor
from ._trace import current


class FunctionCtx:
    """`ctx`: what forward leaves for backward."""

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple = ()
        self.materialize_grads = True
        self._non_differentiable: list = []
        self._dirty: list = []

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.extend(tensors)  # their gradients reach backward as zeros (none: not called)

    def mark_dirty(self, *tensors):
        self._dirty.extend(tensors)

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = bool(value)


def _needs_grad(args) -> tuple:
    return tuple(isinstance(a, Tensor) for a in args)


def _summed_to(g: Tensor, like: Tensor) -> Tensor:
    """g summed over the axes `like` was broadcast along (MindSpore's auto-reduce of a custom gradient)."""
    gs, xs = tuple(g.shape), tuple(like.shape)
    if gs == xs:
        return g
    try:
        if np.broadcast_shapes(gs, xs) != gs:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"For custom function, grad tensor should be broadcast to input shape {list(xs)}, "
                           f"but got grad shape {list(gs)}") from None
    lead = len(gs) - len(xs)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(xs) if n == 1 and gs[lead + i] != 1)
    return g.sum(axis=axes, keepdims=False).reshape(xs) if axes else g


class _FunctionCall(Cell):
    """One `apply`: construct is forward, bprop re-runs forward for ctx and calls backward."""

    def __init__(self, fn_cls, args):
        super().__init__()
        self._fn_cls, self._needs = fn_cls, _needs_grad(args)

    def construct(self, *args):
        ctx = FunctionCtx(self._needs)
        out = self._fn_cls.forward(ctx, *args)
        outs = {id(o) for o in (out if isinstance(out, (tuple, list)) else (out,))}
        if any(id(t) not in outs for t in ctx._dirty):
            raise RuntimeError("The dirty tensors must all be outputs of the forward function.")
        if isinstance(out, (tuple, list)) and not all(isinstance(o, Tensor) for o in out):
            # non-Tensor outputs (numbers...) are no outputs of the custom-bprop call: apply puts them back
            self._layout = [None if isinstance(o, Tensor) else (o,) for o in out]
            return tuple(o for o in out if isinstance(o, Tensor))
        return out

    def outputs(self, out):
        """The call's outputs with forward's non-Tensor outputs back in their places."""
        layout = self.__dict__.get("_layout")
        if layout is None:
            return out
        it = iter(out)
        return tuple(next(it) if c is None else c[0] for c in layout)

    def bprop(self, *a):
        n = len(a) - 2
        xs, dout = a[:n], a[-1]
        ctx = FunctionCtx(self._needs)
        out = self._fn_cls.forward(ctx, *xs)  # ctx's content, in the rule's trace
        if isinstance(out, (tuple, list)):  # dout: the Tensor outputs' gradients; None for the others (MindSpore's)
            it = iter(dout if isinstance(dout, (tuple, list)) else (dout,))
            outs = tuple(out)
            douts = tuple(next(it) if isinstance(o, Tensor) else None for o in outs)
        else:
            outs, douts = (out,), (dout,)
        marked = {id(t) for t in ctx._non_differentiable}
        if all(id(o) in marked for o in outs):  # nothing differentiable comes out: backward is not called
            return (None,) * n
        douts = tuple(_ops.zeros_like(d) if id(o) in marked and isinstance(d, Tensor) else d
                      for o, d in zip(outs, douts))
        grads = self._fn_cls.backward(ctx, *douts)
        grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
        if len(grads) != n:
            raise RuntimeError(f"Function backward return a wrong number of gradients, expect {n} but got "
                               f"{len(grads)}")
        return tuple(self._checked(g, x, i) for i, (g, x) in enumerate(zip(grads, xs)))

    @staticmethod
    def _checked(g, x, i: int):
        if not isinstance(x, Tensor):
            if g is not None:
                raise RuntimeError(f"Input is not tensor, but gradient is not none (input {i} is "
                                   f"{type(x).__name__})")
            return None
        if g is None:
            return None
        if not isinstance(g, Tensor):
            raise RuntimeError(f"Gradient should be none or tensor, but got {type(g).__name__} for input {i}")
        return _summed_to(g, x).astype(x.dtype)


class _Function:
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grad_outputs)`; call `apply`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("forward function should be customized.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("backward function should be customized.")

    @classmethod
    def apply(cls, *args, **kwargs):
        if kwargs:  # forward's keywords bound to positions (ctx first)
            bound = inspect.signature(cls.forward).bind(None, *args, **kwargs)
            bound.apply_defaults()
            args = bound.args[1:]
        if current() is None:
            return cls.forward(FunctionCtx(_needs_grad(args)), *args)
        call = _FunctionCall(cls, args)
        return call.outputs(call(*args))


__all__ = ["_Function", "FunctionCtx"]
