"""MindSpore 2.10 functions that build or rearrange Tensors, from its documented examples, composed of existing
ops (differentiable through the engine where their inputs are float): block_diag, cartesian_prod, combinations,
diag_embed, dot, repeat_elements, sequence_mask, bucketize, tril_indices / triu_indices, and the primitives
Bucketize, TrilIndices / TriuIndices, InvertPermutation."""
from __future__ import annotations

import itertools

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor

__all__ = ["block_diag", "cartesian_prod", "combinations", "diag_embed", "dot", "repeat_elements", "sequence_mask",
           "bucketize", "tril_indices", "triu_indices", "Bucketize", "TrilIndices", "TriuIndices",
           "InvertPermutation"]


def block_diag(*inputs):
    """The inputs (0-D, 1-D as a row, or 2-D) along the diagonal of a matrix of zeros."""
    ops = late.ops
    if not inputs:
        raise ValueError("For 'block_diag', at least one Tensor is needed.")
    dtype = inputs[0]._dtype
    for t in inputs[1:]:
        dtype = _dt.promote(dtype, t._dtype)
    blocks = []
    for t in inputs:
        if len(t.shape) > 2:
            raise ValueError(f"For 'block_diag', each input must be 0-D, 1-D or 2-D, but got shape {tuple(t.shape)}.")
        shape = {0: (1, 1), 1: (1,) + tuple(t.shape), 2: tuple(t.shape)}[len(t.shape)]
        blocks.append(ops.reshape(ops.cast(t, dtype), shape))
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        parts = [ops.zeros((r, left), dtype)] if left else []
        parts.append(b)
        if width - left - c:
            parts.append(ops.zeros((r, width - left - c), dtype))
        rows.append(ops.concat(parts, 1) if len(parts) > 1 else b)
        left += c
    return ops.concat(rows, 0)


def cartesian_prod(*inputs):
    """Every combination of one element of each 1-D input, as the rows of a [prod(n), k] Tensor (one input:
    itself)."""
    ops = late.ops
    if len(inputs) == 1:
        return inputs[0]
    sizes = tuple(int(t.shape[0]) for t in inputs)
    columns = []
    for k, t in enumerate(inputs):
        shape = [1] * len(sizes)
        shape[k] = sizes[k]
        columns.append(ops.reshape(ops.broadcast_to(ops.reshape(t, tuple(shape)), sizes), (-1,)))
    return ops.stack(columns, 1)


def combinations(input, r=2, with_replacement=False):  # noqa: A002 - MindSpore's name
    """The r-element combinations of a 1-D input's elements (in itertools' order), as rows."""
    if len(input.shape) != 1:
        raise ValueError(f"For 'combinations', the input must be 1-D, but got shape {tuple(input.shape)}.")
    make = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(make(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    if index.size == 0:
        return late.ops.zeros((0, r), input.dtype) if r else late.ops.zeros((0,), input.dtype)
    return late.ops.gather(input, Tensor(index), 0)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):  # noqa: A002
    """Each vector along input's last axis as the offset-th diagonal of the matrices on the new axes dim1 and
    dim2 of the output (whose rank is one more)."""
    ops = late.ops
    n, rank = int(input.shape[-1]), len(input.shape) + 1
    d1, d2 = dim1 % rank, dim2 % rank
    if d1 == d2:
        raise ValueError(f"For 'diag_embed', dim1 and dim2 must differ, but got {dim1} and {dim2}.")
    m = n + abs(offset)
    picks = np.zeros((n, m, m), np.dtype(input._dtype) if input._dtype != "bool" else np.bool_)
    i = np.arange(n)
    picks[i, i + max(-offset, 0), i + max(offset, 0)] = 1
    spread = ops.reshape(input, tuple(input.shape) + (1, 1))
    square = ops.sum(ops.mul(spread, Tensor(picks)), -3)  # [..., m, m]: rows then columns
    batch = iter(range(rank - 2))
    perm = [rank - 2 if p == d1 else rank - 1 if p == d2 else next(batch) for p in range(rank)]
    return ops.transpose(square, tuple(perm))


def dot(input, other):  # noqa: A002
    """NumPy's dot: the sum over input's last axis and other's second-to-last; shape input.shape[:-1] +
    other.shape[:-2] + other.shape[-1:]. MindSpore 2.10 refuses ranks below 2 and dtypes other than float16 /
    float32 (a 1-D input was answered here)."""
    if len(input.shape) < 2 or len(other.shape) < 2:
        raise ValueError(f"For 'dot', the inputs x1, x2 should have 'dimension >= 2',but got 'len(x1_shape)': "
                         f"({len(input.shape)}) and 'len(x2_shape)': ({len(other.shape)}).")
    for name, t in (("x1", input), ("x2", other)):
        if str(t.dtype) not in ("Float16", "Float32"):
            raise TypeError(f"The '{name}' doesn't support '{t.dtype}' and expect to receive [mindspore.float16, "
                            "mindspore.float32].")
    if input.shape[-1] != other.shape[-2]:
        raise ValueError(f"For 'dot', input's last axis must match other's second-to-last, but got shapes "
                         f"{tuple(input.shape)} and {tuple(other.shape)}.")
    return late.ops.tensor_dot(input, other, ((len(input.shape) - 1,), (len(other.shape) - 2,)))


def repeat_elements(x, rep, axis=0):
    """Each element rep times in a row along axis."""
    return late.ops.repeat_interleave(x, rep, axis)


def sequence_mask(lengths, maxlen=None):
    """mask[..., j] = j < lengths[...] for j < maxlen (default: the largest length)."""
    ops = late.ops
    if maxlen is None:
        maxlen = int(lengths._host_copy().max()) if lengths.size else 0
    steps = Tensor(np.arange(int(maxlen), dtype=np.dtype(lengths._dtype)))
    return ops.less(steps, ops.expand_dims(lengths, -1))


def bucketize(input, boundaries, *, right=False):  # noqa: A002
    """The bucket of each element among the sorted boundaries (int32): with right=False the first i with
    x <= boundaries[i], with right=True the first i with x < boundaries[i]."""
    edges = Tensor(np.asarray(boundaries, np.float64 if input._dtype == "float64" else np.float32))
    found = late.ops.searchsorted(edges, late.ops.cast(input, edges._dtype), right=right)
    return late.ops.cast(found, "int32")


def _triangle_indices(lower: bool, row, col, offset, dtype) -> Tensor:
    rows, cols = (np.tril_indices if lower else np.triu_indices)(int(row), int(offset), int(col))
    return Tensor(np.stack([rows, cols]).astype(_dt.to_name(dtype)))


def tril_indices(row, col, offset=0, *, dtype=_dt.int64):
    """The [2, N] (row, column) indices of a row x col matrix's lower triangle from the offset-th diagonal."""
    return _triangle_indices(True, row, col, offset, dtype)


def triu_indices(row, col, offset=0, *, dtype=_dt.int64):
    """The [2, N] (row, column) indices of a row x col matrix's upper triangle from the offset-th diagonal."""
    return _triangle_indices(False, row, col, offset, dtype)


class Bucketize:
    """ops.Bucketize(boundaries)(input): the first i with x < boundaries[i] (bucketize's right=True)."""

    def __init__(self, boundaries):
        self.boundaries = [float(b) for b in boundaries]

    def __call__(self, input):  # noqa: A002
        return bucketize(input, self.boundaries, right=True)


class TrilIndices:
    """ops.TrilIndices(row, col, offset=0, dtype=int32)()."""

    def __init__(self, row, col, offset=0, dtype=_dt.int32):
        self.row, self.col, self.offset, self.dtype = row, col, offset, dtype

    def __call__(self):
        return tril_indices(self.row, self.col, self.offset, dtype=self.dtype)


class TriuIndices(TrilIndices):
    """ops.TriuIndices(row, col, offset=0, dtype=int32)()."""

    def __call__(self):
        return triu_indices(self.row, self.col, self.offset, dtype=self.dtype)


class InvertPermutation:
    """ops.InvertPermutation()(perm): the tuple q with q[perm[i]] = i."""

    def __call__(self, perm):
        perm = tuple(int(p) for p in perm)
        if sorted(perm) != list(range(len(perm))):
            raise ValueError(f"For 'InvertPermutation', the input must be a permutation of 0..{len(perm) - 1}, but "
                             f"got {perm}.")
        out = [0] * len(perm)
        for i, p in enumerate(perm):
            out[p] = i
        return tuple(out)
