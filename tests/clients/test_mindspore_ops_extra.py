"""MindSpore ops and cells built from engine ops. Expected values from NumPy formulas (the
definitions in MindSpore's documentation) and gradients by central finite differences."""
import math

import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype(np.float64)


def fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def check(fn, np_fn, x=X, tol=1e-6):
    out = fn(Tensor(x))
    np.testing.assert_allclose(out.asnumpy(), np_fn(x), rtol=tol, atol=tol)
    g = ops.grad(lambda t: ops.sum(fn(t)))(Tensor(x))
    np.testing.assert_allclose(g.asnumpy(), fd_grad(lambda a: np_fn(a).sum(), x), rtol=1e-5, atol=1e-6)


def test_shape_rank_size(fake):
    assert ops.Shape()(Tensor(X)) == (3, 4) and ops.shape(Tensor(X)) == (3, 4)
    assert ops.Rank()(Tensor(X)) == 2 and ops.size(Tensor(X)) == 12


def test_all_any(fake):
    b = Tensor(np.array([[True, False], [True, True]]))
    assert not bool(b.all()) and bool(b.any())
    np.testing.assert_array_equal(b.all(axis=1).asnumpy(), [False, True])
    np.testing.assert_array_equal(ops.any(b, 0).asnumpy(), [True, True])


TRUTH_CASES = [  # non-bool inputs: an element is true where it is != 0 (NaN true, -0.0 false), as NumPy's
    np.array([0.5, -0.0, np.nan], np.float32), np.array([[0.0, np.nan], [0.0, 0.0]]), np.array([-0.0, 0.0], np.float32),
    np.array([1e-320, 1.0]), np.array([np.inf, -np.inf], np.float32), np.array([[0, 3], [2, 1]], np.int32),
    np.array([0.4, 0.0], np.float16), np.array([3, 2], np.uint8)]


@pytest.mark.parametrize("a", TRUTH_CASES, ids=lambda a: f"{a.dtype}{a.tolist()}")
def test_all_any_truth_of_numbers(fake, a):
    t = Tensor(a)
    for got, want in ((ops.all(t), np.all(a)), (ops.any(t), np.any(a)), (t.all(), np.all(a)), (t.any(), np.any(a)),
                      (ops.all(t, 0), np.all(a, 0)), (ops.any(t, -1), np.any(a, -1)),
                      (ops.ReduceAll(keep_dims=True)(t), np.all(a, keepdims=True)), (ops.ReduceAny()(t), np.any(a))):
        assert got.asnumpy().dtype == np.bool_
        np.testing.assert_array_equal(got.asnumpy(), want)


class _PyTruth(nn.Cell):
    def construct(self, x):
        return all(x), any(x)


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_python_all_any_over_a_tensor(fake, mode):
    gs.set_context(mode=gs.PYNATIVE_MODE if mode == "pynative" else gs.GRAPH_MODE)
    for a in (np.array([0.5, -0.0, np.nan], np.float32), np.array([np.nan, 0.0], np.float32),
              np.array([np.nan, 2.0], np.float32), np.array([-0.0, 0.0], np.float32), np.array([1e-320, 1.0])):
        got_all, got_any = _PyTruth()(Tensor(a))
        assert (bool(got_all), bool(got_any)) == (all(a), any(a)), a


def test_norm(fake):
    check(lambda t: ops.norm(t), lambda a: np.sqrt((a * a).sum()))
    check(lambda t: ops.norm(t, 1, 1), lambda a: np.abs(a).sum(1))
    check(lambda t: ops.norm(t, 3, 0), lambda a: (np.abs(a) ** 3).sum(0) ** (1 / 3))


def test_cdist(fake):
    y = RNG.standard_normal((2, 4))

    def ref(a):
        return np.sqrt(((a[:, None, :] - y[None, :, :]) ** 2).sum(-1))

    check(lambda t: ops.cdist(t, Tensor(y)), ref)


def test_gelu(fake):
    from math import erf

    exact = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / math.sqrt(2))))
    check(lambda t: ops.gelu(t), exact)
    check(lambda t: nn.GELU(approximate=False)(t), exact)
    tanh = lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))  # noqa: E731
    check(lambda t: nn.GELU()(t), tanh)


def test_layer_norm(fake):
    ln = nn.LayerNorm((4,), epsilon=1e-5, dtype=gs.float64)

    def ref(a):
        m = a.mean(-1, keepdims=True)
        return (a - m) / np.sqrt(((a - m) ** 2).mean(-1, keepdims=True) + 1e-5)

    check(ln, ref)


def test_batch_norm(fake):
    bn = nn.BatchNorm1d(4, dtype=gs.float64)
    check(bn, lambda a: a / np.sqrt(1 + 1e-5))  # inference: moving mean 0, variance 1
    bn.set_train()

    def ref(a):
        m = a.mean(0, keepdims=True)
        return (a - m) / np.sqrt(((a - m) ** 2).mean(0, keepdims=True) + 1e-5)

    check(bn, ref)
    x4 = RNG.standard_normal((2, 3, 2, 2))
    bn2 = nn.BatchNorm2d(3, dtype=gs.float64).set_train()
    m = x4.mean((0, 2, 3), keepdims=True)
    v = ((x4 - m) ** 2).mean((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(bn2(Tensor(x4)).asnumpy(), (x4 - m) / np.sqrt(v + 1e-5), rtol=1e-6, atol=1e-8)


def test_arange():
    np.testing.assert_array_equal(ops.arange(5).asnumpy(), np.arange(5))
    assert ops.arange(5).dtype == gs.int64 and ops.arange(0.0, 1.0, 0.25).dtype == gs.float32


def test_insert_gradient_of(fake):
    clip = ops.InsertGradientOf(lambda d: ops.clip_by_value(d, -0.5, 0.5))

    def f(x):
        return ops.sum(clip(x) * 4.0)

    np.testing.assert_allclose(ops.grad(f)(Tensor(X)).asnumpy(), np.full_like(X, 0.5))  # dout 4 clipped to 0.5
    np.testing.assert_allclose(f(Tensor(X)).asnumpy(), 4 * X.sum(), rtol=1e-9)


def test_print(fake, capsys):
    ops.Print()("x is", Tensor(np.array([1.0], np.float32)))
    assert "x is" in capsys.readouterr().out


def test_hypermap_and_multitype_funcgraph(fake):
    scale = ops.MultitypeFuncGraph("scale")

    @scale.register("Number", "Tensor")
    def _(s, t):
        return t * s

    @scale.register("Number", "Number")
    def _(s, n):
        return n * s

    out = ops.HyperMap()(scale, 2.0, (Tensor(np.array([1.0, 2.0])), 3.0, (Tensor(np.array([4.0])),)))
    np.testing.assert_allclose(out[0].asnumpy(), [2.0, 4.0])
    assert out[1] == 6.0
    np.testing.assert_allclose(out[2][0].asnumpy(), [8.0])
    with pytest.raises(TypeError, match="no function registered"):
        scale("a", 1)
    assert ops.Map()(lambda a, b: a + b, (1, 2), (10, 20)) == (11, 22)


def test_small_ops(fake):
    x = Tensor(X)
    assert ops.Depend()(x, 3) is x
    np.testing.assert_array_equal(ops.Zeros()((2, 3), gs.float32).asnumpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(ops.eye(2, 3, gs.int32).asnumpy(), np.eye(2, 3))
    assert nn.Flatten()(Tensor(np.ones((2, 3, 4)))).shape == (2, 12)
    oh = ops.one_hot(Tensor(np.array([0, 2], np.int32)), 3, 1.0, 0.0)
    np.testing.assert_array_equal(oh.asnumpy(), [[1, 0, 0], [0, 0, 1]])
    check(lambda t: nn.LeakyReLU(0.1)(t), lambda a: np.where(a > 0, a, 0.1 * a))
    # relu6 of float32 (MindSpore 2.10's ReLU6 refuses float64): float64 values and finite differences of that input
    x32 = X.astype(np.float32)
    np.testing.assert_allclose(ops.relu6(Tensor(x32) * 4).asnumpy(), np.clip(x32.astype(np.float64) * 4, 0, 6),
                               rtol=1e-6, atol=1e-6)
    g = ops.grad(lambda t: ops.sum(ops.relu6(t * 4)))(Tensor(x32))
    np.testing.assert_allclose(g.asnumpy(), fd_grad(lambda a: np.clip(a * 4, 0, 6).sum(), x32.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("eq, shapes", [("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                                        ("ij->ji", [(3, 4)]), ("ij,ij->", [(3, 4), (3, 4)]),
                                        ("i,j", [(3,), (4,)]), ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)])])
def test_einsum_matches_numpy(fake, eq, shapes):
    xs = [RNG.standard_normal(s) for s in shapes]
    out = ops.einsum(eq, *[Tensor(x) for x in xs])
    np.testing.assert_allclose(out.asnumpy(), np.einsum(eq, *xs), rtol=1e-10, atol=1e-12)
    g = ops.grad(lambda a, *r: ops.sum(ops.einsum(eq, a, *r) ** 2))(*[Tensor(x) for x in xs])
    np.testing.assert_allclose(g.asnumpy(), fd_grad(lambda a: (np.einsum(eq, a, *xs[1:]) ** 2).sum(), xs[0]),
                               rtol=1e-5, atol=1e-6)


def test_clip_by_value(fake):
    check(lambda t: ops.clip_by_value(t, -0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5))


def test_vjp_cell_one_input_gives_the_tensor(fake):
    out, g = nn.Vjp(lambda a: a * a)(Tensor(X), Tensor(np.ones_like(X)))
    assert isinstance(g, Tensor)
    np.testing.assert_allclose(g.asnumpy(), 2 * X)


def test_floor_div_and_mod(fake):
    a = Tensor(np.array([7, -7, 6], np.int32))
    b = Tensor(np.array([2, 2, -4], np.int32))
    np.testing.assert_array_equal((a // b).asnumpy(), np.floor_divide([7, -7, 6], [2, 2, -4]))
    np.testing.assert_array_equal((a % b).asnumpy(), np.mod([7, -7, 6], [2, 2, -4]))
    assert (a // b).dtype == gs.int32
    y = np.array([0.7, 1.3, -0.4, 1.0])  # away from multiples of 0.3 (the jumps)
    check(lambda t: ops.floor_mod(t, Tensor(np.full(4, 0.3))), lambda v: np.mod(v, 0.3), x=y)
    check(lambda t: t // 0.3 * 1.0 + t, lambda v: np.floor_divide(v, 0.3) + v, x=y)  # floor: derivative 0
