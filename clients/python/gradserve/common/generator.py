"""`mindspore.common.generator`: MindSpore 2.10's random-number generator state, a (seed, offset) pair held in
int64 Parameters (as MindSpore's, so a traced construct reads and advances it like any Parameter write).
`_step(n)` returns (seed, offset) and advances offset by n; `get_state()` is MindSpore's 16 uint8 bytes (seed,
then offset, little-endian int64), `set_state` takes them back; `manual_seed` sets the seed and a zero offset,
`seed()` a fresh random one. gradserve's random ops draw from their own generator (ops/_random_draws): none takes
a `generator=` argument yet, so this holds and steps the state that MindSpore's code keeps."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .. import ops as _ops
from .._tensor import Parameter, Tensor

__all__ = ["Generator", "default_generator", "seed", "manual_seed", "initial_seed", "set_rng_state", "get_rng_state"]


class Generator:
    """Generator(): seed 0, offset 0."""

    def __init__(self):
        self._seed = Parameter(Tensor(0, _dt.int64), name="seed", requires_grad=False)
        self._offset = Parameter(Tensor(0, _dt.int64), name="offset", requires_grad=False)

    def set_state(self, state) -> None:
        data = np.ascontiguousarray(state._host_copy() if isinstance(state, Tensor) else np.asarray(state))
        if data.dtype != np.uint8 or data.shape != (16,):
            raise ValueError(f"Generator.set_state: the state must be 16 uint8 values (get_state's), got "
                             f"{data.dtype} of shape {list(data.shape)}")
        seed_, offset = data.view("<i8")
        self._seed.set_data(Tensor(int(seed_), _dt.int64))
        self._offset.set_data(Tensor(int(offset), _dt.int64))

    def get_state(self) -> Tensor:
        pair = np.array([int(self._seed._host_copy()), int(self._offset._host_copy())], "<i8")
        return Tensor(pair.view(np.uint8).copy())

    def seed(self) -> int:
        """A fresh random seed (offset back to 0), returned."""
        new = int(np.random.default_rng().integers(0, 2 ** 32))
        self.manual_seed(new)
        return new

    def manual_seed(self, seed) -> "Generator":  # noqa: A002 - MindSpore's names
        if not isinstance(seed, int):
            raise TypeError("Seed must be an integer.")
        self._seed.set_data(Tensor(seed, _dt.int64))
        self._offset.set_data(Tensor(0, _dt.int64))
        return self

    def initial_seed(self) -> int:
        return int(self._seed._host_copy())

    def _step(self, step):
        """(seed, offset) as they are, then offset += step (MindSpore's random ops reserve step values)."""
        seed_, offset = self._seed + 0, self._offset + 0
        _ops.assign(self._offset, offset + step)
        return seed_, offset


def _random_seeded_generator() -> Generator:
    g = Generator()
    g.seed()
    return g


default_generator = _random_seeded_generator()


def seed() -> int:
    return default_generator.seed()


def manual_seed(seed) -> Generator:  # noqa: A002
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)
