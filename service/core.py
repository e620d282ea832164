"""The protocol-agnostic core: admit, validate, derive, route, await, and shape results.

Adapters (HTTP in service.http_app, gRPC in service.grpc_server) only decode their wire format
into a `JobRequest` (tensors already NumPy arrays) and go through service.jobs, which calls
`Core.admit`, `Core.run`, `register_graph`, `get_graph`, `devices`. Nothing here knows about HTTP
or gRPC. The graph registry is service.registry, derivation and output naming service.derivation;
this module routes jobs to pools and runs them.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.ir import Graph
from engine.serialize import Limits

from .millis import ms3
from . import codec, gc_pause, shm
from .answer_budget import UnsentAnswers
from .body_budget import BodyBudget
from .parse_share import ParseShare
from .json_decoder import Decoders
from .derive_share import DeriveShare
from .derivation import EXTRA, KINDS, Derived, _dtype_name, signature, spec_of, Deriver
from .errors import (DeadlineExceeded, Draining, InvalidRequest, LimitExceeded, Overloaded, ServiceError)
from .metrics import Metrics
from .pools import Job, Pool, PoolStartError, build_specs, next_job_id
from .routing import route
from .refusals import DETERMINISTIC, Refusals
from .registry import Registry
from .tensor_store import TensorStore, names_values
from .settings import Settings
from .batching import Batcher, VmapPlans, stacked

log = logging.getLogger("gradserve.core")
# the most output bytes one gRPC answer carries: protobuf parses no message of 2 GiB or more ("Wire format was
# corrupt" at the client), less 1 MiB for the answer's other fields (names, shapes, timing)
PROTOBUF_ANSWER_BYTES = 2 ** 31 - 1 - (1 << 20)
JSON_BYTES_PER_ELEMENT = 16  # a float as JSON text ("-0.123456789," and the like): what the output limit counts


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
    output_format: str = "binary"  # json: ~16 B/element vs max_output_bytes; binary: raw vs max_binary_output_bytes
    out_target: tuple | None = None  # /v1 shared memory output: where a worker writes outputs (service.client_shm)
    # the binary header this request was decoded from (service.head_memo.Head), when it is kept: its
    # `prepared` slot holds what Core.prepare found for it (Core._prepared)
    recipe: Any = None
    client: str = ""  # who the job is for (jobs.client_of): the pools share workers fairly among clients
    lane: str | None = None  # the client's X-Gradserve-Lane header: it asks for a direct lane (service.lanes)
    queue_timeout_s: float | None = None  # how long it may wait in its pool's queue (Job.queue_timeout)


@dataclass
class JobResult:
    outputs: list  # [(name, ndarray)]
    structure: Any
    graph_id: str
    device: str
    timing: dict


def _mismatch(label: str, v, a) -> InvalidRequest:
    return InvalidRequest(f"{label}: expected {v.aval}, got {a.dtype}[{','.join(map(str, a.shape))}]",
                          code="shape_error", path=f"$.{label}", expected=list(v.shape), expected_dtype=v.dtype,
                          got=list(a.shape), got_dtype=str(a.dtype))


class GraphChecks:
    """What check_inputs compares a job with, built once per graph (Core.checks, by the graph's content id):
    each input's (Var, shape, dtype), each parameter's by name, the parameters with no value of their own."""

    __slots__ = ("inputs", "params", "required")

    def __init__(self, g: Graph):
        self.inputs = [(v, tuple(v.shape), v.dtype) for v in g.inputs]  # (tuples: a job's a.shape is one)
        self.params = {p.name: (p, tuple(p.shape), p.dtype) for p in g.params}
        self.required = [p.name for p in g.params if p.name not in g.param_values]


def check_inputs(c: GraphChecks, req: JobRequest) -> None:
    """The cheap checks, before anything is derived: the caller's inputs and params against the graph."""
    n = len(c.inputs)
    if len(req.inputs) < n or (len(req.inputs) != n and not req.options.get("inner")):
        raise InvalidRequest(f"inputs: the graph takes {n} input(s), got {len(req.inputs)}",
                             code="shape_error", path="$.inputs", expected=n, got=len(req.inputs))
    for i, ((v, shape, dtype), a) in enumerate(zip(c.inputs, req.inputs)):
        if a.shape != shape or _dtype_name(a.dtype) != dtype:
            raise _mismatch(f"inputs[{i}]", v, a)
    params = req.params or {}
    for k, a in params.items():
        hit = c.params.get(k)
        if hit is None:
            raise InvalidRequest(f"unknown parameter {k!r}; the graph has {sorted(c.params) or 'none'}",
                                 code="shape_error", path=f"$.params.{k}")
        if a.shape != hit[1] or _dtype_name(a.dtype) != hit[2]:
            raise _mismatch(f"params.{k}", hit[0], a)
    for name in c.required:
        if name not in params:
            p = c.params[name][0]
            raise InvalidRequest(f"parameter {name!r} has no value in the graph and none was sent in params",
                                 code="shape_error", path=f"$.params.{name}", expected=list(p.shape),
                                 expected_dtype=p.dtype)


class DerivedChecks:
    """What check_extra compares a job with, built once per derived graph (Core.checks, by its key): how
    many of its inputs are the caller's, and each input's (Var, shape, dtype)."""

    __slots__ = ("n_user", "inputs")

    def __init__(self, d: Derived):
        self.n_user = sum(lab.startswith("inputs[") for lab in d.input_labels)
        self.inputs = [(v, tuple(v.shape), v.dtype) for v in d.graph.inputs]


def _extra(req: JobRequest) -> list:
    """The job's extra tensors (sens, tangents or v: the kind says which), in order."""
    return list(req.options.get(EXTRA[req.kind]) or []) if req.kind in EXTRA else []


def check_extra(d: Derived, c: DerivedChecks, req: JobRequest) -> list:
    """The job's extra tensors (sens, tangents, v) against the derived graph; all its inputs, in order."""
    what = EXTRA.get(req.kind, "extra tensors")
    extra = _extra(req)
    n_user = c.n_user
    if len(req.inputs) != n_user:
        raise InvalidRequest(f"inputs: the graph takes {n_user} input(s), got {len(req.inputs)}",
                             code="shape_error", path="$.inputs", expected=n_user, got=len(req.inputs))
    if len(extra) != len(c.inputs) - n_user:
        raise InvalidRequest(f"{what}: expected {len(c.inputs) - n_user} tensor(s), got {len(extra)}",
                             code="shape_error", path=f"$.{what}", expected=len(c.inputs) - n_user, got=len(extra))
    inputs = list(req.inputs) + extra
    for i, ((v, shape, dtype), a) in enumerate(zip(c.inputs, inputs)):
        if a.shape != shape or _dtype_name(a.dtype) != dtype:
            raise _mismatch(d.input_labels[i], v, a)
    return inputs


DRAIN_ANSWER_S = 5.0  # after the drain's cap (drain_max_s), time to write the answers of the jobs it ended


def drain_wait_s(settings: Settings) -> float:
    """How long the HTTP and gRPC servers wait for requests in flight on SIGTERM before dropping them: the core's
    cap on jobs (Core.begin_drain), then time to answer the jobs it ended."""
    return settings.drain_max_s + DRAIN_ANSWER_S


# a graph's JSON above this many bytes is registered off the event loop, and a job's inline graph of more than
# GRAPH_OFF_LOOP_NODES nodes (its functions' too) loaded off it: parse, hash, load and signature took ~0.37 ms a KiB,
# ~25 ms a thousand nodes, on an idle box (an 8 K-node chain, 566 KiB: ~0.3 s; three clients registering such graphs
# back to back kept every probe waiting up to 2.7 s at load ~9); a small one (a few ms) stays, as a known one's hash,
# unless it names parameter values by hash (tensor_store.names_values: their bytes read and copied, whatever its size)
GRAPH_OFF_LOOP = 16 << 10
GRAPH_OFF_LOOP_NODES = 256
CHECKS_KEPT = 1024  # graphs and derived graphs whose checks are kept (past it the memo starts over)


class Core:
    def __init__(self, settings: Settings, metrics: Metrics | None = None):
        s = self.settings = settings
        self.metrics = metrics or Metrics()
        self.pools: dict[str, Pool] = {}
        self.limits = Limits(max_nodes=s.max_nodes, max_elements=s.max_elements, max_depth=s.max_depth,
                             max_outputs=s.max_tensors, max_work=s.max_work)
        self.registry = Registry(self.limits, s.max_nodes, s.graph_cache_bytes, s.graph_cache_size)
        self.tensors = self.registry.values = TensorStore(s.tensor_store_bytes, self.metrics)
        self.deriver = Deriver(s.max_order, s.max_work, s.derived_cache_bytes, s.graph_cache_size,
                               s.max_elements, s.max_nodes)
        # derivation off the event loop, a few at a time, shared between clients (service.derive_share): the
        # jobs waiting for a thread hold their admission place, so the wait counts against admission like a
        # queued job
        self.executor = ThreadPoolExecutor(max_workers=s.derive_threads, thread_name_prefix="gradserve-derive")
        self.derive_share = DeriveShare(self.executor, s.derive_threads, self.metrics.derive_full.inc)
        self.refusals = Refusals()  # programs a worker refused for max_work / max_nodes: refused again at once
        self.draining = False
        self._drain_cap: asyncio.TimerHandle | None = None  # (begin_drain)
        self.started = False
        self.batcher = Batcher(settings.batch_delay_ms / 1e3, settings.max_batch) if settings.batch_delay_ms else None
        self.vmaps = self.batcher.plans if self.batcher is not None else VmapPlans()  # (run_stacked's)
        self.admitting = 0  # admitted requests not yet handed to a pool (see admit)
        self.body_budget = BodyBudget(s.body_budget, s.retry_after_s, s.parse_cap)  # (compressed bodies inflating)
        self.parse_share = ParseShare(s.parse_share, s.parse_burst_s, s.retry_after_s,
                                      imports_per_client=s.imports_per_client)
        self.parses = (self.body_budget, self.parse_share)  # (large bodies' decodes: body_budget.parsed)
        self.unsent_answers = UnsentAnswers(s.grpc_unsent_answer_bytes, s.retry_after_s)  # (gRPC answers)
        self.unsent_http = UnsentAnswers(s.http_unsent_answer_bytes, s.retry_after_s, "http_unsent_answer_bytes",
                                         "HTTP")  # (HTTP's streamed answers)
        self.decoders: Decoders | None = None  # (started by `start`)
        gc_pause.configure(s.gc_pause_max_s, s.gc_settle_objects)  # (the process's collector: the last server's setting)
        self.admitted_by: Counter = Counter()  # client -> its part of admitting
        self.routes: dict = {}  # device string -> (pool, index): see _route
        self.checks: dict = {}  # graph id or derived key -> its GraphChecks / DerivedChecks (see _checks)
        m = self.metrics
        for name, lru in (("graphs", self.registry.graphs), ("derived", self.deriver.cache)):
            m.cache_bytes.labels(name).set_function(lambda c=lru: c.nbytes)
        m.body_budget.labels("held").set_function(lambda: self.body_budget.used)
        m.body_budget.labels("total").set_function(lambda: self.body_budget.total)
        m.admitting.set_function(lambda: self.admitting)
        m.derive_peak.set_function(lambda: self.derive_share.peak)

    # -- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        stale = shm.sweep_stale()
        if stale:
            log.warning("unlinked %d shared-memory segment(s) left by servers no longer running", len(stale))
        for name in self.settings.pool_names:  # fail fast on a missing runtime before spawning anything
            self.pools[name] = Pool(name, build_specs(name, self.settings), self.settings, self.metrics)
            self.pools[name].refusals = self.refusals
        try:
            await asyncio.gather(*(p.start() for p in self.pools.values()))
        except BaseException:
            await self.stop()
            raise
        if self.settings.json_decoders:  # (large JSON bodies parsed off the server's GIL: service.json_decoder)
            self.decoders = Decoders(self.settings.json_decoders)
            codec.offload_to(self.decoders)
        self.started = True

    async def stop(self) -> None:
        self.draining = True
        if self.decoders is not None:
            codec.offload_to(None)
            self.decoders.close()
        await asyncio.gather(*(p.stop() for p in self.pools.values() if p.loop is not None),
                             return_exceptions=True)
        self.executor.shutdown(wait=False, cancel_futures=True)
        left = shm.sweep_workers()  # what workers killed mid-write left (their server unlinks the rest)
        if left:
            log.warning("unlinked %d shared-memory segment(s) left by workers", len(left))

    def begin_drain(self) -> None:
        """SIGTERM: new jobs are refused from now on (503 draining); jobs in flight run on to their own deadlines,
        none past drain_max_s: those still running then end with 503 draining, never without an answer.
        Call in the event loop (service.cli: the HTTP server's shutdown)."""
        self.draining = True
        if self._drain_cap is None:
            cap = self.settings.drain_max_s
            self._drain_cap = asyncio.get_running_loop().call_later(cap, self._cut_drain, cap)

    def _cut_drain(self, cap: float) -> None:
        retry = self.settings.retry_after_s
        err = lambda: Draining(f"the server shut down before the job finished: the drain waits at most "  # noqa: E731
                               f"drain_max_s={cap:g}s for jobs in flight; send it to another replica", retry_after=retry,
                               limit="drain_max_s", value=cap)
        running = sum(len(p.queue) + sum(w.job is not None for w in p.workers) for p in self.pools.values())
        if running:
            log.warning("drain: %d job(s) still in flight after drain_max_s=%gs end with 503 draining", running, cap)
        for p in self.pools.values():
            p.cut(err)

    def draining_error(self) -> Draining:
        retry = self.settings.retry_after_s
        return Draining(f"the server is shutting down: send the job to another replica (retry after {retry}s)",
                        retry_after=retry)

    def live(self) -> bool:
        return True

    def ready(self) -> bool:
        return self.started and not self.draining and all(p.ready for p in self.pools.values())

    def admit(self, client: str = "") -> "Admission":
        """Room for one more job, reserved before its body is read (HTTP) or decoded (gRPC);
        Overloaded (429 / RESOURCE_EXHAUSTED) when there is none.

        Requests whose bodies are still arriving count against the pools' free places (idle workers
        plus free queue places) as if they were queued already: under a flood, only as many bodies
        are read at once as could become jobs. Room is counted over all pools, since the body says
        which device the job wants."""
        if self.pools and not self._has_room(self.admitting) and not self._fewer_than_another(client) and \
                not any(p.evictable(client) is not None for p in self.pools.values()):  # (Pool.evictable)
            for p in self.pools.values():
                self.metrics.rejected.labels(p.name).inc()
            retry = self.settings.retry_after_s
            raise Overloaded(f"every pool is full ({', '.join(self.pools)}): retry after {retry}s", retry_after=retry,
                             queue_size=self.settings.queue_size)
        self.admitting += 1
        held = self.admitted_by
        held[client] = held.get(client, 0) + 1  # (dict's own: Counter's `+=` on a client not held calls __missing__)
        return Admission(self, client)

    def _fewer_than_another(self, client: str) -> bool:
        """Past the pools' room, a client holding two admitted places fewer than another still takes one (as
        Pool.evictable shares the queue): one client's requests holding every place (bodies trickling in,
        derivations taking seconds) cannot keep the others out. Each client holds at most as many places as
        the room, so the places held stay within the room times the clients (API keys or peer hosts)."""
        return bool(self.admitted_by) and max(self.admitted_by.values()) >= self.admitted_by[client] + 2

    def _has_room(self, n: int) -> bool:
        """The pools' room (Pool.room, summed) is above n: the first pools' often tell (a small job's
        admission is on every request's path)."""
        room = 0
        for p in self.pools.values():
            room += p.room
            if room > n:
                return True
        return False

    def devices(self) -> dict:
        # admitting: requests holding a place while their bodies arrive (see admit)
        return {"pools": [p.describe() for p in self.pools.values()], "admitting": self.admitting,
                "caches": {"graphs": self.registry.graphs.describe(), "derived": self.deriver.cache.describe()}}

    # -- graphs ----------------------------------------------------------------------------------------
    def register_graph(self, graph: Any, strict: bool = False, client: str | None = None) -> dict:
        gid, g = self.registry.load(graph, None, strict, client, keep=True)
        return {"graph_id": gid, "signature": signature(g)}

    def get_graph(self, graph_id: str) -> dict:
        """{graph_id, graph_json: the graph's JSON text, signature}."""
        text, g = self.registry.json_of(graph_id)
        return {"graph_id": graph_id, "graph_json": text, "signature": signature(g)}

    # -- jobs -------------------------------------------------------------------------------------------
    def _route(self, device: str) -> tuple[Pool, int | None]:
        """routing.route, memoised by the device string (the pools and their devices are fixed once
        started; "auto" follows readiness and is routed every time, as are names that fail)."""
        hit = self.routes.get(device)
        if hit is None:
            hit = route(self.pools, device)
            # (a long string is not kept: "cpu" led by MiBs of spaces routes, 256 of them held each one whole)
            if self.started and len(device or "") <= 256 and (device or "").strip().lower() != "auto" and \
                    len(self.routes) < 256:
                self.routes[device] = hit
        return hit

    def deadline_of(self, deadline_s: float | None) -> float:
        """The job's deadline in seconds: the request's (checked against the limit) or the default."""
        if deadline_s is None:
            return self.settings.default_deadline_s
        if not 0 < deadline_s <= self.settings.max_deadline_s:
            raise InvalidRequest(f"deadline must be in (0, {self.settings.max_deadline_s * 1e3:g}] ms",
                                 path="$.deadline_ms", limit="max_deadline_s", value=self.settings.max_deadline_s)
        return deadline_s

    def _check_output(self, d: Derived, req: JobRequest) -> None:
        """The outputs' shapes are known before running: refuse a response above its encoding's limit (JSON:
        max_output_bytes; binary: max_binary_output_bytes, as raw tensors cost no parse on either side)."""
        if req.output_format == "json":
            n, name = d.output_elements() * JSON_BYTES_PER_ELEMENT, "max_output_bytes"
        else:
            n, name = d.output_bytes(), "max_binary_output_bytes"
        limit = getattr(self.settings, name)
        if req.output_format == "grpc" and n > PROTOBUF_ANSWER_BYTES and limit > PROTOBUF_ANSWER_BYTES:
            raise LimitExceeded(f"the response would be about {n} bytes: over gRPC it is one protobuf message, whose "
                                f"limit is 2 GiB (the client could not parse it), below max_binary_output_bytes="
                                f"{limit}; ask over HTTP (binary output), or for fewer outputs at once", path="$",
                                limit="protobuf_message_bytes", value=PROTOBUF_ANSWER_BYTES, got=n)
        if n > limit:
            hint = "" if name != "max_output_bytes" or d.output_bytes() > self.settings.max_binary_output_bytes else \
                f": ask for binary output (binary_output, {d.output_bytes()} bytes within max_binary_output_bytes)"
            raise LimitExceeded(f"the response would be about {n} bytes ({req.output_format}), above the limit "
                                f"{name}={limit}{hint}", path="$", limit=name, value=limit, got=n)

    def _checks(self, key: str, of, cls):
        """The GraphChecks of graph `of` (key: its content id) or DerivedChecks of derived graph `of` (its
        key, a content hash of the typed graph): the same key, the same inputs and types."""
        c = self.checks.get(key)
        if c is None:
            if len(self.checks) >= CHECKS_KEPT:
                self.checks.clear()
            c = self.checks[key] = cls(of)
        return c

    async def prepare(self, req: JobRequest) -> tuple[str, Derived, list, dict]:
        """Cheap checks first (inputs, params, limits), then the derivation: in the executor unless cached."""
        return self._prepared(req) or await self._prepare(req)

    async def _prepare(self, req: JobRequest, pool: Pool | None = None) -> tuple[str, Derived, list, dict]:
        """prepare in full (its memo, _prepared, did not answer); `pool`: the one the job goes to."""
        if req.kind not in KINDS:
            raise InvalidRequest(f"unknown job kind {req.kind!r}")
        if req.size_hint > (1 << 20) or (type(req.graph) is dict and (
                self.registry.count_nodes(req.graph) > GRAPH_OFF_LOOP_NODES or names_values(req.graph))):
            gid, g = await asyncio.to_thread(self.registry.load, req.graph, req.graph_id, req.graph_strict, req.client)
        else:
            gid, g = self.registry.load(req.graph, req.graph_id, req.graph_strict, req.client)
        check_inputs(self._checks(gid, g, GraphChecks), req)
        spec = spec_of(req.kind, req.options)
        d = self.deriver.cached(req.kind, gid, spec) or await self._derive(req, gid, g, spec, pool)
        inputs = check_extra(d, self._checks(d.key, d, DerivedChecks), req)
        self._check_output(d, req)
        if req.recipe is not None and req.graph is None:
            req.recipe.prepared = (g, (gid, self.deriver.spec_key(req.kind, spec)), d)
        return gid, d, inputs, dict(req.params or {})

    async def _derive(self, req: JobRequest, gid: str, g: Graph, spec: dict, pool: Pool | None) -> Derived:
        """A derivation not cached, in the server's threads. Its cost is unknown: a client past its share of
        refused work waits (429), and a build refused there for max_work / max_nodes is charged to its account
        the thread's CPU time, as a worker's refused build is its worker time (service.refusals.RefusedWork)."""
        if pool is not None and pool.refused_work.level:
            pool.check_refused_work(req.client, time.perf_counter())
        spent = [0.0]

        def timed(*args):
            t = time.thread_time()
            try:
                return self.deriver.derive(*args)
            finally:
                spent[0] = time.thread_time() - t

        try:
            return await self.derive_share.run(req.client, timed, req.kind, gid, g, spec, req.client)
        except LimitExceeded as e:
            if pool is not None and e.detail.get("limit") in DETERMINISTIC:
                pool.refused_work.charge(req.client, spent[0], time.perf_counter())
            raise

    def _prepared(self, req: JobRequest) -> tuple | None:
        """prepare's answer for a request decoded from a binary header whose first job passed it (a client in a
        loop: L1's training step), without its checks: the header fixes every input's and parameter's shape
        and dtype, the options and the output format, so with the same registered graph (the same object:
        not evicted and registered again) and its derived graph still in the Deriver's cache they pass
        again, and the derivation is the same. None: prepare in full."""
        hit = req.recipe.prepared if req.recipe is not None else None
        if hit is None or req.graph is not None or req.kind not in KINDS:
            return None
        g, dkey, d = hit
        gid, g_now = self.registry.load(None, req.graph_id, client=req.client)  # (NotFound when it is gone)
        if g_now is not g or self.deriver.cache.get(dkey) is not d:
            return None
        return gid, d, list(req.inputs) + _extra(req), dict(req.params or {})

    async def run(self, req: JobRequest, admission: "Admission | None" = None) -> JobResult:
        """Prepare, submit and await one job; `admission` (from `admit`) is released once the job is
        in a pool (or has failed before)."""
        try:
            got = self.run_now(req)
            return got if type(got) is JobResult else await self.run_rest(req, got, admission)
        finally:
            if admission is not None:
                admission.release()

    def run_now(self, req: JobRequest) -> "JobResult | tuple":
        """`run`'s part before its first wait: the checks, the route, prepare's memo (_prepared) and the
        inline lane. A small job in a loop (a header met before, a compiled plan, an idle worker) is
        answered here, with no coroutine, future or job built; else what `run_rest` goes on from."""
        if self.draining:
            raise self.draining_error()
        t0 = time.perf_counter()
        within_s = self.deadline_of(req.deadline_s)
        pool, index = self._route(req.device)
        # (a started pool's loop is the running one: on Python 3.11 each lookup of that is a getpid())
        loop = pool.loop or asyncio.get_running_loop()
        deadline = loop.time() + within_s
        prep = self._prepared(req)  # a header met before: prepare's answer without its coroutine
        if prep is not None and (self.batcher is None or not Batcher.eligible(prep[2], prep[3])):
            self.refusals.check(pool.name, prep[1].key)
            t_prep = time.perf_counter()
            if loop.time() >= deadline:
                raise DeadlineExceeded("the deadline passed while the request was being validated")
            hit = pool.run_inline(prep[1].key, next_job_id(), prep[2], prep[3], index)  # None: to a worker
            if hit is not None:
                return self._result(prep[0], prep[1], *hit, t0, t_prep)
            return t0, loop, deadline, pool, index, prep, False
        return t0, loop, deadline, pool, index, prep, True

    async def run_rest(self, req: JobRequest, front: tuple, admission: "Admission | None" = None) -> JobResult:
        """`run` from where `run_now` left it (`front`); releases `admission` once the job is in a pool (the
        caller releases it when this raises before)."""
        t0, loop, deadline, pool, index, prep, inline = front
        gid, d, inputs, params = prep or await self._prepare(req, pool)
        t_prep = time.perf_counter()
        if loop.time() >= deadline:
            raise DeadlineExceeded("the deadline passed while the request was being validated")
        if self.batcher is not None and Batcher.eligible(inputs, params):  # (its place held until it is batched)
            outs, timing, label = await self.batcher.run(pool, d, inputs, deadline, index, req.client, admission)
            return self._result(gid, d, outs, timing, label, t0, t_prep)
        self.refusals.check(pool.name, d.key)  # (before the inline lane too: it would lower it ahead again)
        # (`inline`: run_now has not asked the lane yet)
        hit = pool.run_inline(d.key, next_job_id(), inputs, params, index) if inline else None
        if hit is not None:
            return self._result(gid, d, *hit, t0, t_prep)
        # the lane was asked, in run_now (no wait since: with `prep` nothing awaits) or just above: it said no
        job = Job(d.key, d.job_graph(), inputs, params, deadline, index, out_target=req.out_target, client=req.client,
                  lane_asked=True, direct=req.lane, kind=req.kind, queue_timeout=req.queue_timeout_s)
        outs, timing, label = await self._submitted(pool, job, admission)
        return self._result(gid, d, outs, timing, label, t0, t_prep)

    async def _submitted(self, pool, job: Job, admission: "Admission | None") -> tuple:
        """`job` submitted to `pool` and its (outs, timing, label) awaited; `admission` released once it is queued
        or refused; a client gone cancels it; a ServiceError is noted against its key (refusals)."""
        try:
            fut = pool.submit(job)
        finally:
            if admission is not None:  # queued or refused: either way it no longer holds a place
                admission.release()
        try:
            return await fut
        except asyncio.CancelledError:
            pool.cancel(job)  # the client is gone: drop it, or recycle the worker running it
            raise
        except ServiceError as e:
            self.refusals.note(pool.name, job.key, e)
            raise
        finally:
            # job -> future -> exception -> traceback -> this frame -> job: break the cycle, else a failed
            # job's inputs live until the cyclic GC runs. The deadline does not depend on it (Pool._on_deadline).
            job.future = None
            del fut

    async def run_stacked(self, reqs: list[JobRequest], admission: "Admission | None" = None) -> list | None:
        """Jobs of one derived graph with the same input shapes (KServe V1's instances) run as ONE job of vmap(derived
        graph), each answered its own slice (a per-example result, as service.batching's); None, nothing run, when
        they are not such jobs (parameter values, another graph). Each is checked (prepare) first; `admission` is
        released once the job is in a pool. A failure of the whole is raised: the caller runs them one by one."""
        if self.draining:
            raise self.draining_error()
        t0 = time.perf_counter()
        preps = [await self.prepare(r) for r in reqs]
        gid, d = preps[0][0], preps[0][1]
        shapes = {tuple((a.shape, a.dtype.str) for a in p[2]) for p in preps}
        if len(reqs) < 2 or len(shapes) > 1 or any(p[1].key != d.key or p[3] for p in preps) or not preps[0][2]:
            return None
        t_prep = time.perf_counter()
        pool, index = self._route(reqs[0].device)
        loop = pool.loop or asyncio.get_running_loop()
        size, inputs = stacked([p[2] for p in preps])
        bkey, text = self.vmaps.get(d, size)
        self.refusals.check(pool.name, bkey)
        job = Job(bkey, text, inputs, {}, loop.time() + self.deadline_of(reqs[0].deadline_s), index,
                  client=reqs[0].client)
        outs, timing, label = await self._submitted(pool, job, admission)
        timing = dict(timing, batch=len(reqs))
        return [self._result(gid, d, [np.ascontiguousarray(o[j]) for o in outs], timing, label, t0, t_prep)
                for j in range(len(reqs))]

    @staticmethod
    def _result(gid: str, d: Derived, outs: list, timing: dict, label: str, t0: float, t_prep: float) -> JobResult:
        if len(outs) != len(d.names):  # pragma: no cover - engine and core disagree on the structure
            raise ServiceError(f"the worker returned {len(outs)} tensors, {len(d.names)} expected")
        timing = dict(timing, prepare_ms=ms3((t_prep - t0) * 1e3),
                      total_ms=ms3((time.perf_counter() - t0) * 1e3))
        return JobResult(list(zip(d.names, outs)), d.structure, gid, label, timing)


class Admission:
    """A place reserved by `Core.admit`; released once (when the job reaches a pool, or fails before)."""

    __slots__ = ("core", "client")

    def __init__(self, core: Core, client: str):
        self.core: Core | None = core
        self.client = client

    def release(self) -> None:
        if self.core is not None:
            self.core.admitting -= 1
            held = self.core.admitted_by
            held[self.client] -= 1
            if held[self.client] <= 0:
                held.pop(self.client, None)  # (dict's own: Counter's `del` is a Python method, on every job)
            self.core = None


__all__ = ["Core", "JobRequest", "JobResult", "PoolStartError", "drain_wait_s", "signature", "np"]
