"""MindSpore's derivative interfaces as graph-to-graph transforms.

Each function takes a graph and returns a new graph whose body is one derivative
node (`grad` or `jvp`) over the original, with MindSpore's output structure.
Nothing is expanded here: `lower` does that, so a derived graph can be wrapped
again (GradSec(Grad(net))) or serialised as it is.
"""
from __future__ import annotations

from typing import Sequence

from .builder import Budget, Builder, Outer, fresh_name
from .directional import directional_sum
from .errors import DifferentiationError, LimitExceeded
from .ir import AVal, Graph, Var, is_complex, is_float, is_inexact, tree_unflatten
from .lower import lower


# -- output names: what each flat output of a derived graph is, in the caller's words ------------
def value_names(g: Graph, prefix: str = "out") -> list[str]:
    """`out` for one flat output, `out0`, `out1`, ... for several; a caller's graph that names its outputs
    (`output_names`: an imported model's own) by those names."""
    n = len(g.flat_outputs)
    if prefix == "out" and g.output_names is not None and g.source == "$":  # (a derived graph's are its own)
        return list(g.output_names)
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
# One vmap node per block row / column: a grad (or jvp) node mapped over the stacked basis, as JAX's
# jacrev / jacfwd (and the SDK's) do. The primal is computed once and each derivative equation once,
# batched; one derivative node per basis vector would repeat both per basis vector (a hessian of a
# 6-element input and output: 36 copies of the second-order graph, past 3000 nodes for 4-op graphs).
MAX_JACOBIAN_BASIS = 4096  # basis vectors per jacobian; past it, ask for jvp / vjp instead


def _tree_map(tree, fn):
    if isinstance(tree, tuple):
        return tuple(_tree_map(t, fn) for t in tree)
    return fn(tree)


def identity_basis(b: Builder, m: int, dtype: str) -> Var:
    """eye(m) made by the graph (an iota comparison) rather than stored in it: an m x m constant was built,
    serialised and sent to a worker by the server itself (1.6 GB at m = 20 000, from a one-float request)."""
    rows, cols = (b.emit1("iota", shape=(m, m), dimension=d, dtype="int32") for d in (0, 1))
    return b.emit1("cast", b.emit1("equal", rows, cols), dtype=dtype)


def _basis(b: Builder, aval) -> Var:
    """The unit tensors of `aval`'s shape stacked: (n, *shape)."""
    return b.reshape(identity_basis(b, aval.size, aval.dtype), shape=(aval.size,) + tuple(aval.shape))


def _mapped(o: Outer, g: Graph, base: str, body) -> str:
    """Register F(*g's inputs, u) as a function of o; its name. body(builder, F's first inputs) gives F's
    outputs and u, the Var of the last input, which vmap maps over the basis."""
    fb = Builder(functions=o.fns)
    ins = [Var(v.aval, v.name) for v in g.inputs]
    outs, u = body(fb, ins)
    name = fresh_name(o.fns, f"{base}{len(o.fns)}_")  # (a new base each: no search)
    o.fns[name] = Graph(ins + [u], [Var(p.aval, p.name) for p in g.params], fb.eqns, tuple(outs), {}, {}, name)
    return name


def _one_output(o: Outer, g: Graph, i: int, out: Var, made: dict[int, int]) -> str:
    """g with its flat output i (`out`) only (what that output does not need left out), as a function of o: the
    pullback of one output's basis needs no zero cotangents for the others (they were values when
    inlined, so each output's backward pass was built for every row, then merged or multiplied by zero).
    made: var id -> index of its equation in g (walked back from the output: each cut costs its own size)."""
    if len(g.flat_outputs) == 1:
        return o.fname
    keep, todo = set(), [out]
    while todo:
        k = made.get(todo.pop().id)
        if k is not None and k not in keep:
            keep.add(k)
            todo.extend(g.eqns[k].inputs)
    name = fresh_name(o.fns, f"{o.fname}out{i}_")
    o.b.budget.charge(name, len(keep))  # the cuts copy g's shared part once per output: max_work bounds them
    o.fns[name] = Graph(g.inputs, g.params, [g.eqns[k] for k in sorted(keep)], out, {}, {}, name, source=g.source)
    return name


def _vmap_basis(o: Outer, fname: str, basis: Var, out_axes: tuple) -> list[Var]:
    n_in = len(o.inputs)
    return o.b.emit("vmap", o.inputs + [basis], {"fn": fname, "in_axes": (None,) * n_in + (0,),
                                                  "out_axes": out_axes})


def _jac_fwd(o: Outer, g: Graph, pos: list[int]) -> list[list[Var]]:
    """Blocks [output][position]: one jvp node per position, mapped over the input's basis."""
    b, flat_out = o.b, g.flat_outputs
    blocks: list[list[Var]] = [[None] * len(pos) for _ in flat_out]
    for j, p in enumerate(pos):
        av = g.inputs[p].aval
        _check_basis(av.size, f"input {p} of shape {list(av.shape)}")

        def pushforward(fb, ins, p=p, av=av):
            t = Var(av, "t")
            return fb.emit("jvp", ins + [t], {"fn": o.fname, "positions": (p,)})[len(flat_out):], t

        if av.size:
            out_axes = tuple(v.aval.ndim for v in flat_out)  # the basis axis last: (*out, n)
            cols = _vmap_basis(o, _mapped(o, g, "jacfwd_", pushforward), _basis(b, av), out_axes)
        for i, ov in enumerate(flat_out):
            shape = tuple(ov.shape) + tuple(av.shape)
            blocks[i][j] = b.reshape(cols[i], shape=shape) if av.size else b.full(shape, 0.0, ov.dtype)
    return blocks


# Outputs past this many share one pullback (_jac_rev_shared): two functions an output (its cut and its mapped
# pullback) would pass a server's max_functions (256) at ~128 outputs
PULLBACK_PER_OUTPUT_MAX = 32


def _jac_rev(o: Outer, g: Graph, pos: list[int], ws: Sequence[str] = ()) -> list[list[Var]]:
    """Blocks [output][target] (positions, then weights by name): one grad node (with sens) per output,
    mapped over the output's basis. Each output's pullback is of that output alone (see `_one_output`); past
    PULLBACK_PER_OUTPUT_MAX outputs, one pullback of them all (_jac_rev_shared)."""
    b, flat_out = o.b, g.flat_outputs
    pav = {p.name: p.aval for p in g.params}
    tavals = [g.inputs[p].aval for p in pos] + [pav[w] for w in ws]
    if len(flat_out) > PULLBACK_PER_OUTPUT_MAX:
        return _jac_rev_shared(o, g, pos, ws, tavals)
    blocks: list[list[Var]] = [[None] * len(tavals) for _ in flat_out]
    made = {v.id: k for k, e in enumerate(g.eqns) for v in e.outputs}
    for i, ov in enumerate(flat_out):
        _check_basis(ov.aval.size, f"output {i} of shape {list(ov.shape)}")

        def pullback(fb, ins, i=i, ov=ov):
            s = Var(ov.aval, "sens")
            attrs = {"fn": _one_output(o, g, i, ov, made), "positions": tuple(pos), "weights": tuple(ws),
                     "sens": True, "with_value": False}
            return fb.emit("grad", ins + [s], attrs), s

        if ov.aval.size:
            rows = _vmap_basis(o, _mapped(o, g, "jacrev_", pullback), _basis(b, ov.aval), (0,) * len(tavals))
        for j, a in enumerate(tavals):
            shape = tuple(ov.shape) + tuple(a.shape)
            blocks[i][j] = b.reshape(rows[j], shape=shape) if ov.aval.size else b.full(shape, 0.0, a.dtype)
    return blocks


def _jac_rev_shared(o: Outer, g: Graph, pos: list[int], ws: Sequence[str], tavals: list) -> list[list[Var]]:
    """_jac_rev's blocks by one grad node (with sens) mapped over the basis of all outputs' elements, flat and
    concatenated (as JAX's jacrev maps one vjp over them): each basis row split into the outputs' cotangents, the
    rows of the result split back per output. Two functions in all, whatever the number of outputs."""
    b, flat_out = o.b, g.flat_outputs
    sizes = [v.aval.size for v in flat_out]
    total = sum(sizes)
    _check_basis(total, f"{len(flat_out)} outputs of {total} elements together")
    dtype = "float64" if any(v.dtype == "float64" for v in flat_out) else flat_out[0].dtype
    cuts = [sum(sizes[:i + 1]) for i in range(len(sizes) - 1)]
    basis = _basis(b, AVal((total,), dtype))

    def pullback(fb, ins):
        u = Var(AVal((total,), dtype), "sens")
        parts = fb.emit("split", [u], {"indices": tuple(cuts), "axis": 0})
        sens = [fb.cast_like(fb.reshape(part, shape=tuple(v.shape)), v) for part, v in zip(parts, flat_out)]
        attrs = {"fn": o.fname, "positions": tuple(pos), "weights": tuple(ws), "sens": True, "with_value": False}
        return fb.emit("grad", ins + sens, attrs), u

    rows = _vmap_basis(o, _mapped(o, g, "jacrev_", pullback), basis, (0,) * len(tavals)) if total else []
    blocks: list[list[Var]] = [[None] * len(tavals) for _ in flat_out]
    for j, a in enumerate(tavals):
        parts = b.emit("split", [rows[j]], {"indices": tuple(cuts), "axis": 0}) if total else []
        for i, ov in enumerate(flat_out):
            shape = tuple(ov.shape) + tuple(a.shape)
            blocks[i][j] = b.reshape(parts[i], shape=shape) if sizes[i] else b.full(shape, 0.0, a.dtype)
    return blocks


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
