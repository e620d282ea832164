"""Small graphs, one per op family, each with its JAX twin: what benchmarks/derivative_size.py measures
(derivative graph sizes against JAX's jaxpr) and tests/engine/test_derivative_size.py bounds and checks.

A family is (input shape, build(gb, x) -> output Var, JAX function of x). Inputs are float64.
"""
from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from engine import transforms
from engine.api import GraphBuilder
from engine.ir import Graph
from engine.serialize import graph_from_json

IDX = np.array([0, 2, 2, 1], np.int64)
KERNEL = np.array([[[[0.5, -0.25], [0.75, 1.0]]]])


def _elementwise(b, x):
    return b.tanh(b.mul(b.sin(x), b.exp(x)))


def _reductions(b, x):
    s = b.sum(b.mul(x, x), axis=(1,))
    m = b.max(x, axis=(1,))
    return b.mul(b.add(s, m), b.logsumexp(x, axis=(1,)))


def _softmax(b, x):
    return b.mul(b.softmax(x, axis=-1), b.log_softmax(x, axis=0))


def _cumulative(b, x):
    return b.mul(b.cumprod(x, axis=1), b.cumsum(x, axis=0, reverse=True))


def _stack_concat_split(b, x):
    st = b.stack(x, b.sin(x), axis=0)
    p, q = b.emit("split", [b.concat(x, b.cos(x), axis=1)], {"sections": 2, "axis": 1})
    return b.mul(b.sum(b.mul(st, st), axis=(0,)), b.mul(p, q))


def _where_max_clip(b, x):
    w = b.where(b.greater(x, b.scalar(0.0, x.dtype)), b.mul(x, x), b.sin(x))
    m = b.minimum(b.maximum(w, b.cos(x)), b.scalar(0.9, x.dtype))
    return b.mul(b.clip(m, min=-0.3, max=0.8), x)


def _gather_scatter(b, x):
    idx = b.const(IDX)
    g = b.gather(x, idx, axis=1)
    return b.mul(b.scatter_add(b.mul(g, g), idx, shape=(2, 3), axis=1), x)


def _matmul(b, x):
    return b.tanh(b.matmul(x, b.sin(x), transpose_b=True))


def _conv(b, x):
    return b.tanh(b.conv(b.sin(x), b.const(KERNEL)))


def _jax_where_max_clip(x):
    w = jnp.where(x > 0, x * x, jnp.sin(x))
    return jnp.clip(jnp.minimum(jnp.maximum(w, jnp.cos(x)), 0.9), -0.3, 0.8) * x


def _jax_gather_scatter(x):
    g = x[:, IDX]
    return jnp.zeros((2, 3)).at[:, IDX].add(g * g) * x


def _jax_stack_concat_split(x):
    st = jnp.stack([x, jnp.sin(x)])
    p, q = jnp.split(jnp.concatenate([x, jnp.cos(x)], axis=1), 2, axis=1)
    return jnp.sum(st * st, axis=0) * (p * q)


def _jax_conv(x):
    y = jax.lax.conv_general_dilated(jnp.sin(x), jnp.asarray(KERNEL), (1, 1), "VALID")
    return jnp.tanh(y)


FAMILIES = {
    "elementwise": ((2, 3), _elementwise, lambda x: jnp.tanh(jnp.sin(x) * jnp.exp(x))),
    "reductions": ((2, 3), _reductions,
                   lambda x: (jnp.sum(x * x, 1) + jnp.max(x, 1)) * logsumexp(x, 1)),
    "softmax": ((2, 3), _softmax, lambda x: jax.nn.softmax(x, -1) * jax.nn.log_softmax(x, 0)),
    "cumulative": ((2, 3), _cumulative, lambda x: jnp.cumprod(x, 1) * jnp.flip(jnp.cumsum(jnp.flip(x, 0), 0), 0)),
    "stack_concat_split": ((2, 3), _stack_concat_split, _jax_stack_concat_split),
    "where_max_clip": ((2, 3), _where_max_clip, _jax_where_max_clip),
    "gather_scatter": ((2, 3), _gather_scatter, _jax_gather_scatter),
    "matmul": ((2, 3), _matmul, lambda x: jnp.tanh(x @ jnp.sin(x).T)),
    "conv": ((1, 1, 3, 3), _conv, _jax_conv),
}


def family_graph(name: str) -> Graph:
    shape, build, _ = FAMILIES[name]
    gb = GraphBuilder(name)
    x = gb.input(shape, "float64")
    return gb.build(build(gb, x))


def family_input(name: str) -> np.ndarray:
    """Values away from the kinks (0 for where / relu-like ops, the clip bounds, ties of max)."""
    shape = FAMILIES[name][0]
    n = int(np.prod(shape))
    return (np.linspace(-1.3, 1.2, n) + 0.07 * np.arange(n) % 0.05).reshape(shape)


def jax_grad_of(f):
    """GradOperation's grad: of the sum of f's output (ones as sens), as a function of the same input."""
    return jax.grad(lambda x: jnp.sum(f(x)))


def jax_order(f, order: int):
    for _ in range(order):
        f = jax_grad_of(f)
    return f


def nested_grad(g: Graph, order: int, position: int = 0) -> Graph:
    """GradOperation at `position` applied `order` times, as the service derives an `order` job."""
    for _ in range(order):
        g = transforms.grad(g, position)
    return g


def derived_for_seed(seed: int, kind: str):
    """The wire fuzzer's (tests/e2e) hessian or order job of `seed`, as its server derives it: (case, the job's
    name, the derived graph, the JAX function of the case's inputs giving the same values)."""
    from e2e._wire_fuzz import make_case
    from e2e._wire_jobs import KINDS, _grad_of, _total, request, run_kind

    case = make_case(seed)
    g = graph_from_json(case.graph())
    rng = np.random.default_rng(seed * 7919 + KINDS.index(kind))  # as run_one draws the job
    kind = run_kind(case, kind)
    _, opts, _ = request(case, kind, rng)
    if kind == "hessian":
        return case, kind, transforms.hessian(g, opts["positions"]), jax.hessian(case.fn, opts["positions"])
    if kind == "hvp":
        pos, v = opts["positions"], opts["v"][0]
        grad = jax.grad(lambda *a: _total(case.fn(*a)), pos)
        return case, kind, transforms.hvp(g, pos), \
            jax.grad(lambda *a: jnp.vdot(grad(*a), jnp.asarray(v, jnp.float64)), pos)
    order, pos = opts["order"], opts["grad_position"]
    f = case.fn
    for _ in range(order):
        f = _grad_of(f, pos)
    return case, f"order {order}", nested_grad(g, order, pos), f

