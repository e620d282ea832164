"""mindspore.save_checkpoint / load_checkpoint / load_param_into_net, in MindSpore's own .ckpt format.

A MindSpore .ckpt is a concatenation of protobuf `Checkpoint` messages (MindSpore 2.10's
train/checkpoint.proto): Checkpoint { repeated Value value = 1 }, Value { string tag = 1; TensorProto
tensor = 2 (or MapTensorProto maptensor = 3) }, TensorProto { repeated int64 dims = 1; string
tensor_type = 2 ('Float32', 'Int64', 'Bool'...); bytes tensor_content = 3 (C order, little-endian) }.
A large tensor comes in several Values with the same tag (slices of its bytes, joined on load). With
crc_check the file ends in b'crc_num' and the CRC-32 of the messages as 10 big-endian bytes. The schema
is small enough to encode and decode here by hand (no protobuf dependency; nothing is ever unpickled):
files written here load in MindSpore, and MindSpore's load here (tests/clients/test_mindspore_checkpoint.py
holds files MindSpore 2.10 wrote and checks the bytes written here against them).

Names are MindSpore's: the attribute path of each Parameter from the network ('block.fc.weight'), own
Parameters before sub-cells'. Not supported: encryption (enc_key / dec_key), format='safetensors',
and MapTensor values: each is an error that says so. bfloat16 values ('BFloat16') are 2 little-endian bytes
each, as MindSpore writes them.
"""
from __future__ import annotations

import binascii
import os
from typing import Any

import numpy as np

from ._cellbase import Cell
from ._tensor import Parameter, Tensor
from .dtype import FLOAT

_MS_TYPES = {"float16": "Float16", "float32": "Float32", "float64": "Float64", "int32": "Int32", "int64": "Int64",
             "int8": "Int8", "int16": "Int16", "uint8": "UInt8", "uint16": "UInt16",
             "uint32": "UInt32", "uint64": "UInt64", "bool": "Bool", "bfloat16": "BFloat16"}
_NP_TYPES = {v: k for k, v in _MS_TYPES.items()}
_CRC = b"crc_num"


# -- the protobuf wire format (varints and length-delimited fields are all this schema uses) ---------------
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # int64 as protobuf writes it (two's complement)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if not n:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _field(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _encode(name: str, a: np.ndarray) -> bytes:
    """One Checkpoint message holding one tensor (MindSpore writes one per parameter, too)."""
    dtype = _MS_TYPES.get(a.dtype.name)
    if dtype is None:
        raise TypeError(f"save_checkpoint: {name!r} has dtype {a.dtype.name}, which a checkpoint cannot hold here")
    dims = b"".join(_varint(1 << 3) + _varint(d) for d in a.shape)  # (unpacked: proto2's repeated int64)
    content = np.ascontiguousarray(a, a.dtype.newbyteorder("<")).tobytes()
    tensor = dims + _field(2, dtype.encode()) + _field(3, content)
    return _field(1, _field(1, name.encode()) + _field(2, tensor))


class _Reader:
    def __init__(self, data: bytes, where: str):
        self.data, self.pos, self.where = data, 0, where

    def bad(self, why: str) -> ValueError:
        return ValueError(f"load_checkpoint: {self.where} is not a MindSpore checkpoint ({why} at byte {self.pos})")

    def varint(self) -> int:
        n = shift = 0
        while True:
            if self.pos >= len(self.data) or shift > 63:
                raise self.bad("a truncated varint")
            b = self.data[self.pos]
            self.pos += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n - (1 << 64) if n >= 1 << 63 else n

    def fields(self):
        """(field number, wire type, value): an int for varints, bytes for length-delimited fields."""
        while self.pos < len(self.data):
            key = self.varint()
            num, wire = key >> 3, key & 7
            if wire == 0:
                yield num, wire, self.varint()
            elif wire == 2:
                n = self.varint()
                if n < 0 or self.pos + n > len(self.data):
                    raise self.bad(f"a field of {n} bytes past the end")
                self.pos += n
                yield num, wire, self.data[self.pos - n:self.pos]
            elif wire in (1, 5):
                self.pos += 8 if wire == 1 else 4
            else:
                raise self.bad(f"wire type {wire}")


def _tensor(data: bytes, tag: str, where: str) -> tuple[list, str, bytes]:
    dims: list = []
    dtype, content = None, b""
    r = _Reader(data, where)
    for num, _, v in r.fields():
        if num == 1:
            dims.extend([v] if isinstance(v, int) else _packed(v, where))
        elif num == 2 and isinstance(v, bytes):
            dtype = v.decode()
        elif num == 3 and isinstance(v, bytes):
            content = v
    if dtype is None:
        raise r.bad(f"parameter {tag!r} without a tensor_type")
    return dims, dtype, content


def _packed(data: bytes, where: str) -> list:
    r = _Reader(data, where)
    out = []
    while r.pos < len(data):
        out.append(r.varint())
    return out


def _value_fields(value: bytes, where: str) -> tuple:
    tag, tensor = None, None
    for num, _, v in _Reader(value, where).fields():
        if num == 1 and isinstance(v, bytes):
            tag = v.decode()
        elif num == 2 and isinstance(v, bytes):
            tensor = v
        elif num == 3:
            raise ValueError(f"load_checkpoint: {where} holds a MapTensor ({tag!r}), which is not supported")
    return tag, tensor


def _decode(data: bytes, where: str) -> dict[str, np.ndarray]:
    parts: dict[str, list] = {}
    r = _Reader(data, where)
    for num, _, value in r.fields():
        if num != 1 or not isinstance(value, bytes):
            continue
        tag, tensor = _value_fields(value, where)
        if tag is None or tensor is None:
            raise r.bad("a value without a tag or a tensor")
        dims, dtype, content = _tensor(tensor, tag, where)
        parts.setdefault(tag, [dims, dtype, []])[2].append(content)  # a large tensor: its slices, in order
    return {tag: _array(tag, dims, dtype, b"".join(chunks), where) for tag, (dims, dtype, chunks) in parts.items()}


def _array(tag: str, dims: list, dtype: str, content: bytes, where: str) -> np.ndarray:
    np_type = _NP_TYPES.get(dtype)
    if np_type is None:
        raise ValueError(f"load_checkpoint: parameter {tag!r} in {where} has type {dtype!r}; gradserve's Tensors "
                         f"hold {sorted(_NP_TYPES)} only")
    dt = np.dtype(np_type).newbyteorder("<")
    if any(d < 0 for d in dims) or len(content) != int(np.prod(dims, dtype=np.int64)) * dt.itemsize:
        raise ValueError(f"load_checkpoint: parameter {tag!r} in {where} has {len(content)} bytes for shape {dims} "
                         f"of {dtype}")
    return np.frombuffer(content, dt).astype(np_type).reshape(dims)


# -- names --------------------------------------------------------------------------------------------------
def named_parameters(cell: Cell) -> list[tuple[str, Parameter]]:
    """(name, Parameter) for each Parameter of `cell`, once: the names it carries, which checkpoints go by
    (MindSpore's; Cell.update_parameters_name gives them)."""
    return [(p.name, p) for p in cell.get_parameters()]


# -- the public functions -------------------------------------------------------------------------------------
def _items(save_obj) -> list[tuple[str, np.ndarray]]:
    if isinstance(save_obj, Cell):
        return [(n, p._host_copy()) for n, p in named_parameters(save_obj)]
    if isinstance(save_obj, dict):
        return [(str(k), _value(k, v)) for k, v in save_obj.items()]
    if isinstance(save_obj, (list, tuple)):
        out = []
        for i, d in enumerate(save_obj):
            if isinstance(d, Parameter):  # (net.trainable_params(): each by its name, as MindSpore)
                out.append((d.name, d._host_copy()))
                continue
            if not isinstance(d, dict) or "name" not in d or "data" not in d:
                raise TypeError(f"save_checkpoint: item {i} of the list must be a Parameter or a dict with 'name' "
                                "and 'data'")
            if not isinstance(d["name"], str):  # (MindSpore 2.10: TypeError, where a dict's keys are made str)
                raise TypeError(f"save_checkpoint: item {i}'s name must be a str, got {type(d['name']).__name__}")
            if not isinstance(d["data"], Tensor):  # (MindSpore 2.10: a number or an array is a TypeError)
                raise TypeError(f"save_checkpoint: item {i}'s data must be a Tensor or a Parameter, got "
                                f"{type(d['data']).__name__}")
            out.append((d["name"], _value(d["name"], d["data"])))
        return out
    raise TypeError(f"save_checkpoint: save_obj must be a Cell, a dict or a list of dicts, got "
                    f"{type(save_obj).__name__}")


def _value(name, v) -> np.ndarray:
    """A value to save: a Tensor's or array's own dtype; a Python int as int64, a float as float32."""
    if isinstance(v, Tensor):
        return v._host_copy()
    if isinstance(v, (np.ndarray, np.generic)):
        return np.asarray(v)
    if isinstance(v, bool):
        return np.asarray(v)
    if isinstance(v, int):
        return np.asarray(v, np.int64)
    if isinstance(v, float):
        return np.asarray(v, np.float32)
    raise TypeError(f"save_checkpoint: {name!r} is a {type(v).__name__}; values are Tensors, arrays or numbers")


def save_checkpoint(save_obj, ckpt_file_name, integrated_save=True, async_save=False, append_dict=None,
                    enc_key=None, enc_mode="AES-GCM", choice_func=None, crc_check=False, format="ckpt", **kwargs):
    """Writes a MindSpore .ckpt: a Cell's Parameters, a {name: value} dict or a [{'name', 'data'}] list,
    then append_dict's entries; choice_func(name) -> bool filters. '.ckpt' is added when missing."""
    if enc_key is not None:
        raise NotImplementedError("save_checkpoint: encrypted checkpoints (enc_key) are not supported")
    if format != "ckpt":
        raise NotImplementedError(f"save_checkpoint: format {format!r} is not supported (only 'ckpt')")
    items = _items(save_obj) + (_items(dict(append_dict)) if append_dict else [])
    if choice_func is not None:
        items = [(n, a) for n, a in items if choice_func(n)]
    path = os.fspath(ckpt_file_name)
    if not path.endswith(".ckpt"):
        path += ".ckpt"
    blob = b"".join(_encode(n, a) for n, a in items)
    if crc_check:
        blob += _CRC + binascii.crc32(blob).to_bytes(10, "big")
    with open(path, "wb") as f:
        f.write(blob)


def _read(path: str, crc_check: bool) -> dict[str, np.ndarray]:
    with open(path, "rb") as f:
        data = f.read()
    if len(data) >= 17 and data[-17:-10] == _CRC:
        if crc_check and binascii.crc32(data[:-17]) != int.from_bytes(data[-10:], "big"):
            raise ValueError(f"load_checkpoint: {path}'s CRC does not match its contents")
        data = data[:-17]
    elif crc_check:
        raise ValueError(f"load_checkpoint: crc_check was asked and {path} holds no CRC")
    return _decode(data, path)


def load_checkpoint(ckpt_file_name, net=None, strict_load=False, filter_prefix=None, dec_key=None,
                    dec_mode="AES-GCM", specify_prefix=None, choice_func=None, crc_check=False,
                    remove_redundancy=False, format="ckpt"):
    """{name: Parameter} from a MindSpore .ckpt (loaded into `net` too when given). filter_prefix drops,
    specify_prefix keeps, names with those prefixes; choice_func(name) -> bool keeps."""
    if dec_key is not None:
        raise NotImplementedError("load_checkpoint: encrypted checkpoints (dec_key) are not supported")
    if format != "ckpt":
        raise NotImplementedError(f"load_checkpoint: format {format!r} is not supported (only 'ckpt')")
    out = {}
    for name, a in _read(os.fspath(ckpt_file_name), crc_check).items():
        if filter_prefix is not None and name.startswith(_prefixes(filter_prefix)):
            continue
        if specify_prefix is not None and not name.startswith(_prefixes(specify_prefix)):
            continue
        if choice_func is not None and not choice_func(name):
            continue
        out[name] = Parameter(Tensor(a), name=name)
    if net is not None:
        load_param_into_net(net, out, strict_load=strict_load)
    return out


def _prefixes(p) -> tuple:
    return (p,) if isinstance(p, str) else tuple(p)


def _by_suffix(name: str, parameter_dict: dict) -> str | None:
    """strict_load=False: the one checkpoint name that differs from `name` by a leading prefix of whole
    components ('backbone.fc.weight' for 'fc.weight', or the other way), if exactly one does."""
    hits = [k for k in parameter_dict if k.endswith("." + name) or name.endswith("." + k)]
    return hits[0] if len(hits) == 1 else None


def load_param_into_net(net, parameter_dict, strict_load=False, remove_redundancy=False):
    """Sets each Parameter of `net` whose full name is in parameter_dict (strict_load=False: or, failing that,
    the one name that differs by a prefix); returns (the net's Parameters not loaded, the dict's names not
    used), MindSpore 2.x's. A shape that differs is a ValueError; a float value
    is cast to the Parameter's float dtype, other dtype changes are a TypeError."""
    if not isinstance(net, Cell):
        raise TypeError(f"load_param_into_net: net must be a Cell, got {type(net).__name__}")
    if not isinstance(parameter_dict, dict):
        raise TypeError(f"load_param_into_net: parameter_dict must be a dict, got {type(parameter_dict).__name__}")
    not_loaded, used = [], set()
    for name, p in named_parameters(net):
        key = name if name in parameter_dict or strict_load else _by_suffix(name, parameter_dict)
        if key is None or key not in parameter_dict:
            not_loaded.append(name)
            continue
        v = parameter_dict[key]
        a = v._host_copy() if isinstance(v, Tensor) else np.asarray(v)
        if tuple(a.shape) != tuple(p.shape):
            raise ValueError(f"load_param_into_net: {name!r} has shape {list(a.shape)} in the checkpoint and "
                             f"{list(p.shape)} in the network")
        if a.dtype.name != p._dtype:
            if a.dtype.name not in FLOAT or p._dtype not in FLOAT:  # (floats convert, bfloat16 too: MindSpore 2.10)
                raise TypeError(f"load_param_into_net: {name!r} is {a.dtype.name} in the checkpoint and {p._dtype} "
                                "in the network")
            a = a.astype(p._dtype)
        p.set_data(Tensor(a))
        used.add(key)
    return not_loaded, [k for k in parameter_dict if k not in used]


__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "named_parameters"]
