"""Derivation and output naming: a graph and a job's options -> the derived graph the worker runs.

Runs off the event loop (Core calls it in its bounded executor): derivation of a large graph, or
of a high order, can take seconds; its cost is bounded by the engine's node budget
(settings.max_work) and by the size of the graph it yields.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import orjson

from engine import transforms, wrt_params
from engine.transforms import value_names
from engine.errors import EngineError
from engine.ir import Graph
from engine.serialize import canonical_json, graph_to_json, source_map, tensor_to_json

from . import gc_pause, weight_refs
from .errors import InvalidRequest, LimitExceeded, ServiceError
from .registry import CLIENT_SHARE, LRU, engine_error, graph_bytes

KINDS = ("eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp")
EXTRA = {"grad": "sens", "jvp": "tangents", "vjp": "v", "hvp": "v"}  # the extra tensors each kind takes


@dataclass
class Derived:
    graph: Graph
    key: str
    text: str
    names: list
    structure: Any
    input_labels: list  # wire name of each derived input, for error messages ("inputs[1]", "sens[0]")
    sources: dict | None = None  # engine.serialize.source_map of the derived graph, for the worker
    weights: dict = field(default_factory=dict)  # key -> the store's array, named in `text` (service.weight_refs)
    _sizes: tuple | None = None  # (output elements, output bytes), computed once: checked on every job

    def job_graph(self) -> tuple:
        """What a pool's Job carries: (text, source map[, the values it names by key]) (service.weight_refs)."""
        return (self.text, self.sources, self.weights) if self.weights else (self.text, self.sources)

    def _output_sizes(self) -> tuple[int, int]:
        if self._sizes is None:
            outs = self.graph.flat_outputs
            self._sizes = (sum(_elements(v.shape) * (2 if v.dtype.startswith("complex") else 1) for v in outs),
                           sum(_elements(v.shape) * np.dtype(v.dtype).itemsize for v in outs))
        return self._sizes

    def output_elements(self) -> int:
        """Numbers the JSON form writes: a complex element is its [re, im] pair, two."""
        return self._output_sizes()[0]

    def output_bytes(self) -> int:
        return self._output_sizes()[1]


def check_order(order: object, inner_count: int, max_order: int) -> None:
    """LimitExceeded naming max_order when a grad job's derivative order (its order plus its inner specs) is above
    it. An order that is not a positive int counts as the default 1 here (its own check names it). The adapters call
    it on a request's `inner` list before reading any spec (service.jobs.validate, the gRPC head): 100 000 `{}` specs
    (400 KB of JSON) were a model and a dict each, and held the event loop 3.8 s."""
    total = (order if type(order) is int and order > 0 else 1) + inner_count
    if total > max_order:
        raise LimitExceeded(f"derivative order {total} is above the limit max_order={max_order}",
                            path="$.order", limit="max_order", value=max_order)


def graph_text(d: dict) -> str:
    """A derived graph's JSON text for the worker. orjson's when it holds no null (so no None, and no NaN or
    infinity: orjson writes those as null): one C call holding the GIL ~30 ms for a 99 K-node chain, where
    json.dumps held it ~220 ms (other clients' requests waited that long); json's otherwise, and where orjson
    cannot write a value (an integer past 64 bits)."""
    try:
        text = orjson.dumps(d)
    except (orjson.JSONEncodeError, TypeError):
        text = b"null"
    if b"null" not in text:
        return text.decode()
    return json.dumps(d, separators=(",", ":"))


def worker_json(dg: Graph, refs: dict) -> tuple[str, dict]:
    """(the graph's JSON text for a worker, {key: array} of the values it names by key): values as base64 (exact
    and fast to load), those named by hash (`refs`: weight_refs.by_identity) by key, not as text. Written without
    graph_to_json's own form of values (lists of Python floats: ~2.5 GB for ViT-B/16's 86 M weights)."""
    d = graph_to_json(replace(dg, param_values={}))
    d.pop("output_names", None)  # the core names the outputs (Derived.names); a worker's text and plan key by the math
    weights: dict = {}
    for p in d.get("params", []):
        if p["name"] in dg.param_values:
            a = dg.param_values[p["name"]]
            ref = weight_refs.ref_json(refs, a)
            if ref is not None:
                weights[ref[0]], p["value"] = a, ref[1]
            else:
                p["value"] = tensor_to_json(a, b64=True)
    return graph_text(d), weights


def _aval_json(v) -> dict:
    from .codec import NP_TO_V2  # codec imports numpy codecs only; kept lazy for workers

    return {"name": v.name, "shape": list(v.shape), "datatype": NP_TO_V2[v.dtype]}


def signature(g: Graph) -> dict:
    return {"inputs": [_aval_json(v) for v in g.inputs], "params": [_aval_json(p) for p in g.params],
            "outputs": [_aval_json(v) for v in g.flat_outputs]}


def _structure(tree, counter):
    if isinstance(tree, tuple):
        return [_structure(t, counter) for t in tree]
    i = counter[0]
    counter[0] += 1
    return i


_DTYPE_NAMES: dict = {}


def _dtype_name(dt) -> str:
    """str(dtype), memoised: numpy builds the name on every call (a few us per tensor)."""
    name = _DTYPE_NAMES.get(dt)
    if name is None:
        name = _DTYPE_NAMES[dt] = str(dt)
    return name


def spec_of(kind: str, o: dict) -> dict:
    """The options that shape the derived graph (no tensors), normalised for the cache key."""
    if kind == "grad":
        spec = {x: o.get(x) for x in ("get_all", "get_by_list", "weights", "order", "value_and_grad", "inner")}
        spec["grad_position"] = o["grad_position"] if "grad_position" in o else 0  # explicit null: weights only
        spec["sens"] = o.get("sens") is not None
        return spec
    if kind in ("jvp", "jacobian", "hessian", "hvp"):
        spec = {"positions": o.get("positions"), "mode": o.get("mode")}
        if o.get("weights") and kind != "jvp":  # parameters by name (engine.wrt_params)
            spec["weights"] = list(o["weights"])
        return spec
    return {}


def _derive_wrt_params(kind: str, g: Graph, spec: dict, labels: list, lim: dict) -> tuple[Graph, list]:
    """jacobian / hessian / hvp w.r.t. input positions and parameters by name (engine.wrt_params); lim:
    max_nodes / max_work for the Jacobians' builds."""
    pos = [] if spec["positions"] is None else spec["positions"]
    ws = list(spec["weights"])
    if kind == "hvp":
        return wrt_params.hvp(g, pos, ws), labels + [f"v[{i}]" for i in range(len(wrt_params.target_names(g, pos, ws)))]
    return (wrt_params.jacobian if kind == "jacobian" else wrt_params.hessian)(g, pos, ws, **lim), labels


def _caller_paths(err: ServiceError, g: Graph, kind: str) -> ServiceError:
    """An error met while deriving names what the engine built (`$.functions.grad_grad_g_0`): say
    where in the caller's request instead."""
    path = err.detail.get("path")
    if isinstance(path, str) and path.startswith("$.functions."):
        fn = path[len("$.functions."):].split(".")[0].split("[")[0]
        if fn not in g.functions:
            err.detail["path"] = "$.graph"
            err.detail.pop("node", None)
            msg = err.message
            cut = msg.rfind(" (")
            err.message = (msg[:cut] if cut > 0 and "$.functions." in msg[cut:] else msg) + \
                f" (in the {kind} of $.graph)"
    return err


def _elements(shape) -> int:
    n = 1
    for s in shape:
        n *= s  # Python ints: a shape whose product wraps int64 in NumPy is just large here
    return n


def check_sizes(g: Graph, max_elements: int, where: str = "$.graph") -> None:
    """Every tensor the graph makes, within max_elements: a 5-node graph (fill, tile, broadcast_to to a
    huge shape) is refused before a worker tries to allocate it."""
    for e in g.eqns:
        for v in e.outputs:
            n = _elements(v.shape)
            if n > max_elements:
                raise LimitExceeded(f"node {e.op} makes a tensor of shape {list(v.shape)} ({n} elements), above the "
                                    f"limit max_elements={max_elements}", path=where, limit="max_elements",
                                    value=max_elements, op=e.op)
    for f in g.functions.values():
        check_sizes(f, max_elements, where)


def _frozen(v):
    """A spec value as a hashable key (lists as tuples; a bool tagged, since True == 1 as a key)."""
    t = type(v)
    if t is list:
        return tuple([_frozen(x) for x in v])
    if t is dict:
        return tuple([(k, _frozen(x)) for k, x in v.items()])
    return (bool, v) if t is bool else v


SKEY_KEPT = 4096  # characters: longer spec keys are built every time (the memo holds at most 4096 x 2 of them)


class Deriver:
    def __init__(self, max_order: int, max_work: int, cap_bytes: int, max_entries: int,
                 max_elements: int = 1 << 62, max_nodes: int | None = None):
        self.max_elements = max_elements
        self.max_order = max_order
        self.max_work = max_work  # the engine's budget while the derived graph is built
        self.max_nodes = max_nodes
        # (graph_id, spec key) -> Derived; one client's derivations hold at most its share (as registered graphs):
        # a client deriving distinct graphs without end cannot make everyone else's derive again each time
        self.cache = LRU(cap_bytes, max_entries, share=CLIENT_SHARE)
        self.skeys: dict = {}  # (kind, frozen spec) -> spec key: its canonical JSON, built once per distinct spec

    def spec_key(self, kind: str, spec: dict) -> str:
        """The cache's (and the plan key's) name of a spec: its canonical JSON (~5 us to build, so memoised;
        a spec whose items come in another order is only a memo miss)."""
        fk = (kind, _frozen(spec))
        skey = self.skeys.get(fk)
        if skey is None:
            skey = canonical_json({"kind": kind, **spec}).decode()
            # a long spec is not kept: it is checked against the graph after this, and 12 refused grads naming a
            # 6 MiB weight each held +211 MiB here
            if len(skey) <= SKEY_KEPT:
                if len(self.skeys) >= 4096:  # distinct specs are few; a caller cycling through many gets no memo
                    self.skeys.clear()
                self.skeys[fk] = skey
        return skey

    def cached(self, kind: str, gid: str, spec: dict) -> Derived | None:
        return self.cache.get((gid, self.spec_key(kind, spec)))

    def derive(self, kind: str, gid: str, g: Graph, spec: dict, client: str | None = None) -> Derived:
        skey = self.spec_key(kind, spec)
        d = self.cache.get((gid, skey))
        if d is not None:
            return d
        if kind in ("jacobian", "hessian") and not g.flat_outputs:
            raise InvalidRequest(f"{kind} of a graph with no outputs", path="$.graph.outputs")
        try:
            with gc_pause.paused_if(g.node_count() >= gc_pause.NODES):
                d = self._derive(kind, g, spec)
        except EngineError as e:
            raise _caller_paths(engine_error(e, self.max_elements), g, kind) from None
        except RecursionError:
            raise LimitExceeded(f"the {kind} of this graph nests too deeply to build", path="$.graph",
                                limit="max_work", value=self.max_work) from None
        n = d.graph.node_count() + sum(f.node_count() for f in d.graph.functions.values())
        if n > self.max_work:
            raise LimitExceeded(f"the {kind} of this graph has {n} nodes, above the limit "
                                f"max_work={self.max_work}", path="$.graph", limit="max_work", value=self.max_work)
        d.sources = source_map(d.graph)  # lets the worker name the caller's nodes in its errors
        check_sizes(d.graph, self.max_elements)
        d.key = "sha256:" + hashlib.sha256(f"{gid}|{skey}".encode()).hexdigest()
        # (values named by hash are the registered graph's arrays, counted there: a derived graph holds no copy)
        shared = sum(a.nbytes for a in d.weights.values())
        self.cache.put((gid, skey), d, 2 * len(d.text) + graph_bytes(d.graph) - shared, owner=client)
        return d

    def _derive(self, kind: str, g: Graph, spec: dict) -> Derived:
        n_in = len(g.inputs)
        labels = [f"inputs[{i}]" for i in range(n_in)]
        if kind == "eval":
            dg = g
        elif kind == "grad":
            dg, labels = self._derive_grad(g, spec, labels)
        elif kind == "jvp":
            dg = transforms.jvp(g, spec["positions"])
            labels += [f"tangents[{i}]" for i in range(len(dg.inputs) - n_in)]
        elif kind == "vjp":
            dg = transforms.vjp(g)
            labels += [f"v[{i}]" for i in range(len(dg.inputs) - n_in)]
        elif kind in ("jacobian", "hessian", "hvp") and spec.get("weights"):
            dg, labels = _derive_wrt_params(kind, g, spec, labels,
                                            {"max_nodes": self.max_nodes, "max_work": self.max_work})
        elif kind in ("jacobian", "hessian"):
            pos = 0 if spec["positions"] is None else spec["positions"]
            lim = {"max_nodes": self.max_nodes, "max_work": self.max_work}
            dg = (transforms.jacobian(g, pos, spec.get("mode") or "rev", **lim) if kind == "jacobian"
                  else transforms.hessian(g, pos, **lim))
        elif kind == "hvp":
            dg = transforms.hvp(g, 0 if spec["positions"] is None else spec["positions"])
            labels += [f"v[{i}]" for i in range(len(dg.inputs) - n_in)]
        else:  # pragma: no cover - adapters only send known kinds
            raise InvalidRequest(f"unknown job kind {kind!r}")
        # the transforms name their outputs (engine: Graph.output_names); a user's graph is named here
        names = list(dg.output_names) if dg.output_names is not None else value_names(dg)
        if len(names) != len(dg.flat_outputs):  # pragma: no cover - the engine names every output
            names = value_names(dg)
        text, weights = worker_json(dg, weight_refs.by_identity(g))
        return Derived(dg, "", text, names, _structure(dg.outputs, [0]), labels, weights=weights)

    def _derive_grad(self, g: Graph, spec: dict, labels: list) -> tuple[Graph, list]:
        inner = spec.get("inner") or []
        check_order(spec.get("order"), len(inner), self.max_order)
        order = spec.get("order") or 1
        if order < 1:
            raise InvalidRequest("order must be >= 1", path="$.order")
        op_form = bool(spec.get("get_all") or spec.get("get_by_list"))
        if spec.get("value_and_grad") and op_form:
            raise InvalidRequest("value_and_grad goes with the functional form (grad_position / weights), not with "
                                 "get_all / get_by_list", path="$.value_and_grad")
        if op_form and spec.get("grad_position") not in (None, 0):
            raise InvalidRequest("grad_position goes with the functional form; with get_all / get_by_list leave it "
                                 "out", path="$.grad_position")

        def apply(h: Graph, s: dict, sens: bool, value: bool = False) -> Graph:
            if s.get("get_all") or s.get("get_by_list"):
                return transforms.grad_operation(h, bool(s.get("get_all")), bool(s.get("get_by_list")), sens,
                                                 s.get("weights"))
            gp = s.get("grad_position", 0) if "grad_position" in s else 0
            return transforms.grad(h, gp, s.get("weights"), sens, return_value=value)

        h = g
        for i, s in enumerate(inner):
            before = len(h.inputs)
            h = apply(h, s, bool(s.get("sens_param")))
            labels = labels + [f"inputs[{j}]" for j in range(before, len(h.inputs))]
        outer_spec = {k: spec.get(k) for k in ("get_all", "get_by_list", "grad_position", "weights")}
        for _ in range(order - 1):
            h = apply(h, outer_spec, False)
        dg = apply(h, outer_spec, bool(spec.get("sens")), bool(spec.get("value_and_grad")))
        labels = labels + [f"sens[{j}]" for j in range(len(dg.inputs) - len(labels))]
        return dg, labels

