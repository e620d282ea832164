"""Reverse and forward mode as graph-to-graph transforms, and the expansion of
function nodes (`call`, `grad`, `jvp`) by inlining.

Differentiation happens while inlining: to expand `grad(fn)` the engine emits
fn's equations into the current builder (starting from fresh `identity` marks
on the differentiated inputs), then walks exactly those equations backwards,
emitting each op's VJP rule. Every emitted equation is an ordinary op with its
own rules, so the result can be differentiated again: any order, any nesting,
no special higher-order rules.
"""
from __future__ import annotations

from .builder import Builder
from .errors import DifferentiationError, InvalidGraph, LimitExceeded, ShapeError
from .ir import Graph, Var, carries, is_inexact
from .ops.functions import check_sens, check_tangents, jvp_positions
from .ops.registry import FUNCTION_OPS, OPS, function_op_hooks, jvp_rules, layers, vjp_rules

MAX_NESTING = 64  # guard against a function that (indirectly) derives itself


def inline(b: Builder, g: Graph, args: list[Var], penv: dict[str, Var], depth: int = 0) -> list[Var]:
    """Emit g's equations into b; returns g's flat outputs as Vars of b."""
    if depth > MAX_NESTING:
        raise LimitExceeded(f"function nesting deeper than {MAX_NESTING} (recursive function?)", node=g.name,
                            setting="max_nesting", limit=MAX_NESTING, value=depth)
    b.budget.charge(g.name)  # a call inlined is work even when CSE merges all it emits
    if len(args) != len(g.inputs):
        raise InvalidGraph(f"function {g.name!r} takes {len(g.inputs)} input(s), got {len(args)}", node=g.name)
    env: dict[int, Var] = {}
    for i, (v, a) in enumerate(zip(g.inputs, args)):
        if v.aval != a.aval:
            raise ShapeError(f"function {g.name!r} input {i} expects {v.aval}, got {a.aval}",
                             node=g.name, shapes=[list(v.shape), list(a.shape)])
        env[v.id] = a
    for p in g.params:
        if p.name not in penv:
            raise InvalidGraph(f"function {g.name!r} uses unknown parameter {p.name!r}", node=g.name)
        if penv[p.name].aval != p.aval:
            raise ShapeError(f"parameter {p.name!r} is {penv[p.name].aval} but function {g.name!r} expects {p.aval}",
                             node=p.name)
        env[p.id] = penv[p.name]
    with b.zero_fills(symbolic=False):  # g's zeros are values, even inlined by a derivative rule
        return _inline_eqns(b, g, env, penv, depth)


def _inline_eqns(b: Builder, g: Graph, env: dict[int, Var], penv: dict[str, Var], depth: int) -> list[Var]:
    for i, e in enumerate(g.eqns):
        label = f"{g.source}.nodes[{i}]:{e.op}" if g.source else f"{g.name}/{i}:{e.op}"
        try:
            ins = [env[x.id] for x in e.inputs]
        except KeyError:
            raise InvalidGraph("equation uses an undefined variable", node=label) from None
        if e.op in FUNCTION_OPS:
            outs = expand_function_op(b, e.op, e.attrs, ins, penv, depth, label)
        else:
            b.node_label = label
            outs = b.emit(e.op, ins, e.attrs)
        if len(outs) != len(e.outputs):
            raise InvalidGraph(f"{e.op} produces {len(outs)} output(s), the graph names {len(e.outputs)}", node=label)
        for o, n in zip(e.outputs, outs):
            env[o.id] = n
    return [env[v.id] for v in g.flat_outputs]


def expand_function_op(b: Builder, op: str, attrs: dict, ins: list[Var], penv: dict[str, Var],
                       depth: int, label: str) -> list[Var]:
    if op in function_op_hooks:  # control flow: engine/ops/control_flow.py
        return function_op_hooks[op].expand(b, attrs, ins, penv, depth, label)
    fn = lookup_function(b, attrs, label)
    if op == "call":
        return inline(b, fn, list(ins), penv, depth + 1)
    if op == "grad":
        return expand_grad(b, fn, ins, attrs, penv, depth, label)
    if op == "jvp":
        return expand_jvp(b, fn, ins, attrs, penv, depth, label)
    raise InvalidGraph(f"unknown function op {op}", node=label)


def lookup_function(b: Builder, attrs: dict, label: str) -> Graph:
    name = attrs.get("fn")
    fns = getattr(b, "functions", {}) or {}
    if name not in fns:
        raise InvalidGraph(f"unknown function {name!r}; defined: {sorted(fns) or 'none'}", node=label)
    return fns[name]


def mark(b: Builder, v: Var, what: str, label: str, ints: bool = False) -> Var:
    if not is_inexact(v.dtype) and not ints:
        raise DifferentiationError(f"cannot differentiate with respect to {what}: dtype {v.dtype} is not floating-point or complex",
                                   node=label, dtype=v.dtype)
    return b.identity(v)


def expand_grad(b: Builder, fn: Graph, ins: list[Var], attrs: dict, penv: dict[str, Var], depth: int,
                label: str) -> list[Var]:
    """grad node: inputs = fn args (+ one sens per flat output); outputs =
    [flat values if with_value] + [d/d arg for positions] + [d/d param for weights]."""
    if b.nested_grads is not None:
        # grad-of-grad (GradSec(Grad(net)) as traced): polynomial in the order, not c**order
        outs = b.nested_grads(b, fn, attrs, list(ins), penv, depth, label)
        if outs is not None:
            return outs
    n = len(fn.inputs)
    args, sens = list(ins[:n]), list(ins[n:])
    positions = list(attrs.get("positions") or ())
    weights = list(attrs.get("weights") or ())
    ints = bool(attrs.get("int_grads"))
    wrt = []
    for p in positions:
        args[p] = mark(b, args[p], f"input {p}", label, ints)
        wrt.append(args[p])
    penv2 = dict(penv)
    for w in weights:
        if w not in penv:
            raise DifferentiationError(f"unknown weight {w!r}; parameters: {sorted(penv) or 'none'}", node=label)
        penv2[w] = mark(b, penv[w], f"parameter {w!r}", label, ints)
        wrt.append(penv2[w])
    start = len(b.eqns)
    outs = inline(b, fn, args, penv2, depth + 1)
    fwd = b.eqns[start:]
    check_sens([s.aval for s in sens], [o.aval for o in outs], bool(attrs.get("sens")), label)
    if attrs.get("sens"):
        cts = sens
    else:
        cts = [b.full_like(o, 1.0) if carries(o.dtype, ints) else None for o in outs]
    aux = int(attrs.get("aux") or 0)  # has_aux's outputs: no cotangent here, yet differentiable by an outer grad
    cts = cts[:len(cts) - aux] + [None] * aux
    outer_flags, b.reach_flags = b.reach_flags, ({} if attrs.get("reached") else None)
    try:
        grads = backward(b, fwd, outs, cts, wrt, label, ints)
        reached = [_reaches(b, g) for g in grads] if attrs.get("reached") else []
    finally:
        b.reach_flags = outer_flags
    grads = [g if g is not None else b.symbolic_zeros_like(w) for g, w in zip(grads, wrt)]
    return (list(outs) if attrs.get("with_value") else []) + grads + reached


def _reaches(b: Builder, ct: Var | None) -> Var:
    """grad's `reached` flag of a cotangent: the run-time flag a rule gave it (a cond's: whether the branch taken
    passes the input), else a constant bool, false for an absent one (None) or a symbolic zero (what the rules
    prune to where a derivative does not flow), true for any value computed, zeros included (an SDK's hook tells
    a pass reaching its point with zeros from one not reaching it)."""
    if ct is not None and ct.id in b.reach_flags:
        return b.reach_flags[ct.id]
    return b.full((), 1.0 if b.flows(ct) else 0.0, "bool")


def backward(b: Builder, fwd, outs: list[Var], cts: list[Var | None], wrt: list[Var], label: str,
             ints: bool = False) -> list[Var | None]:
    active = {w.id for w in wrt}
    for e in fwd:  # (stop_gradient's output is no path: a rule that refuses past it, bprop_undefined, is not reached)
        if not OPS[e.op].nondiff and e.op != "stop_gradient" and any(x.id in active for x in e.inputs):
            active.update(o.id for o in e.outputs if carries(o.dtype, ints))
    ct: dict[int, Var] = {}
    for o, c in zip(outs, cts):
        if c is not None and o.id in active:
            ct[o.id] = b.add_any(ct.get(o.id), c)
    outer_ints, b.int_grads = b.int_grads, ints
    try:
        _reverse(b, fwd, ct, active, label)
    finally:
        b.int_grads = outer_ints
    return [ct.get(w.id) for w in wrt]


def refuse_underivable(e, differentiated: list[bool], label: str) -> None:
    """An operand the op declares underivable (OpDef.underivable) that the derivative flows through."""
    for pos, why in OPS[e.op].underivable.items():
        if differentiated[pos]:
            raise DifferentiationError(f"failed to compute derivative: op {e.op!r} w.r.t. operand {pos}: {why}",
                                       node=label, op=e.op)


def _reverse(b: Builder, fwd, ct: dict[int, Var], active: set[int], label: str) -> None:
    """The reverse sweep of backward: the cotangents in ct pulled back through fwd's eqns."""
    for e in reversed(fwd):
        if not any(o.id in ct for o in e.outputs):
            continue
        rule = vjp_rules.get(e.op)
        if rule is None:
            raise DifferentiationError(f"failed to compute gradient: op {e.op!r} has no reverse-mode rule",
                                       node=label, op=e.op)
        # the caller's node this eqn came from, not the stale label of the last forward eqn
        b.node_label = f"{e.label or label} (reverse rule of {e.op})"
        refuse_underivable(e, [x.id in active for x in e.inputs], e.label or label)
        out_cts = [ct.pop(o.id, None) for o in e.outputs]
        with b.zero_fills(symbolic=True):  # the zeros a rule builds are absent cotangents
            in_cts = rule(b, list(e.inputs), list(e.outputs), out_cts, **e.attrs)
        came = _either(b, [_flag(b, c) for c in out_cts]) if b.reach_flags is not None else True
        for x, c in zip(e.inputs, in_cts):
            if c is None or x.id not in active:
                continue
            own = _both(b, _flag(b, c), came) if b.reach_flags is not None else True
            c = b.sum_to(c, x.shape)
            _set_flag(b, c, own)
            prev = ct.get(x.id)
            ct[x.id] = b.add_any(prev, c)
            if prev is not None:
                _set_flag(b, ct[x.id], _either(b, [_flag(b, prev), own]))


# grad's `reached` flags carried through the reverse sweep (Builder.reach_flags, kept only for a grad with
# `reached`): a flag is True / False where known as the graph is built, else a run-time bool Var (a cond's
# branch taken, a loop's trips); a cotangent derived from flagged ones carries their or (and, with a rule's
# own), so a point reached only through the untaken branch of a cond nested in a taken one is told unreached.
def _flag(b: Builder, c: Var | None):
    if c is None:
        return False
    got = b.reach_flags.get(c.id) if b.reach_flags is not None else None
    return got if got is not None else b.flows(c)


def _either(b: Builder, flags: list):
    if any(f is True for f in flags):
        return True
    runtime = list({id(f): f for f in flags if f is not False}.values())  # (one flag passed on by many: once)
    if not runtime:
        return False
    out = runtime[0]
    for f in runtime[1:]:
        out = b.emit1("logical_or", out, f)
    return out


def _both(b: Builder, f, g):
    if f is False or g is False:
        return False
    if f is True or g is True or f is g:
        return g if f is True else f
    return b.emit1("logical_and", f, g)


def _set_flag(b: Builder, c: Var, f) -> None:
    if b.reach_flags is not None and not isinstance(f, bool):
        b.reach_flags[c.id] = f


def expand_jvp(b: Builder, fn: Graph, ins: list[Var], attrs: dict, penv: dict[str, Var], depth: int,
               label: str) -> list[Var]:
    """jvp node: inputs = fn args + one tangent per position; outputs = flat values + flat tangents."""
    n = len(fn.inputs)
    args, tans = list(ins[:n]), list(ins[n:])
    positions = jvp_positions(attrs, n)
    check_tangents([t.aval for t in tans], [a.aval for a in args], positions, label)
    tangent: dict[int, Var] = {}
    for p, t in zip(positions, tans):
        args[p] = mark(b, args[p], f"input {p}", label)
        tangent[args[p].id] = t
    start = len(b.eqns)
    outs = inline(b, fn, args, penv, depth + 1)
    for e in b.eqns[start:]:
        ts = [tangent.get(x.id) for x in e.inputs]
        if all(t is None for t in ts) or OPS[e.op].nondiff:
            continue
        rule = jvp_rules.get(e.op)
        if rule is None:
            raise DifferentiationError(f"failed to compute derivative: op {e.op!r} has no forward-mode rule",
                                       node=label, op=e.op)
        refuse_underivable(e, [t is not None for t in ts], e.label or label)
        b.node_label = f"{e.label or label} (forward rule of {e.op})"
        with b.zero_fills(symbolic=True):  # the zeros a rule builds are absent tangents
            touts = rule(b, list(e.inputs), list(e.outputs), ts, **e.attrs)
        for o, t in zip(e.outputs, touts):
            if t is not None and is_inexact(o.dtype):
                tangent[o.id] = b.broadcast(t, o.shape)
    tout = [tangent.get(o.id) if tangent.get(o.id) is not None else b.symbolic_zeros_like(o) for o in outs]
    return list(outs) + tout


# op rules that expand graphs (composites, control flow, custom_vjp) reach these through the registry
layers.inline, layers.backward, layers.expand_jvp, layers.reaches = inline, backward, expand_jvp, _reaches
