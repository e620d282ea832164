"""MindSpore 2.10 Tensor methods that are an op with the Tensor first (`x.erfc()` is `ops.erfc(x)`), and the few
whose calling form differs from the op's (permute(*dims), argsort(dim=...), view_as(other), from_numpy), and
trace (NumPy's form), addbmm, is_contiguous / contiguous and _load.
Bound here, once, onto Tensor; a method Tensor already has is left as it is (but the five bound last)."""
from __future__ import annotations

import numpy as np

from .. import _eager, _private_arrays
from .._late import late
from .._tensor import _SUPPORTED_SET, Tensor, dtype_name, is_view
from ._tensor_select import tensor_select
from . import _tensor_storage  # noqa: F401  (Tensor.untyped_storage)

__all__: list[str] = []

# x.name(*args) = ops.name(x, *args): the op's signature is the method's (checked against MindSpore 2.10's)
_SAME = ("hardshrink", "erfc", "log2", "log10", "i0", "deg2rad", "rad2deg", "inv", "invert", "ravel",
         "is_floating_point", "diag", "logical_xor", "igamma", "igammac", "gather_nd", "mm", "isclose", "cummax",
         "cummin", "index_fill", "renorm", "svd", "cholesky", "cholesky_inverse", "cholesky_solve", "inverse",
         "sinc", "frac", "fmax", "fmin", "heaviside", "eigvals", "diagonal_scatter", "searchsorted", "nan_to_num",
         "nonzero", "argwhere", "nextafter", "bincount", "histc", "slice_scatter", "select_scatter", "unfold", "erfinv",
         "repeat_interleave", "signbit", "gcd", "lcm", "reverse_sequence", "unsorted_segment_min", "unsorted_segment_max",
         "copysign", "multinomial", "adjoint", "count_nonzero", "logcumsumexp", "ldexp", "addr",
         "nanmean", "isreal", "lstsq", "diagflat")
# (Tensor.ptp / scatter: ops/_tensor_meta.py)


def _op_method(name: str):
    def method(self, *args, **kwargs):
        return getattr(late.ops, name)(self, *args, **kwargs)
    method.__name__, method.__doc__ = name, f"ops.{name}(self, ...)"
    return method


def _permute(self, *dims):
    """x.permute(0, 2, 1) or x.permute((0, 2, 1))."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return late.ops.transpose(self, tuple(dims))


def _argsort(self, axis=-1, descending=False, *, dim=None, stable=False):
    """x.argsort(axis=-1, descending=False) or (dim=-1, descending=False, stable=False)."""
    return late.ops.argsort(self, axis if dim is None else dim, descending)


def _remainder(self, other=None, *, divisor=None):
    """x.remainder(other) / x.remainder(other=...) / x.remainder(divisor=...): Python's %, the divisor's sign."""
    return late.ops.remainder(self, divisor if other is None else other)


def _addcmul(self, tensor1, tensor2, value=1):
    """self + value * tensor1 * tensor2."""
    return self + value * (tensor1 * tensor2)


def _addcdiv(self, tensor1, tensor2, value=1):
    """self + value * tensor1 / tensor2."""
    return self + value * (tensor1 / tensor2)


def _where(self, condition, y):
    """x.where(condition, y): ops.where(condition, x, y) (MindSpore 2.10's Tensor.where)."""
    return late.ops.where(condition, self, y)


def _from_numpy(array) -> Tensor:
    """Tensor.from_numpy(array): a Tensor on the array's own memory (MindSpore 2.10 CPU: a later write into the
    array changes the Tensor; asnumpy() gives it back), of its dtype. The array is the user's: released
    (gradserve._private_arrays), so traces and the shared memory path compare its bytes."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"For 'from_numpy', the input must be a numpy.ndarray, but got {type(array).__name__}")
    if not array.flags.writeable or dtype_name(array.dtype) not in _SUPPORTED_SET:
        return Tensor(array)  # (a copy: of a read-only array, or converted to a dtype MindSpore has)
    _private_arrays.release(array)
    return _eager._tensor(array)  # (no copy made first: Tensor(array) copied, then the copy was dropped)


def _resize(self, *new_shape):
    """Tensor.resize(*shape) (NumPy's ndarray.resize, as a new Tensor): the elements in row-major order, cut or
    padded with zeros to the new size; no shape keeps the Tensor's (MindSpore 2.10, NumPy: it was a 0-d Tensor)."""
    if not new_shape:
        new_shape = tuple(self.shape)
    shape = tuple(new_shape[0]) if len(new_shape) == 1 and isinstance(new_shape[0], (tuple, list)) else new_shape
    if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0 for d in shape):
        raise ValueError(f"For 'resize', the new shape must be ints >= 0, got {new_shape!r}")
    size, have = int(np.prod(shape, dtype=np.int64)), int(self.size)
    flat = late.ops.reshape(self, (-1,))
    if size <= have:
        flat = flat[:size]
    else:
        flat = late.ops.concat((flat, late.ops.zeros((size - have,), self.dtype)), 0)
    return late.ops.reshape(flat, tuple(int(d) for d in shape))


def _sum_to_size(self, *size):
    """x.sum_to_size(*size) or ((size,)): x summed over its leading extra axes and over each axis that size
    gives as 1 where x's is not, to the shape size (MindSpore 2.10's)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    lead = len(self.shape) - len(shape)
    if lead < 0 or any(s != x and s != 1 for s, x in zip(shape, self.shape[lead:])):
        raise ValueError(f"For sum_to_size, size {shape} is not expandable to the tensor size {tuple(self.shape)}.")
    axes = tuple(range(lead)) + tuple(lead + i for i, (s, x) in enumerate(zip(shape, self.shape[lead:])) if s != x)
    return late.ops.reshape(late.ops.sum(self, axes, True), shape) if axes else self


_FORMS = {
    "resize": _resize, "sum_to_size": _sum_to_size,
    "permute": _permute, "argsort": _argsort, "remainder": _remainder, "addcmul": _addcmul, "addcdiv": _addcdiv,
    "where": _where, "select": tensor_select,
    "swapdims": lambda self, dim0, dim1: late.ops.swapaxes(self, dim0, dim1),
    "view_as": lambda self, other: late.ops.reshape(self, tuple(other.shape)),
    "reshape_as": lambda self, other: late.ops.reshape(self, tuple(other.shape)),
    "expand_as": lambda self, other: late.ops.broadcast_to(self, tuple(other.shape)),
    "fliplr": lambda self: late.ops.flip(self, (1,)),
    "flipud": lambda self: late.ops.flip(self, (0,)),
    "ndimension": lambda self: self.ndim,
    "approximate_equal": lambda self, other, tolerance=1e-5: late.ops.approximate_equal(self, other, tolerance),
}

for _name in _SAME:
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _op_method(_name))
for _name, _fn in _FORMS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
if not hasattr(Tensor, "from_numpy"):
    Tensor.from_numpy = staticmethod(_from_numpy)  # type: ignore[attr-defined]


def _tensor_trace(self, offset=0, axis1=0, axis2=1, dtype=None):
    """Tensor.trace: NumPy's (any rank, offset, axes; integers summed in int64), where ops.trace takes a
    matrix and keeps its dtype (MindSpore 2.10: Tensor(int32 2x2).trace() is Int64, ops.trace's Int32)."""
    o = late.ops
    d = o.diagonal(self, int(offset), int(axis1), int(axis2))
    kind = d.dtype.name
    out = o.sum(o.cast(d, "int64") if kind[0] in "iu" or kind == "bool" else d, -1)
    if kind == "bool":  # (a bool's trace is a bool: any True on the diagonal)
        out = o.cast(out, "bool")
    return out if dtype is None else o.cast(out, dtype)


def _tensor_addbmm(self, batch1, batch2, *, beta=1, alpha=1):
    return late.ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)


def _is_contiguous(self):
    """False for the result of a transposing ops.transpose or a strided basic index (x[:, 1]) in PyNative
    (MindSpore 2.10's strided views), else True (a traced value has no layout; a slice passed into a Cell is
    contiguous there)."""
    return not is_view(self)


def _contiguous(self):
    """self if contiguous, else a contiguous copy (MindSpore's)."""
    if _is_contiguous(self):
        return self
    return Tensor(np.ascontiguousarray(self._host_copy()))


def _load(self):
    """MindSpore's TensorPy._load: brings back data offloaded to disk, returns None; a gradserve Tensor's data
    is always in memory, so there is nothing to load."""
    return None


# bound whatever Tensor had (trace: NumPy's form, not ops.trace's matrix-only one)
setattr(Tensor, "_load", _load)
setattr(Tensor, "is_contiguous", _is_contiguous)
setattr(Tensor, "contiguous", _contiguous)
setattr(Tensor, "trace", _tensor_trace)
setattr(Tensor, "addbmm", _tensor_addbmm)
