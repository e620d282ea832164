"""Round 12's leftovers in the StableHLO importer: bfloat16 models through jax.export (values as JAX computes them
op by op, gradients as close to float32's as JAX's own bfloat16 gradients are), lax.population_count and lax.clz
of every integer width (bit for bit against XLA), lax.nextafter (the engine's nextafter, bit for bit)."""
import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax

import gradserve as gs
from gradserve import Tensor, nn, ops
from jax_mode import jax_x64

pytestmark = pytest.mark.usefixtures("fake")
BF16 = np.dtype(ml_dtypes.bfloat16)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64])
def test_population_count_and_clz_match_xla(dtype):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(3)
    edges = [0, 1, 2, 3, info.max, info.min, info.max // 3, info.max - 1, 1 << (info.bits - 2)]
    drawn = rng.integers(info.min, info.max, 24, dtype=dtype, endpoint=True)
    x = np.concatenate([np.array(edges, dtype), drawn, drawn >> rng.integers(0, info.bits, 24).astype(dtype)])

    def fn(a):
        return lax.population_count(a), lax.clz(a)

    with jax_x64(info.bits == 64):  # (JAX narrows 64-bit integers to 32 bits otherwise)
        net = gs.from_jax(fn, x)
        want = jax.jit(fn)(x)
    for g, w in zip(net(Tensor(x)), want):
        assert g.asnumpy().dtype == np.asarray(w).dtype
        np.testing.assert_array_equal(g.asnumpy(), np.asarray(w))


def test_nextafter_matches_xla_bit_for_bit():
    """lax.nextafter (JAX lowers it to integer arithmetic on the float's bits) kept whole as the engine's
    nextafter; the test transport carries no inf / nan, so those directions are masked out of the values.
    No subnormal *inputs*: XLA's CPU kernels read them as zero (nextafter(-1e-45, 0) is +0 there, C's -0)."""
    big = np.finfo(np.float32).max
    x = np.array([1.0, 1.0, -2.0, 0.0, 0.0, -0.0, 1.2e-38, -1.2e-38, big, -big, 3.5, 7.0, 1e-30], np.float32)
    y = np.array([2.0, 0.0, 0.0, 1.0, -1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 3.5, np.inf, -np.inf], np.float32)
    y = np.where(np.isinf(y), np.sign(y) * big, y).astype(np.float32)

    def fn(a, b):
        return lax.nextafter(a, b)

    net = gs.from_jax(fn, x, y)
    got, want = net(Tensor(x), Tensor(y)).asnumpy(), np.asarray(jax.jit(fn)(x, y))
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    assert want[0] > 1.0 and want[0] - 1.0 == np.finfo(np.float32).eps  # (the reference moves by one ulp)


class _HalfSquares(nn.Cell):
    """sum(float32(net(x))^2) / 2: the loss in float32 over a bfloat16 model's output."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def construct(self, x):
        y = ops.cast(self.net(x), gs.float32)
        return (y * y).sum() / 2


def _bf16_mlp(p, x):
    h = jax.nn.gelu(x @ p["w1"] + p["b1"])  # (tanh form: scalar constants broadcast in bfloat16)
    return jnp.tanh(h @ p["w2"]) * 1.5 + 0.5 * x[:, :2]


def test_bfloat16_mlp_through_jax_export():
    """A bfloat16 model (weights, input and every op in bfloat16; before: refused, 'element type bf16'). Values
    equal JAX's run op by op (each op in float32, rounded once, as the engine's rule; jax.jit on CPU may keep
    fused bfloat16 intermediates in float32, XLA's excess precision). Gradients: the derivative graphs differ
    (different roundings), so each is held to float32's gradient, no further from it than twice JAX's own
    bfloat16 gradient, or one bfloat16 ulp of its largest element."""
    rng = np.random.default_rng(0)
    p = {"w1": (rng.standard_normal((4, 8)) * 0.5).astype(BF16), "b1": (rng.standard_normal(8) * 0.1).astype(BF16),
         "w2": (rng.standard_normal((8, 2)) * 0.4).astype(BF16)}
    x = rng.standard_normal((3, 4)).astype(BF16)
    net = gs.from_jax(_bf16_mlp, x, params=p)
    pj, xj = jax.tree.map(jnp.asarray, p), jnp.asarray(x)  # (numpy's bfloat16 matmul accumulates in bfloat16)

    def loss(q, v):
        return jnp.sum(_bf16_mlp(q, v).astype(jnp.float32) ** 2) / 2

    with jax.disable_jit():
        want = np.asarray(_bf16_mlp(pj, xj))
    g16 = jax.jit(jax.grad(loss, argnums=(0, 1)))(pj, xj)
    g32 = jax.grad(loss, argnums=(0, 1))(*jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), (p, x)))
    got = net(Tensor(x)).asnumpy()
    assert got.dtype == BF16
    np.testing.assert_array_equal(got.astype(np.float32), want.astype(np.float32))

    gx, gw = ops.grad(_HalfSquares(net), grad_position=0, weights=net.trainable_params())(Tensor(x))
    pairs = [("x", gx, g16[1], g32[1])] + [(q.name, g, g16[0][q.name], g32[0][q.name])
                                           for q, g in zip(net.trainable_params(), gw)]
    assert sorted(n for n, *_ in pairs[1:]) == sorted(p)
    for name, g, jax16, f32 in pairs:
        assert g.asnumpy().dtype == BF16, name
        f32 = np.asarray(f32)
        err = np.abs(g.asnumpy().astype(np.float32) - f32).max()
        ulp = 2.0 ** (np.floor(np.log2(np.abs(f32).max())) - 7)
        assert err <= max(2 * np.abs(np.asarray(jax16, np.float32) - f32).max(), ulp), (name, err)


@pytest.mark.parametrize("shape", [(3, 5), (8,), (1,)])
def test_rng_bit_generator_matches_xla_bit_for_bit(shape):
    """lax.rng_bit_generator (XLA's Philox: DEFAULT and PHILOX) with states whose counter carries into the key's
    half, output sizes not a multiple of 4; the new state too. Before: refused (the state's uint32 -> uint64
    bitcast, then the op)."""
    def fn(k):
        s1, a = lax.rng_bit_generator(k, shape, dtype=jnp.uint32)
        s2, b = lax.rng_bit_generator(s1, shape, dtype=jnp.uint32, algorithm=lax.RandomAlgorithm.RNG_PHILOX)
        return s2, a, b

    for words in ([1, 2, 3, 4], [0xDEADBEEF, 7, 0xFFFFFFFE, 0xFFFFFFFF], [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0]):
        k = np.array(words, np.uint32)
        net = gs.from_jax(fn, k)
        for g, w in zip(net(Tensor(k)), jax.jit(fn)(k)):
            assert g.asnumpy().dtype == np.asarray(w).dtype
            np.testing.assert_array_equal(g.asnumpy(), np.asarray(w))


@pytest.mark.jax_x64(False)  # 32-bit: in float64 jax.random draws float64 noise from uint64 bits, refused by name
def test_model_with_an_rbg_key_noise_and_dropout_matches_jax():
    """jax.random with the "rbg" key implementation inside a model (its bits from rng_bit_generator): the noise and
    the dropout mask are JAX's, so the value and the gradients are jax.grad's."""
    def fn(w, x):
        key = jax.random.key(7, impl="rbg")
        k1, k2 = jax.random.split(key)
        h = jnp.tanh(x @ w) + 0.3 * jax.random.normal(k1, (x.shape[0], w.shape[1]))
        keep = jax.random.bernoulli(k2, 0.7, h.shape)
        return jnp.where(keep, h / 0.7, 0.0)

    rng = np.random.default_rng(1)
    w, x = rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal((5, 4)).astype(np.float32)
    net = gs.from_jax(fn, x, params=w)
    want = np.asarray(jax.jit(fn)(w, x))
    assert 0 < (want == 0).sum() < want.size  # (the mask drops some, keeps some)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), want, rtol=1e-5, atol=1e-6)

    class Loss(nn.Cell):
        def __init__(self):
            super().__init__()
            self.net = net

        def construct(self, v):
            return (self.net(v) ** 2).sum() / 2

    gx, (gw,) = ops.grad(Loss(), grad_position=0, weights=net.trainable_params())(Tensor(x))
    jw, jx = jax.grad(lambda a, b: (fn(a, b) ** 2).sum() / 2, argnums=(0, 1))(w, x)
    np.testing.assert_allclose(gx.asnumpy(), np.asarray(jx), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gw.asnumpy(), np.asarray(jw), rtol=1e-4, atol=1e-5)


def test_rng_bit_generator_threefry_is_refused_by_name():
    def fn(k):
        return lax.rng_bit_generator(k, (4,), dtype=jnp.uint32, algorithm=lax.RandomAlgorithm.RNG_THREE_FRY)[1]

    with pytest.raises(gs.importers.UnsupportedModel, match="rng_bit_generator algorithm THREE_FRY"):
        gs.from_jax(fn, np.array([1, 2, 3, 4], np.uint32))


@pytest.mark.parametrize("src,dst", [(np.uint32, np.uint64), (np.int32, np.int64), (np.uint64, np.uint32),
                                     (np.int64, np.int32), (np.uint8, np.uint32), (np.int32, np.uint32)])
def test_integer_bitcasts_match_xla(src, dst):
    rng = np.random.default_rng(4)
    info = np.iinfo(src)
    ratio = max(1, np.dtype(dst).itemsize // np.dtype(src).itemsize)
    x = rng.integers(info.min, info.max, (3, ratio) if ratio > 1 else (3, 2), dtype=src, endpoint=True)
    x[0, 0] = info.max
    x[1, 0] = info.min

    def fn(a):
        return lax.bitcast_convert_type(a, dst)

    with jax_x64(True):
        net = gs.from_jax(fn, x)
        want = np.asarray(jax.jit(fn)(x))
    got = net(Tensor(x)).asnumpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_optimization_barrier_is_the_identity_with_its_derivative():
    def fn(a, b):
        u, v = lax.optimization_barrier((jnp.sin(a) * b, a + b))
        return u * v

    a, b = np.array([0.3, -1.2, 2.0], np.float32), np.array([1.5, 0.2, -0.7], np.float32)
    net = gs.from_jax(fn, a, b)
    np.testing.assert_allclose(net(Tensor(a), Tensor(b)).asnumpy(), np.asarray(jax.jit(fn)(a, b)), rtol=1e-6)
    ga, gb = ops.grad(lambda x, y: net(x, y).sum(), grad_position=(0, 1))(Tensor(a), Tensor(b))
    ja, jb = jax.grad(lambda x, y: fn(x, y).sum(), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga.asnumpy(), np.asarray(ja), rtol=1e-5)
    np.testing.assert_allclose(gb.asnumpy(), np.asarray(jb), rtol=1e-5)


def test_lgamma_digamma_gradients_at_large_arguments_are_jax_s():
    """lax.lgamma / digamma kept whole (jax_special): through their legalised forms lgamma's gradient was nan from
    x ~ 8 on (an untaken branch's infinite derivative), so a Poisson / negative-binomial likelihood of counts
    above 7, or jax.scipy.special.betaln, had a nan gradient. Values, gradients and lgamma's second derivative
    (trigamma) against JAX, negative non-integer arguments (the reflection) included."""
    import jax.scipy.special as sp

    x = np.array([0.3, 1.7, 2.5, 9.0, 20.0, 150.0, -0.4, -2.7], np.float32)
    k = np.array([0.0, 3.0, 1.0, 12.0, 25.0, 140.0, 2.0, 5.0], np.float32)

    def fn(v, c):  # a Poisson log-likelihood of counts c at log-rate v / 20, lgamma(c + 1) included; betaln; digamma
        lg = c * v / 20 - jnp.exp(v / 20) - lax.lgamma(c + 1.0)
        return lg, lax.lgamma(v) + lax.digamma(v), sp.betaln(jnp.abs(v) + 0.5, 3.0)

    net = gs.from_jax(fn, x, k)
    for g, w in zip(net(Tensor(x), Tensor(k)), jax.jit(fn)(x, k)):
        np.testing.assert_allclose(g.asnumpy(), np.asarray(w), rtol=2e-5, atol=1e-5)

    def total(v, c):
        return sum(o.sum() for o in fn(v, c))

    gx, gk = ops.grad(lambda v, c: sum(o.sum() for o in net(v, c)), grad_position=(0, 1))(Tensor(x), Tensor(k))
    jx, jk = jax.grad(total, argnums=(0, 1))(x, k)
    assert np.isfinite(gx.asnumpy()).all() and np.isfinite(gk.asnumpy()).all()
    np.testing.assert_allclose(gx.asnumpy(), np.asarray(jx), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gk.asnumpy(), np.asarray(jk), rtol=1e-4, atol=1e-5)

    lg = gs.from_jax(lambda v: lax.lgamma(v), x)
    d2 = ops.grad(ops.grad(lambda v: lg(v).sum()))(Tensor(x))
    np.testing.assert_allclose(d2.asnumpy(), np.asarray(sp.polygamma(1, x)), rtol=1e-4)


def test_cbrt_values_and_derivatives_are_jax_s():
    """jnp.cbrt (before: refused): values to float32 rounding, the gradient and second derivative as JAX's
    (1 / (3 cbrt(x)^2), and its derivative), exact cubes exact."""
    x = np.array([8.0, -27.0, 0.3, -1.7, 2.5e3, 1e-6, -0.05], np.float32)
    net = gs.from_jax(jnp.cbrt, x)
    got = net(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, np.asarray(jax.jit(jnp.cbrt)(x)), rtol=2e-7)
    assert got[0] == 2.0 and got[1] == -3.0
    g1 = ops.grad(lambda v: net(v).sum())(Tensor(x))
    g2 = ops.grad(lambda v: ops.grad(lambda u: net(u).sum())(v).sum())(Tensor(x))
    np.testing.assert_allclose(g1.asnumpy(), np.asarray(jax.grad(lambda v: jnp.cbrt(v).sum())(x)), rtol=1e-5)
    j2 = jax.grad(lambda v: jax.grad(lambda u: jnp.cbrt(u).sum())(v).sum())(x)
    np.testing.assert_allclose(g2.asnumpy(), np.asarray(j2), rtol=1e-4)


@pytest.mark.parametrize("align", [False, True])
def test_spatial_transformer_affine_grid_through_onnx_opset_20(align):
    """F.affine_grid exported by the TorchScript exporter at opset 20 is an ONNX AffineGrid (before: refused);
    with grid_sample, the localisation net's value and weight gradients as torch's."""
    import torch
    from torch.nn import functional as F

    from .sweep import check_imported, match_by_value, to_onnx

    class STN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.loc = torch.nn.Linear(16, 6)
            with torch.no_grad():
                self.loc.weight.mul_(0.1)
                self.loc.bias.copy_(torch.tensor([1.0, 0.1, 0.0, -0.1, 0.9, 0.05]))

        def forward(self, x):
            theta = self.loc(x.flatten(1)).view(-1, 2, 3)
            grid = F.affine_grid(theta, [x.shape[0], 1, 3, 5], align_corners=align)
            return F.grid_sample(x, grid, align_corners=align)

    torch.manual_seed(0)
    m, x = STN(), torch.randn(2, 1, 4, 4)
    model = to_onnx(m, (x,), "torchscript", 20)
    import onnx

    assert "AffineGrid" in {n.op_type for n in onnx.load_from_string(model).graph.node}
    net = gs.from_onnx(model)
    assert check_imported(net, m, (x,), match_by_value(net, m)) == 2


def test_bfloat16_reductions_over_an_empty_axis_give_the_float_identities():
    """The writer's value of a reduction over a zero-size axis (the engine refuses those) read bfloat16 as
    neither float nor integer: max of nothing was 0, logsumexp refused; a float's are -inf, +inf, -inf."""
    from gradserve.importers._shared.graph_writer import GraphWriter

    w = GraphWriter("empty")
    x = w.input("x", (2, 0), "bfloat16")
    got = {}
    for op in ("max", "min", "logsumexp", "sum", "prod"):
        w.reduce(op, x, [1])
        node = w.nodes[-1]  # a fill, or (non-finite values) a const holding the array
        assert w.avals[node["outputs"][0]] == ((2,), "bfloat16"), (op, node)
        got[op] = float(np.asarray(node["attrs"]["value"], np.float32).reshape(-1)[0])
    assert got == {"max": -np.inf, "min": np.inf, "logsumexp": -np.inf, "sum": 0.0, "prod": 1.0}, got
