"""The cast policy of mixed precision (mindspore.amp), applied while a graph is traced.

A Cell marked by `amp.auto_mixed_precision` (`mark`) runs its construct inside a scope (a context variable);
`_trace.apply` asks `wrap` for each op it emits, which casts the op's floating inputs (Parameters too) to the
scope's dtype: the casts are nodes of the traced graph, so the service computes in float16 / bfloat16 and the
gradient of an fp32 Parameter comes back fp32 through the cast's derivative. The scope is
(dtype, ops or None, ops kept fp32 or None): None casts every op (O2 / O3 and to_float), a set casts only those
ops (MindSpore's documented white / black lists): O1 casts their results back to float32, 'auto' keeps them in
dtype (a later op promotes them as its other inputs say)."""
from __future__ import annotations

import contextvars
from typing import Any, Callable

from . import context as _context
from ._tensor import Tensor

_scope: contextvars.ContextVar = contextvars.ContextVar("gradserve_amp_scope", default=None)
FLOATS = frozenset({"float16", "bfloat16", "float32", "float64"})
# MindSpore's O1 white list ops (MatMul, BatchMatMul, Conv2D/3D and transposes, ReLU) as engine ops (PReLU is
# a composite here: O1 marks the nn.PReLU cell)
O1_OPS = frozenset({"matmul", "dot_general", "conv", "conv_transpose", "relu"})
# 'auto': the auto_whitelist's ops in low precision, the auto_blacklist's in float32 (others keep their inputs)
AUTO_WHITE = frozenset({"matmul", "dot_general", "conv", "conv_transpose", "einsum"})
AUTO_BLACK = frozenset({"pow", "acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log1p", "reciprocal",
                        "rsqrt", "sinh", "tan", "softplus", "layer_norm", "batch_norm", "group_norm", "prod",
                        "softmax", "log_softmax", "cumprod", "cumsum", "sum", "logsumexp"})
_UNTOUCHED = frozenset({"cast", "stop_gradient"})  # (a cast asked for by the program is its own)


def mark(cell: Any, scope: tuple | None, out32: bool = False) -> None:
    """Run `cell` in `scope` (None: remove the mark); out32: its floating results cast back to float32.
    Every cached trace is stale (the epoch moves): the cell's own, and those of whatever calls it (a parent
    Cell, a jit function, a GradOperation) were made without the casts."""
    cell.__dict__.pop("_gs_amp", None)
    if scope is not None:
        object.__setattr__(cell, "_gs_amp", (scope, out32))
    _context.mode_epoch[0] += 1


def call(cell: Any, run: Callable[[], Any], cast: Callable) -> Any:
    """A marked cell's call: its ops inside its scope, then (out32) its floating results as float32."""
    scope, out32 = cell.__dict__["_gs_amp"]
    return in_scope(scope, out32, run, cast)


def in_scope(scope: tuple, out32: bool, run: Callable[[], Any], cast: Callable | None) -> Any:
    """run() with its ops in scope, then (out32: cast given) its floating results as float32."""
    token = _scope.set(scope)
    try:
        out = run()
    finally:
        _scope.reset(token)
    return _to32(out, cast) if out32 and cast is not None else out


def _to32(out: Any, cast: Callable) -> Any:
    if isinstance(out, Tensor):
        return cast(out, "float32") if out._dtype in FLOATS and out._dtype != "float32" else out
    if isinstance(out, (tuple, list)):
        return type(out)(_to32(o, cast) for o in out)
    return out


def _target(op: str, scope: tuple) -> tuple[str | None, bool]:
    """(the dtype op's floating inputs take, whether its results go back to float32) in scope."""
    dtype, ops, keep32 = scope
    if ops is None:
        return dtype, False
    if op in ops:  # O1 (no fp32 list): back to float32; 'auto': kept in dtype, as MindSpore 2.10 (checked)
        return dtype, keep32 is None
    if keep32 is not None and op in keep32:
        return "float32", False
    return None, False


def wrap(op: str, inputs: list, cast: Callable, run: Callable[[list], list]) -> list | None:
    """op's results under the active scope (its inputs cast), or None where the scope leaves op alone."""
    scope = _scope.get()
    if scope is None or op in _UNTOUCHED:
        return None
    dtype, back = _target(op, scope)
    if dtype is None or not any(isinstance(x, Tensor) and x._dtype in FLOATS and x._dtype != dtype for x in inputs):
        return None
    token = _scope.set(None)  # (the casts and the op itself are emitted outside the scope)
    try:
        outs = run([cast(x, dtype) if isinstance(x, Tensor) and x._dtype in FLOATS else x for x in inputs])
        return [_to32(o, cast) for o in outs] if back else outs
    finally:
        _scope.reset(token)
