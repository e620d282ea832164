"""More MindSpore 2.10 functions and primitives from its documented examples, composed of existing ops:
clip_by_global_norm, margin_ranking_loss, dense, pdist (Pdist), inplace_add / inplace_sub / inplace_update
(InplaceAdd, InplaceSub, InplaceUpdateV2), IndexPut, SparseToDense, scalar_cast (ScalarCast),
tuple_to_array (TupleToArray)."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._calling_errors import failed_calling
from .._late import late
from .._tensor import Tensor
from . import _ms_names
from ._index_ms import index_added

__all__ = ["clip_by_global_norm", "margin_ranking_loss", "dense", "pdist", "Pdist", "inplace_add",
           "inplace_sub", "inplace_update", "InplaceAdd", "InplaceSub", "InplaceUpdateV2", "IndexPut", "SparseToDense",
           "scalar_cast", "ScalarCast", "tuple_to_array", "TupleToArray"]


def clip_by_global_norm(x, clip_norm=1.0, use_norm=None):
    """Each Tensor of x times clip_norm / max(global norm, clip_norm), the global norm that of all their elements
    (use_norm: a given one)."""
    ops = late.ops
    if not clip_norm > 0:
        raise ValueError(f"For 'clip_by_global_norm', 'clip_norm' must be positive, but got {clip_norm}.")
    xs = list(x)
    norm = use_norm if use_norm is not None else ops.sqrt(ops.addn([ops.sum(ops.square(t)) for t in xs]))
    scale = ops.div(clip_norm, ops.maximum(norm, ops.full_like(norm, clip_norm)))
    return tuple(ops.mul(t, ops.cast(scale, t.dtype)) for t in xs)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin), reduced."""
    ops = late.ops
    loss = ops.clamp(ops.add(ops.mul(ops.neg(target), ops.sub(input1, input2)), float(margin)), 0.0)
    if reduction == "none":
        return loss
    if reduction not in ("mean", "sum"):
        raise ValueError(f"For 'margin_ranking_loss', 'reduction' must be 'none', 'mean' or 'sum', got {reduction!r}.")
    return ops.mean(loss) if reduction == "mean" else ops.sum(loss)


def dense(input, weight, bias=None):  # noqa: A002 - MindSpore's names
    """input @ weight^T (+ bias), weight (out, in); a 1-D weight (in,) is a vector, giving input @ weight (MindSpore
    2.10: [[1, 2], [3, 4]] with [1, 10] gives [21, 43]), and a 1-D input gives (out,). mint's linear is this."""
    ops = late.ops
    _dense_checks(input, weight, bias)
    out = ops.matmul(input, ops.swapaxes(weight, -1, -2) if len(weight.shape) > 1 else weight)
    return out if bias is None else ops.add(out, bias)


def _dense_checks(x, w, b) -> None:
    """MindSpore 2.10's refusals of ops.dense, its classes and texts (PyNative, checked in its venv): a 3-D weight,
    a 2-D bias or a bias of another dtype were computed (broadcast / promoted) before."""
    if not all(isinstance(t, Tensor) for t in (x, w)) or not (b is None or isinstance(b, Tensor)):
        raise failed_calling("Dense", {}, {"input": x, "weight": w, "bias": b},
                             {"input": "Tensor", "weight": "Tensor", "bias": "Tensor, None"})
    if x._dtype != w._dtype:
        raise TypeError(f"For 'Dense', the type of 'x2' should be same as 'x1', but got 'x1' with type "
                        f"Tensor[{x.dtype}] and 'x2' with type Tensor[{w.dtype}].")
    if b is not None and b._dtype != x._dtype:
        raise TypeError(f"For Dense, all dtypes should be the same, but got 'input' with dtype: {x.dtype} and "
                        f"'bias' with dtype: {b.dtype}.")
    xs, ws = tuple(x.shape), tuple(w.shape)
    if len(ws) not in (1, 2):
        raise ValueError("The dim of w should be equal to 1 or 2.")
    if len(ws) == 1:  # (its text for a column mismatch too)
        if not xs or xs[-1] != ws[0]:
            raise ValueError("The dim of x should be at least 1 if the dim of w is 1.")
        if b is not None and b.shape:
            raise ValueError("The dim of b should be equal to 0 if the dim of w is 1.")
        return
    if not xs:
        raise ValueError("The dim of x should be at least 1 if the dim of w is 2.")
    if xs[-1] != ws[1]:
        raise ValueError(f"Dense shape error, got x_col: {xs[-1]}, w_row: {ws[1]}. In Dense x_col and w_row should "
                         f"be equal. if the dim of w is 2.")
    if b is not None and len(b.shape) > 1:
        raise ValueError("The dim of b should be equal to 0 or 1 if the dim of w is 2.")


def pdist(input, p=2.0):  # noqa: A002
    """The p-norm distances between each pair of rows i < j of an (N, M) float input, in order; MindSpore 2.10's
    checks and texts (p a non-negative float, a 2-D Float16 / 32 / 64 input). For 0 < p < 1 a coordinate (or
    a pair) differing by 0 adds 0 to the gradient, as MindSpore 2.10's PdistGrad gives (|d|^(p-1) is inf there:
    NaN through the plain composite)."""
    ops = late.ops
    _pdist_checks(input, p)
    n = input.shape[-2]
    i, j = np.triu_indices(n, 1)
    axis = len(input.shape) - 2
    a, b = ops.gather(input, Tensor(i.astype(np.int64)), axis), ops.gather(input, Tensor(j.astype(np.int64)), axis)
    d = ops.sub(a, b)
    if not 0.0 < p < 1.0:
        return ops.norm(d, p, -1)
    mag = ops.abs(d)
    zero = ops.equal(mag, 0.0)  # (|d|^p over |d| made 1 there, then 0: no inf * 0 in the gradient)
    powered = ops.select(zero, ops.zeros_like(mag), ops.pow(ops.select(zero, ops.ones_like(mag), mag), p))
    total = ops.sum(powered, -1)
    none = ops.equal(total, 0.0)
    root = ops.pow(ops.select(none, ops.ones_like(total), total), 1.0 / p)
    return ops.select(none, ops.zeros_like(total), root)


def _pdist_checks(x, p) -> None:
    if not isinstance(p, float):
        raise TypeError(f"For 'Pdist', the type of 'p' should be 'float', but got type '{type(p).__name__}'.")
    if p < 0:
        raise ValueError(f"Pdist p must be a non-negative value, but got `{p}`.")
    if x.dtype not in (_dt.float16, _dt.float32, _dt.float64):
        raise TypeError("For primitive[Pdist], the input argument[x] must be a type of {Tensor[Float16], "
                        f"Tensor[Float32], Tensor[Float64]}}, but got Tensor[{x.dtype}].")
    if len(x.shape) != 2:
        raise ValueError(f"For primitive[Pdist], the x dim must be equal to 2, but got {len(x.shape)}.")
    if 0 in x.shape[1:]:  # (MindSpore 2.10 logs "[input] got empty tensor" and returns unset memory)
        raise ValueError("For 'Pdist', [input] got empty tensor, which is not allowed")


class Pdist:
    """ops.Pdist(p=2.0)(x)."""

    def __init__(self, p=2.0):
        self.p = p

    def __call__(self, x):
        return pdist(x, self.p)


def _rows(indices) -> Tensor:
    rows = [indices] if isinstance(indices, (int, np.integer)) else list(indices)
    return Tensor(np.asarray(rows, np.int64))


def inplace_add(x, v, indices):
    """x with v's rows added to its rows `indices` (an int or a tuple)."""
    return index_added(x, _rows(indices), late.ops.reshape(v, (-1,) + tuple(x.shape[1:])), 0)


def inplace_sub(x, v, indices):
    """x with v's rows subtracted from its rows `indices`."""
    return inplace_add(x, late.ops.neg(v), indices)


def inplace_update(x, v, indices):
    """x with its rows `indices` replaced by v's rows."""
    rows = late.ops.reshape(_rows(indices), (-1, 1))
    return late.ops.tensor_scatter_update(x, rows, late.ops.reshape(v, (-1,) + tuple(x.shape[1:])))


class InplaceAdd:
    """ops.InplaceAdd(indices)(x, input_v)."""

    def __init__(self, indices):
        self.indices = indices

    def __call__(self, x, input_v):
        return inplace_add(x, input_v, self.indices)


class InplaceSub(InplaceAdd):
    """ops.InplaceSub(indices)(x, input_v)."""

    def __call__(self, x, input_v):
        return inplace_sub(x, input_v, self.indices)


class InplaceUpdateV2:
    """ops.InplaceUpdateV2()(x, indices, v)."""

    def __call__(self, x, indices, v):
        if isinstance(indices, Tensor):
            indices = indices._host_copy().reshape(-1).tolist()
        return inplace_update(x, v, indices)


class IndexPut:
    """ops.IndexPut(accumulate=0)(x1, x2, indices): Tensor.index_put(indices, x2, accumulate) of x1."""

    def __init__(self, accumulate=0):
        self.accumulate = bool(accumulate)

    def __call__(self, x1, x2, indices):
        return x1.index_put(list(indices), x2, self.accumulate)


class SparseToDense:
    """ops.SparseToDense()(indices, values, sparse_shape): zeros of sparse_shape with values at indices. A repeated
    index takes its last value, as MindSpore 2.10's kernel writes them (checked in its venv: [[0, 1], [0, 1]] with
    [1, 2] gives 2; COOTensor.to_dense sums them instead)."""

    def __call__(self, indices, values, sparse_shape):
        return late.ops.scatter_nd(indices, _last_of_repeats(indices, values), tuple(sparse_shape))


def _last_of_repeats(indices, values):
    """values with every entry whose index comes again later set to zero (so a summing scatter writes the last)."""
    if not isinstance(indices, Tensor) or not isinstance(values, Tensor) or indices.ndim != 2:
        return values  # scatter_nd names what is wrong
    known = indices._value()
    if known is not None:  # on the host: no [N, N] comparison
        rows = np.asarray(known).reshape(len(known), -1)
        _, first_from_end = np.unique(rows[::-1], axis=0, return_index=True)
        keep = np.zeros(len(rows), bool)
        keep[len(rows) - 1 - first_from_end] = True
        if keep.all():
            return values
        mask = Tensor(keep)
    else:  # a traced index: entry i is dropped where an entry j > i has the same index
        same = late.ops.equal(late.ops.expand_dims(indices, 1), late.ops.expand_dims(indices, 0)).all(axis=2)
        later = Tensor(np.triu(np.ones((indices.shape[0],) * 2, bool), 1))
        mask = late.ops.logical_not(late.ops.logical_and(same, later).any(axis=1))
    mask = mask.reshape(mask.shape + (1,) * (values.ndim - 1))
    return late.ops.select(late.ops.broadcast_to(mask, values.shape), values, late.ops.zeros_like(values))


def scalar_cast(input_x, input_y):
    """ops.scalar_cast: F.scalar_cast's rule (int64, float64 or bool; _ms_names) under the public names."""
    return _ms_names.scalar_cast(input_x, input_y)


class ScalarCast:
    """ops.ScalarCast()(input_x, input_y)."""

    def __call__(self, input_x, input_y):
        return scalar_cast(input_x, input_y)


def tuple_to_array(input_x):
    """A tuple of numbers as a 1-D Tensor (int64 for ints, float32 for floats)."""
    return Tensor(list(input_x))


class TupleToArray:
    """ops.TupleToArray()(input_x)."""

    def __call__(self, input_x):
        return tuple_to_array(input_x)
