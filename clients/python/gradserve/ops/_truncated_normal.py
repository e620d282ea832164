"""ops.ParameterizedTruncatedNormal(seed=0, seed2=0)(shape, mean, stdevs, min, max): draws of shape
(batch, *) from N(mean_b, stdevs_b) truncated to [min_b, max_b], one set of parameters per leading index (each
of shape () or (batch,), or (1,): MindSpore 2.10's CPU takes that too), in mean's dtype. Drawn on the client
as the other random ops (ops/_random_draws.py: eagerly, or per run inside a trace); MindSpore's own bits are
not reproduced, only the law. Also TruncatedNormal(dtype, seed, seed2)(shape): N(0, 1) within [-2, 2] (MindSpore
2.10's draws of 200,000: variance 0.771 and |x| < 2; the truncated law's 0.774). The standardized draw is exact rejection sampling (Robert 1995): a uniform
proposal on a short interval, a normal one on a wide interval around 0, an exponential one in a far tail."""
from __future__ import annotations

import numpy as np

from .._misc import random_ops_generator
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from .. import dtype as _dt
from ._random_draws import _generator, _out, _seed, _seeds_checked, _shape_from_tensor

__all__ = ["ParameterizedTruncatedNormal", "TruncatedNormal"]

_FLOATS = ("float16", "float32", "float64")


def _propose(rng, a, b):
    """One proposal per element of the standardized bounds a < b (b > 0), and whether it is accepted."""
    w = b - a
    uniform = (w <= 2.5) & (np.maximum(a, 0.0) * w <= 5.0)
    straddles = (a < 0.0) & ~uniform
    lam = (a + np.sqrt(a * a + 4.0)) / 2.0  # the exponential proposal's rate (a >= 0, far tail)
    u, z_norm = rng.uniform(size=a.shape), rng.standard_normal(size=a.shape)
    z_unif = a + w * rng.uniform(size=a.shape)
    z_exp = np.maximum(a, 0.0) + rng.exponential(size=a.shape) / lam
    m = np.where(a > 0.0, a, np.where(b < 0.0, b, 0.0))  # the bound nearest 0 (0 inside)
    z = np.where(uniform, z_unif, np.where(straddles, z_norm, z_exp))
    ok = np.where(uniform, u <= np.exp((m * m - z_unif * z_unif) / 2.0),
                  np.where(straddles, True, u <= np.exp(-((z_exp - lam) ** 2) / 2.0)))
    return z, ok & (z >= a) & (z <= b)


def _standard_truncated(rng, a, b):
    """Standard normal draws each truncated to its [a, b] (arrays of one shape, a < b)."""
    flip = b <= 0.0  # the law is symmetric: draw in [-b, -a] and negate, so that b > 0
    lo, hi = np.where(flip, -b, a), np.where(flip, -a, b)
    out, todo = np.zeros(a.shape), np.ones(a.shape, bool)
    for _ in range(10000):
        if not todo.any():
            break
        z, ok = _propose(rng, lo[todo], hi[todo])
        idx = np.flatnonzero(todo)[ok]
        out.flat[idx] = z[ok]
        todo.flat[idx] = False
    return np.where(flip, -out, out)


def _parameter(x, name: str, dtype: str, batch: int) -> np.ndarray:
    if not isinstance(x, Tensor):
        raise TypeError(f"For 'ParameterizedTruncatedNormal', '{name}' must be a Tensor, got {type(x).__name__}")
    if x._dtype != dtype:
        raise TypeError(f"For 'ParameterizedTruncatedNormal', '{name}' must have mean's dtype {dtype}, got {x.dtype}")
    if tuple(x.shape) not in ((), (1,), (batch,)):
        raise ValueError(f"For 'ParameterizedTruncatedNormal', '{name}' must have shape () or ({batch},), "
                         f"got {list(x.shape)}")
    value = x._concrete(f"ParameterizedTruncatedNormal's {name} (the draw is made on the client)")
    return np.broadcast_to(np.asarray(value, np.float64).reshape(-1), (batch,))


class ParameterizedTruncatedNormal:
    """One op draws anew on each call; two ops with the same seeds draw the same values."""

    def __init__(self, seed=0, seed2=0):
        where = "ParameterizedTruncatedNormal"
        self._rng = _generator([_seed(seed, where), _seed(seed2, where)])

    def __call__(self, shape, mean, stdevs, min, max):  # noqa: A002  (MindSpore's names)
        where = "ParameterizedTruncatedNormal"
        dims = _shape_from_tensor(shape, where)
        if len(dims) < 2 or 0 in dims:
            raise ValueError(f"For '{where}', 'shape' must have at least 2 elements, all positive, got {list(dims)}")
        if not isinstance(mean, Tensor) or mean._dtype not in _FLOATS:
            got = mean.dtype if isinstance(mean, Tensor) else type(mean).__name__
            raise TypeError(f"For '{where}', 'mean' must be a float16 / float32 / float64 Tensor, got {got}")
        mu, sd, lo, hi = (_parameter(x, n, mean._dtype, dims[0]) for x, n in
                          ((mean, "mean"), (stdevs, "stdevs"), (min, "min"), (max, "max")))
        if (sd <= 0).any():
            raise ValueError(f"For '{where}', every element of 'stdevs' must be > 0, got {sd.tolist()}")
        if (lo >= hi).any():
            raise ValueError(f"For '{where}', every element of 'min' must be < 'max', got {lo.tolist()} and "
                             f"{hi.tolist()}")
        per = (dims[0],) + (1,) * (len(dims) - 1)
        mu, sd, lo, hi = (np.broadcast_to(v.reshape(per), dims) for v in (mu, sd, lo, hi))

        def draw():
            z = _standard_truncated(self._rng or random_ops_generator(), (lo - mu) / sd, (hi - mu) / sd)
            return np.clip(mu + sd * z, lo, hi)
        return _out(draw, dims, mean._dtype, where)


class TruncatedNormal:
    """ops.TruncatedNormal(dtype=float32, seed=0, seed2=0)(shape): shape a 1-D int32 / int64 Tensor of at least
    two elements (MindSpore 2.10's CPU kernel's rule); dtype float16 / float32 / float64."""

    def __init__(self, dtype=_dt.float32, seed=0, seed2=0):
        name = _dt.to_name(dtype) if dtype is not None else None
        if name not in ("float16", "float32", "float64"):
            raise TypeError(f"For 'TruncatedNormal', the 'dtype' should be one of [mindspore.float16, "
                            f"mindspore.float32, mindspore.float64], but got '{dtype!r}'.")
        self.dtype, (self.seed, self.seed2) = dtype, _seeds_checked("TruncatedNormal", seed, seed2)
        self._name, self._rng = name, _generator([self.seed, self.seed2])

    def __call__(self, shape):
        if not isinstance(shape, Tensor):
            raise TypeError(f"For Primitive[TruncatedNormal], the type of input argument[shape] must be Tensor but "
                            f"got {type(shape).__name__}.")
        if shape._dtype not in ("int32", "int64"):
            raise input_dtype_error("TruncatedNormal", "shape", ("int32", "int64"), tensor_type(shape))
        dims = _shape_from_tensor(shape, "TruncatedNormal")
        if len(dims) < 2:
            raise ValueError(f"For 'TruncatedNormal', the input tensor shape must >= 2, but got {len(dims)}")
        rng = self._rng
        bounds = np.full(dims, 2.0)
        return _out(lambda: _standard_truncated(rng or random_ops_generator(), -bounds, bounds), dims, self._name,
                    "TruncatedNormal")
