"""MindSpore 2.10's random picks: RandomCategorical / random_categorical (class indices drawn by rows of logits)
and RandomChoiceWithMask.

RandomChoiceWithMask(count=256, seed=0, seed2=0)(x): the coordinates of up to `count` of x's
True elements in a random order ([count, rank] int32) and which rows are real ([count] bool; the rest are
zeros / False). Each element gets a random key (per-run data: ops/_random_draws._out) and the True ones with the
largest keys are taken, in the graph. MindSpore's own bits are not reproduced, only the law."""
from __future__ import annotations

import math

import numpy as np

from .. import dtype as _dt
from .._misc import random_ops_generator
from .._tensor import Tensor
from ._extra import P, floor_div, floor_mod
from ._random_draws import _generator, _out, _seed

__all__ = ["RandomChoiceWithMask", "RandomCategorical", "random_categorical"]

_CATEGORICAL_OUT = ("int16", "int32", "int64")

_MAX_OUTPUT_BYTES = 2 ** 31  # gradserve's bound on the two outputs (MindSpore 2.10's CPU kernel fails to allocate)


class RandomChoiceWithMask:
    """See the module's doc."""

    def __init__(self, count=256, seed=0, seed2=0):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"For 'RandomChoiceWithMask', the 'count' must be int and must > 0, but got '{count}' "
                             f"with type '{type(count).__name__}'.")  # (MindSpore 2.10's text)
        self.count = count
        self._rng = _generator([_seed(seed, "RandomChoiceWithMask"), _seed(seed2 if seed2 >= 0 else 0,
                                                                            "RandomChoiceWithMask")])

    def __call__(self, input_x):
        if not isinstance(input_x, Tensor) or input_x._dtype != "bool":
            raise TypeError("For 'RandomChoiceWithMask', 'input_x' must be a bool Tensor, got "
                            f"{getattr(input_x, 'dtype', type(input_x).__name__)}")
        shape = tuple(input_x.shape)
        if not 1 <= len(shape) <= 5:
            raise ValueError(f"For 'RandomChoiceWithMask', the rank of 'input_x' must be in [1, 5], got {len(shape)}")
        if self.count * (len(shape) + 1) * 4 > _MAX_OUTPUT_BYTES:
            raise RuntimeError(f"For 'RandomChoiceWithMask', count={self.count} makes outputs of "
                               f"{self.count * (len(shape) + 1) * 4} bytes, above {_MAX_OUTPUT_BYTES}")
        n = math.prod(shape)
        rng = self._rng
        keys = _out(lambda: (rng or random_ops_generator()).random(n), (n,), "float32", "RandomChoiceWithMask")
        score = P.select(P.reshape(input_x, (n,)), keys, P.fill("float32", (n,), -1.0))
        k = min(self.count, n)
        vals, idx = P.top_k(score, k=k)
        mask = P.greater_equal(vals, 0.0)
        idx = P.cast(idx, "int32")
        strides = [math.prod(shape[d + 1:]) for d in range(len(shape))]
        coords = P.stack([floor_mod(floor_div(idx, s), d) if s > 1 else floor_mod(idx, d)
                          for s, d in zip(strides, shape)], 1)
        coords = P.select(P.broadcast_to(P.reshape(mask, (k, 1)), (k, len(shape))), coords, P.zeros_like(coords))
        if k < self.count:
            coords = P.concat([coords, Tensor(np.zeros((self.count - k, len(shape)), np.int32))], 0)
            mask = P.concat([mask, Tensor(np.zeros((self.count - k,), np.bool_))], 0)
        return coords, mask


def random_categorical(logits, num_sample, seed=0, dtype=None):
    """[batch, num_sample] class indices, each drawn with probabilities softmax(logits[b]). As MindSpore 2.10's CPU
    kernel: a non-zero seed gives the same draws on every call, 0 new ones each call, and sample j uses one uniform
    number for every row (the inverse of each row's CDF at it)."""
    name = "int64" if dtype is None else _dt.to_name(dtype)
    if name not in _CATEGORICAL_OUT:
        raise TypeError(f"For 'RandomCategorical', 'dtype' must be one of {list(_CATEGORICAL_OUT)}, got {name}")
    if not isinstance(logits, Tensor) or logits._dtype not in ("float16", "float32", "float64"):
        raise TypeError("For 'RandomCategorical', 'logits' must be a float16 / float32 / float64 Tensor, got "
                        f"{getattr(logits, 'dtype', type(logits).__name__)}")
    if logits.ndim != 2:
        raise ValueError(f"For 'RandomCategorical', 'logits' must be 2-D [batch, classes], got shape {list(logits.shape)}")
    for arg, v in (("num_sample", num_sample), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"For 'RandomCategorical', '{arg}' must be an int, got {type(v).__name__}")
    if num_sample < 1:
        raise ValueError(f"For 'RandomCategorical', 'num_sample' must be positive, got {num_sample}")

    def draw():
        return (np.random.default_rng(seed) if seed else random_ops_generator()).random(num_sample)
    u = _out(draw, (num_sample,), "float32", "RandomCategorical")
    x = P.cast(logits, "float32") if logits._dtype == "float16" else logits
    cdf = P.cumsum(P.exp(P.sub(x, P.amax(x, 1, True))), axis=1)  # [B, C], unnormalised
    total = P.reshape(P.gather(cdf, Tensor(np.array([int(x.shape[1]) - 1], np.int64)), 1), (-1, 1, 1))
    target = P.mul(total, P.reshape(P.cast(u, x.dtype), (1, num_sample, 1)))  # [B, S, 1]
    below = P.cast(P.less(P.expand_dims(cdf, 1), target), "int32")  # [B, S, C]: classes before the pick
    return P.cast(P.sum(below, -1), name)


class RandomCategorical:
    """P.RandomCategorical(dtype=int64)(logits, num_sample, seed=0): random_categorical."""

    def __init__(self, dtype=None):
        self.dtype = dtype

    def __call__(self, logits, num_sample, seed=0):
        return random_categorical(logits, num_sample, seed, self.dtype)
