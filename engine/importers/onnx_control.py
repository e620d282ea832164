"""ONNX control flow -> the engine's control-flow ops (engine/ops/control_flow.py).

- `If` -> `cond`: each branch becomes a function; the outer values either branch reads become
  explicit operands (the same list for both branches), so derivatives reach them through cond.
- `Loop` whose body passes its condition through (or returns a constant true) with a constant
  trip count M -> `scan` over the iteration numbers arange(M): the loop-carried values (and the
  outer values the body reads, carried unchanged) are the carry, the ONNX scan outputs are the
  scan's stacked ys. Unrolled by the engine, so reverse mode needs no masking.
- `Loop` with a computed condition -> `while` over (iteration number, condition, state...), with
  max_trips = M when M is a constant (the loop can never run more); no constant M: refused, naming
  the node. Scan outputs of such a loop have no static length: refused.

The handlers work on an importer context (onnx_graph._Ctx): `ctx.subgraph(graph, name)` opens the
scope of a sub-graph, whose writer becomes a function of the graph.
"""
from __future__ import annotations

import math

import numpy as np

from .graph_writer import ModelLimitExceeded, UnsupportedModel

# a Loop unrolls to trip count x body nodes; without a caller's max_nodes this still bounds it
# (exporters write M = INT64_MAX for "no bound", which must be a clear refusal, not an allocation)
MAX_UNROLLED_NODES = 1_000_000


def _scalar(ctx, name: str, what: str) -> str:
    v = ctx.val(name)
    if math.prod(ctx.w.shape(v)) != 1:
        raise UnsupportedModel(f"{what} {name!r} must have one element, got shape {list(ctx.w.shape(v))}")
    return ctx.w.reshape(v, ())


def _if(ctx, node, attrs) -> list[str]:
    pred = ctx.w.cast(_scalar(ctx, node.input[0], "the condition"), "bool")
    base = node.name or "If"
    subs = [ctx.subgraph(attrs[k], f"{base}_{k}") for k in ("else_branch", "then_branch")]
    outs = [s.convert(attrs[k]) for s, k in zip(subs, ("else_branch", "then_branch"))]
    avals = [[s.w.avals[o] for o in os_] for s, os_ in zip(subs, outs)]
    if avals[0] != avals[1]:
        raise UnsupportedModel(f"then_branch gives {avals[1]}, else_branch gives {avals[0]}: the branches of a "
                               "gradserve cond must return the same shapes and dtypes")
    caps = list(dict.fromkeys([n for s in subs for n in s.captures]))
    for s in subs:
        s.w.reorder_inputs([s.capture(n) for n in caps])
    names = [ctx.w.finish(s.w, o) for s, o in zip(subs, outs)]
    return ctx.w.emit("cond", [pred] + [ctx.val(n) for n in caps], {"false_fn": names[0], "true_fn": names[1]},
                      avals[0])


def _passes_condition(body) -> bool:
    """True when the body's condition output is its condition input, or a constant true."""
    c_in, c_out = body.input[1].name, body.output[0].name
    if c_out == c_in:
        return True
    for n in body.node:
        if c_out in n.output:
            if n.op_type == "Identity":
                return n.input[0] == c_in
            if n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].HasField("t"):
                from onnx import numpy_helper

                v = numpy_helper.to_array(n.attribute[0].t)
                return v.size == 1 and bool(v.reshape(-1)[0])
    return False


def _trip_count(ctx, node) -> int | None:
    m = node.input[0] if len(node.input) > 0 else ""
    if not m or not ctx.is_const(m):
        return None
    trips = int(np.asarray(ctx.cval(m, node)).reshape(-1)[0])
    return max(trips, 0)


def _loop(ctx, node, attrs) -> list[str]:
    body = attrs["body"]
    v_names = list(node.input[2:])
    if len(body.input) != 2 + len(v_names) or len(body.output) < 1 + len(v_names):
        raise UnsupportedModel(f"the body takes {len(body.input)} inputs and gives {len(body.output)} outputs for "
                               f"{len(v_names)} loop-carried value(s)")
    trips = _trip_count(ctx, node)
    c = node.input[1] if len(node.input) > 1 else ""
    if trips is None:
        raise UnsupportedModel("the trip count M is not a constant: a gradserve loop needs a static bound "
                               "(scan / fori_loop) or a max_trips (while); refused")
    limit = ctx.limits.get("max_nodes") or MAX_UNROLLED_NODES
    if trips * max(len(body.node), 1) > limit:  # the engine unrolls the loop
        raise ModelLimitExceeded(f"Loop node {node.name!r} unrolls to {trips} (trip count M) x {len(body.node)} "
                                 f"nodes, above the limit max_nodes={limit}", "max_nodes", limit)
    if c and ctx.is_const(c) and not bool(np.asarray(ctx.cval(c, node)).reshape(-1)[0]):
        trips = 0  # the loop never starts
    elif (c and not ctx.is_const(c)) or not _passes_condition(body):
        return _while(ctx, node, body, v_names, trips)
    return _scan(ctx, node, body, v_names, trips)


def _carried(ctx, sub, body, v_names) -> list[str]:
    return [sub.declare(bi.name, *ctx.w.avals[ctx.val(v)]) for bi, v in zip(body.input[2:], v_names)]


def _check_carry(sub, ins, outs, body) -> None:
    for k, (i, o) in enumerate(zip(ins, outs)):
        if sub.w.avals[i] != sub.w.avals[o]:
            raise UnsupportedModel(f"loop-carried value {k} ({body.input[2 + k].name!r}) changes from "
                                   f"{sub.w.avals[i]} to {sub.w.avals[o]} in one iteration: gradserve loops "
                                   "carry static shapes")


def _scan(ctx, node, body, v_names, trips) -> list[str]:
    sub = ctx.subgraph(body, f"{node.name or 'Loop'}_body")
    i_in = sub.declare(body.input[0].name, (), "int64")
    sub.consts[body.input[1].name] = np.asarray(True)
    vs = _carried(ctx, sub, body, v_names)
    outs = sub.convert(body)
    nv = len(vs)
    _check_carry(sub, vs, outs[1:1 + nv], body)
    caps = list(sub.captures)
    cap_ins = [sub.captures[n] for n in caps]
    sub.w.reorder_inputs(vs + cap_ins + [i_in])
    fn = ctx.w.finish(sub.w, outs[1:1 + nv] + cap_ins + outs[1 + nv:])
    carry = [ctx.val(v) for v in v_names] + [ctx.val(n) for n in caps]
    ys = [((trips,) + sub.w.shape(y), sub.w.dtype(y)) for y in outs[1 + nv:]]
    res = ctx.w.emit("scan", carry + [ctx.w.const(np.arange(trips, dtype=np.int64))],
                     {"body": fn, "length": trips, "n_carry": len(carry), "reverse": False},
                     [ctx.w.avals[x] for x in carry] + ys)
    return res[:nv] + res[len(carry):]


def _while(ctx, node, body, v_names, trips) -> list[str]:
    nv = len(v_names)
    if len(body.output) > 1 + nv:
        raise UnsupportedModel(f"scan outputs of a Loop with a computed condition (node {node.name!r}) have no "
                               "static length: refused (a gradserve while carries only its state)")
    base = node.name or "Loop"
    sub = ctx.subgraph(body, f"{base}_body")
    i_in = sub.declare(body.input[0].name, (), "int64")
    c_in = sub.declare(body.input[1].name, (), "bool")
    vs = _carried(ctx, sub, body, v_names)
    outs = sub.convert(body)
    _check_carry(sub, vs, outs[1:], body)
    sw = sub.w
    c_out = sw.cast(sw.reshape(outs[0], ()), "bool")
    caps = list(sub.captures)
    cap_ins = [sub.captures[n] for n in caps]
    state_in = [i_in, c_in] + vs + cap_ins
    sw.reorder_inputs(state_in)
    body_fn = ctx.w.finish(sw, [sw.add(i_in, sw.const(np.asarray(1, np.int64))), c_out] + outs[1:] + cap_ins)
    cw = ctx.w.function_writer(f"{base}_cond")  # runs while the condition holds and i < M
    ci = [cw.input(f"s{k}", *sw.avals[v]) for k, v in enumerate(state_in)]
    below = cw.binary("less", ci[0], cw.const(np.asarray(trips, np.int64)))
    cond_fn = ctx.w.finish(cw, [cw.binary("logical_and", ci[1], below)])
    c = node.input[1] if len(node.input) > 1 else ""
    c0 = ctx.w.cast(_scalar(ctx, c, "the initial condition"), "bool") if c else ctx.w.const(np.asarray(True))
    state = [ctx.w.const(np.asarray(0, np.int64)), c0] + [ctx.val(v) for v in v_names] + [ctx.val(n) for n in caps]
    res = ctx.w.emit("while", state, {"cond": cond_fn, "body": body_fn, "max_trips": trips},
                     [sw.avals[v] for v in state_in])
    return res[2:2 + nv]


CONTROL_HANDLERS = {"If": _if, "Loop": _loop}
