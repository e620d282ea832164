"""Counting a request body's graph nodes from its raw JSON bytes, before the parse.

A /v1 body whose `$.graph.nodes` list alone is past max_work (99 000 tiny nodes, ~5 MB) was parsed whole (orjson
builds every node's dict: ~0.16-0.23 s of a decoder process's CPU) before `registry.check_graph_size`'s 413. Each
element of that list counts at least one step of work (`engine.serialize.node_work`), so the objects in it are a
floor of what check_graph_size counts: past max_work, the body is refused unparsed.

The count skips strings exactly (a quote is a string's edge unless an odd run of backslashes precedes it), so a `{`
in a name never counts; a body whose bytes are not plain JSON structure (odd quotes, unbalanced brackets, "graph" or
"nodes" twice, or not at the usual place) gives None: the parse and the checks after it decide, as before. NumPy
over the positions of quotes and brackets only: ~30 ms for the 5 MB body above.

Why a second reader (round 26): the venv's JSON readers (orjson, json, python-rapidjson) have no parse that stops at
a count of `$.graph.nodes` (json's raw_decode reads a whole value; rapidjson's object_hook sees every object, not
where it sits, and an attribute may hold objects with "op" too: no floor; no streaming reader is installed), so the
count stays (99 000 nodes refused in ~40 ms of decoder CPU, orjson's parse alone ~0.19 s), and it never refuses
what the parse accepts:
- it counts only a UTF-8 body (json's guess from the first 4 bytes, as json.loads reads bytes: orjson reads UTF-8
  only, json reads UTF-16 / 32 too, whose bytes may spell `"graph":{"nodes":[{},...` inside one string: 3100 such
  objects in a 9.7 KB UTF-16 body whose graph is one sin node were a 413). In UTF-8 a multi-byte character's bytes
  are all >= 0x80, so the ASCII quotes, backslashes and brackets are the text's own;
- a member it finds is the parse's: one `"graph"` key at the top with an object value, one `"nodes"` in it with a
  list; a key written with escapes (`"gr\u0061ph"`) is not found (None), and a second one beside a found one is a
  repeated key (repeated_keys refuses the body: 400);
- every object directly in that list is a node check_graph_size counts: one toward max_nodes (len of the list, with
  the functions' nodes) and at least one toward max_work (engine.serialize.node_work is >= 1 for any element), so
  a count past either is past check_graph_size's too, which runs right after the parse on the same limits.
"""
from __future__ import annotations

import json

import numpy as np

from .body_budget import count_bytes
from .errors import LimitExceeded

_QUOTE, _BACKSLASH = 0x22, 0x5C
_OPENS, _CLOSES = (0x7B, 0x5B), (0x7D, 0x5D)  # { [ and } ]
_SPACE = b" \t\r\n"
_NODES = b'"nodes"'
_UTF8 = ("utf-8", "utf-8-sig")


def check_node_list(raw, max_nodes: int, max_work: int, in_body: bool = True) -> None:
    """LimitExceeded naming max_nodes, then max_work (registry.check_graph_size's order), when the body's
    `$.graph.nodes` holds more objects than it allows (counted in the raw bytes; a cheap gate first: that many `{`).
    `in_body` False: `raw` is the graph itself (gRPC's graph_json)."""
    least = min(max_nodes, max_work)
    if count_bytes(raw, b"{") <= least:
        return  # (~0.3 ms a MB)
    n = graph_node_objects(raw if isinstance(raw, bytes) else bytes(raw), in_body)
    if n is None or n <= least:
        return
    if n > max_nodes:
        raise LimitExceeded(f"graph has {n} nodes, above the limit max_nodes={max_nodes}",
                            path="$.graph.nodes", limit="max_nodes", value=max_nodes)
    raise LimitExceeded(f"graph has {n} nodes to build (at least: the objects in its node list, counted in the body "
                        f"before its parse), each at least a step of work: above the limit max_work={max_work}",
                        path="$.graph.nodes", limit="max_work", value=max_work, got=n)


def graph_node_objects(raw: bytes, in_body: bool = True) -> int | None:
    """The number of JSON objects directly in the body's `$.graph.nodes` array (`in_body` False: in `$.nodes`, the
    value being the graph), or None (see the module doc)."""
    if json.detect_encoding(raw[:4]) not in _UTF8:  # (UTF-16 / 32 bytes are not the text's structure)
        return None
    a = np.frombuffer(raw, np.uint8)
    quotes = _real_quotes(a)
    if quotes is None:
        return None
    pos = _brackets(a)
    pos = pos[np.searchsorted(quotes, pos) % 2 == 0]  # (outside strings: an even number of edges before)
    if not pos.size:
        return None
    byte = a[pos]
    delta = np.where((byte == _OPENS[0]) | (byte == _OPENS[1]), 1, -1)
    depth = np.cumsum(delta)  # (after each bracket)
    if depth[-1] != 0 or depth.min() < 0 or byte[0] != _OPENS[0] or not depth[:-1].all():  # (one top object)
        return None
    graph = _member(raw, quotes, pos, byte, depth, 1, _OPENS[0], b'"graph"', 0, len(pos)) if in_body else \
        (1, len(pos) - 1)
    level = 2 if in_body else 1  # (the graph object's depth)
    nodes = None if graph is None else _member(raw, quotes, pos, byte, depth, level, _OPENS[1], _NODES, *graph)
    if nodes is None:
        return None
    lo, hi = nodes
    return int(np.count_nonzero((depth[lo:hi] == level + 2) & (byte[lo:hi] == _OPENS[0])))


def _brackets(a: np.ndarray) -> np.ndarray:
    """Positions of { } [ ]: the bytes x with x & 0xD9 == 0x59 are those four and Y _ y DEL (a 5 MB body: ~4 ms,
    a table look-up ~12)."""
    c = np.flatnonzero((a & 0xD9) == 0x59)
    b = a[c]
    return c[(b == _OPENS[0]) | (b == _OPENS[1]) | (b == _CLOSES[0]) | (b == _CLOSES[1])]


def _real_quotes(a: np.ndarray) -> np.ndarray | None:
    """Positions of the quotes that open or close strings (an even number of them), or None."""
    q = np.flatnonzero(a == _QUOTE)
    cand = q[(q > 0)]
    cand = cand[a[cand - 1] == _BACKSLASH]  # (quotes right after a backslash: escaped when its run is odd)
    if cand.size:
        b = np.flatnonzero(a == _BACKSLASH)
        starts = np.ones(b.size, np.bool_)
        starts[1:] = b[1:] != b[:-1] + 1
        run_start = np.maximum.accumulate(np.where(starts, b, 0))
        first = run_start[np.searchsorted(b, cand - 1)]
        escaped = cand[(cand - first) % 2 == 1]
        q = np.setdiff1d(q, escaped, assume_unique=True)
    return q if q.size % 2 == 0 else None


def _member(raw: bytes, quotes, pos, byte, depth, level: int, opener: int, key: bytes, lo: int, hi: int):
    """(first, end) bracket indices inside the container the member `key` opens (an `opener` at `level`, between
    bracket indices lo and hi), or None unless exactly one such member."""
    at = np.flatnonzero((depth[lo:hi] == level + 1) & (byte[lo:hi] == opener)) + lo
    k = np.searchsorted(quotes, pos[at]) - 1  # (the last string before each: its closing quote, if a key)
    ok = (k >= 1) & (k % 2 == 1)
    at, k = at[ok], k[ok]
    start = quotes[k - 1]
    same = (quotes[k] - start == len(key) - 1)
    at, start = at[same], start[same]
    if at.size:  # (the key's bytes, compared for all at once: a body may hold many members of that length)
        at = at[(np.frombuffer(raw, np.uint8)[start[:, None] + np.arange(len(key))] == np.frombuffer(key, np.uint8)).all(1)]
    found = [i for i in at.tolist()[:2] if _key_before(raw, quotes, int(pos[i])) == key]
    if len(found) != 1 or at.size > 1:
        return None
    i = found[0]
    closes = np.flatnonzero(depth[i + 1:hi] == level) + i + 1
    return (i + 1, int(closes[0])) if closes.size else None


def _key_before(raw: bytes, quotes, p: int) -> bytes | None:
    """The key string (with its quotes) of the member whose value starts at byte p, if the bytes before p are
    `"key"` `:` with only whitespace between."""
    k = int(np.searchsorted(quotes, p)) - 1
    if k < 1:
        return None
    end = int(quotes[k])
    if raw[end + 1:p].strip(_SPACE) != b":":
        return None
    return raw[int(quotes[k - 1]):end + 1]
