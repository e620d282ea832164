"""(s * a) * b, where the graph already has a * b, is s * (a * b): one product of the chain less (more
generally a tree of products used only in it, any two of whose factors the graph multiplies already).

Reverse mode scales a cotangent by a weight and then by a derivative that the forward's backward already
multiplied together: L1's second-layer chain has (c * w2) * (1 - t^2) beside w2 * (1 - t^2).
The inner product must be used only here (it dies), so the rewrite always saves its step.

Products are reassociated: values agree to one rounding, not bit for bit. NaN and inf come out where
they did (a product's sign and NaN-ness do not depend on the order of its factors), except where a
partial product overflows or underflows in one order and not in the other. It runs with the
reassociating passes, last.
"""
from __future__ import annotations

import numpy as np

from .ir import AVal, Eqn, Graph, Var, is_float, tree_flatten

MAX_EXPAND = 6  # products of a tree walked into (at most MAX_EXPAND + 2 leaves)


def reuse_products(g: Graph) -> Graph:
    uses: dict[int, int] = {}
    for e in g.eqns:
        for x in e.inputs:
            uses[x.id] = uses.get(x.id, 0) + 1
    for v in tree_flatten(g.outputs):
        uses[v.id] = uses.get(v.id, 0) + 2
    made: dict[int, Eqn] = {}
    products: dict[tuple[int, int], Var] = {}  # (id, id) of a plain float mul's operands, sorted -> its output
    eqns: list[Eqn] = []
    for e in g.eqns:
        new = _reassociated(e, made, products, uses) if _plain_mul(e) else None
        for q in new or (e,):
            eqns.append(q)
            for o in q.outputs:
                made[o.id] = q
            if _plain_mul(q):
                a, b = q.inputs
                products.setdefault((min(a.id, b.id), max(a.id, b.id)), q.outputs[0])
    return Graph(g.inputs, g.params, eqns, g.outputs, g.param_values, g.functions, g.name)


def _plain_mul(e: Eqn) -> bool:
    return e.op == "mul" and not e.attrs and len(e.inputs) == 2 and len(e.outputs) == 1 and \
        is_float(e.outputs[0].dtype) and all(x.dtype == e.outputs[0].dtype for x in e.inputs)


def _leaves(e: Eqn, made: dict, uses: dict) -> list[Var]:
    """The leaves of e's tree of muls used only in it, left to right, expanding at most MAX_EXPAND of them:
    a chain of products (the gradient of a deep chain: thousands of muls, each used once) is walked that far
    from e, not to its end, so the pass stays linear (contract.py's walk goes to the end: it runs per sum)."""
    out: list[Var] = []
    todo, expanded = list(reversed(e.inputs)), 0
    while todo:
        x = todo.pop()
        q = made.get(x.id)
        if q is None or expanded >= MAX_EXPAND or not _plain_mul(q) or uses.get(x.id) != 1:
            out.append(x)
        else:
            expanded += 1
            todo.extend(reversed(q.inputs))
    return out


def _reassociated(e: Eqn, made: dict, products: dict, uses: dict) -> list[Eqn] | None:
    """e's product tree as a chain over a product the graph has, or None where no pair of factors is one."""
    fs = _leaves(e, made, uses)
    if len(fs) < 3:
        return None
    for i in range(len(fs)):
        for j in range(i + 1, len(fs)):
            p = products.get((min(fs[i].id, fs[j].id), max(fs[i].id, fs[j].id)))
            if p is None or uses.get(p.id) == 1:  # (a product of the tree itself is used once: nothing saved)
                continue
            rest = [p] + [f for k, f in enumerate(fs) if k not in (i, j)]
            out, dt, acc, chain = e.outputs[0], e.outputs[0].dtype, rest[0], []
            for n, f in enumerate(rest[1:]):
                last = n == len(rest) - 2
                shape = tuple(np.broadcast_shapes(acc.shape, f.shape))
                if last and shape != tuple(out.shape):
                    break
                o = out if last else Var(AVal(shape, dt))
                chain.append(Eqn("mul", (acc, f), {}, (o,), e.label))
                acc = o
            else:
                return chain
    return None
