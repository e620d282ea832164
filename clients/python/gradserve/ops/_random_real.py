"""MindSpore's UniformReal(seed=0, seed2=0)(shape) (float32 in [0, 1)) and TruncatedNormal(dtype=float32, seed=0,
seed2=0)(shape) (N(0, 1) kept within [-2, 2]: MindSpore 2.10's draws of 200,000 have variance 0.771 and |x| < 2,
the truncated law's 0.774). Drawn on the client as the other random ops (ops/_random_draws.py: eagerly, or per run
inside a trace); MindSpore's own bits are not reproduced. Argument rules and texts: MindSpore 2.10's."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._misc import random_ops_generator
from .._tensor import Tensor
from ._random_draws import _generator, _out, _shape_from_tensor

__all__ = ["UniformReal", "TruncatedNormal"]


def _seeds(where: str, *seeds) -> list:
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"For '{where}', the 'seed' must be int, but got '{type(s).__name__}'")
        if s < 0:
            raise ValueError(f"For '{where}', the 'seed' must be int and must >= 0, but got '{s}' with type 'int'.")
    return list(seeds)


class UniformReal:
    """ops.UniformReal(seed=0, seed2=0)(shape): float32 draws in [0, 1); shape a tuple of ints or a 1-D int
    Tensor; one op draws anew on each call, two ops of the same nonzero seeds the same values."""

    def __init__(self, seed=0, seed2=0):
        self.seed, self.seed2 = _seeds("UniformReal", seed, seed2)
        self._rng = _generator([self.seed, self.seed2])

    def __call__(self, shape):
        if isinstance(shape, Tensor):
            dims = _shape_from_tensor(shape, "UniformReal")
        elif isinstance(shape, tuple) and all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
            for i, d in enumerate(shape):
                if d < 0:
                    raise ValueError(f"For primitive[UniformReal], the the {i}th dimension of input shape must be "
                                     f"greater than or equal to 0, but got {d}.")
            dims = shape
        else:
            raise TypeError(f"For 'UniformReal', 'shape' must be a tuple of ints or a 1-D int Tensor, got "
                            f"{type(shape).__name__}")
        rng = self._rng
        return _out(lambda: (rng or random_ops_generator()).random(size=dims), dims, "float32", "UniformReal")


def _truncated(rng, dims: tuple) -> np.ndarray:
    """N(0, 1) draws with every one outside [-2, 2] drawn again (about 4.6% a round)."""
    out = rng.standard_normal(size=dims)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(out) > 2
    return out


class TruncatedNormal:
    """ops.TruncatedNormal(dtype=float32, seed=0, seed2=0)(shape): shape a 1-D int32 / int64 Tensor of at least
    two elements (MindSpore 2.10's CPU kernel's rule); dtype float16 / float32 / float64."""

    def __init__(self, dtype=_dt.float32, seed=0, seed2=0):
        name = _dt.to_name(dtype) if dtype is not None else None
        if name not in ("float16", "float32", "float64"):
            raise TypeError(f"For 'TruncatedNormal', the 'dtype' should be one of [mindspore.float16, "
                            f"mindspore.float32, mindspore.float64], but got '{dtype!r}'.")
        self.dtype, (self.seed, self.seed2) = dtype, _seeds("TruncatedNormal", seed, seed2)
        self._name, self._rng = name, _generator([self.seed, self.seed2])

    def __call__(self, shape):
        if not isinstance(shape, Tensor):
            raise TypeError(f"For Primitive[TruncatedNormal], the type of input argument[shape] must be Tensor but "
                            f"got {type(shape).__name__}.")
        if shape._dtype not in ("int32", "int64"):
            raise TypeError(f"For primitive[TruncatedNormal], the input argument[shape] must be a type of "
                            f"{{Tensor[Int32], Tensor[Int64]}}, but got {shape.dtype!r}.")
        dims = _shape_from_tensor(shape, "TruncatedNormal")
        if len(dims) < 2:
            raise ValueError(f"For 'TruncatedNormal', the input tensor shape must >= 2, but got {len(dims)}")
        rng = self._rng
        return _out(lambda: _truncated(rng or random_ops_generator(), dims), dims, self._name, "TruncatedNormal")
