"""`mindspore.dataset.MindDataset`: the rows of MindRecord files (mindrecord/_format.py), in MindSpore 2.10's orders
(probes /work/ms_suite_dataset6/probe/w3.py, w4.py, /work/ms_suite_dataset7/probe/p1.py, p4.py): files in the given
order (one file: its header's shards), rows as written; the shuffles (GLOBAL / ADAPTIVE / True / None, FILES, INFILE,
with replacement), shards by slice or by block: _mindrecord_order. Not followed (an order of gradserve's own, the rows
and counts as MindSpore's): Shuffle.PARTIAL."""
from __future__ import annotations

from typing import Iterator

import numpy as np

from . import Dataset, _checks, _rng
from . import _mindrecord_order as _order
from ._samplers import DistributedSampler, PassCount, RandomSampler, Shuffle, _Sampler, check_source_args
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
        if num_samples and shuffle in (Shuffle.FILES, Shuffle.INFILE):
            raise ValueError("'Shuffle.FILES' or 'Shuffle.INFILE' and 'num_samples' cannot be specified at the same "
                             "time.")
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
        self._shard: tuple[int, int] | None = (None if num_shards is None or shard_id is None
                                                else (num_shards, shard_id))
        self._sampler = sampler
        self._mode = _mode(shuffle)
        self._num = _checks.row_limit(num_samples)
        self._passes = PassCount()

    def _records(self) -> tuple[list[dict], list[int]]:
        """The rows of every file in order, and each file's row count (padded rows: one more block)."""
        per_file = [_format.read_rows(p, h) for p, h in zip(self._paths, self._headers)]
        rows = [r for f in per_file for r in f]
        counts = [len(f) for f in per_file]
        if self._num_padded:
            pad = {k: np.asarray(v) if not isinstance(v, bytes) else np.array([v], np.bytes_)
                   for k, v in (self._padded or {}).items()}
            rows += [pad] * self._num_padded
            counts.append(self._num_padded)
        return rows, counts

    def _order(self, n: int, counts: list[int]) -> list[int]:
        rng = _rng()
        epoch = self._passes.next(rng)
        sampler, mode, shard, num = self._sampler, self._mode, self._shard, self._num
        replacement = False
        if isinstance(sampler, (RandomSampler, DistributedSampler)) and sampler.get_child() is None:
            mode = _mode(sampler.shuffle)
            if isinstance(sampler, RandomSampler):
                replacement, num = sampler.replacement, sampler.num_samples
                if num and mode in (Shuffle.FILES, Shuffle.INFILE):  # (MindSpore 2.10's text and its log line's)
                    raise RuntimeError("Syntax error. MindDataset: Shuffle.kFiles or Shuffle.kInfile and num_samples "
                                       "cannot be specified at the same time.")
            else:
                shard, num = (sampler.num_shards, sampler.shard_id), sampler.num_samples
        elif isinstance(sampler, _Sampler):
            return sampler._indices(n, rng)
        if mode == Shuffle.PARTIAL:
            padded = self._num_padded or 0
            return _order.partial(counts[:-1] if padded else counts, padded, _seed(rng), epoch, shard, num,
                                  _order.by_block())
        if mode is None:
            order = list(range(n))
        elif shard is None and (replacement or (num is not None and self._sampler is None)):
            return _order.with_replacement(n, _seed(rng), epoch, num)
        else:
            order = _order.shuffled(n, counts, mode.value, _seed(rng), epoch, shard is not None, num)
        if shard is not None:
            order = _order.shard(order, shard[0], shard[1], _order.by_block())
        return order if num is None else order[: num]

    def add_sampler(self, new_sampler) -> None:
        """MindSpore's MappableDataset.add_sampler: new_sampler picks from the rows the current one gives (its
        checks: check_chain)."""
        current = self._sampler
        if current is None and self._shard is not None:
            ns, sid = self._shard
            current = DistributedSampler(ns, sid, shuffle=self._mode or False, num_samples=self._num)
        elif current is None and self._mode is not None:
            current = RandomSampler(replacement=self._num is not None, num_samples=self._num, shuffle=self._mode)
        if current is not None and current.get_shuffle_mode() == Shuffle.PARTIAL:
            raise RuntimeError("When multiple samplers are used, ensure that the shuffle of the current sampler "
                               "must not be Shuffle.PARTIAL.")
        if new_sampler.get_shuffle_mode() not in (Shuffle.GLOBAL, Shuffle.FALSE):
            raise RuntimeError("When multiple samplers are used, ensure that the shuffle of the input sampler must "
                               f"be Shuffle.FALSE or Shuffle.GLOBAL, but got: {new_sampler.get_shuffle_mode()}.")
        if current is not None:
            new_sampler.add_child(current)
        self._sampler, self._shard, self._mode, self._num = new_sampler, None, None, None

    def _rows(self) -> Iterator[tuple]:
        rows, counts = self._records()
        for i in self._order(len(rows), counts):
            yield tuple(rows[i][c] for c in self._cols)

    def output_shapes(self) -> list[list[int]]:
        """As Dataset's, but an empty array field is [] (MindSpore 2.10 reads it as a 0-d tensor of uninitialised
        memory, probe /work/ms_suite_dataset7/probe/e2.py; its rows here stay the empty arrays written)."""
        return [[] if np.size(v) == 0 and np.ndim(v) else list(np.shape(v)) for v in next(iter(self._rows()))]

    def get_dataset_size(self) -> int:
        rows, counts = self._records()
        return len(self._order(len(rows), counts))


def _mode(shuffle) -> Shuffle | None:
    """The ShardShuffle mode of a shuffle argument: None (no shuffle), GLOBAL (True, None, ADAPTIVE: its GLOBAL under
    100 million rows), PARTIAL, FILES or INFILE."""
    if shuffle is False or shuffle == Shuffle.FALSE:
        return None
    if shuffle in (None, True, Shuffle.ADAPTIVE):
        return Shuffle.GLOBAL
    return Shuffle(shuffle)
