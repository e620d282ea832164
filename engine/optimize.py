"""Graph optimisation passes over a flat (lowered) graph.

The builder folds constants, simplifies algebra and merges duplicate equations
as they are emitted. Differentiation leaves `identity` marks (fresh
differentiation points), which hide duplicates from that CSE; `rebuild`
re-emits the graph without them so the builder's rules see the whole graph,
then `dce` drops what no output needs.

`optimize` then runs the passes that may reassociate (values within the dtype's
rounding, not bit for bit): sign motion (exact), unbroadcast.py, layout.py (pointwise steps on arrays
with a tiny last axis computed with that axis first), contract.py,
doubling.py, the reshape-chain rule once more over what they emitted, sign motion
once more (contract's products hid negations from the first), factor.py (sums of
products sharing a finite constant factor) and reuse.py (product chains over a
product the graph already makes).
"""
from __future__ import annotations

from .builder import Budget, Builder
from .contract import contract
from .doubling import fold_doubling, scalar_value
from .factor import factor_products
from .ir import Eqn, Graph, Var, is_float, tree_flatten, tree_unflatten
from .layout import tiny_axis_first
from .ops.registry import OPS, layers
from .reuse import reuse_products
from .simplify import _broadcast_shape
from .unbroadcast import unbroadcast


def rebuild(g: Graph, budget: Budget | None = None) -> Graph:
    """Re-emit through a Builder with identities removed: CSE, folding, simplification. Each equation re-emitted
    costs `budget` what emitting it did (the same inference, simplification and CSE key): a lowering's rebuilds
    are a good part of its time."""
    b = Builder(functions=g.functions, budget=budget)
    env: dict[int, object] = {v.id: v for v in list(g.inputs) + list(g.params)}
    for e in g.eqns:
        ins = [env[x.id] for x in e.inputs]
        if e.op == "identity":
            env[e.outputs[0].id] = ins[0]
            continue
        b.node_label = e.label
        with b.zero_fills(symbolic=e.outputs[0].symbolic if e.outputs else False):  # kept across the rebuild
            for o, n in zip(e.outputs, b.emit(e.op, ins, e.attrs)):
                env[o.id] = n
    outs = tree_unflatten(g.outputs, [env[v.id] for v in tree_flatten(g.outputs)])
    return Graph(g.inputs, g.params, b.eqns, outs, g.param_values, g.functions, g.name)


def dce(g: Graph) -> Graph:
    live = {v.id for v in tree_flatten(g.outputs)}
    kept = []
    for e in reversed(g.eqns):
        if any(o.id in live for o in e.outputs):
            kept.append(e)
            live.update(x.id for x in e.inputs)
    kept.reverse()
    return Graph(g.inputs, g.params, kept, g.outputs, g.param_values, g.functions, g.name)


def absorb_neg(g: Graph) -> Graph:
    """Fold negations into their consumers, exactly: add(a, -b) = sub(a, b), sub(a, -b) =
    add(a, b), -(-a) = a, and a sign through mul/div ((-a) * b = -(a * b)), so a chain of
    products carries one sign to the add/sub that absorbs it. Each is an IEEE identity
    (negation is exact and rounding is sign-symmetric), so values are bit-for-bit the same.
    Derivative rules emit many such negs (d cos = -sin, d tanh via 1 - y^2, ...).

    A negated value is kept lazily as (value, sign) and materialised (one neg, shared) only
    where a consumer needs it; a sign is pushed through mul/div only when the negated
    operand has no other use, and through a linear op with a smaller output (a sum) always,
    so the pass adds a neg only where it is smaller than one it saves. A materialised
    -(x * c), c a constant, is x * (-c) (the plan folds -c once): no pass of its own.
    square and abs take the unnegated value (they are even), so a negation they alone need vanishes.
    Operands of the add/sub/mul/div it emits skip a broadcast_to when their source broadcasts
    to the same shape (a neg hid it from the builder's rule: add(a, -broadcast_to(b))).
    """
    s = _SignMotion(g)
    for e in g.eqns:
        s.step(e)
    outs = [s.value(v) for v in tree_flatten(g.outputs)]
    return Graph(g.inputs, g.params, s.eqns, tree_unflatten(g.outputs, outs), g.param_values, g.functions, g.name)


EVEN = ("square", "abs")  # f(-a) = f(a) exactly (for abs, of a real a: complex abs is even too)


class _SignMotion:
    """State of absorb_neg: each original value as (value in the new graph, negated?)."""

    def __init__(self, g: Graph):
        self.uses: dict[int, int] = {}
        for e in g.eqns:
            if e.op in EVEN:
                continue  # takes either sign: no use that needs a negation materialised
            for x in e.inputs:
                self.uses[x.id] = self.uses.get(x.id, 0) + 1
        for v in tree_flatten(g.outputs):
            self.uses[v.id] = self.uses.get(v.id, 0) + 2  # outputs are always materialised
        self.env: dict[int, tuple[Var, bool]] = {}  # original id -> (var in the new graph, negated?)
        self.mat: dict[int, Var] = {}  # new var id -> its materialised negation
        self.eqns: list[Eqn] = []
        self.made: dict[int, Eqn] = {}  # new var id -> its equation
        self.const: set[int] = set()  # new var ids that depend on no input or parameter

    def append(self, e: Eqn) -> None:
        self.eqns.append(e)
        for o in e.outputs:
            self.made[o.id] = e
            if all(x.id in self.const for x in e.inputs):
                self.const.add(o.id)

    def emit(self, op, ins, aval, attrs=None, label=None) -> Var:
        out = Var(aval)
        if OPS[op].broadcasts and len(ins) == 2:
            ins = self.unbroadcast(ins, aval.shape)
        self.append(Eqn(op, tuple(ins), attrs or {}, (out,), label))
        return out

    def unbroadcast(self, ins, shape) -> list:
        ins = list(ins)
        for i in (0, 1):
            e = self.made.get(ins[i].id)
            if e is not None and e.op == "broadcast_to" and \
                    _broadcast_shape(e.inputs[0].shape, ins[1 - i].shape) == tuple(shape):
                ins[i] = e.inputs[0]
        return ins

    def get(self, x) -> tuple[Var, bool]:
        return self.env.get(x.id, (x, False))

    def value(self, x) -> Var:
        v, n = self.get(x)
        if not n:
            return v
        if v.id not in self.mat:
            e = self.made.get(v.id)
            if e is not None and OPS[e.op].reshapes:  # -(r(a * c)) = r(a * (-c)): a reshape is a free view
                e = self.made.get(e.inputs[0].id)
            c = None if e is None or e.op != "mul" or e.attrs or not is_float(x.dtype) else \
                next((i for i in (1, 0) if e.inputs[i].id in self.const), None)
            if c is None:
                self.mat[v.id] = self.emit("neg", [v], x.aval)
            else:  # -(a * c) = a * (-c): the plan computes -c once
                ins = list(e.inputs)
                ins[c] = self.emit("neg", [ins[c]], ins[c].aval)
                m = self.emit("mul", ins, e.outputs[0].aval)
                self.mat[v.id] = m if m.aval == x.aval else self.emit("reshape", [m], x.aval, {"shape": tuple(x.shape)})
        return self.mat[v.id]

    def scalar(self, v) -> float | None:
        return scalar_value(v, self.made, self.const)

    def sole(self, x, out) -> bool:
        """x is negated, used only here, and the consumer's result is no larger than x:
        its sign may move past the consumer without ever costing a bigger neg."""
        return self.get(x)[1] and self.uses.get(x.id, 0) == 1 and out.aval.size <= x.aval.size

    def step(self, e: Eqn) -> None:
        out = e.outputs[0] if len(e.outputs) == 1 else None
        if e.op in EVEN and not e.attrs:  # square(-a) = square(a), |-a| = |a|, exactly
            v = self.get(e.inputs[0])[0]
            self.append(Eqn(e.op, (v,), e.attrs, e.outputs, e.label))
            return
        if out is None or not is_float(out.dtype) or not (self._arith(e, out) or self._linear(e, out)):
            self.append(Eqn(e.op, tuple(self.value(x) for x in e.inputs), e.attrs, e.outputs, e.label))

    def _linear(self, e: Eqn, out: Var) -> bool:
        """A sign moves past a linear, sign-symmetric op (sums and matrix products round
        symmetrically): op(-a) = -op(a); for two operands (-A) @ B = -(A @ B) = A @ (-B)."""
        od = OPS[e.op]
        if not (od.linear and od.sign_symmetric):
            return False
        if len(e.inputs) == 1:
            x = e.inputs[0]
            if not (self.sole(x, out) or (self.get(x)[1] and out.aval.size < x.aval.size)):
                return False
            self.env[out.id] = (self.emit(e.op, [self.get(e.inputs[0])[0]], out.aval, e.attrs, e.label), True)
            return True
        if len(e.inputs) != 2:
            return False
        na, nb = self.sole(e.inputs[0], out), self.sole(e.inputs[1], out)
        if not (na or nb):
            return False
        a = self.get(e.inputs[0])[0] if na else self.value(e.inputs[0])
        b = self.get(e.inputs[1])[0] if nb else self.value(e.inputs[1])
        self.env[out.id] = (self.emit(e.op, [a, b], out.aval, e.attrs, e.label), na != nb)
        return True

    def _arith(self, e: Eqn, out: Var) -> bool:
        """neg, add, sub, mul, div: the sign identities of the docstring."""
        op = e.op
        if op not in ("neg", "add", "sub", "mul", "div") or e.attrs:
            return False
        if op == "neg":
            v, n = self.get(e.inputs[0])
            self.env[out.id] = (v, not n)
            return True
        (a, na), (b, nb) = self.get(e.inputs[0]), self.get(e.inputs[1])
        for i, (x, n) in enumerate(((b, nb), (a, na))):  # x * (+-1) = +-x exactly, for a product of the other's type
            unit = self.scalar(x) if op == "mul" or (op == "div" and i == 0) else None
            if unit is not None and abs(unit) == 1.0 and (a, b)[i].aval == out.aval:
                v, m = ((a, na), (b, nb))[i]
                self.env[out.id] = (v, m != (n != (unit < 0)))
                return True
        if op in ("mul", "div"):
            # push a sign outwards only from operands used nowhere else
            if na and self.uses.get(e.inputs[0].id, 0) > 1:
                a, na = self.value(e.inputs[0]), False
            if nb and self.uses.get(e.inputs[1].id, 0) > 1:
                b, nb = self.value(e.inputs[1]), False
            self.env[out.id] = (self.emit(op, [a, b], out.aval), na != nb)
            return True
        if op == "sub":  # a - b = a + (-b)
            nb = not nb
        # a + b with signs: (+,+) a + b; (+,-) a - b; (-,+) b - a; (-,-) -(a + b)
        if na and nb:
            self.env[out.id] = (self.emit("add", [a, b], out.aval), True)
        elif na:
            self.env[out.id] = (self.emit("sub", [b, a], out.aval), False)
        elif nb:
            self.env[out.id] = (self.emit("sub", [a, b], out.aval), False)
        else:
            self.env[out.id] = (self.emit("add", [a, b], out.aval), False)
        return True


def collapse_reshapes(g: Graph) -> Graph:
    """A reshape (expand_dims, squeeze) of a reshape is one reshape of the source, as the builder's rule
    makes them; the passes after it (contract, unbroadcast) emit such chains. One view step less each."""
    made: dict[int, Eqn] = {}
    alias: dict[int, Var] = {}
    eqns = []
    out_ids = {v.id for v in tree_flatten(g.outputs)}
    for e in g.eqns:
        ins = tuple(alias.get(x.id, x) for x in e.inputs)
        src = made.get(ins[0].id) if len(ins) == 1 and OPS[e.op].reshapes else None
        if src is not None and OPS[src.op].reshapes:
            x, out = src.inputs[0], e.outputs[0]
            if x.aval == out.aval and out.id not in out_ids:
                alias[out.id] = x
                continue
            e = Eqn("reshape", (x,), {"shape": tuple(out.shape)}, e.outputs, e.label)
        elif ins != e.inputs:
            e = Eqn(e.op, ins, e.attrs, e.outputs, e.label)
        eqns.append(e)
        for o in e.outputs:
            made[o.id] = e
    outs = tree_unflatten(g.outputs, [alias.get(v.id, v) for v in tree_flatten(g.outputs)])
    return Graph(g.inputs, g.params, eqns, outs, g.param_values, g.functions, g.name)


def canonical(g: Graph, budget: Budget | None = None) -> Graph:
    """CSE, folding, simplification and DCE, without sign motion: the form to build on when
    the graph will be differentiated again (absorb_neg moves signs, which hides equal
    terms of the next derivative level from CSE). `budget`: charged as `rebuild`."""
    return dce(rebuild(g, budget))


def charge_passes(g: Graph, budget: Budget | None) -> None:
    """The rewriting passes after `canonical` (sign motion, unbroadcast, contract, doubling, with their dce)
    charged one unit per equation: together they take about what re-emitting the graph does (measured on a
    17 K-equation 4th-order gradient: ~1.3 s against ~1.2 s for its rebuild; with the second sign motion,
    factor.py and reuse.py, W6's 5.8 K-equation 5th-order chain: ~2.0 s against ~1.8 s, at load ~17)."""
    if budget is not None:
        budget.charge(g.name, len(g.eqns))


def optimize(g: Graph, budget: Budget | None = None) -> Graph:
    """`budget`: the work of the lowering this finishes (None: not counted)."""
    g = canonical(g, budget)
    charge_passes(g, budget)
    # dce before the passes that read use counts, which the dead equations a pass leaves inflate
    g = fold_doubling(dce(contract(dce(tiny_axis_first(unbroadcast(absorb_neg(g)))))))
    # again: a doubling moved onto a constant scalar can leave c * (c' * x), which folds to x * (c * c')
    g = dce(collapse_reshapes(fold_doubling(dce(g))))
    # signs once more (contract's products hide negations from the first pass), then shared factors, which
    # pair best once the signs sit on the sums (a - b, not a + (-b))
    return dce(reuse_products(dce(factor_products(dce(absorb_neg(g))))))


layers.optimize = optimize  # for op rules that optimise the graphs they build (control flow)
