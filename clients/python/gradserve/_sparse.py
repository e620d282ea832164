"""MindSpore's sparse tensors (COOTensor, CSRTensor, RowTensor) as client-side structures of dense Tensors.

A sparse tensor is its parts (COO: indices [nnz, ndim] and values [nnz]; CSR: indptr [rows + 1], indices
[nnz] (columns) and values [nnz]; Row: indices [k] and values [k, ...]) and its dense shape, a tuple of
Python ints. Every operation lowers to dense ops (gather, scatter-add, segment sums, index arithmetic), so a
sparse tensor traces, runs on every backend and derives like any Tensor program: a gradient reaches the
values (and the dense operands), never the indices (MindSpore's semantics). The traces carry a sparse
tensor as a tree node (_trace.flatten): its parts are leaves, its class and shape the node's static part.

What needs the indices' values to size its result (coalesce, COO + COO, CSR + CSR, dense -> sparse) reads
them (in a trace, from this call's inputs) and keeps the values' part differentiable.
"""
from __future__ import annotations

import numpy as np

from . import dtype as _dt
from ._late import late
from ._tensor import Tensor


def _refuse_in_graph(who: str, name: str, got: tuple, want: tuple) -> None:
    """A COOTensor's indices narrower than the shape's rank, made in a GRAPH_MODE construct / @jit function: MindSpore
    2.10's TypeError (its graph's check; wider ones, and PyNative's, are ValueErrors); a RowTensor's values likewise."""
    if who == "COOTensor" and name == "indices" and len(got) == 2 and got[0] == want[0] and got[1] < want[1] \
            and late.graph_semantics():
        raise TypeError(f"For COOTensor, `indices.shape[{list(got)}]` must be equal to the second dimension of "
                        f"`indices`: {want[1]} but got {got[1]}")
    if who == "RowTensor" and name == "values" and late.graph_semantics():
        _refuse_row_values_in_graph(got, want)


def _refuse_row_values_in_graph(got: tuple, want: tuple) -> None:
    """A RowTensor whose values do not fit dense_shape past its first axis, made in a GRAPH_MODE construct / @jit
    function: MindSpore 2.10's TypeError and texts (its graph's MakeRowTensor check; its PyNative checks nothing)."""
    if len(got) != len(want):
        raise TypeError(f"The size of dense_shape must be the same with the dimension of values {len(got)}, but got "
                        f"{len(want)}")
    for i in range(1, len(got)):
        if got[i] != want[i]:
            raise TypeError(f"The {i}th element of dense_shape must be same with the {i}th dimension of values "
                            f"{got[i]}, but got {want[i]}")


def _as_shape(shape, who: str) -> tuple:
    if isinstance(shape, Tensor):
        shape = shape._host_copy().tolist()
    if not isinstance(shape, (tuple, list)) or not all(isinstance(s, (int, np.integer)) for s in shape):
        raise TypeError(f"{who}: shape must be a tuple of ints, got {shape!r}")
    if any(s < 1 for s in shape):  # (MindSpore 2.10: "the element of shape must be positive")
        raise ValueError(f"{who}: shape must hold positive ints, got {tuple(shape)}")
    return tuple(int(s) for s in shape)


def _tensor(x, who: str, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{who}: {what} must be a Tensor, got {type(x).__name__}")
    return x


def _int_tensor(x, who: str, what: str) -> Tensor:
    """An index part: in a trace, cut from the gradient (indices carry none, as in MindSpore: the gradient
    of a function returning them is zeros)."""
    x = _tensor(x, who, what)
    if x.dtype not in (_dt.int16, _dt.int32, _dt.int64):
        raise TypeError(f"{who}: {what} must be an int16 / int32 / int64 Tensor, got {x.dtype}")
    return late.ops.stop_gradient(x) if x._data is None else x


class SparseTensor:
    """What COO, CSR and Row tensors share: the parts (as a tree node, see _trace), the values' dtype and the
    elementwise maps of the values (the pattern is kept)."""
    _parts_names: tuple = ()
    _indices: Tensor
    _values: Tensor
    shape: tuple

    _min_rank = 1  # the fewest axes its shape may have

    def _init(self, copy, copy_name: str, parts: tuple, shape) -> None:
        """The one validation of the three constructors: the parts and shape given, or those of `copy` (the
        constructor's copy form, of the same class); index parts int16 / int32 / int64 Tensors, the values
        (last part) a Tensor, shape positive ints; each part's shape what `_layout` says."""
        who = type(self).__name__
        if copy is not None:
            if not isinstance(copy, type(self)):
                raise TypeError(f"{who}: {copy_name} must be a {who}, got {type(copy).__name__}")
            parts, shape = copy.parts(), copy.shape
        *index_parts, values = parts
        for name, part in zip(self._parts_names, index_parts):
            setattr(self, "_" + name, _int_tensor(part, who, name))
        self._values = _tensor(values, who, "values")
        self.shape = _as_shape(shape, who)
        if len(self.shape) < self._min_rank:
            raise ValueError(f"{who}: shape must have at least {self._min_rank} axes, got {self.shape}")
        nnz = self._indices.shape[0] if self._indices.shape else -1  # (-1: a 0-d indices fits no layout)
        for name, (spelled, want) in zip(self._parts_names, self._layout(nnz)):
            got = tuple(getattr(self, "_" + name).shape)
            if got != tuple(want):
                _refuse_in_graph(who, name, got, want)
                raise ValueError(f"{who}: {name} must be {spelled} = {list(want)} for shape {self.shape}, got "
                                 f"{list(got)}")

    def _layout(self, nnz: int) -> tuple:
        """Each part's shape as (how it is spelled, the sizes), nnz being indices' first size."""
        raise NotImplementedError

    def parts(self) -> tuple:
        return tuple(getattr(self, "_" + n) for n in self._parts_names)

    @classmethod
    def from_parts(cls, parts, shape):
        """One rebuilt from the parts of a valid one (a trace's tree: no checks, and no op, since the trace
        rebuilding it may not be the one its parts belong to)."""
        x = cls.__new__(cls)
        for n, v in zip(cls._parts_names, parts):
            setattr(x, "_" + n, v)
        x.shape = tuple(shape)
        return x

    def with_values(self, values):
        return type(self).from_parts(self.parts()[:-1] + (values,), self.shape)

    @property
    def values(self) -> Tensor:
        return self._values

    @property
    def indices(self) -> Tensor:
        return self._indices

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def size(self) -> int:
        return int(np.prod(self._values.shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        return np.dtype(_dt.to_name(self._values.dtype)).itemsize

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def to_tuple(self) -> tuple:
        return self.parts() + (self.shape,)

    def astype(self, dtype):
        return self.with_values(late.ops.cast(self._values, dtype))

    def abs(self):
        return self.with_values(late.ops.abs(self._values))

    def __neg__(self):
        return self.with_values(late.ops.neg(self._values))

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={getattr(self, '_' + n)!r}" for n in self._parts_names)
        return f"{type(self).__name__}(shape={self.shape}, dtype={self.dtype}, {parts})"

    def __bool__(self) -> bool:
        raise TypeError(f"the truth value of a {type(self).__name__} is ambiguous")


class _Arithmetic(SparseTensor):
    """COO's and CSR's operators: + and - of the same kind (the union of the patterns) or of a dense Tensor
    (dense), * and / by a dense Tensor (the pattern kept)."""

    def __add__(self, other):
        return late.sparse.add(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        return late.sparse.add(self, -other)

    def __rsub__(self, other):
        return late.sparse.add(-self, other)

    def __mul__(self, other):
        return late.sparse.mul(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return late.sparse.div(self, other)


class COOTensor(_Arithmetic):
    """COOTensor(indices [nnz, ndim] int, values [nnz], shape) or COOTensor(coo_tensor=other)."""
    _parts_names = ("indices", "values")

    def __init__(self, indices=None, values=None, shape=None, coo_tensor=None):
        self._init(coo_tensor, "coo_tensor", (indices, values), shape)

    def _layout(self, nnz: int) -> tuple:
        return ("[nnz, len(shape)]", (nnz, len(self.shape))), ("[nnz]", (nnz,))

    def to_dense(self) -> Tensor:
        return late.sparse.coo_to_dense(self)

    def to_csr(self):
        return late.sparse.coo_to_csr(self)

    def coalesce(self):
        return late.sparse.coo_coalesce(self)


class CSRTensor(_Arithmetic):
    """CSRTensor(indptr [rows + 1] int, indices [nnz] int (columns), values [nnz], shape (rows, cols)) or
    CSRTensor(csr_tensor=other)."""
    _parts_names = ("indptr", "indices", "values")
    _indptr: Tensor
    _min_rank = 2

    def __init__(self, indptr=None, indices=None, values=None, shape=None, csr_tensor=None):
        self._init(csr_tensor, "csr_tensor", (indptr, indices, values), shape)

    def _layout(self, nnz: int) -> tuple:
        return (("[shape[0] + 1]", (self.shape[0] + 1,)), ("[nnz]", (nnz,)),
                ("[nnz, *shape[2:]]", (nnz,) + self.shape[2:]))

    @property
    def indptr(self) -> Tensor:
        return self._indptr

    def to_dense(self) -> Tensor:
        return late.sparse.coo_to_dense(self.to_coo())

    def to_coo(self) -> COOTensor:
        return late.sparse.csr_to_coo(self)

    def mv(self, dense_vector) -> Tensor:
        return late.sparse.csr_mv(self, dense_vector)

    def mm(self, matrix) -> Tensor:
        return late.sparse.csr_mm(self, matrix)

    def sum(self, axis) -> Tensor:
        return late.sparse.csr_reduce_sum(self, axis)

    def add(self, b, alpha, beta):
        return late.sparse.csr_add(self, b, alpha, beta)


class RowTensor(SparseTensor):
    """RowTensor(indices [k] int, values [k, ...], dense_shape) or RowTensor(row_tensor=other): the rows
    `indices` of a dense tensor of dense_shape (an embedding's gradient)."""
    _parts_names = ("indices", "values")

    def __init__(self, indices=None, values=None, dense_shape=None, row_tensor=None):
        self._init(row_tensor, "row_tensor", (indices, values), dense_shape)

    def _layout(self, nnz: int) -> tuple:
        return ("[k]", (nnz,)), ("[k, *dense_shape[1:]]", (nnz,) + self.shape[1:])

    @property
    def dense_shape(self) -> tuple:
        return self.shape

    def to_dense(self) -> Tensor:
        return late.sparse.row_to_dense(self)


SPARSE_CLASSES = {"coo": COOTensor, "csr": CSRTensor, "row": RowTensor}
SPARSE_KIND = {v: k for k, v in SPARSE_CLASSES.items()}
