"""The engine's Python API: build graphs, derive them, compile and run with a plan cache."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from .builder import Builder
from .errors import ShapeError
from .executor import Plan, compile_graph
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
        if arr.ndim == 0 or np.all(arr == arr.flat[0]):
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
    """

    def __init__(self, backend: str = "numpy", *, cache_size: int = 256, max_nodes: int | None = None):
        self.backend = backend
        self.cache_size = cache_size
        self.max_nodes = max_nodes
        self._plans: OrderedDict[Any, tuple[Graph | None, Plan]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def plan(self, g: Graph, key: Any = None) -> Plan:
        """The compiled plan for `g`, from the cache when it is there.

        Without a key the graph object itself is the key: the cache holds the graph,
        so its id cannot be reused by another graph while the entry lives.
        """
        k = key if key is not None else ("graph-id", id(g))
        plans = self._plans
        with self._lock:  # ~0.1 us uncontended; keeps LRU order and the counters exact under threads
            hit = plans.get(k)
            if hit is not None and (key is not None or hit[0] is g):
                plans.move_to_end(k)
                self.hits += 1
                return hit[1]
            self.misses += 1
        p = compile_graph(lower(g, max_nodes=self.max_nodes), self.backend)
        with self._lock:
            plans[k] = (g if key is None else None, p)
            plans.move_to_end(k)
            while len(plans) > self.cache_size:
                plans.popitem(last=False)
        return p

    def run(self, g: Graph, inputs: Sequence, params: dict | None = None, key: Any = None):
        """Run `g` on host arrays; returns host arrays in the graph's output structure.

        Parameters default to the graph's values; `params` overrides some or all by name.
        """
        p = self.plan(g, key)
        if params:
            unknown = [k for k in params if k not in p.param_avals and k not in g.param_names]
            if unknown:
                raise ShapeError(f"unknown parameter(s) {sorted(unknown)}; graph has {g.param_names}")
            params = {k: v for k, v in params.items() if k in p.param_avals}
        return p.run_host(inputs, params)


_default = Engine()


def evaluate(g: Graph, *inputs, params: dict | None = None, backend: str | None = None):
    """Lower, compile and run `g` once (cached per graph object) on host arrays."""
    eng = _default if backend in (None, _default.backend) else Engine(backend)
    return eng.run(g, inputs, params)
