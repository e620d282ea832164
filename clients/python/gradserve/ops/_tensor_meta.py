"""MindSpore 2.10 Tensor members its docs show that other modules lack: the memory layout NumPy reports
(itemsize, nbytes, strides, stride(), storage_offset()), H / mH, ptp, take, allclose, argmax/argmin_with_value,
index_put, scatter's forms, itemset, the bytes round trip, assign_value, and MindSpore's lazy-init and host-memory
queries, which on gradserve's host-side Tensors have one answer. Bound here, once, onto Tensor."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._jit_forbidden import refuse
from .._late import late
from .._tensor import Parameter, Tensor
from ..dtype import dtype_to_nptype

__all__: list[str] = []


# -- layout: a Tensor's values are one C-ordered block ------------------------------------------------
def _itemsize(self) -> int:
    return np.dtype(self._dtype).itemsize


def _nbytes(self) -> int:
    return _itemsize(self) * int(np.prod(self.shape, dtype=np.int64))


def _element_strides(shape) -> list[int]:
    out, step = [], 1
    for n in reversed(tuple(shape)):
        out.append(step)
        step *= max(int(n), 1)
    return out[::-1]


def _strides(self) -> tuple[int, ...]:
    """Bytes between neighbours along each axis (NumPy's strides of the C-ordered values)."""
    return tuple(s * _itemsize(self) for s in _element_strides(self.shape))


def _stride(self, dim=None):
    """Elements between neighbours along each axis (a list), or along dim."""
    steps = _element_strides(self.shape)
    if dim is None:
        return steps
    if not -len(steps) <= dim < len(steps):
        raise IndexError(f"Tensor.stride: dim {dim} is out of range for a {len(steps)}-D Tensor")
    return steps[dim]


# -- math ----------------------------------------------------------------------------------------
def _h(self):
    """x.H: the conjugate transpose of a matrix."""
    if len(self.shape) != 2:
        raise ValueError(f"For tensor.H, only 2-D Tensor is supported, but got {len(self.shape)}-D.")
    return late.ops.adjoint(self)


def _m_h(self):
    """x.mH: each matrix (the last two axes) conjugated and transposed (under 2-d: swapaxes' axis-range
    ValueError, as MindSpore 2.10's)."""
    return late.ops.adjoint(self)


def _ptp(self, axis=None, keepdims=False):
    """Tensor.ptp(axis=None, keepdims=False): max - min (NumPy's peak to peak)."""
    return late.ops.amax(self, axis, keepdims) - late.ops.amin(self, axis, keepdims)


def _take(self, indices, axis=None, mode="clip"):
    """Tensor.take(indices, axis=None, mode='clip'): NumPy's take; out-of-range indices clipped to [-n, n - 1]
    ('clip', MindSpore's) or wrapped ('wrap'), a negative one counting from the end; axis None: of the flattened
    values."""
    if mode == "raise":
        raise NotImplementedError("Tensor.take: mode 'raise' is not implemented (MindSpore 2.10's answer); use "
                                  "'clip' or 'wrap'")
    if mode not in ("wrap", "clip"):
        raise ValueError(f"Tensor.take: mode must be 'wrap' or 'clip', but got {mode!r}")
    x = late.ops.reshape(self, (-1,)) if axis is None else self
    axis = 0 if axis is None else axis
    n = x.shape[axis]
    idx = indices if isinstance(indices, Tensor) else Tensor(np.asarray(indices))
    idx = late.ops.cast(idx, "int64")
    idx = late.ops.remainder(idx, n) if mode == "wrap" else late.ops.clamp(idx, -n, n - 1)
    idx = late.ops.remainder(idx, n)  # a negative index counts from the end
    return late.ops.gather(x, idx, axis)


def _allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether every element is close to other's (ops.isclose): a Python bool, as MindSpore returns."""
    return bool(late.ops.isclose(self, other, rtol, atol, equal_nan).all()._host_copy())


def _with_value(kind: str):
    def method(self, axis=0, keep_dims=False):
        pick = late.ops.amax if kind == "max" else late.ops.amin
        if axis is None:  # over all: a scalar and the index 0 whatever keep_dims (MindSpore 2.10, as ops.max)
            return pick(late.ops.reshape(self, (-1,)), 0, False), Tensor(np.array(0, np.int64))
        index = (late.ops.argmax if kind == "max" else late.ops.argmin)(self, axis, keep_dims)
        return pick(self, axis, keep_dims), late.ops.cast(index, "int64")
    method.__name__ = f"arg{kind}_with_value"
    method.__doc__ = f"Tensor.arg{kind}_with_value(axis=0, keep_dims=False): (the {kind}, its index) along axis."
    return method


def _index_put(self, indices, values, accumulate=False):
    """Tensor.index_put(indices, values, accumulate=False): self[indices[0], indices[1], ...] = values (+= with
    accumulate, repeated positions adding up), as a new Tensor. values: a 1-D Tensor (MindSpore's IndexPut)."""
    if not isinstance(indices, (tuple, list)) or not indices or len(indices) > len(self.shape):
        raise ValueError(f"Tensor.index_put: indices must be a tuple or list of 1 to {len(self.shape)} index "
                         f"Tensors, but got {indices!r}")
    if isinstance(values, Tensor) and values.ndim != 1:  # MindSpore 2.10's IndexPut (checked: 0-d and 2-d values)
        raise ValueError(f"For primitive[IndexPut], the rank of x2 must be equal to 1, but got {values.ndim}.")
    shape = np.broadcast_shapes(*(tuple(i.shape) for i in indices))
    where = late.ops.stack([late.ops.broadcast_to(late.ops.cast(i, "int64"), shape) for i in indices], -1)
    rows = tuple(where.shape[:-1]) + tuple(self.shape[len(indices):])
    updates = late.ops.broadcast_to(late.ops.cast(values, self.dtype), rows)
    scatter = late.ops.tensor_scatter_add if accumulate else late.ops.tensor_scatter_update
    return scatter(self, where, updates)


def _scatter(self, *args, **kwargs):
    """Tensor.scatter(axis, index, src) / (dim, index, src or value, reduce=None): ops.scatter along the axis;
    a number as src (or value=) fills; reduce 'add' adds (ops.tensor_scatter_elements)."""
    names = ("dim", "index", "src", "reduce")
    bound: dict[str, Any] = dict(zip(names, args))
    for key, value in kwargs.items():
        bound["dim" if key == "axis" else "src" if key == "value" else key] = value
    if not {"dim", "index", "src"} <= bound.keys():
        raise TypeError("Tensor.scatter: needs dim (or axis), index and src (or value)")
    src, index = bound["src"], bound["index"]
    if not isinstance(src, Tensor):
        src = late.ops.fill(self.dtype, tuple(index.shape), src)
    reduce = {None: "none", "add": "add"}.get(bound.get("reduce"))
    if reduce is None:
        raise ValueError(f"Tensor.scatter: reduce {bound['reduce']!r} is not supported; use None or 'add'")
    return late.ops.tensor_scatter_elements(self, index, src, bound["dim"], reduce)


def _itemset(self, *args: Any):
    """Tensor.itemset(*args): NumPy's itemset on a copy (MindSpore 2.10 returns the new Tensor and leaves self)."""
    given: list[Any] = list(args)
    if len(given) not in (1, 2):
        raise ValueError(f"Tensor.itemset: takes (value) or (index, value), but got {len(given)} arguments")
    values: Any = self._host_copy().copy()
    index, value = ([None] + given)[-2:]
    if index is None:
        if values.size != 1:
            raise ValueError("Tensor.itemset(value) needs a Tensor of one element; give an index")
        values.reshape(-1)[0] = value
    elif isinstance(index, int):
        values.reshape(-1)[index] = value
    else:
        values[tuple(index)] = value
    return Tensor(values)


# -- bytes, assignment ----------------------------------------------------------------------------
def _get_bytes(self) -> bytes:
    """The values' bytes in C order."""
    return np.ascontiguousarray(self._host_copy()).tobytes()


def _from_bytes(data: bytes, shape, dtype) -> Tensor:
    """Tensor.convert_bytes_to_tensor(bytes, shape, dtype): the Tensor get_bytes came from."""
    values = np.frombuffer(data, dtype=np.dtype(dtype_to_nptype(dtype))).reshape(tuple(shape))
    return Tensor(values.copy())


def _assign_value(self, value):
    """Tensor.assign_value(value): this Tensor takes value's values, shape and dtype (a Parameter: set_data)."""
    refuse("Tensor", "assign_value")  # (in a program's graph: MindSpore's refusal)
    if isinstance(self, Parameter):
        return self.set_data(value)
    value = value if isinstance(value, Tensor) else Tensor(value)
    self._data, self._trace, self._name = value._data, value._trace, value._name
    self._shape, self._dtype = tuple(value.shape), value._dtype
    return self


def _constant(answer, doc: str):
    def method(self, *args, **kwargs):
        return answer
    method.__doc__ = doc
    return method


for _name, _fn in (("stride", _stride), ("storage_offset", _constant(0, "Values start their block: 0.")),
                   ("ptp", _ptp), ("take", _take), ("allclose", _allclose), ("index_put", _index_put),
                   ("argmax_with_value", _with_value("max")), ("argmin_with_value", _with_value("min")),
                   ("scatter", _scatter), ("itemset", _itemset), ("get_bytes", _get_bytes),
                   ("assign_value", _assign_value), ("value", lambda self: self),
                   ("init_data", lambda self, slice_index=None, shape=None, opt_shard_group=None: self),
                   ("is_init", _constant(False, "MindSpore's lazy init: gradserve's Tensors hold values.")),
                   ("set_init_flag", _constant(None, "MindSpore's lazy-init flag: nothing to set here.")),
                   ("is_pinned", _constant(False, "Host memory is not page-locked for a device.")),
                   ("is_shared", _constant(False, "Values are not in shared memory.")),
                   ("flush_from_cache", _constant(None, "No parameter cache to flush."))):
    setattr(Tensor, _name, _fn)
for _name, _fn in (("itemsize", _itemsize), ("nbytes", _nbytes), ("strides", _strides), ("H", _h), ("mH", _m_h),
                   ("data", lambda self: self), ("has_init", lambda self: False)):
    setattr(Tensor, _name, property(_fn))
setattr(Tensor, "convert_bytes_to_tensor", staticmethod(_from_bytes))
