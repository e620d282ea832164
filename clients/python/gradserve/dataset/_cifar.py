"""`mindspore.dataset.Cifar10Dataset` / `Cifar100Dataset`: the binary versions' files, as MindSpore 2.10 reads them
(probes /work/ms_suite_dataset7/probe/c1.py - c3.py, files of our own): CIFAR-10 the files of DIR whose names hold
"data_batch" (train) and "test_batch" (test), 10000 records each of a label byte and 3072 image bytes (R, G, B planes
of 32 x 32); CIFAR-100 "train" (50000 records) and "test" (10000) with a coarse and a fine label byte. "all": train's,
then test's; the files sorted. Images (32, 32, 3) uint8 HWC, labels uint32. The count is the files' record counts
(MindSpore's, without reading them: get_dataset_size of a short file still counts 10000); reading a short file: its
text."""
from __future__ import annotations

import os
from typing import Iterator

import numpy as np

from . import _rng
from ._file_source import FileRow, FileSource, check_dir, check_usage
from .audio import _pipeline_error

_IMAGE = 3072


class _CifarSource(FileSource):
    _labels: list[str]
    _names: dict[str, str]  # usage -> the part of a file name that marks it
    _records: dict[str, int]  # usage -> records a file holds
    _kind: str  # "10" / "100"

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None, cache=None):
        check_dir(dataset_dir)
        usage = check_usage(usage, ["train", "test", "all"])
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir, self._usage = dataset_dir, usage
        self._cols = ["image", *self._labels]

    def _files(self) -> list[tuple[str, int]]:
        names = sorted(os.listdir(self._dir))
        parts = ["train", "test"] if self._usage == "all" else [self._usage]
        return [(os.path.join(self._dir, n), self._records[p]) for p in parts for n in names
                if self._names[p] in n and os.path.isfile(os.path.join(self._dir, n))]

    def _items(self) -> list[tuple[str, int, int]]:
        return [(path, k, per) for path, per in self._files() for k in range(per)]

    def get_dataset_size(self) -> int:
        return len(self._order(len(self._items()), _rng()))

    def _load(self, path: str, per: int) -> np.ndarray:
        size = len(self._labels) + _IMAGE
        data = np.fromfile(path, np.uint8)
        if data.size < per * size:
            raise _pipeline_error(f"Invalid cifar{self._kind} file, failed to read data from: {path}, re-download "
                                  f"dataset(make sure it is CIFAR-{self._kind.upper()} binary version).")
        return data[: per * size].reshape(per, size)

    def _rows(self) -> Iterator[FileRow]:
        items = self._items()
        if not items:
            raise self._no_rows_error()
        loaded: dict[str, np.ndarray] = {}
        nl = len(self._labels)
        for i in self._order(len(items), _rng()):
            path, k, per = items[i]
            if path not in loaded:
                loaded[path] = self._load(path, per)
            rec = loaded[path][k]
            image = np.ascontiguousarray(rec[nl:].reshape(3, 32, 32).transpose(1, 2, 0))
            row = FileRow((image, *(np.array(int(v), np.uint32) for v in rec[:nl])))
            row.file = path
            yield row


class Cifar10Dataset(_CifarSource):
    _labels = ["label"]
    _names = {"train": "data_batch", "test": "test_batch"}
    _records = {"train": 10000, "test": 10000}
    _kind = "10"


class Cifar100Dataset(_CifarSource):
    _labels = ["coarse_label", "fine_label"]
    _names = {"train": "train", "test": "test"}
    _records = {"train": 50000, "test": 10000}
    _kind = "100"
