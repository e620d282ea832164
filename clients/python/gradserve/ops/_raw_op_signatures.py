"""MindSpore 2.10's functional signatures for ops that were bare engine-op wrappers (attributes by keyword
only, so `ops.layer_norm(x, (4,))` sent (4,) as a tensor): layer_norm, group_norm, top_k, col2im; ones_like /
zeros_like (dtype), round (decimals), relu (inplace) and flip (dims). The engine ops (P.layer_norm, P.col2im, P.round ...) do the work;
only the calling convention is MindSpore's. Also the primitives Sort(axis, descending)(x) and TopK(sorted)(input_x,
k), whose engine-op classes took their attributes by keyword only (and TopK's k as an attribute)."""
from __future__ import annotations

from ._extra import P
from ._inplace import write
from ._ms_misc import _ints, is_integer_tensor
from ._primitives import Primitive
from ._reduce_ms import sort, topk
from ._tensor_sig import flip as _tensor_flip

__all__ = ["layer_norm", "group_norm", "top_k", "col2im", "ones_like", "zeros_like", "round", "relu", "flip", "Sort", "TopK"]


def _shape_tuple(name: str, normalized_shape) -> tuple[int, ...]:
    if isinstance(normalized_shape, bool) or not isinstance(normalized_shape, (int, tuple, list)):
        raise TypeError(f"{name}: normalized_shape must be an int, a tuple or a list of ints, "
                        f"got {type(normalized_shape).__name__}")
    dims = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        raise TypeError(f"{name}: normalized_shape must hold ints, got {normalized_shape!r}")
    return dims


def _affine(name: str, x, weight, bias, shape: tuple[int, ...]):
    """weight and bias, ones / zeros of `shape` in x's dtype where None (MindSpore's defaults)."""
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"{name}: {what} must have shape {shape}, got {tuple(t.shape)}")
    weight = P.ones(shape, x.dtype) if weight is None else weight
    bias = P.zeros(shape, x.dtype) if bias is None else bias
    return weight, bias


def _eps(name: str, eps) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
        raise TypeError(f"{name}: eps must be a float, got {type(eps).__name__}")
    return float(eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002 - MindSpore's names
    """MindSpore 2.10 ops.layer_norm: input normalised over its last len(normalized_shape) axes (which must
    equal normalized_shape), then * weight + bias (both of shape normalized_shape; default 1 and 0)."""
    dims = _shape_tuple("layer_norm", normalized_shape)
    shape = tuple(input.shape)
    if not dims or len(dims) > len(shape) or shape[len(shape) - len(dims):] != dims:
        raise ValueError(f"layer_norm: normalized_shape {dims} must be the trailing axes of input's shape {shape}")
    weight, bias = _affine("layer_norm", input, weight, bias, dims)
    return P.layer_norm(input, weight, bias, axis=len(shape) - len(dims), epsilon=_eps("layer_norm", eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002 - MindSpore's names
    """MindSpore 2.10 ops.group_norm: input [N, C, *] normalised per sample over num_groups groups of
    C / num_groups channels, then * weight + bias (both [C]; default 1 and 0)."""
    if isinstance(num_groups, bool) or not isinstance(num_groups, int):
        raise TypeError(f"group_norm: num_groups must be an int, got {type(num_groups).__name__}")
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise ValueError(f"group_norm: input must be [N, C, *], got shape {shape}")
    if num_groups < 1 or shape[1] % num_groups:
        raise ValueError(f"group_norm: num_groups must be >= 1 and divide the channels C={shape[1]}, "
                         f"got {num_groups}")
    weight, bias = _affine("group_norm", input, weight, bias, (shape[1],))
    return P.group_norm(input, weight, bias, num_groups=num_groups, epsilon=_eps("group_norm", eps))


def top_k(input_x, k, sorted=True):  # noqa: A002 - MindSpore's names
    """MindSpore 2.10 ops.top_k (deprecated there for ops.topk): the k largest along the last axis, as
    (values, int32 indices); sorted=False: MindSpore's CPU kernel's order (ops.topk's)."""
    return topk(input_x, k, None, True, sorted)


def _pair(name: str, what: str, v, least: int) -> list[int]:
    """An int or 1-2 ints as [height, width], each >= least (MindSpore's col2im checks)."""
    if isinstance(v, bool) or not isinstance(v, (int, tuple, list)):
        raise TypeError(f"{name}: {what} must be an int or a tuple / list of ints, got {type(v).__name__}")
    vals = [v] if isinstance(v, int) else list(v)
    if not 1 <= len(vals) <= 2 or not all(isinstance(e, int) and not isinstance(e, bool) for e in vals):
        raise ValueError(f"{name}: {what} must be one or two ints, got {v!r}")
    if any(e < least for e in vals):
        raise ValueError(f"{name}: {what} must be >= {least}, got {v!r}")
    return vals * 2 if len(vals) == 1 else vals


def col2im(input_x, output_size, kernel_size, dilation, padding_value, stride):
    """MindSpore 2.10 ops.col2im: input_x [N, C, kh * kw, L] (L sliding blocks) summed back into
    [N, C, *output_size], padding_value cut from each side (torch.nn.functional.fold's arithmetic)."""
    size = _ints(output_size, "col2im: output_size")
    if len(size) != 2:
        raise ValueError(f"col2im: output_size must hold 2 ints (height, width), got {size}")
    kernel = _pair("col2im", "kernel_size", kernel_size, 1)
    dil, pad = _pair("col2im", "dilation", dilation, 1), _pair("col2im", "padding_value", padding_value, 0)
    strides = _pair("col2im", "stride", stride, 1)
    blocks = [(s + 2 * p - d * (k - 1) - 1) // st + 1 for s, p, d, k, st in zip(size, pad, dil, kernel, strides)]
    shape = tuple(input_x.shape)
    if len(shape) != 4 or shape[2] != kernel[0] * kernel[1] or shape[3] != blocks[0] * blocks[1]:
        raise ValueError(f"col2im: input_x must be [N, C, {kernel[0] * kernel[1]}, {blocks[0] * blocks[1]}] for "
                         f"output_size {size}, kernel {kernel}, got shape {shape}")
    cols = P.reshape(input_x, (*shape[:3], *blocks))
    return P.col2im(cols, shape=size, window=kernel, strides=strides, padding=[[p, p] for p in pad], dilation=dil)


def ones_like(input, *, dtype=None):  # noqa: A002 - MindSpore's names
    """MindSpore 2.10 ops.ones_like: ones of input's shape, in dtype (None: input's)."""
    out = P.ones_like(input)
    return out if dtype is None else P.cast(out, dtype)


def zeros_like(input, *, dtype=None):  # noqa: A002
    """MindSpore 2.10 ops.zeros_like: zeros of input's shape, in dtype (None: input's)."""
    out = P.zeros_like(input)
    return out if dtype is None else P.cast(out, dtype)


def round(input, *, decimals=0):  # noqa: A001,A002 - MindSpore's names
    """MindSpore 2.10 ops.round: half to even, at `decimals` places (input * 10**decimals rounded, then
    divided back, as NumPy's around)."""
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
    if decimals == 0:
        return input if is_integer_tensor(input) else P.round(input)
    scale = 10.0 ** decimals
    return P.div(P.round(P.mul(input, scale)), scale)


def relu(input, inplace=False):  # noqa: A002 - MindSpore's names
    """MindSpore 2.10 ops.relu: max(input, 0); inplace=True also writes the result into input (and returns it)."""
    out = P.relu(input)
    return write(input, out, "ops.relu") if inplace else out


def flip(input, dims):  # noqa: A002
    """MindSpore 2.10 ops.flip: input reversed along each axis in dims (a tuple / list; a bare int taken too)."""
    return _tensor_flip(input, dims)


class Sort(Primitive):
    """MindSpore 2.10 Sort(axis=-1, descending=False)(x) -> (values, int32 indices); stable."""

    op = "sort"

    def __init__(self, axis=-1, descending=False):
        super().__init__(axis=int(axis), descending=bool(descending))

    def __call__(self, x):
        return sort(x, self.attrs["axis"], self.attrs["descending"])


class TopK(Primitive):
    """MindSpore 2.10 TopK(sorted=True)(input_x, k) -> the k largest along the last axis (values, int32 indices)."""

    op = "top_k"

    def __init__(self, sorted=True):  # noqa: A002 - MindSpore's names
        super().__init__()
        self.sorted = bool(sorted)

    def __call__(self, input_x, k):
        return topk(input_x, k, None, True, self.sorted)
