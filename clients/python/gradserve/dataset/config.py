"""`mindspore.dataset.config`: the seed of the datasets' shuffles."""
from __future__ import annotations

import numpy as np

_state: dict = {"seed": None, "rng": None}


def set_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"dataset.config.set_seed: seed must be an int in [0, 2**32), got {seed!r}")
    _state["seed"], _state["rng"] = seed, np.random.RandomState(seed)


def get_seed() -> int | None:
    return _state["seed"]


def _generator():
    return _state["rng"]


__all__ = ["set_seed", "get_seed"]
