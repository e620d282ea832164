"""`mindspore.dataset.MindDataset`: the rows of MindRecord files (mindrecord/_format.py), in MindSpore 2.10's orders
(probes /work/ms_suite_dataset6/probe/w3.py, w4.py): files in the given order (one file: its header's shards), rows
as written; a shard (num_shards) every num_shards-th row from shard_id, wrapping to fill ceil(n / num_shards);
shuffle (None, True, GLOBAL, ADAPTIVE) and RandomSampler the permutation std::shuffle makes with
std::default_random_engine (minstd_rand0) seeded with seed + 1 + epoch, applied to the last epoch's permutation
(with num_shards: to rows 0 .. n-1 each epoch; an epoch is a pass over the rows, a repeat's too), before the shard is cut. Not followed (an order of gradserve's own, the rows and counts as MindSpore's):
Shuffle.FILES / INFILE / PARTIAL, num_samples with a shuffle (MindSpore then draws rows with replacement: so here),
RandomSampler(replacement=True)."""
from __future__ import annotations

from typing import Iterator

import numpy as np

from . import Dataset, _checks, _rng
from ._mt19937 import seeded_shuffle
from ._samplers import PassCount, RandomSampler, Shuffle, _Sampler, check_source_args
from ..mindrecord import _format


def _seed(rng) -> int:
    from .config import _DEFAULT_SEED, _state

    seed = _state["seed"]
    return int(rng.randint(0, 2**31)) if seed is None or seed == _DEFAULT_SEED else seed


class MindDataset(Dataset):
    def __init__(self, dataset_files, columns_list=None, num_parallel_workers=None, shuffle=None, num_shards=None,
                 shard_id=None, sampler=None, padded_sample=None, num_padded=None, num_samples=None, cache=None):
        if not isinstance(dataset_files, (str, list)):
            raise TypeError(f"Argument dataset_files with value {dataset_files} is not of type [<class 'str'>, "
                            f"<class 'list'>], but got {type(dataset_files)}.")
        if shuffle is not None and not isinstance(shuffle, (bool, Shuffle)):
            raise TypeError("shuffle must be of boolean or enum of 'Shuffle' values like 'Shuffle.GLOBAL' or "
                            "'Shuffle.FILES' or 'Shuffle.INFILE'.")
        check_source_args(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id)
        if padded_sample is not None and columns_list is None:
            raise RuntimeError("padded_sample is specified and requires columns_list as well.")
        if (padded_sample is None) != (num_padded is None):
            raise RuntimeError("padded_sample and num_padded must be specified together." if padded_sample is None
                               else "num_padded is specified but padded_sample is not.")
        if cache is not None:
            raise NotImplementedError("MindDataset: cache is not supported by gradserve")
        if isinstance(dataset_files, str):
            paths, headers = _format.open_shards(dataset_files)
        else:
            paths, headers = dataset_files, [_format.read_header(p) for p in dataset_files]
        schema = headers[0]["schema"][0]["schema"]
        self._paths, self._headers = paths, headers
        names = sorted(schema)
        if columns_list is not None:
            missing = [c for c in columns_list if c not in schema]
            if missing:
                raise RuntimeError(f"Invalid data, column name: {missing[0]} does not exist in schema.")
            names = list(columns_list)
        self._cols = names
        self._padded, self._num_padded = padded_sample, num_padded or 0
        self._shard = None if num_shards is None else (num_shards, shard_id)
        self._sampler = sampler
        self._shuffle = shuffle is not False and (shuffle is None or shuffle is True or
                                                  shuffle in (Shuffle.GLOBAL, Shuffle.ADAPTIVE))
        self._own_shuffle = shuffle in (Shuffle.FILES, Shuffle.INFILE, Shuffle.PARTIAL)
        self._num = _checks.row_limit(num_samples)
        self._passes = PassCount()

    def _records(self) -> list[dict]:
        rows = [r for p, h in zip(self._paths, self._headers) for r in _format.read_rows(p, h)]
        if self._num_padded:
            pad = {k: np.asarray(v) if not isinstance(v, bytes) else np.array([v], np.bytes_)
                   for k, v in (self._padded or {}).items()}
            rows += [pad] * self._num_padded
        return rows

    def _order(self, n: int) -> list[int]:
        rng = _rng()
        epoch = self._passes.next(rng)
        sampler = self._sampler
        if isinstance(sampler, RandomSampler) and sampler.get_child() is None and not sampler.replacement:
            global_ = sampler.shuffle in (Shuffle.GLOBAL, Shuffle.ADAPTIVE)
            order = self._permutation(n, rng, epoch) if global_ else [int(i) for i in rng.permutation(n)]
            return order[: min(sampler.num_samples or n, n)]
        if isinstance(sampler, _Sampler):
            return sampler._indices(n, rng)
        if self._own_shuffle:
            order = [int(i) for i in rng.permutation(n)]
        elif self._shuffle:
            if self._num is not None and self._shard is None:  # (MindSpore draws with replacement here)
                return [int(i) for i in rng.randint(0, n, size=min(self._num, n))]
            order = self._permutation(n, rng, epoch, fresh=self._shard is not None)
        else:
            order = list(range(n))
        if self._shard is not None:
            ns, s = self._shard
            order = [order[(s + k * ns) % n] for k in range(-(-n // ns))] if n else []
        return order if self._num is None else order[: self._num]

    @staticmethod
    def _permutation(n: int, rng, epoch: int, fresh: bool = False) -> list[int]:
        seed, order = _seed(rng), list(range(n))
        for e in range(epoch if fresh else 0, epoch + 1):
            seeded_shuffle(order, seed + 1 + e, "minstd_rand0")
        return order

    def _rows(self) -> Iterator[tuple]:
        rows = self._records()
        for i in self._order(len(rows)):
            yield tuple(rows[i][c] for c in self._cols)

    def get_dataset_size(self) -> int:
        return len(self._order(len(self._records())))
