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
`tensor_store_bytes` (least recently used go first; one client's at most half: registry.CLIENT_SHARE); a
registered graph holds its own copy of the values, so eviction never breaks a graph already registered. A graph's
values named by hash resolve to at most tensor_store_bytes in all, counted before any is joined: a registration
naming one kept 1 MiB piece 10^5 times (6.7 MB of JSON) asked for 100 GB of joined bytes.
"""
from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import numpy as np

from .errors import InvalidRequest, LimitExceeded, NotFound
from .registry import CLIENT_SHARE, LRU

log = logging.getLogger("gradserve.tensors")
HEX = re.compile(r"[0-9a-f]{64}")
MAX_ENTRIES = 1 << 18
# The largest body of POST /v1/tensors/missing: MAX_ENTRIES quoted hashes, a comma and some whitespace each, and room
# (a body of 10^6 hashes, 67 MB within max_body_bytes, was read and parsed whole before its count was refused)
MISSING_BODY_BYTES = MAX_ENTRIES * 72 + 4096


class TensorNotFound(NotFound):
    code = "tensor_not_found"


def content_hash(raw) -> str:
    """The key of a tensor's bytes (what the client computes too: sha256 of its little-endian row-major bytes)."""
    return hashlib.sha256(raw).hexdigest()


class TensorStore:
    def __init__(self, cap_bytes: int, metrics: Any = None):
        self.kept = LRU(cap_bytes, MAX_ENTRIES, share=CLIENT_SHARE)
        self.metrics = metrics  # (gradserve_tensors_stored: tensors and bytes stored, one already kept not again)

    def put(self, raw, client: str | None = None) -> tuple[str, bool]:
        """(its hash, whether it was new) of one tensor's bytes, kept within the budget."""
        key = content_hash(raw)
        if self.kept.get(key) is not None:
            return key, False
        if not self.kept.put(key, bytes(raw), len(raw), owner=client):
            cap = self.kept.cap_bytes
            raise LimitExceeded(f"a tensor of {len(raw)} bytes is more than the tensor store keeps for one client "
                                f"(tensor_store_bytes={cap}, half of it per client)", limit="tensor_store_bytes",
                                value=cap, got=len(raw))
        if self.metrics is not None:
            self.metrics.tensors_stored.labels("tensors").inc()
            self.metrics.tensors_stored.labels("bytes").inc(len(raw))
        return key, True

    def missing(self, keys: Any, path: str = "$.sha256") -> list[str]:
        """The hashes among `keys` this store does not keep (a client sends those)."""
        if not isinstance(keys, list) or len(keys) > MAX_ENTRIES:
            raise InvalidRequest(f"expected a list of at most {MAX_ENTRIES} sha256 hex digests", path=path)
        for i, k in enumerate(keys):
            if not isinstance(k, str) or not HEX.fullmatch(k):
                raise InvalidRequest("not a sha256 hex digest (64 lowercase hex digits)", path=f"{path}[{i}]")
        return [k for k in keys if self.kept.get(k) is None]

    def resolved(self, doc: dict) -> dict:
        """`doc` with each parameter value named by hash given its bytes ({"raw": bytes}, which only this
        process can write: JSON has no bytes); `doc` itself when it names none. 413 naming tensor_store_bytes when
        its values' pieces add up to more than the store keeps, before any is joined."""
        params = doc.get("params")  # (values belong to the top graph only)
        if not isinstance(params, list) or not any(_by_hash(p) for p in params):
            return doc
        pieces = {i: self._pieces(p["value"]["sha256"], f"$.graph.params[{i}].value")
                  for i, p in enumerate(params) if _by_hash(p)}
        total = sum(len(b) for ps in pieces.values() for b in ps)
        cap = self.kept.cap_bytes
        if total > cap:
            raise LimitExceeded(f"the graph's parameter values named by sha256 come to {total} bytes, more than the "
                                f"tensor store keeps (tensor_store_bytes={cap}): a piece named again is counted again",
                                path="$.graph.params", limit="tensor_store_bytes", value=cap, got=total)
        return dict(doc, params=[p if i not in pieces else dict(p, value={
            **{k: x for k, x in p["value"].items() if k != "sha256"},
            "raw": pieces[i][0] if len(pieces[i]) == 1 else b"".join(pieces[i])}) for i, p in enumerate(params)])

    def _pieces(self, keys: Any, path: str) -> list[bytes]:
        """The kept bytes of each piece `keys` names, in order (joined only once all are counted: `resolved`)."""
        if not isinstance(keys, list) or not keys:
            raise InvalidRequest("sha256 must be a non-empty list of hex digests (the value's pieces, in order)",
                                 code="invalid_graph", path=f"{path}.sha256")
        pieces = []
        for i, key in enumerate(keys):
            raw = self.kept.get(key) if isinstance(key, str) else None
            if raw is None:
                cap = self.kept.cap_bytes
                raise TensorNotFound(f"parameter value piece sha256 {str(key)[:64]} is not in this server's tensor "
                                     "store: upload it first (POST /v1/tensors, gRPC PutTensors); pieces are kept "
                                     f"within tensor_store_bytes={cap}, one client's in half of it, so a model whose "
                                     "weights are larger does not fit", path=path, sha256=str(key)[:64], piece=i,
                                     limit="tensor_store_bytes", value=cap)
            pieces.append(raw)
        return pieces


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
