"""gradserve.from_jax (jax.export -> StableHLO) against JAX's own autodiff, on a PINN MLP:
value, gradients w.r.t. the input and all weights, a jvp, the Laplacian (second order) and the
gradient of the PINN residual loss w.r.t. the weights (third order)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops

from .checks import SumSq
from .models import close


def pinn(p, x):
    """u(x) for points x [N, 2]: tanh MLP, as physics-informed networks are written."""
    h = x
    for i, (w, b) in enumerate(p["layers"]):
        h = h @ w + b
        if i < len(p["layers"]) - 1:
            h = jnp.tanh(h)
    return h[:, 0]


def _setup():
    ks = jax.random.split(jax.random.PRNGKey(0), 7)
    sizes = [2, 16, 16, 1]
    p = {"layers": [(jax.random.normal(ks[2 * i], (a, b)) / np.sqrt(a), 0.1 * jax.random.normal(ks[2 * i + 1], (b,)))
                    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]}
    x = jax.random.uniform(ks[6], (6, 2), minval=-1.0, maxval=1.0)
    return p, x


class SumU(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def construct(self, x):
        return self.net(x).sum()


class Laplacian(nn.Cell):
    """Per point: u_xx + u_yy, by nested reverse mode (points are independent, so the diagonal of the
    Hessian of sum(u) restricted to one coordinate is that coordinate's second derivative)."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.su = SumU(net)

    def construct(self, x):
        lap = None
        for i in range(2):
            e = np.zeros(x.shape, np.float32)
            e[:, i] = 1.0
            e = Tensor(e)
            h = ops.grad(lambda z: (ops.grad(self.su)(z) * e).sum())(x)  # H e_i
            lap = h[:, i] if lap is None else lap + h[:, i]
        return lap


class PinnLoss(nn.Cell):
    def __init__(self, net, f):
        super().__init__()
        self.lap, self.f = Laplacian(net), Tensor(f)

    def construct(self, x):
        r = self.lap(x) - self.f
        return (r * r).mean()


@pytest.fixture
def model(fake):
    p, x = _setup()
    return p, x, gs.from_jax(pinn, x, params=p)


def test_value_grads_and_jvp(model):
    p, x, net = model
    leaves = jax.tree_util.tree_leaves(p)
    assert [q.name for q in net.trainable_params()] == ["layers.0.0", "layers.0.1", "layers.1.0", "layers.1.1",
                                                        "layers.2.0", "layers.2.1"]
    xn = np.asarray(x)
    close(net(Tensor(xn)).asnumpy(), jax.jit(pinn)(p, x), "value")

    gx, gw = ops.grad(SumU(net), grad_position=0, weights=net.trainable_params())(Tensor(xn))
    jp, jx = jax.jit(jax.grad(lambda p, x: pinn(p, x).sum(), argnums=(0, 1)))(p, x)
    close(gx.asnumpy(), jx, "grad x")
    for g, want in zip(gw, jax.tree_util.tree_leaves(jp)):
        close(g.asnumpy(), want, "grad w")
    assert len(gw) == len(leaves)

    v = np.asarray(jax.random.normal(jax.random.PRNGKey(9), x.shape))
    out, tan = ops.jvp(net, Tensor(xn), Tensor(v))
    wout, wtan = jax.jvp(lambda z: pinn(p, z), (x,), (jnp.asarray(v),))
    close(out.asnumpy(), wout, "jvp value")
    close(tan.asnumpy(), wtan, "jvp tangent")


def _jax_laplacian(p, x):
    hess = jax.vmap(jax.hessian(lambda pt: pinn(p, pt[None])[0]))(x)
    return jnp.trace(hess, axis1=1, axis2=2)


def test_laplacian_and_pinn_loss_gradient(model):
    p, x, net = model
    xn = np.asarray(x)
    lap = Laplacian(net)(Tensor(xn))
    want = jax.jit(_jax_laplacian)(p, x)
    close(lap.asnumpy(), want, "laplacian (second order)")
    assert np.abs(np.asarray(want)).max() > 1e-2

    f = np.sin(np.pi * xn[:, 0]) * np.cos(np.pi * xn[:, 1])
    loss = PinnLoss(net, f.astype(np.float32))
    gw = ops.grad(loss, grad_position=None, weights=net.trainable_params())(Tensor(xn))
    jw = jax.jit(jax.grad(lambda p: jnp.mean((_jax_laplacian(p, x) - f) ** 2)))(p)  # jit: seconds, not tens
    for g, w in zip(gw, jax.tree_util.tree_leaves(jw)):
        close(g.asnumpy(), w, "PINN loss gradient w.r.t. weights (third order)")


def test_unsupported_stablehlo_op_is_named(fake):
    # (floor, sort, cbrt import now; lax.rng_uniform is XLA's stateful generator, not a function of the inputs)
    with pytest.raises(gs.importers.UnsupportedModel, match=r"stablehlo\.rng") as e:
        gs.from_jax(lambda x: jax.lax.rng_uniform(x.min(), x.max(), x.shape) * 2.0, jnp.ones(4))
    assert e.value.op == "stablehlo.rng"


def _ln(x, g, b):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / jnp.sqrt(v + 1e-5) * g + b


def encoder_block(p, x):
    """Pre-norm attention + GELU MLP in plain JAX (einsum, softmax, erf GELU, layer norm)."""
    b, t, d = x.shape
    q, k, v = jnp.split(_ln(x, p["g1"], p["b1"]) @ p["wqkv"], 3, axis=-1)
    q, k, v = (z.reshape(b, t, 2, d // 2).transpose(0, 2, 1, 3) for z in (q, k, v))
    a = jax.nn.softmax(jnp.einsum("bhid,bhjd->bhij", q, k) / np.sqrt(d // 2), axis=-1)
    x = x + jnp.einsum("bhij,bhjd->bhid", a, v).transpose(0, 2, 1, 3).reshape(b, t, d) @ p["wo"]
    h = _ln(x, p["g2"], p["b2"]) @ p["w1"]
    # exact GELU through erf (a chlo.erf composite -> the erf op). jax.nn.gelu(approximate=False) goes
    # through erfc, which StableHLO inlines as a select of branches whose unselected one overflows:
    # its derivative is then nan (0 * inf), as documented in docs/IMPORTERS.md.
    return x + (0.5 * h * (1.0 + jax.scipy.special.erf(h / np.sqrt(2.0)))) @ p["w2"]


def test_transformer_encoder_block(fake):
    rng = np.random.default_rng(1)  # NumPy draws: jax.random would compile once per shape
    shapes = {"g1": (8,), "b1": (8,), "wqkv": (8, 24), "wo": (8, 8), "g2": (8,), "b2": (8,), "w1": (8, 16),
              "w2": (16, 8)}
    p = {k: jnp.asarray((1.0 if k.startswith("g") else 0.0) + 0.3 * rng.standard_normal(s), jnp.float32)
         for k, s in shapes.items()}
    x = jnp.asarray(rng.standard_normal((2, 5, 8)), jnp.float32)
    net = gs.from_jax(encoder_block, x, params=p)
    xn = np.asarray(x)
    close(net(Tensor(xn)).asnumpy(), jax.jit(encoder_block)(p, x), "value")  # jit: JAX compiles once, not per op

    c = rng.uniform(0.5, 1.5, (2, 5, 8)).astype(np.float32)
    loss = SumSq(net, c)

    def jloss(p, x):
        return ((encoder_block(p, x) * c) ** 2).sum() / 2

    gx, gw = ops.grad(loss, grad_position=0, weights=net.trainable_params())(Tensor(xn))
    jp, jx = jax.jit(jax.grad(jloss, argnums=(0, 1)))(p, x)
    close(gx.asnumpy(), jx, "grad x")
    for q, g in zip(net.trainable_params(), gw):
        close(g.asnumpy(), jp[q.name], f"grad {q.name}")

    v = rng.standard_normal(x.shape).astype(np.float32)
    _, tan = ops.jvp(net, Tensor(xn), Tensor(v))
    close(tan.asnumpy(), jax.jit(lambda z, t: jax.jvp(lambda y: encoder_block(p, y), (z,), (t,))[1])(x, v), "jvp")

    class GradDot(nn.Cell):
        def construct(self, z):
            return (ops.grad(loss)(z) * Tensor(v)).sum()

    hv = ops.grad(GradDot())(Tensor(xn))
    want = jax.jit(lambda z, t: jax.jvp(lambda y: jax.grad(jloss, argnums=1)(p, y), (z,), (t,))[1])(x, v)
    close(hv.asnumpy(), want, "hessian-vector product")


@pytest.mark.parametrize("how", ["max", "min", "multiply"])
def test_scatter_max_min_mul_match_jax_to_second_order(fake, how):
    """x.at[i].max / min / multiply(u) (repeated indices for max / min, as JAX allows; distinct ones for
    multiply, the only ones JAX differentiates): value, gradient w.r.t. x and u, and an HVP vs JAX."""
    idx = jnp.array([0, 2, 0, 4] if how != "multiply" else [0, 2, 3, 4])
    kw = {"unique_indices": True} if how == "multiply" else {}

    def f(x, u):
        y = getattr(jnp.asarray(x).at[idx], how)(u * 3.0, **kw)
        return jnp.sum(jnp.sin(y) * jnp.arange(1.0, 6.0, dtype=jnp.float32))

    x = np.array([0.3, -0.2, 0.5, 0.1, -0.4], np.float32)
    u = np.array([0.25, -0.1, 0.05, 0.2], np.float32)
    cell = gs.from_jax(f, x, u)
    close(cell(Tensor(x), Tensor(u)).asnumpy(), np.asarray(f(x, u)), "value")
    gx, gu = ops.grad(cell, grad_position=(0, 1))(Tensor(x), Tensor(u))
    wx, wu = jax.grad(f, argnums=(0, 1))(x, u)
    close(gx.asnumpy(), np.asarray(wx), "grad x")
    close(gu.asnumpy(), np.asarray(wu), "grad u")
    v = np.array([0.5, -1.0, 0.3, 0.7, 0.2], np.float32)

    class GradDot(nn.Cell):
        def construct(self, z):
            return (ops.grad(lambda y: cell(y, Tensor(u)))(z) * Tensor(v)).sum()

    want = jax.jvp(lambda y: jax.grad(f)(y, u), (x,), (v,))[1]
    close(ops.grad(GradDot())(Tensor(x)).asnumpy(), np.asarray(want), "hessian-vector product")


def test_integer_scatter_max_min_take_the_integer_extremes_as_identity(fake):
    # x.at[i].max / min of int32 arrays (repeated indices): JAX's own values; the import once failed with
    # OverflowError (an infinite identity cast to an integer)
    idx = jnp.array([0, 2, 0, 4])

    def f(x, u):
        return jnp.asarray(x).at[idx].max(u), jnp.asarray(x).at[idx].min(u)

    x, u = np.array([3, -2, 5, 1, -4], np.int32), np.array([7, -1, 2, 0], np.int32)
    got = gs.from_jax(f, x, u)(Tensor(x), Tensor(u))
    for g, want in zip(got, f(x, u)):
        assert g.dtype == gs.int32
        np.testing.assert_array_equal(g.asnumpy(), np.asarray(want))


def test_scatter_with_another_update_computation_is_refused_naming_it(fake):
    def upd(x):
        return x.at[jnp.array([0, 2, 0])].apply(jnp.sin)

    with pytest.raises(gs.importers.UnsupportedModel, match=r"scatter with update computation") as e:
        gs.from_jax(upd, jnp.ones(4, jnp.float32))
    assert e.value.op == "stablehlo.scatter"


def test_round_half_away_and_half_even_at_exact_ties(fake):
    from jax import lax

    v = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999997, -3.7, 4.2], np.float32)
    for f in (lax.round, jnp.round):  # round_nearest_afz (lax.round's default), round_nearest_even
        got = gs.from_jax(f, v)(gs.Tensor(v)).asnumpy()
        np.testing.assert_array_equal(got, np.asarray(f(v)), err_msg=str(f))
