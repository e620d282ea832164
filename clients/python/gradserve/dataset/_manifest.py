"""ManifestDataset: ModelArts manifest files (JSON lines, the user's own, read here in the program) as MindSpore 2.10
reads them (its runs on the mirror's testManifestData, /work/ms_suite_dataset5/probe/m1.py): the lines whose "usage"
is the usage (any case), their "source" image path as written (relative to the working folder), labels of their
"annotation" names: classes sorted by name over those lines, or class_indexing's (names not in it dropped, a line
left without one dropped); one label an int32 scalar, several a 1-d int32 array. Shuffled by default."""
from __future__ import annotations

import json
import os

import numpy as np

from . import _checks
from ._file_source import FileSource
from ._image_files import read_image_file
from .audio import _pipeline_error


class ManifestDataset(FileSource):
    """Columns "image" (the file's bytes as uint8, or HWC RGB uint8 with decode=True) and "label"."""

    def __init__(self, dataset_file, usage="train", num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, class_indexing=None, decode=False, num_shards=None, shard_id=None, cache=None):
        _checks.typed("dataset_file", dataset_file, (str,))
        if not os.path.isfile(dataset_file):
            raise ValueError(f"The file {os.path.realpath(dataset_file)} does not exist or permission denied!")
        if usage not in ["train", "eval", "inference"]:  # (MindSpore 2.10's text)
            raise _pipeline_error(f"ManifestDataset: {usage} does not match any mode in [ inference eval train ]")
        if class_indexing is not None:
            _checks.typed("class_indexing", class_indexing, (dict,))
        _checks.typed("decode", decode, (bool,))
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir, self._file, self._usage, self._decode = dataset_file, dataset_file, usage, decode
        self._given, self._cols = class_indexing, ["image", "label"]

    def _lines(self) -> list[tuple[str, list[str]]]:
        """(source, annotation names) of the usage's lines, with MindSpore 2.10's errors."""
        with open(self._file, encoding="utf-8") as f:
            texts = [(k, ln) for k, ln in enumerate(f.read().split("\n"), 1) if ln.strip()]
        parsed = []
        for k, ln in texts:
            try:
                parsed.append((k, json.loads(ln)))
            except ValueError:
                continue
        if not parsed:
            raise self._no_rows_error()
        if len(parsed) != len(texts):
            raise NotImplementedError(f"ManifestDataset: {self._file} mixes JSON and other lines, which MindSpore "
                                      "2.10 was not seen to read")
        found = []
        for k, obj in parsed:
            for key in ("source", "usage"):
                if key not in obj:
                    raise _pipeline_error(f"Invalid manifest file, '{key}' is missing in file: {self._file} at line "
                                          f"{k}")
            source = obj["source"]  # (an empty image fails the file's reading, whatever its usage)
            if os.path.isfile(source) and os.path.getsize(source) == 0:
                raise _pipeline_error(f"Invalid manifest file, failed to read {source} : the manifest file is damaged "
                                      "or permission denied.")
            if str(obj["usage"]).lower() == self._usage:
                found.append((obj["source"], [a["name"] for a in obj.get("annotation", [])]))
        return found

    def get_class_indexing(self) -> dict:
        if self._given is not None:
            return dict(self._given)
        return {n: i for i, n in enumerate(sorted({n for _, names in self._lines() for n in names}))}

    def num_classes(self) -> int:
        return len(self.get_class_indexing())

    def _entries(self) -> list[tuple[str, tuple]]:
        index, found = self.get_class_indexing(), []
        for source, names in self._lines():
            labels = [index[n] for n in names if n in index]
            if labels:
                found.append((source, (np.array(labels[0] if len(labels) == 1 else labels, np.int32),)))
        return found

    def _no_rows_error(self) -> RuntimeError:
        return _pipeline_error("Invalid data, ManifestDataset API can't read the data file (interface mismatch or no "
                               f"data found). Check file path: {self._file}")

    def _read(self, path: str) -> tuple:
        return (read_image_file(path, self._decode),)
