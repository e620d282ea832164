"""LFWDataset: Labeled Faces in the Wild folders (the user's own, read here in the program) as MindSpore 2.10 reads
them (its runs on crafted folders, /work/ms_suite60/probe/p6.py): images DIR/<image set folder>/<name>/<name>_<k, 4
digits>.jpg; task "people" lists "<name> <count>" lines (the name's images 1..count, label the name's line index in
lfw-names.txt, 0 for a name not there), task "pairs" lists "<name> <i> <j>" (label 1) and "<name> <i> <other> <j>"
(label 0) lines; lines of other lengths (counts, fold headers) are skipped. usage "all" is the train list's rows,
then the test list's; "10fold" people.txt / pairs.txt. Shuffled by default (an order of its own, not MindSpore's)."""
from __future__ import annotations

import os
from typing import Iterator

import numpy as np

from . import _checks, _rng
from ._file_source import FileRow, FileSource, check_choice, check_dir, check_usage
from ._image_files import read_image_file
from .audio import _pipeline_error

_FOLDERS = {"original": "lfw", "funneled": "lfw_funneled", "deepfunneled": "lfw-deepfunneled"}
_LISTS = {"people": {"10fold": ["people.txt"], "train": ["peopleDevTrain.txt"], "test": ["peopleDevTest.txt"],
                     "all": ["peopleDevTrain.txt", "peopleDevTest.txt"]},
          "pairs": {"10fold": ["pairs.txt"], "train": ["pairsDevTrain.txt"], "test": ["pairsDevTest.txt"],
                    "all": ["pairsDevTrain.txt", "pairsDevTest.txt"]}}


class LFWDataset(FileSource):
    """task "people": columns "image" and "label"; "pairs": "image1", "image2" and "label" (uint32 scalar). Images
    are the files' bytes (uint8, 1-d), or HWC RGB uint8 with decode=True (as ImageFolderDataset decodes)."""

    def __init__(self, dataset_dir, task=None, usage=None, image_set=None, num_samples=None, num_parallel_workers=None,
                 shuffle=None, decode=False, sampler=None, num_shards=None, shard_id=None, cache=None):
        check_dir(dataset_dir)
        self._task = "people" if task is None else check_choice("task", task, ["people", "pairs"])
        self._usage = check_usage(usage, ["10fold", "train", "test", "all"])
        image_set = "funneled" if image_set is None else image_set
        self._images = _FOLDERS[check_choice("image_set", image_set, ["original", "funneled", "deepfunneled"])]
        _checks.typed("decode", decode, (bool,))
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir, self._decode = dataset_dir, decode
        self._cols = ["image", "label"] if self._task == "people" else ["image1", "image2", "label"]

    def _image(self, name: str, k: str) -> str:
        return os.path.join(self._dir, self._images, name, f"{name}_{int(k):04d}.jpg")

    def _lines(self) -> list[list[str]]:
        lines = []
        for listing in _LISTS[self._task][self._usage]:
            path = os.path.join(self._dir, listing)
            if not os.path.isfile(path):  # (MindSpore 2.10: one list missing empties the whole annotation)
                return []
            with open(path) as f:
                lines += [line.split() for line in f]
        return lines

    def _entries(self) -> list[tuple[str, tuple]]:  # type: ignore[override]
        """(image paths, label) of every row."""
        names_file = os.path.join(self._dir, "lfw-names.txt")
        if not os.path.isfile(names_file):
            raise _pipeline_error(f"Invalid file, failed to open file: {self._dir}")
        with open(names_file) as f:
            index: dict[str, int] = {}
            for i, line in enumerate(f):
                index.setdefault(line.split()[0] if line.split() else "", i)
        found: list = []
        for fields in self._lines():
            if self._task == "people" and len(fields) == 2:
                label = np.array(index.get(fields[0], 0), np.uint32)
                found += [((self._image(fields[0], str(k)),), label) for k in range(1, int(fields[1]) + 1)]
            elif self._task == "pairs" and len(fields) in (3, 4):
                same = len(fields) == 3
                second = (fields[0], fields[2]) if same else (fields[2], fields[3])
                found.append(((self._image(fields[0], fields[1]), self._image(*second)), np.array(same, np.uint32)))
        if not found:
            raise _pipeline_error(f"Invalid file, LFW annotation file is empty. Check file path: {self._dir}")
        return found

    def _read(self, path: str) -> tuple:
        if not os.path.isfile(path):
            raise _pipeline_error(f"Failed to open file: {path}")
        try:
            return (read_image_file(path, self._decode),)
        except RuntimeError as err:  # (MindSpore 2.10's LFW words a decode failure its own way)
            if "decode failed" not in str(err):
                raise
            raise _pipeline_error(f"Invalid image, failed to decode {path}: the image is damaged or permission "
                                  "denied.") from None

    def _rows(self) -> Iterator[FileRow]:
        entries = self._entries()
        for i in self._order(len(entries), _rng()):
            paths, label = entries[i]
            row = FileRow((*(self._read(p)[0] for p in paths), label))
            row.file = paths[0]
            yield row
