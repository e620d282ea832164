"""`mindspore.dataset` samplers for the file datasets (_audio_files.py) and the sampler / shuffle / shard argument
checks MindSpore 2.10 gives them, with its texts. A sampler turns a row count into the row indices of one epoch; a
child sampler (add_child) picks first, and its parent picks among the child's rows."""
from __future__ import annotations

import math
from enum import Enum

import numpy as np

from . import _checks
from ._mt19937 import seeded_shuffle, uniform_draws
from .text._seq import pipeline_error

_INT64_MAX = 9223372036854775807


class Shuffle(str, Enum):
    """`mindspore.dataset.Shuffle`: the shuffle modes of the file datasets and MindDataset's RandomSampler."""
    FALSE = "false"
    ADAPTIVE = "adaptive"
    GLOBAL = "global"
    PARTIAL = "partial"
    FILES = "files"
    INFILE = "infile"


class PassCount:
    """How many passes over its rows a source made in the running iterator (0 first): MindSpore 2.10 reseeds a
    random sampler at each pass, an epoch's or a repeat's (seed + pass), and a new iterator starts again at 0. The
    iterator is known by its generator (config._for_iterator: one each). Outside an iterator (get_dataset_size) and
    unseeded (a random seed each pass anyway) it answers 0 and counts nothing."""

    def __init__(self):
        self._rng, self._n = None, 0

    def next(self, rng) -> int:
        from .config import _state

        if _state.get("active") is None or rng is not _state["active"]:
            return 0
        if rng is not self._rng:
            self._rng, self._n = rng, 0
        self._n += 1
        return self._n - 1


def check_chain(parent, child) -> None:
    """MindSpore 2.10's rule for a chain of samplers (add_child, Dataset.add_sampler): the child not PARTIAL, the
    parent GLOBAL or FALSE; its texts."""
    if child is not None and child.get_shuffle_mode() == Shuffle.PARTIAL:
        raise RuntimeError("When multiple samplers are used, ensure that the shuffle of the input sampler "
                           "must not be Shuffle.PARTIAL.")
    if parent.get_shuffle_mode() not in (Shuffle.GLOBAL, Shuffle.FALSE):
        raise RuntimeError("When multiple samplers are used, ensure that the shuffle of the current sampler "
                           f"must be Shuffle.FALSE or Shuffle.GLOBAL, but got: {parent.get_shuffle_mode()}.")


class _Sampler:
    """add_child / get_child and the chaining: _indices(n) is _draw over the child's rows (all n without one)."""

    _child = None
    num_samples: int | None = None

    def add_child(self, sampler) -> None:
        if not isinstance(sampler, _Sampler):  # (MindSpore 2.10 fails on the missing method, AttributeError)
            raise AttributeError(f"'{type(sampler).__name__}' object has no attribute 'get_shuffle_mode'")
        if self._child is not None:
            raise RuntimeError("Cannot add child sampler, this sampler already has a child.")
        check_chain(self, sampler)
        self._child = sampler

    def get_child(self):
        return self._child

    def get_shuffle_mode(self) -> "Shuffle":
        return Shuffle.FALSE

    def get_num_samples(self):
        return self.num_samples

    def _indices(self, n: int, rng) -> list[int]:
        if self._child is None:
            return self._draw(n, rng)
        ids = self._child._indices(n, rng)
        return [ids[i] for i in self._draw(len(ids), rng)]

    def _draw(self, n: int, rng) -> list[int]:
        raise NotImplementedError


class SequentialSampler(_Sampler):
    """Rows start_index, start_index + 1, ... (at most num_samples of them)."""

    def __init__(self, start_index=None, num_samples=None):
        self.start_index, self.num_samples = start_index, _checks.row_limit(num_samples)

    def _draw(self, n: int, rng) -> list[int]:
        if n and (self.start_index or 0) >= n:  # (MindSpore 2.10's text, when the rows are read)
            raise pipeline_error(f"Invalid parameter, start_index must be less than num_rows, but got start_index: "
                                 f"{self.start_index}, num_rows: {n}.")
        rows = list(range(self.start_index or 0, n))
        return rows if self.num_samples is None else rows[: self.num_samples]


class RandomSampler(_Sampler):
    """MindSpore 2.10's draws for a set seed (ds.config.set_seed): std::mt19937 seeded with seed + epoch, a
    permutation by libstdc++'s std::shuffle of the last epoch's permutation (epoch 0: of 0 .. n-1), or with
    replacement n draws of uniform_int_distribution(0, n - 1); at most num_samples rows, never more than n (a
    probe's 15 draws with replacement over 10 rows give 10); the epoch is the pass over the rows (PassCount). Unseeded: a seed drawn from the run's generator.
    shuffle (a Shuffle mode) matters to MindDataset only."""

    def __init__(self, replacement=False, num_samples=None, shuffle=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement must be a boolean value but was: {replacement}.")
        if num_samples is not None:
            if isinstance(num_samples, bool) or not isinstance(num_samples, int):
                raise TypeError(f"num_samples must be integer but was: {num_samples}.")
            if not 0 <= num_samples <= _INT64_MAX:
                raise ValueError(f"num_samples exceeds the boundary between 0 and {_INT64_MAX}(INT64_MAX)!")
        shuffle = Shuffle.GLOBAL if shuffle is None else shuffle
        if not isinstance(shuffle, Shuffle):
            raise TypeError(f"shuffle must be valid shuffle mode but was: {shuffle}.")
        self.replacement, self.num_samples, self.shuffle = replacement, num_samples, shuffle
        self._passes = PassCount()

    def get_shuffle_mode(self) -> Shuffle:
        return self.shuffle

    def _draw(self, n: int, rng) -> list[int]:
        from .config import _DEFAULT_SEED, _state

        if n == 0:
            return []
        seed = _state["seed"]
        if seed is None or seed == _DEFAULT_SEED:  # (MindSpore draws a seed from its random device then)
            seed = int(rng.randint(0, 2**32, dtype=np.uint64))
        epoch, count = self._passes.next(rng), min(self.num_samples or n, n)
        if self.replacement:
            return uniform_draws((seed + epoch) % 2**32, n, count)
        order = list(range(n))
        for e in range(epoch + 1):
            seeded_shuffle(order, (seed + e) % 2**32)
        return order[:count]


class DistributedSampler(_Sampler):
    """Shard shard_id of num_shards: ceil(n / num_shards) rows, every num_shards-th from shard_id, wrapping around
    (MindSpore 2.10: shard 1 of 2 over 3 rows is rows 1, 0). shuffle=True permutes the rows first (an order of its
    own, not MindSpore's)."""

    def __init__(self, num_shards, shard_id, shuffle: bool | Shuffle = True, num_samples=None, offset=-1):
        if offset != -1:  # (MindSpore 2.10: shard 0 of 2 over 5 rows with offset=1 is rows 1, 3; not followed here)
            raise NotImplementedError("DistributedSampler: offset is not supported by gradserve")
        self.num_shards, self.shard_id, self.shuffle = num_shards, shard_id, shuffle
        self.num_samples = _checks.row_limit(num_samples)

    def get_shuffle_mode(self) -> Shuffle:
        if isinstance(self.shuffle, Shuffle):
            return self.shuffle
        return Shuffle.GLOBAL if self.shuffle else Shuffle.FALSE

    def _draw(self, n: int, rng) -> list[int]:
        if n == 0:
            return []
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        rows = [int(order[(self.shard_id + k * self.num_shards) % n]) for k in range(math.ceil(n / self.num_shards))]
        return rows if self.num_samples is None else rows[: self.num_samples]


class PKSampler(_Sampler):
    """num_val rows of each class: it needs a class column, which gradserve's file datasets do not read."""

    def __init__(self, num_val, num_class=None, shuffle=False, class_column="label", num_samples=None):
        self.num_val, self.num_samples = num_val, num_samples

    def _draw(self, n: int, rng) -> list[int]:
        raise NotImplementedError("PKSampler is not supported by gradserve's file datasets (it needs a class "
                                  "column); use SequentialSampler, RandomSampler or DistributedSampler")


def check_source_args(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id) -> None:
    """A file dataset's num_samples / num_parallel_workers / shuffle / sampler / num_shards / shard_id, as MindSpore
    2.10 checks them (its classes and texts)."""
    for name, value in (("num_samples", num_samples), ("num_parallel_workers", num_parallel_workers),
                        ("num_shards", num_shards), ("shard_id", shard_id)):
        if value is not None:
            _checks.typed(name, value, (int,))
    if num_samples is not None and not 0 <= num_samples <= _INT64_MAX:
        raise ValueError(f"num_samples exceeds the boundary between 0 and {_INT64_MAX}(INT64_MAX)!")
    _checks.workers(num_parallel_workers)
    if sampler is not None:
        if shuffle is not None:
            raise RuntimeError("sampler and shuffle cannot be specified at the same time.")
        if num_shards is not None or shard_id is not None:
            raise RuntimeError("sampler and sharding cannot be specified at the same time.")
        if isinstance(sampler, str):  # (MindSpore 2.10's TypeError and text, test_celeba_sampler_exception)
            raise TypeError(f"Unsupported sampler object of type ({type(sampler)})")
        if not isinstance(sampler, _Sampler):
            raise NotImplementedError(f"sampler {type(sampler).__name__} is not supported by gradserve's file "
                                      "datasets; use SequentialSampler, RandomSampler or DistributedSampler")
    if num_shards is not None and shard_id is None:
        raise RuntimeError("num_shards is specified and currently requires shard_id as well.")
    if shard_id is not None and num_shards is None:
        raise RuntimeError("shard_id is specified but num_shards is not.")
    if num_shards is not None and shard_id is not None and not 0 <= shard_id < num_shards:
        raise ValueError(f"Input shard_id is not within the required interval of [0, {num_shards - 1}].")


def source_sampler(shuffle, sampler, num_shards, shard_id, num_samples):
    """The sampler the arguments ask for (checked by check_source_args): the given one, a shard (shuffled unless
    shuffle is False), or None (every row; shuffled unless shuffle is False; at most num_samples)."""
    if sampler is not None:
        return sampler
    if num_shards is not None:
        return DistributedSampler(num_shards, shard_id, shuffle is not False, num_samples)
    return None


def in_memory_sampler(random_access: bool, num_samples, shuffle, sampler, num_shards, shard_id):
    """GeneratorDataset's / NumpySlicesDataset's sampler (None: the source's own order) after MindSpore 2.10's checks
    and texts for them (num_parallel_workers left unchecked here): a sampler or a shard needs a random-access source."""
    for name, value in (("num_samples", num_samples), ("num_shards", num_shards), ("shard_id", shard_id)):
        if value is not None:
            _checks.typed(name, value, (int,))
    if num_samples is not None and not 0 <= num_samples <= _INT64_MAX:
        raise ValueError(f"num_samples exceeds the boundary between 0 and {_INT64_MAX}(INT64_MAX)!")
    if (num_shards is None) != (shard_id is None):
        raise ValueError("num_shards and shard_id need to be passed in together.")
    if num_shards is not None:
        if not 1 <= num_shards <= 2147483647:
            raise ValueError("Input num_shards is not within the required interval of [1, 2147483647].")
        if shard_id >= num_shards:
            raise ValueError("shard_id should be less than num_shards.")
        if shard_id < 0:  # (MindSpore 2.10 refuses it when the rows are read; its text is its C++ check's)
            raise pipeline_error(f"Invalid parameter, shard_id must be in [0, {num_shards}), but got {shard_id}.")
    if sampler is not None and (num_samples is not None or shuffle is not None or num_shards is not None):
        raise ValueError(f"Conflicting arguments during sampler assignments. num_samples: {num_samples}, num_shards: "
                         f"{num_shards}, shard_id: {shard_id}, shuffle: {shuffle}.")
    if not random_access:
        for name, value in (("sampler", sampler), ("num_shards", num_shards)):
            if value is not None:
                raise ValueError(f"{name} is not supported if source does not have attribute '__getitem__'.")
    if sampler is not None and not isinstance(sampler, _Sampler):
        raise NotImplementedError(f"sampler {type(sampler).__name__} is not supported by gradserve's datasets; use "
                                  "SequentialSampler or DistributedSampler")
    return source_sampler(shuffle, sampler, num_shards, shard_id, num_samples)
