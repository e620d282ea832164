"""More MindSpore 2.10 primitives of its documented examples: NoRepeatNGram (whole-slice comparisons, so vmap and
jit trace it; no gradient, as MindSpore's CPU kernel; CombinedNonMaxSuppression is _combined_nms's), ResizeArea (area-weighted
averages as two matmuls, so differentiable in the images) and MaxPool3DWithArgmax (ops.max_pool3d with
indices)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["NoRepeatNGram", "ResizeArea", "MaxPool3DWithArgmax"]


class NoRepeatNGram:
    """ops.NoRepeatNGram(ngram_size=1)(state_seq [B, beam, L], log_probs [B, beam, V]): log_probs with -FLT_MAX
    at every token that would repeat an n-gram of state_seq (one ending with the last n - 1 tokens)."""

    def __init__(self, ngram_size=1):
        if isinstance(ngram_size, bool) or not isinstance(ngram_size, int) or ngram_size < 1:
            raise ValueError(f"For 'NoRepeatNGram', 'ngram_size' must be a positive int, got {ngram_size!r}")
        self.ngram_size = ngram_size

    def __call__(self, state_seq, log_probs):
        lead, probs_lead = tuple(state_seq.shape[:-1]), tuple(log_probs.shape[:-1])
        if lead != probs_lead:
            raise ValueError(f"For 'NoRepeatNGram', state_seq and log_probs must share their leading dimensions, got "
                             f"{list(state_seq.shape)} and {list(log_probs.shape)}")
        o, n = late.ops, self.ngram_size
        length, vocab = int(state_seq.shape[-1]), int(log_probs.shape[-1])
        starts = length - n + 1  # the n-grams in the sequence, compared as whole slices (so vmap and jit trace it)
        if starts <= 0:
            return log_probs
        match = None  # window i's first n - 1 tokens equal the last n - 1
        for k in range(n - 1):
            same = o.equal(state_seq[..., k:k + starts], state_seq[..., length - n + 1 + k:length - n + 2 + k])
            match = same if match is None else o.logical_and(match, same)
        banned = state_seq[..., n - 1:n - 1 + starts]  # the token each window would repeat
        hits = o.equal(o.expand_dims(banned, -1), Tensor(np.arange(vocab).astype(state_seq._dtype)))
        if match is not None:
            hits = o.logical_and(hits, o.expand_dims(match, -1))
        ban = o.any(hits, -2)  # [..., V]: some repeated n-gram ends with that token (ids outside [0, V) ban none)
        lowest = np.finfo(log_probs._dtype).min
        return o.select(ban, o.fill(log_probs.dtype, tuple(log_probs.shape), float(lowest)), log_probs)


def _area_weights(n_in: int, n_out: int, align_corners: bool) -> np.ndarray:
    """[n_out, n_in]: each output cell's share of each input cell it covers (TensorFlow's area rule)."""
    scale = (n_in - 1) / (n_out - 1) if align_corners and n_out > 1 else n_in / n_out
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        lo, hi = o * scale, min((o + 1) * scale, n_in)
        for i in range(int(np.floor(lo)), int(np.ceil(hi))):
            w[o, i] = min(hi, i + 1) - max(lo, i)
        w[o] /= w[o].sum()
    return w


class ResizeArea:
    """ops.ResizeArea(align_corners=False)(images [N, H, W, C], size (new_h, new_w)): each output pixel the
    area-weighted mean of the input pixels it covers; float32 out."""

    def __init__(self, align_corners=False):
        self.align_corners = bool(align_corners)

    def __call__(self, images, size):
        out_h, out_w = (int(v) for v in (size._host_copy().tolist() if isinstance(size, Tensor) else size))
        if len(images.shape) != 4 or out_h < 1 or out_w < 1:
            raise ValueError(f"For 'ResizeArea', images must be [N, H, W, C] and size two positive ints, got "
                             f"{list(images.shape)} and {(out_h, out_w)}")
        ops = late.ops
        rows = Tensor(_area_weights(int(images.shape[1]), out_h, self.align_corners).astype(np.float32))
        cols = Tensor(_area_weights(int(images.shape[2]), out_w, self.align_corners).astype(np.float32))
        x = ops.transpose(ops.cast(images, "float32"), (0, 3, 1, 2))  # [N, C, H, W]
        y = ops.matmul(ops.matmul(rows, x), ops.transpose(cols, (1, 0)))
        return ops.transpose(y, (0, 2, 3, 1))


class MaxPool3DWithArgmax:
    """ops.MaxPool3DWithArgmax(ksize, strides, pads, dilation=(1, 1, 1), ceil_mode=False, data_format='NCDHW',
    argmax_type=int64)(x): max_pool3d's (output, argmax)."""

    def __init__(self, ksize, strides, pads, dilation=(1, 1, 1), ceil_mode=False, data_format="NCDHW",
                 argmax_type=None):
        if data_format != "NCDHW":
            raise ValueError(f"For 'MaxPool3DWithArgmax', only data_format 'NCDHW' is supported, got {data_format!r}")
        self.ksize, self.strides, self.pads, self.dilation = ksize, strides, pads, dilation
        self.ceil_mode, self.argmax_type = bool(ceil_mode), argmax_type

    def __call__(self, x):
        pooled: Any = late.ops.max_pool3d(x, self.ksize, self.strides, self.pads, self.dilation, self.ceil_mode,
                                          return_indices=True)  # (its stub reads the indices form as no return)
        out, argmax = pooled
        return out, (argmax if self.argmax_type is None else late.ops.cast(argmax, self.argmax_type))
