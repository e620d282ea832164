"""Tensors on the wire (Open Inference Protocol / KServe V2 convention) and the binary extension.

A request body is built as a dict in which every tensor is a NumPy array; `encode_request`
turns it into JSON (arrays as `data` lists, or `b64` where JSON cannot carry the values) or
into the binary layout (JSON header + raw little-endian tensors in the order they appear,
header length in `Inference-Header-Content-Length`). Transport-independent: the HTTP
transport uses it; a gRPC transport would use `to_bytes` / `from_bytes` for raw contents.
"""
from __future__ import annotations

import base64
import json
import math
import sys
from typing import Any

import numpy as np

try:  # optional (the `fast` extra): ~20x faster than json here, ~50 us an L1 step (benchmarks/LOOPS_REPORT.md)
    import orjson
except ImportError:  # pragma: no cover - exercised by tests that set it to None
    orjson = None  # type: ignore[assignment]

from ._shape_rules import complex_as_pairs, pairs_as_complex

HEADER_LENGTH = "Inference-Header-Content-Length"
NP_TO_V2 = {"float16": "FP16", "float32": "FP32", "float64": "FP64", "int32": "INT32", "int64": "INT64",
            "bool": "BOOL", "complex64": "COMPLEX64", "complex128": "COMPLEX128",  # complex: docs/API.md
            "int8": "INT8", "int16": "INT16", "uint8": "UINT8"}
V2_TO_NP = {v: np.dtype(k) for k, v in NP_TO_V2.items()}
_V2_TO_LE = {v: d.newbyteorder("<") for v, d in V2_TO_NP.items()}  # (newbyteorder builds a dtype per call)


_V2_BY_DTYPE = {np.dtype(k): v for k, v in NP_TO_V2.items()}


def v2_datatype(dtype) -> str:
    hit = _V2_BY_DTYPE.get(dtype)  # dtype.name is slow (~5 us): a dict of dtype objects first
    if hit is not None:
        return hit
    name = np.dtype(dtype).name
    try:
        return NP_TO_V2[name]
    except KeyError:
        raise TypeError(f"dtype {name} cannot be sent; supported: {', '.join(NP_TO_V2)}") from None


def to_bytes(a: np.ndarray) -> bytes:
    a = np.asarray(a)
    return np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()


_LITTLE = sys.byteorder == "little"


def _raw(a: np.ndarray) -> bytes | memoryview:
    """The tensor's little-endian row-major bytes as a buffer: a view when the array already is (the
    body's join copies it once), else to_bytes."""
    if _LITTLE and a.dtype.isnative:
        # small: a copy is cheaper than the view (~0.2 us against ~3 us for a few KB); tobytes is row-major
        # whatever the layout, so only a view asks whether the array is contiguous
        if a.nbytes < 65536 or not a.ndim:
            return a.tobytes()
        if a.flags.c_contiguous:
            return a.data.cast("B")
    return to_bytes(a)


def dumps(obj: Any) -> bytes:
    """Compact JSON of a body that `encode_request` walked (no NaN/Infinity left in it: see walk)."""
    if orjson is not None:
        try:
            return orjson.dumps(obj)
        except TypeError:  # (orjson.JSONEncodeError) an integer past 64 bits, say: json words it or writes it
            pass
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()


def loads(raw) -> Any:
    """A response's JSON: orjson when installed; json for what orjson refuses (the NaN / Infinity tokens
    the service writes for non-finite JSON outputs)."""
    if orjson is not None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(bytes(raw) if isinstance(raw, memoryview) else raw)


def from_bytes(raw, shape, datatype: str, copy: bool = True) -> np.ndarray:
    """The array of raw little-endian bytes: a copy, or (copy=False) a view on them where the byte order
    is the host's (gradserve._shm hands out such views of an output region)."""
    dt = V2_TO_NP.get(datatype)
    if dt is None:
        raise ValueError(f"unknown datatype {datatype!r}")
    if _LITTLE:  # native = little-endian: a copy of the bytes as they are (a third of astype's cost)
        a = np.frombuffer(raw, dtype=dt).reshape(shape)
        return a.copy() if copy else a
    return np.frombuffer(raw, dtype=_V2_TO_LE[datatype]).astype(dt, copy=True).reshape(shape)


def nbytes(body: Any) -> int:
    """Total size of the arrays in a body (to choose the binary extension)."""
    t = type(body)
    if t is dict:
        items = body.values()
    elif t is list or t is tuple:
        items = body
    elif isinstance(body, np.ndarray):
        return body.nbytes
    elif isinstance(body, (dict, list, tuple)):  # (subclasses)
        items = body.values() if isinstance(body, dict) else body
    else:
        return 0
    n = 0
    for v in items:
        tv = type(v)
        if tv is np.ndarray:
            n += v.nbytes
        elif not (tv is str or tv is bool or tv is int or v is None):  # (a job body's flags: no call)
            n += nbytes(v)
    return n


def _finite(a: np.ndarray, values: list) -> bool:
    """Whether a float array holds no NaN / Inf; `values` is its tolist(). Their Python sum is finite only
    then (cheaper than isfinite(a).all() on the small arrays that go as JSON, and silent where a NumPy
    reduction would warn of an overflow); a sum that overflowed, or a long list, asks isfinite."""
    if len(values) <= 4096 and math.isfinite(sum(values)):
        return True
    return bool(np.isfinite(a).all())


def _json_tensor(a: np.ndarray) -> dict:
    d: dict[str, Any] = {"shape": list(a.shape), "datatype": v2_datatype(a.dtype)}
    values: list | None = None
    if a.dtype.kind == "c":
        finite = bool(np.isfinite(a).all())
    else:
        flat: list = (a if a.ndim == 1 else a.reshape(-1)).tolist()
        finite, values = a.dtype.kind != "f" or _finite(a, flat), flat
    if not finite:
        d["b64"] = base64.b64encode(to_bytes(a)).decode()  # JSON has no NaN/Inf
    else:  # a complex element as its [re, im] pair
        d["data"] = values if values is not None else complex_as_pairs(a).reshape(-1, 2).tolist()
    return d


_BINARY_HEADS: dict = {}  # (shape, dtype) -> a binary tensor's JSON entry (read-only: only ever dumped)


def _binary_tensor(shape: tuple, dtype) -> dict:
    """The JSON entry of a binary tensor, the same object for the same shape and dtype (a training loop
    sends the same ones on every step)."""
    d = _BINARY_HEADS.get((shape, dtype))
    if d is None:
        d = {"shape": list(shape), "datatype": v2_datatype(dtype),
             "parameters": {"binary_data_size": int(np.prod(shape, dtype=np.int64)) * dtype.itemsize}}
        if len(_BINARY_HEADS) < 1024:
            _BINARY_HEADS[(shape, dtype)] = d
    return d


def encode_request(body: dict, *, binary: bool, place: Any = None) -> tuple[bytes, dict]:
    """(HTTP body, extra headers). Arrays anywhere in `body` become V2 tensors; `place(array)` (the
    shared memory path, gradserve._shm) may put one in a region and give its tensor parameters."""
    enc = _Encoder(binary, place)
    head = dumps(enc.walk(body))
    if not binary:
        return head, {"content-type": "application/json"}
    return b"".join([head, *enc.chunks]), {"content-type": "application/octet-stream", HEADER_LENGTH: str(len(head))}


class _Encoder:
    """encode_request's walk over a body: its JSON with each array as a V2 tensor, and (binary) the raw
    bytes of those tensors in order. (An object, not closures: a recursive closure is a reference cycle,
    and every call paid for making and undoing it.)"""

    __slots__ = ("binary", "place", "chunks")

    def __init__(self, binary: bool, place: Any):
        self.binary, self.place = binary, place
        self.chunks: list[bytes | memoryview] = []

    def tensor(self, x: np.ndarray) -> dict:
        if self.place is not None:
            params = self.place(x)
            if params is not None:
                return {"shape": list(x.shape), "datatype": v2_datatype(x.dtype), "parameters": params}
        if self.binary:
            self.chunks.append(_raw(x))
            return _BINARY_HEADS.get((x.shape, x.dtype)) or _binary_tensor(x.shape, x.dtype)
        return _json_tensor(x)

    def walk(self, x):
        t = type(x)
        # (a body's arrays and strings inside a container are done without a call to walk: every job)
        if t is dict:
            return {k: self.tensor(v) if type(v) is np.ndarray else v if type(v) is str else self.walk(v)
                    for k, v in x.items()}
        if t is list or t is tuple:
            return [self.tensor(v) if type(v) is np.ndarray else self.walk(v) for v in x]
        if t is np.ndarray:
            return self.tensor(x)
        if t is str or t is int or t is bool or x is None:
            return x
        if isinstance(x, np.ndarray):  # (a subclass)
            return self.walk(np.asarray(x))
        if isinstance(x, dict):
            return {k: self.walk(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [self.walk(v) for v in x]
        if isinstance(x, np.generic):
            x = x.item()
        if isinstance(x, float) and not math.isfinite(x):  # as json.dumps(allow_nan=False) refuses it
            raise ValueError(f"Out of range float values are not JSON compliant: {x!r}")
        return x


def decode_tensor(t: dict, tail: memoryview | None, offset: list[int], read: Any = None) -> np.ndarray:
    shape = list(map(int, t.get("shape", ())))
    datatype: Any = t.get("datatype")
    params = t.get("parameters") or _NO_PARAMS
    if params.get("shared_memory_region") is not None:  # written into this call's region (gradserve._shm)
        if read is None:
            raise ValueError("an output in a shared memory region the call did not offer")
        return read(params, shape, datatype)  # a view on the region, or a copy (gradserve._shm.Lease.read)
    size = params.get("binary_data_size")
    if size is None and "b64" not in t and datatype in _PLAIN:  # plain JSON numbers: a small job's answer
        return np.asarray(t.get("data"), dtype=_PLAIN[datatype]).reshape(shape)
    if size is not None:
        if tail is None:
            raise ValueError("a binary tensor in a response without a binary body")
        start, end = offset[0], offset[0] + int(size)
        offset[0] = end
        return from_bytes(tail[start:end], shape, datatype)
    if t.get("b64") is not None:
        return from_bytes(base64.b64decode(t["b64"]), shape, datatype)
    if datatype not in V2_TO_NP:
        raise ValueError(f"unknown datatype {datatype!r}")
    dt = V2_TO_NP[datatype]
    if dt.kind == "c":
        return pairs_as_complex(np.asarray(t.get("data"), dtype=np.float64), dt.name).reshape(shape)
    return np.asarray(t.get("data"), dtype=dt).reshape(shape)


_NO_PARAMS: dict = {}
_PLAIN = {v: d for v, d in V2_TO_NP.items() if d.kind != "c"}  # datatypes whose JSON data is a flat list


def decode_response(content: bytes, header_length: str | None, read: Any = None) -> dict:
    """The response JSON; each entry of `outputs` gets its decoded array under `array` (`read`: the
    bytes of an output in shared memory, gradserve._shm)."""
    if header_length is not None:
        n = int(header_length)
        mv = memoryview(content)
        head, tail = loads(mv[:n]), mv[n:]
    else:
        head, tail = loads(content) if content else {}, None
    offset = [0]
    outs = head.get("outputs") if isinstance(head, dict) else None
    if isinstance(outs, list):
        own = _own_copy(tail)
        for t in outs:
            if isinstance(t, dict):
                a = _view(t, own, offset) if own is not None else None
                t["array"] = a if a is not None else decode_tensor(t, tail, offset, read)
    return head


# (the ownership rule these arrays keep, with the shared-memory views: gradserve._client.Result)
# a small binary body is copied once and its arrays are views on that copy (one copy instead of one per
# array; writable, and the response's bytes untouched); a large one is copied array by array, so that
# keeping one small output does not keep the others' bytes alive
_ONE_COPY_BYTES = 65536


def _own_copy(tail: memoryview | None) -> bytearray | None:
    return bytearray(tail) if tail is not None and 0 < len(tail) <= _ONE_COPY_BYTES and _LITTLE else None


def _view(t: dict, own: bytearray, offset: list[int]) -> np.ndarray | None:
    """A plain binary output (a binary_data_size, nothing else) as a view on `own`; None otherwise (or when
    the view would be misaligned): decode_tensor then decodes it."""
    params = t.get("parameters")
    if type(params) is not dict or len(params) != 1:
        return None
    size, dt = params.get("binary_data_size"), V2_TO_NP.get(t.get("datatype"))  # type: ignore[arg-type]
    shape = t.get("shape", ())
    start = offset[0]
    if type(size) is not int or dt is None or start % dt.itemsize or size % dt.itemsize or start + size > len(own) \
            or type(shape) is not list or math.prod(shape) * dt.itemsize != size:
        return None
    offset[0] = start + size
    return np.ndarray(shape, dt, own, start)  # (~0.3 us less per output than frombuffer(...).reshape(shape))


def rebuild(structure, arrays: list):
    """MindSpore's return structure from the API's `structure` (int = index, list = tuple)."""
    t = type(structure)
    if t is int:
        return arrays[structure]
    if t is list:
        return tuple([rebuild(s, arrays) for s in structure])
    if isinstance(structure, list):
        return tuple(rebuild(s, arrays) for s in structure)
    if isinstance(structure, int) and not isinstance(structure, bool):
        return arrays[structure]
    raise ValueError(f"bad structure element {structure!r}")
