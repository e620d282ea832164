"""Parameter values by content hash: weights uploaded once as raw bytes, graphs that name them by hash.

A large model's graph JSON with its weights as base64 is ~1.35x the weights and is parsed whole (bound by
max_body_bytes: ViT-B/16's 460 MB of JSON was refused through the SDK). Instead the client uploads each weight's
raw little-endian bytes (`POST /v1/tensors`, the binary tensor extension, or gRPC `PutTensors`), each kept here
under the sha256 of its bytes, and registers the structure as small JSON whose parameter values say

    {"shape": [768, 768], "dtype": "float32", "sha256": ["<64 hex digits>", ...]}

(the value's bytes are those pieces' in order: the SDK cuts them at 1 MiB, so that an upload message stays within
max_body_bytes, gRPC's message limit, whatever the weight's size).
The graph's id is the hash of that JSON (the weights' hashes in it), so a graph holding other weights is
another graph. `missing` tells a client which of its hashes to send: frozen weights shared by many traces (the
same imported model under a loss, a grad, another batch size) are sent once. Kept bytes are bounded by
`tensor_store_bytes` (least recently used go first; one client's at most half: registry.CLIENT_SHARE). A
registered graph's value is read-only and references the bytes it was made of, never a copy of its own: a one-piece
value is the kept piece itself (a copy where that piece is a view of a joined value: the view would keep the whole
buffer alive); more pieces are joined once and kept from then on as views of that buffer, which a graph naming the
same pieces shares (_Pieces). Eviction never breaks a graph already registered: it keeps its
bytes alive by reference (counted in the graph cache's bytes while it is registered).

A hash is not a key to the bytes: a kept piece is a client's (jobs.client_of: its API key, else its host) once that
client has uploaded its bytes (`hold`). For any other, `missing` lists it and a graph naming it is a 404
tensor_not_found, as if it were not kept (registering, or a job by graph_id whose graph names it; a client that
held them when it registered or used the graph keeps it after an eviction: Registry._held): a client that
learnt another's hashes (a graph's JSON shared without its weights) could else run that client's weights (and
read them back as derivatives), and `missing` told it which bytes another client had uploaded. Bytes uploaded
by two clients are kept once.
"""
from __future__ import annotations

import hashlib
import logging
import math
import re
from typing import Any

import numpy as np

from engine.ir import NP_DTYPES

from .errors import InvalidRequest, LimitExceeded, NotFound, NotImplementedFeature
from .registry import CLIENT_SHARE, LRU

log = logging.getLogger("gradserve.tensors")
HEX = re.compile(r"[0-9a-f]{64}")
MAX_ENTRIES = 1 << 18
MAX_HOLDERS = 64  # clients a kept piece remembers as its uploaders (past it the longest-known one uploads again)


class TensorNotFound(NotFound):
    code = "tensor_not_found"


def content_hash(raw) -> str:
    """The key of a tensor's bytes (what the client computes too: sha256 of its little-endian row-major bytes)."""
    return hashlib.sha256(raw).hexdigest()


class _Pieces(LRU):
    """The kept pieces. The pieces of a value a graph loaded are views of that value's one joined buffer (the
    graph's array, read-only): they go together (one evicted drops its siblings), so the bytes this store
    counts are those its entries keep alive, never a piece counted while the buffer of nine stays."""

    def __init__(self, cap_bytes: int):
        super().__init__(cap_bytes, MAX_ENTRIES, share=CLIENT_SHARE, idle_owner_first=True)
        self.groups: dict[str, tuple] = {}  # a piece's key -> the keys of the value it is a view of, in order
        self.holders: dict[str, dict] = {}  # a kept piece's key -> the clients that uploaded it (an ordered set)

    def hold(self, k, client) -> bool:
        """Whether `k` is kept; if so, `client` uploaded its bytes: the piece is that client's to name too."""
        with self.lock:
            if k not in self.d:
                return False
            held = self.holders.setdefault(k, {})
            held[client] = None
            if len(held) > MAX_HOLDERS:
                del held[next(iter(held))]
            return True

    def held(self, k, client) -> Any:
        """The piece's bytes when it is kept and `client` uploaded them; else None. Only a holder's question
        refreshes the piece's place in the order (another client's kept it from eviction without using it)."""
        with self.lock:
            if client not in self.holders.get(k, ()):
                return None
        return self.get(k)

    def joined(self, keys: list, pieces: tuple) -> Any:
        """The value's bytes, `pieces` (kept under `keys`) in order: a value already joined gives its buffer; else
        they are joined, and (distinct keys, none another value's, all still kept, all one client's: an eviction
        within one client's share drops no other's piece with its siblings) kept as views of it."""
        with self.lock:
            first = self.groups.get(keys[0])
            if first == tuple(keys):
                return self.d[keys[0]][0].obj
        raw = b"".join(pieces)
        with self.lock:
            if len(set(keys)) == len(keys) and not any(k in self.groups or k not in self.d for k in keys) \
                    and len({self.owner_of(k) for k in keys}) == 1:
                view, at = memoryview(raw), 0
                for k in keys:
                    n = self.d[k][1]
                    self.d[k] = (view[at:at + n], n)  # (same bytes, same count, same place in the order)
                    self.groups[k], at = tuple(keys), at + n
        return raw

    def _drop(self, k) -> None:
        super()._drop(k)
        self.holders.pop(k, None)
        for sibling in self.groups.pop(k, ()):
            if self.groups.pop(sibling, None) is not None and sibling in self.d:
                super()._drop(sibling)
                self.holders.pop(sibling, None)


class TensorStore:
    """With a budget of 0 the store is off: uploads and missing-tensors questions are refused as not implemented
    (HTTP 501, gRPC UNIMPLEMENTED, as an older server's missing route: the SDK then sends graphs whole)."""

    def __init__(self, cap_bytes: int, metrics: Any = None):
        self.kept = _Pieces(cap_bytes)
        self.metrics = metrics  # (gradserve_tensors_stored: tensors and bytes stored, one already kept not again)

    def limits(self) -> dict[str, int]:
        """What the store keeps, as its missing-tensors answers say: in all, and for one client (the SDK reads the
        latter to tell a model too large for it from pieces other clients' uploads evicted)."""
        cap = self.kept.cap_bytes
        return {"store_bytes": cap, "client_bytes": int(cap * CLIENT_SHARE)}

    def check_on(self) -> None:
        """NotImplementedFeature when the store is off (before an upload is read: nothing would keep it)."""
        if self.kept.cap_bytes <= 0:
            raise NotImplementedFeature("this server keeps no parameter values by hash (tensor_store_bytes=0): "
                                        "send the graph with its values", limit="tensor_store_bytes", value=0)

    def put(self, raw, client: str | None = None) -> tuple[str, bool]:
        """(its hash, whether it was new) of one tensor's bytes, kept within the budget."""
        self.check_on()
        key = content_hash(raw)
        if self.kept.hold(key, client):
            return key, False
        if not self.kept.put(key, bytes(raw), len(raw), owner=client) or not self.kept.hold(key, client):
            cap = self.kept.cap_bytes
            raise LimitExceeded(f"a tensor of {len(raw)} bytes is more than the tensor store keeps for one client "
                                f"(tensor_store_bytes={cap}, {self.limits()['client_bytes']} per client)",
                                limit="tensor_store_bytes", value=cap, got=len(raw))
        if self.metrics is not None:
            self.metrics.tensors_stored.labels("tensors").inc()
            self.metrics.tensors_stored.labels("bytes").inc(len(raw))
        return key, True

    def missing(self, keys: Any, client: str | None, path: str = "$.sha256") -> list[str]:
        """The hashes among `keys` this store does not keep for `client` (it sends those)."""
        self.check_on()
        if not isinstance(keys, list) or len(keys) > MAX_ENTRIES:
            raise InvalidRequest(f"expected a list of at most {MAX_ENTRIES} sha256 hex digests", path=path)
        _check_digests(keys, path)
        return [k for k in keys if self.kept.held(k, client) is None]

    def check_held(self, pieces: list, client: str | None) -> None:
        """TensorNotFound (as `resolved` would) unless every value piece a registered graph names (weight_refs'
        PIECES: [(param index, hashes)]) is `client`'s: its cached graph serves a client that uploaded them."""
        for i, keys in pieces:
            self._pieces(keys, f"$.graph.params[{i}].value", client)

    def resolved(self, doc: dict, max_bytes: int | None = None, *, client: str | None) -> dict:
        """`doc` with each parameter value named by hash given its pieces' bytes ({"raw": (bytes, ...)}, which only
        this process can write: JSON has no bytes nor tuples); `doc` itself when it names none. Their bytes in all
        are refused past `max_bytes` (the registry's graph_cache_bytes share) before any piece is joined: a graph
        may name one kept piece many times (~70 bytes of JSON each)."""
        out = _with_values(doc, "$.graph", lambda keys, path: self._pieces(keys, path, client))  # (top graph only)
        total = sum(len(piece) for p, was in zip(out["params"], doc["params"]) if _by_hash(was)
                    for piece in p["value"]["raw"]) if out is not doc else 0
        if max_bytes is not None and total > max_bytes:
            raise LimitExceeded(f"the graph's parameter values named by sha256 hold {total} bytes in all, more than "
                                f"a graph may load for one client (graph_cache_bytes, half of it: {max_bytes})",
                                path="$.graph.params", limit="graph_cache_bytes", value=max_bytes, got=total)
        if out is not doc:  # (a value of several pieces: their one joined buffer, the pieces kept as views of it)
            for p, was in zip(out["params"], doc["params"]):
                raw = p["value"]["raw"] if _by_hash(was) else ()
                if len(raw) > 1 and sum(len(piece) for piece in raw) == _declared_bytes(was["value"]):
                    p["value"]["raw"] = (self.kept.joined(was["value"]["sha256"], raw),)
                elif len(raw) == 1 and _narrower(raw[0]):  # (a joined value's piece alone: its own bytes)
                    p["value"]["raw"] = (bytes(raw[0]),)
        return out

    def _pieces(self, keys: Any, path: str, client: str | None) -> tuple[bytes, ...]:
        if not isinstance(keys, list) or not keys:
            raise InvalidRequest("sha256 must be a non-empty list of hex digests (the value's pieces, in order)",
                                 code="invalid_graph", path=f"{path}.sha256")
        _check_digests(keys, f"{path}.sha256", code="invalid_graph")  # (all of them first: a bad one is a 400)
        pieces = []
        for i, key in enumerate(keys):
            raw = self.kept.held(key, client)
            if raw is None:  # (not kept, or not uploaded by this client: the same answer)
                cap = self.kept.cap_bytes
                raise TensorNotFound(f"parameter value piece sha256 {key} is not in this server's tensor "
                                     "store for this client: upload it first (POST /v1/tensors, gRPC PutTensors); "
                                     "a client names the pieces it uploaded itself; pieces are kept "
                                     f"within tensor_store_bytes={cap}, one client's in half of it, so a model whose "
                                     "weights are larger does not fit", path=path, sha256=key, piece=i,
                                     limit="tensor_store_bytes", value=cap)
            pieces.append(raw)
        return tuple(pieces)  # (joined once their length is checked: serialize.tensor_from_json)


def _narrower(piece) -> bool:
    """A view of a joined value's buffer smaller than it: as a graph's value it would keep that whole buffer alive
    (counted as the piece alone in the graph cache, and after the store dropped it)."""
    return isinstance(piece, memoryview) and piece.nbytes < memoryview(piece.obj).nbytes


def _declared_bytes(value: dict) -> int | None:
    """The bytes a value's shape and dtype say it holds (None when they are not well formed: the engine's load
    names what is wrong); pieces of another length stay unjoined for its check to refuse."""
    shape, dtype = value.get("shape"), value.get("dtype")
    if dtype not in NP_DTYPES or not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        return None
    return math.prod(shape) * np.dtype(NP_DTYPES[dtype]).itemsize


def _check_digests(keys: list, path: str, code: str | None = None) -> None:
    for i, k in enumerate(keys):
        if not isinstance(k, str) or not HEX.fullmatch(k):
            raise InvalidRequest("not a sha256 hex digest (64 lowercase hex digits)", code=code, path=f"{path}[{i}]")


def _with_values(body: dict, path: str, raw_of) -> dict:
    params = body.get("params")
    if not isinstance(params, list) or not any(_by_hash(p) for p in params):
        return body
    new = []
    for i, p in enumerate(params):
        if _by_hash(p):
            v = p["value"]
            where = f"{path}.params[{i}].value"
            p = dict(p, value={**{k: x for k, x in v.items() if k != "sha256"}, "raw": raw_of(v["sha256"], where)})
        new.append(p)
    return dict(body, params=new)


# in a graph's JSON text: it may name parameter values by hash (a cheap test, no parse: read where it loads)
NAMES_BY_HASH = b'"sha256"'


def names_values(doc: Any) -> bool:
    """Whether the graph names parameter values by hash: its load reads and copies their bytes (up to the
    graph cache's share), however small its JSON, so it is loaded off the event loop."""
    params = doc.get("params") if isinstance(doc, dict) else None
    return isinstance(params, list) and any(_by_hash(p) for p in params)


def _by_hash(p: Any) -> bool:
    return isinstance(p, dict) and isinstance(p.get("value"), dict) and "sha256" in p["value"]


def put_all(store: TensorStore, arrays: list, client: str | None) -> dict:
    """Store each array's little-endian bytes: the answer {"sha256": [its hash, in order], "stored": how many were
    new} (HTTP and gRPC alike)."""
    keys, new = [], 0
    for a in arrays:
        key, fresh = store.put(np.asarray(a, dtype=a.dtype.newbyteorder("<")).tobytes(), client)  # (the one copy)
        keys.append(key)
        new += fresh
    if new:
        log.info("tensor store: %d of %d tensor(s) new from %s (%d kept, %d bytes)", new, len(arrays), client,
                 len(store.kept), store.kept.nbytes)
    return {"sha256": keys, "stored": new}
