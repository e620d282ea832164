"""MindSpore 2.10 `ops` names that run on its CPU and that gradserve lacked (h-opsgap): class forms and
functional names of ops gradserve already has, each delegating to that one definition, so values, dtypes and
gradients are the existing op's. Forms, values and refusal texts checked against MindSpore 2.10 on CPU
(tests/clients/test_opsgap.py holds the values): Triu, Trace, Sinc, NanToNum, SmoothL1Loss, FastGelu,
MaskedFill, Expand, Pack, Unpack, SpaceToDepth, DepthToSpace, UnravelIndex; absolute, diff_ext, expand_as,
float_power_ext, reverse, soft_shrink, view_as, pows, matrix_determinant, log_matrix_determinant, isnan_ext,
shape_."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ._extra import P
from ._movement_ms import Unstack
from ._primitives import Stack

__all__ = ["Triu", "Trace", "Sinc", "NanToNum", "SmoothL1Loss", "FastGelu", "MaskedFill", "Expand", "Pack",
           "Unpack", "SpaceToDepth", "DepthToSpace", "UnravelIndex", "NuclearNorm", "Col2Im", "iou", "conv3d_transpose", "diff_ext", "expand_as", "view_as",
           "log_matrix_determinant", "shape_"]

# MindSpore's other names for one gradserve function: name -> the function's name in gradserve.ops
ALIASES = {"absolute": "abs", "float_power_ext": "float_power", "reverse": "flip", "soft_shrink": "softshrink",
           "pows": "pow", "matrix_determinant": "det", "isnan_ext": "isnan"}


def _int_attr(value, name: str, where: str, kinds: str = "int") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"For '{where}', the type of '{name}' should be {kinds}, but got {type(value)}.")
    return value


class Triu:
    """ops.Triu(diagonal=0)(input): ops.triu's class form."""

    def __init__(self, diagonal: int = 0):
        self.diagonal = _int_attr(diagonal, "diagonal", "Triu", "one of '[Tensor, int]'")

    def __call__(self, input):  # noqa: A002 - MindSpore's name
        return late.ops.triu(input, self.diagonal)


class Trace:
    """ops.Trace()(input): a matrix's trace in its dtype; another rank is MindSpore's RuntimeError."""

    def __call__(self, input):  # noqa: A002
        if input.ndim != 2:
            raise RuntimeError(f"For Primitive[Trace], the rank of the input must be 2, but got {input.ndim}!")
        return late.ops.trace(input)


class Sinc:
    def __call__(self, input):  # noqa: A002
        return late.ops.sinc(input)


class NanToNum:
    def __init__(self, nan=None, posinf=None, neginf=None):
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def __call__(self, input):  # noqa: A002
        return late.ops.nan_to_num(input, self.nan, self.posinf, self.neginf)


class SmoothL1Loss:
    def __init__(self, beta: float = 1.0, reduction: str = "none"):
        self.beta, self.reduction = beta, reduction

    def __call__(self, prediction, target):
        return late.ops.smooth_l1_loss(prediction, target, self.beta, self.reduction)


class FastGelu:
    def __call__(self, x):
        return late.ops.fast_gelu(x)


class MaskedFill:
    def __call__(self, input_x, mask, value):
        return late.ops.masked_fill(input_x, mask, value)


def _known_ints(t, name: str) -> list[int]:
    a = t._value()
    if a is None:
        raise RuntimeError(f"For '{name}', the value of a traced input is not known in this trace (an exported "
                           "graph?): give it as a constant")
    return [int(v) for v in np.asarray(a).reshape(-1)]


class Expand:
    """ops.Expand()(input_x, shape): shape an int Tensor (a tuple is MindSpore's TypeError), -1 keeps a dim."""

    def __call__(self, input_x, shape):
        if not isinstance(shape, Tensor):
            kind = type(shape).__name__.capitalize()
            if isinstance(shape, (tuple, list)) and shape and all(type(v) is int for v in shape):
                kind += f"[Int64*{len(shape)}]"  # MindSpore's words for a tuple of ints
            raise TypeError(f"For Primitive[Expand], the type of input argument[shape] must be Tensor but got "
                            f"{kind}.")
        return late.ops.expand(input_x, tuple(_known_ints(shape, "Expand")))


class Pack(Stack):
    """ops.Pack(axis=0)(x): MindSpore's older name of Stack."""


class Unpack(Unstack):
    """ops.Unpack(axis=0)(x): MindSpore's older name of Unstack."""

    def __init__(self, axis: int = 0):
        super().__init__(axis)


def _block_size(block_size, where: str) -> int:
    _int_attr(block_size, "block_size", where)
    if block_size < 2:
        # MindSpore 2.10's two texts, as they are
        raise ValueError(f"For '{where}', the 'block_size' should be >= : 2, but got {block_size}." if where ==
                         "DepthToSpace" else f"The 'block_size' should be >= {where}: 2, but got {block_size}.")
    return block_size


def _rank4(x, where: str) -> None:
    if len(x.shape) != 4:
        raise ValueError(f"For primitive[{where}], the x rank must be equal to 4, but got {len(x.shape)}.")


class SpaceToDepth:
    """SpaceToDepth(block_size)(x): NCHW [n, c, h, w] -> [n, block_size**2 * c, h / bs, w / bs]; output channel
    (i * bs + j) * c + k holds x[:, k, bs * y + i, bs * x + j] (MindSpore's / TensorFlow's order). A reshape and
    a transpose, so its derivative is theirs."""

    def __init__(self, block_size: int):
        self.block_size = _block_size(block_size, "SpaceToDepth")

    def __call__(self, x):
        bs = self.block_size
        _rank4(x, "SpaceToDepth")
        n, c, h, w = x.shape
        for axis in (2, 3):
            if x.shape[axis] % bs:
                raise ValueError(f"For primitive[SpaceToDepth], the x_shape[{axis}] % block_size must be equal to 0, "
                                 f"but got {x.shape[axis] % bs}.")
        blocks = P.reshape(x, (n, c, h // bs, bs, w // bs, bs))
        moved = P.transpose(blocks, (0, 3, 5, 1, 2, 4))  # n, i, j, c, y, x
        return P.reshape(moved, (n, bs * bs * c, h // bs, w // bs))


class DepthToSpace:
    """DepthToSpace(block_size)(x): SpaceToDepth's inverse, [n, bs**2 * c, h, w] -> [n, c, h * bs, w * bs];
    pixel (bs * y + i, bs * x + j) of channel k is input channel (i * bs + j) * c + k (MindSpore's order)."""

    def __init__(self, block_size: int):
        self.block_size = _block_size(block_size, "DepthToSpace")

    def __call__(self, x):
        bs = self.block_size
        _rank4(x, "DepthToSpace")
        n, cin, h, w = x.shape
        if cin < bs * bs:
            raise ValueError(f"For DepthToSpace, the square of block_size must be smaller than the input channel, "
                             f"but got the block_size is {bs}, and the input channel is {cin}.")
        if cin % (bs * bs):
            raise ValueError(f"For primitive[DepthToSpace], the x_shape[1] % (block_size*block_size) must be equal "
                             f"to 0, but got {cin % (bs * bs)}.")
        c = cin // (bs * bs)
        blocks = P.reshape(x, (n, bs, bs, c, h, w))
        moved = P.transpose(blocks, (0, 3, 4, 1, 5, 2))  # n, c, y, i, x, j
        return P.reshape(moved, (n, c, h * bs, w * bs))


class UnravelIndex:
    """ops.UnravelIndex()(indices, dims): the coordinates of flat indices in an array of shape dims, a
    [len(dims), *indices.shape] Tensor of indices' dtype; computed from the values (no gradient: integers)."""

    def __call__(self, indices, dims):
        if indices.dtype != dims.dtype or indices.dtype not in (_dt.int32, _dt.int64):
            raise TypeError(f"For primitive[UnravelIndex], the input type must be same. name:[dims]:"
                            f"Tensor[{dims.dtype}]. name:[indices]:Tensor[{indices.dtype}].")
        flat, shape = _known_ints(indices, "UnravelIndex"), _known_ints(dims, "UnravelIndex")
        if any(i < 0 for i in flat):
            raise ValueError("Index must be greater than 0.")
        if any(i >= int(np.prod(shape)) for i in flat) or any(d <= 0 for d in shape):
            raise ValueError("Index out of boundary.")
        coords = np.array(np.unravel_index(np.asarray(flat, np.int64), shape))
        out = coords.reshape((len(shape), *indices.shape))
        return Tensor(out.astype(np.dtype(str(indices._dtype))))


class NuclearNorm:
    """ops.NuclearNorm(dim=None, keepdim=False)(x): the sum of the singular values of each plane over the two
    axes dim (None: a matrix), ops.norm's 'nuc'. MindSpore 2.10 on CPU refuses its gradient (no bprop) and
    answers 1 for the 2 x 2 identity and 3 for diag(3, 4) (the math: 2 and 7, numpy.linalg.svd); gradserve gives
    the math and its gradient."""

    def __init__(self, dim=None, keepdim: bool = False):
        if dim is not None and len(dim) != 2:
            raise ValueError(f"For 'NuclearNorm', the 'length of dim_size' must be int and must = 2, but got "
                             f"'{len(dim)}' with type 'int'.")
        self.dim, self.keepdim = (None if dim is None else tuple(dim)), bool(keepdim)

    def __call__(self, x):
        if x.dtype not in (_dt.float32, _dt.float64):
            raise input_dtype_error("NuclearNorm", "x", ("float32", "float64"), tensor_type(x))
        if self.dim is None and x.ndim != 2:
            raise ValueError(f"For 'NuclearNorm', when dim is not set, or dim is None, the input_size must be equal "
                             f"to 2, but got {x.ndim}.")
        dim = (0, 1) if self.dim is None else self.dim
        if dim[0] % x.ndim == dim[1] % x.ndim:
            raise ValueError("For 'NuclearNorm', the elements in attribute dim must be different.")
        return late.ops.norm(x, "nuc", dim, self.keepdim)


class Col2Im:
    """ops.Col2Im(kernel_size, dilation=1, padding=0, stride=1)(x, output_size): ops.col2im's class form."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def __call__(self, x, output_size):
        size = _known_ints(output_size, "Col2Im") if isinstance(output_size, Tensor) else output_size
        return late.ops.col2im(x, size, self.kernel_size, self.dilation, self.padding, self.stride)


def iou(anchor_boxes, gt_boxes, mode="iou"):
    """ops.iou: ops.IOU(mode)'s functional form ([len(gt_boxes), len(anchor_boxes)])."""
    return late.ops.IOU(mode)(anchor_boxes, gt_boxes)


def conv3d_transpose(inputs, weight, pad_mode="valid", padding=0, stride=1, dilation=1, group=1,
                     output_padding=0):
    """ops.conv3d_transpose: ops.Conv3DTranspose's functional form, weight [C_in, C_out / group, kd, kh, kw]."""
    w = tuple(weight.shape)
    return late.ops.Conv3DTranspose(w[0], w[1] * group, w[2:], 1, pad_mode, padding, stride, dilation, group,
                                    output_padding)(inputs, weight)


def diff_ext(input, n=1, dim=-1, prepend=None, append=None):  # noqa: A002
    return late.ops.diff(input, n, dim, prepend, append)


def expand_as(input, other):  # noqa: A002
    return late.ops.broadcast_to(input, tuple(other.shape))


def view_as(input, other):  # noqa: A002
    return late.ops.reshape(input, tuple(other.shape))


def log_matrix_determinant(input):  # noqa: A002
    """(sign, log |det|), as ops.slogdet."""
    return late.ops.slogdet(input)


def shape_(x):
    return late.ops.shape(x)
