"""`mindspore.dataset.audio.GriffinLim` on NumPy: a waveform from a magnitude spectrogram (..., n_fft // 2 + 1, time)
by n_iter rounds of ISTFT / STFT (centred, reflect-padded, periodic window), as MindSpore 2.10 gives it (probes
/work/ms_suite_dataset3/probe/ms_gl.py, ms_gl2.py: 1e-6 off with momentum 0, 0.5 and 0.99). Its momentum step
is rebuilt + (rebuilt - previous) * momentum / (1 + momentum), not torchaudio's
rebuilt - previous * momentum / (1 + momentum)."""
from __future__ import annotations

import numpy as np

from . import _type_check, _within, _pipeline_error, _INT32_MAX, _FLOAT32_MAX
from .utils import WindowType

__all__ = ["GriffinLim"]


def _window(kind: WindowType, win: int, n_fft: int) -> np.ndarray:
    """The periodic window of win samples, zero-padded to n_fft in the middle (torch.stft's)."""
    n = np.arange(win) / win * 2 * np.pi
    w = {WindowType.HANN: lambda: 0.5 - 0.5 * np.cos(n),
         WindowType.HAMMING: lambda: 0.54 - 0.46 * np.cos(n),
         WindowType.BLACKMAN: lambda: 0.42 - 0.5 * np.cos(n) + 0.08 * np.cos(2 * n),
         WindowType.BARTLETT: lambda: 1 - np.abs(2 * np.arange(win) / win - 1)}[kind]()
    out = np.zeros(n_fft)
    left = (n_fft - win) // 2
    out[left:left + win] = w
    return out


def _stft(x: np.ndarray, n_fft: int, hop: int, w: np.ndarray) -> np.ndarray:
    x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)[..., ::hop, :]
    return np.swapaxes(np.fft.rfft(frames * w, axis=-1), -1, -2)


def _istft(spec: np.ndarray, n_fft: int, hop: int, w: np.ndarray) -> np.ndarray:
    frames = np.fft.irfft(np.swapaxes(spec, -1, -2), n=n_fft, axis=-1) * w
    count = frames.shape[-2]
    total = n_fft + hop * (count - 1)
    y = np.zeros(frames.shape[:-2] + (total,))
    env = np.zeros(total)
    for k in range(count):
        y[..., k * hop:k * hop + n_fft] += frames[..., k, :]
        env[k * hop:k * hop + n_fft] += w * w
    y = np.where(env > 1e-11, y / np.where(env > 1e-11, env, 1.0), y)
    return y[..., n_fft // 2:n_fft // 2 + hop * (count - 1)]


class GriffinLim:
    def __init__(self, n_fft=400, n_iter=32, win_length=None, hop_length=None, window_type=WindowType.HANN,
                 power=2.0, momentum=0.99, length=None, rand_init=True):
        for name, value, low in (("n_fft", n_fft, 1), ("n_iter", n_iter, 1), ("win_length", win_length, 0),
                                 ("hop_length", hop_length, 0)):
            if value is not None or low:
                _type_check(value, (int,), name)
                _within(value, low, _INT32_MAX, name)
        if win_length is not None and win_length > n_fft:  # (MindSpore 2.10's text)
            raise ValueError(f"Input win_length should be no more than n_fft, but got win_length: {win_length} "
                             f"and n_fft: {n_fft}.")
        if not isinstance(window_type, WindowType):
            raise TypeError(f"Argument window_type with value {window_type} is not of type [<enum 'WindowType'>], "
                            f"but got {type(window_type)}.")
        _type_check(power, (int, float), "power")
        _within(power, 0, _FLOAT32_MAX, "power", low_open=True)
        _type_check(momentum, (int, float), "momentum")
        _within(momentum, 0, _FLOAT32_MAX, "momentum")
        if length is not None:
            _type_check(length, (int,), "length")
            _within(length, 0, _INT32_MAX, "length")
        _type_check(rand_init, (bool,), "rand_init")
        if momentum >= 1:  # (MindSpore 2.10 checks it when a pipeline starts, before any row: here, at once)
            raise _pipeline_error(f"GriffinLim: momentum equal to or greater than 1 can be unstable, but got: "
                                  f"{float(momentum):.6f}")
        self._n_fft, self._n_iter, self._power, self._momentum = n_fft, n_iter, float(power), float(momentum)
        self._win = win_length or n_fft
        self._hop = hop_length or self._win // 2
        self._length, self._rand, self._kind = length or None, rand_init, window_type

    def __call__(self, x):
        spec = np.asarray(x)
        if spec.ndim < 2:
            raise _pipeline_error(f"GriffinLim: the input should be at least 2-D (..., freq, time), got shape "
                                  f"{spec.shape}")
        if spec.shape[-2] != self._n_fft // 2 + 1:  # (MindSpore 2.10's text, as its map gives it)
            raise _pipeline_error("map operation: [GriffinLim] failed. GriffinLim: the frequency of the input "
                                  "should equal to n_fft / 2 + 1")
        if self._length:  # (MindSpore 2.10: length=300 of a 500-sample result gives 300 NaNs, 2000 gives values to 659)
            raise _pipeline_error("GriffinLim: gradserve refuses length (MindSpore 2.10 gives NaN or unbounded "
                                  "values with it); leave length None")
        if self._rand or self._kind is WindowType.KAISER:  # (MindSpore's random phases and Kaiser beta: not known)
            raise _pipeline_error("GriffinLim: gradserve runs rand_init=False with a Hann, Hamming, Blackman or "
                                  "Bartlett window only (MindSpore's random first phases are its own)")
        return self._run(spec)

    def _run(self, spec: np.ndarray) -> np.ndarray:
        out_type = np.float64 if spec.dtype == np.float64 else np.float32
        mag = spec.astype(np.float64) ** (1.0 / self._power)
        w = _window(self._kind, self._win, self._n_fft)
        step = self._momentum / (1.0 + self._momentum)
        angles = np.ones(mag.shape, dtype=np.complex128)
        prev = np.zeros_like(angles)
        for _ in range(self._n_iter):
            rebuilt = _stft(_istft(mag * angles, self._n_fft, self._hop, w), self._n_fft, self._hop, w)
            angles = rebuilt + (rebuilt - prev) * step if self._momentum else rebuilt
            angles = angles / (np.abs(angles) + 1e-16)
            prev = rebuilt
        return _istft(mag * angles, self._n_fft, self._hop, w).astype(out_type)
