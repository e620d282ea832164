"""_grad_ops.Conv2DBackpropFilter(out_channel, kernel_size, pad_mode='valid', pad=0, pad_list=(0, 0, 0, 0), mode=1,
stride=1, dilation=1, group=1, data_format='NCHW')(dout, x, filter_size): the gradient of a Conv2D's weight,
dW[o, c, i, j] = sum over n, h, w of dout[n, o, h, w] * x_padded[n, c, h s + i d, w s + j d].

That sum is itself a convolution: x_padded with its batch and channel axes swapped, convolved with dout (batch and
channel swapped) as the kernel, dilation and stride exchanged, cropped to the kernel size, so it is differentiable
in dout and x as any conv2d. One group only."""
from __future__ import annotations

from .._late import late
from .._tensor import Tensor
from ._conv import _pair, explicit_padding
from ._doc_conv_diag import _mode, _same_crop

__all__ = ["Conv2DBackpropFilter"]


class Conv2DBackpropFilter:
    """See the module's doc."""

    def __init__(self, out_channel, kernel_size, pad_mode="valid", pad=0, pad_list=(0, 0, 0, 0), mode=1, stride=1,
                 dilation=1, group=1, data_format="NCHW"):
        name = "Conv2DBackpropFilter"
        self.out_channel, self.kernel_size = int(out_channel), _pair(kernel_size, f"{name}: kernel_size")
        self.pad_mode = _mode(pad_mode, name)
        self.pad = pad_list if pad_list is not None and any(pad_list) else pad
        self.stride, self.dilation = _pair(stride, f"{name}: stride"), _pair(dilation, f"{name}: dilation")
        if int(group) != 1 or data_format != "NCHW":
            raise NotImplementedError(f"For '{name}', gradserve takes group 1 and data_format 'NCHW' only, got "
                                      f"group {group} and {data_format!r}")

    def __call__(self, dout, x, filter_size):
        name = "Conv2DBackpropFilter"
        size = [int(v) for v in (filter_size.asnumpy().tolist() if isinstance(filter_size, Tensor) else filter_size)]
        if len(size) != 4 or len(dout.shape) != 4 or len(x.shape) != 4:
            raise ValueError(f"For '{name}', dout, x and filter_size must be 4-D, got {list(dout.shape)}, "
                             f"{list(x.shape)} and {size}")
        kernel = size[2:]
        if self.pad_mode == "pad":
            pads = explicit_padding(self.pad, 2, f"{name}: pad")
        elif self.pad_mode == "same":
            pads = [_same_crop(int(n), k, s, d) for n, k, s, d in zip(x.shape[2:], kernel, self.stride, self.dilation)]
        else:
            pads = [[0, 0], [0, 0]]
        ops = late.ops
        if any(p for side in pads for p in side):
            x = ops.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
        grads = ops.conv2d(ops.transpose(x, (1, 0, 2, 3)), ops.transpose(ops.cast(dout, x.dtype), (1, 0, 2, 3)),
                           stride=self.dilation, dilation=self.stride)  # [C_in, C_out, >= kh, >= kw]
        grads = grads[:, :, :kernel[0], :kernel[1]]
        if [int(v) for v in grads.shape[2:]] != kernel:
            raise ValueError(f"For '{name}', filter_size {size} does not fit x {list(x.shape)} and dout "
                             f"{list(dout.shape)} with stride {list(self.stride)}")
        return ops.transpose(grads, (1, 0, 2, 3))
