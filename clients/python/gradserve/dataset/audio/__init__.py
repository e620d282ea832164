"""`mindspore.dataset.audio`: InverseMelScale, BandBiquad, GriffinLim, Flanger, Phaser and ComputeDeltas, in the
client on NumPy (a map operation or called eagerly on an array), with MindSpore 2.10's argument checks and texts.
Other audio transforms are not here."""
from __future__ import annotations

import numpy as np

from .utils import MelType, NormType

_INT32_MAX = 2147483647
_FLOAT32_MAX = 16777216  # (MindSpore's bound on float arguments' size)


def _type_check(value, types: tuple, name: str) -> None:
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        shown = types if isinstance(value, bool) else list(types)  # (MindSpore's bool text shows the tuple)
        raise TypeError(f"Argument {name} with value {value} is not of type {shown}, but got {type(value)}.")


def _within(value, low, high, name: str, low_open: bool = False) -> None:
    ok = (low < value if low_open else low <= value) and value <= high
    if not ok:
        left = "(" if low_open else "["
        raise ValueError(f"Input {name} is not within the required interval of {left}{low}, {high}].")


def _hz_to_mel(f, mel_type: MelType):
    f = np.asarray(f, np.float64)
    if mel_type == MelType.HTK:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    linear = f / (200.0 / 3)  # Slaney: linear up to 1 kHz (15 mels), then log steps of log(6.4) / 27
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), linear)


def _mel_to_hz(m, mel_type: MelType):
    m = np.asarray(m, np.float64)
    if mel_type == MelType.HTK:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3))


def mel_filter_bank(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int, norm: NormType,
                    mel_type: MelType) -> np.ndarray:
    """(n_freqs, n_mels): triangles between n_mels + 2 points equally spaced on the mel scale over [f_min, f_max],
    read at n_freqs frequencies equally spaced over [0, sample_rate // 2]."""
    freqs = np.linspace(0.0, sample_rate // 2, n_freqs)
    pts = _mel_to_hz(np.linspace(_hz_to_mel(f_min, mel_type), _hz_to_mel(f_max, mel_type), n_mels + 2), mel_type)
    widths = np.diff(pts)
    slopes = pts[None, :] - freqs[:, None]
    fb = np.maximum(0.0, np.minimum(-slopes[:, :-2] / widths[:-1], slopes[:, 2:] / widths[1:]))
    if norm == NormType.SLANEY:
        fb = fb * (2.0 / (pts[2:n_mels + 2] - pts[:n_mels]))
    return fb


class InverseMelScale:
    """A linear-frequency spectrogram (..., n_stft, time) from a mel one (..., n_mels, time): the non-negative
    least-squares fit through the mel filter bank, by SGD with momentum from a uniform random start (MindSpore's
    method; its random start is its own, so values agree to the fit's accuracy, not bit for bit)."""

    def __init__(self, n_stft, n_mels=128, sample_rate=16000, f_min=0.0, f_max=None, max_iter=100000,
                 tolerance_loss=1e-5, tolerance_change=1e-8, sgdargs=None, norm=NormType.NONE, mel_type=MelType.HTK):
        _check_mel_args(n_mels, sample_rate, f_min, f_max, n_stft, norm, mel_type)
        _type_check(max_iter, (int,), "max_iter")
        _within(max_iter, 1, _INT32_MAX, "max_iter")
        for name, v in (("tolerance_loss", tolerance_loss), ("tolerance_change", tolerance_change)):
            _type_check(v, (int, float), name)
            _within(v, 0, _FLOAT32_MAX, name, low_open=True)
        sgdargs = {"sgd_lr": 0.1, "sgd_momentum": 0.9} if sgdargs is None else sgdargs
        for name in ("sgd_lr", "sgd_momentum"):
            _type_check(sgdargs[name], (int, float), name)
            _within(sgdargs[name], 0, _FLOAT32_MAX, name)
        self.n_stft, self.max_iter = n_stft, max_iter
        self.tolerance_loss, self.tolerance_change = float(tolerance_loss), float(tolerance_change)
        self.lr, self.momentum = float(sgdargs["sgd_lr"]), float(sgdargs["sgd_momentum"])
        f_max = float(sample_rate // 2) if f_max is None else float(f_max)
        self._fb = mel_filter_bank(n_stft, float(f_min), f_max, n_mels, sample_rate, norm, mel_type)

    def __call__(self, mel):
        mel = np.asarray(mel)
        if mel.ndim < 2:
            raise _pipeline_error("InverseMelScale: the shape of input tensor does not match the requirement of "
                                  "operator. Expecting tensor in shape of <..., freq, time>. But got tensor with "
                                  f"dimension {mel.ndim}.")
        if mel.shape[-2] != self._fb.shape[1]:
            raise _pipeline_error("InverseMelScale: n_mels must be equal to the penultimate dimension of input.")
        dtype = np.float64 if mel.dtype == np.float64 else np.float32  # (MindSpore's: float16 and ints give float32)
        fb = self._fb.astype(dtype)
        target = mel.reshape((-1,) + mel.shape[-2:]).swapaxes(-1, -2).astype(dtype)  # (batch, time, n_mels)
        spec = self._fit(target, fb).swapaxes(-1, -2)
        return spec if mel.ndim == 2 else spec.reshape(mel.shape[:-2] + spec.shape[-2:])  # (2-D: (1, n_stft, time))

    def _fit(self, target: np.ndarray, fb: np.ndarray) -> np.ndarray:
        """Minimise mean over (batch, time) of |target - spec @ fb|^2, spec >= 0 (clamped after each step)."""
        spec = np.random.random(target.shape[:-1] + (fb.shape[0],)).astype(target.dtype)
        velocity = np.zeros_like(spec)
        rows = target.shape[0] * target.shape[1]
        last = np.inf
        for _ in range(self.max_iter):
            diff = target - spec @ fb
            loss = float((diff * diff).sum(axis=-1).mean())
            grad = (-2.0 / rows) * (diff @ fb.T)
            velocity = self.momentum * velocity + grad
            spec = np.maximum(spec - self.lr * velocity, 0.0)
            if loss < self.tolerance_loss or abs(last - loss) < self.tolerance_change:
                break
            last = loss
        return spec


def _pipeline_error(message: str) -> RuntimeError:
    """MindSpore's text for a failing data transform (the first line is what its own tests match)."""
    return RuntimeError("Exception thrown from dataset pipeline. Refer to 'Dataset Pipeline Error Message'. \n\n"
                        f"- Dataset Pipeline Error Message: \n[ERROR] {message}\n")


from ._biquad import BandBiquad  # noqa: E402  (it uses the checks above)


def _check_mel_args(n_mels, sample_rate, f_min, f_max, n_stft, norm, mel_type) -> None:
    """MindSpore 2.10's checks of a mel scale's arguments, in its order and with its texts."""
    _type_check(n_mels, (int,), "n_mels")
    _within(n_mels, 1, _INT32_MAX, "n_mels")
    _type_check(sample_rate, (int,), "sample_rate")
    _within(sample_rate, 1, _INT32_MAX, "sample_rate")
    _type_check(f_min, (int, float), "f_min")
    if f_max is not None:
        _type_check(f_max, (int, float), "f_max")
        _within(f_max, 0, _FLOAT32_MAX, "f_max", low_open=True)
        if f_min >= f_max:
            raise ValueError("MelScale: f_max should be greater than f_min.")
    elif f_min >= sample_rate // 2:
        raise ValueError("MelScale: sample_rate // 2 should be greater than f_min when f_max is set to None.")
    _type_check(n_stft, (int,), "n_stft")
    _within(n_stft, 1, _INT32_MAX, "n_stft")
    _type_check(norm, (NormType,), "norm")
    _type_check(mel_type, (MelType,), "mel_type")


from ._griffinlim import GriffinLim  # noqa: E402  (it uses the checks above)
from ._effects import ComputeDeltas, Flanger, Phaser  # noqa: E402  (they use the checks above)
from .utils import BorderType, Interpolation, Modulation, WindowType  # noqa: E402

__all__ = ["BandBiquad", "BorderType", "ComputeDeltas", "Flanger", "GriffinLim", "Interpolation", "InverseMelScale",
           "MelType", "Modulation", "NormType", "Phaser", "WindowType"]
