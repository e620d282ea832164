"""Jacobians, Hessians and Hessian-vector products with respect to inputs *and parameters by name*.

`transforms.jacobian` / `hessian` / `hvp` take input positions. Here the same products also take
`weights` (parameter names), built from the nodes that already reach parameters: a `grad` node
with `weights` and `sens` is the pullback of one output, mapped over the rows of an identity by one
`vmap` node (engine/vmap.py; the construction is transforms' jacrev, shared). So the graph stays small
(one identity per output), the primal is computed once, and Newton-CG on a model's weights needs no
rewrite of the model.

Block order everywhere: positions first, then weights, as in `grad`'s outputs.
"""
from __future__ import annotations

from .builder import Budget, Builder, Outer, fresh_name
from .errors import DifferentiationError
from .ir import AVal, Graph, Var
from .transforms import _jac_rev, _positions, _tree_map, _weights, value_names


def _targets(g: Graph, positions, weights) -> tuple[list[int], list[str], list[AVal]]:
    pos = _positions(g, positions)[0] if positions not in (None, [], ()) else []
    ws = _weights(g, weights)
    if not pos and not ws:
        raise DifferentiationError("nothing to differentiate: no positions and no weights")
    pav = {p.name: p.aval for p in g.params}
    return pos, ws, [g.inputs[p].aval for p in pos] + [pav[w] for w in ws]


def jacobian(g: Graph, positions=0, weights=None, *, max_nodes: int | None = None,
             max_work: int | None = None) -> Graph:
    """Reverse-mode Jacobian blocks d out_k / d target (out.shape + target.shape) for input positions and
    named parameters: g's output structure, each leaf a block (one target, int position and no
    weights) or a tuple of blocks (positions, then weights). Built as transforms.jacobian's (one vmap
    node per output over that output's own pullback: no zero cotangents for the others, which made the
    build quadratic in the output count), within `max_nodes` / `max_work`."""
    pos, ws, _ = _targets(g, positions, weights)
    single = isinstance(positions, int) and not ws
    o = Outer(g, max_nodes=max_nodes, budget=Budget(max_work))
    it = iter(bl[0] if single else tuple(bl) for bl in _jac_rev(o, g, pos, ws))
    structure = _tree_map(g.outputs, lambda _: next(it))
    outs, targets = _out_labels(g), target_names(g, positions, weights)
    return Graph(o.inputs, o.params, o.b.eqns, structure, dict(g.param_values), o.fns, name=f"jac_{g.name}",
                 output_names=[f"d{y}/d{t}" for y in outs for t in targets])


def hessian(g: Graph, positions=0, weights=None, *, max_nodes: int | None = None,
            max_work: int | None = None) -> Graph:
    """The Jacobian of the gradient: blocks target_i.shape + target_j.shape (per output of g)."""
    lim = {"max_nodes": max_nodes, "max_work": max_work}
    h = jacobian(jacobian(g, positions, weights, **lim), positions, weights, **lim)
    targets = target_names(g, positions, weights)
    h.output_names = [f"d2{y}/d{a}d{b}" for y in _out_labels(g) for a in targets for b in targets]
    return h


def _out_labels(g: Graph) -> list[str]:
    """How block names name g's outputs: nothing for one output, out0, out1, ... for several."""
    return value_names(g, "") if len(g.flat_outputs) > 1 else [""]


def hvp(g: Graph, positions=0, weights=None) -> Graph:
    """H v, reverse over reverse: grad of sum_i <grad_i g, v_i>, grad seeding every output with ones (the sum
    of all outputs, as transforms.hvp for positions: a tensor output w.r.t. a weight was refused while the same
    request w.r.t. an input was answered).

    Inputs: g's inputs + one v per target (positions, then weights); outputs: one block per target."""
    pos, ws, tavals = _targets(g, positions, weights)
    o = Outer(g)
    xs = [Var(v.aval, v.name) for v in g.inputs]
    vs = [Var(a, f"v{i}") for i, a in enumerate(tavals)]
    b = Builder(functions=o.fns)
    grads = b.emit("grad", xs, {"fn": o.fname, "positions": tuple(pos), "weights": tuple(ws), "sens": False,
                                "with_value": False})
    dot = None
    for gv, v in zip(grads, vs):
        t = b.sum(b.mul(gv, v))
        dot = t if dot is None else b.add(dot, t)
    inner = fresh_name(o.fns, "gdotv_")
    o.fns[inner] = Graph(xs + vs, [Var(p.aval, p.name) for p in g.params], b.eqns, dot, {}, {}, inner)
    outer_vs = [Var(a, v.name) for a, v in zip(tavals, vs)]
    outs = o.b.emit("grad", o.inputs + outer_vs, {"fn": inner, "positions": tuple(pos), "weights": tuple(ws),
                                                  "sens": False, "with_value": False})
    single = isinstance(positions, int) and not ws
    return Graph(o.inputs + outer_vs, o.params, o.b.eqns, outs[0] if single else tuple(outs),
                 dict(g.param_values), o.fns, name=f"hvp_{g.name}",
                 output_names=[f"d/d{t}" for t in target_names(g, positions, weights)])


def target_names(g: Graph, positions, weights) -> list[str]:
    """Wire names of the targets: the inputs' names, then the parameters'."""
    pos, ws, _ = _targets(g, positions, weights)
    return [g.inputs[p].name or f"x{p}" for p in pos] + list(ws)


__all__ = ["jacobian", "hessian", "hvp", "target_names"]
