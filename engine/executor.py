"""Compile a flat graph for a backend into a Plan, and run it.

A Plan is a flat list of steps: (kernel with its attributes bound, input slots,
output slots, slots to free after this step). Everything that does not depend
on the call's inputs or parameters (constants, folded subgraphs) is computed
once at compile time. Running a plan does no graph walk and no dict lookup.
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np

from .backends import Backend, get_backend
from .errors import EngineError, ShapeError
from .ir import AVal, Graph, tree_flatten, tree_unflatten
from .ops.registry import FUNCTION_OPS, impl_rules

NP_DTYPES = {"bool": np.bool_, "int32": np.int32, "int64": np.int64,
             "float16": np.float16, "float32": np.float32, "float64": np.float64}


class ExecutionError(EngineError):
    code = "execution_error"


class Plan:
    def __init__(self, graph: Graph, backend: Backend):
        for e in graph.eqns:
            if e.op in FUNCTION_OPS:
                raise EngineError("compile: graph still has function nodes; lower it first", node=e.op)
        self.graph = graph
        self.backend = backend
        self.in_avals = [v.aval for v in graph.inputs]
        self.param_avals = {p.name: p.aval for p in graph.params}
        xp = backend.xp
        slot: dict[int, int] = {}

        def s(v) -> int:
            if v.id not in slot:
                slot[v.id] = len(slot)
            return slot[v.id]

        self.input_slots = [s(v) for v in graph.inputs]
        self.param_slots = [(p.name, s(p)) for p in graph.params]
        runtime = {v.id for v in list(graph.inputs) + list(graph.params)}
        consts: dict[int, Any] = {}
        steps = []
        for e in graph.eqns:
            fn = functools.partial(impl_rules[e.op], xp, **e.attrs) if e.attrs else functools.partial(impl_rules[e.op], xp)
            ins = [s(x) for x in e.inputs]
            outs = [s(o) for o in e.outputs]
            if not any(x.id in runtime for x in e.inputs):
                # constant: evaluate now, once (folds whole constant subgraphs)
                r = fn(*[consts[i] for i in ins])
                for o, val in zip(outs, r if len(outs) > 1 else (r,)):
                    consts[o] = val
                continue
            runtime.update(o.id for o in e.outputs)
            steps.append([fn, tuple(ins), outs[0] if len(outs) == 1 else tuple(outs), ()])
        self.n_slots = len(slot)
        self.output_slots = [s(v) for v in tree_flatten(graph.outputs)]
        self.out_tree = graph.outputs
        # free each runtime buffer after its last use (outputs are never freed)
        keep = set(self.output_slots)
        last: dict[int, int] = {}
        for k, st in enumerate(steps):
            for i in st[1]:
                last[i] = k
        frees: dict[int, list[int]] = {}
        for i, k in last.items():
            if i not in keep and i not in consts:
                frees.setdefault(k, []).append(i)
        for k, st in enumerate(steps):
            st[3] = tuple(frees.get(k, ()))
        self.steps = [tuple(st) for st in steps]
        self.env0 = [None] * self.n_slots
        for i, v in consts.items():
            self.env0[i] = v

    def run(self, inputs: Sequence[Any], params: dict[str, Any]) -> Any:
        """inputs and params are backend arrays; returns the output tree of backend arrays."""
        env = list(self.env0)
        for i, a in zip(self.input_slots, inputs):
            env[i] = a
        for name, i in self.param_slots:
            env[i] = params[name]
        for fn, ins, out, frees in self.steps:
            r = fn(*[env[i] for i in ins])
            if type(out) is int:
                env[out] = r
            else:
                for o, val in zip(out, r):
                    env[o] = val
            for i in frees:
                env[i] = None
        return tree_unflatten(self.out_tree, [env[i] for i in self.output_slots])


def check_inputs(avals: list[AVal], arrays: Sequence[np.ndarray], what: str = "input") -> None:
    if len(arrays) != len(avals):
        raise ShapeError(f"expected {len(avals)} {what}(s), got {len(arrays)}", expected=len(avals), got=len(arrays))
    for i, (av, a) in enumerate(zip(avals, arrays)):
        if tuple(a.shape) != av.shape or str(a.dtype) != av.dtype:
            raise ShapeError(f"{what} {i}: expected {av}, got {a.dtype}[{','.join(map(str, a.shape))}]",
                             path=f"{what}s[{i}]", expected=list(av.shape), got=list(a.shape))


def run_numpy(plan: Plan, inputs: Sequence[np.ndarray], params: dict[str, np.ndarray] | None = None):
    """Run with host arrays in and host arrays out (moves to and from the backend)."""
    bk = plan.backend
    params = {**plan.graph.param_values, **(params or {})}
    xs = [bk.from_host(np.asarray(a)) for a in inputs]
    ps = {k: bk.from_host(np.asarray(params[k])) for k in plan.param_avals}
    out = plan.run(xs, ps)
    return tree_unflatten(plan.out_tree, [bk.to_host(a) for a in tree_flatten(out)])


def compile_graph(graph: Graph, backend: str | Backend = "numpy") -> Plan:
    bk = backend if isinstance(backend, Backend) else get_backend(backend)
    return Plan(graph, bk)
