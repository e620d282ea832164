"""A sum of products that share a finite constant factor computes the product once: A @ C ± B @ C = (A ± B) @ C.

contract.py turns each sum into a product with ones, so a difference of sums of one shape is two
products and a sub: colsum(N) - colsum(M) in L1's first-layer bias gradient. One sub and one product
(ones @ (N - M)) do the same (one kernel step less).

`factor_products` looks at each maximal tree of float add/sub (operands of the output's shape, inner
nodes used only in the tree), as signed terms; two terms that are products (matmul with equal attrs, or
mul), possibly viewed through a reshape, used only there, with one operand the same finite constant in
the same place (constants made the same way count as the same: contract.py makes a `ones` per sum) and
the other operands of one type, become one product of their (signed) sum. Differences made twice are
made once. A tree with no such pair is left exactly as it was.

Why only a finite constant factor: with C finite, every infinite or NaN term of A @ C - B @ C has its
counterpart in (A - B) @ C (an inf of A at k gives an inf of the same sign at k, two meet as inf - inf
either way), so NaN and inf come out where they did. A factor computed at run time may hold an inf,
and then A * inf - B * inf (NaN for A, B of one sign) would become (A - B) * inf, an inf: never done.
Otherwise the sum is reassociated (as contract.py's are): values agree to the dtype's precision, not
bit for bit, and a partial sum or product that overflows in one order may be finite in the other.
It runs last (after contract, whose products with ones it factors, and the last sign motion).
"""
from __future__ import annotations

import math

import numpy as np

from .builder import attrs_key
from .ir import Eqn, Graph, Var, is_float, tree_flatten, tree_unflatten
from .ops.registry import OPS

PRODUCTS = ("matmul", "mul")


class _Term:
    """sign * product(shared, other) (op set), or sign * var (op None)."""

    def __init__(self, sign: int, var: Var | None = None, op: str | None = None, attrs=None, place: int = 0,
                 shared: Var | None = None, other: Var | None = None, like: Var | None = None):
        self.sign, self.var, self.op, self.attrs, self.place = sign, var, op, attrs, place
        self.shared, self.other, self.like = shared, other, like


def factor_products(g: Graph) -> Graph:
    return _Factoring(g).run()


class _Factoring:
    def __init__(self, g: Graph):
        self.g = g
        self.uses: dict[int, int] = {}
        self.consumer: dict[int, Eqn] = {}
        self.made: dict[int, Eqn] = {}
        runtime = {v.id for v in list(g.inputs) + list(g.params)}
        self.const: set[int] = set()
        for e in g.eqns:
            for x in e.inputs:
                self.uses[x.id] = self.uses.get(x.id, 0) + 1
                self.consumer[x.id] = e
            for o in e.outputs:
                self.made[o.id] = e
                (runtime.add if any(x.id in runtime for x in e.inputs) else self.const.add)(o.id)
        for v in tree_flatten(g.outputs):
            self.uses[v.id] = self.uses.get(v.id, 0) + 2
        self.eqns: list[Eqn] = []
        self.alias: dict[int, Var] = {}
        self.made_here: dict[tuple, Var] = {}  # (op, input ids, attrs) -> a value this pass made
        self.label: str | None = None

    def run(self) -> Graph:
        for e in self.g.eqns:
            ins = tuple(self.alias.get(x.id, x) for x in e.inputs)
            if ins != e.inputs:
                # the tree walk reads operands through `made`: a later tree reaching this equation must see
                # the factored value an earlier root was replaced by, not that root's dropped output
                e = Eqn(e.op, ins, e.attrs, e.outputs, e.label)
                self.made.update((o.id, e) for o in e.outputs)
            if not (self._root(e) and self._factor(e)):
                self.eqns.append(e)
        g = self.g
        outs = tree_unflatten(g.outputs, [self.alias.get(v.id, v) for v in tree_flatten(g.outputs)])
        return Graph(g.inputs, g.params, self.eqns, outs, g.param_values, g.functions, g.name)

    # -- the sum trees ----------------------------------------------------------------------------
    def _inner(self, e: Eqn | None, like: Var) -> bool:
        """e is an add/sub of operands of `like`'s type (no broadcast), a node of a sum tree."""
        return e is not None and e.op in ("add", "sub") and not e.attrs and len(e.outputs) == 1 and \
            e.outputs[0].aval == like.aval and is_float(like.dtype) and all(x.aval == like.aval for x in e.inputs)

    def _root(self, e: Eqn) -> bool:
        """e is the top of a sum tree: not an inner node of a larger one."""
        out = e.outputs[0] if len(e.outputs) == 1 else None
        if out is None or not self._inner(e, out):
            return False
        c = self.consumer.get(out.id)
        return not (self.uses.get(out.id) == 1 and self._inner(c, out))

    def _terms(self, v: Var, sign: int, root: Var, terms: list, depth: int = 0) -> None:
        e = self.made.get(v.id)
        if depth < 32 and self.uses.get(v.id) == 1 and self._inner(e, root):
            self._terms(e.inputs[0], sign, root, terms, depth + 1)
            self._terms(e.inputs[1], sign if e.op == "add" else -sign, root, terms, depth + 1)
            return
        terms.append(_Term(sign, var=v))

    def _factor(self, e: Eqn) -> bool:
        out = e.outputs[0]
        self.label = e.label
        terms: list[_Term] = []
        self._terms(e.inputs[0], 1, out, terms)
        self._terms(e.inputs[1], 1 if e.op == "add" else -1, out, terms)
        products = [self._product(t) for t in terms]
        merged = False
        while True:
            pair = self._pair(products)
            if pair is None:
                break
            i, j = pair
            products[i] = self._merge(products[i], products[j])
            del products[j]
            merged = True
        if not merged:
            return False
        vals = [(self._value(t, out), t.sign) for t in products]
        k = next(k for k, (_, s) in enumerate(vals) if s > 0)  # the leftmost term is always positive
        acc = vals[k][0]
        for n, (v, s) in enumerate(vals):
            if n != k:
                acc = self._emit("add" if s > 0 else "sub", (acc, v), out)
        self.alias[out.id] = acc
        return True

    def _product(self, t: _Term) -> _Term:
        """t as a product term where it is a product used only in this tree (of one operand: not shared yet)."""
        v, e = t.var, self.made.get(t.var.id)
        if e is not None and OPS[e.op].reshapes and self.uses.get(v.id) == 1:  # r(A @ X): a view of a product
            v, e = e.inputs[0], self.made.get(e.inputs[0].id)
        if e is None or e.op not in PRODUCTS or self.uses.get(t.var.id) != 1 or self.uses.get(v.id) != 1 or \
                len(e.outputs) != 1 or (e.op == "mul" and e.attrs) or any(x.dtype != v.dtype for x in e.inputs):
            return t
        return _Term(t.sign, var=v, op=e.op, attrs=e.attrs, like=v)

    def _pair(self, terms: list) -> tuple[int, int] | None:
        for i, a in enumerate(terms):
            if a.op is None:
                continue
            for j in range(i + 1, len(terms)):
                b = terms[j]
                if b.op != a.op or b.attrs != a.attrs:
                    continue
                shared = self._shared(a, b)
                if shared is not None:
                    a.place, a.shared, a.other, b.other = shared
                    return i, j
        return None

    def _operands(self, t: _Term) -> tuple:
        if t.shared is not None:  # a merged term: (place, shared, other)
            return tuple((t.shared, t.other)[::1 if t.place == 0 else -1])
        return self.made[t.var.id].inputs

    def _shared(self, a: _Term, b: _Term):
        """(place, shared operand, a's other, b's other) where a and b share an operand, else None."""
        xa, xb = self._operands(a), self._operands(b)
        places = (0, 1) if a.op == "mul" else (a.place,) if a.shared is not None else (0, 1)
        for p in places:
            for pb in ((p,) if a.op == "matmul" else (0, 1)):
                if self._same(xa[p], xb[pb]) and self._finite(xa[p]) and xa[1 - p].aval == xb[1 - pb].aval:
                    return p, xa[p], xa[1 - p], xb[1 - pb]
        return None

    def _same(self, x: Var, y: Var, depth: int = 0) -> bool:
        """x and y are one value: the same Var, or constants made by equal equations (a fill's attrs)."""
        if x is y or x.id == y.id:
            return True
        if depth > 4 or x.id not in self.const or y.id not in self.const or x.aval != y.aval:
            return False
        ex, ey = self.made.get(x.id), self.made.get(y.id)
        if ex is None or ey is None or ex.op != ey.op or len(ex.inputs) != len(ey.inputs) or \
                attrs_key(ex.attrs) != attrs_key(ey.attrs):
            return False
        return all(self._same(p, q, depth + 1) for p, q in zip(ex.inputs, ey.inputs))

    def _finite(self, x: Var, depth: int = 0) -> bool:
        """x is a constant every element of which is finite: a fill or literal of finite values, or a
        rearrangement of one (see the module doc for why the shared factor must be finite)."""
        e = self.made.get(x.id)
        if x.id not in self.const or e is None or depth > 8:
            return False
        if e.op == "fill":
            return math.isfinite(e.attrs["value"])
        if e.op == "const":
            a = np.asarray(e.attrs["value"])
            return a.dtype.kind in "biuf" and bool(np.all(np.isfinite(a)))
        return OPS[e.op].rearranges and len(e.inputs) == 1 and self._finite(e.inputs[0], depth + 1)

    def _merge(self, a: _Term, b: _Term) -> _Term:
        """a + b of two terms sharing a.shared: one term over the signed sum of their other operands."""
        if a.sign == b.sign:
            other, sign = self._emit("add", (a.other, b.other), a.other), a.sign
        else:
            pos, neg = (a.other, b.other) if a.sign > 0 else (b.other, a.other)
            other, sign = self._emit("sub", (pos, neg), a.other), 1
        return _Term(sign, op=a.op, attrs=a.attrs, place=a.place, shared=a.shared, other=other, like=a.like)

    def _value(self, t: _Term, out: Var) -> Var:
        """t's value, of the tree's type `out` (a product of another shape viewed as it)."""
        if t.shared is None:
            return t.var if t.op is None or t.var.aval == out.aval else \
                self._emit("reshape", (t.var,), out, {"shape": tuple(out.shape)})
        ins = (t.shared, t.other) if t.place == 0 else (t.other, t.shared)
        v = self._emit(t.op, ins, t.like, t.attrs)
        return v if v.aval == out.aval else self._emit("reshape", (v,), out, {"shape": tuple(out.shape)})

    def _emit(self, op: str, ins: tuple, like: Var, attrs=None) -> Var:
        key = (op, tuple(x.id for x in ins), attrs_key(attrs or {}))
        if key in self.made_here:
            return self.made_here[key]
        out = Var(like.aval)
        self.eqns.append(Eqn(op, tuple(ins), dict(attrs or {}), (out,), self.label))
        self.made_here[key] = out
        return out
