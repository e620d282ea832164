"""ops.UniformCandidateSampler(num_true, num_sampled, unique, range_max, seed=0, remove_accidental_hits=False)
(true_classes [batch, num_true]) -> (sampled_candidates [num_sampled], true_expected_count [batch, num_true],
sampled_expected_count [num_sampled]).

Candidates are drawn uniformly from [0, range_max) (without repeats when unique: draws until num_sampled
distinct values, counting the tries). Every expected count is the same number (uniform sampling): p *
num_sampled with p = 1 / range_max when no draw repeated, else -expm1(tries * log1p(-p)) (MindSpore 2.10
on CPU, checked against it). remove_accidental_hits changes nothing on MindSpore 2.10's CPU kernel either.
The draw is per-run data (a Parameter the program draws anew before each run, as dropout's masks:
ops/_dropout.py), from `seed`'s own generator when seed is not 0 (two samplers with one seed draw alike),
else from the one `set_seed` seeds. MindSpore's own bits are not reproduced, only the distribution."""
from __future__ import annotations

import math

import numpy as np

from .._misc import op_generator, random_ops_generator
from .._tensor import Parameter, Tensor
from .._trace import current
from ._extra import P

__all__ = ["UniformCandidateSampler"]


class _DrawParameter(Parameter):
    """Per-run random data: `draw()` gives the new value before each run. It takes no gradient."""

    def __init__(self, draw, shape, dtype: str):
        super().__init__(Tensor(np.zeros(shape, dtype)), name="random_draw", requires_grad=False)
        self._draw_fn = draw
        self._bump()  # data, not graph identity

    def gs_draw(self) -> None:
        self._data = np.asarray(self._draw_fn(), self._dtype)
        self._bump()


class UniformCandidateSampler:
    """See the module's doc."""

    def __init__(self, num_true, num_sampled, unique, range_max, seed=0, remove_accidental_hits=False):
        for name, v in (("num_true", num_true), ("num_sampled", num_sampled), ("range_max", range_max)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"For 'UniformCandidateSampler', '{name}' must be an int >= 1, got {v!r}")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"For 'UniformCandidateSampler', 'seed' must be an int >= 0, got {seed!r}")
        if unique and num_sampled > range_max:
            raise ValueError("For 'UniformCandidateSampler', the value of num_sampled should be <= value of "
                             f"range_max: {range_max}, but got {num_sampled}.")
        self.num_true, self.num_sampled, self.range_max = num_true, num_sampled, range_max
        self.unique, self.remove_accidental_hits = bool(unique), bool(remove_accidental_hits)
        self._rng = op_generator(seed) if seed else None

    def _sample(self) -> np.ndarray:
        """[num_sampled candidates..., expected count] as float64 (exact for ints below 2**53)."""
        rng = self._rng if self._rng is not None else random_ops_generator()
        n, p = self.num_sampled, 1.0 / self.range_max
        if self.unique:
            seen: dict[int, None] = {}
            tries = 0
            while len(seen) < n:
                seen.setdefault(int(rng.integers(0, self.range_max)))
                tries += 1
            picks = list(seen)
        else:
            picks, tries = [int(v) for v in rng.integers(0, self.range_max, size=(n,))], n
        count = p * n if tries == n else -math.expm1(tries * math.log1p(-p))
        return np.array([*picks, count], np.float64)

    def __call__(self, true_classes):
        if not isinstance(true_classes, Tensor) or true_classes._dtype not in ("int32", "int64"):
            raise TypeError("For 'UniformCandidateSampler', 'true_classes' must be an int32 or int64 Tensor, got "
                            f"{getattr(true_classes, 'dtype', type(true_classes).__name__)}")
        if true_classes.ndim != 2 or true_classes.shape[1] != self.num_true:
            raise ValueError(f"For 'UniformCandidateSampler', 'true_classes' must have shape [batch, num_true="
                             f"{self.num_true}], got {list(true_classes.shape)}")
        n = self.num_sampled
        if current() is None:
            drawn = Tensor(self._sample())
        else:
            drawn = _DrawParameter(self._sample, (n + 1,), "float64")
        candidates = P.cast(drawn[:n], true_classes._dtype)
        count = P.cast(drawn[n:], "float32")
        return (candidates, P.broadcast_to(count, tuple(true_classes.shape)), P.broadcast_to(count, (n,)))


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=0,
                              remove_accidental_hits=False):
    """ops.uniform_candidate_sampler: UniformCandidateSampler(...)(true_classes), MindSpore 2.10's function form."""
    return UniformCandidateSampler(num_true, num_sampled, unique, range_max, seed, remove_accidental_hits)(true_classes)


__all__ += ["uniform_candidate_sampler"]
