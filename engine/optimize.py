"""Graph optimisation passes over a flat (lowered) graph.

The builder folds constants, simplifies algebra and merges duplicate equations
as they are emitted. Differentiation leaves `identity` marks (fresh
differentiation points), which hide duplicates from that CSE; `rebuild`
re-emits the graph without them so the builder's rules see the whole graph,
then `dce` drops what no output needs.
"""
from __future__ import annotations

from .builder import Builder
from .ir import Graph, tree_flatten, tree_unflatten


def rebuild(g: Graph) -> Graph:
    """Re-emit through a Builder with identities removed: CSE, folding, simplification."""
    b = Builder(functions=g.functions)
    env: dict[int, object] = {v.id: v for v in list(g.inputs) + list(g.params)}
    for e in g.eqns:
        ins = [env[x.id] for x in e.inputs]
        if e.op == "identity":
            env[e.outputs[0].id] = ins[0]
            continue
        for o, n in zip(e.outputs, b.emit(e.op, ins, e.attrs)):
            env[o.id] = n
    outs = tree_unflatten(g.outputs, [env[v.id] for v in tree_flatten(g.outputs)])
    return Graph(g.inputs, g.params, b.eqns, outs, g.param_values, g.functions, g.name)


def dce(g: Graph) -> Graph:
    live = {v.id for v in tree_flatten(g.outputs)}
    kept = []
    for e in reversed(g.eqns):
        if any(o.id in live for o in e.outputs):
            kept.append(e)
            live.update(x.id for x in e.inputs)
    kept.reverse()
    return Graph(g.inputs, g.params, kept, g.outputs, g.param_values, g.functions, g.name)


def optimize(g: Graph) -> Graph:
    return dce(rebuild(g))
