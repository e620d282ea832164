"""Forward values and first derivatives of the ops of issue #14 against PyTorch (an independent
implementation); derivatives of every order are held by test_ops_numeric through _optable_ops."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder, vjp

torch = pytest.importorskip("torch")
F = torch.nn.functional
RNG = np.random.default_rng(7)


def graph_of(build, arrays, name: str = "t"):
    """The graph build(gb, *inputs): an input a{i} of each array's shape and dtype."""
    gb = GraphBuilder(name)
    ins = [gb.input(a.shape, str(a.dtype), name=f"a{i}") for i, a in enumerate(arrays)]
    return gb.build(build(gb, *ins))


def run_with_vjp(build, arrays, backend="numpy"):
    """(value, cotangents of every input for a random v, v) of the graph build(gb, *inputs)."""
    g = graph_of(build, arrays)
    eng = Engine(backend)
    out = eng.run(g, list(arrays))
    v = RNG.standard_normal(out.shape)
    val, cts = eng.run(vjp(g), list(arrays) + [v])
    np.testing.assert_array_equal(val, out)
    return out, cts if isinstance(cts, tuple) else (cts,), v


def torch_ref(fn, arrays, v):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.tensor(v))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def check(build, fn, arrays, backend="numpy"):
    out, cts, v = run_with_vjp(build, arrays, backend)
    ref, ref_cts = torch_ref(fn, arrays, v)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    for a, b in zip(cts, ref_cts):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _tpad(x, padding):
    return F.pad(x, [v for pr in reversed(padding) for v in pr])


CONV = [  # (spatial, kernel, strides, padding, dilation, groups)
    ((9,), (3,), (2,), ((1, 2),), (1,), 1),
    ((6, 7), (3, 2), (2, 1), ((1, 1), (0, 2)), (1, 2), 2),
    ((5, 4, 6), (2, 3, 2), (1, 2, 2), ((1, 0), (1, 1), (0, 0)), (2, 1, 1), 2),
]


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
@pytest.mark.parametrize("spec", CONV, ids=["1d", "2d", "3d"])
def test_conv_matches_torch(spec, backend):
    sp, k, s, p, d, g = spec
    x, w = RNG.standard_normal((2, 4) + sp), RNG.standard_normal((6, 4 // g) + k)
    conv = getattr(F, f"conv{len(sp)}d")
    check(lambda gb, a, b: gb.conv(a, b, strides=s, padding=p, dilation=d, groups=g),
          lambda a, b: conv(_tpad(a, p), b, stride=s, dilation=d, groups=g), [x, w], backend)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
@pytest.mark.parametrize("spec", CONV, ids=["1d", "2d", "3d"])
def test_conv_transpose_matches_torch(spec, backend):
    sp, k, s, p, d, g = spec
    sym = [lo for lo, _ in p]  # PyTorch pads both sides alike
    op = tuple(max(st - 1, 0) for st in s)
    y, w = RNG.standard_normal((2, 4) + sp), RNG.standard_normal((4, 6 // g) + k)
    conv_t = getattr(F, f"conv_transpose{len(sp)}d")
    check(lambda gb, a, b: gb.conv_transpose(a, b, strides=s, padding=[[q, q] for q in sym], dilation=d, groups=g,
                                             output_padding=op),
          lambda a, b: conv_t(a, b, stride=s, padding=sym, dilation=d, groups=g, output_padding=op), [y, w], backend)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
@pytest.mark.parametrize("include", [True, False])
def test_avg_pool_matches_torch(include, backend):
    x = RNG.standard_normal((2, 3, 7, 6))
    check(lambda gb, a: gb.avg_pool(a, window=(3, 2), strides=(2, 2), padding=((1, 1), (1, 1)),
                                    count_include_pad=include),
          lambda a: F.avg_pool2d(a, (3, 2), (2, 2), padding=(1, 1), count_include_pad=include), [x], backend)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
def test_max_pool_matches_torch_with_ties(backend):
    # relu before the pool: whole windows tie at zero; the gradient goes to the first, as in PyTorch
    x = np.maximum(RNG.standard_normal((2, 3, 7, 6)), 0.0)
    check(lambda gb, a: gb.max_pool(a, window=(3, 2), strides=(2, 1), padding=((1, 1), (1, 0)), dilation=(1, 2)),
          lambda a: F.max_pool2d(F.pad(a, [1, 0, 1, 1], value=-float("inf")), (3, 2), (2, 1), dilation=(1, 2)),
          [x], backend)


def test_pool_padding_wider_than_window_is_a_shape_error():
    from engine.errors import ShapeError

    gb = GraphBuilder()
    with pytest.raises(ShapeError, match="max_pool: padding"):
        gb.max_pool(gb.input((1, 1, 4, 4)), window=(2, 2), padding=((2, 0), (0, 0)))
    with pytest.raises(ShapeError, match="conv: x has 3 channels"):
        gb.conv(gb.input((1, 3, 4, 4)), gb.input((2, 2, 3, 3)))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch(approximate, backend):
    x = RNG.standard_normal((3, 5)) * 2
    check(lambda gb, a: gb.gelu(a, approximate=approximate), lambda a: F.gelu(a, approximate=approximate), [x],
          backend)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
def test_layer_norm_matches_torch(backend):
    x, w, bias = RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    check(lambda gb, a, s, c: gb.layer_norm(a, s, c, axis=2, epsilon=1e-3),
          lambda a, s, c: F.layer_norm(a, (4, 5), s, c, eps=1e-3), [x, w, bias], backend)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
def test_group_norm_matches_torch(backend):
    x, w, bias = RNG.standard_normal((2, 6, 3, 2)), RNG.standard_normal(6), RNG.standard_normal(6)
    check(lambda gb, a, s, c: gb.group_norm(a, s, c, num_groups=3),
          lambda a, s, c: F.group_norm(a, 3, s, c), [x, w, bias], backend)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_torch(training, backend):
    x = RNG.standard_normal((4, 3, 2, 2))
    w, bias, mean = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)
    var = RNG.uniform(0.5, 2.0, 3)
    out, cts, v = run_with_vjp(lambda gb, *a: gb.batch_norm(*a, training=training, epsilon=1e-4),
                               [x, w, bias, mean, var], backend)
    ts = [torch.tensor(a, requires_grad=i < 3) for i, a in enumerate((x, w, bias, mean, var))]
    ref = F.batch_norm(ts[0], ts[3], ts[4], ts[1], ts[2], training=training, eps=1e-4)
    ref.backward(torch.tensor(v))
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, t in zip(cts[:3], ts[:3]):
        np.testing.assert_allclose(a, t.grad.numpy(), rtol=1e-9, atol=1e-12)
    if training:  # the running statistics do not enter the value
        assert not cts[3].any() and not cts[4].any()


EINSUM = [("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ij,jk,k->i", [(2, 3), (3, 4), (4,)]),
          ("abc->ca", [(2, 3, 4)]), ("...ij,...jk", [(2, 2, 3), (2, 3, 2)]), ("bhqd,bhkd->bhqk", [(1, 2, 3, 4)] * 2),
          ("i,j->ij", [(3,), (4,)]), ("ijk,ik->", [(2, 3, 4), (2, 4)])]


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_torch(eq, shapes, backend):
    arrays = [RNG.standard_normal(s) for s in shapes]
    check(lambda gb, *a: gb.einsum(*a, equation=eq), lambda *a: torch.einsum(eq, *a), arrays, backend)


def test_dot_general_matches_torch():
    x, y = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 2, 5))
    check(lambda gb, a, b: gb.dot_general(a, b, lhs_contracting=(2,), rhs_contracting=(0,), lhs_batch=(0,),
                                          rhs_batch=(1,)),
          lambda a, b: torch.einsum("bij,jbk->bik", a, b), [x, y])


def test_einsum_errors_name_the_problem():
    from engine.errors import ShapeError

    gb = GraphBuilder()
    a = gb.input((3, 3))
    with pytest.raises(ShapeError, match="diagonals are not supported"):
        gb.einsum(a, equation="ii->i")
    with pytest.raises(ShapeError, match="letter 'j' has size 3 and 4"):
        gb.einsum(a, gb.input((4, 2)), equation="ij,jk->ik")


def value(build, arrays, backend="numpy"):
    return Engine(backend).run(graph_of(build, arrays, "v"), list(arrays))


BACKENDS = ["numpy", "array_api_strict", "torch"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_pad_matches_numpy(mode, backend):
    x = RNG.standard_normal((3, 4))
    pads = ((2, 1), (1, 3))
    kw = {"constant_values": 0.25} if mode == "constant" else {}
    got = value(lambda gb, a: gb.pad(a, pads=pads, mode=mode, value=0.25), [x], backend)
    np.testing.assert_array_equal(got, np.pad(x, pads, mode=mode, **kw))


@pytest.mark.parametrize("backend", BACKENDS)
def test_clip_flip_match_torch(backend):
    x = np.array([[-1.5, -0.5, 0.0], [0.5, 1.0, 2.0]])  # 1.0 sits on the bound: PyTorch passes the gradient
    check(lambda gb, a: gb.clip(a, min=-0.5, max=1.0), lambda a: torch.clamp(a, -0.5, 1.0), [x], backend)
    check(lambda gb, a: gb.flip(a, axis=(1,)), lambda a: torch.flip(a, (1,)), [x], backend)
    # min above max: every element is max (MindSpore 2.10's ops.clamp gives [0.5, 0.5, 0.5] for [-2, 0, 2], 1, 0.5)
    check(lambda gb, a: gb.clip(a, min=1.0, max=0.5), lambda a: torch.clamp(a, 1.0, 0.5), [x], backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gather_scatter_along_match_torch(backend):
    x, idx = RNG.standard_normal((3, 4)), np.array([[0, 2], [1, 1], [3, 0]])
    upd = RNG.standard_normal((3, 2))
    check(lambda gb, a: gb.take_along_axis(a, gb.const(idx), axis=1), lambda a: torch.gather(a, 1, torch.tensor(idx)),
          [x], backend)
    check(lambda gb, a, u: gb.scatter(a, gb.const(idx), u, axis=1, reduction="add"),
          lambda a, u: a.scatter_add(1, torch.tensor(idx), u), [x, upd], backend)
    idx1 = np.array([[0, 2], [1, 3], [3, 0]])  # no repeats: 'none' (replace) is defined
    check(lambda gb, a, u: gb.scatter(a, gb.const(idx1), u, axis=1),
          lambda a, u: a.scatter(1, torch.tensor(idx1), u), [x, upd], backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_dynamic_slices_clamp_like_xla(backend):
    x, u = RNG.standard_normal((4, 5)), RNG.standard_normal((2, 3))
    got = value(lambda gb, a: gb.dynamic_slice(a, gb.const(np.int64(3)), gb.const(np.int64(-2)), sizes=(2, 3)), [x],
                backend)
    np.testing.assert_array_equal(got, x[2:4, 0:3])  # starts clamped to [0, n - size]
    got = value(lambda gb, a, b: gb.dynamic_update_slice(a, b, gb.const(np.int64(1)), gb.const(np.int64(4))), [x, u],
                backend)
    want = x.copy()
    want[1:3, 2:5] = u
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cumulative_match_torch(backend):
    x = RNG.standard_normal((3, 4))
    check(lambda gb, a: gb.cumsum(a, axis=1), lambda a: torch.cumsum(a, 1), [x], backend)
    check(lambda gb, a: gb.cumprod(a, axis=0), lambda a: torch.cumprod(a, 0), [x], backend)
    check(lambda gb, a: gb.cumsum(a, axis=1, exclusive=True, reverse=True),
          lambda a: torch.flip(torch.cumsum(torch.flip(a, (1,)), 1), (1,)) - a, [x], backend)
    x0 = x.copy()
    x0[1, 1] = 0.0  # a zero: the exact gradient, not NaN
    check(lambda gb, a: gb.cumprod(a, axis=1, reverse=True), lambda a: torch.flip(torch.cumprod(torch.flip(a, (1,)), 1),
                                                                                  (1,)), [x0], backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sort_top_k_arg_match_torch(backend):
    x = RNG.standard_normal((3, 5))
    for desc in (False, True):
        vals, idx = value(lambda gb, a: gb.sort(a, axis=1, descending=desc), [x], backend)
        ref = torch.sort(torch.tensor(x), 1, descending=desc)
        np.testing.assert_array_equal(vals, ref.values.numpy())
        np.testing.assert_array_equal(idx, ref.indices.numpy())
    check(lambda gb, a: gb.top_k(a, k=2, axis=0)[0], lambda a: torch.topk(a, 2, 0).values, [x], backend)
    vals, idx = value(lambda gb, a: gb.top_k(a, k=3, largest=False), [x], backend)
    ref = torch.topk(torch.tensor(x), 3, largest=False)
    np.testing.assert_array_equal(idx, ref.indices.numpy())
    ties = np.array([[1.0, 3.0, 3.0, 0.0]])
    assert value(lambda gb, a: gb.argmax(a, axis=1), [ties], backend).tolist() == [1]
    assert value(lambda gb, a: gb.argmin(a, axis=0, keepdims=True), [x], backend).tolist() == [np.argmin(x, 0).tolist()]


def test_arange_iota():
    got = value(lambda gb: gb.arange(start=1.0, stop=2.0, step=0.25, dtype="float32"), [])
    np.testing.assert_array_equal(got, np.arange(1.0, 2.0, 0.25, dtype=np.float32))
    got = value(lambda gb: gb.iota(shape=(2, 3), dimension=1, dtype="int32"), [])
    np.testing.assert_array_equal(got, np.broadcast_to(np.arange(3, dtype=np.int32), (2, 3)))


def test_prod_derivatives_exact_at_and_near_zero():
    from engine import grad, hessian

    gb = GraphBuilder("p")
    x = gb.input((3,), "float32", name="x")
    g = gb.build(gb.prod(x))
    # near zero: prod underflows float32 (1e-50) but each partial (1e-20) does not; out / x would give 0
    tiny = np.array([1e-30, 1e-30, 1e10], np.float32)
    np.testing.assert_allclose(Engine().run(grad(g), [tiny]), np.float32([1e-20, 1e-20, 0.0]), rtol=1e-6)
    # two zeros: the gradient is 0 and the Hessian the product of the rest (PyTorch agrees)
    z = np.array([0.0, 0.0, 3.0], np.float32)
    np.testing.assert_array_equal(Engine().run(grad(g), [z]), np.zeros(3, np.float32))
    ref = torch.autograd.functional.hessian(torch.prod, torch.tensor(z))
    np.testing.assert_array_equal(Engine().run(hessian(g), [z]), ref.numpy())
    assert ref[0, 1] == 3.0
