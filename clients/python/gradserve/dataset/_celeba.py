"""CelebADataset: CelebA folders (the user's own, read here in the program) as MindSpore 2.10 reads them (its runs on
the mirror's testCelebAData, /work/ms_suite_dataset5/probe/b1.py): list_attr_celeba.txt (a count line, the attribute
names, then "<image file> <40 values of 1 / -1>") in its order, list_eval_partition.txt's "<image file> <0 / 1 / 2>"
picking usage train / valid / test; attr as uint32 (-1 is 0). Shuffled by default (an order of its own)."""
from __future__ import annotations

import os

import numpy as np

from . import _checks
from ._file_source import FileSource, check_dir
from ._image_files import read_image_file
from .audio import _pipeline_error

_PARTS = {"train": "0", "valid": "1", "test": "2"}


class CelebADataset(FileSource):
    """Columns "image" (the file's bytes as uint8, or HWC RGB uint8 with decode=True) and "attr" (uint32, one value
    an attribute). extensions (matched with case) leave files out of the rows, not out of get_dataset_size's count (as
    MindSpore 2.10 counts: 4 where [".jpg"] leaves 2 rows)."""

    def __init__(self, dataset_dir, num_parallel_workers=None, shuffle=None, usage="all", sampler=None, decode=False,
                 extensions=None, num_samples=None, num_shards=None, shard_id=None, cache=None, decrypt=None):
        check_dir(dataset_dir)
        if usage is not None and usage not in ["all", *_PARTS]:  # (MindSpore 2.10's text; None is "all")
            raise ValueError("usage should be 'all', 'train', 'valid' or 'test'.")
        self._usage = usage or "all"
        if self._usage != "all" and not os.path.isfile(os.path.join(dataset_dir, "list_eval_partition.txt")):
            raise RuntimeError("Partition file can not be found when usage is not 'all'.")
        _checks.typed("decode", decode, (bool,))
        if decrypt is not None:
            raise NotImplementedError("CelebADataset: decrypt is not supported by gradserve")
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir, self._decode, self._cols = dataset_dir, decode, ["image", "attr"]
        self._ext = None if extensions is None else list(extensions)

    def _listed(self) -> list[tuple[str, tuple]]:
        """(image path, (attr,)) of every listed image of the usage, extensions not yet applied."""
        attr_file = os.path.join(self._dir, "list_attr_celeba.txt")
        if not os.path.isfile(attr_file):
            raise _pipeline_error(f"Invalid file, get real path failed, path={attr_file}")
        with open(attr_file) as f:
            lines = [ln.split() for ln in f.read().splitlines()[2:]]
        parts = None
        if self._usage != "all":
            with open(os.path.join(self._dir, "list_eval_partition.txt")) as f:
                parts = dict(ln.split()[:2] for ln in f if len(ln.split()) >= 2)
        return [(os.path.join(self._dir, ln[0]), (np.array([int(v) > 0 for v in ln[1:]], np.uint32),))
                for ln in lines if ln and (parts is None or parts.get(ln[0]) == _PARTS[self._usage])]

    def _entries(self) -> list[tuple[str, tuple]]:
        return [e for e in self._listed() if self._ext is None or any(e[0].endswith(x) for x in self._ext)]

    def get_dataset_size(self) -> int:
        return len(self._order(len(self._listed()), np.random.default_rng(0)))

    def _read(self, path: str) -> tuple:
        if not os.path.exists(path):
            raise _pipeline_error(f"Failed to open file: {path}")
        return (read_image_file(path, self._decode),)

