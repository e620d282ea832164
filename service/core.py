"""The protocol-agnostic core: validate, derive, route, await, and shape results.

Adapters (HTTP in service.http_app, gRPC in its own module) only decode their wire format
into a `JobRequest` (tensors already NumPy arrays), call `Core.run` / `register_graph` /
`get_graph` / `devices`, and encode the `JobResult` or map the `ServiceError` they get.
Nothing here knows about HTTP or gRPC.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from engine import transforms
from engine.errors import EngineError
from engine.ir import Graph, tree_flatten
from engine.serialize import Limits, canonical_json, graph_from_json, graph_hash, graph_to_json, tensor_to_json

from .errors import (DeadlineExceeded, InvalidRequest, LimitExceeded, NotFound, Overloaded, ServiceError,
                     Unavailable, from_engine)
from . import shm
from .metrics import Metrics
from .batching import Batcher
from .pools import ACCELERATORS, Job, Pool, PoolStartError, build_specs
from .settings import KNOWN_POOLS, Settings

log = logging.getLogger("gradserve.core")
KINDS = ("eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp")
_GRAD_SPEC_KEYS = ("get_all", "get_by_list", "grad_position", "weights", "sens_param")


@dataclass
class JobRequest:
    kind: str
    inputs: list
    graph: dict | None = None
    graph_id: str | None = None
    params: dict = field(default_factory=dict)
    device: str = "cpu"
    deadline_s: float | None = None
    options: dict = field(default_factory=dict)  # per kind; tensors (sens, tangents, v) as arrays
    size_hint: int = 0  # bytes on the wire: large requests are prepared off the event loop
    graph_strict: bool = False  # the inline graph came from standard JSON (codec.loads): no NaN/Infinity in it


@dataclass
class JobResult:
    outputs: list  # [(name, ndarray)]
    structure: Any
    graph_id: str
    device: str
    timing: dict


@dataclass
class Derived:
    graph: Graph
    key: str
    text: str
    names: list
    structure: Any
    input_labels: list  # wire name of each derived input, for error messages ("inputs[1]", "sens[0]")


class LRU:
    def __init__(self, size: int):
        self.size = size
        self.d: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, k):
        with self.lock:
            v = self.d.get(k)
            if v is not None:
                self.d.move_to_end(k)
            return v

    def put(self, k, v):
        with self.lock:
            self.d[k] = v
            self.d.move_to_end(k)
            while len(self.d) > self.size:
                self.d.popitem(last=False)


def _engine(e: EngineError, setting: str | None = None) -> ServiceError:
    err = from_engine(e.to_dict())
    if err.code == "limit_exceeded":
        msg = e.message
        setting = setting or ("max_elements" if "element" in msg else "max_nodes" if "node" in msg else
                              "max_depth" if "nest" in msg else None)
        if setting:
            err.detail["limit"] = setting
    return err


def _aval_json(v) -> dict:
    from .codec import NP_TO_V2

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


def _out_names(g: Graph, prefix: str = "out") -> list[str]:
    n = len(g.flat_outputs)
    return [prefix] if n == 1 else [f"{prefix}{i}" for i in range(n)]


def _in_name(g: Graph, p: int) -> str:
    return g.inputs[p].name or f"x{p}"


_DTYPE_NAMES: dict = {}


def _dtype_name(dt) -> str:
    """str(dtype), memoised: numpy builds the name on every call (a few us per tensor)."""
    name = _DTYPE_NAMES.get(dt)
    if name is None:
        name = _DTYPE_NAMES[dt] = str(dt)
    return name


def _norm_positions(g: Graph, pos) -> list[int]:
    n = len(g.inputs)
    if pos is None:
        return []
    ps = [pos] if isinstance(pos, int) else list(pos)
    return [p % n if n else p for p in ps]


def _derive_wrt_params(kind: str, g: Graph, spec: dict, labels: list) -> tuple[Graph, list, list]:
    """jacobian / hessian / hvp w.r.t. input positions and parameters by name (engine.wrt_params)."""
    from engine import wrt_params

    pos = [] if spec["positions"] is None else spec["positions"]
    ws = list(spec["weights"])
    targets = wrt_params.target_names(g, pos, ws)
    outs = _out_names(g, "") if len(g.flat_outputs) > 1 else [""]
    if kind == "jacobian":
        return wrt_params.jacobian(g, pos, ws), [f"d{o}/d{t}" for o in outs for t in targets], labels
    if kind == "hessian":
        return (wrt_params.hessian(g, pos, ws), [f"d2{o}/d{a}d{b}" for o in outs for a in targets for b in targets],
                labels)
    return wrt_params.hvp(g, pos, ws), [f"d/d{t}" for t in targets], labels + [f"v[{i}]" for i in range(len(targets))]


class Core:
    def __init__(self, settings: Settings, metrics: Metrics | None = None):
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.pools: dict[str, Pool] = {}
        self.graphs = LRU(settings.graph_cache_size)  # graph_id -> graph JSON (the registry)
        self.parsed = LRU(settings.graph_cache_size)  # graph_id -> Graph
        self.derived = LRU(settings.graph_cache_size)  # (graph_id, spec) -> Derived
        self.ids = LRU(settings.graph_cache_size)  # sha256 of an inline graph's orjson form -> graph_id
        self.limits = Limits(max_nodes=settings.max_nodes, max_elements=settings.max_elements,
                             max_depth=settings.max_depth)
        self.draining = False
        self.started = False
        self.batcher = Batcher(settings.batch_delay_ms / 1e3, settings.max_batch) if settings.batch_delay_ms else None
        self.admitting = 0  # admitted requests not yet handed to a pool (see admit)

    # -- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        stale = shm.sweep_stale()
        if stale:
            log.warning("unlinked %d shared-memory segment(s) left by servers no longer running", len(stale))
        for name in self.settings.pool_names:  # fail fast on a missing runtime before spawning anything
            self.pools[name] = Pool(name, build_specs(name, self.settings), self.settings, self.metrics)
        try:
            await asyncio.gather(*(p.start() for p in self.pools.values()))
        except BaseException:
            await self.stop()
            raise
        self.started = True

    async def stop(self) -> None:
        self.draining = True
        await asyncio.gather(*(p.stop() for p in self.pools.values() if p.loop is not None),
                             return_exceptions=True)

    def live(self) -> bool:
        return True

    def ready(self) -> bool:
        return self.started and not self.draining and all(p.ready for p in self.pools.values())

    def admit(self) -> "Admission":
        """Room for one more job, reserved before its body is read; Overloaded (429) when there is none.

        Requests whose bodies are still arriving count against the pools' free places (idle workers
        plus free queue places) as if they were queued already: under a flood, only as many bodies
        are read at once as could become jobs, instead of every request that arrived while the queue
        still had room (thousands, each holding its body, when the server falls behind). Room is
        counted over all pools, since the body says which device the job wants."""
        if self.pools and self.admitting >= sum(p.room for p in self.pools.values()):
            for p in self.pools.values():
                self.metrics.rejected.labels(p.name).inc()
            retry = self.settings.retry_after_s
            raise Overloaded(f"every pool is full ({', '.join(self.pools)}): retry after {retry}s", retry_after=retry,
                             queue_size=self.settings.queue_size)
        self.admitting += 1
        return Admission(self)

    def devices(self) -> dict:
        # admitting: requests holding a place while their bodies arrive (see admit)
        return {"pools": [p.describe() for p in self.pools.values()], "admitting": self.admitting}

    # -- graphs ----------------------------------------------------------------------------------------
    def _hash(self, d: Any, strict: bool = False) -> str:
        """The graph's id: the hash of its canonical JSON (what the SDK computes too). That form is
        Python json's, ~20x slower than orjson on a graph with large parameter values (0.7 s for
        W2's 15 MB), so a graph sent inline again is recognised by the hash of its orjson form
        first. Only for strict JSON: orjson writes NaN and Infinity as null, so a graph holding
        them could pass for one holding null."""
        if not isinstance(d, dict):
            raise InvalidRequest("graph must be a JSON object (gradserve.graph/1)", code="invalid_graph", path="$.graph")
        key = None
        if strict:
            try:
                key = hashlib.sha256(orjson.dumps(d, option=orjson.OPT_SORT_KEYS)).digest()
            except (orjson.JSONEncodeError, TypeError):
                key = None
            else:
                gid = self.ids.get(key)
                if gid is not None:
                    return gid
        try:
            gid = graph_hash(d)
        except (ValueError, TypeError) as e:
            raise InvalidRequest(f"graph is not canonical JSON: {e}", code="invalid_graph", path="$.graph") from None
        if key is not None:
            self.ids.put(key, gid)
        return gid

    def _count_nodes(self, d: dict) -> None:
        n = len(d.get("nodes") or []) if isinstance(d.get("nodes"), list) else 0
        fns = d.get("functions")
        if isinstance(fns, dict):
            n += sum(len(f["nodes"]) for f in fns.values() if isinstance(f, dict) and isinstance(f.get("nodes"), list))
        if n > self.settings.max_nodes:
            raise LimitExceeded(f"graph has {n} nodes, above the limit max_nodes={self.settings.max_nodes}",
                                path="$.graph.nodes", limit="max_nodes", value=self.settings.max_nodes)

    def _parse(self, gid: str, d: dict) -> Graph:
        g = self.parsed.get(gid)
        if g is None:
            self._count_nodes(d)
            try:
                g = graph_from_json(d, self.limits)
            except EngineError as e:
                raise _engine(e) from None
            except RecursionError:
                raise InvalidRequest("graph is nested too deeply", code="invalid_graph") from None
            except Exception as e:  # noqa: BLE001 - an engine bug on odd input: still the client's 400
                log.warning("graph_from_json raised %s: %s", type(e).__name__, e)
                raise InvalidRequest(f"graph could not be loaded: {type(e).__name__}: {e}", code="invalid_graph",
                                     path="$.graph") from None
            self.parsed.put(gid, g)
            self.graphs.put(gid, d)
        return g

    def load(self, graph: dict | None, graph_id: str | None, strict: bool = False) -> tuple[str, Graph]:
        if graph is not None:
            gid = self._hash(graph, strict)
            if graph_id is not None and graph_id != gid:
                raise InvalidRequest(f"graph_id {graph_id} does not match the graph sent (its id is {gid})",
                                     path="$.graph_id", expected=gid)
            return gid, self._parse(gid, graph)
        if graph_id is None:
            raise InvalidRequest("a job needs graph (inline) or graph_id (registered)", path="$")
        d = self.graphs.get(graph_id)
        if d is None:
            raise NotFound(f"graph {graph_id} is not registered on this server; send it inline or POST /v1/graphs",
                           graph_id=graph_id)
        return graph_id, self._parse(graph_id, d)

    def register_graph(self, graph: Any, strict: bool = False) -> dict:
        gid, g = self.load(graph, None, strict)
        return {"graph_id": gid, "signature": signature(g)}

    def get_graph(self, graph_id: str) -> dict:
        d = self.graphs.get(graph_id)
        if d is None:
            raise NotFound(f"graph {graph_id} is not registered on this server", graph_id=graph_id)
        return {"graph_id": graph_id, "graph": d, "signature": signature(self._parse(graph_id, d))}

    # -- derivation ------------------------------------------------------------------------------------
    def _spec(self, req: JobRequest) -> dict:
        """The options that shape the derived graph (no tensors), normalised for the cache key."""
        o = req.options
        k = req.kind
        if k == "grad":
            spec = {x: o.get(x) for x in ("get_all", "get_by_list", "weights", "order", "value_and_grad", "inner")}
            spec["grad_position"] = o["grad_position"] if "grad_position" in o else 0  # explicit null: weights only
            spec["sens"] = o.get("sens") is not None
            return spec
        if k in ("jvp", "jacobian", "hessian", "hvp"):
            spec = {"positions": o.get("positions"), "mode": o.get("mode")}
            if o.get("weights") and k != "jvp":  # parameters by name (engine.wrt_params)
                spec["weights"] = list(o["weights"])
            return spec
        return {}

    def derive(self, kind: str, gid: str, g: Graph, spec: dict) -> Derived:
        skey = canonical_json({"kind": kind, **spec}).decode()
        d = self.derived.get((gid, skey))
        if d is not None:
            return d
        try:
            d = self._derive(kind, g, spec)
        except EngineError as e:
            raise _engine(e) from None
        d.key = "sha256:" + hashlib.sha256(f"{gid}|{skey}".encode()).hexdigest()
        self.derived.put((gid, skey), d)
        return d

    def _derive(self, kind: str, g: Graph, spec: dict) -> Derived:
        n_in = len(g.inputs)
        labels = [f"inputs[{i}]" for i in range(n_in)]
        if kind == "eval":
            dg, names = g, _out_names(g)
        elif kind == "grad":
            dg, names, labels = self._derive_grad(g, spec, labels)
        elif kind == "jvp":
            pos = spec["positions"]
            dg = transforms.jvp(g, pos)
            names = _out_names(g) + _out_names(g, "jvp")
            n_t = len(dg.inputs) - n_in
            labels += [f"tangents[{i}]" for i in range(n_t)]
        elif kind == "vjp":
            dg = transforms.vjp(g)
            names = _out_names(g) + [f"d/d{_in_name(g, i)}" for i in range(n_in)]
            labels += [f"v[{i}]" for i in range(len(dg.inputs) - n_in)]
        elif kind in ("jacobian", "hessian", "hvp") and spec.get("weights"):
            dg, names, labels = _derive_wrt_params(kind, g, spec, labels)
        elif kind in ("jacobian", "hessian"):
            pos = 0 if spec["positions"] is None else spec["positions"]
            mode = spec.get("mode") or "rev"
            dg = transforms.jacobian(g, pos, mode) if kind == "jacobian" else transforms.hessian(g, pos)
            ps = _norm_positions(g, pos)
            outs = _out_names(g, "") if len(g.flat_outputs) > 1 else [""]
            if kind == "jacobian":
                names = [f"d{o}/d{_in_name(g, p)}" for o in outs for p in ps]
            else:
                names = [f"d2{o}/d{_in_name(g, i)}d{_in_name(g, j)}" for o in outs for i in ps for j in ps]
        elif kind == "hvp":
            pos = 0 if spec["positions"] is None else spec["positions"]
            dg = transforms.hvp(g, pos)
            ps = _norm_positions(g, pos)
            names = [f"d/d{_in_name(g, p)}" for p in ps]
            labels += [f"v[{i}]" for i in range(len(dg.inputs) - n_in)]
        else:  # pragma: no cover - adapters only send known kinds
            raise InvalidRequest(f"unknown job kind {kind!r}")
        if len(names) != len(dg.flat_outputs):
            names = _out_names(dg)
        d = graph_to_json(dg)
        for p in d.get("params", []):  # parameter values as base64: exact and fast to load in the worker
            if "value" in p:
                p["value"] = tensor_to_json(dg.param_values[p["name"]], b64=True)
        text = json.dumps(d, separators=(",", ":"))
        return Derived(dg, "", text, names, _structure(dg.outputs, [0]), labels)

    def _derive_grad(self, g: Graph, spec: dict, labels: list) -> tuple[Graph, list, list]:
        inner = spec.get("inner") or []
        order = spec.get("order") or 1
        total = order + len(inner)
        if total > self.settings.max_order:
            raise LimitExceeded(f"derivative order {total} is above the limit max_order={self.settings.max_order}",
                                path="$.order", limit="max_order", value=self.settings.max_order)
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
        last = h
        dg = apply(h, outer_spec, bool(spec.get("sens")), bool(spec.get("value_and_grad")))
        labels = labels + [f"sens[{j}]" for j in range(len(dg.inputs) - len(labels))]
        # names: values, then position grads, then weight grads (the engine's flat order)
        if outer_spec.get("get_all") or outer_spec.get("get_by_list"):
            pos = list(range(len(last.inputs))) if outer_spec.get("get_all") else (
                [] if outer_spec.get("get_by_list") else [0])
            ws = (list(last.param_names) if outer_spec.get("weights") is None else list(outer_spec["weights"])) \
                if outer_spec.get("get_by_list") else []
        else:
            pos = _norm_positions(last, outer_spec.get("grad_position"))
            w = outer_spec.get("weights")
            ws = [] if w is None else ([w] if isinstance(w, str) else list(w))
        names = (_out_names(last) if spec.get("value_and_grad") else []) + \
            [f"d/d{_in_name(last, p)}" for p in pos] + [f"d/d{w}" for w in ws]
        return dg, names, labels

    # -- jobs -------------------------------------------------------------------------------------------
    def _pool(self, device: str) -> tuple[Pool, int | None]:
        dev = (device or "cpu").strip().lower()
        if dev == "auto":
            for name in ACCELERATORS:
                if name in self.pools and self.pools[name].ready:
                    return self.pools[name], None
            if "cpu" in self.pools:
                return self.pools["cpu"], None
            return next(iter(self.pools.values())), None
        kind, _, idx = dev.partition(":")
        if kind not in KNOWN_POOLS:
            raise InvalidRequest(f"unknown device {device!r}; this server has: {', '.join(self._device_names())} "
                                 "(or auto)", path="$.device", available=self._device_names())
        if kind not in self.pools:
            raise Unavailable(f"device {kind!r} is not configured on this server; it has: "
                              f"{', '.join(self._device_names())}", device=device, available=self._device_names(),
                              retryable=False)
        index = None
        if idx:
            if not idx.isdigit():
                raise InvalidRequest(f"device index in {device!r} is not an integer", path="$.device")
            index = int(idx)
            if index not in self.pools[kind].device_indices():
                raise Unavailable(f"device {device!r} does not exist; this server has: "
                                  f"{', '.join(self._device_names())}", device=device,
                                  available=self._device_names(), retryable=False)
        return self.pools[kind], index

    def _device_names(self) -> list[str]:
        out = []
        for name, p in self.pools.items():
            out.append(name)
            out.extend(s.label for s in p.specs)
        return out

    def prepare(self, req: JobRequest) -> tuple[str, Derived, list, dict]:
        if req.kind not in KINDS:
            raise InvalidRequest(f"unknown job kind {req.kind!r}")
        gid, g = self.load(req.graph, req.graph_id, req.graph_strict)
        d = self.derive(req.kind, gid, g, self._spec(req))
        o = req.options
        extra: list = []
        if req.kind == "grad" and o.get("sens") is not None:
            extra = list(o["sens"])
        elif req.kind == "jvp":
            extra = list(o.get("tangents") or [])
        elif req.kind in ("vjp", "hvp"):
            extra = list(o.get("v") or [])
        inputs = list(req.inputs) + extra
        dg = d.graph
        n_user = sum(lab.startswith("inputs[") for lab in d.input_labels)
        if len(req.inputs) != n_user:
            raise InvalidRequest(f"inputs: the graph takes {n_user} input(s), got {len(req.inputs)}",
                                 code="shape_error", path="$.inputs", expected=n_user, got=len(req.inputs))
        if len(extra) != len(dg.inputs) - n_user:
            what = {"grad": "sens", "jvp": "tangents", "vjp": "v", "hvp": "v"}.get(req.kind, "extra tensors")
            raise InvalidRequest(f"{what}: expected {len(dg.inputs) - n_user} tensor(s), got {len(extra)}",
                                 code="shape_error", path=f"$.{what}", expected=len(dg.inputs) - n_user,
                                 got=len(extra))
        for i, (v, a) in enumerate(zip(dg.inputs, inputs)):
            if tuple(a.shape) != v.shape or _dtype_name(a.dtype) != v.dtype:
                raise InvalidRequest(f"{d.input_labels[i]}: expected {v.aval}, got {a.dtype}[{','.join(map(str, a.shape))}]",
                                     code="shape_error", path=f"$.{d.input_labels[i]}", expected=list(v.shape),
                                     expected_dtype=v.dtype, got=list(a.shape), got_dtype=str(a.dtype))
        params = dict(req.params or {})
        if params:
            known = {p.name: p for p in g.params}
            for k, a in params.items():
                if k not in known:
                    raise InvalidRequest(f"unknown parameter {k!r}; the graph has {sorted(known) or 'none'}",
                                         code="shape_error", path=f"$.params.{k}")
                v = known[k]
                if tuple(a.shape) != v.shape or _dtype_name(a.dtype) != v.dtype:
                    raise InvalidRequest(f"params.{k}: expected {v.aval}, got {a.dtype}[{','.join(map(str, a.shape))}]",
                                         code="shape_error", path=f"$.params.{k}")
        missing = [p.name for p in g.params if p.name not in g.param_values and p.name not in params]
        if missing:  # a graph may leave values out (they are data): then each job must bring them
            raise InvalidRequest(f"parameter(s) {missing} have no value in the graph: send them in params",
                                 code="shape_error", path="$.params", missing=missing)
        return gid, d, inputs, params

    async def run(self, req: JobRequest, admission: "Admission | None" = None) -> JobResult:
        """Prepare, submit and await one job; `admission` (from `admit`) is released once the job is
        in a pool (or has failed before)."""
        try:
            return await self._run(req, admission)
        finally:
            if admission is not None:
                admission.release()

    async def _run(self, req: JobRequest, admission: "Admission | None") -> JobResult:
        if self.draining:
            raise Unavailable("the server is shutting down")
        t0 = time.perf_counter()
        deadline_s = req.deadline_s if req.deadline_s is not None else self.settings.default_deadline_s
        if not 0 < deadline_s <= self.settings.max_deadline_s:
            raise InvalidRequest(f"deadline must be in (0, {self.settings.max_deadline_s * 1e3:g}] ms",
                                 path="$.deadline_ms")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + deadline_s
        pool, index = self._pool(req.device)
        if req.size_hint > (1 << 20):
            gid, d, inputs, params = await asyncio.to_thread(self.prepare, req)
        else:
            gid, d, inputs, params = self.prepare(req)
        t_prep = time.perf_counter()
        if loop.time() >= deadline:
            raise DeadlineExceeded("the deadline passed while the request was being validated")
        if self.batcher is not None and Batcher.eligible(inputs, params):
            if admission is not None:
                admission.release()
            outs, timing, label = await self.batcher.run(pool, d, inputs, deadline, index)
            return self._result(gid, d, outs, timing, label, t0, t_prep)
        job = Job(d.key, d.text, inputs, params, deadline, index)
        try:
            fut = pool.submit(job)
        finally:
            if admission is not None:  # queued or refused: either way it no longer holds a place
                admission.release()
        try:
            outs, timing, label = await fut
        except asyncio.CancelledError:
            pool.cancel(job)
            raise
        finally:
            # job -> future -> exception -> traceback -> this frame -> job: break the cycle, else a failed
            # job's inputs live until the cyclic GC runs
            job.future = None
            del fut
        return self._result(gid, d, outs, timing, label, t0, t_prep)

    @staticmethod
    def _result(gid: str, d: Derived, outs: list, timing: dict, label: str, t0: float, t_prep: float) -> JobResult:
        if len(outs) != len(d.names):  # pragma: no cover - engine and core disagree on the structure
            raise ServiceError(f"the worker returned {len(outs)} tensors, {len(d.names)} expected")
        timing = dict(timing, prepare_ms=round((t_prep - t0) * 1e3, 3),
                      total_ms=round((time.perf_counter() - t0) * 1e3, 3))
        return JobResult(list(zip(d.names, outs)), d.structure, gid, label, timing)


class Admission:
    """A place reserved by `Core.admit`; released once (when the job reaches a pool, or fails before)."""

    __slots__ = ("core",)

    def __init__(self, core: Core):
        self.core: Core | None = core

    def release(self) -> None:
        if self.core is not None:
            self.core.admitting -= 1
            self.core = None


__all__ = ["Core", "JobRequest", "JobResult", "PoolStartError", "signature", "np"]
