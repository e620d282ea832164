"""Lowering: expand every function node into plain ops, then optimise.

The result is a flat graph (no `call`/`grad`/`jvp`) that the executor compiles.
"""
from __future__ import annotations

from .autodiff import inline
from .builder import Budget, Builder
from .directional import NestedGrads
from .ir import Graph, Var, tree_unflatten, validate_graph
from .optimize import optimize
from .ops.custom_vjp import rule_functions
from .ops.registry import layers


def lower(g: Graph, *, max_nodes: int | None = None, max_work: int | None = None, budget: Budget | None = None,
          opt: bool = True, literal_nested_grads: bool = False) -> Graph:
    """max_nodes: equations the flat graph may have (counted as it is built, after CSE);
    max_work: equations emitted and functions inlined before CSE, and the passes' (see Budget), or `budget`
    to share one count with an enclosing build; literal_nested_grads: expand grad-of-grad
    nodes as written, not in the directional form. Past a limit: LimitExceeded naming it."""
    validate_graph(g)
    # a copy: expanding may add functions (vmap's batched custom_vjp rules), never to g itself
    b = Builder(max_nodes=max_nodes, functions=dict(g.functions), budget=budget or Budget(max_work))
    b.nested_grads = None if literal_nested_grads else NestedGrads(lower)
    inputs = [Var(v.aval, v.name) for v in g.inputs]
    params = [Var(p.aval, p.name) for p in g.params]
    outs = inline(b, g, inputs, {p.name: p for p in params})
    flat = Graph(inputs, params, b.eqns, tree_unflatten(g.outputs, outs),
                 param_values=g.param_values, functions=rule_functions(b.functions, b.eqns), name=g.name)
    return optimize(flat, b.budget) if opt else flat


layers.lower = lower  # for vmap's flattening of function nodes (engine/vmap.py)
