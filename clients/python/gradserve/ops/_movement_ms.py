"""MindSpore's shape and selection functions built from the engine's exact ones (split, gather,
take_along_axis, where, transpose, concat): every element is moved or selected, never multiplied by a
mask, so infinities and NaNs stay where they are and gradients route to the selected elements only.

unstack / unbind / Unstack, diagonal, trace, diag, tril, triu, movedim / moveaxis, swapaxes, permute,
unsqueeze, narrow, chunk, roll, index_select, gather_elements / GatherD, masked_fill, hstack / vstack,
ReverseV2 (flip), repeat_interleave.
"""
from __future__ import annotations

import numpy as np

from .. import _views, dtype as _dt
from .._calling_errors import failed_calling, primitive_type
from .._tensor import Tensor
from .._trace import apply, current
from ._axis_range import DIM_OUT_OF_RANGE, checked_axis
from ._primitives import Primitive, _has_bool, _refuse_bools, _compiled, _refuse_bool, cast, concat, expand_dims, gather, reshape, select, squeeze, transpose

__all__ = ["row_stack", "unstack", "unbind", "Unstack", "diagonal", "trace", "diag", "Diag", "tril", "triu", "movedim",
           "moveaxis", "swapaxes", "permute", "unsqueeze", "narrow", "chunk", "roll", "index_select", "gather_elements",
           "GatherD", "masked_fill", "hstack", "vstack", "ReverseV2", "flip", "repeat_interleave"]

from ._tensor_sig import flip  # noqa: E402  ops.flip(input, dims): MindSpore's form, Tensor.flip's (the engine's takes axis=)


def _axis(axis: int, ndim: int, name: str) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for a tensor of rank {ndim}")
    return axis % ndim


def unstack(input_x, axis: int = 0):  # noqa: A002
    """The slices of input_x along axis, that axis removed."""
    _refuse_bool(axis, "For 'Unstack', the type of 'axis' should be 'int', but got type 'bool'.")  # (MindSpore 2.10's)
    ax = _axis(axis, input_x.ndim, "unstack")
    n = input_x.shape[ax]
    parts = apply("split", [input_x], {"sections": int(n), "axis": ax}) if n > 1 else [input_x]
    return tuple(squeeze(p, ax) for p in parts)


def unbind(input, dim: int = 0):  # noqa: A002
    return unstack(input, dim)


class Unstack(Primitive):
    """ops.Unstack(axis=0, num=None)(x)."""

    op = "split"

    def __init__(self, axis: int = 0, num=None):
        self.attrs, self.axis = {}, int(axis)

    def __call__(self, x):
        return unstack(x, self.axis)


def _diag_index(n: int, m: int, offset: int) -> np.ndarray:
    rows = np.arange(max(0, -offset), min(n, m - offset))
    return (rows * m + rows + offset).astype(np.int64)


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):  # noqa: A002
    """The diagonal `offset` of the (dim1, dim2) planes, as a last axis (NumPy's / MindSpore's)."""
    args = {"offset": offset, "dim1": dim1, "dim2": dim2}
    ints = all(isinstance(v, (int, np.integer)) and not _has_bool(v) for v in args.values())
    if not isinstance(input, Tensor) or not ints:  # (MindSpore 2.10's Diagonal takes a Tensor and ints only)
        raise failed_calling("Diagonal", args, {"input": input}, {"input": "Tensor"}, dict.fromkeys(args, "int"))
    d1, d2 = (checked_axis(d, input.ndim, ValueError, DIM_OUT_OF_RANGE) for d in (dim1, dim2))
    if d1 == d2:  # MindSpore 2.10's text
        raise ValueError("For 'Diagonal', dim1 and dim2 cannot be identical, but got : "
                         f"dim1 ={dim1} and dim2 = {dim2}.")
    rest = [i for i in range(input.ndim) if i not in (d1, d2)]
    x = transpose(input, rest + [d1, d2])
    n, m = input.shape[d1], input.shape[d2]
    flat = reshape(x, tuple(input.shape[i] for i in rest) + (n * m,))
    out = gather(flat, Tensor(_diag_index(n, m, int(offset))), len(rest))
    if current() is None:  # PyNative: a view of input, as MindSpore 2.10's (a write through it reaches input)
        _views.link(out, input, _views.diagonal(int(offset), d1, d2))
    return out


def trace(input):  # noqa: A002
    """The sum of a matrix's main diagonal."""
    if input.ndim != 2:
        raise ValueError(f"trace: expects a matrix, got shape {list(input.shape)}")
    return apply("sum", [diagonal(input)], {"axis": None, "keepdims": False})[0]


def diag(input):  # noqa: A002
    """x of shape s placed on the diagonal of a tensor of shape s + s, zeros elsewhere (MindSpore's Diag: a vector's
    square matrix, and out[i..., i...] = x[i...] for any rank >= 1)."""
    if input.ndim < 1:
        raise ValueError("For primitive[Diag], the input rank must be greater than or equal to 1, but got "
                         f"{input.ndim}.")
    n = int(np.prod(input.shape))
    flat = reshape(input, (n,)) if input.ndim != 1 else input
    padded = concat([flat, Tensor(np.zeros((1,), np.dtype(input._dtype)))], 0)
    k = np.arange(n * n)
    idx = np.where(k % (n + 1) == 0, k // (n + 1), n).astype(np.int64)
    return reshape(gather(padded, Tensor(idx), 0), tuple(input.shape) * 2)


class Diag(Primitive):
    """ops.Diag()(x): ops.diag's primitive."""

    op = "gather"

    def __call__(self, input_x):
        return diag(input_x)


def _band(x, keep: np.ndarray):
    zero = Tensor(np.zeros((), np.dtype(x._dtype)))
    return select(Tensor(keep), x, zero)


def _whole(v) -> bool:
    """An int (or a Tensor) diagonal, as MindSpore 2.10's Triu / Tril take: a bool or a float is refused."""
    return isinstance(v, Tensor) or (isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)))


def tril(input, diagonal: int = 0):  # noqa: A002
    if not _whole(diagonal):  # (MindSpore 2.10's texts, both modes)
        raise TypeError(f"For 'Tril', the type of 'diagonal' should be 'int', but got type '{primitive_type(diagonal)}'.")
    if input.ndim < 2:
        raise ValueError(f"For primitive[Tril], the x's rank must be greater than or equal to 2, but got {input.ndim}.")
    n, m = input.shape[-2:]
    return _band(input, np.tril(np.ones((n, m), bool), int(diagonal)))


def triu(input, diagonal: int = 0):  # noqa: A002
    if not _whole(diagonal):
        raise failed_calling("Triu", {"diagonal": diagonal}, {"input": input}, {"input": "Tensor"},
                             {"diagonal": "Tensor, int"})
    if input.ndim < 2:
        raise ValueError(f"For primitive[Triu], the rank of input must be greater than or equal to 2, but got {input.ndim}.")
    n, m = input.shape[-2:]
    return _band(input, np.triu(np.ones((n, m), bool), int(diagonal)))


def movedim(x, source, destination):
    src = [_axis(a, x.ndim, "movedim") for a in ([source] if isinstance(source, int) else source)]
    dst = [_axis(a, x.ndim, "movedim") for a in ([destination] if isinstance(destination, int) else destination)]
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


moveaxis = movedim


def swapaxes(input, axis0: int, axis1: int):  # noqa: A002
    perm = list(range(input.ndim))
    for ax in (axis0, axis1):  # MindSpore 2.10's text and class (Tensor.adjoint / mT of a 1-d Tensor end here too)
        if isinstance(ax, int) and not -input.ndim <= ax < input.ndim:
            raise ValueError(f"The 'axis' must be in the range of [-{input.ndim}, {input.ndim}), but got {ax}.")
    a, b = _axis(axis0, input.ndim, "swapaxes"), _axis(axis1, input.ndim, "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(input, perm)


def permute(input, axis):  # noqa: A002
    return transpose(input, tuple(axis))  # (a tuple: MindSpore's Transpose text names "Tuple<...>")


def unsqueeze(input, dim: int):  # noqa: A002
    return expand_dims(input, dim)


def _slice(x, ax: int, start: int, stop: int):
    return x[(slice(None),) * ax + (slice(start, stop),)]


def narrow(input, axis: int, start: int, length: int):  # noqa: A002
    _refuse_bool(length, "The input value must be 'int',  but got 'bool'.")  # (MindSpore 2.10 reads a bool axis as int)
    _refuse_bool(axis if _compiled() else None, "list_setitem evaluator index should be an int64 number, but got a Bool "
                 "number.")  # (eager, not compiled)
    ax = _axis(axis, input.ndim, "narrow")
    if not 0 <= start <= start + length <= input.shape[ax]:
        raise ValueError(f"narrow: [{start}, {start + length}) is outside axis {ax} of size {input.shape[ax]}")
    return _slice(input, ax, start, start + length)


def chunk(input, chunks: int, axis: int = 0):  # noqa: A002
    """ceil(n / chunks)-sized pieces along axis (the last one smaller), as MindSpore's / PyTorch's; an empty
    axis is one piece, input itself (MindSpore 2.10's ops.chunk; mint.chunk makes `chunks` of them)."""
    if _has_bool(axis) or _has_bool(chunks):
        raise failed_calling("Split", {"axis": axis, "output_num": chunks}, {"input_x": input}, {"input_x": "Tensor"},
                             {"axis": "int", "output_num": "int"})
    ax = _axis(axis, input.ndim, "chunk")
    n = input.shape[ax]
    if n == 0:
        return (input,)
    size = -(-n // int(chunks))
    return tuple(_slice(input, ax, s, min(s + size, n)) for s in range(0, n, size))


def roll(input, shifts, dims=None):  # noqa: A002
    if _has_bool(dims):
        _refuse_bools(dims, "Roll", f"Roll(shifts={primitive_type(shifts)}, dims={{t}})(input=Tensor)",
                      "Roll(shifts=<list of int, int, tuple of int>, dims=<list of int, int, tuple of int>)(input=<Tensor>)")
    if dims is None:
        return reshape(roll(reshape(input, (-1,)), shifts, 0), input.shape)
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    dims = [dims] if isinstance(dims, int) else list(dims)
    x = input
    for s, d in zip(shifts, dims):
        ax = _axis(d, x.ndim, "roll")
        n = x.shape[ax]
        s %= n
        if s:
            x = concat([_slice(x, ax, n - s, n), _slice(x, ax, 0, n - s)], ax)
    return x


def _repeats(repeats, n: int) -> np.ndarray:
    """repeats (an int, a list / tuple, a 0-d or 1-d int Tensor) as n counts >= 0; they fix the output's shape."""
    if isinstance(repeats, Tensor):
        if not repeats._dtype.startswith(("int", "uint")):
            raise TypeError(f"For 'repeat_interleave', 'repeats' must be an int Tensor, got {repeats.dtype}")
        repeats = repeats._concrete("repeat_interleave's repeats (they fix the output's shape)")
    elif isinstance(repeats, bool) or not isinstance(repeats, (int, list, tuple, np.integer)):
        raise TypeError(f"For 'repeat_interleave', 'repeats' must be an int, a list of ints or a Tensor, "
                        f"got {type(repeats).__name__}")
    r = np.asarray(repeats, np.int64)
    if r.ndim > 1 or (r.ndim == 1 and r.size not in (1, n)):
        raise ValueError(f"For 'repeat_interleave', 'repeats' must be one count or {n} counts (the axis' length), "
                         f"got shape {list(r.shape)}")
    if (r < 0).any():
        raise ValueError(f"For 'repeat_interleave', every repeat must be >= 0, got {r.tolist()}")
    return np.broadcast_to(r.reshape(-1), (n,))


def repeat_interleave(input, repeats, axis=None, *, dim=None, output_size=None):  # noqa: A002
    """Each slice along axis repeated repeats[i] times in place (axis None: over the flattened input); a gather,
    so the gradient sums the copies back (torch.repeat_interleave's semantics)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'repeat_interleave', 'input' must be a Tensor, got {type(input).__name__}")
    axis = dim if axis is None else axis
    _refuse_bool(axis, "For 'repeat_elements', the type of 'axis' must be 'int', but got 'bool'.")  # (MindSpore 2.10's)
    x = reshape(input, (-1,)) if axis is None else input
    ax = 0 if axis is None else _axis(int(axis), max(x.ndim, 1), "repeat_interleave")
    n = int(x.shape[ax]) if x.ndim else 1
    idx = np.repeat(np.arange(n, dtype=np.int64), _repeats(repeats, n))
    if output_size is not None and int(output_size) != idx.size:
        raise ValueError(f"For 'repeat_interleave', 'output_size' is {output_size} but the repeats give {idx.size}")
    return gather(x if x.ndim else reshape(x, (1,)), Tensor(idx), ax)


def index_select(input, axis: int, index):  # noqa: A002
    """A bool axis reads as an int (MindSpore 2.10: ops.index_select(x, True, i) is axis 1; mint's refuses it)."""
    return gather(input, index, int(axis) if isinstance(axis, bool) else axis)


def gather_elements(input, dim: int, index):  # noqa: A002
    """out[i][j] = input[index[i][j]][j] for dim 0 (take_along_axis). index may be shorter than input on the other
    axes (MindSpore 2.10, torch.gather: gather_d(x[3, 4], 1, index[2, 2]) reads x's first two rows): input is cut to
    it there first. A 0-d input reads as one element on axis 0 or -1 (MindSpore 2.10: gather_elements(5.0, 0, 0) is
    5.0, an index [0] gives [5.0])."""
    _refuse_bools(dim, "GatherD", "GatherD()(x=Tensor, dim={t}, index=Tensor)",
                  "GatherD()(x=<Tensor>, dim=<Tensor, int>, index=<Tensor>)")
    if input.ndim == 0 and dim in (0, -1):
        index_shape = tuple(index.shape) if isinstance(index, Tensor) else ()
        flat = gather_elements(reshape(input, (1,)), 0, reshape(index, (1,)) if not index_shape else index)
        return flat if index_shape else reshape(flat, ())
    axis = _axis(dim, input.ndim, "gather_elements")
    if isinstance(index, Tensor) and index.ndim == input.ndim:
        cut = tuple(slice(None) if a == axis or n < 0 or m < 0 or n >= m else slice(0, n)
                    for a, (n, m) in enumerate(zip(index.shape, input.shape)))
        if any(c.stop is not None for c in cut):
            input = input[cut]  # noqa: A001
    return apply("take_along_axis", [input, index], {"axis": axis})[0]


class GatherD(Primitive):
    """ops.GatherD()(x, dim, index)."""

    op = "take_along_axis"

    def __call__(self, x, dim, index):
        return gather_elements(x, dim, index)


def _kind(dtype: str) -> str:
    return "float" if dtype in _dt.FLOAT else "complex" if dtype in _dt.COMPLEX else \
        "bool" if dtype == "bool" else "integer"


def masked_fill(input_x, mask, value):
    """A value Tensor takes input_x's dtype when of its kind (MindSpore 2.10: float32 x, float64 value is float32;
    int32 x, int64 value int32); of another kind (int32 x, float32 value) MindSpore raises TypeError."""
    if isinstance(value, Tensor) and _kind(value._dtype) != _kind(input_x._dtype):
        raise TypeError(f"For 'masked_fill', the value Tensor's dtype {value.dtype} must be of the kind of "
                        f"input_x's dtype {input_x.dtype} ({_kind(input_x._dtype)})")
    fill = cast(value, input_x.dtype) if isinstance(value, Tensor) else \
        Tensor(np.asarray(value, np.dtype(input_x._dtype)))
    return select(mask, fill, input_x)


def hstack(tensors):
    """The Tensors (0-d ones as 1-d: MindSpore 2.10's hstack of two 0-d Tensors is shape (2,)) joined along axis 0
    when the first is then 1-d, else axis 1."""
    parts = [reshape(t, (1,)) if t.ndim == 0 else t for t in tensors]
    return concat(parts, 0 if parts[0].ndim == 1 else 1)


def vstack(inputs):
    return concat([t if t.ndim > 1 else reshape(t, (1, -1)) for t in inputs], 0)


row_stack = vstack  # MindSpore 2.10's ops.row_stack: vstack's other name


class ReverseV2(Primitive):
    """ops.ReverseV2(axis)(x): x flipped along each axis of the list / tuple `axis` (MindSpore 2.10: an int or
    a float is a TypeError when the primitive is made; a repeated or out-of-range axis a ValueError)."""

    op = "flip"

    def __init__(self, axis):
        if not isinstance(axis, (list, tuple)):
            raise TypeError("For 'ReverseV2', the type of 'axis' should be one of '[list of int, tuple of int]', "
                            f"but got {type(axis)}.")
        if any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axis):
            raise TypeError(f"For 'ReverseV2', 'axis' must be a list or tuple of int, but got {axis!r}")
        self.attrs, self.axis = {}, tuple(int(a) for a in axis)

    def __call__(self, input):  # noqa: A002 - MindSpore's names
        nd = input.ndim
        for i, a in enumerate(self.axis):
            if not -nd <= a < nd:
                raise ValueError(f"For 'ReverseV2', the 'axis[{i}]' must be in range of [{-nd}, {nd}), but got {a}")
        axes = [a % nd for a in self.axis]
        if len(set(axes)) != len(axes):
            raise ValueError(f"For ReverseV2, 'axis' cannot contain duplicate dimensions, but got {list(self.axis)}")
        return apply("flip", [input], {"axis": axes})[0] if axes else input
