"""TFRecordDataset: the user's TFRecord files of tf.train.Example records, read here in the program as MindSpore 2.10
reads them (checked against its runs): framing checked by its CRC-32C, columns sorted by name (from the first record,
or the schema's), int64 lists int64, float lists float32, a single bytes value its uint8 bytes; a schema casts (C's
wrap-around: 2**40 as int32 is 0), shapes and reads strings. Several bytes values in a non-string column are refused
(MindSpore's answer depends on the schema: joined by spaces without one, run together as uint8). Files in name
order, their rows in the order MindSpore's workers interleave them (_tfrecord_order: Shuffle.FILES seeded, shards
by file or by equal rows, GZIP / ZLIB files); Shuffle.GLOBAL (the default) then shuffles the rows in an order of its
own (MindSpore's ShuffleOp is not followed), as does Shuffle.FILES unseeded (MindSpore draws a seed)."""
from __future__ import annotations

import json
import math
from typing import Iterator

import numpy as np

from . import Dataset, _checks, _rng, config, matched_files
from . import _tfrecord_order as _order
from ._file_source import FileRow
from ._samplers import PassCount, Shuffle, check_source_args
from ._schema import Schema
from ._schema import _syntax_error
from ._tfrecord_io import header_ok, parse_example, read_records
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
        self._files = matched_files("TFRecordDataset", dataset_files, 1, unique=False)
        if columns_list is not None:
            _checks.typed("columns_list", columns_list, (list,))
        check_source_args(num_samples, num_parallel_workers, None, None, num_shards, shard_id)
        self._compression = "" if compression_type is None else compression_type
        if self._compression not in ("", "ZLIB", "GZIP"):  # (MindSpore 2.10's texts)
            raise ValueError("Input compression_type can only be either '' (no compression), 'ZLIB', or 'GZIP', "
                             f"but got '{compression_type}'.")
        if self._compression and num_samples is not None and num_shards is not None and len(self._files) < num_shards:
            raise ValueError("When compression_type is provided, the number of dataset files cannot be less than "
                             f"num_shards, but the actual number of files is {len(self._files)} and actual "
                             f"num_shards is {num_shards}.")
        if cache is not None:
            raise NotImplementedError("TFRecordDataset: cache is not supported by gradserve")
        spec, self._listed = _schema_columns(schema), schema is None and columns_list is not None
        if not num_samples and schema is not None:  # (numRows: MindSpore reads that many when num_samples is not given)
            num_samples = (schema if isinstance(schema, Schema) else Schema(schema))._extra.get("numRows") or None
        if spec is None:
            names = sorted(parse_example(self._read(self._files[0])[0])) if columns_list is None else columns_list
            spec = [{"name": n} for n in names]
        elif columns_list is not None:
            spec = [c for n in columns_list for c in spec if c["name"] == n]
        self._spec: list[dict] = spec
        self._cols = [c["name"] for c in self._spec]
        self._shuffle, self._num = shuffle, num_samples or None
        self._shard: tuple[int, int] | None = None if num_shards is None else (num_shards, shard_id or 0)
        self._equal_rows = bool(shard_equal_rows)
        self._workers = num_parallel_workers
        self._passes, self._unseeded_passes = PassCount(), 0

    def _read(self, path: str) -> list[bytes]:
        return read_records(path, self._compression)

    def _blocks(self, counts: list[int], epoch: int, seed: int | None) -> list[tuple[int, int, int]]:
        """This epoch's blocks (file, start, end) in the order the workers get them (MindSpore's: _tfrecord_order)."""
        keys = list(range(len(self._files)))
        if self._shuffle is not False:  # (Shuffle.FILES and GLOBAL shuffle the file keys each epoch)
            if self._shard is not None:  # (sharded: std::mt19937(++seed_), seed_ from 0, whatever the config's)
                keys = _order.file_order(len(keys), list(range(1, epoch + 2)))
            elif seed is None:  # (unseeded: MindSpore draws a seed each time)
                keys = [int(k) for k in _rng().permutation(len(keys))]
            else:
                keys = _order.file_order(len(keys), [seed] * (epoch + 1))
        compressed = self._num if self._compression and self._num else None
        return _order.blocks(keys, counts, self._shard, self._equal_rows and not self._compression, compressed)

    def _validate(self) -> None:
        """MindSpore 2.10's checks as its pipeline is built (TFRecordNode::ValidateParams: its texts)."""
        bad = [] if self._compression else [p for p in self._files if not header_ok(p)]
        if bad:
            raise _syntax_error("Invalid file. The following files either cannot be opened, or are not valid "
                                "TFRecordDataset files:\n" + "".join(f"    {p}\n" for p in bad))
        if self._shard is not None and not self._equal_rows and len(self._files) < self._shard[0]:
            raise _syntax_error("Invalid file, numbers of tfrecord file should not less than num_shards when "
                                f"shard_equal_rows is false, but got numbers of tfrecord file: {len(self._files)}, "
                                f"num_shards: {self._shard[0]}")

    def get_dataset_size(self) -> int:
        self._validate()
        counts = [len(self._read(p)) for p in self._files]
        num_shards, shard_id = self._shard or (1, 0)
        if self._compression and self._num:
            return self._num
        if self._equal_rows and not self._compression or num_shards == 1:
            n = math.ceil(sum(counts) / num_shards)
        else:
            n = sum(counts[shard_id::num_shards])
        return n if self._num is None else min(n, self._num)

    def _rows(self) -> Iterator[tuple]:
        self._validate()
        records = [self._read(p) for p in self._files]
        if self._listed and records and records[0]:  # (MindSpore 2.10 checks columns_list against the first record)
            missing = [c for c in self._cols if c not in parse_example(records[0][0])]
            if missing:
                raise _pipeline_error(f"Invalid columns_list, tfrecord file failed to find column name: {missing[0]}")
        rng = _rng()
        seed = config._state["seed"]
        seed = None if seed is None or seed == config._DEFAULT_SEED else seed
        if seed is None:  # (no iterator's generator to count an iterator's passes by: this dataset's passes)
            epoch, self._unseeded_passes = self._unseeded_passes, self._unseeded_passes + 1
        else:
            epoch = self._passes.next(rng)
        blocks = self._blocks([len(r) for r in records], epoch, seed)
        if self._compression and self._num:
            for key, _, end in blocks:  # (MindSpore 2.10's text: a file short of num_samples // files-a-shard)
                if len(records[key]) < end:
                    nd = (self._shard or (1, 0))[0]
                    raise _pipeline_error(f"This tfrecord file: {self._files[key]}, does not meet minimum rows per "
                                          f"shard requirement: {self._num} and {self._num // nd} number of rows per "
                                          f"file, but got {len(records[key])} number of rows in this file.")
        order = _order.interleave(blocks, self._workers or config.get_num_parallel_workers())
        if self._shuffle is Shuffle.GLOBAL or self._shuffle is True:  # (MindSpore's ShuffleOp: an order of our own)
            order = [order[int(i)] for i in rng.permutation(len(order))]
        limit = self._num if not (self._compression and self._num) else None
        for k, (key, at) in enumerate(order):
            if limit is not None and k >= limit:
                return
            features = parse_example(records[key][at])
            row = FileRow(_column(features, c, self._files[key]) for c in self._spec)
            row.file = self._files[key]  # (a failing map names it, as MindSpore 2.10's does)
            yield row


def _column(features: dict, col: dict, path: str) -> np.ndarray:
    """One column of a record: its feature as the schema's column (type, shape / rank) asks, or as read."""
    name, dtype = col["name"], col.get("type")
    if name not in features:
        raise _pipeline_error(f"map operation: [ParseExample] failed. The corresponding data file is: {path}. "
                              f"Feature name: {name} is required in schema but could not be found in tfrecord file.")
    kind, values = features[name]
    if (dtype == "string") != (kind == "bytes") and not (kind == "bytes" and dtype in (None, "uint8")):
        actual = {"bytes": "string", "int": "int64", "float": "float32"}[kind]  # (MindSpore 2.10's ParseExample text)
        raise _pipeline_error(f"map operation: [ParseExample] failed. The corresponding data file is: {path}. The "
                              f"data type loaded from the example for feature name: {name} does not match the "
                              f"predefined type in schema, the actual type: {actual}, but the predefined type: {dtype}")
    if dtype == "string":
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
    if -1 in shape and arr.size % max(1, -int(np.prod(shape))) == 0 and shape.count(-1) == 1:
        return arr.reshape(shape)  # (an unknown dimension: as many as the values make)
    if int(np.prod(shape)) != arr.size:
        raise _pipeline_error(f"map operation: [ParseExample] failed. The corresponding data file is: {path}. "
                              f"Column shape of {name} defined in schema does not match the shape actually load.")
    return arr.reshape(shape)
