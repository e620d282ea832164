"""Control flow with derivatives: cond / switch, scan / fori_loop, while.

Branches and loop bodies are functions of the graph (as for `call`), named by attributes.
They are function ops: typed from their functions when built or loaded, expanded at
lowering (autodiff.expand_function_op asks `function_op_hooks`). How each lowers:

- cond / switch -> one `switch_run` node holding each branch as a flat graph; at run
  time only the chosen branch runs. Not a select of both branches: a select evaluates
  the untaken branch too, and its NaN / inf (log(x) with x <= 0 behind `x > 0`) reaches
  the gradient as 0 * inf = NaN. The vjp / jvp of switch_run is a switch_run over the
  branches' vjp / jvp graphs (built once per branch), so any order, both modes.
- scan / fori_loop (static trip count) -> unrolled: trip count x body equations, each an
  ordinary op, so every derivative comes from the op rules; the Builder's node limit
  (max_nodes) bounds and counts the unrolled graph.
- while (max_trips) -> one `while_run` node holding cond and body as flat graphs: the loop
  runs at run time, as many trips as the values ask (a loop still running after max_trips
  is an error of the run, never a silently truncated result). Its jvp is a while_run over
  (state, tangents) with the body's jvp; its vjp runs the loop again recording each trip's
  entry state into a [max_trips, ...] buffer per state entry (dynamic_update_slice; the loop's
  trips n come with it), then a reverse while_run of n steps that reads step k's state back
  (dynamic_slice) and applies the body's vjp: O(n) body runs. Where max_trips states would not
  fit in TRAJECTORY_BYTES, the reverse body instead recomputes step k's state from the entry (a
  while_run of k trips: no stored states, O(n^2) body runs). Every piece is a while_run or an
  ordinary op, so any order, both modes.
"""
from __future__ import annotations

import functools

import numpy as np

from ..errors import InvalidGraph, LimitExceeded, ShapeError
from ..ir import AVal, Graph, INT_DTYPES, Var, carries, is_inexact
from ._infer import rule_infer
from .composite import run_flat
from .custom_vjp import rule_functions
from .registry import Attr, defop, function_op_hooks, impl_rules, jvp_rules, layers, vjp_rules


def _fn(functions, name, label, what):
    if not isinstance(name, str) or name not in functions:
        raise InvalidGraph(f"{what}: unknown function {name!r}; defined: {sorted(functions) or 'none'}", node=label)
    return functions[name]


def _expect(fn, avals, label, what):
    if len(fn.inputs) != len(avals):
        raise InvalidGraph(f"{what} {fn.name!r} takes {len(fn.inputs)} input(s), given {len(avals)}", node=label)
    for i, (v, a) in enumerate(zip(fn.inputs, avals)):
        if v.aval != a:
            raise ShapeError(f"{what} {fn.name!r}: input {i} expects {v.aval}, got {a}", node=label,
                             shapes=[list(v.shape), list(a.shape)])


def _outs(fn):
    return [v.aval for v in fn.flat_outputs]


# -- cond / switch -------------------------------------------------------------------------------
def _branches(functions, op, attrs, label):
    names = [attrs["false_fn"], attrs["true_fn"]] if op == "cond" else attrs["branches"]
    if op == "switch" and (not isinstance(names, (list, tuple)) or not names):
        raise InvalidGraph("switch: branches must be a non-empty list of function names", node=label)
    return [_fn(functions, n, label, f"{op} branch") for n in names]


def _switch_avals(op):
    def avals(functions, attrs, in_avals, label):
        if not in_avals:
            raise InvalidGraph(f"{op}: needs the {'predicate' if op == 'cond' else 'index'} as input 0", node=label)
        sel = in_avals[0]
        ok = sel.dtype == "bool" if op == "cond" else sel.dtype in INT_DTYPES
        if sel.ndim != 0 or not ok:
            want = "a bool scalar" if op == "cond" else "an int32/int64 scalar"
            raise ShapeError(f"{op}: input 0 must be {want}, got {sel}", node=label)
        fns = _branches(functions, op, attrs, label)
        for f in fns:
            _expect(f, in_avals[1:], label, f"{op} branch")
        first = _outs(fns[0])
        for f in fns[1:]:
            if _outs(f) != first:
                raise ShapeError(f"{op}: branches return different outputs: {fns[0].name!r} gives "
                                 f"{[str(a) for a in first]}, {f.name!r} gives {[str(a) for a in _outs(f)]}",
                                 node=label)
        return first
    return avals


def _flat_branch(b, fn: Graph, arg_avals, pnames, penv, depth, label) -> Graph:
    """fn lowered to a flat graph of (args..., params named pnames...)."""
    b2 = layers.Builder(max_nodes=b.max_nodes, functions=b.functions, budget=b.budget)  # one work count per build
    b2.nested_grads = b.nested_grads
    args = [Var(a, f"a{i}") for i, a in enumerate(arg_avals)]
    params = [Var(penv[n].aval, n) for n in pnames]
    outs = layers.inline(b2, fn, args, dict(zip(pnames, params)), depth + 1)
    return _graph(b2, args + params, outs, f"{label}/{fn.name}")


def _switch_expand(op):
    def expand(b, attrs, ins, penv, depth, label):
        fns = _branches(b.functions, op, attrs, label)
        sel = b.cast(ins[0], dtype="int32") if op == "cond" else ins[0]
        args = list(ins[1:])
        pnames = sorted({p.name for f in fns for p in f.params})
        missing = [n for n in pnames if n not in penv]
        if missing:
            raise InvalidGraph(f"{op}: branches use unknown parameter(s) {missing}", node=label)
        key = (op, tuple(f.name for f in fns), tuple(a.aval for a in args), tuple((n, penv[n].aval) for n in pnames))
        cache = b.__dict__.setdefault("_flat_branches", {})  # a cond in a while body: lowered once per build
        graphs = cache.get(key)
        if graphs is None:
            graphs = cache[key] = tuple(_flat_branch(b, f, [a.aval for a in args], pnames, penv, depth, label)
                                        for f in fns)
        return b.emit("switch_run", [sel] + args + [penv[n] for n in pnames], {"branches": graphs})
    return expand


def _switch_run_impl(xp, index, *ops, branches):
    i = min(max(int(index), 0), len(branches) - 1)  # clamped, as lax.switch / StableHLO case
    return run_flat(xp, branches[i], ops)


@functools.lru_cache(maxsize=256)
def _vjp_graph(g: Graph, ct_outs: tuple, ints: bool = False, flags: bool = False, ct_flags: bool = False) -> Graph:
    """(operands..., cotangents of the outputs at ct_outs...) -> cotangents of the operands that carry
    one (floats; integers too under grad's int_grads, MindSpore's rule); flags: then a bool each, whether this
    branch's derivative reaches the operand (grad's `reached`, Builder.flows); ct_flags: a bool input per
    cotangent too (after them), whether it is reached (a loop body's: from the trip after)."""
    b = _builder(g)
    xs = [Var(v.aval, f"x{i}") for i, v in enumerate(g.inputs)]
    marks = [b.identity(x) if carries(x.dtype, ints) else x for x in xs]
    start = len(b.eqns)
    outs = layers.inline(b, g, marks, {})
    cts_in = [Var(outs[j].aval, f"ct{j}") for j in ct_outs]
    cts = [None] * len(outs)
    for j, c in zip(ct_outs, cts_in):
        cts[j] = c
    wrt = [m for m, x in zip(marks, xs) if carries(x.dtype, ints)]
    fl_in = _vars([AVal((), "bool")] * len(cts_in), "ctf") if flags and ct_flags else []
    # (a cond nested in this branch: its run-time flags, at every depth)
    b.reach_flags = {c.id: f for c, f in zip(cts_in, fl_in)} if flags else None
    grads = layers.backward(b, b.eqns[start:], outs, cts, wrt, f"{g.name} (vjp)", ints)
    reached = [layers.reaches(b, gr) for gr in grads] if flags else []
    grads = [gr if gr is not None else b.zeros_like(w) for gr, w in zip(grads, wrt)]
    return _graph(b, xs + cts_in + fl_in, grads + reached, f"{g.name}/vjp")


@functools.lru_cache(maxsize=256)
def _jvp_graph(g: Graph, pos: tuple) -> Graph:
    """(operands..., tangents of operands at pos...) -> tangents of every output."""
    b = _builder(g)
    xs = [Var(v.aval, f"x{i}") for i, v in enumerate(g.inputs)]
    ts = [Var(xs[p].aval, f"t{p}") for p in pos]
    res = layers.expand_jvp(b, g, xs + ts, {"positions": pos}, {}, 0, f"{g.name} (jvp)")
    return _graph(b, xs + ts, res[len(res) // 2:], f"{g.name}/jvp")


def _switch_run_vjp(b, ins, outs, cts, branches):
    ops = ins[1:]
    # grad's int_grads (set by autodiff.backward while its rules run): integer operands carry one too
    ints = b.int_grads
    ct_outs = tuple(j for j, o in enumerate(outs) if carries(o.dtype, ints))
    if not any(carries(x.dtype, ints) for x in ops) or all(cts[j] is None for j in ct_outs):
        return [None] * len(ins)
    cts_full = [cts[j] if cts[j] is not None else b.zeros_like(outs[j]) for j in ct_outs]
    flags = b.reach_flags is not None  # (a grad with `reached`: which operands the branch taken reaches)
    res = b.emit("switch_run", [ins[0]] + list(ops) + cts_full,
                 {"branches": tuple(_vjp_graph(g, ct_outs, ints, flags) for g in branches)})
    n = sum(carries(x.dtype, ints) for x in ops)
    if flags:
        b.reach_flags.update((g.id, f) for g, f in zip(res[:n], res[n:]))
    grads = iter(res[:n])
    return [None] + [next(grads) if carries(x.dtype, ints) else None for x in ops]


def _switch_run_jvp(b, ins, outs, ts, branches):
    ops = ins[1:]
    pos = tuple(i for i, (x, t) in enumerate(zip(ops, ts[1:])) if t is not None and is_inexact(x.dtype))
    if not pos:
        return [None] * len(outs)
    res = b.emit("switch_run", [ins[0]] + list(ops) + [ts[1 + i] for i in pos],
                 {"branches": tuple(_jvp_graph(g, pos) for g in branches)})
    return [r if is_inexact(o.dtype) else None for r, o in zip(res, outs)]


defop("switch_run", None, rule_infer("switch_run"), attrs={"branches": Attr("any")}, n_outputs=None, min_arity=1,
      doc="(lowered cond / switch) run flat branch graph `branches[index]` (index clamped) on the operands")
impl_rules["switch_run"] = _switch_run_impl
vjp_rules["switch_run"] = _switch_run_vjp
jvp_rules["switch_run"] = _switch_run_jvp


# -- scan / fori_loop ------------------------------------------------------------------------------
def _scan_avals(functions, attrs, in_avals, label):
    body = _fn(functions, attrs["body"], label, "scan body")
    n_c, length = attrs["n_carry"], attrs["length"]
    if not 0 <= n_c <= len(in_avals) or length < 0:
        raise InvalidGraph(f"scan: n_carry={n_c} and length={length} must fit the {len(in_avals)} input(s)",
                           node=label)
    carry, xs = in_avals[:n_c], in_avals[n_c:]
    for i, x in enumerate(xs):
        if x.ndim == 0 or x.shape[0] != length:
            raise ShapeError(f"scan: scanned input {n_c + i} is {x}; its leading axis must be length={length}",
                             node=label)
    _expect(body, list(carry) + [AVal(x.shape[1:], x.dtype) for x in xs], label, "scan body")
    outs = _outs(body)
    if outs[:n_c] != list(carry):
        raise ShapeError(f"scan body {body.name!r} must return the carry {[str(a) for a in carry]} first, "
                         f"got {[str(a) for a in outs[:n_c]]}", node=label)
    return list(carry) + [AVal((length,) + y.shape, y.dtype) for y in outs[n_c:]]


def _scan_expand(b, attrs, ins, penv, depth, label):
    body = _fn(b.functions, attrs["body"], label, "scan body")
    n_c, length = attrs["n_carry"], attrs["length"]
    carry, xs = list(ins[:n_c]), list(ins[n_c:])
    steps = range(length - 1, -1, -1) if attrs["reverse"] else range(length)
    ys: dict[int, list] = {}
    for t in steps:
        outs = layers.inline(b, body, carry + [b.index(x, index=[t]) for x in xs], penv, depth + 1)
        carry, ys[t] = list(outs[:n_c]), list(outs[n_c:])
    y_avals = _outs(body)[n_c:]
    if length == 0:
        return carry + [b.full((0,) + y.shape, 0.0, y.dtype) for y in y_avals]
    return carry + [b.stack(*[ys[t][j] for t in range(length)], axis=0) for j in range(len(y_avals))]


def _fori_avals(functions, attrs, in_avals, label):
    body = _fn(functions, attrs["body"], label, "fori_loop body")
    _expect(body, [AVal((), "int64")] + list(in_avals), label, "fori_loop body (i, *carry)")
    if _outs(body) != list(in_avals):
        raise ShapeError(f"fori_loop body {body.name!r} must return the carry {[str(a) for a in in_avals]}",
                         node=label)
    return list(in_avals)


def _fori_expand(b, attrs, ins, penv, depth, label):
    body = _fn(b.functions, attrs["body"], label, "fori_loop body")
    carry = list(ins)
    for i in range(attrs["lower"], attrs["upper"]):
        carry = layers.inline(b, body, [b.full((), float(i), "int64")] + carry, penv, depth + 1)
    return carry


# -- while ----------------------------------------------------------------------------------------------
def _while_avals(functions, attrs, in_avals, label):
    cond = _fn(functions, attrs["cond"], label, "while cond")
    body = _fn(functions, attrs["body"], label, "while body")
    if attrs["max_trips"] < 0:
        raise InvalidGraph(f"while: max_trips must be >= 0, got {attrs['max_trips']}", node=label)
    _expect(cond, in_avals, label, "while cond")
    _expect(body, in_avals, label, "while body")
    if _outs(cond) != [AVal((), "bool")]:
        raise ShapeError(f"while cond {cond.name!r} must return one bool scalar, got "
                         f"{[str(a) for a in _outs(cond)]}", node=label)
    if _outs(body) != list(in_avals):
        raise ShapeError(f"while body {body.name!r} must return the state {[str(a) for a in in_avals]}", node=label)
    return list(in_avals)


def _while_expand(b, attrs, ins, penv, depth, label):
    cond = _fn(b.functions, attrs["cond"], label, "while cond")
    body = _fn(b.functions, attrs["body"], label, "while body")
    pnames = sorted({p.name for f in (cond, body) for p in f.params})
    missing = [n for n in pnames if n not in penv]
    if missing:
        raise InvalidGraph(f"while: cond / body use unknown parameter(s) {missing}", node=label)
    avals = [a.aval for a in ins]
    c, bd = (_flat_branch(b, f, avals, pnames, penv, depth, label) for f in (cond, body))
    return b.emit("while_run", list(ins) + [penv[n] for n in pnames],
                  {"cond": c, "body": bd, "n_state": len(ins), "max_trips": attrs["max_trips"]})


# -- while_run: the lowered while, run at run time ------------------------------------------------------
def _run(xp, g: Graph, arrays) -> list:
    r = run_flat(xp, g, list(arrays))
    return list(r) if len(g.flat_outputs) > 1 else [r]


def _while_run_impl(xp, *ops, cond, body, n_state, max_trips):
    s, inv = list(ops[:n_state]), list(ops[n_state:])
    trips = 0
    while bool(_run(xp, cond, s + inv)[0]):
        if trips == max_trips:  # the graph's own bound on the loop
            raise LimitExceeded(f"while loop still running after max_trips={max_trips} iterations",
                                setting="max_trips")
        s = _run(xp, body, s + inv)
        trips += 1
    return tuple(s) if n_state > 1 else s[0]


def _vars(avals, prefix):
    return [Var(a, f"{prefix}{i}") for i, a in enumerate(avals)]


def _graph(b, ins, outs, name) -> Graph:
    """A lowered branch / body / rule graph; it keeps the functions a custom_vjp node in it names (a hook's rule
    in a while body: its reverse sweep inlines the rule)."""
    return layers.optimize(Graph(list(ins), [], b.eqns, tuple(outs), functions=rule_functions(b.functions, b.eqns),
                                 name=name))


def _builder(*graphs: Graph):
    """A Builder for a graph made from these: their functions at hand (custom_vjp rules)."""
    functions: dict = {}
    for g in graphs:
        functions.update(g.functions)
    return layers.Builder(functions=functions)


@functools.lru_cache(maxsize=256)
def _jvp_loop(cond: Graph, body: Graph, n: int, pos: tuple):
    """cond / body of the loop over (state, tangents of the float state at pos < n, invariants, their
    tangents at pos >= n): the body steps the tangents by body's jvp."""
    avals = [v.aval for v in body.inputs]
    fs = [p for p in pos if p < n]
    b = _builder(cond, body)
    s, inv = _vars(avals[:n], "s"), _vars(avals[n:], "i")
    ts, tinv = _vars([avals[p] for p in fs], "t"), _vars([avals[p] for p in pos if p >= n], "u")
    res = layers.expand_jvp(b, body, s + inv + ts + tinv, {"positions": pos}, {}, 0, f"{body.name} (jvp)")
    new_body = _graph(b, s + ts + inv + tinv, res[:n] + [res[n + p] for p in fs], f"{body.name}/jvp")
    b2 = _builder(cond, body)
    new_cond = _graph(b2, s + ts + inv + tinv, layers.inline(b2, cond, s + inv, {}), f"{cond.name}/jvp")
    return new_cond, new_body


def _while_run_jvp(b, ins, outs, ts, cond, body, n_state, max_trips):
    n = n_state
    fs = [j for j in range(n) if is_inexact(ins[j].dtype)]  # every float or complex state entry carries a tangent
    pi = [p for p in range(n, len(ins)) if ts[p] is not None and is_inexact(ins[p].dtype)]
    if not pi and all(ts[j] is None for j in fs):
        return [None] * len(outs)
    c2, b2 = _jvp_loop(cond, body, n, tuple(fs + pi))
    t0 = [ts[j] if ts[j] is not None else b.zeros_like(ins[j]) for j in fs]
    res = b.emit("while_run", list(ins[:n]) + t0 + list(ins[n:]) + [ts[p] for p in pi],
                 {"cond": c2, "body": b2, "n_state": n + len(fs), "max_trips": max_trips})
    tan = dict(zip(fs, res[n:]))
    return [tan.get(j) for j in range(len(outs))]


@functools.lru_cache(maxsize=256)
def _count_loop(cond: Graph, body: Graph, n: int):
    """cond / body over (trips, state..., invariants...): the loop again, counting its trips."""
    avals = [v.aval for v in body.inputs]
    k, s, inv = Var(AVal((), "int64"), "k"), _vars(avals[:n], "s"), _vars(avals[n:], "i")
    b = _builder(cond, body)
    new = layers.inline(b, body, s + inv, {})
    one = b.full((), 1.0, "int64")
    nb = _graph(b, [k] + s + inv, [b.add(k, one)] + list(new), f"{body.name}/count")
    b2 = _builder(cond, body)
    nc = _graph(b2, [k] + s + inv, layers.inline(b2, cond, s + inv, {}), f"{cond.name}/count")
    return nc, nb


@functools.lru_cache(maxsize=256)
def _fixed_loop(body: Graph, n: int):
    """cond / body over (i, state..., stop, invariants...): body run while i < stop."""
    avals = [v.aval for v in body.inputs]
    i, stop = Var(AVal((), "int64"), "i"), Var(AVal((), "int64"), "stop")
    s, inv = _vars(avals[:n], "s"), _vars(avals[n:], "v")
    b = _builder(body)
    new = layers.inline(b, body, s + inv, {})
    nb = _graph(b, [i] + s + [stop] + inv, [b.add(i, b.full((), 1.0, "int64"))] + list(new), f"{body.name}/fixed")
    b2 = _builder(body)
    nc = _graph(b2, [i] + s + [stop] + inv, [b2.less(i, stop)], f"{body.name}/fixed_cond")
    return nc, nb


TRAJECTORY_BYTES = 1 << 21  # a while's reverse sweep stores every trip's state when max_trips of them fit here
# (each trip's write copies the buffer: a bigger one costs more than recomputing small states)


def _stores_trajectory(avals, n: int, max_trips: int) -> bool:
    size = sum(int(np.prod(a.shape, dtype=np.int64)) * np.dtype(a.dtype).itemsize for a in avals[:n])
    return max_trips * size <= TRAJECTORY_BYTES


def _row_avals(avals, max_trips: int) -> list[AVal]:
    return [AVal((max_trips,) + tuple(a.shape), a.dtype) for a in avals]


def _starts(b, k, ndim: int) -> list[Var]:
    return [k] + [b.full((), 0.0, "int64")] * ndim


@functools.lru_cache(maxsize=256)
def _record_loop(cond: Graph, body: Graph, n: int, max_trips: int):
    """cond / body over (trips k, state..., buffers..., invariants...): the loop again, counting its trips
    and writing each trip's entry state into row k of a [max_trips, ...] buffer per state entry."""
    avals = [v.aval for v in body.inputs]
    k, s, inv = Var(AVal((), "int64"), "k"), _vars(avals[:n], "s"), _vars(avals[n:], "i")
    rows = _vars(_row_avals(avals[:n], max_trips), "h")
    b = _builder(cond, body)
    written = [b.dynamic_update_slice(h, b.reshape(x, shape=(1,) + tuple(x.shape)), *_starts(b, k, len(x.shape)))
               for h, x in zip(rows, s)]
    new = layers.inline(b, body, s + inv, {})
    nb = _graph(b, [k] + s + rows + inv, [b.add(k, b.full((), 1.0, "int64"))] + list(new) + written,
                f"{body.name}/record")
    b2 = _builder(cond, body)
    nc = _graph(b2, [k] + s + rows + inv, layers.inline(b2, cond, s + inv, {}), f"{cond.name}/record")
    return nc, nb


def _state_at(b, body: Graph, n: int, k1: Var, s0: list, inv: list, stored: bool, max_trips: int) -> list:
    """Step k1's entry state: read from the recorded rows, or recomputed from the entry state s0."""
    avals = [v.aval for v in body.inputs]
    if stored:
        return [b.reshape(b.dynamic_slice(h, *_starts(b, k1, len(a.shape)), sizes=(1,) + tuple(a.shape)),
                          shape=tuple(a.shape)) for h, a in zip(s0, avals[:n])]
    fc, fb = _fixed_loop(body, n)
    return b.emit("while_run", [b.full((), 0.0, "int64")] + s0 + [k1] + inv,
                  {"cond": fc, "body": fb, "n_state": n + 1, "max_trips": max_trips})[1:]


@functools.lru_cache(maxsize=256)
def _reverse_loop(body: Graph, n: int, cs: tuple, ci: tuple, ints: bool, max_trips: int, stored: bool,
                  flags: bool = False):
    """cond / body of the reverse sweep over (k, cotangents of the carrying state cs, of the carrying
    invariants ci) with invariants (the recorded rows, or the state at entry; invariants): step k-1's state
    is read back (or recomputed from the entry), then body's vjp takes the cotangents one trip back. flags (grad's
    `reached`): a bool state per cotangent too, whether it is reached: a state's, what the trip's vjp gives from the
    trip after's; an invariant's, whether any trip reached it (a cond in the body taking no branch that uses it)."""
    avals = [v.aval for v in body.inputs]
    k = Var(AVal((), "int64"), "k")
    ct_s, ct_i = _vars([avals[j] for j in cs], "cs"), _vars([avals[j] for j in ci], "ci")
    s0 = _vars(_row_avals(avals[:n], max_trips) if stored else avals[:n], "s")
    inv = _vars(avals[n:], "v")
    fs, fi = (_vars([AVal((), "bool")] * len(c) if flags else [], p) for c, p in ((cs, "fs"), (ci, "fi")))
    ins = [k] + ct_s + ct_i + fs + fi + s0 + inv
    b = _builder(body)
    k1 = b.sub(k, b.full((), 1.0, "int64"))
    sk = _state_at(b, body, n, k1, s0, inv, stored, max_trips)
    grads = layers.inline(b, _vjp_graph(body, cs, ints, flags, flags), list(sk) + inv + ct_s + fs, {})
    carried = [x for x in range(len(avals)) if carries(avals[x].dtype, ints)]
    g, reached = dict(zip(carried, grads)), dict(zip(carried, grads[len(carried):]))
    new_i = [b.add(c, g[j]) for c, j in zip(ct_i, ci)]
    new_f = [reached[j] for j in cs if flags] + [b.logical_or(f, reached[j]) for f, j in zip(fi, ci)]
    nb = _graph(b, ins, [k1] + [g[j] for j in cs] + new_i + new_f, f"{body.name}/reverse")
    b2 = _builder(body)
    nc = _graph(b2, ins, [b2.greater(k, b2.full((), 0.0, "int64"))], f"{body.name}/reverse_cond")
    return nc, nb


def _trips_and_states(b, ins, cond, body, n: int, max_trips: int):
    """(the loop's trip count, each trip's entry state as [max_trips, ...] rows -- or None where they would
    not fit in TRAJECTORY_BYTES: the reverse sweep then recomputes them)."""
    zero = b.full((), 0.0, "int64")
    if not _stores_trajectory([x.aval for x in ins], n, max_trips):
        cc, cb = _count_loop(cond, body, n)
        return b.emit("while_run", [zero] + list(ins), {"cond": cc, "body": cb, "n_state": n + 1,
                                                         "max_trips": max_trips})[0], None
    rc, rb = _record_loop(cond, body, n, max_trips)
    rows = [b.full((max_trips,) + tuple(x.shape), 0.0, x.dtype) for x in ins[:n]]
    res = b.emit("while_run", [zero] + list(ins[:n]) + rows + list(ins[n:]),
                 {"cond": rc, "body": rb, "n_state": 1 + 2 * n, "max_trips": max_trips})
    return res[0], list(res[1 + n:])


def _while_run_vjp(b, ins, outs, cts, cond, body, n_state, max_trips):
    n = n_state
    # grad's int_grads: the builder's flag where backward sets it, else an integer output's cotangent says so
    ints = bool(getattr(b, "int_grads", False)) or any(c is not None and o.dtype in INT_DTYPES
                                                        for o, c in zip(outs, cts))
    cs = tuple(j for j in range(n) if carries(ins[j].dtype, ints))
    ci = tuple(j for j in range(n, len(ins)) if carries(ins[j].dtype, ints))
    if not (cs or ci) or all(cts[j] is None for j in cs):
        return [None] * len(ins)
    trips, entry = _trips_and_states(b, ins, cond, body, n, max_trips)
    flags = b.reach_flags is not None  # (a grad with `reached`: which operands the trips reach)
    rc, rb = _reverse_loop(body, n, cs, ci, ints, max_trips, entry is not None, flags)
    init = [trips] + [cts[j] if cts[j] is not None else b.zeros_like(outs[j]) for j in cs] + \
        [b.zeros_like(ins[j]) for j in ci] + \
        ([layers.reaches(b, cts[j]) for j in cs] + [b.full((), 0.0, "bool")] * len(ci) if flags else [])
    states = list(ins[:n]) if entry is None else entry
    res = b.emit("while_run", init + states + list(ins[n:]),
                 {"cond": rc, "body": rb, "n_state": len(init), "max_trips": max_trips})
    got = dict(zip(cs + ci, res[1:]))
    if flags:  # (whether a trip reached each operand; a loop of no trips passes the states' own cotangents)
        b.reach_flags.update((got[j].id, f) for j, f in zip(cs + ci, res[1 + len(cs) + len(ci):]))
    return [got.get(j) for j in range(len(ins))]


defop("while_run", None, rule_infer("while_run"), attrs={"cond": Attr("any"), "body": Attr("any"),
      "n_state": Attr("int"), "max_trips": Attr("int")}, n_outputs=None, min_arity=0, runtime_checked=True,
      doc="(lowered while) state = body(*state, *invariants) while cond(*state, *invariants), run at run time; "
          "more than max_trips trips is an error")
impl_rules["while_run"] = _while_run_impl
vjp_rules["while_run"] = _while_run_vjp
jvp_rules["while_run"] = _while_run_jvp


def _check_impl(xp, flag, x, message):
    """The imported graphs' run-time checks of input values (an ONNX Loop's trip count against its scan outputs'
    static length, a category or an index outside a table): the input does not fit the graph, a 400 naming the
    node (ShapeError), not a limit of the caller's (413)."""
    if bool(flag):
        raise ShapeError(message, check="check_false")
    return x


defop("check_false", 2, rule_infer("check_false"), attrs={"message": Attr("str")}, runtime_checked=True,
      doc="x, or an error (`message`, a shape_error) when the bool scalar flag is true at run time: an input value "
          "the graph cannot take")
impl_rules["check_false"] = _check_impl
vjp_rules["check_false"] = lambda b, ins, outs, cts, message: [None, cts[0]]
jvp_rules["check_false"] = lambda b, ins, outs, ts, message: [ts[1]]


def _typed_by_function(avals, **attrs):  # pragma: no cover - the Builder types these by their hooks
    raise InvalidGraph("control-flow ops are typed by their functions")


class _Hook:
    def __init__(self, avals, expand):
        self.avals, self.expand = avals, expand


_CONTROL = {
    "cond": ({"true_fn": Attr("str"), "false_fn": Attr("str")}, _switch_avals("cond"), _switch_expand("cond"),
             "cond(pred, *args): true_fn(*args) if the bool scalar pred else false_fn(*args); only the chosen "
             "branch runs"),
    "switch": ({"branches": Attr("any")}, _switch_avals("switch"), _switch_expand("switch"),
               "switch(index, *args): branches[index](*args), index clamped to the branches (lax.switch, "
               "StableHLO case); only the chosen branch runs"),
    "scan": ({"body": Attr("str"), "length": Attr("int"), "n_carry": Attr("int"), "reverse": Attr("bool", False)},
             _scan_avals, _scan_expand,
             "scan(*carry, *xs): body(*carry, *x[t]) -> (*carry, *y) for t < length (static); outputs the final "
             "carry and the ys stacked on a new leading axis (lax.scan)"),
    "fori_loop": ({"body": Attr("str"), "lower": Attr("int", 0), "upper": Attr("int")}, _fori_avals, _fori_expand,
                  "fori_loop(*carry): carry = body(i, *carry) for i in [lower, upper) (static; i an int64 scalar)"),
    "while": ({"cond": Attr("str"), "body": Attr("str"), "max_trips": Attr("int")}, _while_avals, _while_expand,
              "while(*state): state = body(*state) while cond(*state), at most max_trips times (more is a "
              "run-time error)"),
}
for _name, (_attrs, _avals, _expand, _doc) in _CONTROL.items():
    defop(_name, None, _typed_by_function, function=True, attrs=_attrs, n_outputs=None, doc=_doc)
    function_op_hooks[_name] = _Hook(_avals, _expand)
