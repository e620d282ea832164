"""x + x, with x a product, computed by doubling the product's smallest factor.

Derivatives of squares leave add(x, x) (d(d*d) = ct*d + d*ct, CSE'd to one term): a pass over the
whole array. When x is a product used only here, 2 * (p * q) = p * (2 * q): the doubling moves to
q, a constant where one exists (the plan folds it) or else the smaller factor, recursively; through
a sub/add whose operands are both reshapes of one value s (used only there), 2 * (r(s) - r'(s)) =
r(2s) - r'(2s). L1's force term has both (two (32, 32, 3) passes less). Likewise a product scaled
by two constant scalars in a row, c2 * (c1 * x), is x * (c1 * c2).

Exact up to overflow and underflow: a power-of-two scale commutes with rounding, so every value is
the same unless an intermediate 2 * q overflows (or p * q was subnormal); c1 * c2 is exact where
either is a power of two (L1's 2 and 1/96) and within one rounding otherwise. It runs with the
reassociating passes.

More generally a constant scalar scale sinks into a constant further on: K * f(c * x), f linear along
values used only there, is f(x) * (K * c) (_sink_scale; within a few roundings).
"""
from __future__ import annotations

import math

import numpy as np

from .ir import NP_DTYPES, Eqn, Graph, Var, is_float, tree_flatten, tree_unflatten
from .ops.registry import OPS

SINK_MAX_CONST = 1 << 16  # elements of a constant a scale sinks into (the plan keeps K * c beside K)
SCALAR_FOLDS = {"neg": np.negative, "add": np.add, "sub": np.subtract, "mul": np.multiply}


def scalar_value(v: Var, made: dict, const: set, depth: int = 0) -> float | None:
    """The value of v, a 0-d float constant made of fills and SCALAR_FOLDS (this pass's c + c and c1 * c2),
    as its dtype computes it; None for anything else. made: var id -> its equation; const: the ids of
    values that depend on no input or parameter."""
    e = made.get(v.id)
    if v.id not in const or v.aval.ndim != 0 or not is_float(v.dtype) or e is None or len(e.outputs) != 1 or depth > 16:
        return None
    dt = NP_DTYPES[v.dtype]
    if e.op == "fill":
        return float(np.asarray(e.attrs["value"], dt))
    vals = [scalar_value(x, made, const, depth + 1) for x in e.inputs]
    if None in vals or e.op not in SCALAR_FOLDS or e.attrs:
        return None
    return float(SCALAR_FOLDS[e.op](*[np.asarray(x, dt) for x in vals]))


def fold_doubling(g: Graph) -> Graph:
    d = _Doubling(g)
    for e in g.eqns:
        d.step(e)
    outs = tree_unflatten(g.outputs, [d.alias.get(v.id, v) for v in tree_flatten(g.outputs)])
    return Graph(g.inputs, g.params, d.eqns, outs, g.param_values, g.functions, g.name)


class _Doubling:
    def __init__(self, g: Graph):
        self.uses: dict[int, int] = {}
        for e in g.eqns:
            for x in e.inputs:
                self.uses[x.id] = self.uses.get(x.id, 0) + 1
        for v in tree_flatten(g.outputs):
            self.uses[v.id] = self.uses.get(v.id, 0) + 2
        runtime = {v.id for v in list(g.inputs) + list(g.params)}
        self.const: set[int] = set()  # values that depend on no input or parameter
        self.made: dict[int, Eqn] = {}
        for e in g.eqns:
            for o in e.outputs:
                self.made[o.id] = e
                if any(x.id in runtime for x in e.inputs):
                    runtime.add(o.id)
                else:
                    self.const.add(o.id)
        self.eqns: list[Eqn] = []
        self.alias: dict[int, Var] = {}
        self.label = None

    def step(self, e: Eqn) -> None:
        ins = tuple(self.alias.get(x.id, x) for x in e.inputs)
        if e.op == "mul" and ins == e.inputs and (self._scale_chain(e) or self._sink_scale(e)):
            return
        if e.op == "add" and len(ins) == 2 and ins[0] is ins[1] and not e.attrs and is_float(e.outputs[0].dtype) \
                and self.uses.get(e.inputs[0].id) == 2 and ins[0].id not in self.const:  # c + c: the plan folds it
            self.label = e.label
            v = self._twice(ins[0])
            if v is not None:
                self.alias[e.outputs[0].id] = v
                return
        self.eqns.append(e if ins == e.inputs else Eqn(e.op, ins, e.attrs, e.outputs, e.label))

    def _scale_chain(self, e: Eqn) -> bool:
        """c2 * (c1 * x), c1 and c2 constant scalars and the inner product used only here: x * (c1 * c2),
        one pass over x (the plan folds c1 * c2). L1's force residual is scaled so twice (2 from the
        square's derivative, 1/96 from the mean's)."""
        if e.attrs or len(e.inputs) != 2 or not is_float(e.outputs[0].dtype):
            return False
        for i in (0, 1):
            c2, y = e.inputs[i], e.inputs[1 - i]
            inner = self.made.get(y.id)
            if not self._scalar_const(c2) or inner is None or inner.op != "mul" or inner.attrs or \
                    self.uses.get(y.id) != 1 or y.id in self.alias:
                continue
            j = next((j for j in (0, 1) if self._scalar_const(inner.inputs[j])), None)
            if j is None:
                continue
            x = self.alias.get(inner.inputs[1 - j].id, inner.inputs[1 - j])
            self.label = e.label
            c = self.emit("mul", [inner.inputs[j], c2], c2)
            self.alias[e.outputs[0].id] = self.emit("mul", [x, c], e.outputs[0])
            return True
        return False

    def _sink_scale(self, e: Eqn) -> bool:
        """K * f(c * x), K a constant, c a constant scalar, f linear in its operand along a chain of values
        used only there: f(x) * (K * c), one pass less (the plan folds K * c). L1's force residual is
        scaled by 1/24 before a sum of broadcast differences, a product with the pair distances, a sum over
        the coordinates, and the mask. Reassociates (c moves through sums and products): to float rounding;
        c is finite and nonzero, so NaN and inf come out where they did up to overflow."""
        if e.attrs or len(e.inputs) != 2 or not is_float(e.outputs[0].dtype):
            return False
        for i in (0, 1):
            k, y = e.inputs[i], e.inputs[1 - i]
            if k.id not in self.const or y.id in self.const or self.uses.get(y.id) != 1 or k.dtype != y.dtype or \
                    k.aval.size > SINK_MAX_CONST:
                continue
            mark = len(self.eqns)
            self.label = e.label
            r = self._unscaled(y)
            if r is None:
                del self.eqns[mark:]  # what a failed walk emitted
                continue
            y2, c = r
            kc = self.emit("mul", [k, c], k)
            self.alias[e.outputs[0].id] = self.emit("mul", [y2, kc] if i else [kc, y2], e.outputs[0])
            return True
        return False

    def _unscaled(self, y: Var, depth: int = 0) -> tuple[Var, Var] | None:
        """(y', c) with y = c * y' (re-emitted without the scale), c a finite nonzero constant scalar, found
        along y's chain of linear ops whose values are used only in it; None where there is none."""
        y = self.alias.get(y.id, y)  # (use counts stay the original value's: the caller read them)
        e = self.made.get(y.id)
        if e is None or depth > 8 or len(e.outputs) != 1:
            return None
        orig = e.inputs  # the equation's own operands (their use counts) and what stands for them now
        ins = [self.alias.get(x.id, x) for x in orig]
        if e.op == "mul" and not e.attrs:
            for j in (0, 1):
                c, x = ins[j], ins[1 - j]
                if self._scalar_const(c) and x.aval == y.aval and self._finite_nonzero(c):
                    return x, c
            for j in (0, 1):  # a product is linear in each factor
                r = self._unscaled(orig[j], depth + 1) if self.uses.get(orig[j].id) == 1 else None
                if r is not None:
                    ins[j] = r[0]
                    return self.emit("mul", ins, y), r[1]
            return None
        if e.op in ("add", "sub") and not e.attrs:  # r(s) - r'(s), s used only there: c moves out of both
            s = self._views_of_one(orig)
            r = None if s is None else self._unscaled(s, depth + 1)
            return None if r is None else (self.emit(e.op, self._views(orig, r[0]), y), r[1])
        if not OPS[e.op].linear:
            return None
        for j, x in enumerate(orig):  # linear in x where every other operand is a constant (matmul by ones)
            if self.uses.get(x.id) != 1 or any(z.id not in self.const for n, z in enumerate(ins) if n != j):
                continue
            r = self._unscaled(x, depth + 1)
            if r is not None:
                ins[j] = r[0]
                return self.emit(e.op, ins, y, e.attrs), r[1]
        return None

    def _finite_nonzero(self, c: Var) -> bool:
        value = scalar_value(c, self.made, self.const)
        return value is not None and math.isfinite(value) and value != 0

    def _scalar_const(self, v: Var) -> bool:
        return v.id in self.const and v.aval.ndim == 0 and v.dtype == v.aval.dtype

    def emit(self, op: str, ins: list, like: Var, attrs=None) -> Var:
        out = Var(like.aval)
        e = Eqn(op, tuple(ins), attrs or {}, (out,), self.label)
        self.eqns.append(e)
        self.made[out.id] = e  # (what _unscaled walks may be a value this pass made)
        if ins and all(x.id in self.const for x in ins):
            self.const.add(out.id)
        return out

    def _twice(self, x: Var, depth: int = 0) -> Var | None:
        """A value equal to 2 * x, or None where doubling x itself is as cheap as it gets. x's own
        equation stays (dce drops it when this was its only use)."""
        if x.id in self.const:
            return self.emit("add", [x, x], x)  # the plan folds it
        e = self.made.get(x.id)
        if e is None or depth > 8 or len(e.outputs) != 1 or e.attrs and e.op in ("mul", "add", "sub"):
            return None
        ins = [self.alias.get(y.id, y) for y in e.inputs]
        if e.op == "mul" and all(y.dtype == x.dtype for y in ins):
            i = next((i for i in (1, 0) if ins[i].id in self.const), None)
            if i is None:
                i = min((0, 1), key=lambda j: ins[j].aval.size)
                if ins[i].aval.size >= x.aval.size:
                    return None
            q = ins[i]
            q2 = (self._twice(q, depth + 1) if self.uses.get(q.id) == 1 or q.id in self.const else None) or \
                self.emit("add", [q, q], q)
            args = list(ins)
            args[i] = q2
            return self.emit("mul", args, x)
        if e.op in ("add", "sub"):
            s = self._views_of_one(ins)
            s2 = None if s is None else self._twice(s, depth + 1)
            if s2 is None:
                return None
            parts = self._views(ins, s2)
            return self.emit(e.op, parts, x)
        return None

    def _views_of_one(self, ins) -> Var | None:
        """s where ins are two reshapes r(s), r'(s), each used only once and s used only by them."""
        srcs = [self._reshaped_from(y) for y in ins]
        s = srcs[0]
        if s is None or srcs[1] is not s or self.uses.get(s.id) != 2 or any(self.uses.get(y.id) != 1 for y in ins):
            return None
        return s

    def _views(self, ins, s: Var) -> list:
        """The reshapes that made ins, re-emitted of s."""
        return [self.emit(self.made[y.id].op, [s], y, self.made[y.id].attrs) for y in ins]

    def _reshaped_from(self, y: Var) -> Var | None:
        e = self.made.get(y.id)
        return e.inputs[0] if e is not None and OPS[e.op].reshapes and len(e.inputs) == 1 else None
