"""MindSpore's derivative interfaces as graph-to-graph transforms.

Each function takes a graph and returns a new graph whose body is one derivative
node (`grad` or `jvp`) over the original, with MindSpore's output structure.
Nothing is expanded here: `lower` does that, so a derived graph can be wrapped
again (GradSec(Grad(net))) or serialised as it is.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .builder import Budget, Builder, Outer
from .directional import directional_sum
from .errors import DifferentiationError, LimitExceeded
from .ir import Graph, Var, is_complex, is_float, is_inexact, tree_unflatten
from .lower import lower


# -- output names: what each flat output of a derived graph is, in the caller's words ------------
def value_names(g: Graph, prefix: str = "out") -> list[str]:
    """`out` for one flat output, `out0`, `out1`, ... for several."""
    n = len(g.flat_outputs)
    return [prefix] if n == 1 else [f"{prefix}{i}" for i in range(n)]


def input_name(g: Graph, p: int) -> str:
    return g.inputs[p].name or f"x{p}"


def _grad_names(g: Graph, pos: list[int], ws: list[str], with_value: bool) -> list[str]:
    return (value_names(g) if with_value else []) + [f"d/d{input_name(g, p)}" for p in pos] + \
        [f"d/d{w}" for w in ws]


def _wrap(g: Graph, op: str, attrs: dict, extra_avals: Sequence, structure, names: list[str]) -> Graph:
    o = Outer(g)
    extra = [Var(a, n) for n, a in extra_avals]
    outs = o.b.emit(op, o.inputs + extra, dict(attrs, fn=o.fname))
    return Graph(o.inputs + extra, o.params, o.b.eqns, structure(outs), dict(g.param_values), o.fns,
                 name=f"{op}_{g.name}", output_names=names)


def _positions(g: Graph, grad_position, what: str = "grad_position") -> tuple[list[int], bool]:
    """Normalise grad_position; returns (positions, single). `what`: the caller's name of the option (a
    jacobian's is `positions`), named in errors and as their `option` (the service's path to it)."""
    n = len(g.inputs)
    if grad_position is None:
        return [], False
    single = isinstance(grad_position, int)
    pos = [grad_position] if single else list(grad_position)
    if not single and not pos:
        raise DifferentiationError(f"{what} is an empty tuple", option=what)
    seen = set()
    out = []
    for p in pos:
        if isinstance(p, bool) or not isinstance(p, int) or not -n <= p < n:
            raise DifferentiationError(f"{what} {p!r} out of range: the graph has {n} input(s)", position=p,
                                       option=what)
        if p % n in seen:
            raise DifferentiationError(f"{what} {p} repeated", position=p, option=what)
        seen.add(p % n)
        out.append(p % n)
    return out, single


def _weights(g: Graph, weights) -> list[str]:
    if weights is None:
        return []
    names = [weights] if isinstance(weights, str) else list(weights)
    known = set(g.param_names)
    seen: set = set()
    for w in names:
        if w not in known:
            raise DifferentiationError(f"unknown weight {w!r}; parameters: {sorted(known) or 'none'}", weight=w,
                                       option="weights")
        if w in seen:  # as a repeated position: one gradient per weight, not a silent second copy
            raise DifferentiationError(f"weight {w!r} repeated", weight=w, option="weights")
        seen.add(w)
    return names


def _sens_avals(g: Graph) -> list:
    return [(f"sens{i}" if len(g.flat_outputs) > 1 else "sens", v.aval) for i, v in enumerate(g.flat_outputs)]


def grad(g: Graph, grad_position=0, weights=None, sens_param: bool = False, *, return_value: bool = False) -> Graph:
    """Functional `grad(fn, grad_position, weights, sens_param)` (and `value_and_grad` with return_value).

    Structure: int position -> one tensor; tuple -> tuple; with weights ->
    (position grads, weight grads), or only the weight grads when grad_position is None.
    """
    pos, single = _positions(g, grad_position)
    ws = _weights(g, weights)
    if not pos and not ws:
        raise DifferentiationError("nothing to differentiate: grad_position is None and no weights given")
    n_out = len(g.flat_outputs)

    def structure(outs):
        vals, rest = outs[:n_out] if return_value else [], outs[n_out if return_value else 0:]
        pg, wg = rest[:len(pos)], rest[len(pos):]
        pgs = pg[0] if single else tuple(pg)
        if ws and pos:
            grads = (pgs, tuple(wg))
        elif ws:
            grads = tuple(wg)
        else:
            grads = pgs
        if return_value:
            return (tree_unflatten(g.outputs, vals), grads)
        return grads

    return _wrap(g, "grad", {"positions": tuple(pos), "weights": tuple(ws), "sens": sens_param,
                             "with_value": return_value},
                 _sens_avals(g) if sens_param else [], structure, _grad_names(g, pos, ws, return_value))


def value_and_grad(g: Graph, grad_position=0, weights=None, sens_param: bool = False) -> Graph:
    return grad(g, grad_position, weights, sens_param, return_value=True)


def grad_operation(g: Graph, get_all: bool = False, get_by_list: bool = False, sens_param: bool = False,
                   weights=None) -> Graph:
    """`GradOperation(get_all, get_by_list, sens_param)(net[, weights])`.

    get_all: grads of all inputs (a tuple); else of the first input (one tensor).
    get_by_list: grads of `weights` (default: all parameters) as a tuple;
    with both: (input grads, weight grads).
    """
    if get_by_list:
        ws = list(g.param_names) if weights is None else _weights(g, weights)
    else:
        ws = []
    if get_by_list and not get_all:
        pos = None
    elif get_all:
        pos = tuple(range(len(g.inputs)))
        if not pos and not ws:
            raise DifferentiationError("get_all=True on a graph with no inputs", path="$.inputs")
    else:
        if not g.inputs:
            raise DifferentiationError("GradOperation: the graph has no inputs to differentiate", path="$.inputs")
        pos = 0
    if get_by_list and not ws and pos is None:
        raise DifferentiationError("get_by_list=True but the graph has no parameters", path="$.params")
    if get_all and not pos:
        return grad(g, None, ws, sens_param)
    if get_by_list:
        return grad(g, pos, ws, sens_param) if pos is not None else grad(g, None, ws, sens_param)
    return grad(g, pos, None, sens_param)


def vjp(g: Graph, *, tuple_inputs: bool = True) -> Graph:
    """Seed form `vjp(fn, inputs, v) -> (out, grads)`: inputs = fn's inputs + one v per output."""
    n = len(g.inputs)
    if n == 0:
        raise DifferentiationError("vjp: the graph has no inputs", path="$.inputs")
    n_out = len(g.flat_outputs)

    def structure(outs):
        grads = tuple(outs[n_out:])
        return (tree_unflatten(g.outputs, outs[:n_out]), grads if (tuple_inputs or n > 1) else grads[0])

    return _wrap(g, "grad", {"positions": tuple(range(n)), "weights": (), "sens": True, "with_value": True},
                 [(f"v{i}" if n_out > 1 else "v", v.aval) for i, v in enumerate(g.flat_outputs)], structure,
                 _grad_names(g, list(range(n)), [], True))


def jvp(g: Graph, positions=None) -> Graph:
    """`jvp(fn, inputs, v) -> (out, jvp_out)`: inputs = fn's inputs + one tangent per position."""
    n = len(g.inputs)
    pos = list(range(n)) if positions is None else _positions(g, positions, "positions")[0]
    for p in pos:
        if not is_inexact(g.inputs[p].dtype):
            raise DifferentiationError(f"jvp: input {p} has dtype {g.inputs[p].dtype}, not floating-point or complex",
                                       position=p)
    n_out = len(g.flat_outputs)

    def structure(outs):
        return (tree_unflatten(g.outputs, outs[:n_out]), tree_unflatten(g.outputs, outs[n_out:]))

    return _wrap(g, "jvp", {"positions": tuple(pos)},
                 [(f"t{p}", g.inputs[p].aval) for p in pos], structure, value_names(g) + value_names(g, "jvp"))


def nth_grad(g: Graph, order: int, *, max_nodes: int | None = None, max_work: int | None = None, **kw) -> Graph:
    """Apply the same GradOperation `order` times: GradSec(Grad(net)) is order 2.

    Nesting reverse mode n times costs c**n: each level differentiates the whole
    graph of the level below. Where the options allow, the same result is built
    in polynomial size instead (see `_nth_grad_directional`); that form is lowered here,
    within `max_nodes` / `max_work` (see `lower`).
    """
    if order < 1:
        raise DifferentiationError(f"order must be >= 1, got {order}")
    if order >= 2 and not kw.get("sens_param") and not kw.get("get_by_list"):
        return _nth_grad_directional(g, order, get_all=bool(kw.get("get_all")),
                                     max_nodes=max_nodes, budget=Budget(max_work))
    for _ in range(order):
        g = grad_operation(g, **kw)
    return g


def _nth_grad_directional(g: Graph, order: int, *, get_all: bool, max_nodes: int | None, budget: Budget) -> Graph:
    """GradOperation without sens, nested `order` times, as one reverse pass over
    a directional derivative: grad T with T = D^{order-1} S [v, ..., v]
    (see `directional.directional_sum`, shared with grad-of-grad nodes)."""
    pos = list(range(len(g.inputs))) if get_all else [0]
    if not pos:
        raise DifferentiationError("GradOperation: the graph has no inputs to differentiate", path="$.inputs")
    for p in pos:
        if not is_inexact(g.inputs[p].dtype):
            raise DifferentiationError(f"cannot differentiate with respect to input {p}: "
                                       f"dtype {g.inputs[p].dtype} is not floating-point or complex", position=p)
    t = directional_sum(g, order - 1, pos, lower=lower, max_nodes=max_nodes, budget=budget)
    return grad_operation(t, get_all=get_all)


# -- Jacobians, Hessians, Hessian-vector products ---------------------------------------------
# Built from the same grad / jvp nodes, one per basis vector, so they lower,
# optimise (the shared primal is merged by CSE) and differentiate like any graph.
MAX_JACOBIAN_BASIS = 4096  # basis vectors per jacobian; past it, ask for jvp / vjp instead


def _tree_map(tree, fn):
    if isinstance(tree, tuple):
        return tuple(_tree_map(t, fn) for t in tree)
    return fn(tree)


def _basis(b: Builder, aval, k: int) -> Var:
    """The k-th unit tensor of `aval`'s shape (row-major)."""
    idx = [int(i) for i in np.unravel_index(k, aval.shape)] if aval.shape else []
    one = b.scalar(1.0, aval.dtype)
    return b.index_scatter(one, shape=aval.shape, index=idx) if aval.shape else one


def _stack_blocks(b: Builder, rows: list[Var], lead: tuple, tail: tuple, basis_first: bool, dtype: str) -> Var:
    """Stack one row per basis vector and reshape to lead + tail (out.shape + in.shape).
    No rows (an empty output or input): the block has no elements, zeros of its shape."""
    if not rows:
        return b.full(tuple(lead) + tuple(tail), 0.0, dtype)
    if basis_first:  # rows are in-shaped, one per output element
        stacked = b.stack(*rows, axis=0) if len(rows) > 1 else b.reshape(rows[0], shape=(1,) + tuple(rows[0].shape))
    else:  # rows are out-shaped, one per input element
        ax = len(rows[0].shape)
        stacked = b.stack(*rows, axis=ax) if len(rows) > 1 else b.reshape(rows[0], shape=tuple(rows[0].shape) + (1,))
    return b.reshape(stacked, shape=tuple(lead) + tuple(tail))


def _check_basis(n: int, what: str) -> None:
    if n > MAX_JACOBIAN_BASIS:
        raise LimitExceeded(f"jacobian needs {n} basis vectors ({what}), above the limit of {MAX_JACOBIAN_BASIS} "
                            "(max_jacobian_basis); use jvp or vjp for products with the Jacobian instead",
                            setting="max_jacobian_basis", limit=MAX_JACOBIAN_BASIS, value=n)


def _check_jacobian_args(g: Graph, positions, mode: str) -> tuple[list[int], bool]:
    if mode not in ("rev", "fwd"):
        raise DifferentiationError(f"jacobian mode must be 'rev' or 'fwd', got {mode!r}")
    pos, single = _positions(g, positions, "positions")
    if not pos:
        raise DifferentiationError("jacobian: positions is empty", option="positions")
    for p in pos:
        if not is_float(g.inputs[p].dtype):  # complex: no one Jacobian matrix (not holomorphic in general)
            raise DifferentiationError(f"jacobian: input {p} has dtype {g.inputs[p].dtype}, not floating-point"
                                       + ("; for complex inputs use jvp / vjp" if is_inexact(g.inputs[p].dtype)
                                          else ""), position=p)
    for i, v in enumerate(g.flat_outputs):
        if is_complex(v.dtype):
            raise DifferentiationError(f"jacobian: output {i} is {v.dtype}; for complex outputs use jvp / vjp",
                                       path=f"outputs[{i}]")
    return pos, single


def _jac_fwd(o: Outer, g: Graph, pos: list[int]) -> list[list[Var]]:
    """Blocks [output][position] from one jvp node per input basis vector."""
    b, flat_out = o.b, g.flat_outputs
    blocks: list[list[Var]] = [[None] * len(pos) for _ in flat_out]
    for j, p in enumerate(pos):
        av = g.inputs[p].aval
        _check_basis(av.size, f"input {p} of shape {list(av.shape)}")
        cols: list[list[Var]] = [[] for _ in flat_out]
        for k in range(av.size):
            res = b.emit("jvp", o.inputs + [_basis(b, av, k)], {"fn": o.fname, "positions": (p,)})
            for i, tv in enumerate(res[len(flat_out):]):
                cols[i].append(tv)
        for i, ov in enumerate(flat_out):
            blocks[i][j] = _stack_blocks(b, cols[i], ov.shape, av.shape, False, ov.dtype)
    return blocks


def _jac_rev(o: Outer, g: Graph, pos: list[int]) -> list[list[Var]]:
    """Blocks [output][position] from one grad node (with sens) per output basis vector."""
    b, flat_out = o.b, g.flat_outputs
    blocks: list[list[Var]] = [[None] * len(pos) for _ in flat_out]
    for i, ov in enumerate(flat_out):
        _check_basis(ov.aval.size, f"output {i} of shape {list(ov.shape)}")
        rows: list[list[Var]] = [[] for _ in pos]
        for k in range(ov.aval.size):
            sens = [_basis(b, v.aval, k) if m == i else b.symbolic_zeros_like(v) for m, v in enumerate(flat_out)]
            grads = b.emit("grad", o.inputs + sens, {"fn": o.fname, "positions": tuple(pos), "weights": (),
                                                     "sens": True, "with_value": False})
            for j, gv in enumerate(grads):
                rows[j].append(gv)
        for j, p in enumerate(pos):
            blocks[i][j] = _stack_blocks(b, rows[j], ov.shape, g.inputs[p].shape, True, g.inputs[p].dtype)
    return blocks


def jacobian(g: Graph, positions=0, mode: str = "rev", *, max_nodes: int | None = None,
             max_work: int | None = None) -> Graph:
    """jacrev / jacfwd: one block d out / d in per (flat output, position), shaped out.shape + in.shape.

    Structure: g's output structure, each leaf replaced by a block (int position)
    or a tuple of blocks (tuple of positions). One derivative node per basis vector is
    built here, within `max_nodes` / `max_work` (LimitExceeded past them).
    """
    pos, single = _check_jacobian_args(g, positions, mode)
    o = Outer(g, max_nodes=max_nodes, budget=Budget(max_work))
    blocks = (_jac_fwd if mode == "fwd" else _jac_rev)(o, g, pos)
    # Each leaf of g's output structure becomes a block or a tuple of blocks.
    it = iter(bl[0] if single else tuple(bl) for bl in blocks)
    structure = _tree_map(g.outputs, lambda _: next(it))
    outs = value_names(g, "") if len(g.flat_outputs) > 1 else [""]
    names = [f"d{n}/d{input_name(g, p)}" for n in outs for p in pos]
    return Graph(o.inputs, o.params, o.b.eqns, structure, dict(g.param_values), o.fns, name=f"jac{mode}_{g.name}",
                 output_names=names)


def hessian(g: Graph, positions=0, *, max_nodes: int | None = None, max_work: int | None = None) -> Graph:
    """jacfwd(jacrev(g)): blocks out.shape + in_i.shape + in_j.shape, nested output -> i -> j."""
    h = jacobian(jacobian(g, positions, mode="rev", max_nodes=max_nodes, max_work=max_work), positions,
                 mode="fwd", max_nodes=max_nodes, max_work=max_work)
    pos, _ = _positions(g, positions, "positions")
    outs = value_names(g, "") if len(g.flat_outputs) > 1 else [""]
    h.output_names = [f"d2{n}/d{input_name(g, i)}d{input_name(g, j)}" for n in outs for i in pos for j in pos]
    return h


def hvp(g: Graph, positions=0) -> Graph:
    """Hessian-vector product, forward over reverse: jvp of grad(g) (outputs scaled by ones).

    Inputs: g's inputs + one v per position; outputs: structured as grad(g, positions).
    """
    pos, _ = _positions(g, positions, "positions")  # (first: its errors name hvp's option)
    gg = grad(g, positions)
    o = Outer(gg, "grad_")
    vs = [Var(g.inputs[p].aval, f"v{p}") for p in pos]
    outs = o.b.emit("jvp", o.inputs + vs, {"fn": o.fname, "positions": tuple(pos)})
    n = len(gg.flat_outputs)
    return Graph(o.inputs + vs, o.params, o.b.eqns, tree_unflatten(gg.outputs, outs[n:]), dict(g.param_values),
                 o.fns, name=f"hvp_{g.name}", output_names=[f"d/d{input_name(g, p)}" for p in pos])
