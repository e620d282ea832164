"""`mindspore.mindrecord`: FileWriter / FileReader of MindSpore's MindRecord files (the format: _format.py; files
MindSpore 2.10 writes read here, and files written here read by MindSpore 2.10's MindDataset). Encryption
(set_enc_key with a key) and the converters (TFRecordToMR, CsvToMR, ...) are not in gradserve: such a name is a
placeholder that raises NotImplementedError when used (ops/operations/_missing.py)."""
from __future__ import annotations

import os

import numpy as np

from ..ops.operations._missing import module_getattr
from . import _format

__getattr__ = module_getattr("mindspore.mindrecord")

_ENC = {"key": None, "mode": "AES-GCM"}


def set_enc_key(enc_key) -> None:
    """None: files are written and read in the clear. A key: refused (MindSpore encrypts with AES-GCM / SM4-CBC)."""
    if enc_key is not None:
        if not isinstance(enc_key, str):
            raise TypeError("The type of enc_key must be str.")
        raise NotImplementedError("mindrecord.set_enc_key: encrypted MindRecord files are not supported by gradserve: "
                                  "MindSpore encrypts them with AES-GCM or SM4-CBC, and the SDK's dependencies "
                                  "(numpy, ml_dtypes, httpx) hold no implementation of either")
    _ENC["key"] = None


def set_enc_mode(enc_mode="AES-GCM") -> None:
    if not (callable(enc_mode) or enc_mode in ("AES-GCM", "SM4-CBC")):
        raise ValueError("The parameter `enc_mode` must be one of ['AES-GCM', 'SM4-CBC'] or a callable.")
    _ENC["mode"] = enc_mode


def set_dec_mode(dec_mode="AES-GCM") -> None:
    set_enc_mode(dec_mode)


_MIN_HEADER, _MAX_HEADER = 1 << 14, 1 << 27
_MIN_PAGE, _MAX_PAGE = 1 << 15, 1 << 28


class FileWriter:
    """Rows written into shard_num files (file_name itself for one, file_name0, file_name1, ... for several), each
    write_raw_data call's rows split in consecutive runs, one run a file (MindSpore picks at random which files take
    the remainder's extra row; here the first ones)."""

    def __init__(self, file_name, shard_num=1, overwrite=False):
        if not isinstance(file_name, str) or not file_name:
            raise ValueError("Parameter file_name is not a str or empty.")
        if isinstance(shard_num, bool) or not isinstance(shard_num, int) or not 1 <= shard_num <= 1000:
            raise ValueError("Parameter shard_num's value: {} should between 1 and 1000.".format(shard_num))
        self._paths = [file_name] if shard_num == 1 else [f"{file_name}{i}" for i in range(shard_num)]
        for p in self._paths:
            if not overwrite and (os.path.exists(p) or os.path.exists(p + ".db")):
                raise RuntimeError(f"Invalid file, mindrecord files already exist. Please check file path: {p}.")
            folder = os.path.dirname(os.path.abspath(p))
            if not os.path.isdir(folder):
                raise RuntimeError(f"Invalid file, the directory of {p} does not exist.")
        self._schema, self._desc, self._index = None, "", []
        self._shards: list[list[dict]] = [[] for _ in self._paths]
        self._header_size, self._page_size = 1 << 24, 1 << 25

    def add_schema(self, content, desc=None) -> int:
        if not isinstance(content, dict) or not content:
            raise RuntimeError("Invalid schema, the schema is empty or not a dict.")
        for name, spec in content.items():
            if not isinstance(spec, dict) or spec.get("type") not in _format.TYPES:
                raise RuntimeError(f"Invalid schema, the type of field '{name}' must be one of "
                                   f"{list(_format.TYPES)}, but got {spec}.")
            if "shape" in spec and spec["type"] in ("string", "bytes"):
                raise RuntimeError(f"Invalid schema, field '{name}' of type {spec['type']} takes no shape.")
        self._schema = {k: dict(v) for k, v in sorted(content.items())}
        self._desc = desc or ""
        return 0

    def add_index(self, index_fields) -> None:
        if not isinstance(index_fields, list) or not index_fields:
            raise ValueError("Parameter index_fields is not list or empty.")
        for f in index_fields:
            if self._schema is None or f not in self._schema:
                raise RuntimeError(f"Invalid index field, field '{f}' is not in the schema.")
            if f in _format.blob_fields(self._schema):
                raise RuntimeError(f"Invalid index field, field '{f}' is a blob field (bytes or an array).")
        self._index = list(index_fields)

    def set_header_size(self, header_size) -> None:
        if not _MIN_HEADER <= header_size <= _MAX_HEADER:
            raise ValueError(f"Invalid header size: {header_size}, it should be in [{_MIN_HEADER}, {_MAX_HEADER}].")
        self._header_size = header_size

    def set_page_size(self, page_size) -> None:
        if not _MIN_PAGE <= page_size <= _MAX_PAGE:
            raise ValueError(f"Invalid page size: {page_size}, it should be in [{_MIN_PAGE}, {_MAX_PAGE}].")
        self._page_size = page_size

    def write_raw_data(self, raw_data, parallel_writer=False) -> None:
        if self._schema is None:
            raise RuntimeError("Schema is not defined, call add_schema first.")
        if not isinstance(raw_data, list):
            raise ValueError("The type of parameter raw_data is not list.")
        rows = [self._checked(r, i) for i, r in enumerate(raw_data)]
        per, extra = divmod(len(rows), len(self._paths))
        at = 0
        for k, shard in enumerate(self._shards):
            n = per + (k < extra)
            shard.extend(rows[at:at + n])
            at += n

    def _checked(self, row, i: int) -> dict:
        if not isinstance(row, dict):
            raise ValueError(f"The type of parameter raw_data's item {i} is not dict.")
        out: dict = {}
        for name, spec in (self._schema or {}).items():
            if name not in row:
                raise RuntimeError(f"Invalid data, field '{name}' of the schema is missing in row {i}.")
            v = row[name]
            kind = spec["type"]
            if kind == "bytes":
                ok = isinstance(v, (bytes, bytearray))
            elif kind == "string":
                ok = isinstance(v, str)
            elif "shape" in spec:
                ok = isinstance(v, (np.ndarray, list, np.generic)) or isinstance(v, (int, float))
                if ok:
                    v = np.asarray(v, _format.TYPES[kind])
            else:
                ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                if ok and "int" in kind and not float(v).is_integer():
                    ok = False
            if not ok:
                raise RuntimeError(f"Invalid data, field '{name}' of row {i} does not match its schema type {kind}: "
                                   f"got {type(row[name]).__name__}.")
            out[name] = v
        return out

    def commit(self) -> None:
        if self._schema is None:
            raise RuntimeError("Schema is not defined, call add_schema first.")
        names = [os.path.basename(p) for p in self._paths]
        for k, (path, rows) in enumerate(zip(self._paths, self._shards)):
            _format.write_shard(path, k, names, self._schema, self._desc, self._index, rows, self._header_size,
                                self._page_size)


class FileReader:
    """The rows of a MindRecord file and its sibling shards as dicts (scalars as Python values, arrays as NumPy)."""

    def __init__(self, file_name, num_consumer=4, columns=None, operator=None):
        names = [file_name] if isinstance(file_name, str) else list(file_name)
        if isinstance(file_name, str):
            paths, headers = _format.open_shards(file_name)
        else:
            paths, headers = names, [_format.read_header(p) for p in names]
        self._header = headers[0]
        self._rows = [r for p, h in zip(paths, headers) for r in _format.read_rows(p, h)]
        self._columns = columns

    def get_next(self):
        schema = self._header["schema"][0]["schema"]
        blobs = _format.blob_fields(schema)
        for row in self._rows:
            out = {k: row[k].item() for k in schema if k not in blobs}
            out.update({k: (bytes(row[k][0]) if schema[k]["type"] == "bytes" else row[k]) for k in blobs})
            if self._columns:
                out = {k: out[k] for k in self._columns}
            yield out

    def len(self) -> int:
        return len(self._rows)

    def schema(self) -> dict:
        return self._header["schema"][0]["schema"]

    def close(self) -> None:
        self._rows = []
