"""Dataset.save: a pipeline's rows written as MindRecord files (mindrecord.FileWriter), as MindSpore 2.10's
SaveToDisk writes them (its C++: tree_consumer.cc SaveToDisk, mindrecord shard_utils.h kTypesMap): the schema from
the first row - each type cast as kTypesMap says, an array's shape with its first dimension -1, a bytes or string
value without one -, the scalar non-bytes columns indexed, the column names' punctuation made '_'; several files
named file_name0, file_name1, ..."""
from __future__ import annotations

import string

import numpy as np

from .audio import _pipeline_error

# MindSpore 2.10's kTypesMap: the dataset's type -> the MindRecord field's type.
_TYPES = {"bool": "int32", "int8": "int32", "uint8": "int32", "int16": "int32", "uint16": "int32",
          "int32": "int32", "uint32": "int64", "int64": "int64", "uint64": "int64", "float16": "float32",
          "float32": "float32", "float64": "float64"}
_MULTI_BYTES = "Currently, multi-dimensional bytes cannot be converted to MindRecord."
_DYNAMIC = ("Tensor with dynamic shape do not currently support saving. Except for the shape of dimension 0, the "
            "other dimension shapes must be fixed. You can reshape the Tensor to a fixed shape before saving.")


def _field_name(name: str) -> str:
    """C's ispunct characters made '_' (SaveToDisk's column names)."""
    return "".join("_" if c in string.punctuation else c for c in name)


def _kind(value: np.ndarray) -> str:
    if value.dtype.kind == "S":
        return "bytes"
    if value.dtype.kind == "U":
        return "string"
    if value.dtype.name not in _TYPES:
        raise _pipeline_error(f"Invalid type, unsupported data type: {value.dtype.name}")
    return _TYPES[value.dtype.name]


def _field(value: np.ndarray) -> dict:
    kind = _kind(value)
    if value.ndim and kind == "string":
        raise _pipeline_error("Invalid data, mindrecord can not support multi-dimensional string tensor.")
    if not value.ndim or kind == "bytes":
        return {"type": kind}
    return {"type": kind, "shape": [-1, *value.shape[1:]]}


def _fixed_shapes(row: dict) -> dict:
    """The shapes past dimension 0 of the row's numeric columns of rank 2 or more (SaveToDisk's check)."""
    return {k: v.shape[1:] for k, v in row.items() if v.ndim > 1 and _kind(v) not in ("bytes", "string")}


def _value(value: np.ndarray, field: dict):
    kind = field["type"]
    if kind == "bytes":
        if value.ndim > 1 or value.size != 1:
            raise _pipeline_error(_MULTI_BYTES)
        return bytes(value.reshape(-1)[0])
    if kind == "string":
        return str(value.item())
    cast = value.astype(np.dtype(kind))  # (uint64 as int64 wraps round: MindSpore's "maybe reverse")
    return cast if "shape" in field else cast.item()


def check_args(file_name, num_files, file_type) -> None:
    """MindSpore 2.10's check_save (its classes and texts)."""
    if isinstance(num_files, bool) or not isinstance(num_files, int):
        raise TypeError(f"Argument num_files with value {num_files} is not of type [<class 'int'>], but got "
                        f"{type(num_files)}.")
    if num_files <= 0 or num_files > 1000:
        raise ValueError("num_files should between 0 and 1000.")
    for name, value in (("file_name", file_name), ("file_type", file_type)):
        if not isinstance(value, str):
            raise TypeError(f"Argument {name} with value {value} is not of type [<class 'str'>], but got "
                            f"{type(value)}.")
    if file_type != "mindrecord":
        raise ValueError(f"{file_type} dataset format is not supported.")


def save(dataset, file_name: str, num_files: int = 1, file_type: str = "mindrecord") -> None:
    from ..mindrecord import FileWriter  # (no encryption key can be set here: no encrypted files to refuse)

    check_args(file_name, num_files, file_type)
    rows: list[dict] = []
    schema: dict[str, dict] = {}
    shapes = None
    for item in dataset.create_dict_iterator(num_epochs=1, output_numpy=True):
        row = {_field_name(k): np.asarray(v) for k, v in item.items()}
        if shapes is None:
            shapes = _fixed_shapes(row)
            schema = {k: _field(v) for k, v in row.items()}
        elif _fixed_shapes(row) != shapes:
            raise _pipeline_error(_DYNAMIC)
        rows.append({k: _value(v, schema[k]) for k, v in row.items()})
    writer = FileWriter(file_name, num_files)
    if not schema:  # (no rows: MindSpore writes no schema and fails in its writer)
        raise RuntimeError("Invalid data, the dataset to save has no rows.")
    writer.add_schema(schema, "")
    index = [k for k, f in schema.items() if f["type"] != "bytes" and "shape" not in f]
    if index:
        writer.add_index(index)
    writer.write_raw_data(rows)
    writer.commit()
