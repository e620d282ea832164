"""The graph registry: graphs by id (the hash of their canonical JSON), loaded once, bounded in bytes.

A graph sent inline is registered too (a later job may name it by id). Entries cost what their JSON
and loaded form hold (parameter values dominate), so the caches are bounded by bytes, not entries.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections import OrderedDict
from typing import Any

import orjson

from engine.cache_share import OwnerShare
from engine.errors import EngineError
from engine.ir import Graph
from engine.serialize import Limits, graph_from_json, graph_hash, least_work

from . import gc_pause, weight_refs
from .errors import MESSAGE_CHARS, InvalidRequest, LimitExceeded, NotFound, ServiceError, clip, from_engine

log = logging.getLogger("gradserve.registry")
NODE_BYTES = 256  # about what one node costs in JSON and loaded (Var, Eqn, attrs)
CLIENT_SHARE = 0.5  # of the graph caches (registered, derived: bytes and entries) one client's entries may hold


class LRU:
    """Least recently used first out, bounded by the bytes its entries say they hold (and a count).

    With `share`, an entry put for an owner (a client: jobs.client_of) counts against that owner's share of
    both bounds: past it, the owner's own oldest entries go first (engine.cache_share.OwnerShare: the one rule,
    the workers' and the inline lane's plan caches keep it too). Without, one client putting distinct entries
    without end evicted every other client's (a registered graph gone: its jobs by id got 404).

    Past the bounds (all owners within their shares), the owner holding the most loses its oldest entry first;
    with `idle_owner_first`, the owner least recently active (put or got) does. Not the oldest entry of all."""

    def __init__(self, cap_bytes: int, max_entries: int, share: float | None = None, idle_owner_first: bool = False):
        self.cap_bytes = cap_bytes
        self.max_entries = max_entries
        self.d: OrderedDict = OrderedDict()  # key -> (value, nbytes)
        self.nbytes = 0
        self.lock = threading.Lock()
        self.share = share
        self.shares = None if share is None else OwnerShare(max_entries, cap_bytes, share)  # owners' keys and bytes
        self.idle_owner_first = idle_owner_first

    def __len__(self) -> int:
        return len(self.d)

    def owner_of(self, k):
        """Whose entry `k` is (None: nobody's, or not kept)."""
        return None if self.shares is None else self.shares.owner_of.get(k)

    def get(self, k):
        with self.lock:
            hit = self.d.get(k)
            if hit is None:
                return None
            self.d.move_to_end(k)
            if self.shares is not None:
                self.shares.touch(k)
            return hit[0]

    def put(self, k, v, nbytes: int = 0, owner: str | None = None) -> bool:
        """Whether it is kept (False: larger than the cache, or the owner's share, alone)."""
        with self.lock:
            if k in self.d:
                self._drop(k)
            owned = self.shares is not None and owner is not None
            # larger than the whole cache (or an owner's share) alone: not kept, nothing evicted for it
            if nbytes > self.cap_bytes * (self.share if owned else 1):
                return False
            self.d[k] = (v, nbytes)
            self.nbytes += nbytes
            if owned:
                self.shares.add(k, owner, nbytes)
                while (mine := self.shares.over(owner)) is not None:
                    self._drop(mine)  # the owner's oldest, never another's
            while len(self.d) > self.max_entries or self.nbytes > self.cap_bytes:
                self._drop(self._victim())
            return True

    def _victim(self):
        """The entry to drop past the bounds: the oldest; an owned oldest entry gives way to the oldest of the owner
        holding the most (of the bound that is past: bytes, else entries), or with idle_owner_first to the oldest
        of the least recently active owner. Two clients each within their share filled a cache between them, and
        the oldest of all was a third client's registered graph (its jobs by id got 404)."""
        oldest = next(iter(self.d))
        if self.owner_of(oldest) is None:
            return oldest
        owned = self.shares.owned  # (least recently active first)
        if self.idle_owner_first:
            return next(iter(next(iter(owned.values()))))
        if self.nbytes > self.cap_bytes:
            held = {o: self.shares.nbytes[o] for o in owned}
        else:
            held = {o: len(ks) for o, ks in owned.items()}
        return next(iter(owned[max(held, key=held.__getitem__)]))  # (ties: the least recently active)

    def _drop(self, k) -> None:
        _, n = self.d.pop(k)
        self.nbytes -= n
        if self.shares is not None:
            self.shares.drop(k)

    def describe(self) -> dict:
        return {"entries": len(self.d), "bytes": self.nbytes, "cap_bytes": self.cap_bytes}


def graph_bytes(g: Graph) -> int:
    """What a loaded graph holds: its parameter values and constants, and its nodes."""
    n = sum(getattr(v, "nbytes", 0) for v in g.param_values.values())
    n += NODE_BYTES * len(g.eqns)
    for f in g.functions.values():
        n += graph_bytes(f)
    for e in g.eqns:  # constants live in attrs as arrays
        n += sum(getattr(v, "nbytes", 0) for v in e.attrs.values())
    return n


def kept_json(d: dict) -> bytes | dict:
    """A registered graph's JSON as the registry keeps it (for GET): its orjson text, one object the collector
    never walks (a 99 K-node graph's dict is ~300 K tracked containers, walked by every full collection while it
    is registered, and written by json.dumps on the event loop at each GET), or the dict where orjson cannot
    write it (an integer past 64 bits)."""
    try:
        return orjson.dumps(d)
    except (orjson.JSONEncodeError, TypeError):
        return d


def json_bytes(d: dict) -> int:
    """About what a parsed graph JSON holds in memory: parameter data as Python lists cost ~32 bytes per
    number (a pointer and a float object); the rest by node."""
    n = 0
    for sect in ("params", "consts"):
        for p in d.get(sect) or () if isinstance(d.get(sect), list) else ():
            v = p.get("value") if isinstance(p, dict) else None
            if isinstance(v, dict):
                data, b64 = v.get("data"), v.get("b64")
                shape = v.get("shape") if isinstance(v.get("shape"), list) else []
                k = 1
                for s in shape:
                    k *= s if isinstance(s, int) else 1
                n += 32 * k if isinstance(data, list) else len(b64) if isinstance(b64, str) else 0
    nodes = d.get("nodes")
    return n + NODE_BYTES * (len(nodes) if isinstance(nodes, list) else 0)


def first_non_finite(d: Any, root: str) -> tuple[str, str] | None:
    """The path and token (NaN, Infinity) of the first non-finite number in parsed JSON, else None. A loop,
    not recursion: the JSON's depth is the client's."""
    stack = [(d, root)]
    while stack:
        v, path = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return path, "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
        if isinstance(v, dict):
            stack.extend((x, f"{path}.{k}") for k, x in reversed(list(v.items())))
        elif isinstance(v, list):
            stack.extend((x, f"{path}[{i}]") for i, x in reversed(list(enumerate(v))))
    return None


def engine_error(e: EngineError, max_elements: int | None = None) -> ServiceError:
    return from_engine(e.to_dict(), max_elements)


def check_graph_size(d: dict, max_nodes: int, max_work: int | None, deep: bool = False) -> int:
    """The graph's nodes, its functions' too; 413 naming max_nodes past it, or max_work past what the graph's
    nodes surely build (engine.serialize.least_work: a node list alone past max_work, or a call of a call of a
    large function, was hashed and loaded whole before check_expansion's 413, 99 000 tiny nodes ~2.5 s of CPU).
    Also run on a large body right after its parse, in the decoder process (codec.loads: JsonLimits' max_nodes),
    so such a graph is never sent back to the server and rebuilt there. `deep`: least_work for any graph with
    functions (a graph not cached: before its load), not only one whose nodes alone pass max_work (each request's
    check, before the hash and on the event loop: ~7 ms for 18 000 nodes)."""
    n = len(d.get("nodes") or []) if isinstance(d.get("nodes"), list) else 0
    fns = d.get("functions")
    if isinstance(fns, dict):
        n += sum(len(f["nodes"]) for f in fns.values() if isinstance(f, dict) and isinstance(f.get("nodes"), list))
    if n > max_nodes:
        raise LimitExceeded(f"graph has {n} nodes, above the limit max_nodes={max_nodes}",
                            path="$.graph.nodes", limit="max_nodes", value=max_nodes)
    if max_work is None or not (n > max_work or (deep and fns)):  # (least_work is n without functions)
        return n
    least, worst = least_work(d)
    if least > max_work:
        nodes = d["nodes"]  # (a list: least_work counted it)
        op = nodes[worst].get("op") if isinstance(nodes[worst], dict) else None
        raise LimitExceeded(f"graph has {least} nodes to build (its own and those its nodes inline from functions, "
                            "to any depth, a fori_loop / scan body once a trip), each at least a step of work: above "
                            f"the limit max_work={max_work} (the most through this {op} node)",
                            path=f"$.nodes[{worst}]", limit="max_work", value=max_work, got=least)
    return n


class Registry:
    def __init__(self, limits: Limits, max_nodes: int, cap_bytes: int, max_entries: int):
        self.limits = limits
        self.max_nodes = max_nodes
        # graph_id -> (graph JSON, loaded Graph); one client's graphs hold at most half of it (LRU's share)
        self.graphs = LRU(cap_bytes, max_entries, share=CLIENT_SHARE)
        self.ids = LRU(1 << 20, max_entries)  # sha256 of an inline graph's orjson form -> graph_id
        self.values: Any = None  # parameter values named by hash (service.tensor_store.TensorStore; set by Core)

    def _hash(self, d: Any, strict: bool = False) -> tuple[str, int]:
        """The graph's id (the hash of its canonical JSON, what the SDK computes too) and its JSON size.
        That form is Python json's, ~20x slower than orjson on a graph with large parameter values, so a
        graph sent inline again is recognised by the hash of its orjson form first. Only for strict JSON:
        orjson writes NaN and Infinity as null, so a graph holding them could pass for one holding null."""
        if not isinstance(d, dict):
            raise InvalidRequest("graph must be a JSON object (gradserve.graph/1)", code="invalid_graph", path="$.graph")
        key, size = None, 0
        if strict:
            try:
                raw = orjson.dumps(d, option=orjson.OPT_SORT_KEYS)
            except (orjson.JSONEncodeError, TypeError):
                raw = None
            if raw is not None:
                key, size = hashlib.sha256(raw).digest(), len(raw)
                gid = self.ids.get(key)
                if gid is not None:
                    return gid, size
        nodes = d.get("nodes")
        try:
            gid = graph_hash(d, yielding=type(nodes) is list and len(nodes) >= gc_pause.NODES)
        except (ValueError, TypeError) as e:
            where = first_non_finite(d, "$.graph")
            if where is not None:
                raise InvalidRequest(f"graph holds {where[1]} at {where[0]}: a graph's JSON must be finite (a "
                                     "non-finite constant goes as b64)", code="invalid_graph", path=where[0]) from None
            raise InvalidRequest(f"graph is not canonical JSON: {e}", code="invalid_graph", path="$.graph") from None
        except RecursionError:  # (a value ~1000 deep, under the body's 1024: json's encoder recurses in C and Python)
            raise InvalidRequest("graph is nested too deeply to hash (an attribute's lists of lists?)",
                                 code="invalid_graph", path="$.graph") from None
        if key is not None:
            self.ids.put(key, gid, 64)
        return gid, size

    def count_nodes(self, d: dict, deep: bool = False) -> int:
        """The graph's nodes, its functions' too (`check_graph_size`, with this server's limits)."""
        return check_graph_size(d, self.max_nodes, self.limits.max_work, deep)

    def _parse(self, gid: str, d: dict, size: int, client: str | None, keep: bool = False) -> Graph:
        """The graph loaded and cached; `keep` (a registration): refused (413 naming graph_cache_bytes) when too
        large for the cache to keep, rather than a 201 whose graph_id is at once unknown (404)."""
        hit = self.graphs.get(gid)
        if hit is not None:
            return self._held(hit[1], client)
        n = self.count_nodes(d, deep=True)  # (not cached: before the load)
        # (values named by hash: their bytes, within what the cache keeps for one client)
        share = int(self.graphs.cap_bytes * CLIENT_SHARE)
        full = d if self.values is None else self.values.resolved(d, share, client=client)
        try:
            with gc_pause.paused_if(n >= gc_pause.NODES):
                g = graph_from_json(full, self.limits)
            if full is not d:
                weight_refs.mark(g, d)  # (derivation keeps them as references: service.weight_refs)
                weight_refs.allow(g, client)  # (resolved: the client held every piece)
        except EngineError as e:
            raise engine_error(e, self.limits.max_elements) from None
        except RecursionError:
            raise InvalidRequest("graph is nested too deeply", code="invalid_graph") from None
        except Exception as e:  # noqa: BLE001 - an engine bug on odd input: still the client's 400
            # (clipped: the text may echo the request, e.g. a 1 MB name, into every log line)
            log.warning("graph_from_json raised %s: %s", type(e).__name__, clip(str(e), MESSAGE_CHARS))
            raise InvalidRequest(f"graph could not be loaded: {type(e).__name__}: {e}", code="invalid_graph",
                                 path="$.graph") from None
        nbytes = json_bytes(d) + graph_bytes(g)
        if not self.graphs.put(gid, (kept_json(d), g), nbytes, owner=client) and keep:
            cap = self.graphs.cap_bytes
            raise LimitExceeded(f"the graph takes about {nbytes} bytes (its JSON and loaded form), more than the "
                                f"graph cache keeps for one client (graph_cache_bytes={cap}, half of it per client)",
                                path="$", limit="graph_cache_bytes", value=cap, got=nbytes)
        return g

    def load(self, graph: dict | None, graph_id: str | None, strict: bool = False,
             client: str | None = None, keep: bool = False) -> tuple[str, Graph]:
        """The graph sent (registered for `client`, within its share of the cache) or registered by id."""
        if graph is not None:
            if type(graph) is dict:
                self.count_nodes(graph)  # (before the hash: a graph past max_nodes / max_work is never hashed)
            gid, size = self._hash(graph, strict)
            if graph_id is not None and graph_id != gid:
                raise InvalidRequest(f"graph_id {graph_id} does not match the graph sent (its id is {gid})",
                                     path="$.graph_id", expected=gid)
            return gid, self._parse(gid, graph, size, client, keep)
        if graph_id is None:
            raise InvalidRequest("a job needs graph (inline) or graph_id (registered)", path="$")
        hit = self.graphs.get(graph_id)
        if hit is None:
            raise NotFound(f"graph {graph_id} is not registered on this server; send it inline or POST /v1/graphs",
                           graph_id=graph_id)
        return graph_id, self._held(hit[1], client)

    def _held(self, g: Graph, client: str | None) -> Graph:
        """A cached graph, for a client that held the values it names by hash (service.tensor_store): when it
        registered or first used the graph, or now (else TensorNotFound); the store evicting them later changes
        nothing (the graph keeps its values)."""
        pieces = vars(g).get(weight_refs.PIECES)
        if pieces and self.values is not None and client not in vars(g).get(weight_refs.USERS, ()):
            self.values.check_held(pieces, client)
            weight_refs.allow(g, client)
        return g

    def json_of(self, graph_id: str) -> tuple[bytes, Graph]:
        """A registered graph's JSON text and its loaded form."""
        hit = self.graphs.get(graph_id)
        if hit is None:
            raise NotFound(f"graph {graph_id} is not registered on this server", graph_id=graph_id)
        text, g = hit
        return (text if type(text) is bytes else json.dumps(text, separators=(",", ":")).encode()), g
