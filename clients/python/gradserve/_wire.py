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

import ml_dtypes  # noqa: F401  (registers the name "bfloat16" with NumPy)
import numpy as np

try:  # optional (the `fast` extra): ~20x faster than json here, ~50 us an L1 step (benchmarks/LOOPS_REPORT.md)
    import orjson
except ImportError:  # pragma: no cover - exercised by tests that set it to None
    orjson = None  # type: ignore[assignment]

from ._shape_rules import complex_as_pairs, pairs_as_complex

HEADER_LENGTH = "Inference-Header-Content-Length"
NP_TO_V2 = {"float16": "FP16", "float32": "FP32", "float64": "FP64", "int32": "INT32", "int64": "INT64",
            "bool": "BOOL", "complex64": "COMPLEX64", "complex128": "COMPLEX128",  # complex: docs/API.md
            "int8": "INT8", "int16": "INT16", "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32",
            "uint64": "UINT64", "bfloat16": "BF16"}  # BF16: ml_dtypes' arrays, 2 little-endian bytes an element
V2_TO_NP = {v: np.dtype(k) for k, v in NP_TO_V2.items()}
_V2_TO_LE = {v: d.newbyteorder("<") for v, d in V2_TO_NP.items()}  # (newbyteorder builds a dtype per call)


_V2_BY_DTYPE = {np.dtype(k): v for k, v in NP_TO_V2.items()}
_BF16 = V2_TO_NP["BF16"]


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
            return (a.view(np.uint16) if a.dtype == _BF16 else a).data.cast("B")  # (no buffer format for bfloat16)
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
        finite, values = a.dtype.kind in "iub" or _finite(a, flat), flat  # (bfloat16's kind is V)
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
    if binary and place is None and type(body) is dict:
        chunks: list = []
        key = _layout(body, chunks)
        if key is not None:
            head, length = _HEADS.get(key) or _learn_head(key, body)
            return b"".join([head, *chunks]), {"content-type": "application/octet-stream", HEADER_LENGTH: length}
    enc = _Encoder(binary, place)
    head = dumps(enc.walk(body))
    if not binary:
        return head, {"content-type": "application/json"}
    return b"".join([head, *enc.chunks]), {"content-type": "application/octet-stream", HEADER_LENGTH: str(len(head))}


# a binary job body's JSON head is the same call after call for one program (its graph id, its tensors'
# shapes and dtypes, its flags): only the tensor bytes change. Memoised by the body's layout.
_HEADS: dict[tuple, tuple[bytes, str]] = {}
_HEADS_MAX = 512
_SCALARS = (str, int, bool, type(None))


def _layout(body: dict, chunks: list) -> tuple | None:
    """The layout of a binary body whose members are arrays (alone, in a list, or in a dict of names) and
    str / int / bool / None values, with its tensors' bytes appended to `chunks` in the walk's order; None
    for anything else (floats, NumPy scalars, nesting: the walk writes and checks those)."""
    key: list[tuple] = []
    for k, v in body.items():
        t = type(v)
        if t is np.ndarray:
            chunks.append(_raw(v))
            key.append((k, v.shape, v.dtype))
        elif t in _SCALARS:
            key.append((k, t, v))  # (the type: True and 1 are equal keys but not the same JSON)
        elif t is list or t is tuple:
            part: list[tuple] = []
            for x in v:
                tx = type(x)
                if tx is np.ndarray:
                    chunks.append(_raw(x))
                    part.append((x.shape, x.dtype))
                elif tx in _SCALARS:
                    part.append((tx, x))
                else:
                    return None
            key.append((k, list, tuple(part)))
        elif t is dict:
            named: list[tuple] = []
            for name, x in v.items():
                if type(x) is not np.ndarray or type(name) is not str:
                    return None
                chunks.append(_raw(x))
                named.append((name, x.shape, x.dtype))
            key.append((k, dict, tuple(named)))
        else:
            return None
    return tuple(key)


def _learn_head(key: tuple, body: dict) -> tuple[bytes, str]:
    """The head the walk writes for this layout (its refusals raise as they always did), memoised."""
    head = dumps(_Encoder(True, None).walk(body))
    if len(_HEADS) >= _HEADS_MAX:  # (many programs or shapes: start again rather than grow)
        _HEADS.clear()
    _HEADS[key] = got = (head, str(len(head)))
    return got


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
        if read is None and _LITTLE:
            known = _known_layout(mv, n)
            if known is not None:
                return known
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


# a small binary answer's head differs call by call only in its last member, "timing" (service.codec writes
# it last), for one program: its members before that -> how to decode it (_Layout), learnt from the first
# answer decoded in full and checked against it; None: not a plain binary answer (decoded in full each time)
_TIMING = b',"timing":'
_LAYOUTS: dict[bytes, "_Layout | None"] = {}
_LAYOUTS_MAX = 256
_NAMES = (str, type(None))  # (an output's name: kept as decoded, so nothing a caller could change)


class _Layout:
    """A plain binary answer's outputs (name, shape, datatype, dtype, offset, size each) and its other
    members but timing, decoded once."""

    __slots__ = ("outputs", "members", "size", "names", "flat", "key")

    def __init__(self, outputs: list, members: dict, size: int, key: bytes = b""):
        self.outputs, self.members, self.size = outputs, members, size
        self.key = key  # the head's bytes before timing (known_answer's key)
        self.names = tuple([o[0] for o in outputs])
        # a structure that is a flat list of output indices (a tuple of the outputs, as value_and_grad's):
        # rebuild's answer is then tuple(arrays[i] for i in flat) (gradserve._lane builds it so)
        s = members.get("structure")
        self.flat = tuple(s) if type(s) is list and all(type(i) is int and 0 <= i < len(outputs) for i in s) else None

    def arrays(self, tail: memoryview) -> list:
        """The outputs' arrays, each a view on one private copy of the bytes."""
        own = bytearray(tail)
        return [np.ndarray(shape, dt, own, start) for _, shape, _, dt, start, _ in self.outputs]

    def decode(self, tail: memoryview, timing: Any) -> dict:
        """The head decode_response gives, each output's array a view on one private copy of the bytes."""
        own = bytearray(tail)  # (as `arrays`, inline: every call of the general path)
        head: dict = {"outputs": [{"name": name, "shape": list(shape), "datatype": datatype,
                                   "parameters": {"binary_data_size": size}, "array": np.ndarray(shape, dt, own, start)}
                                  for name, shape, datatype, dt, start, size in self.outputs]}
        for k, v in self.members.items():
            head[k] = _fresh(v)
        head["timing"] = timing
        return head


def _fresh(v):
    """A copy of a decoded JSON value's lists and dicts (the caller may keep and change what it is given)."""
    t = type(v)
    if t is list:
        return [_fresh(x) for x in v]
    if t is dict:
        return {k: _fresh(x) for k, x in v.items()}
    return v


def _known_layout(mv: memoryview, n: int) -> dict | None:
    """The decoded answer when its head's members before timing are a layout seen before; else None."""
    got = known_answer(mv, n)
    return None if got is None else got[0].decode(mv[n:], got[1])


def known_answer(mv: memoryview, n: int) -> "tuple[_Layout, Any] | None":
    """(its layout, its timing) when the answer's head (`n` bytes of `mv`) but its timing is a layout seen
    before, for a tail of that layout's size; else None (decode_response then decodes it in full)."""
    raw = mv[:n].tobytes()
    cut = raw.rfind(_TIMING)
    if cut < 0 or raw[-1:] != b"}":
        return None
    key = raw[:cut]
    if key not in _LAYOUTS:
        _LAYOUTS[key] = _learn_layout(raw, cut, len(mv) - n)
        if len(_LAYOUTS) > _LAYOUTS_MAX:  # (many programs: start again rather than grow)
            _LAYOUTS.clear()
    lay = _LAYOUTS.get(key)
    if lay is None or lay.size != len(mv) - n:
        return None
    try:
        return lay, loads(raw[cut + len(_TIMING):-1])
    except ValueError:
        return None


def _learn_layout(raw: bytes, cut: int, tail_size: int) -> _Layout | None:
    """The layout of this answer when it is a plain small binary one whose head splits at `cut` into its
    members and a last member timing (checked against the whole head decoded), else None."""
    try:
        whole, members = loads(raw), loads(raw[:cut] + b"}")
        timing = loads(raw[cut + len(_TIMING):-1])
    except ValueError:
        return None
    if type(whole) is not dict or type(members) is not dict or "timing" in members or \
            whole != {**members, "timing": timing} or list(whole)[-1] != "timing":
        return None
    outs, plan, start = members.pop("outputs", None), [], 0
    if type(outs) is not list or not 0 < tail_size <= _ONE_COPY_BYTES:
        return None
    for t in outs:
        if type(t) is not dict or set(t) != {"name", "shape", "datatype", "parameters"}:
            return None
        params, shape, dt = t["parameters"], t["shape"], V2_TO_NP.get(t["datatype"])
        size = params.get("binary_data_size") if type(params) is dict and len(params) == 1 else None
        if dt is None or type(size) is not int or type(shape) is not list or type(t["name"]) not in _NAMES or \
                not all(type(d) is int and d >= 0 for d in shape) or math.prod(shape) * dt.itemsize != size or \
                start % dt.itemsize:
            return None
        plan.append((t["name"], tuple(shape), t["datatype"], dt, start, size))
        start += size
    return _Layout(plan, members, start, raw[:cut]) if start == tail_size else None


NOT_OF = object()  # (answer_timing: not an answer of that layout)


def answer_timing(content: bytes | bytearray, n: int, lay: _Layout) -> Any:
    """known_answer's timing for an answer (`n` head bytes of `content`) when known_answer would find the layout
    `lay` (one a caller keeps: its key compared in place, no copy of the head and no lookup); else NOT_OF."""
    key = lay.key
    k = len(key)
    if len(content) - n != lay.size or not content.startswith(key) or content.rfind(_TIMING, 0, n) != k or \
            content[n - 1] != 0x7D:  # (b"}")
        return NOT_OF
    try:
        return loads(content[k + len(_TIMING):n - 1])
    except ValueError:
        return NOT_OF


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
