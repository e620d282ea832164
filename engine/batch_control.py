"""Batching rules of lowered control flow (switch_run: cond / switch; while_run) and custom_vjp
(engine/ops/control_flow.py, custom_vjp.py).

switch_run with an unbatched index runs the batched branches: still only the chosen one.
With a batched index each example may pick another branch. Selecting between every
branch evaluated on every example (JAX's vmap of cond) would run branches on inputs they
were not chosen for, and their NaN / inf reaches gradients taken after vmap as 0 * inf,
what switch_run exists to prevent. So each branch runs on all examples, but on safe
inputs: an example that did not choose branch k feeds it the operands of an example that
did (a witness), and a branch no example chose is not run at all (a switch_run between it
and zeros). The outputs are selected per example; every derivative passes only through
the selected lanes of values computed on valid inputs, at any order.

custom_vjp stays one node whose bprop is the user's function vmapped, so a derivative
taken after vmap still runs the user's rule per example.
"""
from __future__ import annotations

from .batching import batch_eqns, materialize, rule, unrolled
from .builder import Builder
from .ir import AVal, Graph, Var
from .ops.registry import layers


# -- control flow -----------------------------------------------------------------------------------
def _batched_branch(b: Builder, g: Graph, batched: list[bool], size: int) -> Graph:
    """A flat branch graph with its batched operands carrying the batch axis, every output batched."""
    b2 = Builder(max_nodes=b.max_nodes, budget=b.budget)
    ins = [Var(AVal((size,) + tuple(v.shape), v.dtype), v.name) if bt else Var(v.aval, v.name)
           for v, bt in zip(g.inputs, batched)]
    env = {v.id: (x, bt) for v, x, bt in zip(g.inputs, ins, batched)}
    batch_eqns(b2, g.eqns, env, size, f"{g.name} (vmap)")
    outs = [materialize(b2, *env[o.id], size) for o in g.flat_outputs]
    return layers.optimize(Graph(ins, [], b2.eqns, tuple(outs), name=f"{g.name}/vmap"))


def _zeros_branch(g: Graph) -> Graph:
    """A branch of g's signature returning zeros (for a switch_run that skips g)."""
    b2 = Builder()
    ins = [Var(v.aval, v.name) for v in g.inputs]
    outs = [b2.full(o.shape, 0.0, o.dtype) for o in g.flat_outputs]
    return Graph(ins, [], b2.eqns, tuple(outs), name=f"{g.name}/skipped")


def _lanes(b: Builder, mask: Var, rank: int) -> Var:
    """A (B,) mask as (B, 1, ..., 1) of rank `rank`."""
    return b.reshape(mask, shape=(mask.shape[0],) + (1,) * (rank - 1))


def _branch_on_witnesses(b: Builder, g: Graph, chose: Var, ops: list[Var], batched: list[bool]) -> list[Var]:
    """g (batched) on every example: where an example did not choose g, the operands of the first example
    that did; g not run at all (zeros) when none did."""
    witness = b.argmax(b.cast(chose, dtype="int32"), axis=0)  # the first example that chose g
    safe = []
    for x, bt in zip(ops, batched):
        if bt:
            w = b.gather(x, b.reshape(witness, shape=(1,)), axis=0)
            x = b.where(_lanes(b, chose, x.aval.ndim), x, w)
        safe.append(x)
    used = b.cast(b.greater(b.sum(b.cast(chose, dtype="int32")), b.full((), 0.0, "int32")), dtype="int32")
    return b.emit("switch_run", [used] + safe, {"branches": (_zeros_branch(g), g)})


@rule("switch_run")
def _switch_run(b, e, ins, batched, size):
    graphs = [_batched_branch(b, g, batched[1:], size) for g in e.attrs["branches"]]
    if not batched[0]:
        return b.emit("switch_run", ins, {"branches": tuple(graphs)})
    idx, ops, n = ins[0], list(ins[1:]), len(graphs)
    idx = b.maximum(b.minimum(idx, b.full((), n - 1.0, idx.dtype)), b.full((), 0.0, idx.dtype))  # clamped, as the op
    outs = None
    for k in reversed(range(n)):  # the last branch first: where() picks the lower k on top
        chose = b.equal(idx, b.full((), float(k), idx.dtype))
        ys = _branch_on_witnesses(b, graphs[k], chose, ops, batched[1:])
        outs = ys if outs is None else [b.where(_lanes(b, chose, y.aval.ndim), y, o) for y, o in zip(ys, outs)]
    return outs


def _lanes_where(b: Builder, mask: Var, x: Var, y: Var) -> Var:
    return b.where(_lanes(b, mask, x.aval.ndim), x, y)


@rule("while_run")
def _while_run(b, e, ins, batched, size):
    """One loop over the batch: it runs while any example's cond holds; an example that stopped keeps its
    state, and the body is fed the last state it ran on (no NaN from a state past an example's end)."""
    n = e.attrs["n_state"]
    s0 = [materialize(b, x, bt, size) for x, bt in zip(ins[:n], batched[:n])]
    flags = [True] * n + list(batched[n:])
    bc, bb = (_batched_branch(b, g, flags, size) for g in (e.attrs["cond"], e.attrs["body"]))
    s, last, inv = [Var(x.aval, f"s{i}") for i, x in enumerate(s0)], [Var(x.aval, f"l{i}") for i, x in enumerate(s0)], \
        [Var(x.aval, f"v{i}") for i, x in enumerate(ins[n:])]
    b2 = Builder()
    running = layers.inline(b2, bc, s + inv, {})[0]
    fed = [_lanes_where(b2, running, x, y) for x, y in zip(s, last)]
    new = layers.inline(b2, bb, fed + inv, {})
    body = Graph(s + last + inv, [], b2.eqns, tuple([_lanes_where(b2, running, x, y) for x, y in zip(new, s)] + fed),
                 name=f"{bb.name}/lanes")
    b3 = Builder()
    r = layers.inline(b3, bc, s + inv, {})[0]
    any_running = b3.greater(b3.sum(b3.cast(r, dtype="int32")), b3.full((), 0.0, "int32"))
    cond = Graph(s + last + inv, [], b3.eqns, (any_running,), name=f"{bc.name}/any")
    outs = b.emit("while_run", s0 + s0 + list(ins[n:]), {"cond": cond, "body": body, "n_state": 2 * n,
                                                          "max_trips": e.attrs["max_trips"]})
    return outs[:n]


# -- custom_vjp ---------------------------------------------------------------------------------------
def _batched_bprop(b: Builder, e, batched: list[bool], size: int) -> str:
    """The name of bprop vmapped (inputs, outputs, douts batched; captures as they are), added to the
    builder's functions once: the batched node's derivative runs the user's rule per example."""
    a = e.attrs
    n_in, n_out, params = a["n_in"], a["n_out"], list(a["params"])
    fn = b.functions[a["bprop"]]
    caps = batched[n_in + n_out:len(batched) - len(params)]
    name = f"{a['bprop']}/vmap{size}" + "".join("b" if c else "u" for c in caps)
    if name in b.functions:
        return name
    avals = [v.aval for v in fn.inputs]
    mapped = [True] * (n_in + 2 * n_out) + list(caps)
    ins = [Var(AVal((size,) + v.shape, v.dtype) if m else v, f"a{i}") for i, (v, m) in enumerate(zip(avals, mapped))]
    gb = Builder(functions=b.functions, budget=b.budget)
    outs = gb.emit("vmap", ins, {"fn": a["bprop"], "in_axes": tuple(0 if m else None for m in mapped),
                                 "out_axes": 0})
    b.functions[name] = Graph(ins, [Var(p.aval, p.name) for p in fn.params], gb.eqns, tuple(outs), name=name)
    return name


@rule("custom_vjp")
def _custom_vjp(b, e, ins, batched, size):
    """An identity on the raw outputs whose derivative is the user's bprop: batched as the same node
    over materialized inputs and outputs, with bprop vmapped."""
    a = e.attrs
    n_main = a["n_in"] + a["n_out"]
    if a["bprop"] not in b.functions or any(batched[len(batched) - len(a["params"]):]):
        return unrolled(b, e, ins, batched, size)  # parameters are never batched by vmap itself
    xs = [materialize(b, x, bt, size) for x, bt in zip(ins[:n_main], batched[:n_main])] + list(ins[n_main:])
    return b.emit("custom_vjp", xs, dict(a, bprop=_batched_bprop(b, e, batched, size)))
