"""The engine's Python API: build graphs, derive them, compile and run with a plan cache."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from .builder import Builder
from .cache_share import OwnerShare
from .errors import LimitExceeded, ShapeError
from .executor import Plan, compile_graph, estimate_bytes, estimate_flops
from .ir import AVal, Graph, Var, check_dtype
from .lower import lower


class GraphBuilder(Builder):
    """Builder with inputs, named parameters and functions: the way to write a graph in Python.

        gb = GraphBuilder()
        x = gb.input((2, 3)); z = gb.param("z", np.array([1.0], np.float32))
        g = gb.build(gb.matmul(gb.mul(x, z), y))
    """

    def __init__(self, name: str = "main", **kw):
        super().__init__(**kw)
        self.name = name
        self.inputs: list[Var] = []
        self.params: list[Var] = []
        self.param_values: dict[str, np.ndarray] = {}

    def input(self, shape: Sequence[int], dtype: str = "float32", name: str | None = None) -> Var:
        v = Var(AVal(tuple(shape), check_dtype(dtype)), name or f"x{len(self.inputs)}")
        self.inputs.append(v)
        return v

    def param(self, name: str, value=None, *, shape=None, dtype: str = "float32") -> Var:
        """A named parameter; `value` at top level, or only shape/dtype inside a function."""
        for p in self.params:
            if p.name == name:
                return p
        if value is not None:
            value = np.asarray(value)
            shape, dtype = value.shape, str(value.dtype)
            self.param_values[name] = value
        v = Var(AVal(tuple(shape), check_dtype(dtype)), name)
        self.params.append(v)
        return v

    def const(self, value, dtype: str | None = None) -> Var:
        arr = np.asarray(value, dtype=dtype)
        if (arr.ndim == 0 or np.all(arr == arr.flat[0])) and not np.iscomplex(arr.flat[0] if arr.size else 0):
            return self.full(arr.shape, float(arr.flat[0]) if arr.size else 0.0, str(arr.dtype))
        return self.emit1("const", value=arr)

    def function(self, g: Graph, name: str | None = None) -> str:
        """Register a graph as a function of this one (its functions come along); returns its name."""
        name = name or g.name
        for k, f in g.functions.items():
            self.functions.setdefault(k, f)
        self.functions[name] = Graph(g.inputs, g.params, g.eqns, g.outputs, {}, {}, name)
        for p in g.params:  # a function's parameters are the graph's parameters
            if p.name in g.param_values:
                self.param(p.name, g.param_values[p.name])
            else:
                self.param(p.name, shape=p.shape, dtype=p.dtype)
        return name

    def build(self, outputs) -> Graph:
        return Graph(list(self.inputs), list(self.params), self.eqns, outputs, dict(self.param_values),
                     dict(self.functions), self.name)


class Engine:
    """Lowers, compiles and caches plans; runs them on host arrays.

    The cache key is the caller's: a content hash of the (derived) graph plus
    the backend, so one Engine serves many graphs. Thread-safe.

    Limits (None: unbounded), each a LimitExceeded naming its setting when passed:
      max_nodes      equations of a lowered graph (counted as it is built, after CSE)
      max_work       equations emitted and functions inlined while lowering, before CSE, and those
                     re-emitted or rewritten by its optimisation passes (see builder.Budget)
      max_job_bytes  a plan's estimated peak bytes (`executor.estimate_bytes`), checked before
                     it is compiled or run
      max_job_flops  a plan's estimated operations (`executor.estimate_flops`), checked likewise: a
                     small request must not ask for hours of compute (a chain of large matmuls)
      cache_size / cache_bytes  plans kept: entries / bytes held (constants and arenas); an
                     evicted plan's arenas are released at once
    """

    def __init__(self, backend: str = "numpy", *, cache_size: int = 256, max_nodes: int | None = None,
                 max_work: int | None = None, max_job_bytes: int | None = None, cache_bytes: int | None = None,
                 max_job_flops: int | None = None):
        self.backend = backend
        self.cache_size = cache_size
        self.cache_bytes = cache_bytes
        self.max_nodes = max_nodes
        self.max_work = max_work
        self.max_job_bytes = max_job_bytes
        self.max_job_flops = max_job_flops
        self._plans: OrderedDict[Any, tuple[Graph | None, Plan, int]] = OrderedDict()
        self._shares = OwnerShare(cache_size, cache_bytes)  # each owner's (plan(owner=...)) share of the cache
        self._held = 0  # bytes of the cached plans, as counted when each was cached
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.compile_seconds = 0.0  # spent lowering and compiling plans (a caller's run time less this is the run)
        self.compile_cpu_seconds = 0.0  # the same, in the compiling threads' CPU time

    def lower(self, g: Graph) -> tuple[Graph, int]:
        """`g` lowered within this engine's limits, and its estimated peak bytes, checked against
        the memory budget."""
        flat = lower(g, max_nodes=self.max_nodes, max_work=self.max_work)
        need = estimate_bytes(flat)
        if self.max_job_bytes is not None and need > self.max_job_bytes:
            raise LimitExceeded(f"the job would need about {need} bytes (inputs, parameters, constants and the "
                                f"intermediates alive at once), above the limit of {self.max_job_bytes} "
                                "(max_job_bytes)", setting="max_job_bytes", limit=self.max_job_bytes, value=need)
        if self.max_job_flops is not None:
            self._check_flops(flat)
        return flat, need

    def _check_flops(self, flat: Graph) -> None:
        ops, at, worst = estimate_flops(flat)
        if ops > self.max_job_flops:
            e = flat.eqns[at]
            node = e.label or f"{at}:{e.op}"
            raise LimitExceeded(f"the job would take about {ops:.3g} operations, above the limit of "
                                f"{self.max_job_flops:.3g} (max_job_flops); the costliest node, a {e.op}, takes "
                                f"{worst:.3g}", setting="max_job_flops", limit=self.max_job_flops, value=ops, node=node)

    def estimate(self, g: Graph) -> int:
        """Estimated peak bytes of running `g` (lowers it; compiles and allocates nothing)."""
        return self.lower(g)[1]

    def cached(self, key: Any, *, touch: bool = True) -> Plan | None:
        """The plan cached under `key`, or None; lowers and compiles nothing. touch: count a hit
        and make it the most recently used (False: only look)."""
        with self._lock:
            hit = self._plans.get(key)
            if hit is None or hit[0] is not None:  # graph-id entries are found by `plan` only
                return None
            if touch:
                self._plans.move_to_end(key)
                self._shares.touch(key)
                self.hits += 1
            return hit[1]

    def plan(self, g: Graph | None, key: Any = None, admit=None, lowered: tuple | None = None,
             owner: Any = None) -> Plan | None:
        """The compiled plan for `g`, from the cache when it is there.

        Without a key the graph object itself is the key: the cache holds the graph,
        so its id cannot be reused by another graph while the entry lives.
        admit(flat, need): when given, a plan not cached yet is compiled and cached only if it
        returns true for the lowered graph and its estimated bytes; else the answer is None.
        lowered: `self.lower(g)`, when the caller lowered it already (with a key; g may be None then).
        owner: whose plan it is (any hashable; None: nobody's): one owner's plans hold at most a share of the
        cache (engine.cache_share), past it its own oldest go first.
        """
        k = key if key is not None else ("graph-id", id(g))
        plans = self._plans
        with self._lock:  # ~0.1 us uncontended; keeps LRU order and the counters exact under threads
            hit = plans.get(k)
            if hit is not None and (key is not None or hit[0] is g):
                plans.move_to_end(k)
                self._shares.touch(k)
                self.hits += 1
                return hit[1]
            self.misses += 1
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            flat, need = lowered if lowered is not None else self.lower(g)
            if admit is not None and not admit(flat, need):
                return None
            p = compile_graph(flat, self.backend)
        finally:
            with self._lock:
                self.compile_seconds += time.perf_counter() - t0
                self.compile_cpu_seconds += time.thread_time() - c0
        p.est_bytes = need
        self._keep(k, g if key is None else None, p, owner)
        return p

    def _keep(self, k, g: Graph | None, p: Plan, owner: Any = None) -> None:
        size = p.nbytes
        if self.cache_bytes is not None and size > self.cache_bytes:
            return  # larger than the whole cache: used for this run, then dropped
        evicted = []
        with self._lock:
            old = self._plans.pop(k, None)
            if old is not None:
                self._held -= old[2]
                self._shares.drop(k)
                evicted.append(old[1])
            self._plans[k] = (g, p, size)
            self._held += size
            self._shares.add(k, owner, size)
            while (mine := self._shares.over(owner)) is not None:  # the owner's own oldest first
                evicted.append(self._drop(mine))
            while len(self._plans) > self.cache_size or (self.cache_bytes is not None and self._held > self.cache_bytes):
                evicted.append(self._drop(next(iter(self._plans))))
        for q in evicted:
            q.release()

    def _drop(self, k) -> Plan:
        """Out of the cache (the lock held): the plan, to release once the lock is let go."""
        _, q, n = self._plans.pop(k)
        self._held -= n
        self._shares.drop(k)
        return q

    def cache_info(self) -> dict:
        """Sizes for metrics: entries and bytes held, their bounds, hits and misses."""
        with self._lock:
            return {"entries": len(self._plans), "bytes": self._held, "max_entries": self.cache_size,
                    "max_bytes": self.cache_bytes, "hits": self.hits, "misses": self.misses}

    def clear(self) -> None:
        with self._lock:
            plans = [v[1] for v in self._plans.values()]
            self._plans.clear()
            self._shares = OwnerShare(self.cache_size, self.cache_bytes)
            self._held = 0
        for p in plans:
            p.release()

    def run(self, g: Graph, inputs: Sequence, params: dict | None = None, key: Any = None,
            outs: Sequence | None = None, owner: Any = None):
        """Run `g` on host arrays; returns host arrays in the graph's output structure.

        Parameters default to the graph's values; `params` overrides some or all by name. `outs`: per flat
        output, a buffer of its shape and dtype to compute it into, or None (see Plan.run_host: an output
        returned as its buffer was computed into it; any other is a new array). `owner`: as for `plan`.
        """
        p = self.plan(g, key, owner=owner)
        if params:
            unknown = [k for k in params if k not in p.param_avals and k not in g.param_names]
            if unknown:
                raise ShapeError(f"unknown parameter(s) {sorted(unknown)}; graph has {g.param_names}")
            params = {k: v for k, v in params.items() if k in p.param_avals}
        return p.run_host(inputs, params, outs)


_default = Engine()


def evaluate(g: Graph, *inputs, params: dict | None = None, backend: str | None = None):
    """Lower, compile and run `g` once (cached per graph object) on host arrays."""
    eng = _default if backend in (None, _default.backend) else Engine(backend)
    return eng.run(g, inputs, params)
