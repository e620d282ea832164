"""torch's while_loop higher-order op (torch._higher_order_ops.while_loop, as torch.export keeps it) -> the
engine's scan: a counted loop (`i < n` with n a number, i carried from a constant, `i + 1` in the body) has a
static trip count, so it unrolls with an exact reverse mode; any other loop's trip count is data, refused naming
the node (gradserve graphs have static shapes and bounded loops). torch's scan higher-order op
(torch._higher_order_ops.scan) -> the engine's scan over its xs' first axis (torch.export has already moved the
scanned dim there and flipped them for reverse=True)."""
from __future__ import annotations

import numpy as np

from ._shared.graph_writer import UnsupportedModel


def is_while_loop(node) -> bool:
    import torch

    return node.target is getattr(torch.ops.higher_order, "while_loop", None)


def is_scan(node) -> bool:
    import torch

    return node.target is getattr(torch.ops.higher_order, "scan", None)


def _fill_value(w, v: str):
    """The number a writer value holds when it is a constant scalar, else None."""
    made = next((n for n in reversed(w.nodes) if v in n["outputs"]), None)
    if made is None or w.shape(v) != ():
        return None
    if made["op"] == "fill":
        return made["attrs"]["value"]
    if made["op"] == "const":
        return np.asarray(made["attrs"]["value"]).reshape(-1)[0]
    return None


def _counter(cond_gm, body_gm) -> tuple[int, int] | None:
    """(carried index k, bound n) when cond is `carried[k] < n` (n a number) and body's k-th output is
    `carried[k] + 1`; None otherwise."""
    import torch

    aten = torch.ops.aten
    cond_out = next(n for n in cond_gm.graph.nodes if n.op == "output").args[0]
    cond_out = cond_out[0] if isinstance(cond_out, (tuple, list)) else cond_out
    if cond_out.op != "call_function" or cond_out.target not in (aten.lt.Scalar, aten.lt.Tensor):
        return None
    counter, bound = cond_out.args
    phs = [n for n in cond_gm.graph.nodes if n.op == "placeholder"]
    if counter not in phs or not isinstance(bound, (int, np.integer)):
        return None
    k = phs.index(counter)
    outs = next(n for n in body_gm.graph.nodes if n.op == "output").args[0]
    body_phs = [n for n in body_gm.graph.nodes if n.op == "placeholder"]
    step = outs[k]
    if step.op != "call_function" or step.target not in (aten.add.Tensor, aten.add.Scalar) \
            or list(step.args[:2]) != [body_phs[k], 1] or step.kwargs.get("alpha", 1) != 1:
        return None
    return k, int(bound)


def while_loop(ctx, node, convert_nodes, make_ctx) -> tuple:
    """while_loop(cond_fn, body_fn, carried_inputs, additional_inputs): the body's graph becomes the scan's body
    over (carried..., additional...) (the additional inputs passed through unchanged), run the static number of
    trips of its counter."""
    cond_gm, body_gm = (ctx.env[a.name] for a in node.args[:2])
    carried = [ctx.v(a) for a in node.args[2]]
    extra = [ctx.v(a) for a in (node.args[3] if len(node.args) > 3 else ())]
    found = _counter(cond_gm, body_gm)
    start = _fill_value(ctx.w, carried[found[0]]) if found else None
    if found is None or start is None:
        raise UnsupportedModel(f"torch while_loop node {node.name!r}: its trip count is not static (known: a counter "
                               "carried from a constant, `i < n` with n a number, `i + 1` each trip): gradserve "
                               "loops have a static bound", op="while_loop", node=node.name)
    trips = max(found[1] - int(start), 0)
    sub = make_ctx(ctx.w.function_writer(f"{node.name}_body"))
    phs = [n for n in body_gm.graph.nodes if n.op == "placeholder"]
    if len(phs) != len(carried) + len(extra):
        raise UnsupportedModel(f"torch while_loop node {node.name!r}: the body takes {len(phs)} operand(s), given "
                               f"{len(carried) + len(extra)}", op="while_loop", node=node.name)
    ins = []
    for ph, v in zip(phs, carried + extra):
        sub.env[ph.name] = sub.w.input(ph.name, *ctx.w.avals[v])
        ins.append(sub.env[ph.name])
    outs = convert_nodes(sub, body_gm)
    for k, (i, o) in enumerate(zip(ins, outs)):
        if sub.w.avals[i] != sub.w.avals[o]:
            raise UnsupportedModel(f"torch while_loop node {node.name!r}: carried value {k} changes from "
                                   f"{sub.w.avals[i]} to {sub.w.avals[o]} in one trip", op="while_loop", node=node.name)
    name = ctx.w.finish(sub.w, outs + ins[len(carried):])
    state = carried + extra
    res = ctx.w.emit("scan", state, {"body": name, "length": trips, "n_carry": len(state), "reverse": False},
                     [ctx.w.avals[v] for v in state])
    return tuple(res[:len(carried)])


def scan(ctx, node, convert_nodes, make_ctx) -> tuple:
    """scan(combine_fn, init, xs, additional_inputs): combine(carry..., x slices..., additional...) gives (next
    carry..., ys...); the engine's scan carries (carry..., additional...) (the additional inputs unchanged) over the
    xs' first axis. Returns (final carry..., stacked ys...)."""
    combine = ctx.env[node.args[0].name]
    init, xs = [ctx.v(a) for a in node.args[1]], [ctx.v(a) for a in node.args[2]]
    extra = [ctx.v(a) for a in (node.args[3] if len(node.args) > 3 else ())]
    lengths = {ctx.w.shape(x)[0] for x in xs}
    phs = [n for n in combine.graph.nodes if n.op == "placeholder"]
    if len(lengths) != 1 or len(phs) != len(init) + len(xs) + len(extra):
        raise UnsupportedModel(f"torch scan node {node.name!r}: xs of lengths {sorted(lengths)}, a combine_fn of "
                               f"{len(phs)} operand(s) for {len(init) + len(xs) + len(extra)}", op="scan",
                               node=node.name)
    n, nc, nx = lengths.pop(), len(init), len(xs)
    avals = ([ctx.w.avals[v] for v in init] + [(ctx.w.shape(x)[1:], ctx.w.dtype(x)) for x in xs]
             + [ctx.w.avals[v] for v in extra])
    sub = make_ctx(ctx.w.function_writer(f"{node.name}_combine"))
    ins = []
    for ph, aval in zip(phs, avals):
        sub.env[ph.name] = sub.w.input(ph.name, *aval)
        ins.append(sub.env[ph.name])
    outs = convert_nodes(sub, combine)
    for k, (i, o) in enumerate(zip(ins[:nc], outs[:nc])):
        if sub.w.avals[i] != sub.w.avals[o]:
            raise UnsupportedModel(f"torch scan node {node.name!r}: carried value {k} changes from {sub.w.avals[i]} "
                                   f"to {sub.w.avals[o]} in one step", op="scan", node=node.name)
    sub.w.reorder_inputs(ins[:nc] + ins[nc + nx:] + ins[nc:nc + nx])
    name = ctx.w.finish(sub.w, outs[:nc] + ins[nc + nx:] + outs[nc:])
    carry = init + extra
    ys = [((n,) + tuple(sub.w.shape(y)), sub.w.dtype(y)) for y in outs[nc:]]
    res = ctx.w.emit("scan", carry + xs, {"body": name, "length": n, "n_carry": len(carry), "reverse": False},
                     [ctx.w.avals[v] for v in carry] + ys)
    return tuple(res[:nc]) + tuple(res[len(carry):])
