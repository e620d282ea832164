"""The file datasets' common part (_audio_files.py, _image_files.py, _stl10.py): MindSpore 2.10's argument checks,
and the user's own files, read here in the program, as rows of (what `_read` makes of a file, the entry's other
columns) in a sampler's order. Shuffled by default (an order of its own, not MindSpore's). TextFilesSource: the
same for datasets of rows read out of a list of files (_csv.py, _clue.py)."""
from __future__ import annotations

import os
from typing import Iterator

from . import Dataset, _checks, _rng, matched_files, pick_rows
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


class TextFilesSource(Dataset):
    """Rows read out of the files dataset_files names (sorted; several only with num_parallel_workers=1, as
    matched_files says), sharded and shuffled as TextFileDataset's (pick_rows)."""

    def __init__(self, dataset_files, num_samples, num_parallel_workers, shuffle, num_shards, shard_id, cache):
        kind = type(self).__name__
        check_source_args(num_samples, num_parallel_workers, None, None, num_shards, shard_id)
        if cache is not None:
            raise NotImplementedError(f"{kind}: cache is not supported by gradserve")
        self._files = matched_files(kind, dataset_files, num_parallel_workers, unique=True)
        if num_shards is not None and len(self._files) > 1:
            raise NotImplementedError(f"{kind}: num_shards over several files: MindSpore's shards follow a file "
                                      "order of their own, which gradserve does not follow")
        self._shard = None if num_shards is None or shard_id is None else (int(num_shards), int(shard_id))
        self._num = _checks.row_limit(num_samples)
        self._shuffle = shuffle is not False and getattr(shuffle, "value", shuffle) != "files"

    def _pick(self, rows: list) -> list:
        return pick_rows(rows, self._shard, self._shuffle, self._num)


def check_files(dataset_files) -> None:
    """dataset_files a str or a nonempty list (MindSpore 2.10's TypeError / ValueError and texts)."""
    _checks.typed("dataset files", dataset_files, (str, list))
    if not dataset_files:
        raise ValueError(f"Input dataset_files can not be empty, but got '{dataset_files}'.")
