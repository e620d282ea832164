"""audio.BandBiquad: SoX's two-pole band-pass filter over the last axis, as MindSpore 2.10 gives it (its values to
1e-7 relative: its own float64 path is not all float64; its argument checks and texts): the IIR recursion
y[n] = b0 x[n] - a1 y[n-1] - a2 y[n-2] in float64, the result clamped to [-1, 1] at the end (not inside the
recursion, as MindSpore: a clipped sample does not feed back clipped) in the input's dtype."""
from __future__ import annotations

import math

import numpy as np

from . import _FLOAT32_MAX, _INT32_MAX, _pipeline_error, _type_check, _within


def _band_coefficients(sample_rate: int, central_freq: float, q: float, noise: bool) -> tuple[float, float, float]:
    """(b0, a1, a2) of the band-pass (a0 = 1, b1 = b2 = 0): SoX's band filter."""
    w0 = 2 * math.pi * central_freq / sample_rate
    a2 = math.exp(-2 * math.pi * (central_freq / q) / sample_rate)
    a1 = -4 * a2 / (1 + a2) * math.cos(w0)
    if noise:  # (the gain for un-pitched audio)
        b0 = math.sqrt(((1 + a2) ** 2 - a1 * a1) * (1 - a2) / (1 + a2))
    else:
        b0 = math.sqrt(1 - a1 * a1 / (4 * a2)) * (1 - a2)
    return b0, a1, a2


class BandBiquad:
    """BandBiquad(sample_rate, central_freq, Q=0.707, noise=False)(waveform <..., time>) -> the filtered waveform."""

    def __init__(self, sample_rate, central_freq, Q=0.707, noise=False):  # noqa: N803 (MindSpore's name)
        _type_check(sample_rate, (int,), "sample_rate")
        if sample_rate == 0 or not -_INT32_MAX - 1 <= sample_rate <= _INT32_MAX:
            raise ValueError("Input sample_rate is not within the required interval of [-2147483648, 0) and "
                             "(0, 2147483647].")
        _type_check(central_freq, (float, int), "central_freq")
        _within(central_freq, -_FLOAT32_MAX, _FLOAT32_MAX, "central_freq")
        _type_check(Q, (float, int), "Q")
        _within(Q, 0, 1, "Q", low_open=True)
        _type_check(noise, (bool,), "noise")
        self._coefficients = _band_coefficients(sample_rate, central_freq, Q, noise)

    def __call__(self, waveform):
        x = np.asarray(waveform)
        if x.dtype.kind != "f":
            kind = "string" if x.dtype.kind in "US" else str(x.dtype)
            raise _pipeline_error("BandBiquad: the data type of input tensor does not match the requirement of "
                                  f"operator. Expecting tensor in type of [float, double]. But got type {kind}.")
        if x.ndim == 0:
            raise _pipeline_error("BandBiquad: the shape of input tensor does not match the requirement of "
                                  "operator. Expecting tensor in shape of <..., time>. But got tensor with dimension "
                                  "0.")
        b0, a1, a2 = self._coefficients
        xs = np.moveaxis(x.astype(np.float64), -1, 0)
        y = np.empty_like(xs)
        prev1 = prev2 = np.zeros(xs.shape[1:])
        for n in range(xs.shape[0]):
            y[n] = b0 * xs[n] - a1 * prev1 - a2 * prev2
            prev1, prev2 = y[n], prev1
        return np.clip(np.moveaxis(y, 0, -1), -1, 1).astype(x.dtype)
