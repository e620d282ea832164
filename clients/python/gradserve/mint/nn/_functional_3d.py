"""More of MindSpore 2.10's `mint.nn.functional`: 3-d pools, conv_transpose2d, fold / unfold, max_unpool2d,
upsample and the in-place activations, in mint's (PyTorch's) signatures over the ops here. MindSpore's CPU build
has no kernel for most of them (AdaptiveAvgPool3DExt, AvgPool3DExt, ConvTranspose2D, Im2ColExt, InplaceElu, ...:
"The kernel ... unregistered."); gradserve computes them as documented, as for its other Ascend-only mint
functions. conv3d is refused off Ascend by MindSpore's own Python, so it is refused here with its text."""
from __future__ import annotations

from ... import ops as _ops
from ..._trace import apply
from ...ops._inplace import write
from ...ops._interpolate_ext import interpolate_ext

# the same function (and argument order) in ops
(adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool2d, fold, unfold, max_unpool2d) = (
    _ops.adaptive_avg_pool3d, _ops.adaptive_max_pool1d, _ops.adaptive_max_pool2d, _ops.fold, _ops.unfold,
    _ops.max_unpool2d)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,  # noqa: A002
               divisor_override=None):
    """ops.avg_pool3d with mint's defaults: stride None is kernel_size, divisor_override None is none."""
    return _ops.avg_pool3d(input, kernel_size, kernel_size if stride is None else stride, padding, ceil_mode,
                           count_include_pad, 0 if divisor_override is None else divisor_override)


def conv3d(*args, **kwargs):
    """MindSpore 2.10 runs mint's conv3d on Ascend only (its CPU and GPU: this NotImplementedError)."""
    raise NotImplementedError("conv3d only supports Ascend.")


def _pair(v, name: str) -> tuple:
    pair = (v, v) if isinstance(v, int) else tuple(v)
    if len(pair) != 2 or not all(isinstance(a, int) and a >= 0 for a in pair):
        raise ValueError(f"For 'conv_transpose2d', '{name}' must be an int or a pair of ints >= 0, got {v!r}")
    return pair


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """Transposed 2-D convolution of (N, C_in, H, W) by (C_in, C_out / groups, kH, kW) (the gradient of conv2d
    in its input): H_out = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1."""
    strides, pads, extra, dil = (_pair(v, n) for v, n in ((stride, "stride"), (padding, "padding"),
                                                           (output_padding, "output_padding"),
                                                           (dilation, "dilation")))
    for a, s, d in zip(extra, strides, dil):
        if a >= max(s, d):
            raise ValueError(f"For 'conv_transpose2d', 'output_padding' must be smaller than stride or dilation, "
                             f"got {output_padding!r}")
    y = apply("conv_transpose", [input, _ops.cast(weight, input._dtype)],
              {"strides": list(strides), "padding": [[p, p] for p in pads], "dilation": list(dil),
               "groups": int(groups), "output_padding": list(extra)})[0]
    return y if bias is None else y + bias.reshape((1, -1, 1, 1))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """mint.nn.functional.interpolate under its older name (MindSpore 2.10's)."""
    return interpolate_ext(input, size, scale_factor, mode, align_corners)


def elu_(input, alpha=1.0):  # noqa: A002
    """elu written into input (rebound to the result, returned)."""
    return write(input, _ops.elu(input, alpha), "mint.nn.functional.elu_")


def hardtanh_(input, min_val=-1, max_val=1):  # noqa: A002
    """hardtanh written into input."""
    return write(input, _ops.hardtanh(input, min_val, max_val), "mint.nn.functional.hardtanh_")


def relu_(input):  # noqa: A002
    """relu written into input."""
    return write(input, _ops.relu(input), "mint.nn.functional.relu_")


def sigmoid_(input):  # noqa: A002
    """sigmoid written into input."""
    return write(input, _ops.sigmoid(input), "mint.nn.functional.sigmoid_")


def threshold_(input, threshold, value):  # noqa: A002
    """threshold written into input: input where > threshold, value elsewhere."""
    return write(input, _ops.threshold(input, threshold, value), "mint.nn.functional.threshold_")
