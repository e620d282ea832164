"""ops.random_gamma(shape, alpha, seed=None) / ops.RandomGamma(seed=0, seed2=0)(shape, alpha): Gamma(alpha, 1)
draws of shape `shape` + alpha.shape in alpha's dtype (float16 / 32 / 64; shape a 1-D int32 / int64 Tensor), drawn
on the client as the other random ops (ops/_random_draws.py: eagerly, or per run inside a trace). MindSpore's own
bits are not reproduced, only the law and its argument rules (checked in MindSpore 2.10's venv)."""
from __future__ import annotations

import numpy as np

from .._misc import random_ops_generator
from .._tensor import Tensor
from ._random_draws import _generator, _out, _seed, _seeded, _shape_from_tensor

__all__ = ["random_gamma", "RandomGamma"]


def _gamma(shape, alpha, rng, where: str) -> Tensor:
    dims = _shape_from_tensor(shape, where)
    if not isinstance(alpha, Tensor) or alpha._dtype not in ("float16", "float32", "float64"):
        got = alpha.dtype if isinstance(alpha, Tensor) else type(alpha).__name__
        raise TypeError(f"For '{where}', 'alpha' must be a float16 / float32 / float64 Tensor, got {got}")
    a = np.asarray(alpha._concrete(f"{where}'s alpha (the draw is made on the client)"), np.float64)
    out_shape = dims + tuple(a.shape)
    return _out(lambda: (rng or random_ops_generator()).gamma(np.broadcast_to(a, out_shape)), out_shape,
                alpha._dtype, where)


def random_gamma(shape, alpha, seed=None):
    return _gamma(shape, alpha, _seeded("random_gamma", [_seed(seed, "random_gamma")]), "random_gamma")


class RandomGamma:
    """One op draws anew on each call; two ops with the same seeds draw the same values."""

    def __init__(self, seed=0, seed2=0):
        self._rng = _generator([_seed(seed, "RandomGamma"), _seed(seed2, "RandomGamma")])

    def __call__(self, shape, alpha):
        return _gamma(shape, alpha, self._rng, "RandomGamma")
