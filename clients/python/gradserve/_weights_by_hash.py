"""A large graph's parameter values by content hash: its structure registers as small JSON, its weights go once.

A traced graph carries its unchanged (frozen) parameters' values as base64 in its JSON: an imported ViT-B/16
made ~460 MB of JSON, above the server's max_body_bytes, and each new trace of the same model (under a loss, a
grad, another batch size) carried them all again. When a graph's values total at least `min_bytes`, each
value becomes {"shape", "dtype", "sha256": [the hashes of its little-endian bytes' pieces]}; the server is asked which
hashes it does not keep (POST /v1/tensors/missing) and only those are uploaded as raw bytes (POST /v1/tensors,
binary tensor extension; gRPC PutTensors), in uploads of at most UPLOAD_BYTES, before the small JSON is
registered (service.tensor_store). Graphs below `min_bytes` register as before.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Any, Generator

import numpy as np

from . import errors

MIN_BYTES = 8 << 20  # a graph whose values' bytes reach this goes by hash (GRADSERVE_WEIGHTS_BY_HASH_BYTES)
UPLOAD_BYTES = 32 << 20  # the most raw bytes one upload carries
# a registration that found a piece gone (other clients' uploads evicted it between this one's upload and its
# registration: 8 clients of 3 MiB at once into an 8 MiB store, 7 of 32 refused) uploads what is missing and
# registers again, this many times in all; past them its error (404 tensor_not_found naming tensor_store_bytes)
REGISTER_TRIES = 4
# of tensor_store_bytes, what a server keeps for one client where its missing-tensors answer does not say
# ("client_bytes": servers before reliab9; service.registry.CLIENT_SHARE there)
STORE_SHARE = 0.5
# a value goes in pieces of at most this, each named by its own hash (the value: their bytes in order): one gRPC
# message stays within the server's max_body_bytes whatever the weight's size, and an upload cut short resumes
PIECE_BYTES = 1 << 20


def value_bytes(doc: dict | None) -> int:
    """The bytes of the base64 parameter values in `doc` (3 per 4 characters; nothing is decoded)."""
    params = doc.get("params") if isinstance(doc, dict) else None
    if not isinstance(params, list):
        return 0
    return sum(len(p["value"]["b64"]) * 3 // 4 for p in params
               if isinstance(p, dict) and isinstance(p.get("value"), dict) and isinstance(p["value"].get("b64"), str))


def split(doc: dict, raws: dict | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """(doc with its base64 values named by the sha256 of their pieces, {sha256: a piece's bytes as uint8}).
    raws: the bytes the values encode (any buffer) by parameter name, where the caller kept them (a trace: the
    base64 is not decoded again; a value whose length does not match its base64's is decoded)."""
    blobs: dict[str, np.ndarray] = {}
    params = []
    for p in doc["params"]:
        v = p.get("value") if isinstance(p, dict) else None
        if isinstance(v, dict) and isinstance(v.get("b64"), str):
            kept = raws.get(p.get("name")) if raws else None
            if kept is None or len(v["b64"]) != -(-memoryview(kept).nbytes // 3) * 4:
                kept = base64.b64decode(v["b64"])
            raw = np.frombuffer(kept, np.uint8)
            keys = []
            for at in range(0, max(len(raw), 1), PIECE_BYTES):
                piece = raw[at:at + PIECE_BYTES]
                keys.append(hashlib.sha256(piece.data).hexdigest())
                blobs[keys[-1]] = piece
            p = dict(p, value={"shape": v["shape"], "dtype": v["dtype"], "sha256": keys})
        params.append(p)
    return dict(doc, params=params), blobs


def register(doc: dict, raws: dict | None = None) -> Generator[tuple, Any, dict]:
    """The calls that register `doc` with its values by hash (those the server lacks uploaded first): the
    registration's answer. The graph goes whole to a server without a tensor store. raws: split's."""
    by_hash, blobs = split(doc, raws)
    for attempt in range(REGISTER_TRIES):
        limits = yield from upload(blobs)
        if limits is None:  # (a server without a tensor store, or an older one: the graph goes whole)
            return (yield ("register_graph", {"graph": doc}, False, None))
        try:
            return (yield ("register_graph", {"graph": by_hash}, False, None))
        except errors.NotFound as e:
            if getattr(e, "code", None) != "tensor_not_found" or attempt + 1 == REGISTER_TRIES or \
                    _past_share(e, blobs, limits):
                raise
    raise AssertionError("unreachable: the last try returns or raises")


def _one_clients_share(limits: dict, e: errors.GradserveError) -> float | None:
    """What the server keeps for one client: as its missing-tensors answer says, else (an older server) its
    error's tensor_store_bytes times STORE_SHARE; None when neither says."""
    said = limits.get("client_bytes")
    if isinstance(said, int) and said > 0:
        return said
    cap = e.detail.get("value") if e.detail.get("limit") == "tensor_store_bytes" else None
    return cap * STORE_SHARE if isinstance(cap, (int, float)) else None


def _past_share(e: errors.GradserveError, blobs: dict[str, np.ndarray], limits: dict) -> bool:
    """The pieces hold more than the server keeps for one client: each upload evicts its own first pieces again,
    so another try only sends them again."""
    share = _one_clients_share(limits, e)
    return share is not None and sum(b.nbytes for b in blobs.values()) > share


def upload(blobs: dict[str, np.ndarray]) -> Generator[tuple, Any, dict | None]:
    """The calls (the client's generator protocol: (op, body, binary, path_arg)) that send the server the
    blobs it lacks: the store's limits its answer named ({} from an older server), or None when the server has
    no tensor store (switched off, or an older one: the graph goes whole)."""
    try:
        resp = yield ("missing_tensors", {"sha256": list(blobs)}, False, None)
    except errors.APIStatusError as e:  # store off (501 / UNIMPLEMENTED), or no such route (an older server's 404)
        if e.status == 501 or (e.status == 404 and getattr(e, "code", None) in ("not_found", None)):
            return None
        raise
    batch: list[str] = []
    size = 0
    for key in resp.get("missing", ()):
        n = blobs[key].nbytes
        if batch and size + n > UPLOAD_BYTES:
            yield from _put(batch, blobs)
            batch, size = [], 0
        batch.append(key)
        size += n
    if batch:
        yield from _put(batch, blobs)
    return {k: resp[k] for k in ("store_bytes", "client_bytes") if k in resp}


def _put(keys: list[str], blobs: dict) -> Generator[tuple, Any, None]:
    """Upload `keys`' blobs; a batch the server finds too large (413) goes in halves (one tensor alone: the error)."""
    try:
        resp = yield ("put_tensors", {"tensors": [blobs[k] for k in keys]}, True, None)
    except errors.PayloadTooLarge:
        if len(keys) == 1:
            raise
        half = len(keys) // 2
        yield from _put(keys[:half], blobs)
        yield from _put(keys[half:], blobs)
        return
    if list(resp.get("sha256", ())) != keys:  # (bytes changed on the way: the server hashed what it got)
        raise errors.GradserveError(f"the server stored tensors under other hashes than sent: {resp.get('sha256')}")
