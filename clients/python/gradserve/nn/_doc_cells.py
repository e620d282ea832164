"""MindSpore 2.10 nn cells from its documented examples, over gradserve.ops: AdaptiveAvgPool2d / 3d,
AdaptiveMaxPool2d / 3d, Softmax2d, LRN, ImageGradients, PSNR, SSIM, L1Regularizer, the losses CosineEmbeddingLoss,
MultiMarginLoss, PoissonNLLLoss; get_activation (MindSpore's table of activation names)."""
from __future__ import annotations

import math

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._sparse import COOTensor
from .._tensor import Tensor
from .._training import LossBase

__all__ = ["AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "Softmax2d", "LRN",
           "ImageGradients", "PSNR", "SSIM", "L1Regularizer", "IGamma", "SparseToDense", "CosineEmbeddingLoss",
           "MultiMarginLoss", "PoissonNLLLoss", "DiceLoss", "MultiClassDiceLoss", "TripletMarginWithDistanceLoss",
           "get_activation"]

# MindSpore 2.10's activation names (nn.get_activation, nn.Dense(activation=...)), in its order, -> our nn classes.
# (preluExt's defaults are PReLU's: one slope, 0.25.)
# Case-sensitive, no 'softplus' / 'selu' / 'swish' / 'celu' (checked: KeyError); 'logsoftmaxExt' has no class here.
_ACTIVATION_NAMES = {"softmin": "Softmin", "softmax": "Softmax", "softmax2d": "Softmax2d", "logsoftmax": "LogSoftmax",
                     "logsoftmaxExt": None, "relu": "ReLU", "relu6": "ReLU6", "rrelu": "RReLU", "silu": "SiLU",
                     "tanh": "Tanh", "tanhshrink": "Tanhshrink", "hardtanh": "Hardtanh", "gelu": "GELU",
                     "fast_gelu": "FastGelu", "elu": "ELU", "sigmoid": "Sigmoid", "softsign": "Softsign",
                     "prelu": "PReLU", "preluExt": "PReLU", "leakyrelu": "LeakyReLU", "hswish": "HSwish",
                     "hsigmoid": "HSigmoid", "logsigmoid": "LogSigmoid", "softshrink": "SoftShrink",
                     "hshrink": "HShrink", "threshold": "Threshold", "mish": "Mish"}


def get_activation(name, prim_name=None):
    """nn.get_activation(name): a new activation cell of that name (MindSpore 2.10's table); None for None."""
    from .. import nn  # the package's classes (it imports this module last)
    if name is None:
        return None
    if name not in _ACTIVATION_NAMES:
        lead = f"For '{prim_name}', the" if prim_name else "The"
        raise KeyError(f"{lead} 'name' must be in {list(_ACTIVATION_NAMES)}, but got {name}.")
    cls = _ACTIVATION_NAMES[name]
    if cls is None:
        raise NotImplementedError(f"nn.get_activation({name!r}): not supported here (nn.LogSoftmaxExt is missing)")
    return getattr(nn, cls)()


class AdaptiveAvgPool2d(Cell):
    """nn.AdaptiveAvgPool2d(output_size)(x): ops.adaptive_avg_pool2d."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def construct(self, x):
        return _ops.adaptive_avg_pool2d(x, self.output_size)


class AdaptiveAvgPool3d(Cell):
    """nn.AdaptiveAvgPool3d(output_size)(x): ops.adaptive_avg_pool3d."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def construct(self, x):
        return _ops.adaptive_avg_pool3d(x, self.output_size)


class AdaptiveMaxPool2d(Cell):
    """nn.AdaptiveMaxPool2d(output_size, return_indices=False)(x): ops.adaptive_max_pool2d."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def construct(self, x):
        return _ops.adaptive_max_pool2d(x, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(Cell):
    """nn.AdaptiveMaxPool3d(output_size, return_indices=False)(x): ops.adaptive_max_pool3d."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def construct(self, x):
        return _ops.adaptive_max_pool3d(x, self.output_size, self.return_indices)


class IGamma(Cell):
    """nn.IGamma()(a, x): the regularized lower incomplete gamma function, ops.igamma."""

    def construct(self, a, x):
        return _ops.igamma(a, x)


class SparseToDense(Cell):
    """nn.SparseToDense()(sparse_tensor): a COOTensor's dense Tensor through ops.SparseToDense, so a repeated index
    takes its last value as MindSpore 2.10's cell gives (checked in its venv; COOTensor.to_dense sums them)."""

    def construct(self, sparse_tensor):
        if not isinstance(sparse_tensor, COOTensor):
            return sparse_tensor.to_dense()  # what is not a COOTensor: its own to_dense (or its error)
        return _ops.SparseToDense()(sparse_tensor.indices, sparse_tensor.values, tuple(sparse_tensor.shape))


class Softmax2d(Cell):
    """nn.Softmax2d()(x): softmax over the channels (axis -3) of (C, H, W) or (N, C, H, W)."""

    def construct(self, x):
        if len(x.shape) not in (3, 4):
            raise ValueError(f"For 'Softmax2d', the input must be 3-D or 4-D, but got shape {tuple(x.shape)}.")
        return _ops.softmax(x, -3)


class LRN(Cell):
    """nn.LRN(depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, norm_region='ACROSS_CHANNELS')(x): ops.lrn."""

    def __init__(self, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, norm_region="ACROSS_CHANNELS"):
        super().__init__()
        self.args = (depth_radius, bias, alpha, beta, norm_region)

    def construct(self, x):
        return _ops.lrn(x, *self.args)


class ImageGradients(Cell):
    """nn.ImageGradients()(images): (dy, dx) of (N, C, H, W) images, forward differences with a zero last row /
    column."""

    def construct(self, images):
        if len(images.shape) != 4:
            raise ValueError(f"For 'ImageGradients', the input must be 4-D, but got shape {tuple(images.shape)}.")
        return self._diff(images, 2), self._diff(images, 3)

    @staticmethod
    def _diff(x, axis: int):
        n = x.shape[axis]
        last = list(x.shape)
        last[axis] = 1
        zero = _ops.zeros(tuple(last), x.dtype)
        if n == 1:
            return zero
        step = _ops.sub(_ops.narrow(x, axis, 1, n - 1), _ops.narrow(x, axis, 0, n - 1))
        return _ops.concat((step, zero), axis)


def _as_float_images(img1, img2, where: str):
    # MindSpore 2.10 checks both with SameTypeShape: a dtype mismatch is its TypeError, a shape mismatch ValueError
    if img1.dtype != img2.dtype:
        raise TypeError(f"For 'SameTypeShape' ({where}), the x dtype should be = y dtype: "
                        f"{str(img2.dtype).capitalize()}, but got {str(img1.dtype).capitalize()}.")
    if tuple(img1.shape) != tuple(img2.shape):
        raise ValueError(f"For 'SameTypeShape' ({where}), the x shape should be = y shape: {tuple(img2.shape)}, but "
                         f"got {tuple(img1.shape)}.")
    return _ops.cast(img1, "float32"), _ops.cast(img2, "float32")


def _check_max_val(cell: str, max_val) -> None:
    """MindSpore 2.10's TypeError for a max_val (PSNR's, SSIM's) that is not an int or float (a bool neither)."""
    if isinstance(max_val, bool) or not isinstance(max_val, (int, float)):
        raise TypeError(f"For '{cell}', the type of 'max_val' should be one of '['int', 'float']', but got type "
                        f"'{type(max_val).__name__}'.")


class PSNR(Cell):
    """nn.PSNR(max_val=1.0)(img1, img2): 10 log10(max_val^2 / MSE) per image of (N, C, H, W). (MindSpore scales an
    integer image and max_val by the dtype's maximum alike: the ratio is the same.)"""

    def __init__(self, max_val=1.0):
        super().__init__()
        _check_max_val("PSNR", max_val)  # (True was taken as 1.0)
        if not max_val > 0:  # MindSpore 2.10's text
            raise ValueError(f"For 'PSNR', the argument 'max_val' must > 0.0, but got {max_val}.")
        self.max_val = float(max_val)

    def construct(self, img1, img2):
        if len(img1.shape) != 4:
            raise ValueError(f"For 'PSNR', the images must be 4-D, but got shape {tuple(img1.shape)}.")
        a, b = _as_float_images(img1, img2, "PSNR")
        mse = _ops.mean(_ops.square(_ops.sub(a, b)), (-3, -2, -1))
        return _ops.mul(_ops.log(_ops.div(self.max_val ** 2, mse)), 10.0 / math.log(10.0))


def _gaussian_window(size: int, sigma: float) -> np.ndarray:
    """MindSpore's SSIM window: exp(-(x^2 + y^2) / (2 sigma^2)) on its grid, normalized, as a [1, 1, k, k] weight."""
    y, x = np.mgrid[-size // 2 + 1:size // 2 + 1, -size // 2 + 1:size // 2 + 1]
    g = np.exp(-(x.astype(np.float32) ** 2 + y.astype(np.float32) ** 2) / (2 * sigma ** 2))
    return (g / g.sum()).astype(np.float32)[None, None]


class SSIM(Cell):
    """nn.SSIM(max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03)(img1, img2): the structural
    similarity of each image of (N, C, H, W) float images: per channel, MindSpore's Gaussian-weighted means,
    variances and covariance (a valid convolution), the SSIM map's mean over channels and pixels."""

    def __init__(self, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03):
        super().__init__()
        # MindSpore 2.10's TypeErrors: max_val an int or float, filter_size an int, filter_sigma / k1 / k2 floats
        _check_max_val("SSIM", max_val)
        if isinstance(filter_size, bool) or not isinstance(filter_size, int):
            raise TypeError(f"For 'SSIM', the 'filter_size' must be int, but got '{type(filter_size).__name__}'")
        for name, v in (("filter_sigma", filter_sigma), ("k1", k1), ("k2", k2)):
            if not isinstance(v, float):
                raise TypeError(f"For 'SSIM', the type of '{name}' should be 'float', but got type '{type(v).__name__}'.")
        if not max_val > 0 or filter_size < 1 or not filter_sigma > 0:
            raise ValueError(f"For 'SSIM', max_val and filter_sigma must be positive and filter_size at least 1, "
                             f"but got {max_val}, {filter_size}, {filter_sigma}.")
        self.max_val, self.filter_size, self.k1, self.k2 = float(max_val), int(filter_size), k1, k2
        self._window = _gaussian_window(self.filter_size, float(filter_sigma))

    def construct(self, img1, img2):
        if img1.dtype not in ("float32", "float16") or len(img1.shape) != 4:
            raise TypeError(f"For 'SSIM', the images must be 4-D float32 / float16, but got {img1.dtype} of shape "
                            f"{tuple(img1.shape)}.")
        if min(img1.shape[-2:]) < self.filter_size:
            raise ValueError(f"For 'SSIM', the images' height and width must be at least filter_size "
                             f"{self.filter_size}, but got shape {tuple(img1.shape)}.")
        a, b = _as_float_images(img1, img2, "SSIM")
        n, c, h, w = a.shape
        weight = Tensor(np.repeat(self._window, c, axis=0))  # one window per channel (groups = C)

        def blur(t):
            return _ops.conv2d(t, weight, groups=c)
        c1, c2 = (self.k1 * self.max_val) ** 2, (self.k2 * self.max_val) ** 2
        mu1, mu2 = blur(a), blur(b)
        mu11, mu22, mu12 = _ops.mul(mu1, mu1), _ops.mul(mu2, mu2), _ops.mul(mu1, mu2)
        var1, var2 = _ops.sub(blur(_ops.mul(a, a)), mu11), _ops.sub(blur(_ops.mul(b, b)), mu22)
        cov = _ops.sub(blur(_ops.mul(a, b)), mu12)
        num = _ops.mul(_ops.add(_ops.mul(mu12, 2.0), c1), _ops.add(_ops.mul(cov, 2.0), c2))
        den = _ops.mul(_ops.add(_ops.add(mu11, mu22), c1), _ops.add(_ops.add(var1, var2), c2))
        return _ops.mean(_ops.div(num, den), (1, 2, 3))


class L1Regularizer(Cell):
    """nn.L1Regularizer(scale)(weights): scale * sum(|weights|)."""

    def __init__(self, scale):
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0 or math.isinf(scale):
            raise ValueError(f"For 'L1Regularizer', 'scale' must be a positive finite number, but got {scale!r}.")
        self.scale = float(scale)

    def construct(self, weights):
        return _ops.mul(_ops.sum(_ops.abs(weights)), Tensor(np.array(self.scale, np.dtype(weights._dtype))))


class CosineEmbeddingLoss(Cell):
    """nn.CosineEmbeddingLoss(margin=0.0, reduction='mean')(logits_x1, logits_x2, labels)."""

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__()
        self.margin, self.reduction = margin, reduction

    def construct(self, logits_x1, logits_x2, labels):
        return _ops.cosine_embedding_loss(logits_x1, logits_x2, labels, self.margin, self.reduction)


class MultiMarginLoss(Cell):
    """nn.MultiMarginLoss(p=1, margin=1.0, reduction='mean', weight=None)(x, target)."""

    def __init__(self, p=1, margin=1.0, reduction="mean", weight=None):
        super().__init__()
        self.p, self.margin, self.reduction, self.weight = p, margin, reduction, weight

    def construct(self, x, target):
        return _ops.multi_margin_loss(x, target, self.p, self.margin, self.weight, self.reduction)


class PoissonNLLLoss(LossBase):
    """nn.PoissonNLLLoss(log_input=True, full=False, eps=1e-08, reduction='mean')(input, target): exp(x) - t x
    (log_input), else x - t log(x + eps); full adds Stirling's t log t - t + log(2 pi t) / 2 where t > 1."""

    def __init__(self, log_input=True, full=False, eps=1e-08, reduction="mean"):
        super().__init__(reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def construct(self, input, target):  # noqa: A002 - MindSpore's names
        target = _ops.cast(target, input.dtype)
        if self.log_input:
            loss = _ops.sub(_ops.exp(input), _ops.mul(target, input))
        else:
            loss = _ops.sub(input, _ops.mul(target, _ops.log(_ops.add(input, self.eps))))
        if self.full:
            t = _ops.maximum(target, _ops.full_like(target, self.eps))
            stirling = _ops.add(_ops.sub(_ops.mul(_ops.add(t, 0.5), _ops.log(t)), t), 0.5 * math.log(2 * math.pi))
            loss = _ops.add(loss, _ops.select(_ops.greater(t, 1.0), stirling, _ops.zeros_like(stirling)))
        return self.get_loss(loss)


class DiceLoss(LossBase):
    """nn.DiceLoss(smooth=1e-5)(logits, labels): 1 - 2 <logits, labels> / (|logits|^2 + |labels|^2 + smooth), over
    all elements."""

    def __init__(self, smooth=1e-5):
        super().__init__()
        if not isinstance(smooth, float) or not smooth > 0:
            raise ValueError(f"For 'DiceLoss', 'smooth' must be a positive float, but got {smooth!r}.")
        self.smooth = smooth

    def construct(self, logits, label):
        if tuple(logits.shape) != tuple(label.shape):
            raise ValueError(f"For 'DiceLoss', logits and labels must have one shape, but got {tuple(logits.shape)} "
                             f"and {tuple(label.shape)}.")
        p, y = _ops.reshape(logits, (-1,)), _ops.reshape(label, (-1,))
        union = _ops.add(_ops.sum(_ops.mul(p, p)), _ops.sum(_ops.mul(y, y)))
        return _ops.sub(1.0, _ops.div(_ops.mul(_ops.sum(_ops.mul(p, y)), 2.0), _ops.add(union, self.smooth)))


class MultiClassDiceLoss(LossBase):
    """nn.MultiClassDiceLoss(weights=None, ignore_indiex=None, activation='softmax')(logits, labels): the mean over
    the classes (axis 1) of DiceLoss of each class's column after the activation (weights: per class)."""

    _ALLOWED = ("softmax", "logsoftmax", "relu", "relu6", "tanh", "sigmoid")

    def __init__(self, weights=None, ignore_indiex=None, activation="softmax"):
        super().__init__()
        if isinstance(activation, str) and activation not in self._ALLOWED:
            raise ValueError(f"For 'MultiClassDiceLoss', 'activation' must be in {list(self._ALLOWED)}, but got "
                             f"{activation!r}.")
        self.weights, self.ignore_indiex = weights, ignore_indiex
        self.activation = get_activation(activation) if isinstance(activation, str) else activation
        self.dice = DiceLoss(1e-5)

    def construct(self, logits, label):
        if self.activation is not None:
            logits = self.activation(logits)
        total = 0
        for i in range(label.shape[1]):
            if i == self.ignore_indiex:
                continue
            loss = self.dice(logits[:, i], label[:, i])
            total = _ops.add(total, loss if self.weights is None else _ops.mul(loss, self.weights[i]))
        return _ops.div(total, float(label.shape[1]))


class TripletMarginWithDistanceLoss(LossBase):
    """nn.TripletMarginWithDistanceLoss(distance_function=None, swap=False, reduction='mean', margin=1.0)(x,
    positive, negative): max(d(x, positive) - d(x, negative) + margin, 0), d by default the L2 norm of the
    difference along axis 1; swap: d(x, negative) is min'ed with d(positive, negative)."""

    def __init__(self, distance_function=None, swap=False, reduction="mean", margin=1.0):
        super().__init__(reduction)
        if not isinstance(margin, float) or not isinstance(swap, bool):
            raise TypeError(f"For 'TripletMarginWithDistanceLoss', 'margin' must be a float and 'swap' a bool, but "
                            f"got {margin!r} and {swap!r}.")
        self.distance, self.swap, self.margin = distance_function or self._l2, swap, margin

    @staticmethod
    def _l2(a, b):
        return _ops.norm(_ops.sub(a, b), 2, 1)

    def construct(self, x, positive, negative):
        d_pos, d_neg = self.distance(x, positive), self.distance(x, negative)
        if self.swap:
            d_neg = _ops.minimum(d_neg, self.distance(positive, negative))
        loss = _ops.add(_ops.sub(d_pos, d_neg), self.margin)
        return self.get_loss(_ops.maximum(loss, _ops.zeros_like(loss)))
