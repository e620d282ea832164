"""Parameter values named by hash, kept as references from registration to the worker's plan.

Why: a derived graph's JSON wrote every weight as base64 (~460 MB for ViT-B/16's 346 MB), the server kept that
text and each worker parsed it: most of a ~5 GB peak. Now a value the graph named by sha256 (service.tensor_store)
is written into the derived graph's text as {"shape", "dtype", "weight": key} (the key names the value's
bytes: a hash of its pieces' hashes, so a weight changed by set_data is another key, as it is another graph id).
The server keeps the store's read-only array (no copy); a worker gets its bytes once, as raw pipe frames right
after the job message that first needs them (or, reliab10, a sealed memfd all the pool's workers map:
service.weight_shm), and keeps them by key under a byte budget (WeightCache): graphs of
the same weights (grad, eval, ...) share one copy. A worker that no longer has a key asks for the graph again
("need_graph", job_id, True) and the server sends the bytes again. Inline values (base64 / data) are unchanged.

Wire form of a job's graph: (text, source map, [(key, nbytes), ...] sent as frames after the message); in the
server process (the inline lane) (text, source map, {key: array}).
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from . import weight_shm

MARK = "_weight_keys"  # on a registered engine Graph: {param name: key} of its values named by hash
PIECES = "_value_pieces"  # and [(param index, its pieces' hashes)]: what a client must hold to use the graph
USERS = "_value_users"  # and the clients that held them (an ordered set): the store's eviction then changes nothing
MAX_USERS = 64  # (past it the longest-known client shows its pieces again)
_USERS_LOCK = threading.Lock()
MIN_BYTES = 1 << 16  # a smaller value stays base64 in the text (one message; a frame costs more than its bytes)


class MissingWeight(LookupError):
    """The worker's cache no longer holds a key the graph names: the server sends it again."""


def key_of_pieces(keys: list) -> str:
    return "sha256:" + hashlib.sha256("|".join(keys).encode()).hexdigest()


def mark(g: Any, doc: dict) -> None:
    """Record on the registry's loaded graph which of its values the request named by hash (and their pieces:
    service.tensor_store.TensorStore.check_held)."""
    named = [(i, p) for i, p in enumerate(doc.get("params") or [])
             if isinstance(p, dict) and isinstance(p.get("value"), dict) and isinstance(p["value"].get("sha256"), list)]
    if named:
        vars(g)[MARK] = {p["name"]: key_of_pieces(p["value"]["sha256"]) for _, p in named}
        vars(g)[PIECES] = [(i, p["value"]["sha256"]) for i, p in named]
        vars(g)[USERS] = {}


def allow(g: Any, client: Any) -> None:
    """`client` held the values the graph names (service.tensor_store): it may use the graph from now on."""
    users = vars(g).get(USERS)
    if users is not None and client not in users:
        with _USERS_LOCK:  # (registry loads run in threads too)
            users[client] = None
            if len(users) > MAX_USERS:
                users.pop(next(iter(users)), None)


def by_identity(g: Any) -> dict:
    """id(array) -> (array, key) for the graph's values named by hash (the derived graph shares those arrays)."""
    keys = vars(g).get(MARK) or {}
    return {id(g.param_values[n]): (g.param_values[n], k) for n, k in keys.items() if n in g.param_values}


def ref_json(refs: dict, a: Any) -> tuple[str, dict] | None:
    """(key, the value's JSON) when `a` is one of the registered graph's arrays named by hash and can travel as
    its own bytes (C-contiguous, little-endian, large enough to be worth a frame); None: write it inline."""
    hit = refs.get(id(a))
    if hit is None or hit[0] is not a or not isinstance(a, np.ndarray) or a.nbytes < MIN_BYTES:
        return None
    if not a.flags.c_contiguous or a.dtype.byteorder == ">" or a.dtype.kind in "OUSV":
        return None
    return hit[1], {"shape": list(a.shape), "dtype": str(a.dtype), "weight": hit[1]}


def raw(a: np.ndarray) -> memoryview:
    """The array's own bytes, no copy (ref_json admitted only C-contiguous little-endian arrays)."""
    return memoryview(a).cast("B") if a.ndim else memoryview(a.reshape(1)).cast("B")


def resolved(d: dict, lookup: Callable[[str], Any]) -> dict:
    """The graph's JSON with each {"weight": key} value given its bytes ({"raw": (buffer,)}: engine.serialize reads
    them read-only, no copy). Raises MissingWeight naming a key `lookup` does not have."""
    params = d.get("params")
    if not isinstance(params, list) or not any(_is_ref(p) for p in params):
        return d
    new = []
    for p in params:
        if _is_ref(p):
            v = p["value"]
            buf = lookup(v["weight"])
            if buf is None:
                raise MissingWeight(v["weight"])
            p = dict(p, value={"shape": v.get("shape"), "dtype": v.get("dtype"), "raw": (buf,)})
        new.append(p)
    return dict(d, params=new)


def _is_ref(p: Any) -> bool:
    return isinstance(p, dict) and isinstance(p.get("value"), dict) and isinstance(p["value"].get("weight"), str)


def server_lookup(weights: dict) -> Callable[[str], Any]:
    """Lookup for the server process's own loads (the inline lane): the store's arrays' bytes."""
    return lambda key: raw(weights[key]) if key in weights else None


def text_size(graph_text: Any) -> int:
    """The size its text would have with the weights written as base64 (what lowering ahead is bounded by)."""
    if not isinstance(graph_text, tuple):
        return len(graph_text)
    extra = sum(a.nbytes for a in graph_text[2].values()) * 4 // 3 if len(graph_text) > 2 else 0
    return len(graph_text[0]) + extra


class SentWeights:
    """The server's note of which keys a worker was sent (bounded like the worker's cache; a key the worker
    dropped meanwhile comes back as need_graph with weights, and is sent again)."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.nbytes = max_bytes, 0
        self.keys: OrderedDict = OrderedDict()  # key -> bytes

    def to_send(self, weights: dict) -> list:
        for k in weights:
            if k in self.keys:
                self.keys.move_to_end(k)
        return [(k, a) for k, a in weights.items() if k not in self.keys]

    def sent(self, key: str, nbytes: int) -> None:
        self.keys[key] = nbytes
        self.nbytes += nbytes
        while len(self.keys) > 1 and self.nbytes > self.max_bytes:
            self.nbytes -= self.keys.popitem(last=False)[1]

    def forget(self, keys) -> None:
        for k in keys:
            self.nbytes -= self.keys.pop(k, 0)


class WeightCache:
    """The worker's values by key, read-only, within `max_bytes` (least recently used dropped first; a graph in
    the plan cache keeps its arrays alive after that)."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.nbytes = max_bytes, 0
        self.bufs: OrderedDict = OrderedDict()  # key -> read-only memoryview

    def get(self, key: str):
        buf = self.bufs.get(key)
        if buf is not None:
            self.bufs.move_to_end(key)
        return buf

    def receive(self, conn, sending: list) -> None:
        """Read the frames that follow a job message, in its order, each into its own buffer (no copy after).
        What one message brings is never dropped for another of its own (a graph larger than the budget would
        ask for its values without end): the budget is kept by dropping older keys only."""
        batch = {one[0] for one in sending}
        for key, n, *shared in sending:
            if shared:  # the server's sealed memfd, mapped (service.weight_shm): None if gone, and the job asks again
                view = weight_shm.mapped(shared[0], shared[1], n)
                if view is None:
                    continue
            else:
                buf = bytearray(n)
                got = conn.recv_bytes_into(buf)  # (ref_json sends none under MIN_BYTES: never empty)
                if got != n:
                    raise ValueError(f"weight {key}: {got} bytes came, {n} announced")
                view = memoryview(buf).toreadonly()
            old = self.bufs.pop(key, None)
            self.nbytes += n - (len(old) if old is not None else 0)
            self.bufs[key] = view
        for old_key in [k for k in self.bufs if k not in batch]:
            if self.nbytes <= self.max_bytes:
                break
            self.nbytes -= len(self.bufs.pop(old_key))
