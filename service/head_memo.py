"""Binary-extension job headers seen before: their validated model and where each tensor lies.

A client in a loop (a training step, repeated gradients) sends the same JSON header every time: only
the raw tensors after it change. Parsing that header, validating it with pydantic and checking each
tensor envelope cost ~30 us per job (L1: 7 tensors); a header met before is looked up by its bytes
instead, and its tensors are cut from the body as views, where the first decode checked each size
against its shape and datatype: a body whose binary tail has another length is decoded in full (and
refused, with the usual message). Only headers whose every tensor is a plain binary one (parameters
exactly {binary_data_size}) or a client shared memory one (service.client_shm: region, offset, size)
are kept: a JSON `data` or `b64` tensor depends on more than the header. A shared memory tensor is read
on every hit by the request's RegionIO, which checks again all that can change between requests (the
peer, the region still registered, the same object, large enough); the header fixes only its name,
offset, size, shape and datatype, which the first decode checked (W2: ~0.15 ms of parsing and pydantic
validation a call). What a header decodes to depends on the server's
limits (max_elements, max_depth), so each app keeps its own memo.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import codec

MAX_HEAD = 16 << 10  # longer headers (an inline graph, many tensors) are decoded every time
MAX_ENTRIES = 256  # distinct headers kept; past it the memo starts over (no per-hit bookkeeping)
TENSOR_FIELDS = ("inputs", "params", "sens", "tangents", "v")


class Head:
    """One header's decode: the validated model, whether the header was strict JSON, the tensor fields
    present as lists, one (field, key, dtype, shape, where) per tensor (where: its offset in the binary
    tail, or a `Shared` for a shared memory one), the bytes they take in the tail, and whether any is
    in shared memory (then only a request with a RegionIO may use it). `prepared`: what the core's
    prepare found for this header's jobs (service.core.Core._prepared), once one passed it; `template`: the
    fields its JobRequests share (service.jobs.request_template; False until its first hit)."""

    __slots__ = ("model", "strict", "lists", "tensors", "nbytes", "shared", "prepared", "template")

    def __init__(self, model, strict: bool, lists: tuple, tensors: tuple, nbytes: int):
        self.model, self.strict, self.lists, self.tensors, self.nbytes = model, strict, lists, tensors, nbytes
        self.shared = any(type(t[4]) is Shared for t in tensors)
        self.prepared = None
        self.template: dict | None | bool = False  # its jobs' JobRequest fields (jobs.request_template), once made

    def cut(self, tail: memoryview, regions=None) -> tuple[list, dict, dict]:
        """(inputs, params, {sens|tangents|v: [arrays]}): views of a tail of exactly `nbytes`, as a first
        decode gives them (a tail of another length is decoded in full, which words the error); shared
        memory tensors read through `regions` (the request's client_shm.RegionIO) as a first decode does."""
        inputs: list = []
        params: dict = {}
        lists = {k: [] for k in self.lists}
        nd = np.ndarray
        for field, key, dt, shape, where in self.tensors:
            if type(where) is Shared:
                a = regions.tensor(where.params, dt, shape, where.n, where.datatype, where.path)
            else:
                a = nd(shape, dt, tail, where)
            if field == "inputs":
                inputs.append(a)
            elif field == "params":
                params[key] = a
            else:
                lists[field].append(a)
        return inputs, params, lists


def _binary(t: Any) -> tuple | None:
    """(dtype, shape, bytes) of a plain binary tensor envelope already decoded once, else None."""
    p = t.get("parameters")
    if "data" in t or "b64" in t or type(p) is not dict or len(p) != 1 or "binary_data_size" not in p:
        return None
    dt = codec.V2_TO_NP[t["datatype"]]
    return (dt, tuple(t["shape"]), p["binary_data_size"]) if dt.isnative else None


class Shared:
    """A shared memory tensor of a header: its parameters (region, offset, size) as sent, its element
    count and datatype name, and its path for error messages."""

    __slots__ = ("params", "n", "datatype", "path")

    def __init__(self, params: dict, n: int, datatype: str, path: str):
        self.params, self.n, self.datatype, self.path = params, n, datatype, path


def _shared(t: Any, path: str) -> tuple | None:
    """(dtype, shape, Shared) of a shared memory tensor envelope already decoded once, else None."""
    p = t.get("parameters")
    if "data" in t or "b64" in t or type(p) is not dict or p.get("shared_memory_region") is None \
            or "binary_data_size" in p:
        return None
    dt, shape = codec.V2_TO_NP[t["datatype"]], tuple(t["shape"])
    return dt, shape, Shared(dict(p), math.prod(shape), t["datatype"], path)


def _path(field: str, key, listed: bool) -> str:
    """A tensor's path as decode_job names it in errors."""
    if field == "params":
        return f"$.params.{key}"
    return f"$.{field}[{key}]" if listed else f"$.{field}"


def recipe(head: dict, model, strict: bool) -> Head | None:
    """The Head of a header that has just decoded cleanly, or None when it must be decoded each time."""
    tensors, lists, offset = [], [], 0
    for field in head:
        raw = head[field]
        if field not in TENSOR_FIELDS or raw is None:
            continue
        if field == "params":
            items = list(raw.items())
        else:  # a list, or sens / v as one tensor
            items = list(enumerate(raw)) if isinstance(raw, list) else [(0, raw)]
            if field != "inputs":
                lists.append(field)
        for key, t in items:
            got = _binary(t)
            if got is None:
                got = _shared(t, _path(field, key, isinstance(raw, list)))
                if got is None:
                    return None
                tensors.append((field, key, *got))
                continue
            dt, shape, size = got
            tensors.append((field, key, dt, shape, offset))
            offset += size
    return Head(model, strict, tuple(lists), tuple(tensors), offset)


class HeadMemo:
    """{(kind, header bytes): Head}, and {light key: validated model} for headers decoded in full
    (service.http_app._light_key: JSON bodies, whose tensors change every call); bounded; safe to use
    from the decode threads (plain dict operations)."""

    def __init__(self):
        self.heads: dict = {}
        self.models: dict = {}

    def model(self, key: tuple):
        return self.models.get(key)

    def put_model(self, key: tuple, model) -> None:
        if len(self.models) >= MAX_ENTRIES:
            self.models.clear()
        self.models[key] = model

    @staticmethod
    def key(raw: memoryview) -> bytes | None:
        """The header's bytes as a key (a copy: the body's buffer is reused), None when too long to keep."""
        return bytes(raw) if len(raw) <= MAX_HEAD else None

    def get(self, kind: str, key: bytes) -> Head | None:
        return self.heads.get((kind, key))

    def put(self, kind: str, key: bytes, head: Head) -> None:
        if len(self.heads) >= MAX_ENTRIES:
            self.heads.clear()
        self.heads[(kind, key)] = head
