"""`mindspore.dataset.audio.utils`: the enums the audio transforms take."""
from __future__ import annotations

from enum import Enum


class BorderType(str, Enum):
    """How ComputeDeltas pads the time axis (MindSpore 2.10's members and values)."""
    CONSTANT = "constant"
    EDGE = "edge"
    REFLECT = "reflect"
    SYMMETRIC = "symmetric"


class Interpolation(str, Enum):
    """How Flanger reads between delay-line samples."""
    LINEAR = "linear"
    QUADRATIC = "quadratic"


class MelType(str, Enum):
    """The mel scale: HTK's 2595 * log10(1 + f / 700), or Slaney's (linear below 1 kHz, logarithmic above)."""
    HTK = "htk"
    SLANEY = "slaney"


class Modulation(str, Enum):
    """Flanger's low-frequency oscillator shape."""
    SINUSOIDAL = "sinusoidal"
    TRIANGULAR = "triangular"


class NormType(str, Enum):
    """A mel filter bank's normalisation: none, or Slaney's (each triangle divided by its width: equal area)."""
    NONE = "none"
    SLANEY = "slaney"


class WindowType(str, Enum):
    """A short-time Fourier transform's window (MindSpore 2.10's members and values)."""
    BARTLETT = "bartlett"
    BLACKMAN = "blackman"
    HAMMING = "hamming"
    HANN = "hann"
    KAISER = "kaiser"


__all__ = ["BorderType", "Interpolation", "MelType", "Modulation", "NormType", "WindowType"]
