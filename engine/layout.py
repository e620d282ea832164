"""Tiny axis first: pointwise steps on arrays whose last axis is tiny, computed coordinate-major.

Pair models (pairwise distances, potentials, forces) compute on (n, n, 3) arrays: d = R[:, None] -
R[None], w * d with a (n, n, 1) weight, sums over i or j. NumPy runs a broadcast over such shapes
as n*n inner loops of 3 elements (it cannot merge the last axis with the others): ~50k instructions
for L1's 32x32x3 steps where a contiguous loop of the same 3072 elements takes ~5k. The same
values stored coordinate-major, (3, n, n), make every such loop 1024 (or n) long and contiguous.

`tiny_axis_first` finds the connected groups of pointwise steps (ops with `fold` or `broadcasts`,
no attributes) whose output's last axis is 2..MAX_K long, with the reshapes that keep that axis last
and the sums over them, and computes each group on values transposed to (k, ...) when the steps it
speeds up outweigh the transposes it adds at the group's edges (operands of one element along the
tiny axis, as (n, n, 1), cost nothing: a reshape). A sum over the tiny axis gives back the plain
layout directly; a value a step outside the group reads is transposed back (a view: the plan
reads it strided). Pointwise values are exactly the same (an elementwise op does not depend on the
layout); a sum over another axis is taken in another memory order, so it may round differently
(the passes after it, contract.py, turn such sums into matrix products anyway): it runs with the
reassociating passes in `optimize`, before contract.
"""
from __future__ import annotations

from .ir import AVal, Eqn, Graph, Var, tree_flatten, tree_unflatten
from .ops.registry import OPS
from .shape_rules import norm_axes

MAX_K = 4  # a last axis up to this long is moved first
MIN_ROWS = 256  # a step gains only with this many elements per index of the tiny axis
# a group is computed coordinate-major when its short-loop steps' elements outnumber the elements
# transposed at its edges (a value read transposed back makes its reader's loops short instead)
GAIN_OVER_COST = 1


def _pointwise(e: Eqn) -> bool:
    od = OPS[e.op]
    return (od.fold is not None or od.broadcasts) and not e.attrs and len(e.outputs) == 1 and len(e.inputs) >= 1


def _tiny(shape: tuple) -> int:
    """The tiny last axis's length, or 0."""
    return shape[-1] if len(shape) >= 2 and 2 <= shape[-1] <= MAX_K else 0


def _padded(shape: tuple, r: int) -> tuple:
    return (1,) * (r - len(shape)) + tuple(shape)


def _short_loops(e: Eqn) -> bool:
    """NumPy would run this pointwise step as loops of k elements: an operand broadcast along one of the
    output's last two axes but not the other (neither the output's shape nor constant along both)."""
    out = tuple(e.outputs[0].shape)
    for x in e.inputs:
        s = _padded(tuple(x.shape), len(out))
        if s[-2:] != out[-2:] and s[-2:] != (1, 1):
            return True
    return False


class _Groups:
    """Union-find over the equations that may run coordinate-major."""

    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)


def _member(e: Eqn, tval: set) -> str | None:
    """How e may join a group: "pw" (pointwise, tiny last axis), "rs" (a reshape keeping the tiny axis
    last), "sum" (a sum of a member's value), or None."""
    if len(e.outputs) != 1:
        return None
    out = tuple(e.outputs[0].shape)
    if _pointwise(e):
        k = _tiny(out)
        if k and all(len(x.shape) <= len(out) and (not x.shape or x.shape[-1] in (1, k)) for x in e.inputs):
            return "pw"
        return None
    x = e.inputs[0] if e.inputs else None
    if OPS[e.op].reshapes:
        return "rs" if _tiny(out) and x.shape and x.shape[-1] == out[-1] else None
    if e.op == "reduce_to" and x.id in tval:
        return "rt"  # summed to (..., k) (coordinate-major result) or to (..., 1) (plain)
    if e.op == "sum" and x.id in tval and not e.attrs.get("keepdims"):
        r = len(x.shape)
        if r - 1 in norm_axes("sum", e.attrs.get("axis"), r) or _tiny(out) == x.shape[-1]:
            return "sum"  # over the tiny axis (plain result) or keeping it last (coordinate-major result)
    return None


def _coordinate_major(e: Eqn, kind: str) -> bool:
    """A member's result keeps the tiny axis (it is made coordinate-major), or the tiny axis is summed."""
    x, o = e.inputs[0], e.outputs[0]
    if kind == "sum":
        return len(x.shape) - 1 not in norm_axes("sum", e.attrs.get("axis"), len(x.shape))
    if kind == "rt":
        return _padded(tuple(o.shape), len(x.shape))[-1] != 1
    return True


def tiny_axis_first(g: Graph) -> Graph:
    eqns = list(g.eqns)
    kinds: dict[int, str] = {}
    tval: set = set()  # values a member makes with the tiny axis still last (they would be coordinate-major)
    groups = _Groups()
    producer: dict[int, int] = {}
    for i, e in enumerate(eqns):
        kind = _member(e, tval)
        if kind is None:
            continue
        kinds[i] = kind
        groups.parent[i] = i
        for x in e.inputs:
            if x.id in tval:
                groups.union(i, producer[x.id])
        o = e.outputs[0]
        x = e.inputs[0]
        if _coordinate_major(e, kind):
            tval.add(o.id)
            producer[o.id] = i
    if not kinds:
        return g
    chosen = _chosen(g, eqns, kinds, tval, producer, groups)
    if not chosen:
        return g
    return _rewrite(g, eqns, kinds, chosen)


def _consumers(g: Graph, eqns: list) -> dict:
    use: dict[int, list] = {}
    for i, e in enumerate(eqns):
        for x in e.inputs:
            use.setdefault(x.id, []).append(i)
    for v in tree_flatten(g.outputs):
        use.setdefault(v.id, []).append(-1)
    return use


def _chosen(g, eqns, kinds, tval, producer, groups) -> set:
    """The members of the groups worth computing coordinate-major: leaves that gain nothing dropped first
    (a pointwise step without short loops whose value only leaves the group: transposing its operand back
    costs what transposing its result would, and keeps the step's value in the plain layout)."""
    use = _consumers(g, eqns)
    members = set(kinds)
    changed = True
    while changed:
        changed = False
        for i in sorted(members, reverse=True):
            e = eqns[i]
            if kinds[i] == "pw" and not _short_loops(e) and \
                    not any(j in members for j in use.get(e.outputs[0].id, [])):
                members.discard(i)
                changed = True
    by_group: dict[int, list] = {}
    for i in members:
        by_group.setdefault(groups.find(i), []).append(i)
    chosen: set = set()
    for idx in by_group.values():
        mine = set(idx)
        made = {eqns[i].outputs[0].id for i in idx if eqns[i].outputs[0].id in tval}
        gain = sum(eqns[i].outputs[0].aval.size for i in idx if kinds[i] == "pw" and _short_loops(eqns[i]) and
                   eqns[i].outputs[0].aval.size // eqns[i].outputs[0].shape[-1] >= MIN_ROWS)
        cost = 0
        seen: set = set()
        for i in idx:
            for x in eqns[i].inputs:
                if x.id not in made and x.id not in seen and x.shape and x.shape[-1] > 1:
                    seen.add(x.id)
                    cost += x.aval.size  # an operand transposed in (a copy of it, read strided)
        for v in made:
            if any(j not in mine for j in use.get(v, [])):
                cost += next(eqns[i].outputs[0].aval.size for i in idx if eqns[i].outputs[0].id == v)
        if gain > GAIN_OVER_COST * cost:
            chosen |= mine
    return chosen


def _first(shape: tuple) -> tuple:
    return (shape[-1],) + tuple(shape[:-1])


def _rewrite(g: Graph, eqns: list, kinds: dict, chosen: set) -> Graph:
    out_eqns: list[Eqn] = []
    coord: dict[int, Var] = {}  # original value id -> its coordinate-major value
    fresh: dict[tuple, Var] = {}  # (value id, rank) -> an operand made coordinate-major at that rank
    use = _consumers(g, eqns)

    def emit(op, ins, attrs, aval, label=None, out: Var | None = None) -> Var:
        o = out if out is not None else Var(aval)
        out_eqns.append(Eqn(op, tuple(ins), attrs, (o,), label))
        return o

    def operand(x: Var, r: int) -> Var:
        """x seen coordinate-major at rank r (a rank-0 value as it is)."""
        if not x.shape:
            return x
        key = (x.id, r)
        if key in fresh:
            return fresh[key]
        if x.id in coord:
            t = coord[x.id]
            shape = (t.shape[0],) + (1,) * (r - len(t.shape)) + tuple(t.shape[1:])
            v = t if shape == tuple(t.shape) else emit("reshape", [t], {"shape": shape}, AVal(shape, x.dtype))
        else:
            s = _padded(tuple(x.shape), r)
            if s[-1] == 1:  # nothing moves: a reshape
                v = emit("reshape", [x], {"shape": _first(s)}, AVal(_first(s), x.dtype))
            else:
                xr = x if s == tuple(x.shape) else emit("reshape", [x], {"shape": s}, AVal(s, x.dtype))
                perm = (r - 1,) + tuple(range(r - 1))
                v = emit("transpose", [xr], {"perm": perm}, AVal(_first(s), x.dtype))
        fresh[key] = v
        return v

    for i, e in enumerate(eqns):
        if i not in chosen:
            out_eqns.append(e)
            continue
        o = e.outputs[0]
        kind = kinds[i]
        if kind == "pw":
            r = len(o.shape)
            t = emit(e.op, [operand(x, r) for x in e.inputs], e.attrs, AVal(_first(tuple(o.shape)), o.dtype), e.label)
        elif kind == "rs":
            x = e.inputs[0]
            t = emit("reshape", [operand(x, len(x.shape))], {"shape": _first(tuple(o.shape))},
                     AVal(_first(tuple(o.shape)), o.dtype), e.label)
        elif kind == "rt":
            x = e.inputs[0]
            r = len(x.shape)
            s = _padded(tuple(o.shape), r)
            t = emit("reduce_to", [operand(x, r)], {"shape": _first(s)}, AVal(_first(s), o.dtype), e.label)
            if s[-1] == 1:  # the tiny axis summed: (1, ...) is the plain layout of the result
                emit("reshape", [t], {"shape": tuple(o.shape)}, o.aval, out=o)
                continue
            if len(s) != len(o.shape):
                t = emit("reshape", [t], {"shape": _first(tuple(o.shape))}, AVal(_first(tuple(o.shape)), o.dtype))
        else:  # sum
            x = e.inputs[0]
            r = len(x.shape)
            axes = norm_axes("sum", e.attrs.get("axis"), r)
            moved = tuple(sorted(0 if a == r - 1 else a + 1 for a in axes))
            attrs = dict(e.attrs, axis=moved)
            if r - 1 in axes:  # the tiny axis summed: the result comes out in the plain layout
                emit("sum", [operand(x, r)], attrs, o.aval, e.label, out=o)
                continue
            t = emit("sum", [operand(x, r)], attrs, AVal(_first(tuple(o.shape)), o.dtype), e.label)
        coord[o.id] = t
        if any(j not in chosen for j in use.get(o.id, [])):  # read outside the group: its plain layout, a view
            r = len(o.shape)
            emit("transpose", [t], {"perm": tuple(range(1, r)) + (0,)}, o.aval, out=o)
    return Graph(g.inputs, g.params, out_eqns, g.outputs, g.param_values, g.functions, g.name)
