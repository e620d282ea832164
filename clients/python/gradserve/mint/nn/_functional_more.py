"""More of MindSpore 2.10's `mint.nn.functional`: convolutions, norms, embedding, pad and losses, each in
mint's (PyTorch's) signature over the ops here, so derivatives and errors are those of the ops underneath."""
from __future__ import annotations

from ... import ops as _ops
from ...ops._ms_prims import pad_any_rank

# the same function (and argument order) in ops
(layer_norm, group_norm, cosine_embedding_loss, soft_margin_loss, adaptive_avg_pool2d, embedding) = (
    _ops.layer_norm, _ops.group_norm, _ops.cosine_embedding_loss, _ops.soft_margin_loss, _ops.adaptive_avg_pool2d,
    _ops.embedding)


def _pad_mode(padding):
    """mint's padding (an int, a tuple, or 'same' / 'valid') as ops.convNd's (pad_mode, padding)."""
    if isinstance(padding, str):
        return padding, 0
    return "pad", padding


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002 - MindSpore's names
    """1-D convolution of (N, C_in, L) by (C_out, C_in / groups, K); padding an int, (p,), 'same' or 'valid'."""
    mode, pad = _pad_mode(padding)
    return _ops.conv1d(input, weight, bias, stride, mode, pad, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D convolution of (N, C_in, H, W) by (C_out, C_in / groups, kH, kW); padding an int, (pH, pW),
    'same' or 'valid'."""
    mode, pad = _pad_mode(padding)
    return _ops.conv2d(input, weight, bias, stride, mode, pad, dilation, groups)


def pad(input, pad, mode="constant", value=None):  # noqa: A002
    """input padded by pad (last dimension first: (left, right, top, bottom, ...)); mode 'constant' (value,
    0 when None), 'reflect', 'replicate' or 'circular'."""
    return pad_any_rank(input, pad, mode, value)


def threshold(input, threshold, value, inplace=False):  # noqa: A002 - (inplace: a new Tensor here either way)
    """input where input > threshold, value elsewhere."""
    return _ops.threshold(input, threshold, value)


def normalize(input, p=2.0, dim=1, eps=1e-12):  # noqa: A002
    """input / max(||input||_p along dim, eps)."""
    norm = _ops.vector_norm(input, p, dim, True)
    return input / _ops.clamp(norm, eps)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):  # noqa: A002
    """Negative log likelihood of log-probabilities input (N, C, ...) at the class indices target."""
    return _ops.nll_loss(input, target, weight, ignore_index, reduction)


def kl_div(input, target, reduction="mean", log_target=False):  # noqa: A002
    """KL divergence of target from log-probabilities input: target * (log(target) - input) (0 where target is
    0), or exp(target) * (target - input) when target is itself a log; reduced by 'none', 'sum', 'mean' (over
    every element) or 'batchmean' (the sum over the first dimension's size)."""
    if reduction not in ("none", "sum", "mean", "batchmean"):
        raise ValueError(f"For 'kl_div', 'reduction' must be one of 'none', 'sum', 'mean', 'batchmean', "
                         f"but got {reduction!r}.")
    if log_target:
        loss = _ops.exp(target) * (target - input)
    else:
        loss = _ops.xlogy(target, target) - target * input
    if reduction == "none":
        return loss
    if reduction == "mean":
        return _ops.mean(loss)
    total = _ops.sum(loss)
    return total / input.shape[0] if reduction == "batchmean" and len(input.shape) else total


