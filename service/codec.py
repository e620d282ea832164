"""Tensors on the wire, Open Inference Protocol (KServe V2) convention.

    {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [flat or nested numbers]}
    {"name": "x", "shape": [2, 3], "datatype": "FP32", "b64": "<little-endian row-major bytes>"}
    {"name": "x", "shape": [2, 3], "datatype": "FP32", "parameters": {"binary_data_size": 24}}

The last is the binary tensor extension: the HTTP body is the JSON header followed by
the raw tensors in the order they appear, and the HTTP header
`Inference-Header-Content-Length` gives the JSON header's length. Decoding a binary
tensor is a zero-copy view of the request body. Protocol-agnostic: the gRPC adapter uses
`tensor_from_bytes` / `tensor_to_bytes` for its raw contents.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Iterable, NamedTuple

import ml_dtypes
import numpy as np
import orjson

from engine.ir import MAX_ELEMENTS, extent
from engine.shape_rules import complex_as_pairs, pairs_as_complex

from . import gc_pause, node_scan, repeated_keys
from .body_budget import count_bytes
from .errors import InvalidRequest, LimitExceeded, NotJson
from .json_decoder import OFFLOAD_MIN

HEADER_LENGTH = "Inference-Header-Content-Length"
BF16 = np.dtype(ml_dtypes.bfloat16)
V2_TO_NP = {"FP16": np.dtype("<f2"), "FP32": np.dtype("<f4"), "FP64": np.dtype("<f8"), "INT32": np.dtype("<i4"),
            "INT64": np.dtype("<i8"), "BOOL": np.dtype("bool"),
            # not in the V2 spec (it has no complex type); named as ONNX names them. Raw bytes: interleaved
            # little-endian (re, im) pairs (NumPy's layout); JSON data: one [re, im] pair per element
            "COMPLEX64": np.dtype("<c8"), "COMPLEX128": np.dtype("<c16"),
            "INT8": np.dtype("<i1"), "INT16": np.dtype("<i2"), "UINT8": np.dtype("<u1"),
            "UINT16": np.dtype("<u2"), "UINT32": np.dtype("<u4"), "UINT64": np.dtype("<u8"),
            # raw: 2 little-endian bytes per element (the upper half of the float32), as KServe / Triton send it;
            # JSON data: numbers, rounded to the nearest bfloat16
            "BF16": np.dtype(ml_dtypes.bfloat16)}
NP_TO_V2 = {"float16": "FP16", "float32": "FP32", "float64": "FP64", "int32": "INT32", "int64": "INT64",
            "bool": "BOOL", "complex64": "COMPLEX64", "complex128": "COMPLEX128", "int8": "INT8", "int16": "INT16",
            "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64", "bfloat16": "BF16"}
# the V2 spec's datatypes the engine has no dtype for, refused by name (with what to send instead)
UNSUPPORTED = {"BYTES": "BYTES tensors are not supported (the engine's tensors are numbers and booleans)",
}
TENSOR_KEYS = {"name", "shape", "datatype", "data", "b64", "parameters"}


def np_dtype(datatype: Any, path: str) -> np.dtype:
    if type(datatype) is str and datatype in V2_TO_NP:  # (an object or a list there was a 500: unhashable)
        return V2_TO_NP[datatype]
    if isinstance(datatype, str) and datatype in UNSUPPORTED:
        raise InvalidRequest(UNSUPPORTED[datatype], path=f"{path}.datatype", datatype=datatype)
    raise InvalidRequest(f"unknown datatype {datatype!r}; supported: {', '.join(V2_TO_NP)}",
                         path=f"{path}.datatype")


_V2_OF: dict = {}  # dtype -> V2 name, memoised: np.dtype(...).name builds a new string on every call


def v2_datatype(dtype) -> str:
    name = _V2_OF.get(dtype)
    if name is None:
        name = _V2_OF[dtype] = NP_TO_V2[np.dtype(dtype).name]
    return name


class BinaryReader:
    """Hands out the raw tensors of a binary-extension body, in order, as views."""

    def __init__(self, tail: memoryview | bytes | None):
        self.buf = memoryview(tail) if tail is not None else memoryview(b"")
        self.binary = tail is not None  # a body with a header length (a JSON body has no tail to read)
        self.offset = 0
        self.regions = None  # a service.client_shm.RegionIO where tensors may name shared memory regions

    def take(self, n: int, path: str) -> memoryview:
        if not self.binary:  # (not "runs past the end of the body (0 bytes left)": the body has no binary part)
            raise InvalidRequest(f"binary_data_size needs a binary body ({HEADER_LENGTH})", path=path)
        if self.offset + n > len(self.buf):
            raise InvalidRequest(f"binary_data_size {n} runs past the end of the body "
                                 f"({len(self.buf) - self.offset} bytes left)", path=path)
        v = self.buf[self.offset:self.offset + n]
        self.offset += n
        return v

    def finish(self) -> None:
        left = len(self.buf) - self.offset
        if left:
            raise InvalidRequest(f"the body has {left} byte(s) after the last binary tensor", path="$")


BEYOND = 1 << 64  # what header_int gives a number of more than 20 significant digits: above every size


def header_int(value: str | None) -> int | None:
    """A size header's value (Content-Length, the binary extension's header length) as a number; None when it is
    not one. ASCII digits only: int() also takes "+24", "2_4", " 24 " and other scripts' digits ("²" passes
    str.isdigit but not int()), which a proxy may read otherwise. Leading zeros are digits as HTTP says; past 20
    significant ones the value is BEYOND (int() of more than 4300 digits raised ValueError: a 500)."""
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0")
    return int(digits or "0") if len(digits) <= 20 else BEYOND


def split_raw(body: bytes, header_length: str | None) -> tuple[memoryview, memoryview | None]:
    """(the JSON header's bytes, the binary tail or None) of a body."""
    mv = memoryview(body)
    if header_length is None:
        return mv, None
    n = header_int(header_length)
    if n is None:
        raise InvalidRequest(f"{HEADER_LENGTH} {header_length[:40]!r} is not a non-negative decimal integer",
                             header=HEADER_LENGTH)
    if not 0 <= n <= len(mv):
        raise InvalidRequest(f"{HEADER_LENGTH} {header_length[:40]} is outside the body of {len(mv)} bytes",
                             header=HEADER_LENGTH)
    return mv[:n], mv[n:]


def split_body(body: bytes, header_length: str | None,
               limits: JsonLimits | None = None) -> tuple[Any, BinaryReader, bool]:
    """(parsed JSON header, reader over the binary tail, whether the header is strict JSON: see loads)."""
    head, tail = split_raw(body, header_length)
    value, strict = loads(head, limits=limits)
    return value, BinaryReader(tail), strict


_offload: Any = None  # a body above json_decoder.OFFLOAD_MIN goes to this (the server's json_decoder.Decoders)


def offload_to(decoders: Any) -> None:
    """Parse large bodies in `decoders`' processes from now on (None: in place)."""
    global _offload
    _offload = decoders


def loads(raw, what: str = "the body", path: str | None = None, offload: bool = True,
          vectors: bool = False, limits: JsonLimits | None = None) -> tuple[Any, bool]:
    """(value, strict): strict when it is standard JSON, read by orjson (~5x faster than json on
    number-heavy bodies), so it holds no NaN or Infinity. json reads what orjson refuses (NaN and
    Infinity tokens) and words the error. A large body is parsed in a decoder process when the server
    has them (service.json_decoder): its tensors' data lists may come back as `Decoded`, and with
    `vectors` (UM-Bridge's bodies) its "input", "sens" and "vec" lists of numbers too. `limits`: a request
    body's objects and arrays are counted before the parse, its tensors right after it (`check_body_tensors`),
    in the decoder process for a large one, before anything else is made of them."""
    if offload and _offload is not None and len(raw) > OFFLOAD_MIN:
        return _offload.loads(raw, what, path, vectors, limits)
    if limits is not None and len(raw) > limits.max_containers:  # (a shorter body cannot hold more)
        check_containers(raw, limits.max_containers, what)
    if limits is not None and limits.max_nodes is not None and limits.max_work is not None:
        node_scan.check_node_list(raw, limits.max_nodes, limits.max_work)  # (a node list past either: never parsed)
    with gc_pause.paused_if(len(raw) >= gc_pause.MIN_BYTES):
        value, strict = _parse(raw, what, path)
    if limits is not None and limits.max_nodes is not None and type(value) is dict and type(value.get("graph")) is dict:
        # (first: a graph past max_work is refused before the rest of the body is looked at, and in the decoder
        # process for a large one, never pickled back and rebuilt in the server: 99 000 nodes, ~0.6 s of it)
        from .registry import check_graph_size

        check_graph_size(value["graph"], limits.max_nodes, limits.max_work)
    repeated_keys.check(raw, value, what, path)
    if limits is not None and limits.max_tensors is not None:
        check_body_tensors(value, limits.max_tensors)
    return value, strict


def _parse(raw, what: str, path: str | None) -> tuple[Any, bool]:
    try:
        return orjson.loads(raw), True
    except orjson.JSONDecodeError:
        where = {"path": path} if path else {}
        try:
            return json.loads(bytes(raw) if isinstance(raw, memoryview) else raw, parse_int=json_int), False
        except RecursionError:
            raise InvalidRequest(f"{what} is nested too deeply", **where) from None
        except (ValueError, UnicodeDecodeError) as e:
            raise NotJson(f"{what} is not valid JSON: {e}", **where) from None


INT_RANGE = (-(1 << 63), (1 << 64) - 1)  # the integers orjson reads as int (int64's low end, uint64's high end)


def json_int(token: str) -> int | float:
    """An integer token as orjson reads it: an int in INT_RANGE, a float past it (inf past float64's range). Python
    json's reader (a body with a NaN or Infinity token) reads them through this, so the same number means the same
    value with or without such a token: 10^23 in FP32 data was its float value, but a 400 ("an integer past
    int64") when the body also held a NaN, and a 5000-digit one leaked int()'s digit limit. No int() is made of a
    token longer than INT_RANGE's (int() of a long digit string is quadratic)."""
    if len(token) <= 20:
        v = int(token)
        if INT_RANGE[0] <= v <= INT_RANGE[1]:
            return v
    return float(token)


class JsonLimits(NamedTuple):
    """What one JSON request body may hold (settings of the same names), checked by `loads` (max_tensors None:
    not a request body, as gRPC's graph_json)."""
    max_tensors: int | None
    max_containers: int
    # (a body whose "graph" is a gradserve graph: its size checked right after the parse, registry.check_graph_size)
    max_nodes: int | None = None
    max_work: int | None = None

    @classmethod
    def of(cls, s, graph: bool = False) -> "JsonLimits":
        """`graph`: the body's "graph" is a graph (a /v1 job's, a registration's)."""
        return cls(s.max_tensors, s.max_json_containers, *((s.max_nodes, s.max_work) if graph else (None, None)))


def check_containers(raw, limit: int, what: str = "the body") -> None:
    """LimitExceeded naming max_json_containers when `raw` has more than `limit` '{' and '[' bytes (its JSON
    objects and arrays, and any such bytes in its strings), before it is parsed: 8 M `[]` in a 16 MB body (parse
    cost under max_parse_bytes) took 12-16 s and +630 MiB, and stalled other clients 3.5 s as they came back
    from the decoder process and were freed."""
    n = count_bytes(raw, b"{", b"[")
    if n > limit:
        raise LimitExceeded(f"{what} has {n} JSON objects and arrays ('{{' and '[' bytes), above the limit "
                            f"max_json_containers={limit}", limit="max_json_containers", value=limit, got=n)


def check_tensor_count(n: int, limit: int, where: str) -> None:
    """LimitExceeded naming max_tensors when a request's `n` tensors (counted by len, no object made for any)
    are above `limit`: a few bytes each on the wire, a Python object each once looked at."""
    if n > limit:
        raise LimitExceeded(f"the request has {n} tensors ({where}), above the limit max_tensors={limit}",
                            limit="max_tensors", value=limit, got=n)


# where a JSON request body lists its tensors: /v1 jobs' envelopes, an OIP inference's inputs and requested
# outputs, UM-Bridge's input vectors
BODY_TENSOR_FIELDS = ("inputs", "params", "sens", "tangents", "v", "outputs", "input")


def check_body_tensors(value: Any, limit: int) -> None:
    """check_tensor_count for a parsed request body, by its fields' lengths: 1 M tiny input envelopes (53 MB of
    JSON, under the parse cap) took 22.8 s and +709 MiB of the server before its graph's input count refused
    them, its health probes waiting up to 2.8 s."""
    if type(value) is not dict:
        return
    counts = [(k, len(v) if type(v) in (list, dict) else 1) for k in BODY_TENSOR_FIELDS
              if (v := value.get(k)) is not None]
    n = sum(c for _, c in counts)
    if n > limit:
        check_tensor_count(n, limit, " + ".join(f"{c} in {k}" for k, c in counts))


def _bad_shape(path: str) -> InvalidRequest:
    return InvalidRequest("shape must be a list of non-negative integers", path=f"{path}.shape")


def _elements(shape: Any, path: str, max_elements: int | None) -> tuple[tuple[int, ...], int]:
    if not isinstance(shape, list):
        raise _bad_shape(path)
    if len(shape) > 32:  # (before multiplying: a long shape's product is a huge integer)
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in shape):
            raise _bad_shape(path)
        raise InvalidRequest(f"shape has {len(shape)} dimensions; at most 32", path=f"{path}.shape")
    n = 1
    for s in shape:  # one pass: checked and multiplied (this runs for every tensor of every job)
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise _bad_shape(path)
        n *= s
    if max_elements is not None and n > max_elements:
        raise LimitExceeded(f"tensor has {n} elements, above the limit max_elements={max_elements}",
                            path=path, limit="max_elements", value=max_elements)
    if not n and shape:
        limit = MAX_ELEMENTS if max_elements is None else max_elements
        if (span := extent(shape)) > limit:  # (an empty tensor whose other sizes NumPy cannot index: was a 500)
            raise LimitExceeded(f"tensor of shape {shape} is empty, but its other dimensions span {span} elements, "
                                f"above the limit max_elements={limit}", path=path, limit="max_elements", value=limit)
    return tuple(shape), n


def tensor_shape(shape: Iterable[int], path: str, max_elements: int | None = None) -> tuple[tuple[int, ...], int]:
    """(shape, element count), checked as every decoded tensor's is."""
    return _elements(list(shape), path, max_elements)


def tensor_from_bytes(raw, shape: Iterable[int], datatype: str, path: str = "$",
                      max_elements: int | None = None) -> np.ndarray:
    """Raw little-endian row-major bytes as an array (a view when possible)."""
    dt = np_dtype(datatype, path)
    shp, n = _elements(list(shape), path, max_elements)
    return _view(raw, dt, shp, n, datatype, path)


def _view(raw, dt: np.dtype, shp: tuple[int, ...], n: int, datatype: str, path: str) -> np.ndarray:
    """`raw` as an array of a checked dtype and shape (n elements)."""
    if len(raw) != n * dt.itemsize:
        raise InvalidRequest(f"{len(raw)} bytes given; shape {list(shp)} of {datatype} needs {n * dt.itemsize}",
                             code="shape_error", path=path, expected_bytes=n * dt.itemsize, got_bytes=len(raw))
    a = np.ndarray(shp, dt, raw)  # (one call: frombuffer + reshape cost twice as much)
    return a if dt.isnative else a.astype(dt.newbyteorder("="))


def tensor_to_bytes(a: np.ndarray) -> bytes | memoryview:
    if a.dtype == BF16:  # (the buffer protocol has no bfloat16 format: its bits as uint16)
        a = np.asarray(a).view(np.uint16)
    if type(a) is np.ndarray and a.ndim and a.size and a.flags.c_contiguous and a.dtype.byteorder != ">":
        return memoryview(a).cast("B")  # (what the lines below make of it, without two NumPy calls)
    a = np.asarray(a)
    if not a.size:
        return memoryview(b"")  # (memoryview cannot cast a view with a zero in its shape: a [0, 3] output)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return memoryview(np.ascontiguousarray(a)).cast("B")


def _depth(x, limit: int) -> int:
    d = 0
    while isinstance(x, list):
        d += 1
        if d > limit:
            return d
        x = x[0] if x else None
    return d


def envelope_ok(obj: Any) -> bool:
    """Whether `obj` is a tensor envelope that service.models.Tensor accepts (the same rules in plain
    Python, ~0.5 us against pydantic's ~4 us and a model instance per tensor). The HTTP adapter
    validates a body's tensors this way and lets pydantic see them only when one fails, for its
    error message: decode_tensor checks the rest (dtype, sizes, data)."""
    if type(obj) is not dict or not TENSOR_KEYS.issuperset(obj):
        return False
    shape = obj.get("shape")
    if type(shape) is not list or type(obj.get("datatype")) is not str:
        return False
    for s in shape:
        if type(s) is not int or s < 0:
            return False
    for k, t in (("name", str), ("b64", str), ("parameters", dict)):
        v = obj.get(k)
        if v is not None and type(v) is not t:
            return False
    return True


def decode_tensor(obj: Any, path: str, reader: BinaryReader | None = None, *, max_elements: int | None = None,
                  max_depth: int = 32) -> np.ndarray:
    if not isinstance(obj, dict):
        raise InvalidRequest("a tensor must be an object {name, shape, datatype, data|b64|parameters}", path=path)
    if not TENSOR_KEYS.issuperset(obj):
        raise InvalidRequest(f"unknown tensor field(s) {sorted(set(obj) - TENSOR_KEYS)}", path=path)
    datatype = obj.get("datatype")
    dt = V2_TO_NP.get(datatype) if type(datatype) is str else None
    if dt is None:
        dt = np_dtype(datatype, path)  # raises, naming what is wrong
    shape, n = _elements(obj.get("shape"), path, max_elements)
    params = obj.get("parameters") or {}
    if not isinstance(params, dict):
        raise InvalidRequest("parameters must be an object", path=f"{path}.parameters")
    if params.get("shared_memory_region") is not None:  # system shared memory: service.client_shm
        if reader is None or reader.regions is None or "data" in obj or "b64" in obj or "binary_data_size" in params:
            raise InvalidRequest("a shared memory tensor carries no data, b64 or binary_data_size, and is accepted "
                                 "only by the job and inference routes", path=path)
        return reader.regions.tensor(params, dt, shape, n, datatype, path)
    data, b64, size = obj.get("data"), obj.get("b64"), params.get("binary_data_size")
    if (data is not None) + (b64 is not None) + (size is not None) != 1:
        sources = [k for k, v in (("data", data), ("b64", b64), ("binary_data_size", size)) if v is not None]
        raise InvalidRequest("a tensor needs exactly one of data, b64 or parameters.binary_data_size"
                             + (f" (got {', '.join(sources)})" if sources else ""), path=path)
    if size is not None:
        if type(size) is not int or size < 0:
            raise InvalidRequest("binary_data_size must be a non-negative integer",
                                 path=f"{path}.parameters.binary_data_size")
        if reader is None:
            raise InvalidRequest("binary_data_size needs a binary body (Inference-Header-Content-Length)", path=path)
        return _view(reader.take(size, path), dt, shape, n, datatype, path)
    if b64 is not None:
        if not isinstance(b64, str):
            raise InvalidRequest("b64 must be a string", path=f"{path}.b64")
        try:  # straight from the str (b64decode first copies it to bytes); strict: only the alphabet and padding
            raw = binascii.a2b_base64(b64, strict_mode=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest("b64 is not valid base64", path=f"{path}.b64") from None
        return _view(raw, dt, shape, n, datatype, path)
    if type(data) is Decoded:  # (read by a decoder process: service.json_decoder)
        depth, arr, err = data.depth, data.array, data.error
    else:
        if not isinstance(data, list):
            data = [data]  # a scalar
        depth, arr, err = _depth(data, max_depth), None, None
    if depth > max_depth:
        raise LimitExceeded(f"data is nested more than max_depth={max_depth} levels", path=f"{path}.data",
                            limit="max_depth", value=max_depth)
    if arr is None and err is None:
        try:
            arr = strict_array(data, dt, datatype)
        except (ValueError, TypeError, OverflowError) as e:
            err = str(e)
    if err is not None:
        raise InvalidRequest(f"data is not a (nested) list of {datatype} numbers: {err}", path=f"{path}.data")
    if arr.size != n:
        raise InvalidRequest(f"data has {arr.size} elements; shape {list(shape)} needs {n}", code="shape_error",
                             path=f"{path}.data", expected=n, got=int(arr.size))
    return arr.reshape(shape)


class Decoded:
    """A tensor envelope's data list as a decoder process read it (service.json_decoder): what
    `strict_array` made of it, or the error it raised, and the list's depth; decode_tensor takes it as
    it takes the list."""

    __slots__ = ("array", "error", "depth")

    def __init__(self, array: np.ndarray | None, error: str | None, depth: int):
        self.array, self.error, self.depth = array, error, depth

    def __reduce__(self):
        return Decoded, (self.array, self.error, self.depth)

    @classmethod
    def of(cls, data: list, dt: np.dtype, datatype: str) -> "Decoded":
        depth = _depth(data, 1 << 12)  # (orjson nests at most 1024 deep; decode_tensor holds it to max_depth)
        try:
            return cls(strict_array(data, dt, datatype), None, depth)
        except (ValueError, TypeError, OverflowError) as e:
            return cls(None, str(e), depth)


def number_vector(v: list) -> np.ndarray | None:
    """A list of JSON numbers (no booleans) as float64 (UM-Bridge's vectors); None when it holds anything else."""
    if any(isinstance(x, (bool, str)) or not isinstance(x, (int, float)) for x in v):
        return None
    try:
        return np.asarray(v, dtype=np.float64)
    except OverflowError:  # (an integer past float64's range)
        return None


def strict_array(data: list, dt: np.dtype, datatype: str) -> np.ndarray:
    """The data as `dt`, read once by NumPy with no target type, so what the JSON held shows: null
    (object), strings (str), true/false where numbers belong (bool), integers past int64 (object)
    are refused instead of becoming NaN, 1.0 or a wrapped integer."""
    raw = np.array(data)
    kind = raw.dtype.kind
    if not raw.size and kind == "f":  # [] (a zero-size tensor) reads as float64: no value to refuse
        return raw.astype(dt)
    if dt.kind == "b":
        if kind != "b":
            raise ValueError("BOOL data must be true/false")
        return raw
    if kind == "b":
        raise ValueError("true/false are not numbers")
    if kind not in "iuf":
        what = {"U": "strings are not numbers", "O": "null (or a mixed or ragged list, or an integer past int64) "
                "is not a number"}.get(kind, f"{raw.dtype} is not a number")
        raise ValueError(what)
    if holds_bool(data):  # (NumPy made them 1 / 0 among numbers)
        raise ValueError("true/false are not numbers")
    if dt.kind == "c":
        return pairs_as_complex(raw, dt.name)
    if dt.kind in "iu" and raw.size:
        if kind == "f" and np.isfinite(raw).all() and (raw != np.floor(raw)).any():
            raise ValueError(f"a value is not an integer ({datatype} data)")  # (astype would truncate it)
        if kind == "f" and np.isfinite(raw).all() and np.abs(raw).max() >= 2.0 ** 53:
            return exact_ints(data, dt, datatype)
        info = np.iinfo(dt)
        if not np.isfinite(raw).all() or raw.min() < info.min or raw.max() > info.max:
            raise OverflowError(f"a value is out of the range of {datatype}")
    return raw.astype(dt, copy=False)


def holds_bool(data: list) -> bool:
    """Whether a (nested) list of numbers holds a JSON true / false: one pass over the element types (~35 ns
    an element, about half NumPy's read of the list; large bodies are read in the decoder processes)."""
    types = set(map(type, data))
    if bool in types:
        return True
    return list in types and any(holds_bool(v) for v in data if type(v) is list)


def exact_ints(data: list, dt: np.dtype, datatype: str) -> np.ndarray:
    """Integer data with a value float64 cannot hold exactly (from 2^53): NumPy reads integers past int64
    mixed with smaller ones as float64, which rounded UINT64 / INT64 values (and 2^64 - 23 became 0). Read
    again as Python numbers and range-checked one by one (a rare path: only such large values take it)."""
    obj = np.array(data, dtype=object)
    info, vals = np.iinfo(dt), obj.ravel().tolist()
    if not all(info.min <= v <= info.max for v in vals):
        raise OverflowError(f"a value is out of the range of {datatype}")
    return np.array([int(v) for v in vals], dtype=dt).reshape(obj.shape)


def encode_tensor(name: str, a: np.ndarray, binary: bool = False) -> tuple[dict, Any]:
    """(header, raw bytes or None). JSON data is flat row-major (the V2 convention)."""
    if type(a) is not np.ndarray:
        a = np.asarray(a)
    d = {"name": name, "shape": list(a.shape), "datatype": v2_datatype(a.dtype)}
    if binary:
        raw = tensor_to_bytes(a)
        d["parameters"] = {"binary_data_size": raw.nbytes}
        return d, raw
    d["data"] = (complex_as_pairs(a).reshape(-1, 2) if a.dtype.kind == "c" else widened(a).reshape(-1)).tolist()
    return d, None


def encode_b64(name: str, a: np.ndarray) -> dict:
    a = np.asarray(a)
    return {"name": name, "shape": list(a.shape), "datatype": v2_datatype(a.dtype),
            "b64": base64.b64encode(tensor_to_bytes(a)).decode()}


def echoable(s: str, path: str) -> str:
    """`s`, a string an answer echoes (OIP's id), checked to be Unicode text: JSON's escape "\\ud800" (a lone
    surrogate) parses to a str that no UTF-8 answer can hold (the answer failed: a 500). A 400 naming `path`."""
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidRequest(f"{path} holds a lone surrogate (\\u{ord(s[e.start]):04x} at character {e.start}): "
                                 "not Unicode text, it cannot be echoed", path=path) from None
    return s


def dumps(obj: Any) -> bytes:
    """Compact JSON; NumPy arrays inside are written by orjson directly (float32 as its shortest
    round-tripping decimal: 4.51, not 4.509999752044678)."""
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)


def widened(a: np.ndarray) -> np.ndarray:
    """bfloat16 as float32 (exact) for JSON: neither orjson nor json writes ml_dtypes' scalars."""
    return a.astype(np.float32) if a.dtype == BF16 else a


def json_data(a: np.ndarray):
    """A tensor's flat row-major `data` for `dumps`, without a Python list in between. JSON has no
    NaN/Infinity: orjson would write null, so such a tensor keeps Python json's NaN/Infinity tokens
    (what the service has always sent; Python clients read them back exactly)."""
    if type(a) is np.ndarray and a.dtype.kind == "f" and a.dtype.isnative and a.flags.c_contiguous:
        # the common case, written here at once: a non-finite value shows as orjson's null, where NaN /
        # Infinity must go, and costs a second pass only then (np.isfinite().all() took ~5 us per output
        # on the event loop, more than the writing)
        raw = orjson.dumps(a.reshape(-1), option=orjson.OPT_SERIALIZE_NUMPY)
        if b"n" not in raw:
            return orjson.Fragment(raw)
    flat = np.ascontiguousarray(widened(np.asarray(a)).reshape(-1))
    if flat.dtype.kind == "c":  # [re, im] per element
        flat = complex_as_pairs(flat)
    if flat.dtype.kind == "f" and not np.isfinite(flat).all():
        return orjson.Fragment(json.dumps(flat.tolist(), separators=(",", ":")))
    if flat.dtype.byteorder == ">" or flat.dtype.kind not in "fiub":
        flat = flat.astype(flat.dtype.newbyteorder("="))
    return flat


def encode_response_parts(header: dict, outputs: list[tuple[str, np.ndarray]],
                          binary: bool, placed: dict | None = None) -> tuple[list, dict]:
    """The response body as parts (JSON header, then each raw tensor as a zero-copy memoryview) and
    the extra HTTP headers: for sending large binary bodies without assembling them. `placed`: {index:
    parameters} of outputs already written into a client's shared memory region (no data here)."""
    tensors, raws = [], []
    for i, (name, a) in enumerate(outputs):
        if placed and i in placed:  # (a worker may have written it: an InRegion, shape and dtype only)
            a = a if hasattr(a, "shape") and hasattr(a, "dtype") else np.asarray(a)
            tensors.append({"name": name, "shape": list(a.shape), "datatype": v2_datatype(a.dtype),
                            "parameters": placed[i]})
            continue
        if binary:
            d, raw = encode_tensor(name, a, binary)
            raws.append(raw)
        else:
            a = np.asarray(a)
            d = {"name": name, "shape": list(a.shape), "datatype": v2_datatype(a.dtype), "data": json_data(a)}
        tensors.append(d)
    head = dumps({"outputs": tensors, **header})
    if not binary or (placed and not raws):
        return [head], {"content-type": "application/json"}
    return [head, *raws], {"content-type": "application/octet-stream", HEADER_LENGTH.lower(): str(len(head))}


def encode_response(header: dict, outputs: list[tuple[str, np.ndarray]], binary: bool,
                    placed: dict | None = None) -> tuple[bytes, dict]:
    """The response body and extra HTTP headers: JSON, or JSON header + raw tensors (binary extension)."""
    parts, headers = encode_response_parts(header, outputs, binary, placed)
    return (parts[0] if len(parts) == 1 else b"".join(parts)), headers


def decode_response(body: bytes, header_length: str | None) -> dict:
    """Client side (tests, SDK): the response JSON with each output's `array` decoded."""
    head, reader, _ = split_body(body, header_length)
    for i, t in enumerate(head.get("outputs", [])):
        t["array"] = decode_tensor(t, f"$.outputs[{i}]", reader)
    return head
