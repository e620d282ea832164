"""StableHLO control flow -> the engine's control-flow ops (engine/ops/control_flow.py).

- `stablehlo.case` (lax.cond, lax.switch) -> `switch`; `stablehlo.if` -> `cond`. Each region is a
  function; the outer values the regions read become explicit operands, the same for every branch.
- `stablehlo.while` whose condition is `counter < N` with the counter starting at a constant c0
  and the body adding 1 to it (what lax.fori_loop with static bounds and lax.scan export to) ->
  `scan` of N - c0 trips over the whole state: unrolled, so reverse mode needs no masking.
- any other `stablehlo.while` (lax.while_loop) -> `while` with max_trips = the `while_max_trips`
  the caller gives (from_jax(..., while_max_trips=N); a loop still running after it is a run-time
  error, never a truncated result); without it, refused: the trip count is not in the program.

`fn` is the jax_import converter of the enclosing scope (its `region`, `get`, `const_of`).
"""
from __future__ import annotations

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
    from jaxlib.mlir.dialects import stablehlo

    cblock, bblock = op.regions[0].blocks[0], op.regions[1].blocks[0]
    cops = [o for o in cblock.operations]
    cmp = cops[-2] if len(cops) >= 2 else None
    if cmp is None or cmp.operation.name != "stablehlo.compare" or \
            stablehlo.ComparisonDirectionAttr(cmp.attributes["comparison_direction"]).value != "LT":
        return None
    if cops[-1].operands[0].get_name() != cmp.results[0].get_name():
        return None
    lhs = cmp.operands[0].get_name()
    k = next((i for i, a in enumerate(cblock.arguments) if a.get_name() == lhs), None)
    bound = fn.const_of(cmp.operands[1], env)
    start = fn.const_of(op.operands[k], env) if k is not None else None
    if bound is None or start is None or bound.size != 1 or start.size != 1:
        return None
    inc = bblock.operations[len(bblock.operations) - 1].operands[k].owner
    if getattr(inc, "name", None) != "stablehlo.add":
        return None
    a, b = inc.operands
    arg_k = bblock.arguments[k].get_name()
    one = b if a.get_name() == arg_k else (a if b.get_name() == arg_k else None)
    if one is None:
        return None
    c = fn.const_of(one, env)  # a constant of the body's own scope or of the enclosing one
    if c is None or c.size != 1 or int(c.reshape(-1)[0]) != 1:
        return None
    return max(int(bound.reshape(-1)[0]) - int(start.reshape(-1)[0]), 0)


def _while(fn, op, ins: list[str], env: dict) -> list[str]:
    w = fn.w
    trips = _static_trips(fn, op, env)
    if trips is None and fn.max_trips is None:
        raise UnsupportedModel("stablehlo.while with no static trip count (lax.while_loop): refused; pass "
                               "while_max_trips=N to bound it (a loop still running after N trips is an error), "
                               "or use lax.fori_loop / lax.scan with static bounds")
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
    res = w.emit("while", ins + caps, {"cond": cname, "body": name, "max_trips": int(fn.max_trips)},
                 [w.avals[v] for v in ins + caps])
    return res[:n]
