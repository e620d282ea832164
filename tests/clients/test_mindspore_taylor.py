"""Taylor mode: ops.jet / ops.derivative (nested jvp over the curve x0 + sum_k s_k t^k / k!) and
ops.linearize (a curried jvp). Expected values from JAX: `jax.experimental.jet` (the same
convention: series terms are derivatives along the curve), nested `jax.jvp`, `jax.linearize`;
computed in float64 so the comparison is tight."""
from __future__ import annotations

import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops
from gradserve.ops.functional import derivative, jet, linearize

jax = pytest.importorskip("jax")
jnp = jax.numpy
jet_ref = pytest.importorskip("jax.experimental.jet").jet
rng = np.random.default_rng(7)


def f64(*shape):
    return rng.uniform(0.2, 1.2, size=shape)


class Mixed(nn.Cell):
    """Two inputs, two outputs, ops with nonzero derivatives of every order."""

    def construct(self, x, y):
        u = ops.sin(x) * ops.cos(y) + x / ops.cos(y)
        return ops.exp(u), ops.tanh(x * y) + ops.log(y)


def mixed_jax(x, y):
    u = jnp.sin(x) * jnp.cos(y) + x / jnp.cos(y)
    return jnp.exp(u), jnp.tanh(x * y) + jnp.log(y)


def jax_jet(fn, xs, ss):
    """JAX's jet with gradserve's layout: series (K, *shape) per input, (K, *out.shape) per output."""
    with jax.enable_x64(True):  # jit: JAX's jet run eagerly compiles op by op (seconds)
        out, terms = jax.jit(lambda xs, ss: jet_ref(fn, xs, ss))(tuple(xs), tuple([list(s) for s in ss]))
        if isinstance(out, (tuple, list)):
            return [np.asarray(o) for o in out], [np.stack([np.asarray(t) for t in ts]) for ts in terms]
        return np.asarray(out), np.stack([np.asarray(t) for t in terms])


def jax_derivative(fn, xs, order):
    """The order-th derivative of t -> fn(xs + t) at 0, by nested jax.jvp (independent of jet)."""
    with jax.enable_x64(True):
        def g(t):
            return fn(*[x + t for x in xs])

        d = g
        for _ in range(order):
            d = (lambda h: lambda t: jax.jvp(h, (t,), (jnp.ones_like(t),))[1])(d)
        return jax.tree_util.tree_map(np.asarray, jax.jit(d)(jnp.zeros(())))


def close(got, want, rtol=1e-9, atol=1e-9):
    assert tuple(got.shape) == np.shape(want)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=rtol, atol=atol)


def test_jet_of_a_cell_with_two_inputs_and_outputs_matches_jax(on_real_server):
    x, y = f64(2, 3), f64(2, 3)
    sx, sy = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 2, 3))  # every order nonzero
    out, series = jet(Mixed(), (Tensor(x), Tensor(y)), (Tensor(sx), Tensor(sy)))
    want_out, want_series = jax_jet(mixed_jax, [x, y], [sx, sy])
    assert isinstance(out, list) and isinstance(series, list) and len(out) == len(series) == 2  # as MindSpore
    for g, w in zip(out, want_out):
        close(g, w)
    for g, w in zip(series, want_series):
        assert g.dtype == gs.float64
        close(g, w)


def test_jet_single_tensor_function_returns_tensors(on_real_server):
    x = f64(5)
    s = rng.normal(size=(3, 5))
    out, series = jet(lambda v: ops.exp(ops.sin(v)) * v, Tensor(x), Tensor(s))
    want_out, want_series = jax_jet(lambda v: jnp.exp(jnp.sin(v)) * v, [x], [s])
    close(out, want_out)
    close(series, want_series)


def test_jet_in_float32_and_of_integer_primals(on_real_server):
    x = np.array([0.3, 1.1], np.float32)
    s = np.array([[1.0, -0.5], [0.25, 2.0]], np.float32)
    out, series = jet(ops.tan, Tensor(x), Tensor(s))
    assert out.dtype == gs.float32 and series.dtype == gs.float32
    _, want = jax_jet(lambda v: jnp.sin(v) / jnp.cos(v), [x.astype(np.float64)], [s.astype(np.float64)])
    np.testing.assert_allclose(series.asnumpy(), want, rtol=1e-5)
    # integer primals and series are computed in float32 (MindSpore's rule)
    out, series = jet(ops.sin, Tensor(np.array([1, 2], np.int32)), Tensor(np.array([[1, 1], [0, 1]], np.int32)))
    assert out.dtype == gs.float32 and series.dtype == gs.float32
    _, want = jax_jet(jnp.sin, [np.array([1.0, 2.0])], [np.array([[1.0, 1.0], [0.0, 1.0]])])
    np.testing.assert_allclose(series.asnumpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("order", [1, 2, 5])
def test_derivative_matches_nested_jvp(on_real_server, order):
    x, y = f64(3), f64(3)
    out, d = derivative(Mixed(), (Tensor(x), Tensor(y)), order)
    want = jax_derivative(mixed_jax, [x, y], order)
    for g, w in zip(d, want):
        close(g, w, rtol=1e-8)
    with jax.enable_x64(True):
        want_out = mixed_jax(x, y)
    for g, v in zip(out, want_out):
        close(g, np.asarray(v))


def test_derivative_single_input_is_the_last_jet_row(on_real_server):
    x = f64(4)
    _, d3 = derivative(ops.exp, Tensor(x), 3)
    _, rows = jet(ops.exp, Tensor(x), Tensor(np.stack([np.ones(4), np.zeros(4), np.zeros(4)])))
    close(d3, np.exp(x))  # every derivative of exp is exp
    close(d3, rows.asnumpy()[2])


def test_jet_and_derivative_inside_construct_and_under_grad(on_real_server):
    class Hod(nn.Cell):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def construct(self, x, s):
            p, ser = jet(self.net, x, s)
            _, d2 = derivative(self.net, x, 2)
            return p, ser, d2

    x = f64(3)
    s = np.stack([np.ones(3), np.zeros(3)])
    p, ser, d2 = Hod(nn.Tanh())(Tensor(x), Tensor(s))
    want_p, want_ser = jax_jet(jnp.tanh, [x], [s])
    close(p, want_p)
    close(ser, want_ser)
    close(d2, want_ser[1])
    # reverse mode over the Taylor nest: d/dx of sin''(x) = sin'''(x) = -cos(x)
    g = gs.grad(lambda v: ops.sum(derivative(ops.sin, v, 2)[1]))(Tensor(x))
    close(g, -np.cos(x))


def test_linearize_matches_jax_linearize(fake):
    x, y = f64(2, 2), f64(2, 2)
    vx, vy = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    out, jvp_fn = linearize(Mixed(), (Tensor(x), Tensor(y)))
    with jax.enable_x64(True):
        want_out, lin = jax.linearize(mixed_jax, x, y)
        want_a, want_b = lin(vx, vy), lin(vy, vx)
    got_a, got_b = jvp_fn((Tensor(vx), Tensor(vy))), jvp_fn((Tensor(vy), Tensor(vx)))
    for g, w in zip(out, want_out):
        close(g, np.asarray(w))
    for g, w in [*zip(got_a, want_a), *zip(got_b, want_b)]:
        close(g, np.asarray(w))
    n = len(fake.requests)
    jvp_fn((Tensor(vx), Tensor(vy)))
    assert len(fake.requests) - n <= 1  # the jvp graph is cached: one eval per call


def test_linearize_single_input_inside_jit(on_real_server):
    @gs.jit
    def both(v, t1, t2):
        out, jvp_fn = linearize(lambda a: a ** 3, v)
        return out, jvp_fn(t1), jvp_fn(t2)

    x, t1, t2 = f64(3), rng.normal(size=3), rng.normal(size=3)
    out, j1, j2 = both(Tensor(x), Tensor(t1), Tensor(t2))
    close(out, x ** 3)
    close(j1, 3 * x ** 2 * t1)
    close(j2, 3 * x ** 2 * t2)


@pytest.mark.parametrize("call, exc, words", [
    (lambda x: jet(ops.sin, x, (x,)), TypeError, "both be a Tensor"),
    (lambda x: jet(ops.sin, [x], [Tensor(np.ones((1, 3)))]), TypeError, "both be a Tensor"),
    (lambda x: jet(ops.sin, x, Tensor(np.ones((2, 4)))), ValueError, "series[0] must have shape"),
    (lambda x: jet(ops.add, (x, x), (Tensor(np.ones((1, 3))), Tensor(np.ones((2, 3))))), ValueError,
     "same number of orders"),
    (lambda x: derivative(ops.sin, x, 0), ValueError, "at least 1"),
    (lambda x: derivative(ops.sin, x, 2.0), TypeError, "order must be an int"),
    (lambda x: derivative(ops.sin, np.ones(3), 2), TypeError, "Tensor or a tuple"),
    (lambda x: linearize(ops.sin, 3.0), TypeError, "inputs must be"),
])
def test_bad_arguments_name_what_is_wrong(on_real_server, call, exc, words):
    with pytest.raises(exc) as info:
        call(Tensor(np.ones(3)))
    assert words in str(info.value)


def test_taylor_functions_on_a_real_server(on_real_server):
    x, y = f64(3), f64(3)
    sx, sy = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    _, series = jet(Mixed(), (Tensor(x), Tensor(y)), (Tensor(sx), Tensor(sy)))
    for g, w in zip(series, jax_jet(mixed_jax, [x, y], [sx, sy])[1]):
        close(g, w)
    _, d = derivative(Mixed(), (Tensor(x), Tensor(y)), 4)
    for g, w in zip(d, jax_derivative(mixed_jax, [x, y], 4)):
        close(g, w, rtol=1e-8)
    _, jvp_fn = linearize(ops.sin, Tensor(x))
    close(jvp_fn(Tensor(sx[0])), np.cos(x) * sx[0])
