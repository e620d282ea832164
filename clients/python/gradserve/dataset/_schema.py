"""`mindspore.dataset.Schema`: column names, types and shapes, read from / written to MindSpore's schema JSON, with
MindSpore 2.10's checks and texts (checked in its venv). TFRecordDataset (_tfrecord.py) reads its columns."""
from __future__ import annotations

import json
import os

from . import _checks
from .audio import _pipeline_error

_TYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
          "float64", "string"}


def _syntax_error(message: str) -> RuntimeError:
    """MindSpore 2.10's error for a malformed column description (its first line is 'Syntax error.')."""
    return RuntimeError(f"Syntax error. \n\n- Dataset Pipeline Error Message: \n[ERROR] {message}\n")


def _type_name(de_type) -> str:
    """A column type's name: a str of _TYPES or a MindSpore dtype (string, bool, ints, floats)."""
    if isinstance(de_type, str):
        if de_type not in _TYPES:
            raise TypeError("Unknown column type.")
        return de_type
    name = "string" if repr(de_type) == "mindspore.string_" else getattr(de_type, "name", None)
    if name not in _TYPES:  # (MindSpore 2.10's KeyError for bfloat16 / complex dtypes)
        raise KeyError(de_type)
    return name


def _column(name: str, col: dict) -> dict:
    """One column of a parsed description: name, type and shape (none: []), rank its length (MindSpore's)."""
    if name is None:
        raise _syntax_error("Column's name is missing")
    if "type" not in col:
        raise _syntax_error("Column's type is missing")
    if col["type"] not in _TYPES:
        raise _pipeline_error("Type is unknown.")
    shape = list(col.get("shape") or [])
    return {"name": name, "rank": len(shape), "shape": shape, "type": col["type"]}


class Schema:
    """Columns in order: add_column appends one, parse_columns / from_json replace them all."""

    def __init__(self, schema_file=None):
        self._columns: list[dict] = []
        self._extra: dict = {}
        if schema_file is None:
            return
        if not isinstance(schema_file, str):
            raise TypeError(f"path: {schema_file} is not string")
        if not os.path.isfile(schema_file) or not os.access(schema_file, os.R_OK):
            raise ValueError(f"The file {schema_file} does not exist or permission denied!")
        with open(schema_file, encoding="utf-8") as f:
            self.from_json(json.load(f))

    def add_column(self, name, de_type, shape=None) -> None:
        _checks.typed("name", name, (str,))
        col = {"name": name, "rank": 1, "type": _type_name(de_type)}  # (no shape: rank 1, as MindSpore 2.10 writes)
        if shape is not None:
            _checks.typed("shape", shape, (list,))
            col.update(rank=len(shape), shape=list(shape))
        self._columns.append(col)

    def parse_columns(self, columns) -> None:
        """A list of {name, type, shape?} or a dict {name: {type, shape?}} (its columns by name, as MindSpore's)."""
        if isinstance(columns, dict):
            self._columns = [_column(n, columns[n]) for n in sorted(columns)]
        elif isinstance(columns, list):
            self._columns = [_column(c.get("name"), c) for c in columns]
        else:
            raise _syntax_error("columns must be dict or list, columns contain name, type, shape(optional).")

    def from_json(self, json_obj) -> None:
        if not isinstance(json_obj, dict) or "columns" not in json_obj:
            raise _pipeline_error('"columns" node is required in the schema json JSON.')
        self.parse_columns(json_obj["columns"])
        self._extra = {k: json_obj[k] for k in ("datasetType", "numRows") if k in json_obj}

    def to_json(self) -> str:
        return json.dumps({"columns": self._columns or None, **self._extra}, indent=2, sort_keys=True)

    __str__ = to_json
