"""`mindspore.common.initializer`: `initializer(init, shape, dtype)` and the initializer classes.

Values are drawn on the client with NumPy (seeded by `set_seed`), following the distributions
MindSpore documents (Normal(sigma=0.01), Uniform(scale=0.07), XavierUniform, HeUniform, HeNormal,
TruncatedNormal(sigma=0.01), Zero, One, Constant)."""
from __future__ import annotations

import math

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor


def _fans(shape) -> tuple[int, int]:
    if len(shape) < 2:
        n = int(shape[0]) if shape else 1
        return n, n
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return int(shape[1]) * receptive, int(shape[0]) * receptive


class Initializer:
    def __call__(self, shape) -> np.ndarray:
        return self._sample(tuple(int(s) for s in shape))

    def _sample(self, shape):  # pragma: no cover - every subclass defines it
        raise NotImplementedError


class Zero(Initializer):
    def _sample(self, shape):
        return np.zeros(shape)


class One(Initializer):
    def _sample(self, shape):
        return np.ones(shape)


class Constant(Initializer):
    def __init__(self, value):
        self.value = value

    def _sample(self, shape):
        return np.full(shape, self.value)


class Normal(Initializer):
    def __init__(self, sigma=0.01, mean=0.0):
        self.sigma, self.mean = sigma, mean

    def _sample(self, shape):
        return np.random.normal(self.mean, self.sigma, shape)


class TruncatedNormal(Initializer):
    def __init__(self, sigma=0.01, mean=0.0, a=-2.0, b=2.0):
        self.sigma, self.mean, self.a, self.b = sigma, mean, a, b

    def _sample(self, shape):
        v = np.random.normal(self.mean, self.sigma, shape)
        lo, hi = self.mean + self.a * self.sigma, self.mean + self.b * self.sigma
        bad = (v < lo) | (v > hi)
        while bad.any():
            v[bad] = np.random.normal(self.mean, self.sigma, int(bad.sum()))
            bad = (v < lo) | (v > hi)
        return v


class Uniform(Initializer):
    def __init__(self, scale=0.07):
        self.scale = scale

    def _sample(self, shape):
        return np.random.uniform(-self.scale, self.scale, shape)


class XavierUniform(Initializer):
    def __init__(self, gain=1):
        self.gain = gain

    def _sample(self, shape):
        fan_in, fan_out = _fans(shape)
        bound = self.gain * math.sqrt(6.0 / (fan_in + fan_out))
        return np.random.uniform(-bound, bound, shape)


class HeUniform(Initializer):
    def __init__(self, negative_slope: float = 0, mode="fan_in", nonlinearity="leaky_relu"):
        self.slope, self.mode = negative_slope, mode

    def _sample(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = fan_in if self.mode == "fan_in" else fan_out
        bound = math.sqrt(2.0 / (1 + self.slope ** 2)) * math.sqrt(3.0 / fan)
        return np.random.uniform(-bound, bound, shape)


class HeNormal(HeUniform):
    def _sample(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = fan_in if self.mode == "fan_in" else fan_out
        return np.random.normal(0.0, math.sqrt(2.0 / (1 + self.slope ** 2)) / math.sqrt(fan), shape)


_BY_NAME = {"zeros": Zero, "zero": Zero, "ones": One, "one": One, "normal": Normal, "uniform": Uniform,
            "truncatednormal": TruncatedNormal, "xavier_uniform": XavierUniform, "xavieruniform": XavierUniform,
            "he_uniform": HeUniform, "heuniform": HeUniform, "he_normal": HeNormal, "henormal": HeNormal}


def initializer(init, shape=None, dtype=_dt.float32) -> Tensor:
    """A Tensor of `shape` and `dtype` from `init`: a name ('normal', 'zeros', 'xavier_uniform', ...),
    an Initializer, a number, or a Tensor / array (whose shape must match)."""
    dt = _dt.to_name(dtype)
    if isinstance(init, (Tensor, np.ndarray)):
        a = np.asarray(init._host_copy() if isinstance(init, Tensor) else init)
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise ValueError(f"initializer: the Tensor's shape {list(a.shape)} is not {list(shape)}")
        return Tensor(a.astype(dt))
    shape = () if shape is None else ((int(shape),) if isinstance(shape, int) else tuple(shape))
    if isinstance(init, str):
        cls = _BY_NAME.get(init.lower())
        if cls is None:
            raise ValueError(f"unknown initializer {init!r}; known: {', '.join(sorted(_BY_NAME))}")
        init = cls()
    if isinstance(init, (bool, int, float)):
        init = Constant(init)
    if not isinstance(init, Initializer):
        raise TypeError(f"initializer: init must be a name, a number, a Tensor or an Initializer, got {init!r}")
    return Tensor(np.asarray(init(shape)).astype(dt))


__all__ = ["initializer", "Initializer", "Zero", "One", "Constant", "Normal", "TruncatedNormal", "Uniform",
           "XavierUniform", "HeUniform", "HeNormal"]


late.bind(initializer=initializer)  # `Tensor(shape=..., init=One())` in _tensor, a layer below
