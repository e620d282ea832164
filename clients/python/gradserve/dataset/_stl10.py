"""STL10Dataset: the STL-10 binary files (the user's own, read here in the program) as MindSpore 2.10 reads them:
<split>_X.bin holds uint8 images of 3 x 96 x 96 stored column by column, given as HWC (96, 96, 3) uint8; <split>_y.bin
holds 1-based uint8 labels, given as int32 label - 1 (the unlabeled split's rows: -1). Shuffled by default (an order
of its own, not MindSpore's)."""
from __future__ import annotations

import os
from typing import Iterator

import numpy as np

from . import _rng
from ._file_source import FileRow, FileSource, check_dir, check_usage
from .text._seq import pipeline_error

_USAGES = ["train", "test", "unlabeled", "train+unlabeled", "all"]
_SPLITS = {"train": ["train"], "test": ["test"], "unlabeled": ["unlabeled"],
           "train+unlabeled": ["train", "unlabeled"], "all": ["test", "train", "unlabeled"]}  # (MindSpore's row order)
_IMAGE_BYTES = 3 * 96 * 96


class STL10Dataset(FileSource):
    """Columns "image" (96, 96, 3) uint8 and "label" int32 scalar."""

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None, cache=None):
        check_dir(dataset_dir)
        usage = check_usage(usage, _USAGES)
        root = os.path.realpath(dataset_dir)
        self._files = {s: (os.path.join(root, f"{s}_X.bin"), None if s == "unlabeled" else
                           os.path.join(root, f"{s}_y.bin")) for s in _SPLITS[usage]}
        for s in ("train", "test", "unlabeled"):  # (MindSpore 2.10 checks the files in this order)
            for path in self._files.get(s, ()):
                if path is not None and not os.path.isfile(path):
                    raise ValueError(f"The file {path} does not exist or permission denied!")
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._usage, self._cols = usage, ["image", "label"]

    def _entries(self) -> list[tuple[str, int, int]]:  # type: ignore[override]
        """(image file, image index, label) of every row, in MindSpore's order of the splits."""
        found = []
        for split in _SPLITS[self._usage]:
            images, labels = self._files[split]
            count, rest = divmod(os.path.getsize(images), _IMAGE_BYTES)
            if rest:
                raise pipeline_error(f"STL10Dataset: {images} holds {os.path.getsize(images)} bytes, not a whole "
                                     f"number of {_IMAGE_BYTES}-byte images")
            marks = np.full(count, -1) if labels is None else np.fromfile(labels, np.uint8).astype(np.int64) - 1
            if len(marks) != count:
                raise pipeline_error(f"STL10Dataset: {labels} holds {len(marks)} labels for {count} images in {images}")
            found += [(images, k, int(marks[k])) for k in range(count)]
        return found

    def _rows(self) -> Iterator[FileRow]:
        entries = self._entries()
        for i in self._order(len(entries), _rng()):
            path, k, label = entries[i]
            raw = np.fromfile(path, np.uint8, _IMAGE_BYTES, offset=k * _IMAGE_BYTES).reshape(3, 96, 96)
            row = FileRow((np.ascontiguousarray(raw.transpose(2, 1, 0)), np.array(label, np.int32)))
            row.file = path
            yield row
