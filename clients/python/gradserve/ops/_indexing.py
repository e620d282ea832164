"""Positions and selections: nonzero / argwhere (the positions of the non-zero elements), gather_d
(gather_elements), diagflat, masked_scatter / MaskedScatter (and Tensor.masked_scatter), composed of existing ops
(derivatives are theirs). Values checked in MindSpore's venv."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from ._extra import P

__all__ = ["nonzero", "argwhere", "gather_d", "diagflat", "MaskedScatter"]


def nonzero(input, *, as_tuple=False):  # noqa: A002
    """The positions of input's non-zero elements, int64 [count, ndim] in row-major order (as_tuple: one 1-D
    Tensor per axis). The count sets the shape: a traced input's value in this call is read (as masked_select
    does), and the positions carry no gradient."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'nonzero', 'input' must be a Tensor, but got {type(input).__name__}")
    if input.ndim == 0:  # MindSpore 2.10's CPU kernel refuses it at launch (its log line names the cause)
        raise RuntimeError("Simple infer info size must greater than 1, but got 0" if as_tuple else
                           "Launch kernel failed, name: NonZero\n(For 'NonZero', the dimension of 'x' must be greater "
                           "than or equal to 1, but got 0.)")
    known = input._value()
    if known is None:
        raise TypeError("nonzero: its output length is the number of non-zero values, which a traced graph (an "
                        "exported graph, a loop body) does not know: pass a concrete Tensor")
    pos = np.argwhere(np.asarray(known) != 0).astype(np.int64).reshape(-1, input.ndim)
    if as_tuple:
        return tuple(Tensor(np.ascontiguousarray(pos[:, a])) for a in range(input.ndim))
    return Tensor(pos)


def argwhere(input):  # noqa: A002
    """ops.argwhere: nonzero's [count, ndim] positions."""
    return nonzero(input)


def gather_d(x, dim, index):
    """ops.gather_d(x, dim, index) = gather_elements: out[i][j] = x[index[i][j]][j] (dim 0), ..."""
    return late.ops.gather_elements(x, int(dim), index)


def diagflat(input, offset=0):  # noqa: A002
    """input flattened, on the offset-th diagonal of a square matrix (zeros elsewhere, input's dtype)."""
    o, k = late.ops, int(offset)
    v = o.reshape(input, (-1,))
    n = v.shape[0]
    size = n + abs(k)
    where = np.full(size * size, n, np.int64)  # position n of the padded v is a zero
    i = np.arange(n)
    where[(i + max(-k, 0)) * size + i + max(k, 0)] = i
    padded = o.concat([v, o.zeros((1,), v.dtype)], 0)
    return o.reshape(o.gather(padded, Tensor(where), 0), (size, size))


def masked_scatter(input, mask, source):  # noqa: A002 - MindSpore's name
    """x.masked_scatter(mask, source): the positions where mask (broadcast to x's shape) is True take source's
    elements in row-major order, one after another; the rest keep x. The gradient reaches x where mask is
    False and source's first count(mask) elements (a gather of source's flat elements)."""
    if not isinstance(mask, Tensor) or mask.dtype not in ("bool", "uint8"):
        raise TypeError(f"For MaskedScatter, mask should be a bool Tensor, got "
                        f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}")
    if source.dtype != input.dtype:
        raise TypeError(f"For MaskedScatter, source's dtype {source.dtype} must be input's {input.dtype}")
    m = P.broadcast_to(P.cast(mask, "bool"), tuple(input.shape))
    flat_m = P.reshape(m, (-1,))
    if flat_m._data is not None and int(np.count_nonzero(flat_m._data)) > int(source.size):
        raise ValueError("For 'MaskedScatter', number of elements of updates < number of ones in mask.")
    # the k-th True position takes source's k-th element: its index is the running count of Trues, less one
    pos = P.sub(P.cumsum(P.cast(flat_m, "int32"), axis=0), 1)
    pos = P.clip(pos, Tensor(np.int32(0)), Tensor(np.int32(max(int(source.size) - 1, 0))))
    taken = P.gather(P.reshape(source, (-1,)), pos, 0)
    return P.reshape(P.select(flat_m, taken, P.reshape(input, (-1,))), tuple(input.shape))


class MaskedScatter:
    """ops.MaskedScatter()(x, mask, updates): masked_scatter."""

    def __call__(self, input, mask, source):  # noqa: A002 - MindSpore's names
        return masked_scatter(input, mask, source)


setattr(Tensor, "masked_scatter", masked_scatter)
