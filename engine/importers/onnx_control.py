"""ONNX control flow -> the engine's control-flow ops (engine/ops/control_flow.py).

- `If` -> `cond`: each branch becomes a function; the outer values either branch reads become
  explicit operands (the same list for both branches), so derivatives reach them through cond.
- `Loop` whose body passes its condition through (or returns a constant true) with a constant
  trip count M -> `scan` over the iteration numbers arange(M): the loop-carried values (and the
  outer values the body reads, carried unchanged) are the carry, the ONNX scan outputs are the
  scan's stacked ys. Unrolled by the engine, so reverse mode needs no masking.
- `Loop` with a computed condition -> `while` over (iteration number, condition, state...), with
  max_trips = M when M is a constant (the loop can never run more); without M, a condition that
  compares a constant-step counter with a constant gives the bound (`while i < n`); a computed M (a
  graph input, say) is compared at run time, bounded by the caller's limits["loop_max_trips"]; otherwise
  refused, naming the node. Its scan outputs (ONNX: concatenated over the trips actually run) get a static
  length L: the length the model declares for them (value_info / graph output), else the constant M; each trip
  writes its row of an [L, ...] buffer carried by the while, and a run that stops after other than L trips is
  a run-time error naming the node (never rows the loop did not write); neither known: refused.
- `Scan` (opset 9+) -> `scan` over the scan inputs moved to axis 0 (reversed where their direction
  says), the outer values the body reads carried unchanged; scan outputs moved / reversed back.

The handlers work on an importer context (onnx_graph._Ctx): `ctx.subgraph(graph, name)` opens the
scope of a sub-graph, whose writer becomes a function of the graph.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

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
    if ctx.is_const(node.input[0]):  # a static condition (the TorchScript exporter's rank tests): that branch
        c = np.asarray(ctx.cval(node.input[0], node)).reshape(-1)
        if c.size != 1:
            raise UnsupportedModel(f"the condition {node.input[0]!r} must have one element, got {c.size}")
        taken = attrs["then_branch" if bool(c[0]) else "else_branch"]
        for t in taken.initializer:
            ctx.consts[t.name] = ctx.array(t, "branch initializer")
        outs = ctx.convert(taken)
        for o, b in zip(node.output, taken.output):  # a constant result stays one (a shape read downstream)
            if b.name in ctx.consts:
                ctx.consts[o] = ctx.consts[b.name]
        return [None if b.name in ctx.consts else v for b, v in zip(taken.output, outs)]
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


_BELOW = {"Less": True, "LessOrEqual": True, "Greater": False, "GreaterOrEqual": False}


def _body_const(ctx, node, body, name: str):
    """The value of a body-local Constant / initializer, or of a constant outer value (of Loop `node`); else None."""
    from onnx import numpy_helper

    for t in body.initializer:
        if t.name == name:
            return numpy_helper.to_array(t)
    for n in body.node:
        if name in n.output:
            ok = n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].HasField("t")
            return numpy_helper.to_array(n.attribute[0].t) if ok else None
    return np.asarray(ctx.cval(name, node)) if ctx.is_const(name) else None


def _counter_bound(ctx, node, body) -> int | None:
    """A bound on the trips of a Loop without M whose condition compares a loop-carried counter (read
    before or after `v + step`, step and start constant) with a constant: a while (`i = 0; while i < n:
    ...; i += 1`). An upper bound suffices (max_trips): the computed condition still stops the loop."""
    prod = {o: n for n in body.node for o in n.output}
    cmp_ = prod.get(body.output[0].name)
    if cmp_ is None or cmp_.op_type not in _BELOW or len(cmp_.input) != 2:
        return None
    carried = {bi.name: v for bi, v in zip(body.input[2:], node.input[2:])}
    outs = {bo.name: body.input[2 + k].name for k, bo in enumerate(body.output[1:1 + len(carried)])}
    for side in (0, 1):
        v, lim = cmp_.input[side], _body_const(ctx, node, body, cmp_.input[1 - side])
        add = prod.get(v) if v in outs or v not in carried else None
        if add is not None and add.op_type == "Add" and outs.get(v) in add.input:
            step = _body_const(ctx, node, body, add.input[1 - list(add.input).index(outs[v])])
            v = outs[v]
        else:
            step = None
        if v not in carried or lim is None or not ctx.is_const(carried[v]):
            continue
        if step is None:  # compared before its update: find that update among the outputs
            upd = [prod.get(o) for o, i in outs.items() if i == v]
            add = upd[0] if upd and upd[0] is not None and upd[0].op_type == "Add" else None
            step = _body_const(ctx, node, body, add.input[1 - list(add.input).index(v)]) if add and v in add.input else None
        if step is None or np.size(step) != 1 or np.size(lim) != 1:
            continue
        step, lim = float(np.reshape(step, -1)[0]), float(np.reshape(lim, -1)[0])
        start = float(np.reshape(ctx.cval(carried[v], node), -1)[0])
        below = _BELOW[cmp_.op_type] == (side == 0)  # true while the counter is below the limit
        if step == 0 or (step > 0) != below:
            return None  # a counter that never reaches its limit
        return max(0, math.ceil((lim - start) / step)) + 2  # (+2: compared before / after the update, <=)
    return None


def _loop(ctx, node, attrs) -> list[str]:
    body = attrs["body"]
    v_names = list(node.input[2:])
    if len(body.input) != 2 + len(v_names) or len(body.output) < 1 + len(v_names):
        raise UnsupportedModel(f"the body takes {len(body.input)} inputs and gives {len(body.output)} outputs for "
                               f"{len(v_names)} loop-carried value(s)")
    trips = _trip_count(ctx, node)
    c = node.input[1] if len(node.input) > 1 else ""
    if trips is not None and c and not ctx.is_const(c) and _unrolls_past_limit(ctx.limits, len(body.node), trips):
        return _sentinel_while(ctx, node, body, v_names)
    if trips is None and not node.input[0]:  # (a computed M would have to stop the loop too)
        trips = _counter_bound(ctx, node, body)
    if trips is None and node.input[0] and ctx.limits.get("loop_max_trips") is not None:
        # M computed (or a graph input): a while that stops at M, bounded by the caller's loop_max_trips
        # (a run that needs more trips is an error, never a silently shorter loop)
        trips = int(ctx.limits["loop_max_trips"])
        _check_unroll(ctx, node, body, trips)
        return _while(ctx, node, body, v_names, trips, runtime_m=node.input[0])
    if trips is None and node.input[0]:  # (the suite's and a user's fix: bind M, or bound the while)
        raise UnsupportedModel(f"input {node.input[0]!r} (the trip count M, computed at run time) must be a constant "
                               "here, or give loop_max_trips (from_onnx / the convert query) to bound a while that "
                               "stops at M at run time: a gradserve loop needs a static bound")
    if trips is None:
        raise UnsupportedModel("no trip count M and the condition is not a constant-step counter against a "
                               "constant: a gradserve loop needs a static bound (scan / fori_loop) or a max_trips "
                               "(while: give loop_max_trips); refused")
    _check_unroll(ctx, node, body, trips)
    if c and ctx.is_const(c) and not bool(np.asarray(ctx.cval(c, node)).reshape(-1)[0]):
        trips = 0  # the loop never starts
    elif (c and not ctx.is_const(c)) or not _passes_condition(body):
        return _while(ctx, node, body, v_names, trips)
    return _scan(ctx, node, body, v_names, trips)


def _unrolls_past_limit(limits: dict, body_nodes: int, trips: int) -> bool:
    return trips * max(body_nodes, 1) > (limits.get("max_nodes") or MAX_UNROLLED_NODES)


class Scope(NamedTuple):
    """What a graph's nodes can read before anything is decoded (onnx_graph.check_model): constant tensors
    (initializers, Constant nodes' values) and static shapes (those, and the model's inputs' declared dims: a
    caller's input_shapes fixes dynamic dims only); an outer graph's (`parent`, looked up, not copied: a model of
    many sub-graphs) unless the sub-graph's own inputs shadow them. `nodes`: each value's node, for `fold`
    (onnx_prefold.PreFold.value: what the converter computes from constants, a bounded few)."""
    tensors: dict
    shapes: dict
    parent: "Scope | None"
    nodes: dict
    fold: Any = None

    @classmethod
    def of(cls, graph, parent: "Scope | None", top: bool = False, fold: Any = None) -> "Scope":
        tensors: dict = {}
        shapes: dict = {}
        for i in graph.input:
            dims = i.type.tensor_type.shape.dim if top and i.type.HasField("tensor_type") else None
            tensors[i.name] = None
            shapes[i.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in dims) if dims else None
        consts = [(t.name, t) for t in graph.initializer] + [
            (nd.output[0], a.t) for nd in graph.node if nd.op_type == "Constant" and nd.domain in ("", "ai.onnx")
            and len(nd.output) for a in nd.attribute if a.name == "value" and a.HasField("t")]
        for name, t in consts:
            tensors[name], shapes[name] = t, tuple(t.dims)
        nodes = {o: nd for nd in graph.node if nd.domain in ("", "ai.onnx") for o in nd.output if o}
        return cls(tensors, shapes, parent, nodes, fold if fold is not None else parent.fold if parent else None)

    def get(self, field: str, name: str):
        s: Scope | None = self
        while s is not None:
            held = getattr(s, field)
            if name in held:
                return held[name]
            s = s.parent
        return None

    def constant(self, name: str):
        """The value of constant `name` (a tensor of the scope, else folded by `fold`), or None."""
        import onnx

        t = self.get("tensors", name)
        if t is not None:
            return t if math.prod(t.dims) > 1 else onnx.numpy_helper.to_array(t)
        return self.fold(self, name) if self.fold is not None else None

    def integer(self, name: str) -> int | None:
        """The value of a one-element integer constant `name`, or None."""
        v = self.constant(name)
        if not isinstance(v, np.ndarray) or v.size != 1 or v.dtype.kind not in "iu":
            return None
        return int(v.reshape(-1)[0])


def static_trips(node, scope: Scope, limits: dict, body_nodes: int) -> int:
    """How many times a Loop / Scan node's body counts in a model's size, before decoding (1 where not known): a
    Loop's constant M (not where a computed condition makes it a while: `_loop`'s sentinel), a Scan's static scan
    length. The engine unrolls both (max(., 1): the body is converted once even for none); a Loop of 1000 trips
    over 40 nodes counted 41 against max_work, converted, then refused at the load."""
    trips = None
    if node.op_type == "Loop" and node.input:
        trips = scope.integer(node.input[0])
        cond = node.input[1] if len(node.input) > 1 else ""
        computed = cond and scope.constant(cond) is None
        if trips is not None and computed and _unrolls_past_limit(limits, body_nodes, trips):
            trips = None  # (a while, run at run time)
    elif node.op_type == "Scan":
        m = next((a.i for a in node.attribute if a.name == "num_scan_inputs"), 0)
        axes = next((list(a.ints) for a in node.attribute if a.name == "scan_input_axes"), [0])
        dims = scope.get("shapes", node.input[len(node.input) - m]) if 0 < m <= len(node.input) else None
        if dims and axes and -len(dims) <= axes[0] < len(dims):
            trips = dims[axes[0]]
    return max(trips, 1) if isinstance(trips, int) else 1


def _sentinel_while(ctx, node, body, v_names) -> list[str]:
    """A Loop whose constant M is out of reach (the TorchScript exporter writes a Python `while` as M = INT64_MAX
    and a computed condition): the condition stops it, bounded by a constant-step counter in it or by the caller's
    loop_max_trips (more at run time is an error); M stays the loop's own bound (i < M) either way."""
    bound = _counter_bound(ctx, node, body) or ctx.limits.get("loop_max_trips")
    if bound is None:
        raise UnsupportedModel(f"Loop node {node.name!r}: a while (trip count M = {_trip_count(ctx, node)}, a "
                               "computed condition that is not a constant-step counter against a constant): give "
                               "loop_max_trips (from_onnx / the convert query) to bound it; refused")
    _check_unroll(ctx, node, body, int(bound))
    return _while(ctx, node, body, v_names, int(bound), runtime_m=node.input[0])


def _check_unroll(ctx, node, body, trips: int) -> None:
    limit = ctx.limits.get("max_nodes") or MAX_UNROLLED_NODES
    if trips * max(len(body.node), 1) > limit:  # the engine unrolls the loop
        raise ModelLimitExceeded(f"Loop node {node.name!r} unrolls to {trips} (trip count M) x {len(body.node)} "
                                 f"nodes, above the limit max_nodes={limit}", "max_nodes", limit)


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


def _while(ctx, node, body, v_names, trips, runtime_m: str = "") -> list[str]:
    """A while over (i, condition, state..., captures..., [M]): runs while the condition holds and i < M, M the
    constant `trips` or the graph value `runtime_m` (carried unchanged; `trips` is then only the bound)."""
    nv = len(v_names)
    n_ys = len(body.output) - 1 - nv
    rows = _scan_length(ctx, node, nv, trips, runtime_m) if n_ys else 0
    base = node.name or "Loop"
    sub = ctx.subgraph(body, f"{base}_body")
    i_in = sub.declare(body.input[0].name, (), "int64")
    c_in = sub.declare(body.input[1].name, (), "bool")
    vs = _carried(ctx, sub, body, v_names)
    outs = sub.convert(body)
    _check_carry(sub, vs, outs[1:1 + nv], body)
    sw = sub.w
    c_out = sw.cast(sw.reshape(outs[0], ()), "bool")
    bufs = [sw.input(f"{base}_scan_output{k}", (rows,) + sw.shape(y), sw.dtype(y)) for k, y in enumerate(outs[1 + nv:])]
    caps = list(sub.captures)
    cap_ins = [sub.captures[n] for n in caps]
    m_in = [sw.input(f"{base}_trip_count", (), "int64")] if runtime_m else []
    state_in = [i_in, c_in] + vs + bufs + cap_ins + m_in
    sw.reorder_inputs(state_in)
    written = [_write_row(sw, b, y, i_in) for b, y in zip(bufs, outs[1 + nv:])]
    body_fn = ctx.w.finish(sw, [sw.add(i_in, sw.const(np.asarray(1, np.int64))), c_out] + outs[1:1 + nv] + written
                           + cap_ins + m_in)
    cw = ctx.w.function_writer(f"{base}_cond")  # runs while the condition holds and i < M
    ci = [cw.input(f"s{k}", *sw.avals[v]) for k, v in enumerate(state_in)]
    below = cw.binary("less", ci[0], ci[-1] if runtime_m else cw.const(np.asarray(trips, np.int64)))
    cond_fn = ctx.w.finish(cw, [cw.binary("logical_and", ci[1], below)])
    c = node.input[1] if len(node.input) > 1 else ""
    c0 = ctx.w.cast(_scalar(ctx, c, "the initial condition"), "bool") if c else ctx.w.const(np.asarray(True))
    state = [ctx.w.const(np.asarray(0, np.int64)), c0] + [ctx.val(v) for v in v_names]
    state += [ctx.w.const(np.zeros(sw.shape(b), sw.dtype(b))) for b in bufs] + [ctx.val(n) for n in caps]
    if runtime_m:
        state.append(ctx.w.cast(_scalar(ctx, runtime_m, "the trip count M"), "int64"))
    res = ctx.w.emit("while", state, {"cond": cond_fn, "body": body_fn, "max_trips": trips},
                     [sw.avals[v] for v in state_in])
    return res[2:2 + nv] + [_all_rows_written(ctx.w, node, res[0], rows, y) for y in res[2 + nv:2 + nv + n_ys]]


def _scan_length(ctx, node, nv: int, bound: int, runtime_m: str) -> int:
    """The static length of a while's scan outputs: the length the model declares for them (all equal), else the
    constant trip count M (see the module doc); refused when neither is known or the loop cannot run that far."""
    declared = {_declared_rows(ctx.current_graph, o) for o in node.output[nv:] if o}
    declared.discard(None)
    if len(declared) > 1:
        raise UnsupportedModel(f"Loop node {node.name!r}: its scan outputs are declared with different lengths "
                               f"{sorted(declared)}; refused")
    m = _trip_count(ctx, node) if not runtime_m else None
    rows = declared.pop() if declared else m
    if rows is None:
        why = "a trip count M computed at run time" if runtime_m else "a computed condition"
        raise UnsupportedModel(f"Loop node {node.name!r} has {why} and scan outputs whose length is "
                               "the number of trips run (data): give them a static length (declare the Loop "
                               "output's first dim in the model, or a constant trip count M); refused")
    if rows > bound:
        raise UnsupportedModel(f"Loop node {node.name!r}: its scan outputs are declared {rows} rows long but the "
                               f"loop runs at most {bound} trips; refused")
    return rows


def _declared_rows(graph, name: str) -> int | None:
    """The static first dim the graph declares for value `name` (its outputs, value_info), else None."""
    for vi in list(graph.output) + list(graph.value_info):
        if vi.name == name and vi.type.HasField("tensor_type") and vi.type.tensor_type.HasField("shape"):
            dims = vi.type.tensor_type.shape.dim
            if dims and dims[0].HasField("dim_value"):
                return int(dims[0].dim_value)
    return None


def _write_row(w, buf: str, y: str, i: str) -> str:
    """buf with row i set to y (the trip's scan output)."""
    zero = w.const(np.asarray(0, np.int64))
    row = w.reshape(y, (1,) + w.shape(y))
    return w.emit1("dynamic_update_slice", [buf, row, i] + [zero] * len(w.shape(y)), {}, w.shape(buf), w.dtype(buf))


def _all_rows_written(w, node, trips_run: str, rows: int, y: str) -> str:
    """y, or a run-time error when the loop ran other than `rows` trips (its scan output's static length)."""
    other = w.binary("not_equal", trips_run, w.const(np.asarray(rows, np.int64)))
    msg = (f"Loop node {node.name!r}: its scan outputs have the static length {rows} but the loop stopped after "
           "another number of trips (its trip count M or its computed condition)")
    return w.emit1("check_false", [other, y], {"message": msg}, w.shape(y), w.dtype(y))


def _axis0(w, x: str, axis: int, reverse: bool, to_front: bool) -> str:
    """x with `axis` moved to the front (or the front moved back to `axis`), reversed along the scan axis."""
    nd = len(w.shape(x))
    axis %= nd
    if reverse and not to_front:
        x = w.emit1("flip", [x], {"axis": [0]}, w.shape(x), w.dtype(x))
    perm = list(range(nd))
    if to_front:
        perm.insert(0, perm.pop(axis))
    else:
        perm.insert(axis, perm.pop(0))
    x = w.transpose(x, perm)
    if reverse and to_front:
        x = w.emit1("flip", [x], {"axis": [0]}, w.shape(x), w.dtype(x))
    return x


def _onnx_scan(ctx, node, attrs) -> list[str]:
    if ctx.opset < 9:
        raise UnsupportedModel("Scan before opset 9 (batch axis and sequence_lens): re-export at opset 9 or later")
    body, m = attrs["body"], int(attrs["num_scan_inputs"])
    n = len(node.input) - m
    k = len(body.output) - n
    dirs_in, axes_in = attrs.get("scan_input_directions", [0] * m), attrs.get("scan_input_axes", [0] * m)
    dirs_out, axes_out = attrs.get("scan_output_directions", [0] * k), attrs.get("scan_output_axes", [0] * k)
    w = ctx.w
    xs = [_axis0(w, ctx.val(v), a, bool(d), True) for v, a, d in zip(node.input[n:], axes_in, dirs_in)]
    trips = {w.shape(x)[0] for x in xs}
    if len(trips) != 1:
        raise UnsupportedModel(f"scan inputs of different lengths {sorted(trips)}")
    trips_n = trips.pop()
    limit = ctx.limits.get("max_nodes") or MAX_UNROLLED_NODES
    if trips_n * max(len(body.node), 1) > limit:  # the engine unrolls the scan
        raise ModelLimitExceeded(f"Scan node {node.name!r} unrolls to {trips_n} steps x {len(body.node)} nodes, "
                                 f"above the limit max_nodes={limit}", "max_nodes", limit)
    sub = ctx.subgraph(body, f"{node.name or 'Scan'}_body")
    states = [sub.declare(bi.name, *w.avals[ctx.val(v)]) for bi, v in zip(body.input[:n], node.input[:n])]
    elems = [sub.declare(bi.name, w.shape(x)[1:], w.dtype(x)) for bi, x in zip(body.input[n:], xs)]
    outs = sub.convert(body)
    for j, (i, o) in enumerate(zip(states, outs[:n])):
        if sub.w.avals[i] != sub.w.avals[o]:
            raise UnsupportedModel(f"state {j} ({body.input[j].name!r}) changes from {sub.w.avals[i]} to "
                                   f"{sub.w.avals[o]} in one step: gradserve scans carry static shapes")
    caps = list(sub.captures)
    cap_ins = [sub.captures[c] for c in caps]
    sub.w.reorder_inputs(states + cap_ins + elems)
    fn = w.finish(sub.w, outs[:n] + cap_ins + outs[n:])
    carry = [ctx.val(v) for v in node.input[:n]] + [ctx.val(c) for c in caps]
    ys = [((trips_n,) + sub.w.shape(y), sub.w.dtype(y)) for y in outs[n:]]
    res = w.emit("scan", carry + xs, {"body": fn, "length": trips_n, "n_carry": len(carry), "reverse": False},
                 [w.avals[c] for c in carry] + ys)
    return res[:n] + [_axis0(w, y, a, bool(d), False) for y, a, d in zip(res[len(carry):], axes_out, dirs_out)]


CONTROL_HANDLERS = {"If": _if, "Loop": _loop, "Scan": _onnx_scan}
