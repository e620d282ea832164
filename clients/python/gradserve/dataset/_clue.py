"""CLUEDataset: CLUE benchmark JSON-lines files (the user's own, read here in the program) as MindSpore 2.10 reads
them (its runs, /work/ms_suite_dataset5/probe/k1.py, k2.py): one JSON object a line, empty lines skipped, the task's
keys as columns in name order; a JSON string is a str scalar, a whole number >= 0 uint32 (wrapping: 2**32 is 0), a
negative one int32, a fraction float32, a list of strings a 1-d str array. Shuffled by default (an order of its own,
not MindSpore's); several files only with num_parallel_workers=1 (MindSpore interleaves its workers' rows)."""
from __future__ import annotations

import json
from typing import Iterator

import numpy as np

from . import Row
from ._file_source import FileRow, TextFilesSource, check_files
from .audio import _pipeline_error

_SPANS = ["span1_index", "span1_text", "span2_index", "span2_text"]  # (WSC's, under its "target" key)
_KEYS = {  # task: (train / eval keys, test keys)
    "AFQMC": (["label", "sentence1", "sentence2"], ["id", "sentence1", "sentence2"]),
    "CMNLI": (["label", "sentence1", "sentence2"], ["id", "sentence1", "sentence2"]),
    "TNEWS": (["keywords", "label", "label_desc", "sentence"], ["id", "keywords", "sentence"]),
    "IFLYTEK": (["label", "label_des", "sentence"], ["id", "sentence"]),
    "WSC": (["idx", "label", *_SPANS, "text"], ["idx", *_SPANS, "text"]),
    "CSL": (["abst", "id", "keyword", "label"], ["abst", "id", "keyword"]),
}


def _value(v) -> np.ndarray:
    """A JSON value as MindSpore 2.10 makes it a column's value (k2.py), or its error."""
    if isinstance(v, str):
        return np.array(v)
    if v is None or isinstance(v, bool):  # (MindSpore 2.10's own error for null, true and false)
        raise AttributeError("'NoneType' object has no attribute 'type'")
    if isinstance(v, int) and 0 <= v < 2**64:
        return np.array(v % 2**32, np.uint32)
    if isinstance(v, int) and -(2**31) <= v < 0:
        return np.array(v, np.int32)
    if isinstance(v, float):
        return np.array(v, np.float32)
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return np.array(v, dtype=str)
    if isinstance(v, list):
        kind = next(type(x).__name__ for x in v if not isinstance(x, str))
        raise _pipeline_error("[json.exception.type_error.302] type must be string, but is "
                              f"{_JSON_TYPE.get(kind, kind)}")
    raise NotImplementedError(f"CLUEDataset: the JSON value {v!r} is not one MindSpore 2.10 was seen to read")


_JSON_TYPE = {"int": "number", "float": "number", "bool": "boolean", "NoneType": "null", "dict": "object",
              "list": "array"}


class CLUEDataset(TextFilesSource):
    """The task's columns (sorted by name) of each line's object."""

    def __init__(self, dataset_files, task="AFQMC", usage="train", num_samples=None, num_parallel_workers=None,
                 shuffle=True, num_shards=None, shard_id=None, cache=None):
        check_files(dataset_files)
        if task not in _KEYS:
            raise ValueError("task should be 'AFQMC', 'TNEWS', 'IFLYTEK', 'CMNLI', 'WSC' or 'CSL'.")
        if usage not in ["train", "test", "eval"]:
            raise ValueError("usage should be 'train', 'test' or 'eval'.")
        super().__init__(dataset_files, num_samples, num_parallel_workers, shuffle, num_shards, shard_id, cache)
        self._cols = list(_KEYS[task][usage == "test"])

    def _objects(self, path: str) -> list:
        with open(path, encoding="utf-8") as f:
            lines = [ln.rstrip("\r") for ln in f.read().split("\n")]
        found = []
        for ln in lines:
            if not ln:
                continue
            try:
                found.append(json.loads(ln))
            except ValueError as err:  # (MindSpore 2.10's start; the rest is its JSON library's own words)
                raise _pipeline_error(f"Invalid json, failed to parse {path}, {err}") from None
        return found

    def _row(self, obj) -> Row:
        target = obj.get("target") if isinstance(obj, dict) else None
        out = []
        for key in self._cols:
            holder = obj if key not in _SPANS else target
            if key in _SPANS and not isinstance(target, dict):
                key = "target"
            if not isinstance(holder, dict) or key not in holder:
                raise _pipeline_error(f"Invalid json file, in given JSON file, failed to find key: {key}")
            out.append(_value(holder[key]))
        return tuple(out)

    def _rows(self) -> Iterator[Row]:
        every = [(f, obj) for f in self._files for obj in self._objects(f)]
        if not every:
            raise _pipeline_error("Invalid data, 'CLUEDataset' API can't read the data file (interface mismatch or "
                                  f"no data found). Check file path: {self._files[0]}")
        for path, obj in self._pick(every):
            row = FileRow(self._row(obj))
            row.file = path  # (a failing map names it, as MindSpore's does)
            yield row
