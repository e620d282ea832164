"""`mindspore.common.initializer`: `initializer(init, shape, dtype)` and the initializer classes.

Values are drawn on the client with NumPy (seeded by `set_seed`), following the distributions
MindSpore documents (Normal(sigma=0.01), Uniform(scale=0.07), XavierUniform, HeUniform, HeNormal,
TruncatedNormal(sigma=0.01), Zero, One, Constant, Identity, Dirac, Sparse, Orthogonal, VarianceScaling); a
user's subclass writes into the array MindSpore hands its `_initialize(arr)`. Draws under a seed are NumPy's,
not MindSpore's stream."""
from __future__ import annotations

import math

import numpy as np

from .. import dtype as _dt
from .._jit_forbidden import refuse
from .._late import late
from .._tensor import Tensor


def _fans(shape) -> tuple[int, int]:
    if len(shape) < 2:  # (MindSpore's check and text)
        raise ValueError("'fan_in' and 'fan_out' can not be computed for tensor with fewer than 2 dimensions, but "
                         f"got dimensions {len(shape)}.")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return int(shape[1]) * receptive, int(shape[0]) * receptive


class Initializer:
    def __new__(cls, *args, **kwargs):
        refuse("class", f"mindspore.common.initializer.{cls.__name__}")  # (in a program's graph: MindSpore's refusal)
        return super().__new__(cls)

    def __call__(self, shape) -> np.ndarray:
        return self._sample(tuple(int(s) for s in shape))

    def _sample(self, shape) -> np.ndarray:
        """A subclass of MindSpore's kind writes into the array: `_initialize(arr)`."""
        arr: np.ndarray = np.zeros(shape)
        self._initialize(arr)
        return arr

    def _initialize(self, arr):
        raise NotImplementedError(f"{type(self).__name__}: an Initializer subclass defines _initialize(arr)")


def _assignment(arr, num):
    """MindSpore's helper for `_initialize`: every element of arr set to num."""
    if arr.shape == ():
        arr = np.array(num)
    else:
        arr.fill(num)
    return arr


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
        return truncated_normal(np.random, self.mean, self.sigma, self.mean + self.a * self.sigma,
                                self.mean + self.b * self.sigma, shape)


def truncated_normal(rng, mean, sigma, lo, hi, shape) -> np.ndarray:
    """normal(mean, sigma) draws of rng (np.random or a Generator) within [lo, hi]: those outside drawn again."""
    v = rng.normal(mean, sigma, shape)
    bad = (v < lo) | (v > hi)
    while bad.any():
        v[bad] = rng.normal(mean, sigma, int(bad.sum()))
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


class Identity(Initializer):
    """The 2-D identity (ones on the diagonal of a rectangle)."""

    def _sample(self, shape):
        if len(shape) != 2:
            raise ValueError(f"For Identity initializer, the dimension of the initialized tensor should be 2, but got "
                             f"{len(shape)}.")
        return np.eye(shape[0], shape[1])


class Dirac(Initializer):
    """Ones at the kernel's centre of input channel d for output channel d, in each of `groups` blocks of output
    channels (3- to 5-D shapes)."""

    def __init__(self, groups=1):
        self.groups = groups

    def _sample(self, shape):
        if not 3 <= len(shape) <= 5:
            raise ValueError(f"For Dirac initializer, only support dimension of 3, 4 or 5, but got {len(shape)}.")
        if shape[0] % self.groups:
            raise ValueError(f"For Dirac initializer, the first dimension of the initialized tensor must be divisible "
                             f"by group, but got {shape[0]}/{self.groups}.")
        arr, per = np.zeros(shape), shape[0] // self.groups
        centre = tuple(n // 2 for n in shape[2:])
        for g in range(self.groups):
            for d in range(min(per, shape[1])):
                arr[(g * per + d, d, *centre)] = 1
        return arr


class Sparse(Initializer):
    """A 2-D normal(0, sigma) draw with ceil(sparsity * rows) zeros in each column."""

    def __init__(self, sparsity, sigma=0.01):
        self.sparsity, self.sigma = sparsity, sigma

    def _sample(self, shape):
        if len(shape) != 2:
            raise ValueError(f"For Sparse initializer, the dimension of the initialized tensor should be 2, but got "
                             f"{len(shape)}.")
        rows, cols = shape
        arr = np.random.normal(0, self.sigma, shape)
        zeros = int(math.ceil(self.sparsity * rows))
        for c in range(cols):
            arr[np.random.permutation(rows)[:zeros], c] = 0
        return arr


class Orthogonal(Initializer):
    """gain times a (semi-)orthogonal matrix (QR of a normal draw over shape[0] x the rest), shapes of 2-D and up."""

    def __init__(self, gain=1.):
        self.gain = gain

    def _sample(self, shape):
        if len(shape) < 2:
            raise ValueError(f"For Orthogonal initializer, the dimension should be greater or equal to 2, but got "
                             f"{len(shape)}.")
        rows, cols = shape[0], int(np.prod(shape[1:]))
        flat = np.random.normal(0, 1, (rows, cols))
        if rows < cols:
            flat = flat.T
        q, r = np.linalg.qr(flat)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)


class VarianceScaling(Initializer):
    """scale / fan (fan_in, fan_out or their mean) as the variance of a truncated normal, a normal, or a uniform."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
        if scale <= 0.:
            raise ValueError(f"For VarianceScaling initializer, scale must be greater than 0, but got {scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"For VarianceScaling initializer, mode must be fan_in, fan_out or fan_avg, but got "
                             f"{mode}.")
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"For VarianceScaling initializer, distribution must be uniform, truncated_norm or "
                             f"untruncated_norm, but got {distribution}.")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def _sample(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.}[self.mode]
        scale = self.scale / max(1., fan)
        if self.distribution == "truncated_normal":  # (the standard deviation of a normal truncated at +-2)
            return TruncatedNormal(math.sqrt(scale) / .87962566103423978)._sample(shape)
        if self.distribution == "untruncated_normal":
            return np.random.normal(0, math.sqrt(scale), shape)
        limit = math.sqrt(3.0 * scale)
        return np.random.uniform(-limit, limit, shape)


_BY_NAME = {"zeros": Zero, "zero": Zero, "ones": One, "one": One, "normal": Normal, "uniform": Uniform,
            "truncatednormal": TruncatedNormal, "xavier_uniform": XavierUniform, "xavieruniform": XavierUniform,
            "he_uniform": HeUniform, "heuniform": HeUniform, "he_normal": HeNormal, "henormal": HeNormal,
            "identity": Identity, "dirac": Dirac, "orthogonal": Orthogonal, "variancescaling": VarianceScaling}


def initializer(init, shape=None, dtype=_dt.float32) -> Tensor:
    """A Tensor of `shape` and `dtype` from `init`: a name ('normal', 'zeros', 'xavier_uniform', ...),
    an Initializer, a number, or a Tensor / array (whose shape must match)."""
    refuse("function", "mindspore.common.initializer.initializer")  # (in a program's graph: MindSpore's refusal)
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
           "XavierUniform", "HeUniform", "HeNormal", "Identity", "Dirac", "Sparse", "Orthogonal", "VarianceScaling"]


late.bind(initializer=initializer)  # `Tensor(shape=..., init=One())` in _tensor, a layer below
