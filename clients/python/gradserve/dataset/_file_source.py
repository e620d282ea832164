"""The file datasets' common part (_audio_files.py, _image_files.py, _stl10.py): MindSpore 2.10's argument checks,
and the user's own files, read here in the program, as rows of (what `_read` makes of a file, the entry's other
columns) in a sampler's order. Shuffled by default (an order of its own, not MindSpore's)."""
from __future__ import annotations

import os
from typing import Iterator

from . import Dataset, _checks, _rng
from ._samplers import check_source_args, source_sampler
from .audio import _pipeline_error


class FileRow(tuple):
    """A row with the file it was read from: a map step's failing user function names it, as MindSpore's does."""
    file: str


def check_dir(dataset_dir) -> None:
    """dataset_dir a str naming a folder (MindSpore 2.10's TypeError / ValueError and texts)."""
    _checks.typed("dataset_dir", dataset_dir, (str,))
    if not os.path.isdir(dataset_dir):
        raise ValueError(f"The folder {dataset_dir} does not exist or is not a directory or permission denied!")


def check_choice(name: str, value, valid: list) -> str:
    """A str argument checked against its valid list, with MindSpore 2.10's texts."""
    _checks.typed(name, value, (str,))
    if value not in valid:
        raise ValueError(f"Input {name} is not within the valid set of {valid}.")
    return value


def check_usage(usage, valid: list) -> str:
    """A dataset's usage (None: "all") checked against its valid list, with MindSpore 2.10's texts."""
    return check_choice("usage", "all" if usage is None else usage, valid)


class FileSource(Dataset):
    """Rows of (file, column values after the file's own) entries, in a sampler's order."""

    _dir: str

    def __init__(self, num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache):
        check_source_args(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id)
        if cache is not None:
            raise NotImplementedError(f"{type(self).__name__}: cache is not supported by gradserve")
        self._sampler = source_sampler(shuffle, sampler, num_shards, shard_id, num_samples)
        self._shuffle, self._num = shuffle is not False, _checks.row_limit(num_samples)

    def _entries(self) -> list[tuple[str, tuple]]:
        raise NotImplementedError

    def _read(self, path: str) -> tuple:
        """The columns read from the entry's file."""
        raise NotImplementedError

    def _no_rows_error(self) -> RuntimeError:
        return _pipeline_error(f"Invalid data, no valid data matching the dataset API {type(self).__name__}. "
                               f"Please check dataset API or file path: {self._dir}.")

    def _order(self, n: int, rng) -> list[int]:
        if self._sampler is not None:
            return self._sampler._indices(n, rng)
        order = [int(i) for i in (rng.permutation(n) if self._shuffle else range(n))]
        return order if self._num is None else order[: self._num]

    def _rows(self) -> Iterator[FileRow]:
        entries = self._entries()
        if not entries:
            raise self._no_rows_error()
        for i in self._order(len(entries), _rng()):
            path, rest = entries[i]
            row = FileRow((*self._read(path), *rest))
            row.file = path
            yield row
