"""MindSpore's scatters that write into their input (a Parameter, or a Tensor in PyNative):
ScatterNdAdd / Sub / Mul / Div / Max / Min / Update (index rows into the leading axes, as tensor_scatter_*)
and ScatterAdd / Sub / Mul / Div / Max / Min / Update (indices into axis 0), with their functional forms.

Each computes the new value with the matching tensor_scatter_* (_scatter_ms: its derivatives, repeated rows
and integer division) and writes it in place (_inplace.write: a Parameter through ops.assign, so a traced
construct's later reads and the graph's Parameter updates see it); the result is the written input, as
MindSpore returns. `use_locking` is accepted: the update of one call is whole either way.
An index outside the input is MindSpore's RuntimeError (its kernel's launch failure), naming the op.
ops.scatter_add / ops.ScatterAdd are MindSpore's (no `shape=` form, as MindSpore's: the engine's scatter_add op,
zeros of a shape with values added at indices, stays reachable inside the SDK as _primitives.FUNCTIONS)."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor
from . import _scatter_ms
from ._inplace import write
from ._primitives import Primitive

_KINDS = ("add", "sub", "mul", "div", "max", "min", "update")
_CAMEL = {k: k.capitalize() for k in _KINDS}


__all__ = ["scatter_nd_add", "scatter_nd_sub", "scatter_nd_mul", "scatter_nd_div", "scatter_nd_max", "scatter_nd_min",
           "scatter_nd_update", "ScatterNdAdd", "ScatterNdSub", "ScatterNdMul", "ScatterNdDiv", "ScatterNdMax",
           "ScatterNdMin", "ScatterNdUpdate", "scatter_sub", "scatter_mul", "scatter_div", "scatter_max", "scatter_min",
           "scatter_update", "scatter_add", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv", "ScatterMax",
           "ScatterMin", "ScatterUpdate"]


def _prim_name(name: str) -> str:
    return "".join(w.capitalize() for w in name.split("_"))  # scatter_nd_add -> ScatterNdAdd


def _check(name: str, input_x, indices, updates):
    """updates in input_x's dtype: MindSpore's signature rule converts the other operands to the promoted
    dtype but never the written input (a TypeError in its words when that would be needed)."""
    if not isinstance(input_x, Tensor):
        raise TypeError(f"{name}: input_x must be a Parameter or Tensor, got {type(input_x).__name__}")
    if not isinstance(indices, Tensor) or not isinstance(updates, Tensor):
        raise TypeError(f"{name}: indices and updates must be Tensors, got {type(indices).__name__} and "
                        f"{type(updates).__name__}")
    if indices.dtype.name not in ("int32", "int64"):
        raise TypeError(f"{name}: indices must be int32 or int64, got {indices.dtype.name}")
    if updates._dtype != input_x._dtype:
        _dt.check_written(input_x._dtype, updates._dtype,
                          f"the argument[x]'s data type of primitive[{_prim_name(name)}] is")
        updates = updates.astype(input_x._dtype)
    if indices.is_symbolic or not indices.size or not indices.ndim:
        return updates
    rows = indices._host_copy().reshape(-1, indices.shape[-1])
    dims = np.asarray(input_x.shape[:rows.shape[1]], dtype=np.int64)
    bad = np.nonzero(((rows < 0) | (rows >= dims)).any(axis=1))[0]
    if bad.size:
        raise RuntimeError(f"{name}: index row {rows[bad[0]].tolist()} (row {int(bad[0])}) is outside input_x's "
                           f"leading axes {dims.tolist()}")
    return updates


def _nd(kind: str, name: str, input_x, indices, updates):
    updates = _check(name, input_x, indices, updates)
    new = getattr(_scatter_ms, f"tensor_scatter_{kind}")(input_x, indices, updates)
    return write(input_x, new, name)


def _axis0(kind: str, name: str, input_x, indices, updates):
    """indices into axis 0: each index an index row of length 1."""
    if isinstance(indices, Tensor) and indices.dtype.name in ("int32", "int64"):
        indices = indices.reshape(tuple(indices.shape) + (1,))
    return _nd(kind, name, input_x, indices, updates)


def _function(kind: str, nd: bool, default_lock: bool):
    name = f"scatter_nd_{kind}" if nd else f"scatter_{kind}"

    def fn(input_x, indices, updates, use_locking=default_lock):
        if nd and isinstance(indices, Tensor) and indices.ndim < 2:  # (ScatterNd*'s index rows; Scatter*'s any rank)
            raise ValueError(f"For primitive[{_prim_name(name)}], the dimension of 'indices' must be greater than or "
                             f"equal to 2, but got {indices.ndim}.")
        return (_nd if nd else _axis0)(kind, name, input_x, indices, updates)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"ops.{name}(input_x, indices, updates): input_x with tensor_scatter_{kind} applied at "
                  f"{'its index rows' if nd else 'indices along axis 0'}, written in place; returns input_x.")
    return fn


def _class(kind: str, nd: bool, default_lock: bool):
    name = f"ScatterNd{_CAMEL[kind]}" if nd else f"Scatter{_CAMEL[kind]}"
    fn = _function(kind, nd, default_lock)

    def __init__(self, use_locking=default_lock):
        if not isinstance(use_locking, bool):
            raise TypeError(f"{name}: use_locking must be a bool, got {type(use_locking).__name__}")
        self.use_locking = use_locking
        self.attrs = {"use_locking": use_locking}

    def __call__(self, input_x, indices, updates):
        return fn(input_x, indices, updates)

    # `op`: the engine op doing the work (the same as the matching TensorScatter* class's)
    return type(name, (Primitive,), {"op": getattr(_scatter_ms, f"TensorScatter{_CAMEL[kind]}").op,
                                     "__init__": __init__, "__call__": __call__, "__module__": __name__,
                                     "__doc__": f"ops.{name}(use_locking={default_lock})(input_x, indices, updates)"})


# MindSpore's default use_locking: True for the Update kinds only
scatter_nd_add, ScatterNdAdd = _function("add", True, False), _class("add", True, False)
scatter_nd_sub, ScatterNdSub = _function("sub", True, False), _class("sub", True, False)
scatter_nd_mul, ScatterNdMul = _function("mul", True, False), _class("mul", True, False)
scatter_nd_div, ScatterNdDiv = _function("div", True, False), _class("div", True, False)
scatter_nd_max, ScatterNdMax = _function("max", True, False), _class("max", True, False)
scatter_nd_min, ScatterNdMin = _function("min", True, False), _class("min", True, False)
scatter_nd_update, ScatterNdUpdate = _function("update", True, True), _class("update", True, True)
scatter_sub, ScatterSub = _function("sub", False, False), _class("sub", False, False)
scatter_mul, ScatterMul = _function("mul", False, False), _class("mul", False, False)
scatter_div, ScatterDiv = _function("div", False, False), _class("div", False, False)
scatter_max, ScatterMax = _function("max", False, False), _class("max", False, False)
scatter_min, ScatterMin = _function("min", False, False), _class("min", False, False)
scatter_update, ScatterUpdate = _function("update", False, True), _class("update", False, True)
scatter_add, ScatterAdd = _function("add", False, False), _class("add", False, False)
