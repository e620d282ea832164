"""ops.multinomial_with_replacement / ops.MultinomialWithReplacement (MindSpore 2.10's CPU op): numsamples int64
class indices per row of 1-D or 2-D non-negative weights. With replacement each draw follows the row's weights;
without, the row's classes in a weighted random order (exponential races: each class's key is Exp(1) / weight,
zero-weight classes last, by index), its first numsamples, as MindSpore (which then also returns zero-weight
classes once the others are used up). seed -1 with offset 0: the shared generator (`set_seed`); otherwise a
generator seeded by (seed, offset) anew at each call, so a call repeats its draw, as MindSpore's does. The draws
are numpy's, not MindSpore's bits (see ops/_random_draws.py)."""
from __future__ import annotations

import numpy as np

from .._misc import random_ops_generator
from .._tensor import Tensor
from ._random_draws import _out

__all__ = ["multinomial_with_replacement", "MultinomialWithReplacement"]

_WHERE = "MultinomialWithReplacement"


def _int(v, name: str) -> int:
    if isinstance(v, Tensor):
        if v._dtype != "int64" or v.size != 1:
            raise TypeError(f"For '{_WHERE}', '{name}' must be an int64 scalar Tensor, got {v.dtype} of shape "
                            f"{list(v.shape)}")
        return int(v._concrete(f"{_WHERE}'s {name}").reshape(-1)[0])
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"For '{_WHERE}', '{name}' must be an int, got {type(v).__name__}")
    return int(v)


def _weights(x, numsamples: int, replacement: bool) -> np.ndarray:
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{_WHERE}', 'x' must be a Tensor, got {type(x).__name__}")
    if x._dtype not in ("float16", "float32", "float64"):
        raise TypeError(f"For '{_WHERE}', 'x' must be float16, float32 or float64, got {x.dtype}")
    if x.ndim not in (1, 2):
        raise ValueError(f"For '{_WHERE}', 'x' must have a rank of 1 or 2, but got rank {x.ndim}.")
    if numsamples <= 0:
        raise ValueError(f"For '{_WHERE}', 'numsamples' should be a nonnegative number, but got {numsamples}.")
    if not replacement and numsamples > x.shape[-1]:
        raise ValueError(f"For '{_WHERE}', the value of numsamples must equal or less than x_shape[-1], but got "
                         f"{numsamples}.")
    w = np.asarray(x._concrete(f"{_WHERE}'s weights (the draw is made on the client)"), np.float64)
    w = w.reshape(-1, x.shape[-1])
    if not np.isfinite(w).all():
        raise ValueError(f"For '{_WHERE}', each element of 'x' must be finite.")
    if (w < 0).any():
        raise ValueError(f"For '{_WHERE}' , each element of 'x' must be equal or greater than 0.")
    if (w.sum(1) <= 0).any():
        raise ValueError(f"For '{_WHERE}' , the sum of each row of 'x' must be greater than 0.")
    return w


def _draw(w: np.ndarray, numsamples: int, replacement: bool, g: np.random.Generator) -> np.ndarray:
    if replacement:
        return np.stack([g.choice(w.shape[1], numsamples, p=row / row.sum()) for row in w])
    with np.errstate(divide="ignore"):
        keys = g.standard_exponential(w.shape) / w  # (zero weight: inf, after every positive one)
    return np.argsort(keys, axis=1, kind="stable")[:, :numsamples]


def multinomial_with_replacement(x, seed, offset, numsamples, replacement=False):
    """MindSpore's ops.multinomial_with_replacement(x, seed, offset, numsamples, replacement=False)."""
    seed, offset = _int(seed, "seed"), _int(offset, "offset")
    if isinstance(numsamples, bool) or not isinstance(numsamples, int):
        raise TypeError(f"For '{_WHERE}', 'numsamples' must be an int, got {type(numsamples).__name__}")
    if not isinstance(replacement, bool):
        raise TypeError(f"For '{_WHERE}', 'replacement' must be a bool, got {type(replacement).__name__}")
    w = _weights(x, numsamples, replacement)
    shape = tuple(x.shape[:-1]) + (numsamples,)
    seeded = not (seed == -1 and offset == 0)

    def draw():
        g = np.random.default_rng([seed % 2 ** 64, offset % 2 ** 64]) if seeded else random_ops_generator()
        return _draw(w, numsamples, replacement, g).reshape(shape)
    return _out(draw, shape, "int64", _WHERE)


class MultinomialWithReplacement:
    """ops.MultinomialWithReplacement(numsamples, replacement=False)(x, seed, offset)."""

    def __init__(self, numsamples, replacement=False):
        self.numsamples, self.replacement = numsamples, replacement

    def __call__(self, x, seed, offset):
        return multinomial_with_replacement(x, seed, offset, self.numsamples, self.replacement)
