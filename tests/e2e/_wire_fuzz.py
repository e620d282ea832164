"""Random raw graphs (gradserve.graph/1 JSON written by hand, no SDK, no builder) over the engine's op registry,
each op mapped once to its JAX equivalent, for the wire differential (tests/e2e/test_differential_wire.py).

`make_case(seed)` draws a chain of ops with attrs from each op's schema (axes incl. negative, keepdims,
broadcasting operands with size-1 dims, 0-size inputs, float16/32/64), stop_gradient on random edges, and
returns the graph, its inputs and the JAX function of the same inputs (float64). `job(case, kind, rng)` draws
one request (eval, grad with positions and sens, vjp, jvp, hvp, hessian, order 2-3 grad) and JAX's answer.
Wide runner: PYTHONPATH=.:clients/python:tests python -m e2e._wire_fuzz N [first]  (starts its own server).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy import special as jsp

FLOATS = ("float16", "float32", "float64")


@dataclass
class Case:
    seed: int
    dtype: str
    inputs: list  # numpy arrays, the graph's inputs in order
    nodes: list = field(default_factory=list)
    outputs: object = None
    fn: object = None  # JAX function of the inputs (float64), same output structure
    ops: list = field(default_factory=list)  # op names drawn, for the report

    def graph(self) -> dict:
        ins = [{"name": f"x{i}", "shape": list(a.shape), "dtype": self.dtype} for i, a in enumerate(self.inputs)]
        return {"format": "gradserve.graph/1", "name": f"fuzz{self.seed}", "inputs": ins, "nodes": self.nodes,
                "outputs": self.outputs}


class _Gen:
    """Emits nodes into a Case and keeps, for each value name, its JAX expression (a function of the inputs)."""

    def __init__(self, case: Case, rng):
        self.case, self.rng, self.n = case, rng, 0
        self.expr: dict[str, object] = {}
        self.shape: dict[str, tuple] = {}

    def node(self, op: str, ins: list, attrs: dict, jfn, shape: tuple, n_out: int = 1) -> str:
        """The node's first output (the others, e.g. sort's indices, are named and left unused)."""
        self.n += 1
        out = f"v{self.n}"
        outs = [out] + [f"{out}_{k}" for k in range(1, n_out)]
        self.case.nodes.append({"op": op, "inputs": ins, "outputs": outs, "attrs": attrs})
        args = [self.expr[i] for i in ins]
        self.expr[out] = lambda env, args=args: jfn(*[a(env) for a in args])
        self.shape[out] = shape
        return out

    def const(self, value: float) -> str:
        self.n += 1
        out = f"v{self.n}"
        t = {"shape": [], "dtype": self.case.dtype, "data": [value]}
        self.case.nodes.append({"op": "const", "inputs": [], "outputs": [out], "attrs": {"value": {"tensor": t}}})
        self.expr[out] = lambda env: jnp.asarray(value, jnp.float64)
        self.shape[out] = ()
        return out

    def edge(self, name: str) -> str:
        """An operand, behind a stop_gradient now and then."""
        if self.rng.random() < 0.12:
            self.case.ops.append("stop_gradient")
            return self.node("stop_gradient", [name], {}, lax.stop_gradient, self.shape[name])
        return name

    def positive(self, x: str) -> str:
        """x*x + 0.5: the operand of an op defined for positive values only."""
        sq = self.node("mul", [x, x], {}, lambda a, b: a * b, self.shape[x])
        return self.node("add", [sq, self.const(0.5)], {}, lambda a, b: a + b, self.shape[x])

    def unit(self, x: str) -> str:
        """0.9 tanh(x): in (-1, 1)."""
        t = self.node("tanh", [x], {}, jnp.tanh, self.shape[x])
        return self.node("mul", [t, self.const(0.9)], {}, lambda a, b: a * b, self.shape[x])


# -- the ops: name -> (JAX function, domain). Each op is mapped once, here. ----------------------------
SMOOTH = {"sin": jnp.sin, "cos": jnp.cos, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid, "softplus": jax.nn.softplus,
          "square": jnp.square, "neg": jnp.negative, "atan": jnp.arctan, "asinh": jnp.arcsinh, "erf": jsp.erf,
          "exp": jnp.exp, "expm1": jnp.expm1, "sinh": jnp.sinh, "cosh": jnp.cosh, "abs": jnp.abs,
          "relu": jax.nn.relu, "identity": lambda a: a}
POSITIVE = {"log": jnp.log, "sqrt": jnp.sqrt, "rsqrt": lax.rsqrt, "reciprocal": jnp.reciprocal, "log1p": jnp.log1p,
            "lgamma": jsp.gammaln, "digamma": jsp.digamma}
UNIT = {"asin": jnp.arcsin, "acos": jnp.arccos, "atanh": jnp.arctanh}
BINARY = {"add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "maximum": jnp.maximum,
          "minimum": jnp.minimum, "atan2": jnp.arctan2}
REDUCE = {"sum": jnp.sum, "mean": jnp.mean, "prod": jnp.prod, "max": jnp.max, "min": jnp.min,
          "logsumexp": jsp.logsumexp}


def _axis_attr(rng, rank: int):
    """None, an int (maybe negative) or a list of distinct axes (maybe negative)."""
    if rank == 0 or rng.random() < 0.2:
        return None
    k = int(rng.integers(1, rank + 1))
    axes = [int(a) - (rank if rng.random() < 0.5 else 0) for a in rng.choice(rank, k, replace=False)]
    return axes[0] if k == 1 and rng.random() < 0.5 else axes


def _reduced(shape, axis, keepdims):
    rank = len(shape)
    axes = range(rank) if axis is None else [a % rank for a in ([axis] if isinstance(axis, int) else axis)]
    return tuple(1 if i in axes else d for i, d in enumerate(shape) if keepdims or i not in axes)


def _bcast_shape(rng, shape):
    """A shape that broadcasts with `shape` to `shape`: trailing dims kept or made 1, leading ones dropped."""
    s = [1 if rng.random() < 0.35 else d for d in shape]
    return tuple(s[int(rng.integers(0, len(s) + 1)):])


def _cum(jf, x, axis, exclusive, reverse, unit):
    if reverse:
        x = jnp.flip(x, axis)
    y = jf(x, axis=axis)
    if exclusive:
        pad = [(0, 0)] * x.ndim
        pad[axis] = (1, 0)
        y = jnp.pad(y, pad, constant_values=unit)
        y = lax.slice_in_dim(y, 0, x.shape[axis], axis=axis)
    return jnp.flip(y, axis) if reverse else y


def _step(g: _Gen, x: str, extra: list) -> str:
    """One random op on x (extra: the other graph inputs, broadcasting partners). Returns the new value."""
    rng, shape = g.rng, g.shape[x]
    rank = len(shape)
    kinds = ["smooth", "positive", "unit", "binary", "div", "pow", "movement", "where", "clip", "gelu"]
    if rank:
        kinds += ["reduce", "reduce", "softmax", "cum", "sort", "concat", "matmul"]
    kind = kinds[int(rng.integers(len(kinds)))]
    xe = g.edge(x)
    if kind in ("smooth", "positive", "unit"):
        table = {"smooth": SMOOTH, "positive": POSITIVE, "unit": UNIT}[kind]
        op = list(table)[int(rng.integers(len(table)))]
        arg = {"smooth": xe, "positive": g.positive(xe) if kind == "positive" else xe,
               "unit": g.unit(xe) if kind == "unit" else xe}[kind]
        g.case.ops.append(op)
        return g.node(op, [arg], {}, table[op], shape)
    if kind in ("binary", "div", "pow"):
        partner = _partner(g, shape, extra)
        if kind == "binary":
            op = list(BINARY)[int(rng.integers(len(BINARY)))]
            g.case.ops.append(op)
            a, b = (xe, partner) if rng.random() < 0.5 else (partner, xe)
            return g.node(op, [a, b], {}, BINARY[op], np.broadcast_shapes(g.shape[a], g.shape[b]))
        g.case.ops.append(kind)
        if kind == "div":
            return g.node("div", [xe, g.positive(partner)], {}, jnp.divide, shape)
        return g.node("pow", [g.positive(xe), partner], {}, jnp.power, shape)
    if kind in ("reduce", "softmax", "cum", "sort"):
        return _axis_op(g, kind, xe, shape)
    if kind == "concat":
        axis = int(rng.integers(-rank, rank))
        other = _partner(g, shape, extra, exact=True)
        op = ["concat", "stack"][int(rng.integers(2))]
        g.case.ops.append(op)
        if op == "stack":
            axis = int(rng.integers(-rank - 1, rank + 1))
            out = list(shape)
            out.insert(axis % (rank + 1), 2)
            return g.node("stack", [xe, other], {"axis": axis}, lambda a, b: jnp.stack([a, b], axis), tuple(out))
        out = list(shape)
        out[axis % rank] *= 2
        return g.node("concat", [xe, other], {"axis": axis}, lambda a, b: jnp.concatenate([a, b], axis), tuple(out))
    if kind == "where":
        partner = _partner(g, shape, extra)
        zero = g.const(0.0)
        g.n += 1
        c = f"v{g.n}"
        g.case.nodes.append({"op": "greater", "inputs": [x, zero], "outputs": [c], "attrs": {}})
        g.expr[c] = lambda env, ex=g.expr[x]: ex(env) > 0
        g.shape[c] = shape
        g.case.ops.append("where")
        return g.node("where", [c, xe, partner], {}, jnp.where, np.broadcast_shapes(shape, g.shape[partner]))
    if kind == "gelu":
        approx = ["none", "tanh"][int(rng.integers(2))]
        g.case.ops.append("gelu")
        return g.node("gelu", [xe], {"approximate": approx}, lambda a: jax.nn.gelu(a, approximate=approx == "tanh"),
                      shape)
    if kind == "matmul":
        return _matmul(g, xe, shape, extra)
    if kind == "clip":
        lo, hi = sorted(float(v) for v in rng.uniform(-0.8, 0.8, 2))
        attrs = {"min": lo if rng.random() < 0.8 else None, "max": hi if rng.random() < 0.8 else None}
        g.case.ops.append("clip")
        return g.node("clip", [xe], attrs, lambda a: jnp.clip(a, attrs["min"], attrs["max"]), shape)
    return _movement(g, xe, shape)


def _axis_op(g: _Gen, kind: str, xe: str, shape) -> str:
    """A reduction, softmax, cumulative op or sort along drawn axes of xe (rank >= 1)."""
    rng, rank = g.rng, len(shape)
    if kind == "reduce":
        op = list(REDUCE)[int(rng.integers(len(REDUCE)))]
        axis = _axis_attr(rng, rank)
        keep = bool(rng.random() < 0.5)
        if 0 in shape and op in ("max", "min", "logsumexp", "mean"):
            op = "sum"
        g.case.ops.append(op)
        jf = REDUCE[op]
        return g.node(op, [xe], {"axis": axis, "keepdims": keep},
                      lambda a: jf(a, axis=None if axis is None else tuple(np.atleast_1d(axis)), keepdims=keep),
                      _reduced(shape, axis, keep))
    if kind == "softmax":
        op = ["softmax", "log_softmax"][int(rng.integers(2))]
        axis = int(rng.integers(-rank, rank))
        if shape[axis] == 0:  # refused on purpose (400 shape_error naming the axis; JAX / torch answer empty)
            return g.node("sum", [xe], {"axis": axis, "keepdims": True}, lambda a: jnp.sum(a, axis, keepdims=True),
                          _reduced(shape, axis, True))
        g.case.ops.append(op)
        jf = jax.nn.softmax if op == "softmax" else jax.nn.log_softmax
        return g.node(op, [xe], {"axis": axis}, lambda a: jf(a, axis=axis), shape)
    if kind == "cum":
        op = ["cumsum", "cumprod"][int(rng.integers(2))]
        axis, exc, rev = int(rng.integers(-rank, rank)), bool(rng.random() < 0.4), bool(rng.random() < 0.4)
        g.case.ops.append(op)
        jf, unit = (jnp.cumsum, 0.0) if op == "cumsum" else (jnp.cumprod, 1.0)
        return g.node(op, [xe], {"axis": axis, "exclusive": exc, "reverse": rev},
                      lambda a: _cum(jf, a, axis % a.ndim, exc, rev, unit), shape)
    if kind == "sort":
        axis, desc = int(rng.integers(-rank, rank)), bool(rng.random() < 0.5)
        g.case.ops.append("sort")
        return g.node("sort", [xe], {"axis": axis, "descending": desc},
                      lambda a: -jnp.sort(-a, axis=axis) if desc else jnp.sort(a, axis=axis), shape, n_out=2)
    raise AssertionError(kind)


def _partner(g: _Gen, shape, extra, exact: bool = False) -> str:
    """Another graph input broadcast-compatible with `shape` (exactly `shape` when exact)."""
    want = tuple(shape) if exact else _bcast_shape(g.rng, shape)
    for name in extra:
        if g.shape[name] == want:
            return g.edge(name)
    i = len(g.case.inputs)
    g.case.inputs.append(_draw(g.rng, want, g.case.dtype))
    name = f"x{i}"
    g.expr[name] = lambda env, i=i: env[i]
    g.shape[name] = want
    extra.append(name)
    return g.edge(name)


def _matmul(g: _Gen, x: str, shape, extra) -> str:
    """x (rank >= 1; a vector is a row) times a fresh [k, m] or [m, k] input, with transpose_b drawn."""
    if len(shape) == 1:
        x = g.node("expand_dims", [x], {"axis": 0}, lambda a: jnp.expand_dims(a, 0), (1,) + tuple(shape))
        shape = g.shape[x]
    k, m = shape[-1], int(g.rng.integers(1, 4))
    tb = bool(g.rng.random() < 0.5)
    w = _partner(g, (m, k) if tb else (k, m), extra, exact=True)
    g.case.ops.append("matmul")
    return g.node("matmul", [x, w], {"transpose_a": False, "transpose_b": tb},
                  lambda a, b: jnp.matmul(a, b.T if tb else b), tuple(shape[:-1]) + (m,))


def _movement(g: _Gen, x: str, shape) -> str:
    rng, rank = g.rng, len(shape)
    ops = ["expand_dims", "reshape", "tile", "broadcast_to"] + (["transpose", "flip", "squeeze"] if rank else [])
    op = ops[int(rng.integers(len(ops)))]
    g.case.ops.append(op)
    if op == "expand_dims":
        axis = int(rng.integers(-rank - 1, rank + 1))
        out = list(shape)
        out.insert(axis % (rank + 1), 1)
        return g.node(op, [x], {"axis": axis}, lambda a: jnp.expand_dims(a, axis), tuple(out))
    if op == "reshape":
        out = [int(np.prod(shape, dtype=int))]
        if out[0] % 2 == 0 and out[0] and rng.random() < 0.5:
            out = [2, out[0] // 2]
        attr = list(out)
        if rng.random() < 0.4 and out[0]:
            attr[int(rng.integers(len(attr)))] = -1
        return g.node(op, [x], {"shape": attr}, lambda a: jnp.reshape(a, out), tuple(out))
    if op == "tile":
        reps = [int(r) for r in rng.integers(1, 3, int(rng.integers(max(rank, 1), rank + 2)))]
        ref = np.tile(np.zeros(shape), reps).shape
        return g.node(op, [x], {"reps": reps}, lambda a: jnp.tile(a, reps), ref)
    if op == "broadcast_to":
        out = (int(rng.integers(1, 3)),) + tuple(int(rng.integers(2, 4)) if d == 1 else d for d in shape)
        return g.node(op, [x], {"shape": list(out)}, lambda a: jnp.broadcast_to(a, out), out)
    if op == "transpose":
        perm = [int(p) for p in rng.permutation(rank)]
        return g.node(op, [x], {"perm": perm}, lambda a: jnp.transpose(a, perm), tuple(shape[p] for p in perm))
    if op == "flip":
        axis = _axis_attr(rng, rank)
        ax = axis if axis is None or isinstance(axis, int) else tuple(axis)
        return g.node(op, [x], {"axis": [axis] if isinstance(axis, int) else axis}, lambda a: jnp.flip(a, ax), shape)
    ones = [i - rank if rng.random() < 0.5 else i for i, d in enumerate(shape) if d == 1]
    if not ones:
        g.case.ops[-1] = "identity"
        return g.node("identity", [x], {}, lambda a: a, shape)
    out = tuple(d for d in shape if d != 1)
    return g.node("squeeze", [x], {"axis": ones}, lambda a: jnp.squeeze(a, tuple(ones)), out)


def _draw(rng, shape, dtype):
    # away from 0 (abs / relu / maximum kinks; sort ties), within [-1.5, 1.5]
    mag = rng.uniform(0.2, 1.5, shape)
    return (mag * rng.choice([-1.0, 1.0], shape)).astype(dtype)


def make_case(seed: int, steps: int | None = None) -> Case:
    rng = np.random.default_rng(seed)
    dtype = FLOATS[int(rng.choice(3, p=[0.15, 0.35, 0.5]))]
    rank = int(rng.integers(0, 4))
    shape = tuple(int(d) for d in rng.integers(1, 4, rank))
    if rank and rng.random() < 0.06:
        shape = tuple(0 if i == 0 else d for i, d in enumerate(shape))
    case = Case(seed, dtype, [_draw(rng, shape, dtype)])
    g = _Gen(case, rng)
    g.expr["x0"], g.shape["x0"] = (lambda env: env[0]), shape
    extra: list = ["x0"]
    x = "x0"
    first = x
    for _ in range(steps or int(rng.integers(1, 5))):
        if int(np.prod(g.shape[x], dtype=int)) > 64:
            x = g.node("sum", [x], {"axis": 0, "keepdims": False}, lambda a: jnp.sum(a, 0), g.shape[x][1:])
        x = _step(g, x, extra)
        first = first if first != "x0" else x
    two = rng.random() < 0.25 and first != x
    case.outputs = [x, first] if two else x
    ex, ef = g.expr[x], g.expr[first]
    case.fn = (lambda *env: (ex(env), ef(env))) if two else (lambda *env: ex(env))
    return case
