"""vmap as a graph-to-graph transform: one batching rule per op, beside the vjp / jvp tables.

A `vmap` node (`{"op": "vmap", "attrs": {"fn": F, "in_axes": [...], "out_axes": [...]}}`)
maps function F over a new axis of its inputs. It is expanded like `grad` / `jvp`: F is
first lowered to plain ops (its own grad / jvp / vmap nodes expanded), then each equation
is emitted once, batched, by its rule. Every emitted equation is an ordinary op, so the
result differentiates (grad of vmap), and vmap of grad is per-example gradients; any
nesting order works since each transform sees only plain ops of the one below.

Inside the expansion a batched value carries its batch axis at 0; unbatched values stay
as they are (never broadcast unless an op needs it). Every op has a rule; the unrolled form
(one slice per batch element, then stacked: correct, but growing with the batch) is left
only where a rule chooses it (switch_run with a batched branch index).
The rule table and shared helpers are in batching.py; conv / pooling rules in batch_window.py,
axis ops, gathers and dynamic slices in batch_index.py, switch_run / custom_vjp in batch_control.py.
"""
from __future__ import annotations

from .autodiff import lookup_function
from .batching import (BATCH_RULES, batch_eqns as _batch_eqns, lift as _lift, materialize as _materialize,
                       moveaxis, norm_axis as _axis, rule as _rule, unrolled as _unrolled)
from .builder import Builder, Outer
from .errors import InvalidGraph, ShapeError
from .ir import AVal, Graph, Var, tree_unflatten
from .ops.composite import COMPOSITES, composite_graph
from .ops.registry import layers
from .shape_rules import tile_shapes
from . import batch_control, batch_index, batch_window  # noqa: F401  (register their rules)


# -- rules ----------------------------------------------------------------------------------------
_UNARY = ("exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "square", "sin", "cos", "tan", "sinh",
          "cosh", "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "sigmoid", "softplus", "relu", "abs",
          "erf", "erfinv", "neg", "sign", "logical_not", "zeros_like", "ones_like", "identity", "stop_gradient", "cast",
          "conj", "real", "imag", "angle", "floor", "ceil", "round", "lgamma", "digamma", "polygamma", "bessel_i0", "bessel_i0e", "bessel_i1",
          "bessel_i1e")
_NARY = ("add", "sub", "mul", "div", "pow", "atan2", "maximum", "minimum", "equal", "not_equal", "less", "less_equal",
         "greater", "greater_equal", "logical_and", "logical_or", "bitwise_and", "bitwise_or", "bitwise_xor", "where",
         "complex", "remainder", "fmod", "igamma", "igammac", "igamma_dx", "igamma_da", "nextafter",
         "betainc", "betainc_dx", "betainc_da", "betainc_db")


@_rule(*_UNARY)
def _unary(b, e, ins, batched, size):
    return b.emit(e.op, ins, e.attrs)


@_rule(*_NARY)
def _nary(b, e, ins, batched, size):
    rank = max(x.aval.ndim for x in e.inputs)
    return b.emit(e.op, [_lift(b, x, rank) if bt else x for x, bt in zip(ins, batched)], e.attrs)


@_rule("svd", "cholesky", "matrix_inverse", "slogdet", "det", "lu", "lu_pivots_to_permutation", "qr", "eigh", "eig")
def _leading_batch(b, e, ins, batched, size):  # an op on the last two axes: the batch is one more leading axis
    return b.emit(e.op, ins, e.attrs)


@_rule("solve", "triangular_solve", "det_grad")
def _leading_batch2(b, e, ins, batched, size):  # a and b share their batch axes: both get the new one
    return b.emit(e.op, [_materialize(b, x, bt, size) for x, bt in zip(ins, batched)], e.attrs)


@_rule("softmax", "log_softmax")
def _softmax(b, e, ins, batched, size):
    return b.emit(e.op, ins, {"axis": _axis(e.attrs["axis"], e.inputs[0].aval.ndim) + 1})


@_rule("sum", "mean", "max", "min", "prod", "logsumexp")
def _reduce(b, e, ins, batched, size):
    nd = e.inputs[0].aval.ndim
    ax = e.attrs.get("axis")
    axes = tuple(range(nd)) if ax is None else ((ax,) if isinstance(ax, int) else tuple(ax))
    if not axes and ax is not None:  # an empty tuple reduces nothing
        return b.emit(e.op, ins, e.attrs)
    return b.emit(e.op, ins, dict(e.attrs, axis=tuple(_axis(a, nd) + 1 for a in axes)))


@_rule("reshape")
def _reshape(b, e, ins, batched, size):
    return [b.emit1("reshape", ins[0], shape=(size,) + tuple(e.outputs[0].shape))]


@_rule("transpose")
def _transpose(b, e, ins, batched, size):
    nd = e.inputs[0].aval.ndim
    perm = e.attrs.get("perm")
    perm = tuple(reversed(range(nd))) if perm is None else tuple(_axis(p, nd) for p in perm)
    return [b.emit1("transpose", ins[0], perm=(0,) + tuple(p + 1 for p in perm))]


@_rule("broadcast_to")
def _broadcast_to(b, e, ins, batched, size):
    shape = tuple(e.attrs["shape"])
    return [b.emit1("broadcast_to", _lift(b, ins[0], len(shape)), shape=(size,) + shape)]


@_rule("reduce_to")
def _reduce_to(b, e, ins, batched, size):
    x = ins[0]
    shape = tuple(e.attrs["shape"])
    padded = (1,) * (x.aval.ndim - 1 - len(shape)) + shape
    r = b.emit1("reduce_to", x, shape=(size,) + padded)
    return [r if padded == shape else b.emit1("reshape", r, shape=(size,) + shape)]


@_rule("expand_dims")
def _expand_dims(b, e, ins, batched, size):
    ax = _axis(e.attrs["axis"], e.inputs[0].aval.ndim + 1)
    return [b.emit1("expand_dims", ins[0], axis=ax + 1)]


@_rule("squeeze")
def _squeeze(b, e, ins, batched, size):
    shape = e.inputs[0].shape
    ax = e.attrs.get("axis")
    axes = [i for i, d in enumerate(shape) if d == 1] if ax is None else \
        [_axis(a, len(shape)) for a in ((ax,) if isinstance(ax, int) else ax)]
    return [b.emit1("squeeze", ins[0], axis=tuple(a + 1 for a in axes))]


@_rule("concat", "stack", "split")
def _along_axis(b, e, ins, batched, size):
    nd = e.outputs[0].aval.ndim if e.op == "stack" else e.inputs[0].aval.ndim
    xs = [_materialize(b, x, bt, size) for x, bt in zip(ins, batched)]
    return b.emit(e.op, xs, dict(e.attrs, axis=_axis(e.attrs.get("axis", 0), nd) + 1))


@_rule("tile")
def _tile(b, e, ins, batched, size):
    shape, reps, _ = tile_shapes(tuple(e.inputs[0].shape), tuple(e.attrs["reps"]))
    x = b.emit1("reshape", ins[0], shape=(size,) + shape)
    return [b.emit1("tile", x, reps=(1,) + reps)]


@_rule("index")
def _index(b, e, ins, batched, size):
    return [b.emit1("index", ins[0], index=[[None, None, None]] + list(e.attrs["index"]))]


@_rule("index_scatter")
def _index_scatter(b, e, ins, batched, size):
    return [b.emit1("index_scatter", ins[0], shape=(size,) + tuple(e.attrs["shape"]),
                    index=[[None, None, None]] + list(e.attrs["index"]))]


@_rule("matmul")
def _matmul(b, e, ins, batched, size):
    (a, c), (ba, bc) = ins, batched
    ta, tb = e.attrs.get("transpose_a", False), e.attrs.get("transpose_b", False)
    ra, rc = e.inputs[0].aval.ndim, e.inputs[1].aval.ndim
    if ba and not bc and ra == 2 and rc == 2 and not ta:
        # (B, m, k) @ W: one (B*m, k) @ W product instead of B small ones
        m = a.shape[1]
        flat = b.emit1("reshape", a, shape=(size * m, a.shape[2]))
        out = b.emit1("matmul", flat, c, transpose_a=False, transpose_b=tb)
        return [b.emit1("reshape", out, shape=(size, m, out.shape[-1]))]
    if bc and not ba and ra == 2 and rc == 2:
        # op(A) @ op(C_i) = (op(C_i)^T @ op(A)^T)^T: one (B*n, k) @ op(A)^T product; for matrix-vector
        # products (n = 1, per-example gradients) every transpose here is a free reshape
        ct = c if tb else _swap_last(b, c)  # (B, n, k)
        n, k = ct.shape[1], ct.shape[2]
        out = b.emit1("matmul", b.emit1("reshape", ct, shape=(size * n, k)), a, transpose_a=False,
                      transpose_b=not ta)
        return [_swap_last(b, b.emit1("reshape", out, shape=(size, n, out.shape[-1])))]
    rank = max(ra, rc)  # general: batch-broadcasting matmul over (B, 1.., m, k) and (1, 1.., k, n)
    xs = []
    for x, bt in ((a, ba), (c, bc)):
        if bt:
            xs.append(_lift(b, x, rank))
        else:
            xs.append(b.emit1("reshape", x, shape=(1,) * (rank + 1 - x.aval.ndim) + tuple(x.shape)))
    return b.emit("matmul", xs, e.attrs)


# composites with a direct rule (cheaper than batching their graphs op by op)
@_rule("gelu")
def _same_attrs(b, e, ins, batched, size):
    return b.emit(e.op, ins, e.attrs)


@_rule("flip")
def _flip(b, e, ins, batched, size):
    nd = e.inputs[0].aval.ndim
    ax = e.attrs.get("axis")
    axes = range(nd) if ax is None else ((ax,) if isinstance(ax, int) else ax)
    return b.emit(e.op, ins, dict(e.attrs, axis=tuple(_axis(a, nd) + 1 for a in axes)))


@_rule("fft", "rfft", "irfft")
def _fft(b, e, ins, batched, size):  # the batch axis is one more untransformed leading axis
    nd = e.inputs[0].aval.ndim
    return b.emit(e.op, ins, dict(e.attrs, axes=tuple(_axis(a, nd) + 1 for a in e.attrs["axes"])))


@_rule("clip")
def _clip(b, e, ins, batched, size):
    return _nary(b, e, ins, batched, size)


@_rule("pad")
def _pad(b, e, ins, batched, size):
    return b.emit(e.op, ins, dict(e.attrs, pads=[[0, 0]] + [list(p) for p in e.attrs["pads"]]))


@_rule("einsum")
def _einsum(b, e, ins, batched, size):
    eq = e.attrs["equation"].replace(" ", "")
    if "->" not in eq or "..." in eq:
        return _unrolled(b, e, ins, batched, size)
    lhs, rhs = eq.split("->")
    z = next(c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba" if c not in eq)
    subs = [z + t if bt else t for t, bt in zip(lhs.split(","), batched)]
    return b.emit(e.op, ins, dict(e.attrs, equation=",".join(subs) + "->" + z + rhs))


def _swap_last(b: Builder, x: Var) -> Var:
    """(B, p, q) -> (B, q, p); a reshape when p or q is 1."""
    _, p, q = x.shape
    if p == 1 or q == 1:
        return b.emit1("reshape", x, shape=(x.shape[0], q, p))
    return b.emit1("transpose", x, perm=(0, 2, 1))


# -- the transform --------------------------------------------------------------------------------
def _norm_axes(axes, n: int, what: str, label: str) -> list:
    if axes is None or (isinstance(axes, int) and not isinstance(axes, bool)):
        return [axes] * n
    if not isinstance(axes, (list, tuple)):
        raise ShapeError(f"vmap: {what} must be an integer, null or a list of them, got {axes!r}", node=label)
    axes = list(axes)
    if len(axes) != n:
        raise ShapeError(f"vmap: {what} has {len(axes)} entries, the function has {n}", node=label)
    for a in axes:
        if a is not None and (isinstance(a, bool) or not isinstance(a, int)):
            raise ShapeError(f"vmap: {what} entries must be integers or null, got {a!r}", node=label)
    return axes


def vmap_avals(fn: Graph, attrs: dict, in_avals: list[AVal], label: str) -> tuple[list[AVal], int]:
    """Output avals of a vmap node and its batch size; checks the inputs against fn's."""
    n = len(fn.inputs)
    if len(in_avals) != n:
        raise InvalidGraph(f"vmap of {fn.name!r}: the function takes {n} input(s), got {len(in_avals)}", node=label)
    in_axes = _norm_axes(attrs.get("in_axes", 0), n, "in_axes", label)
    size = None
    for i, (v, a, ax) in enumerate(zip(fn.inputs, in_avals, in_axes)):
        shape = a.shape
        if ax is not None:
            if not -a.ndim <= ax < max(a.ndim, 1) or a.ndim == 0:
                raise ShapeError(f"vmap: in_axes[{i}] = {ax} is out of range for input {i} of shape {list(shape)}",
                                 node=label)
            ax %= a.ndim
            if size is not None and shape[ax] != size:
                raise ShapeError(f"vmap: input {i} has {shape[ax]} elements on axis {ax}, others have {size}",
                                 node=label, shapes=[list(shape)])
            size = shape[ax]
            shape = shape[:ax] + shape[ax + 1:]
        if AVal(tuple(shape), a.dtype) != v.aval:
            raise ShapeError(f"vmap of {fn.name!r}: input {i} is {a} (in_axes {ax}), the function expects {v.aval}",
                             node=label, shapes=[list(a.shape), list(v.shape)])
    if size is None:
        raise ShapeError("vmap: no input is mapped (every in_axes entry is null)", node=label)
    outs = fn.flat_outputs
    out_axes = _norm_axes(attrs.get("out_axes", 0), len(outs), "out_axes", label)
    res = []
    for j, (o, ax) in enumerate(zip(outs, out_axes)):
        if ax is None:
            res.append(o.aval)
            continue
        if not -(o.aval.ndim + 1) <= ax <= o.aval.ndim:
            raise ShapeError(f"vmap: out_axes[{j}] = {ax} is out of range for output {j} of rank {o.aval.ndim}",
                             node=label)
        ax %= o.aval.ndim + 1
        res.append(AVal(o.shape[:ax] + (size,) + o.shape[ax:], o.dtype))
    return res, size


def _flatten_fn(b: Builder, fn: Graph, penv: dict[str, Var]) -> Graph:
    """fn with its function nodes expanded (grad / jvp / call / nested vmap), as plain ops."""
    own = {p.name for p in fn.params}  # fn's eqns use its own param Vars; nested functions may use others
    params = list(fn.params) + [Var(v.aval, name) for name, v in penv.items() if name not in own]
    g = Graph(list(fn.inputs), params, fn.eqns, fn.outputs, {}, dict(b.functions), fn.name)
    return layers.lower(g, opt=False, literal_nested_grads=b.nested_grads is None, budget=b.budget)


def _composite(b: Builder, e, ins, batched, size):
    """A composite op (engine/ops/composite.py) is a graph of other ops: batch those, one by one."""
    g = composite_graph(e.op, tuple(x.aval for x in e.inputs), dict(e.attrs))
    env = {v.id: (x, bt) for v, x, bt in zip(g.inputs, ins, batched)}
    _batch_eqns(b, g.eqns, env, size, f"{e.op} (composite)")
    return [_materialize(b, *env[o.id], size) for o in g.flat_outputs]


for _name in COMPOSITES:
    BATCH_RULES.setdefault(_name, _composite)


def expand_vmap(b: Builder, fn: Graph, ins: list[Var], attrs: dict, penv: dict[str, Var], label: str) -> list[Var]:
    out_avals, size = vmap_avals(fn, attrs, [x.aval for x in ins], label)
    in_axes = _norm_axes(attrs.get("in_axes", 0), len(ins), "in_axes", label)
    flat = _flatten_fn(b, fn, penv)
    env: dict[int, tuple[Var, bool]] = {}
    for v, x, ax in zip(flat.inputs, ins, in_axes):
        env[v.id] = (x, False) if ax is None else (moveaxis(b, x, ax % x.aval.ndim, 0), True)
    for p in flat.params:
        env[p.id] = (penv[p.name], False)
    _batch_eqns(b, flat.eqns, env, size, label)
    out_axes = _norm_axes(attrs.get("out_axes", 0), len(out_avals), "out_axes", label)
    res = []
    for j, (o, ax) in enumerate(zip(flat.flat_outputs, out_axes)):
        v, bt = env[o.id]
        if ax is None:
            if bt:
                raise ShapeError(f"vmap: out_axes[{j}] is null but output {j} depends on a mapped input", node=label)
            res.append(v)
            continue
        v = _materialize(b, v, bt, size)
        res.append(moveaxis(b, v, 0, ax % v.aval.ndim))
    return res


def hook_avals(functions: dict, attrs: dict, in_avals: list, label: str) -> list[AVal]:
    """Typing of a vmap node (engine.ops.functions' hook)."""
    name = attrs.get("fn")
    if name not in functions:
        raise InvalidGraph(f"unknown function {name!r}; defined: {sorted(functions) or 'none'}", node=label)
    return vmap_avals(functions[name], attrs, list(in_avals), label)[0]


def hook_expand(b: Builder, attrs: dict, ins: list, penv: dict, depth: int, label: str) -> list[Var]:
    """Expansion of a vmap node (engine.ops.functions' hook)."""
    return expand_vmap(b, lookup_function(b, attrs, label), list(ins), attrs, penv, label)


def vmap_graph(g: Graph, size: int, in_axes=0, out_axes=0) -> Graph:
    """vmap(g) as a graph whose mapped inputs carry `size` elements on their in_axes."""
    o = Outer(g, "vmapped_")
    axes_in = _norm_axes(in_axes, len(g.inputs), "in_axes", "vmap")
    axes_out = _norm_axes(out_axes, len(g.flat_outputs), "out_axes", "vmap")
    inputs = []
    for v, ax in zip(g.inputs, axes_in):
        if ax is None:
            inputs.append(Var(v.aval, v.name))
        else:
            ax %= v.aval.ndim + 1
            inputs.append(Var(AVal(v.shape[:ax] + (size,) + v.shape[ax:], v.dtype), v.name))
    outs = o.b.emit("vmap", inputs, {"fn": o.fname, "in_axes": tuple(axes_in), "out_axes": tuple(axes_out)})
    return Graph(inputs, o.params, o.b.eqns, tree_unflatten(g.outputs, outs), dict(g.param_values), o.fns,
                 name=f"vmap_{g.name}")


__all__ = ["BATCH_RULES", "expand_vmap", "vmap_avals", "vmap_graph", "moveaxis"]


# the vmap node's typing and expansion (engine/ops/vmap_op.py's hook)
layers.vmap_hook_avals, layers.vmap_hook_expand = hook_avals, hook_expand
