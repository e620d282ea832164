"""ONNX DFT (opset 17: axis an attribute; opset 20: axis an input, default -2) and STFT on the engine's FFT ops
(fft_forms.py). ONNX carries a complex signal as real pairs on a last axis of 2 (a real one: a last axis of 1);
the engine's ops take complex tensors, so the signal is made complex here and the spectrum made pairs again.
dft_length (a constant) zero-pads or crops the transformed axis; onesided gives the half spectrum (of a real or
complex signal), and with inverse the real signal of a half spectrum (an irfft); the inverse scales by 1/n
(numpy's 'backward')."""
from __future__ import annotations

import numpy as np

from . import fft_forms as FF
from .graph_writer import UnsupportedModel
from .onnx_ops import _ins, handles


def _scalar(ctx, node, name: str) -> int:
    return int(ctx.cval(name, node).reshape(-1)[0])


@handles("DFT")
def _dft(ctx, node, attrs):
    w, ins = ctx.w, _ins(node)
    x = ctx.val(ins[0])
    nd = len(w.shape(x))
    if ctx.opset >= 20:
        axis = _scalar(ctx, node, ins[2]) if ins[2] else -2
    else:
        axis = int(attrs.get("axis", 1))
    if not -nd <= axis < nd or axis % nd == nd - 1:
        raise UnsupportedModel(f"DFT axis {axis} of a rank-{nd} signal (the last axis holds the [re, im] pairs)")
    axis %= nd
    lengths = [_scalar(ctx, node, ins[1])] if ins[1] else None
    inverse, onesided = bool(attrs.get("inverse", 0)), bool(attrs.get("onesided", 0))
    z = FF.complex_of_pairs(w, x)
    if onesided and inverse:
        # the inverse of a half spectrum (torch.onnx's irfft; onnx.reference's IRFFT): dft_length real points
        # (default 2 (bins - 1)), the bins cropped or zero-padded to n // 2 + 1, a real [..., 1] signal
        n = lengths[0] if lengths else 2 * (w.shape(z)[axis] - 1)
        y = FF.c2r(w, z, [axis], n)
        return [w.reshape(y, list(w.shape(y)) + [1])]
    if onesided and w.dtype(z) in FF.REAL_OF:  # a complex signal: the first n // 2 + 1 bins of its transform
        y = FF.c2c(w, z, [axis], lengths=lengths)
        half = [[None, None, None]] * len(w.shape(y))
        half[axis] = [0, w.shape(y)[axis] // 2 + 1, 1]
        return [FF.pairs_of_complex(w, w.index(y, half))]
    if onesided:
        y = FF.r2c(w, z, [axis], lengths=lengths)
    else:
        y = FF.c2c(w, z, [axis], inverse=inverse, lengths=lengths)
    return [FF.pairs_of_complex(w, y)]


@handles("STFT")
def _stft(ctx, node, attrs):
    """STFT (opset 17): frames of frame_length points every frame_step (a constant index gather), times the
    window, each transformed (the half spectrum when onesided, the default) -> [batch, frames, bins, 2]."""
    w, ins = ctx.w, _ins(node)
    x = ctx.val(ins[0])
    shape = w.shape(x)
    if len(shape) != 3:
        raise UnsupportedModel(f"STFT of a signal of shape {list(shape)} (ONNX's is [batch, length, 1 or 2])")
    step = _scalar(ctx, node, ins[1])
    window = ctx.val(ins[2]) if ins[2] else None
    if ins[3]:
        length = _scalar(ctx, node, ins[3])
    elif window is not None:
        length = w.shape(window)[0]
    else:
        raise UnsupportedModel("STFT with neither a window nor a frame_length")
    if step < 1 or not 1 <= length <= shape[1] or (window is not None and w.shape(window) != (length,)):
        raise UnsupportedModel(f"STFT frame_step {step}, frame_length {length} for a signal of {shape[1]} points"
                               + (f" and a window of {list(w.shape(window))}" if window is not None else ""))
    z = FF.complex_of_pairs(w, x)  # [batch, length]
    frames = (shape[1] - length) // step + 1
    idx = w.const(np.arange(frames)[:, None] * step + np.arange(length)[None, :], "int64")
    framed = w.gather(z, idx, 1)  # [batch, frames, frame_length]
    if window is not None:
        win = w.cast(window, w.dtype(framed)) if w.dtype(window) != w.dtype(framed) else window
        framed = w.mul(framed, win)
    onesided = bool(attrs.get("onesided", 1))
    if onesided and w.dtype(framed) in FF.REAL_OF:
        raise UnsupportedModel("STFT onesided of a complex signal (ONNX defines the half spectrum of a real one)")
    y = FF.r2c(w, framed, [2]) if onesided else FF.c2c(w, framed, [2])
    return [FF.pairs_of_complex(w, y)]
