"""Random composite graphs (hypothesis) against JAX: gradients, forward tangents and
second derivatives of a few ops chained, in float64."""
from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
hypothesis = pytest.importorskip("hypothesis")

import jax.numpy as jnp  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engine import Engine, GraphBuilder, grad, jvp  # noqa: E402

FULL = (2, 3)
OFFSET = 0.0371  # keeps maximum/minimum operands apart: ties are kinks (MindSpore and JAX split them differently)
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)


# Each op: (arity, engine emitter, JAX function). Operands are pool values whose shapes all
# broadcast to (2, 3); `full` broadcasts one to (2, 3) where an op needs the whole matrix.
def _e_full(b, a):
    return a if tuple(a.shape) == FULL else b.broadcast_to(a, shape=FULL)


def _j_full(a):
    return jnp.broadcast_to(a, FULL)


def _one(b, a):
    return b.scalar(1.0, a.dtype)


def _e_pos(b, a):  # 1 + a^2 > 0
    return b.add(_one(b, a), b.square(a))


def _j_pos(a):
    return 1 + a * a


UNARY = {
    "sin": (lambda b, a: b.sin(a), jnp.sin),
    "cos": (lambda b, a: b.cos(a), jnp.cos),
    "tanh": (lambda b, a: b.tanh(a), jnp.tanh),
    "exp_tanh": (lambda b, a: b.exp(b.tanh(a)), lambda a: jnp.exp(jnp.tanh(a))),
    "sigmoid": (lambda b, a: b.sigmoid(a), jax.nn.sigmoid),
    "softplus": (lambda b, a: b.softplus(a), jax.nn.softplus),
    "square": (lambda b, a: b.square(a), jnp.square),
    "atan": (lambda b, a: b.atan(a), jnp.arctan),
    "asinh": (lambda b, a: b.asinh(a), jnp.arcsinh),
    "erf": (lambda b, a: b.erf(a), jax.scipy.special.erf),
    "neg": (lambda b, a: b.neg(a), jnp.negative),
    "abs": (lambda b, a: b.abs(a), jnp.abs),
    "relu": (lambda b, a: b.relu(a), jax.nn.relu),
    "log_pos": (lambda b, a: b.log(_e_pos(b, a)), lambda a: jnp.log(_j_pos(a))),
    "sqrt_pos": (lambda b, a: b.sqrt(_e_pos(b, a)), lambda a: jnp.sqrt(_j_pos(a))),
    "rsqrt_pos": (lambda b, a: b.rsqrt(_e_pos(b, a)), lambda a: 1 / jnp.sqrt(_j_pos(a))),
    "recip_pos": (lambda b, a: b.reciprocal(_e_pos(b, a)), lambda a: 1 / _j_pos(a)),
    "asin_tanh": (lambda b, a: b.asin(b.mul(b.tanh(a), b.scalar(0.9, a.dtype))),
                  lambda a: jnp.arcsin(0.9 * jnp.tanh(a))),
    "atanh_tanh": (lambda b, a: b.atanh(b.mul(b.tanh(a), b.scalar(0.9, a.dtype))),
                   lambda a: jnp.arctanh(0.9 * jnp.tanh(a))),
    "acosh_pos": (lambda b, a: b.acosh(b.add(_e_pos(b, a), b.scalar(0.1, a.dtype))),
                  lambda a: jnp.arccosh(_j_pos(a) + 0.1)),
    "log1p_sq": (lambda b, a: b.log1p(b.square(a)), lambda a: jnp.log1p(a * a)),
    "expm1_tanh": (lambda b, a: b.expm1(b.tanh(a)), lambda a: jnp.expm1(jnp.tanh(a))),
    "stop_gradient": (lambda b, a: b.stop_gradient(a), jax.lax.stop_gradient),
    "roll_cols": (lambda b, a: b.concat(b.index(_e_full(b, a), index=[[None, None, None], [1, None, None]]),
                                        b.index(_e_full(b, a), index=[[None, None, None], [0, 1, None]]), axis=1),
                  lambda a: jnp.concatenate([_j_full(a)[:, 1:], _j_full(a)[:, :1]], axis=1)),
    "transpose_reshape": (lambda b, a: b.reshape(b.transpose(_e_full(b, a)), shape=FULL),
                          lambda a: jnp.reshape(jnp.transpose(_j_full(a)), FULL)),
    "reverse_rows": (lambda b, a: b.index(_e_full(b, a), index=[[None, None, -1]]), lambda a: _j_full(a)[::-1]),
}
BINARY = {
    "add": (lambda b, x, y: b.add(x, y), jnp.add),
    "sub": (lambda b, x, y: b.sub(x, y), jnp.subtract),
    "mul": (lambda b, x, y: b.mul(x, y), jnp.multiply),
    "div_pos": (lambda b, x, y: b.div(x, _e_pos(b, y)), lambda x, y: x / _j_pos(y)),
    "pow_pos": (lambda b, x, y: b.pow(_e_pos(b, x), b.tanh(y)), lambda x, y: _j_pos(x) ** jnp.tanh(y)),
    "maximum": (lambda b, x, y: b.maximum(x, b.add(y, b.scalar(OFFSET, y.dtype))),
                lambda x, y: jnp.maximum(x, y + OFFSET)),
    "minimum": (lambda b, x, y: b.minimum(x, b.add(y, b.scalar(OFFSET, y.dtype))),
                lambda x, y: jnp.minimum(x, y + OFFSET)),
    "where": (lambda b, x, y: b.where(b.greater(x, y), b.sin(x), b.mul(y, y)),
              lambda x, y: jnp.where(x > y, jnp.sin(x), y * y)),
    "stack_sum": (lambda b, x, y: b.sum(b.stack(_e_full(b, x), _e_full(b, y), axis=0), axis=(0,)),
                  lambda x, y: jnp.sum(jnp.stack([_j_full(x), _j_full(y)]), axis=0)),
}
TERNARY = {
    # a @ (b^T c): (2,3) @ (3,3), exercising transpose_a
    "matmul": (lambda b, x, y, z: b.matmul(_e_full(b, x), b.matmul(_e_full(b, y), _e_full(b, z), transpose_a=True)),
               lambda x, y, z: _j_full(x) @ (_j_full(y).T @ _j_full(z))),
    # (a b^T) c : exercising transpose_b
    "matmul_tb": (lambda b, x, y, z: b.matmul(b.matmul(_e_full(b, x), _e_full(b, y), transpose_b=True), _e_full(b, z)),
                  lambda x, y, z: (_j_full(x) @ _j_full(y).T) @ _j_full(z)),
}
AXES = [None, (0,), (1,)]


def _lse(a, axis, keepdims):
    return jax.scipy.special.logsumexp(a, axis=axis, keepdims=keepdims)


REDUCE = {  # over `axis` of the (2,3) operand, keepdims, so results stay broadcastable
    "sum": (lambda b, a, ax: b.sum(a, axis=ax, keepdims=True), lambda a, ax: jnp.sum(a, axis=ax, keepdims=True)),
    "mean": (lambda b, a, ax: b.mean(a, axis=ax, keepdims=True), lambda a, ax: jnp.mean(a, axis=ax, keepdims=True)),
    "max": (lambda b, a, ax: b.max(a, axis=ax, keepdims=True), lambda a, ax: jnp.max(a, axis=ax, keepdims=True)),
    "min": (lambda b, a, ax: b.min(a, axis=ax, keepdims=True), lambda a, ax: jnp.min(a, axis=ax, keepdims=True)),
    "prod": (lambda b, a, ax: b.prod(a, axis=ax, keepdims=True), lambda a, ax: jnp.prod(a, axis=ax, keepdims=True)),
    "logsumexp": (lambda b, a, ax: b.logsumexp(a, axis=ax, keepdims=True), lambda a, ax: _lse(a, ax, True)),
    "softmax": (lambda b, a, ax: b.softmax(a, axis=ax[-1] if ax else -1),
                lambda a, ax: jax.nn.softmax(a, axis=ax[-1] if ax else -1)),
    "log_softmax": (lambda b, a, ax: b.log_softmax(a, axis=ax[-1] if ax else -1),
                    lambda a, ax: jax.nn.log_softmax(a, axis=ax[-1] if ax else -1)),
}

instruction = st.one_of(
    st.tuples(st.just("u"), st.sampled_from(sorted(UNARY)), st.integers(0, 99)),
    st.tuples(st.just("b"), st.sampled_from(sorted(BINARY)), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("t"), st.sampled_from(sorted(TERNARY)), st.integers(0, 99), st.integers(0, 99),
              st.integers(0, 99)),
    st.tuples(st.just("r"), st.sampled_from(sorted(REDUCE)), st.integers(0, 99), st.integers(0, 2)),
)
program = st.lists(instruction, min_size=2, max_size=6)
Y_SHAPES = [(3,), (2, 3), (1,), (2, 1)]


def interpret(prog, x, y, *, engine: bool, b=None):
    """Run the program on (x, y) with engine ops (b: a Builder) or with jax.numpy."""
    pool = [x, y]
    for ins in prog:
        kind, name, *args = ins
        if kind == "r":
            idx, ax = args
            a = pool[idx % len(pool)]
            axis = AXES[ax]
            e, j = REDUCE[name]
            pool.append(e(b, _e_full(b, a), axis) if engine else j(_j_full(a), axis))
            continue
        ops = {"u": UNARY, "b": BINARY, "t": TERNARY}[kind]
        operands = [pool[i % len(pool)] for i in args]
        e, j = ops[name]
        pool.append(e(b, *operands) if engine else j(*operands))
    return pool


def build(prog, y_shape, w):
    gb = GraphBuilder("random")
    x = gb.input(FULL, "float64", name="x")
    y = gb.input(y_shape, "float64", name="y")
    pool = interpret(prog, x, y, engine=True, b=gb)
    last = _e_full(gb, pool[-1])
    # two outputs: without sens the gradient is of their sum (MindSpore's rule)
    return gb.build((gb.sum(gb.mul(last, gb.const(w))), gb.mean(pool[-2])))


def jax_f(prog, w):
    def f(x, y):
        pool = interpret(prog, x, y, engine=False)
        return jnp.sum(_j_full(pool[-1]) * w) + jnp.mean(pool[-2])
    return f


def close(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} vs {b.shape}"
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    err = float(np.max(np.abs(a - b), initial=0.0))
    assert err <= 1e-9 * scale, f"{what}: max abs error {err:.3g}\nengine={a}\njax={b}"


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prog=program, y_shape=st.sampled_from(Y_SHAPES), seed=st.integers(0, 2**16))
def test_random_graph_matches_jax(prog, y_shape, seed):
    rng = np.random.default_rng(seed)
    xv = rng.uniform(-1.5, 1.5, FULL)
    yv = rng.uniform(-1.5, 1.5, y_shape)
    w = rng.uniform(-1, 1, FULL)
    vx, vy = rng.standard_normal(FULL), rng.standard_normal(y_shape)
    g = build(prog, y_shape, w)
    f = jax_f(prog, w)
    eng = Engine()
    note = f"program={prog} y_shape={y_shape}"
    with jax.disable_jit():  # op by op: primitives compile once per shape and are reused across examples
        # forward over reverse in one JAX call: the gradient and the Hessian-vector product
        grad_f = jax.grad(jax_f(prog, w), argnums=(0, 1))
        (jx, jy), (jhx, jhy) = jax.jvp(grad_f, (xv, yv), (vx, vy))

    # reverse mode, first order
    g1 = grad(g, grad_position=(0, 1))
    dx, dy = eng.run(g1, [xv, yv])
    close(dx, jx, f"d/dx; {note}")
    close(dy, jy, f"d/dy; {note}")
    # forward mode: the jvp of the (sum of the) outputs is <grad, v>
    _, (t1, t2) = eng.run(jvp(g), [xv, yv, vx, vy])
    close(t1 + t2, np.vdot(jx, vx) + np.vdot(jy, vy), f"jvp; {note}")
    # second order, reverse over reverse: grad of <grad, v> == H v
    hx, hy = eng.run(grad(g1, grad_position=(0, 1), sens_param=True), [xv, yv, vx, vy])
    close(hx, jhx, f"hvp x; {note}")
    close(hy, jhy, f"hvp y; {note}")
    # and forward over reverse in the engine too
    _, (fhx, fhy) = eng.run(jvp(g1), [xv, yv, vx, vy])
    close(fhx, jhx, f"jvp of grad x; {note}")
    close(fhy, jhy, f"jvp of grad y; {note}")
