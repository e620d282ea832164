"""`mint.nn.functional`: MindSpore 2.10's `mindspore.mint.nn.functional`, PyTorch's functional spellings
(`dim`, `negative_slope`, `reduction='mean'` first, `inplace`) over the ops here."""
from __future__ import annotations

from ... import ops as _ops
from ..._tensor import Tensor as _Tensor
from ...ops._interpolate_ext import interpolate_ext as interpolate  # noqa: F401  (MindSpore's rules)
from .._flatten import flatten  # noqa: F401  (MindSpore 2.10's F.flatten is mint.flatten: start_dim=0)

broadcast_to = _ops.broadcast_to
silu_func = _ops.silu  # MindSpore 2.10's F.silu_func is ops.silu itself: silu(input), no inplace

# the same function in ops
(softshrink, hardshrink, hardswish, hardsigmoid, sigmoid, tanh, mse_loss, l1_loss, binary_cross_entropy, mish,
 logsigmoid, relu6, selu, dropout2d, one_hot, prelu, max_pool2d, avg_pool2d, avg_pool1d, adaptive_avg_pool1d,
 batch_norm, cross_entropy, pixel_shuffle, grid_sample, clamp) = (
    _ops.softshrink, _ops.hardshrink, _ops.hardswish, _ops.hardsigmoid, _ops.sigmoid, _ops.tanh, _ops.mse_loss,
    _ops.l1_loss, _ops.binary_cross_entropy, _ops.mish, _ops.logsigmoid, _ops.relu6, _ops.selu, _ops.dropout2d,
    _ops.one_hot, _ops.prelu, _ops.max_pool2d, _ops.avg_pool2d, _ops.avg_pool1d, _ops.adaptive_avg_pool1d,
    _ops.batch_norm, _ops.cross_entropy, _ops.pixel_shuffle, _ops.grid_sample, _ops.clamp)


def softplus(input, beta=1, threshold=20):  # noqa: A002 - MindSpore's names
    """log(1 + exp(beta * input)) / beta; input itself where beta * input > threshold."""
    return _ops.softplus(input, beta, threshold)


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zeros with probability p (the rest scaled by 1 / (1 - p)) in training; input itself otherwise."""
    return _ops.dropout(input, p, training)


def relu(input, inplace=False):  # noqa: A002 - MindSpore's names (inplace: a new Tensor here either way)
    """max(input, 0)."""
    return _ops.relu(input)


def silu(input, inplace=False):  # noqa: A002
    """input * sigmoid(input)."""
    return _ops.silu(input)


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """input where > 0, alpha * (exp(input) - 1) elsewhere."""
    return _ops.elu(input, alpha)


def gelu(input, approximate="none"):  # noqa: A002
    """GELU, exact ('none') or its tanh approximation ('tanh')."""
    return _ops.gelu(input, approximate)


def leaky_relu(input, negative_slope=0.01):  # noqa: A002
    """input where >= 0, negative_slope * input elsewhere."""
    return _ops.leaky_relu(input, negative_slope)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    """input clipped to [min_val, max_val]."""
    return _ops.hardtanh(input, min_val, max_val)


def softmax(input, dim=None, dtype=None):  # noqa: A002
    """softmax along dim (the last when None), cast to dtype first when given."""
    x = input if dtype is None else _ops.cast(input, dtype)
    return _ops.softmax(x, -1 if dim is None else dim)


def log_softmax(input, dim=None, *, dtype=None):  # noqa: A002
    """log(softmax(input)) along dim (the last when None)."""
    x = input if dtype is None else _ops.cast(input, dtype)
    return _ops.log_softmax(x, -1 if dim is None else dim)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):  # noqa: A002
    """Huber-like loss (0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere), reduced by `reduction`
    ('mean' by default: ops.smooth_l1_loss's default is 'none')."""
    return _ops.smooth_l1_loss(input, target, beta, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):  # noqa: A002
    """binary cross entropy of sigmoid(input) against target, with weight and pos_weight (ops' order differs)."""
    return _ops.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def glu(input, dim=-1):  # noqa: A002
    """a * sigmoid(b), a and b the halves of input along dim (ops.glu). MindSpore 2.10's mint GLU checks first, in
    its order and texts (ops.glu's odd size is Split's ValueError, mint's a RuntimeError of its own)."""
    if isinstance(input, _Tensor):
        if input.ndim == 0:
            raise RuntimeError("For GLU, scalar input is not supported because halving size must be even, but got a "
                               "scalar.")
        if not -input.ndim <= int(dim) < input.ndim:
            raise IndexError(f"For GLU, dimension should be in range of [{-input.ndim}, {input.ndim - 1}], but got "
                             f"{dim}.")
        if input.shape[dim] % 2:
            raise RuntimeError(f"For GLU, halving dimension must be even, but dimension {dim} is size "
                               f"{input.shape[dim]}.")
        if not _ops.is_floating_point(input):
            raise TypeError("Select CPU operator[GLU] fail! Unsupported data type!")
    return _ops.glu(input, dim)


def linear(input, weight, bias=None):  # noqa: A002
    """input @ weight^T (+ bias): weight is (out_features, in_features) (ops.dense)."""
    return _ops.dense(input, weight, bias)


from ._functional_more import (  # noqa: E402,F401  (convolutions, norms, embedding, pad, losses)
    adaptive_avg_pool2d, conv1d, conv2d, cosine_embedding_loss, embedding, group_norm, kl_div, layer_norm,
    nll_loss, normalize, pad, soft_margin_loss, threshold)
from ._functional_3d import (  # noqa: E402,F401  (3-d pools, conv_transpose2d, fold, upsample, in-place)
    adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool2d, avg_pool3d, conv3d, conv_transpose2d, elu_, fold,
    hardtanh_, max_unpool2d, relu_, sigmoid_, threshold_, unfold, upsample)
