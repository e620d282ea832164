"""audio.Flanger, audio.Phaser and audio.ComputeDeltas as MindSpore 2.10 gives them (SoX's flanger / phaser as
torchaudio writes them down, values to 1e-6 of MindSpore's on random waveforms; its argument checks, texts and
output dtypes: Flanger keeps the input's dtype, Phaser and ComputeDeltas give float64 for float64 and float32
otherwise). Computed in float64 on NumPy."""
from __future__ import annotations

import math

import numpy as np

from . import _INT32_MAX, _pipeline_error, _type_check, _within
from .utils import BorderType, Interpolation, Modulation


def _audio_input(x, op: str, min_ndim: int, shape_text: str) -> np.ndarray:
    """MindSpore's checks of an audio transform's input, in its order, with its texts."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"Input should be NumPy audio, got {type(x)}.")
    if x.size == 0:
        raise _pipeline_error("Input Tensor has no data.")
    if x.dtype.kind not in "biuf":
        kind = "string" if x.dtype.kind in "US" else str(x.dtype)
        raise _pipeline_error(f"{op}: the data type of input tensor does not match the requirement of operator. "
                              f"Expecting tensor in type of [int, float, double]. But got type {kind}.")
    if x.ndim < min_ndim:
        raise _pipeline_error(f"{op}: the shape of input tensor does not match the requirement of operator. "
                              f"Expecting tensor in shape of {shape_text}. But got tensor with dimension {x.ndim}.")
    return x


def _float_result(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return y.astype(np.float64 if x.dtype == np.float64 else np.float32)


def _wave_table(sine: bool, size: int, low: float, high: float, phase: float, as_int: bool) -> np.ndarray:
    """One period of a sine or triangle wave between low and high, `size` samples, starting `phase` radians in
    (SoX's lfo table); as_int rounds half away from zero."""
    if size <= 0:
        raise _pipeline_error(f"table_size must be more than 0, but got: {size}")
    point = (np.arange(size) + int(phase / math.pi / 2 * size + 0.5)) % size
    if sine:
        d = (np.sin(point / size * 2 * math.pi) + 1) / 2
    else:
        d = point * 2.0 / size
        quarter = 4 * point // size
        d = np.select([quarter == 0, quarter == 3], [d + 0.5, d - 1.5], 1.5 - d)
    d = d * (high - low) + low
    return np.trunc(d + np.where(d < 0, -0.5, 0.5)).astype(np.int64) if as_int else d


class Phaser:
    """Phaser(sample_rate, gain_in=0.4, gain_out=0.74, delay_ms=3.0, decay=0.4, mod_speed=0.5, sinusoidal=True)
    (waveform <..., time>): SoX's phaser, clamped to [-1, 1]."""

    def __init__(self, sample_rate, gain_in=0.4, gain_out=0.74, delay_ms=3.0, decay=0.4, mod_speed=0.5,
                 sinusoidal=True):
        _type_check(sample_rate, (int,), "sample_rate")
        _within(sample_rate, -_INT32_MAX - 1, _INT32_MAX, "sample_rate")
        for name, value, high in (("gain_in", gain_in, 1), ("gain_out", gain_out, 1e9), ("delay_ms", delay_ms, 5.0),
                                  ("decay", decay, 0.99)):
            _type_check(value, (float, int), name)
            _within(value, 0, high, name)
        _type_check(mod_speed, (float, int), "mod_speed")
        _within(mod_speed, 0.1, 2, "mod_speed")
        _type_check(sinusoidal, (bool,), "sinusoidal")
        self._args = (sample_rate, gain_in, gain_out, delay_ms, decay, mod_speed, sinusoidal)

    def __call__(self, waveform):
        x = _audio_input(waveform, "Phaser", 1, "<..., time>")
        rate, gain_in, gain_out, delay_ms, decay, speed, sine = self._args
        delay_len = int(delay_ms * 0.001 * rate + 0.5)
        mod = _wave_table(sine, int(rate / speed + 0.5), 1.0, float(delay_len), math.pi / 2, True)  # (its error first)
        if delay_len <= 0:  # (MindSpore 2.10 dies of a division by zero here: SIGFPE)
            raise _pipeline_error(f"Phaser: gradserve refuses a delay line of {delay_len} samples (delay_ms * "
                                  "sample_rate / 1000 rounds to below 1; MindSpore 2.10 crashes on it)")
        rows = x.reshape(-1, x.shape[-1]).astype(np.float64) * gain_in
        buf = np.zeros((rows.shape[0], delay_len))
        out = np.empty_like(rows)
        delay_pos = mod_pos = 0
        for i in range(rows.shape[1]):
            out[:, i] = rows[:, i] + buf[:, (delay_pos + mod[mod_pos]) % delay_len]
            mod_pos = (mod_pos + 1) % len(mod)
            delay_pos = (delay_pos + 1) % delay_len
            buf[:, delay_pos] = out[:, i] * decay
        return _float_result(np.clip(out * gain_out, -1, 1).reshape(x.shape), x)


class Flanger:
    """Flanger(sample_rate, delay=0.0, depth=2.0, regen=0.0, width=71.0, speed=0.5, phase=25.0,
    modulation=Modulation.SINUSOIDAL, interpolation=Interpolation.LINEAR)(waveform <..., channel, time>):
    SoX's flanger (at most 4 channels), clamped to [-1, 1], in the input's dtype."""

    def __init__(self, sample_rate, delay=0.0, depth=2.0, regen=0.0, width=71.0, speed=0.5, phase=25.0,
                 modulation=Modulation.SINUSOIDAL, interpolation=Interpolation.LINEAR):
        _type_check(sample_rate, (int,), "sample_rate")
        if sample_rate == 0 or not -_INT32_MAX - 1 <= sample_rate <= _INT32_MAX:
            raise ValueError("Input sample_rate is not within the required interval of [-2147483648, 0) and "
                             "(0, 2147483647].")
        for name, value, low, high in (("delay", delay, 0, 30), ("depth", depth, 0, 10), ("regen", regen, -95, 95),
                                       ("width", width, 0, 100), ("speed", speed, 0.1, 10), ("phase", phase, 0, 100)):
            _type_check(value, (float, int), name)
            _within(value, low, high, name)
        _type_check(modulation, (Modulation,), "modulation")
        _type_check(interpolation, (Interpolation,), "interpolation")
        self._args = (sample_rate, delay, depth, regen, width, speed, phase, modulation, interpolation)

    def __call__(self, waveform):
        x = _audio_input(waveform, "Flanger", 2, "<..., channel, time>")
        if x.shape[-2] > 4:
            raise RuntimeError("Syntax error. \n\n- Dataset Pipeline Error Message: \n[ERROR] Flanger: the channel of "
                               "input tensor does not match the requirement of operator. Expecting tensor with "
                               f"channel less than or equal to 4. But got channel: {x.shape[-2]}\n")
        y = self._run(x.reshape(-1, x.shape[-2], x.shape[-1]).astype(np.float64))
        return np.clip(y, -1, 1).reshape(x.shape).astype(x.dtype)

    def _run(self, w: np.ndarray) -> np.ndarray:
        rate, delay, depth, regen, width, speed, phase, modulation, interpolation = self._args
        # float32 scalars as MindSpore's: its delay-line length and gains (int samples round as its do)
        f32 = np.float32
        feedback, delay_gain = f32(regen) / f32(100), f32(width) / f32(100)
        in_gain = f32(1) / (1 + delay_gain)
        delay_gain = delay_gain / (1 + delay_gain) * (1 - abs(feedback))
        delay_min, delay_depth = f32(delay) / f32(1000), f32(depth) / f32(1000)
        buf_len = int((delay_min + delay_depth) * f32(rate) + f32(0.5)) + 2
        lfo_len = int(f32(rate) / f32(speed))
        lfo = _wave_table(modulation is Modulation.SINUSOIDAL, lfo_len,
                          float(math.floor(delay_min * f32(rate) + f32(0.5))), buf_len - 2.0, 3 * math.pi / 2, False)
        channels = np.arange(w.shape[1])
        offsets = (channels * lfo_len * (f32(phase) / f32(100)) + 0.5).astype(np.int64)
        bufs = np.zeros(w.shape[:2] + (buf_len,))
        last = np.zeros(w.shape[:2])
        out = np.empty_like(w)
        pos = lfo_pos = 0
        for i in range(w.shape[2]):
            pos = (pos + buf_len - 1) % buf_len
            lag = lfo[(lfo_pos + offsets) % lfo_len]
            frac, whole = lag - np.floor(lag), np.floor(lag).astype(np.int64)
            bufs[:, :, pos] = w[:, :, i] + last * feedback
            d0, d1, d2 = (bufs[:, channels, (pos + whole + k) % buf_len] for k in range(3))
            if interpolation is Interpolation.LINEAR:
                last = d0 + (d1 - d0) * frac
            else:
                d1, d2 = d1 - d0, d2 - d0
                last = d0 + ((d2 * 0.5 - d1) * frac + (d1 * 2 - d2 * 0.5)) * frac
            out[:, :, i] = w[:, :, i] * in_gain + last * delay_gain
            lfo_pos = (lfo_pos + 1) % lfo_len
        return out


class ComputeDeltas:
    """ComputeDeltas(win_length=5, pad_mode=BorderType.EDGE)(specgram <..., freq, time>): the regression slope over
    win_length frames of the time axis, padded by (win_length - 1) // 2 on each side."""

    def __init__(self, win_length=5, pad_mode=BorderType.EDGE):
        _type_check(pad_mode, (BorderType,), "pad_mode")
        _type_check(win_length, (int,), "win_length")
        _within(win_length, 3, _INT32_MAX, "win_length")
        self._n, self._mode = (win_length - 1) // 2, pad_mode

    def __call__(self, specgram):
        x = _audio_input(specgram, "ComputeDeltas", 2, "<..., freq, time>")
        n, t = self._n, x.shape[-1]
        pad = [(0, 0)] * (x.ndim - 1) + [(n, n)]
        padded = np.pad(x.astype(np.float64), pad, mode=self._mode.value)
        kernel = np.arange(-n, n + 1, dtype=np.float64)
        windows = np.stack([padded[..., k:k + t] for k in range(2 * n + 1)], axis=-1)
        return _float_result(windows @ kernel / (n * (n + 1) * (2 * n + 1) / 3), x)
