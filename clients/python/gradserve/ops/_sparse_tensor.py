"""The operations of MindSpore's sparse tensors (gradserve._sparse), lowered to dense ops: to_dense is a
scatter-add of the values, CSR's row of each value a searchsorted of indptr, products a gather of the dense
operand at the pattern and a segment sum over rows. A gradient reaches the values and the dense operands.

ops.csr_<f> / ops.coo_<f> (MindSpore's sparse unary functions) map the values and keep the pattern.
ops.SparseTensorDenseMatmul (indices, values, shape, dense) is a COO product. What sizes its result by the
indices' values (coalesce, COO + COO, CSR + CSR, dense_to_csr / dense_to_coo) reads them (_pattern_of).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._sparse import COOTensor, CSRTensor, RowTensor, SparseTensor
from .._tensor import Tensor
from ._scatter_ms import tensor_scatter_add

_UNARY = ("abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "exp", "expm1", "floor",
          "inv", "isfinite", "isinf", "isnan", "log", "log1p", "neg", "relu", "relu6", "round", "sigmoid", "sin",
          "sinh", "softsign", "sqrt", "square", "tan", "tanh")


def _ops():
    return late.ops


def _check(x, cls, who: str):
    if not isinstance(x, cls):
        raise TypeError(f"{who}: expects a {cls.__name__}, got {type(x).__name__}")
    return x


# -- conversions ----------------------------------------------------------------------------------
def _csr_rows(x: CSRTensor) -> Tensor:
    """The row of each stored value: how many row ends (indptr[1:]) lie at or before its position."""
    o = _ops()
    nnz = x.indices.shape[0]
    pos = o.arange(0, nnz, dtype=x.indptr.dtype)
    return o.cast(o.searchsorted(x.indptr[1:], pos, right=True), x.indices.dtype)


def csr_to_coo(tensor: CSRTensor) -> COOTensor:
    _check(tensor, CSRTensor, "csr_to_coo")
    if len(tensor.shape) != 2:  # (MindSpore 2.10: "Currently only support 2-D CSRTensor when converting to COOTensor")
        raise ValueError(f"csr_to_coo: a 2-D CSRTensor only, got shape {tensor.shape}")
    o = _ops()
    return COOTensor(o.stack([_csr_rows(tensor), tensor.indices], axis=1), tensor.values, tensor.shape)


def coo_to_dense(x: COOTensor) -> Tensor:
    _check(x, COOTensor, "coo_to_dense")
    zeros = _ops().zeros(x.shape, x.values.dtype)
    return tensor_scatter_add(zeros, x.indices, x.values) if x.indices.shape[0] else zeros


def csr_to_dense(csr_tensor: CSRTensor) -> Tensor:
    return coo_to_dense(csr_to_coo(_check(csr_tensor, CSRTensor, "csr_to_dense")))


def row_to_dense(x: RowTensor) -> Tensor:
    zeros = _ops().zeros(x.shape, x.values.dtype)
    return tensor_scatter_add(zeros, x.indices.reshape(-1, 1), x.values)


def coo_to_csr(x: COOTensor) -> CSRTensor:
    """Row-major order (MindSpore's COOTensor.to_csr sorts); indptr counts each row's values."""
    _check(x, COOTensor, "coo_to_csr")
    if len(x.shape) != 2:
        raise ValueError(f"coo_to_csr: a 2-D COOTensor only, got shape {x.shape}")
    o = _ops()
    rows, cols = x.indices[:, 0], x.indices[:, 1]
    order = o.argsort(o.cast(rows, _dt.int64) * x.shape[1] + o.cast(cols, _dt.int64))  # (int64: no overflow)
    rows, cols, values = o.gather(rows, order, 0), o.gather(cols, order, 0), o.gather(x.values, order, 0)
    counts = o.unsorted_segment_sum(o.ones_like(rows), rows, x.shape[0])
    indptr = o.concat([o.zeros((1,), rows.dtype), o.cumsum(counts, axis=0)], 0)
    return CSRTensor(indptr, cols, values, x.shape)


def _pattern_of(x) -> np.ndarray:
    return np.asarray(x._host_copy())


def coo_coalesce(x: COOTensor) -> COOTensor:
    """Repeated indices summed, in row-major order (the pattern read from the indices' values)."""
    idx = _pattern_of(x.indices)
    uniq, inverse = np.unique(idx, axis=0, return_inverse=True)
    seg = Tensor(inverse.reshape(-1).astype(np.int32))
    values = _ops().unsorted_segment_sum(x.values, seg, len(uniq))
    return COOTensor(Tensor(uniq.astype(idx.dtype)), values, x.shape)


def dense_to_coo(x: Tensor) -> COOTensor:
    idx = np.argwhere(_pattern_of(x) != 0)
    indices = Tensor(idx.astype(np.int64))
    return COOTensor(indices, _ops().gather_nd(x, indices), tuple(x.shape))


def dense_to_csr(x: Tensor) -> CSRTensor:
    return coo_to_csr(dense_to_coo(x))


# -- arithmetic -----------------------------------------------------------------------------------
def _scaled(x: SparseTensor, other, sign: str, f: Callable) -> SparseTensor:
    """x's values f(value, other's element at its position): other a number (a 0-d Tensor) or a dense Tensor
    broadcast to x's shape. Anything else (an ndarray, a sparse tensor) is a TypeError, as MindSpore 2.10's
    "COOTensor multiply with <class 'numpy.ndarray'> is not supported" (an ndarray would have broadcast
    against the values, not the dense shape)."""
    if isinstance(other, Tensor) and other.shape != ():
        coo = csr_to_coo(x) if isinstance(x, CSRTensor) else x
        o = _ops()
        return x.with_values(f(x.values, o.gather_nd(o.broadcast_to(other, x.shape), coo.indices)))
    if isinstance(other, (Tensor, int, float, complex, np.number)):
        return x.with_values(f(x.values, other))
    raise TypeError(f"{type(x).__name__} {sign} {type(other).__name__}: use a dense Tensor or a number")


def mul(x: SparseTensor, other):
    return _scaled(x, other, "*", lambda a, b: a * b)


def div(x: SparseTensor, other):
    return _scaled(x, other, "/", lambda a, b: a / b)


def csr_mul(x: CSRTensor, y):
    """ops.csr_mul: x * y (y dense, broadcast to x's shape) as a CSRTensor; a scalar y gives the values alone
    (MindSpore 2.10)."""
    _check(x, CSRTensor, "csr_mul")
    return x.values * y if not isinstance(y, Tensor) or y.shape == () else mul(x, y)


def csr_div(x: CSRTensor, y):
    """ops.csr_div: x / y, as csr_mul."""
    _check(x, CSRTensor, "csr_div")
    return x.values / y if not isinstance(y, Tensor) or y.shape == () else div(x, y)


def _dense(x) -> Tensor:
    return csr_to_dense(x) if isinstance(x, CSRTensor) else coo_to_dense(x)


def add(x, other):
    """sparse + dense is dense; COO + COO and CSR + CSR are sparse (the union of the patterns)."""
    if isinstance(x, SparseTensor) and isinstance(other, SparseTensor):
        if type(x) is not type(other) or x.shape != other.shape:
            raise TypeError(f"{type(x).__name__}{x.shape} + {type(other).__name__}{other.shape}: two sparse "
                            "tensors of one kind and one shape")
        if isinstance(x, CSRTensor) and isinstance(other, CSRTensor):
            return _csr_sum(x, other)
        if isinstance(x, COOTensor) and isinstance(other, COOTensor):
            return coo_add(x, other)
    if isinstance(x, SparseTensor):
        return _dense(x) + other
    return x + _dense(other)


def coo_add(x1: COOTensor, x2: COOTensor, thresh=None) -> COOTensor:
    """The union pattern (read from the indices' values), each value the sum of the two at its position;
    a sum (a position both hold) whose magnitude is below thresh (when given) is dropped, a value only one
    holds is kept however small, as MindSpore's coo_add (TensorFlow's SparseAdd)."""
    a, b, o = x1, x2, _ops()
    ia, ib = _pattern_of(a.indices), _pattern_of(b.indices)
    uniq, inverse = np.unique(np.concatenate([ia, ib]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    seg = Tensor(inverse.astype(np.int32))
    values = o.unsorted_segment_sum(o.concat([a.values, b.values.astype(a.values.dtype)], 0), seg, len(uniq))
    if thresh is not None:
        in_a, in_b = (np.isin(np.arange(len(uniq)), part) for part in (inverse[:len(ia)], inverse[len(ia):]))
        small = np.abs(_pattern_of(values)) < float(_pattern_of(thresh) if isinstance(thresh, Tensor) else thresh)
        keep = ~(in_a & in_b & small)
        if not keep.all():
            uniq = uniq[keep]
            values = o.gather(values, Tensor(np.flatnonzero(keep).astype(np.int32)), 0)
    return COOTensor(Tensor(uniq.astype(ia.dtype)), values, a.shape)


def csr_add(a: CSRTensor, b: CSRTensor, alpha, beta) -> CSRTensor:
    """alpha * a + beta * b (alpha, beta: Tensors of one element), as MindSpore's csr_add."""
    _check(a, CSRTensor, "csr_add")
    _check(b, CSRTensor, "csr_add")
    alpha = alpha.reshape(()) if isinstance(alpha, Tensor) else alpha
    beta = beta.reshape(()) if isinstance(beta, Tensor) else beta
    return _csr_sum(a.with_values(a.values * alpha), b.with_values(b.values * beta))


def _csr_sum(a: CSRTensor, b: CSRTensor) -> CSRTensor:
    return coo_to_csr(coo_add(csr_to_coo(a), csr_to_coo(b)))


# -- products and reductions ----------------------------------------------------------------------
def csr_mm(x: CSRTensor, dense) -> Tensor:
    """x [m, n] @ dense [n, k] (CSRTensor.mm): each value times its column's row of dense, summed per row."""
    _check(x, CSRTensor, "CSRTensor.mm")
    o = _ops()
    if len(dense.shape) != 2 or dense.shape[0] != x.shape[1]:
        raise ValueError(f"CSRTensor.mm: dense must be [{x.shape[1]}, k] for a CSRTensor of shape {x.shape}, got "
                         f"{list(dense.shape)}")
    terms = o.expand_dims(x.values, 1) * o.gather(dense, x.indices, 0)
    return o.unsorted_segment_sum(terms, _csr_rows(x), x.shape[0])


def csr_mv(csr_tensor: CSRTensor, dense) -> Tensor:
    """csr_tensor [m, n] @ dense [n, 1] -> [m, 1] (MindSpore's csr_mv)."""
    return csr_mm(csr_tensor, dense)


def csr_reduce_sum(csr_tensor: CSRTensor, axis: int) -> Tensor:
    """The sum of each row, as [m, 1] (MindSpore 2.10's csr_reduce_sum takes axis 1 or -1 only: a ValueError
    for 0, as there)."""
    _check(csr_tensor, CSRTensor, "csr_reduce_sum")
    o = _ops()
    axis = int(axis._host_copy()) if isinstance(axis, Tensor) else int(axis)
    if axis not in (1, -1):
        raise ValueError(f"csr_reduce_sum: axis must be 1 or -1, got {axis}")
    return o.expand_dims(o.unsorted_segment_sum(csr_tensor.values, _csr_rows(csr_tensor), csr_tensor.shape[0]), 1)


def coo_matmul(indices, values, shape, dense, adjoint_st: bool = False, adjoint_dt: bool = False) -> Tensor:
    """COO (indices [nnz, 2], values, shape) @ dense, either side transposed first (SparseTensorDenseMatmul).
    A complex dense side is conjugated too (adjoint_dt), the sparse side is not (adjoint_st): MindSpore 2.10's
    CPU kernel, checked in its venv."""
    o = _ops()
    shape = tuple(int(s) for s in (shape._host_copy() if isinstance(shape, Tensor) else shape))
    rows, cols = indices[:, 0], indices[:, 1]
    if adjoint_st:
        rows, cols, shape = cols, rows, (shape[1], shape[0])
    if adjoint_dt:
        dense = o.transpose(dense, (1, 0))
        dense = o.conj(dense) if dense.dtype in (_dt.complex64, _dt.complex128) else dense
    if len(dense.shape) != 2 or dense.shape[0] != shape[1]:
        raise ValueError(f"SparseTensorDenseMatmul: the sparse side is {list(shape)} and dense "
                         f"{list(dense.shape)}: inner sizes differ")
    terms = o.expand_dims(values, 1) * o.gather(dense, cols, 0)
    return o.unsorted_segment_sum(terms, rows, shape[0])


class SparseTensorDenseMatmul:
    """ops.SparseTensorDenseMatmul(adjoint_st=False, adjoint_dt=False)(indices, values, sparse_shape, dense)."""

    def __init__(self, adjoint_st: bool = False, adjoint_dt: bool = False):
        self.adjoint_st, self.adjoint_dt = bool(adjoint_st), bool(adjoint_dt)

    def __call__(self, indices, values, sparse_shape, dense):
        return coo_matmul(indices, values, sparse_shape, dense, self.adjoint_st, self.adjoint_dt)


def coo_concat(sp_input, concat_dim=0) -> COOTensor:
    """ops.coo_concat: COO tensors joined along concat_dim (each one's indices there shifted by the sizes
    before it), the entries in row-major order (MindSpore 2.10's SparseConcat)."""
    o = _ops()
    if isinstance(concat_dim, bool) or not isinstance(concat_dim, (int, np.integer)):
        raise TypeError(f"coo_concat: concat_dim must be an int, got {type(concat_dim).__name__}")
    if not isinstance(sp_input, (tuple, list)) or len(sp_input) < 2:
        raise ValueError("coo_concat: sp_input must be a tuple / list of at least 2 COOTensors")
    for x in sp_input:
        _check(x, COOTensor, "coo_concat")
    first = sp_input[0]
    rank = len(first.shape)
    if not -rank <= concat_dim < rank:
        raise IndexError(f"coo_concat: concat_dim {concat_dim} is out of range for rank {rank}")
    dim = concat_dim % rank
    for k, x in enumerate(sp_input):
        if len(x.shape) != rank or any(a != b for d, (a, b) in enumerate(zip(x.shape, first.shape)) if d != dim):
            raise RuntimeError(f"coo_concat: input {k} has shape {x.shape}; every input must match {first.shape} "
                               f"outside concat_dim {dim}")
        if x.values.dtype != first.values.dtype:
            raise TypeError(f"coo_concat: input {k}'s values are {x.values.dtype}, input 0's {first.values.dtype}")
    offset, parts = 0, []
    for x in sp_input:
        shift = np.zeros((1, rank), dtype=np.int64)
        shift[0, dim] = offset
        parts.append(x.indices + Tensor(shift.astype(_dt.dtype_to_nptype(x.indices.dtype))))
        offset += x.shape[dim]
    shape = tuple(offset if d == dim else n for d, n in enumerate(first.shape))
    indices = o.concat(parts, 0)
    values = o.concat([x.values for x in sp_input], 0)
    strides = Tensor(np.array([int(np.prod(shape[d + 1:])) for d in range(rank)], np.int64))
    order = o.argsort((o.cast(indices, _dt.int64) * strides).sum(1))
    return COOTensor(o.gather(indices, order, 0), o.gather(values, order, 0), shape)


def _row_softmax(values, rows, n_rows):
    o = _ops()
    top = o.gather(o.unsorted_segment_max(o.stop_gradient(values), rows, n_rows), rows, 0)
    e = o.exp(values - top)
    return e / o.gather(o.unsorted_segment_sum(e, rows, n_rows), rows, 0)


def csr_softmax(logits: CSRTensor, dtype=None) -> CSRTensor:
    """ops.csr_softmax: the softmax of each row's stored values (the pattern kept)."""
    _check(logits, CSRTensor, "csr_softmax")
    values = logits.values if dtype is None else _ops().cast(logits.values, dtype)
    return logits.with_values(_row_softmax(values, _csr_rows(logits), logits.shape[0]))


class SparseMatrixSoftmax:
    """ops.SparseMatrixSoftmax(dtype)(dense_shape, batch_pointers, row_pointers, col_indices, values): a 2-D CSR
    matrix's rowwise softmax, returned as (dense_shape, batch_pointers, row_pointers, col_indices, values)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, dense_shape, batch_pointers, row_pointers, col_indices, values):
        shape = tuple(int(v) for v in np.asarray(_pattern_of(dense_shape)).reshape(-1))
        if len(shape) != 2:
            raise ValueError(f"SparseMatrixSoftmax: a 2-D matrix only, got dense_shape {list(shape)}")
        x = CSRTensor(row_pointers, col_indices, values, shape)
        out = csr_softmax(x, self.dtype)
        return dense_shape, batch_pointers, row_pointers, col_indices, out.values


def sparse_segment_mean(x, indices, segment_ids) -> Tensor:
    """ops.sparse_segment_mean: out[s] is the mean of x[indices[k]] over the k with segment_ids[k] == s;
    segment_ids sorted, the output has segment_ids[-1] + 1 rows (read from the ids), an empty segment 0."""
    return _segment_mean(x, indices, segment_ids, None, "sparse_segment_mean")


class SparseSegmentMeanWithNumSegments:
    """sparse_ops.SparseSegmentMeanWithNumSegments()(x, indices, segment_ids, num_segments): sparse_segment_mean with
    num_segments rows (a scalar or [1] int Tensor; MindSpore 2.10's), the rows no id names 0."""

    def __call__(self, x, indices, segment_ids, num_segments):
        n = int(np.asarray(_pattern_of(num_segments)).reshape(-1)[0])
        return _segment_mean(x, indices, segment_ids, n, "SparseSegmentMeanWithNumSegments")


def _segment_mean(x, indices, segment_ids, n, where: str, root: bool = False) -> Tensor:
    """The segments' sums over their counts (root: the counts' square roots, SparseSegmentSqrtN's)."""
    o = _ops()
    ids = _pattern_of(segment_ids)
    if ids.ndim != 1 or (ids.size and (np.diff(ids) < 0).any()):
        raise ValueError(f"{where}: segment_ids must be a sorted 1-D Tensor")
    last = int(ids[-1]) + 1 if ids.size else 0
    if n is None:
        n = last
    elif n < last:
        raise ValueError(f"{where}: num_segments {n} must be above the largest segment id {last - 1}")
    counts = np.maximum(np.bincount(ids, minlength=n), 1).astype(_dt.dtype_to_nptype(x.dtype))
    counts = np.sqrt(counts) if root else counts
    total = o.unsorted_segment_sum(o.gather(x, indices, 0), segment_ids, n)
    return total / Tensor(counts.reshape((n,) + (1,) * (len(x.shape) - 1)))


def _shape_of(shape) -> tuple:
    return tuple(int(v) for v in np.asarray(_pattern_of(shape) if isinstance(shape, Tensor) else shape).reshape(-1))


class SparseAddmm:
    """SparseAddmm()(indices, values, sparse_shape, x2_dense, x3_dense, alpha, beta): alpha * (COO @ x2_dense)
    + beta * x3_dense."""

    def __call__(self, indices, values, sparse_shape, x2_dense, x3_dense, alpha, beta):
        product = coo_matmul(indices, values, _shape_of(sparse_shape), x2_dense)
        return alpha.reshape(()) * product + beta.reshape(()) * x3_dense


class SparseReshape:
    """SparseReshape()(indices, shape, new_shape) -> (new indices, new shape): each entry's row-major position
    kept (one -1 in new_shape is inferred)."""

    def __call__(self, indices, shape, new_shape):
        old, new = _shape_of(shape), list(_shape_of(new_shape))
        if new.count(-1) > 1:
            raise ValueError(f"SparseReshape: at most one -1 in new_shape, got {new}")
        if -1 in new:
            known = int(np.prod([d for d in new if d != -1]))
            new[new.index(-1)] = int(np.prod(old)) // max(known, 1)
        if int(np.prod(new)) != int(np.prod(old)):
            raise ValueError(f"SparseReshape: new_shape {new} does not hold the {int(np.prod(old))} elements of "
                             f"{list(old)}")
        o = _ops()
        strides = Tensor(np.array([int(np.prod(old[d + 1:])) for d in range(len(old))], np.int64))
        flat = (o.cast(indices, _dt.int64) * strides).sum(1)
        cols = []
        for d in range(len(new)):
            step = int(np.prod(new[d + 1:]))
            cols.append((flat // step) % new[d])
        return o.cast(o.stack(cols, 1), indices.dtype), Tensor(np.array(new, np.int64))


class SparseSparseMinimum:
    """SparseSparseMinimum()(x1_indices, x1_values, x1_shape, x2_indices, x2_values, x2_shape) -> (indices,
    values): over the union of the patterns (row-major), the minimum of the two values, a missing one 0."""

    def __call__(self, x1_indices, x1_values, x1_shape, x2_indices, x2_values, x2_shape):
        shape = _shape_of(x1_shape)
        if shape != _shape_of(x2_shape):
            raise ValueError(f"SparseSparseMinimum: shapes {list(shape)} and {list(_shape_of(x2_shape))} differ")
        o = _ops()
        union = np.unique(np.concatenate([_pattern_of(x1_indices), _pattern_of(x2_indices)]), axis=0)
        at = Tensor(union.astype(_dt.dtype_to_nptype(x1_indices.dtype)))
        a = o.gather_nd(coo_to_dense(COOTensor(x1_indices, x1_values, shape)), at)
        b = o.gather_nd(coo_to_dense(COOTensor(x2_indices, x2_values, shape)), at)
        return at, o.minimum(a, b)


class SparseTensorToCSRSparseMatrix:
    """SparseTensorToCSRSparseMatrix()(x_indices, x_values, x_dense_shape) -> (dense_shape, batch_pointers,
    row_pointers, col_indices, values): a row-major sorted COO matrix (or batch of them, rank 3) as CSR."""

    def __call__(self, x_indices, x_values, x_dense_shape):
        shape = _shape_of(x_dense_shape)
        if len(shape) not in (2, 3):
            raise ValueError(f"SparseTensorToCSRSparseMatrix: rank 2 or 3, got dense_shape {list(shape)}")
        o = _ops()
        idx = o.cast(x_indices, _dt.int64)
        batches, rows = (1,) + shape[:1] if len(shape) == 2 else shape[:2]
        batch = idx[:, 0] if len(shape) == 3 else o.zeros_like(idx[:, 0])
        row = idx[:, -2]
        ones = o.ones_like(batch)
        zero = o.zeros((1,), _dt.int64)
        batch_ptr = o.concat([zero, o.cumsum(o.unsorted_segment_sum(ones, batch, batches), axis=0)], 0)
        per_row = o.unsorted_segment_sum(ones, batch * rows + row, batches * rows).reshape(batches, rows)
        row_ptr = o.concat([o.zeros((batches, 1), _dt.int64), o.cumsum(per_row, axis=1)], 1).reshape(-1)
        it = x_indices.dtype
        return (x_dense_shape, o.cast(batch_ptr, it), o.cast(row_ptr, it), o.cast(idx[:, -1], it), x_values)


class SparseMatrixAdd:
    """SparseMatrixAdd()(a_shape, a_batch_pointers, a_indptr, a_indices, a_values, b_shape, ..., alpha, beta) ->
    (shape, batch_pointers, indptr, indices, values) of alpha * a + beta * b (2-D CSR matrices: one batch)."""

    def __call__(self, a_shape, a_batch, a_indptr, a_indices, a_values, b_shape, b_batch, b_indptr, b_indices,
                 b_values, alpha, beta):
        shape = _shape_of(a_shape)
        if len(shape) != 2 or shape != _shape_of(b_shape):
            raise ValueError(f"SparseMatrixAdd: two 2-D matrices of one shape, got {list(shape)} and "
                             f"{list(_shape_of(b_shape))}")
        c = csr_add(CSRTensor(a_indptr, a_indices, a_values, shape), CSRTensor(b_indptr, b_indices, b_values, shape),
                    alpha, beta)
        pointers = Tensor(np.array([0, c.values.shape[0]], dtype=_dt.dtype_to_nptype(c.indptr.dtype)))
        return a_shape, pointers, c.indptr, c.indices, c.values


class CSRGather:
    """_csr_ops.CSRGather()(indptr, indices, dense, sparse_shape): dense at the CSR pattern's positions (its
    first two axes), the values a CSRTensor of that pattern would hold."""

    def __call__(self, indptr, indices, dense, sparse_shape):
        shape = _shape_of(sparse_shape)
        pattern = CSRTensor.from_parts((indptr, indices, indices), shape)  # (values unused: the rows alone)
        return _ops().gather_nd(dense, _ops().stack([_csr_rows(pattern), indices], 1))


def _unary(name: str, cls) -> Callable[[Any], Any]:
    def f(x):
        _check(x, cls, f"{cls.__name__[:3].lower()}_{name}")
        return x.with_values(getattr(_ops(), name)(x.values))
    f.__name__ = f.__qualname__ = f"{cls.__name__[:3].lower()}_{name}"
    f.__doc__ = f"ops.{name} of the stored values (the pattern is kept)."
    return f


def _pair(name: str):
    return _unary(name, CSRTensor), _unary(name, COOTensor)


csr_abs, coo_abs = _pair("abs")
csr_acos, coo_acos = _pair("acos")
csr_acosh, coo_acosh = _pair("acosh")
csr_asin, coo_asin = _pair("asin")
csr_asinh, coo_asinh = _pair("asinh")
csr_atan, coo_atan = _pair("atan")
csr_atanh, coo_atanh = _pair("atanh")
csr_ceil, coo_ceil = _pair("ceil")
csr_cos, coo_cos = _pair("cos")
csr_cosh, coo_cosh = _pair("cosh")
csr_exp, coo_exp = _pair("exp")
csr_expm1, coo_expm1 = _pair("expm1")
csr_floor, coo_floor = _pair("floor")
csr_inv, coo_inv = _pair("inv")
csr_isfinite, coo_isfinite = _pair("isfinite")
csr_isinf, coo_isinf = _pair("isinf")
csr_isnan, coo_isnan = _pair("isnan")
csr_log, coo_log = _pair("log")
csr_log1p, coo_log1p = _pair("log1p")
csr_neg, coo_neg = _pair("neg")
csr_relu, coo_relu = _pair("relu")
csr_relu6, coo_relu6 = _pair("relu6")
csr_round, coo_round = _pair("round")
csr_sigmoid, coo_sigmoid = _pair("sigmoid")
csr_sin, coo_sin = _pair("sin")
csr_sinh, coo_sinh = _pair("sinh")
csr_softsign, coo_softsign = _pair("softsign")
csr_sqrt, coo_sqrt = _pair("sqrt")
csr_square, coo_square = _pair("square")
csr_tan, coo_tan = _pair("tan")
csr_tanh, coo_tanh = _pair("tanh")
_MAPS = [f"{kind}_{n}" for n in _UNARY for kind in ("csr", "coo")]

# MindSpore's ops names (its ops.csr_mm is sparse @ sparse, GPU only: CSRTensor.mm is the dense product here)
__all__ = ["csr_to_coo", "csr_to_dense", "coo_add", "csr_add", "csr_mul", "csr_div", "csr_mv", "csr_reduce_sum",
           "SparseTensorDenseMatmul", "coo_concat", "csr_softmax", "SparseMatrixSoftmax", "sparse_segment_mean",
           "SparseSegmentMeanWithNumSegments",
           "SparseAddmm", "SparseReshape", "SparseSparseMinimum", "SparseTensorToCSRSparseMatrix",
           "SparseMatrixAdd", *_MAPS]
