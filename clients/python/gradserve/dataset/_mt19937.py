"""MindSpore 2.10's sampler randomness, drawn as its C++ draws it: std::mt19937 (NumPy's MT19937 with the same
seeding, read 32 bits at a time; MindDataset's shuffle: std::minstd_rand0), libstdc++'s uniform_int_distribution
(the division method: its build's; the newer multiply method gives the same small orders but not the 300-row one)
and its std::shuffle (two swap positions from one draw while n * n fits the generator's range). Checked against
MindSpore 2.10's RandomSampler orders (seeds 0, 1, 5, 1234, 7; 1 to 300 rows; probe
/work/ms_suite_dataset6/probe/r1.py) and MindDataset's (test_mindspore_dataset6)."""
from __future__ import annotations

from typing import Any

import numpy as np

_RANGE = 0xFFFFFFFF  # mt19937's max - min


class _MT19937:
    """std::mt19937(seed)'s 32-bit outputs, in blocks (NumPy's RandomState seeds an int as std::mt19937 does)."""

    def __init__(self, seed: int):
        state: Any = np.random.RandomState(seed).get_state()
        key, pos = state[1], state[2]
        self._gen = np.random.MT19937()
        self._gen.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._block: list[int] = []
        self._at = 0

    def __call__(self) -> int:
        if self._at == len(self._block):
            self._block, self._at = self._gen.random_raw(1024).tolist(), 0
        self._at += 1
        return self._block[self._at - 1]


class _Minstd:
    """std::minstd_rand0(seed) (std::default_random_engine): x <- x * 16807 mod (2**31 - 1); a seed of 0 mod the
    modulus is 1. Its outputs less its min (1), so that they start at 0 as _MT19937's do."""
    RANGE = 2147483646 - 1  # max - min

    def __init__(self, seed: int):
        s = seed % 2147483647
        self._x = s or 1

    def __call__(self) -> int:
        self._x = self._x * 16807 % 2147483647
        return self._x - 1


def _uniform(g, a: int, b: int, g_range: int = _RANGE) -> int:
    """uniform_int_distribution(a, b)(g), g's outputs in 0 .. g_range: the division method (scale down, reject
    the top remainder)."""
    span = b - a
    if span == g_range:
        return g() + a
    scaling = g_range // (span + 1)
    past = (span + 1) * scaling
    while True:
        r = g()
        if r < past:
            return r // scaling + a


def seeded_shuffle(values: list, seed: int, engine: str = "mt19937") -> None:
    """std::shuffle(values, E(seed)) in place, E std::mt19937 or ("minstd_rand0") std::default_random_engine."""
    g = _Minstd(seed) if engine == "minstd_rand0" else _MT19937(seed)
    g_range = _Minstd.RANGE if engine == "minstd_rand0" else _RANGE
    n = len(values)
    if n < 2:
        return
    if g_range // n >= n:
        i = 1
        if n % 2 == 0:
            j = _uniform(g, 0, 1, g_range)
            values[i], values[j] = values[j], values[i]
            i += 1
        while i != n:
            r = i + 1
            x = _uniform(g, 0, r * (r + 1) - 1, g_range)
            for j in (x // (r + 1), x % (r + 1)):
                values[i], values[j] = values[j], values[i]
                i += 1
        return
    for i in range(1, n):
        j = _uniform(g, 0, i, g_range)
        values[i], values[j] = values[j], values[i]


def uniform_draws(seed: int, n: int, count: int) -> list[int]:
    """count draws of uniform_int_distribution(0, n - 1) from std::mt19937(seed)."""
    g = _MT19937(seed)
    return [_uniform(g, 0, n - 1) for _ in range(count)]
