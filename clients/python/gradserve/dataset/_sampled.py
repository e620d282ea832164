"""The file datasets' common part (_audio_files.py, _stl10.py): MindSpore 2.10's argument checks, the row order a
sampler (or shuffle / num_samples) gives over a listing of entries, and rows that name the file they came from (a
failing map step names it, as MindSpore's does)."""
from __future__ import annotations

import os

from . import Dataset, _checks, _rng
from ._samplers import check_source_args, source_sampler


class FileRow(tuple):
    """A row with the file it was read from: a map step's failing user function names it, as MindSpore's does."""
    file: str


def check_dir(dataset_dir) -> None:
    """dataset_dir a str naming a folder (MindSpore 2.10's TypeError / ValueError and texts)."""
    _checks.typed("dataset_dir", dataset_dir, (str,))
    if not os.path.isdir(dataset_dir):
        raise ValueError(f"The folder {dataset_dir} does not exist or is not a directory or permission denied!")


class SampledFiles(Dataset):
    """A file dataset whose rows are entries of a listing, in a sampler's order (_order)."""

    def __init__(self, num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache):
        check_source_args(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id)
        if cache is not None:
            raise NotImplementedError(f"{type(self).__name__}: cache is not supported by gradserve")
        self._sampler = source_sampler(shuffle, sampler, num_shards, shard_id, num_samples)
        self._shuffle, self._num = shuffle is not False, _checks.row_limit(num_samples)

    def _order(self, n: int) -> list[int]:
        """One epoch's entry indices out of n (shuffled draws come from the dataset's generator)."""
        rng = _rng()
        if self._sampler is not None:
            return self._sampler._indices(n, rng)
        order = [int(i) for i in (rng.permutation(n) if self._shuffle else range(n))]
        return order if self._num is None else order[: self._num]


def check_usage(usage, valid: list) -> str:
    """usage ("all" when None) one of valid (MindSpore 2.10's TypeError / ValueError and texts)."""
    usage = "all" if usage is None else usage
    _checks.typed("usage", usage, (str,))
    if usage not in valid:
        raise ValueError(f"Input usage is not within the valid set of {valid}.")
    return usage
