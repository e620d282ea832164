"""MindSpore 2.10's sampler randomness, drawn as its C++ draws it: std::mt19937 (NumPy's MT19937 with the same
seeding, read 32 bits at a time), libstdc++'s uniform_int_distribution (the division method: its build's; the newer
multiply method gives the same small orders but not the 300-row one) and its std::shuffle (two swap positions from one draw
while n * n fits the generator's range). Checked against MindSpore 2.10's RandomSampler orders (seeds 0, 1, 5, 1234,
7; 1 to 300 rows; probe /work/ms_suite_dataset6/probe/r1.py)."""
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


def _uniform(g: _MT19937, a: int, b: int) -> int:
    """uniform_int_distribution(a, b)(g): the division method (scale down, reject the top remainder)."""
    span = b - a
    if span == _RANGE:
        return g() + a
    scaling = _RANGE // (span + 1)
    past = (span + 1) * scaling
    while True:
        r = g()
        if r < past:
            return r // scaling + a


def seeded_shuffle(values: list, seed: int) -> None:
    """std::shuffle(values, std::mt19937(seed)) in place."""
    n, g = len(values), _MT19937(seed)
    if n < 2:
        return
    if _RANGE // n >= n:
        i = 1
        if n % 2 == 0:
            j = _uniform(g, 0, 1)
            values[i], values[j] = values[j], values[i]
            i += 1
        while i != n:
            r = i + 1
            x = _uniform(g, 0, r * (r + 1) - 1)
            for j in (x // (r + 1), x % (r + 1)):
                values[i], values[j] = values[j], values[i]
                i += 1
        return
    for i in range(1, n):
        j = _uniform(g, 0, i)
        values[i], values[j] = values[j], values[i]


def uniform_draws(seed: int, n: int, count: int) -> list[int]:
    """count draws of uniform_int_distribution(0, n - 1) from std::mt19937(seed)."""
    g = _MT19937(seed)
    return [_uniform(g, 0, n - 1) for _ in range(count)]
