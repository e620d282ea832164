"""StableHLO control flow -> the engine's control-flow ops (engine/ops/control_flow.py).

- `stablehlo.case` (lax.cond, lax.switch) -> `switch`; `stablehlo.if` -> `cond`. Each region is a
  function; the outer values the regions read become explicit operands, the same for every branch.
- `stablehlo.while` whose condition is `counter < N` with the counter starting at a constant c0
  and the body adding 1 to it (what lax.fori_loop with static bounds and lax.scan export to) ->
  `scan` of N - c0 trips over the whole state: unrolled, so reverse mode needs no masking.
- a `stablehlo.while` whose condition ANDs `counter < N` with anything else (lax.while_loop(lambda s:
  more(s) & (s.i < N)), odeint's `i < mxstep`) -> `while` with max_trips = N - c0: the program's
  own bound (the condition ends the loop by then), so no while_max_trips is needed.
- any other `stablehlo.while` (lax.while_loop) -> `while` with max_trips = the `while_max_trips`
  the caller gives (from_jax(..., while_max_trips=N); a loop still running after it is a run-time
  error, never a truncated result); without it, refused: the trip count is not in the program
  (odeint with its default mxstep=inf: named, with the mxstep to set).

`fn` is the jax_import converter of the enclosing scope (its `region`, `get`, `const_of`).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._shared.graph_writer import UnsupportedModel

CONTROL_OPS = ("stablehlo.case", "stablehlo.if", "stablehlo.while")


def control(fn, op, name: str, ins: list[str], env: dict) -> list[str]:
    if name == "stablehlo.while":
        return _while(fn, op, ins, env)
    return _branches(fn, op, name, ins, env)


def _join(fn, kids, outs) -> list[str]:
    """Every child function takes the union of what any of them captured, in one order."""
    caps = list(dict.fromkeys(pv for k in kids for pv in k.captures))
    for k, (args, _) in zip(kids, outs):
        k.w.reorder_inputs(list(args) + [k.capture(pv) for pv in caps])
    return caps


def _branches(fn, op, name: str, ins: list[str], env: dict) -> list[str]:
    w = fn.w
    kids, outs = [], []
    for i, reg in enumerate(op.regions):
        kid, args, o = fn.region(reg, f"{name.split('.')[1]}_branch{i}", env)
        kids.append(kid)
        outs.append((args, o))
    avals = [[k.w.avals[v] for v in o] for k, (_, o) in zip(kids, outs)]
    if any(a != avals[0] for a in avals):
        raise UnsupportedModel(f"the branches return different types: {avals}")
    caps = _join(fn, kids, outs)
    names = [w.finish(k.w, o) for k, (_, o) in zip(kids, outs)]
    if name == "stablehlo.if":  # regions: true, false
        return w.emit("cond", [ins[0]] + caps, {"true_fn": names[0], "false_fn": names[1]}, avals[0])
    # StableHLO case runs the last branch for an index out of range; the engine's switch clamps
    # (a negative index would pick branch 0), so negative indices are sent to the last branch here
    idx = ins[0]
    neg = w.binary("less", idx, w.const(np.asarray(0, w.dtype(idx))))
    idx = w.where(neg, w.const(np.asarray(len(names) - 1, w.dtype(idx))), idx)
    return w.emit("switch", [idx] + caps, {"branches": names}, avals[0])


def _static_trips(fn, op, env: dict) -> int | None:
    """N - c0 when the loop is `for counter in range(c0, N)` (see the module doc), else None."""
    cops = [o for o in op.regions[0].blocks[0].operations]
    if len(cops) < 2 or cops[-1].operands[0].get_name() != cops[-2].results[0].get_name():
        return None
    bound = _counter_bound(fn, op, env, cops[-2])
    return None if bound is None or not np.isfinite(bound) else int(bound)


def _conjuncts(value) -> list:
    """The operations whose results the condition's value ANDs together (through `and`, i1 converts and
    `x != false`, as lax.while_loop's `a & b & c` lowers), each as the op producing one conjunct."""
    op: Any = getattr(value, "owner", None)
    name = getattr(op, "name", None)
    if name == "stablehlo.and":
        return _conjuncts(op.operands[0]) + _conjuncts(op.operands[1])
    if name == "stablehlo.convert" and str(op.operands[0].type) == str(value.type):
        return _conjuncts(op.operands[0])
    if name == "stablehlo.compare" and _direction(op) == "NE" and _is_false(op.operands[1]):
        return _conjuncts(op.operands[0])
    return [op] if op is not None else []


def _direction(cmp) -> str:
    from jaxlib.mlir.dialects import stablehlo

    return stablehlo.ComparisonDirectionAttr(cmp.attributes["comparison_direction"]).value


def _is_false(value) -> bool:
    op: Any = getattr(value, "owner", None)
    while getattr(op, "name", None) == "stablehlo.broadcast_in_dim":
        op = op.operands[0].owner
    return getattr(op, "name", None) == "stablehlo.constant" and "false" in str(op.attributes["value"])


def _adds_one(fn, value, arg, env: dict, bound: tuple = ()) -> bool:
    """Whether `value` is `arg + 1`, through the private functions JAX outlines code into (func.call; `bound`:
    a callee's (argument, the caller's value) pairs) and through select / jnp.where of two such values
    (odeint's body keeps `i + 1` on an accepted and on a rejected step alike)."""
    from jaxlib.mlir import ir

    value = _caller_value(value, bound)
    op: Any = getattr(value, "owner", None)
    name = getattr(op, "name", None)
    if name == "func.call":
        callee = fn.funcs[ir.FlatSymbolRefAttr(op.attributes["callee"]).value]
        block = callee.regions[0].blocks[0]
        r = next(i for i, res in enumerate(op.results) if res == value)
        # the callee's arguments as the loop's own values; the outer pairs stay for values the callee's
        # operands came from (jnp.where outlined inside an outlined step)
        inner = bound + tuple(zip(block.arguments, [_caller_value(o, bound) for o in op.operands]))
        return _adds_one(fn, list(block.operations)[-1].operands[r], arg, {}, inner)
    if name == "stablehlo.select":
        return all(_adds_one(fn, v, arg, env, bound) for v in op.operands[1:])
    if name != "stablehlo.add":
        return False
    x, y = (_caller_value(v, bound) for v in op.operands)
    one = y if x == arg else (x if y == arg else None)
    c = fn.const_of(one, env) if one is not None else None  # a constant of the body's scope or the enclosing one
    return c is not None and c.size == 1 and int(c.reshape(-1)[0]) == 1


def _caller_value(value, bound: tuple):
    """A callee's argument as the caller's value it was called with; any other value itself."""
    for a, v in bound:
        if a == value:
            return v
    return value


def _bounded_trips(fn, op, env: dict) -> tuple[float | None, bool]:
    """(the fewest trips a conjunct `counter < N` of the condition allows, or None; whether a counter's
    bound is infinite): lax.while_loop(lambda s: more(s) & (s.i < N), ...) with the counter from a constant,
    +1 a trip, stops after at most N - c0 trips whatever `more` says (odeint's `i < mxstep`)."""
    ret = list(op.regions[0].blocks[0].operations)[-1]
    bounds = [b for c in _conjuncts(ret.operands[0]) if getattr(c, "name", None) == "stablehlo.compare"
              for b in [_counter_bound(fn, op, env, c)] if b is not None]
    finite = [b for b in bounds if np.isfinite(b)]
    return (min(finite) if finite else None), any(not np.isfinite(b) for b in bounds)


def _counter_bound(fn, op, env: dict, cmp) -> float | None:
    """N - c0 (possibly inf) when `cmp` is `counter < N` (the counter maybe converted to float first), the
    counter a loop-carried value starting at a constant c0 that the body adds 1 to; else None."""
    if cmp.operation.name != "stablehlo.compare" or _direction(cmp) != "LT":
        return None
    lhs = cmp.operands[0]
    owner: Any = getattr(lhs, "owner", None)
    if getattr(owner, "name", None) == "stablehlo.convert":  # float(i) < mxstep (odeint's default inf)
        lhs = owner.operands[0]
    cblock, bblock = op.regions[0].blocks[0], op.regions[1].blocks[0]
    k = next((i for i, a in enumerate(cblock.arguments) if a.get_name() == lhs.get_name()), None)
    bound = fn.const_of(cmp.operands[1], env)
    start = fn.const_of(op.operands[k], env) if k is not None else None
    if bound is None or start is None or bound.size != 1 or start.size != 1:
        return None
    if not _adds_one(fn, bblock.operations[len(bblock.operations) - 1].operands[k], bblock.arguments[k], env):
        return None
    n = float(bound.reshape(-1)[0])  # c0 + k < N for k = 0 .. ceil(N - c0) - 1 (a float counter too)
    return n if not np.isfinite(n) else float(max(math.ceil(n - float(start.reshape(-1)[0])), 0))


def _while(fn, op, ins: list[str], env: dict) -> list[str]:
    w = fn.w
    trips = _static_trips(fn, op, env)
    bound, unbounded_counter = _bounded_trips(fn, op, env) if trips is None else (None, False)
    limits = [b for b in (bound, fn.max_trips) if b is not None]  # the caller's bound, when tighter, holds too
    max_trips = min(limits) if limits else None
    if trips is None and max_trips is None:
        why = ("its condition's step counter is compared with inf (jax.experimental.ode.odeint's default "
               "mxstep=jnp.inf: pass odeint(..., mxstep=N) to bound it)" if unbounded_counter else
               "the trip count is not in the program")
        raise UnsupportedModel(f"stablehlo.while with no static trip count (lax.while_loop): "
                               f"{why}; refused: pass while_max_trips=N to bound it (a loop still running after N "
                               "trips is an error), or use lax.fori_loop / lax.scan with static bounds")
    n = len(ins)
    body, b_args, b_outs = fn.region(op.regions[1], "while_body", env)
    if trips is not None:
        caps = _join(fn, [body], [(b_args, b_outs)])
        name = w.finish(body.w, b_outs + [body.capture(pv) for pv in caps])
        res = w.emit("scan", ins + caps, {"body": name, "length": trips, "n_carry": n + len(caps), "reverse": False},
                     [w.avals[v] for v in ins + caps])
        return res[:n]
    cond, c_args, c_outs = fn.region(op.regions[0], "while_cond", env)
    caps = _join(fn, [body, cond], [(b_args, b_outs), (c_args, c_outs)])
    name = w.finish(body.w, b_outs + [body.capture(pv) for pv in caps])
    cname = w.finish(cond.w, c_outs)
    assert max_trips is not None  # no static trips here, so the refusal above saw a bound
    res = w.emit("while", ins + caps, {"cond": cname, "body": name, "max_trips": int(max_trips)},
                 [w.avals[v] for v in ins + caps])
    return res[:n]

