"""TFRecordDataset: the user's TFRecord files of tf.train.Example records, read here in the program as MindSpore 2.10
reads them (checked against its runs): framing checked by its CRC-32C, columns sorted by name (from the first record,
or the schema's), int64 lists int64, float lists float32, a single bytes value its uint8 bytes; a schema casts (C's
wrap-around: 2**40 as int32 is 0), shapes and reads strings. Several bytes values in a non-string column are refused
(MindSpore's answer depends on the schema: joined by spaces without one, run together as uint8). Files in name
order, several only with num_parallel_workers=1; shuffled by default (an order of its own)."""
from __future__ import annotations

import json
from typing import Iterator

import numpy as np

from . import Dataset, _checks, _rng, matched_files
from ._samplers import Shuffle, check_source_args
from ._schema import Schema
from ._tfrecord_io import parse_example, read_records
from .audio import _pipeline_error


def _schema_columns(schema) -> list[dict] | None:
    """The schema's columns ({name, type, shape?, rank}): a JSON file's (its rank kept where it gives no shape) or
    a Schema's."""
    if schema is None:
        return None
    if isinstance(schema, Schema):
        return [dict(c) for c in schema._columns]
    _checks.typed("schema", schema, (str, Schema))
    Schema(schema)  # (its checks and texts)
    with open(schema, encoding="utf-8") as f:
        columns = json.load(f)["columns"]
    if isinstance(columns, dict):
        return [{"name": n, **columns[n]} for n in sorted(columns)]
    return [dict(c) for c in columns]


class TFRecordDataset(Dataset):
    def __init__(self, dataset_files, schema=None, columns_list=None, num_samples=None, num_parallel_workers=None,
                 shuffle=Shuffle.GLOBAL, num_shards=None, shard_id=None, shard_equal_rows=False, cache=None,
                 compression_type=None):
        self._files = matched_files("TFRecordDataset", dataset_files, num_parallel_workers, unique=False)
        if columns_list is not None:
            _checks.typed("columns_list", columns_list, (list,))
        check_source_args(num_samples, num_parallel_workers, None, None, num_shards, shard_id)
        for name, value in (("num_shards", num_shards), ("cache", cache), ("compression_type", compression_type)):
            if value not in (None, ""):  # (MindSpore shards by file unless shard_equal_rows: not reproduced)
                raise NotImplementedError(f"TFRecordDataset: {name} is not supported by gradserve")
        spec, self._listed = _schema_columns(schema), schema is None and columns_list is not None
        if spec is None:
            names = sorted(parse_example(read_records(self._files[0])[0])) if columns_list is None else columns_list
            spec = [{"name": n} for n in names]
        elif columns_list is not None:
            spec = [c for n in columns_list for c in spec if c["name"] == n]
        self._spec: list[dict] = spec
        self._cols = [c["name"] for c in self._spec]
        self._shuffle, self._num = shuffle is not False, num_samples or None

    def _records(self) -> list[tuple[str, bytes]]:
        return [(path, r) for path in self._files for r in read_records(path)]

    def get_dataset_size(self) -> int:
        n = len(self._records())
        return n if self._num is None else min(n, self._num)

    def _rows(self) -> Iterator[tuple]:
        records = self._records()
        if self._listed and records:  # (MindSpore 2.10 checks columns_list against the first record as it reads)
            missing = [c for c in self._cols if c not in parse_example(records[0][1])]
            if missing:
                raise _pipeline_error(f"Invalid columns_list, tfrecord file failed to find column name: {missing[0]}")
        order = _rng().permutation(len(records)) if self._shuffle else range(len(records))
        for k, i in enumerate(order):
            if self._num is not None and k >= self._num:
                return
            path, record = records[int(i)]
            features = parse_example(record)
            yield tuple(_column(features, c, path) for c in self._spec)


def _column(features: dict, col: dict, path: str) -> np.ndarray:
    """One column of a record: its feature as the schema's column (type, shape / rank) asks, or as read."""
    name, dtype = col["name"], col.get("type")
    if name not in features:
        raise _pipeline_error(f"map operation: [ParseExample] failed. The corresponding data file is: {path}. "
                              f"Feature name: {name} is required in schema but could not be found in tfrecord file.")
    kind, values = features[name]
    if dtype == "string":
        if kind != "bytes":
            raise NotImplementedError(f"TFRecordDataset: column {name}: a string column of {kind} values is not "
                                      "read by gradserve")
        try:
            arr = np.array([v.decode("utf-8") for v in values])
        except UnicodeDecodeError as e:  # (MindSpore 2.10's text, p14.py)
            raise _pipeline_error(f"Failed to cast to Unicode string: UnicodeDecodeError: {e}") from None
    elif kind == "bytes":
        if len(values) != 1 or dtype not in (None, "uint8"):
            raise NotImplementedError(f"TFRecordDataset: column {name}: {len(values)} bytes values as "
                                      f"{dtype or 'uint8'} are not read by gradserve (MindSpore's answers differ "
                                      "with and without a schema)")
        arr = np.frombuffer(values[0], np.uint8).copy()
    else:
        arr = np.array(values, np.float32 if kind == "float" else np.int64)
        arr = arr if dtype is None else arr.astype(dtype)
    shape = col.get("shape") or ([] if col.get("rank") == 0 else None)
    if shape is None:
        return arr
    if int(np.prod(shape)) != arr.size:
        raise _pipeline_error(f"map operation: [ParseExample] failed. The corresponding data file is: {path}. "
                              f"Column shape of {name} defined in schema does not match the shape actually load.")
    return arr.reshape(shape)
