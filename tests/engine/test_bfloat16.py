"""bfloat16 (ml_dtypes.bfloat16 arrays): every op keeps it, computes as PyTorch does on CPU (float32 inside, one
rounding of each result to bfloat16), and its derivatives come back in bfloat16.

The rule (docs/API.md "bfloat16"): each node with a bfloat16 operand or result runs on float32 copies of its
bfloat16 operands and rounds its bfloat16 results once, to nearest even. Independent checks: PyTorch's CPU
kernels in torch.bfloat16 (same rule: opmath float32) for values and autograd gradients.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import test_ops_numeric as numeric
from _optable import CASES
from engine import Engine, GraphBuilder, grad, jvp
from engine.backends import BackendUnavailable, get_backend
from engine.ir import tree_flatten
from engine.lower import lower

BF16 = np.dtype(ml_dtypes.bfloat16)
torch = pytest.importorskip("torch")


# The op table's cases on real operands (no complex dtype has bfloat16 parts: complex and FFT cases are left out,
# not collected as skips)
REAL_CASES = [c for c in CASES if "complex" not in c.id and not c.id.startswith(("fft-", "rfft-", "irfft-"))]


@pytest.mark.parametrize("case", REAL_CASES, ids=[c.id for c in REAL_CASES])
def test_every_op_keeps_bfloat16_and_rounds_once(case):
    """Values, reverse and forward derivatives of every op come back in bfloat16; each value is the op's float32
    value on the same (bfloat16-exact) operands, rounded once to bfloat16."""
    xs = [x.astype(BF16) for x in case.draw(numeric.seed_of(case), "float32")]
    g = numeric.op_graph(case, "bfloat16")
    eng = Engine()
    for graph, args in ((g, xs), (grad(numeric.scalar_graph(case, "bfloat16"), grad_position=tuple(range(len(xs)))),
                                  xs), (jvp(g), xs + xs)):
        for out in tree_flatten(eng.run(graph, args)):
            assert out.dtype == BF16, f"{case.id}: bfloat16 in, {out.dtype} out"
    g32 = numeric.op_graph(case, "float32")
    if len(lower(g32).eqns) != 1:
        return  # several nodes (or a constant beside the op) round several times: the one-rounding rule is per node
    want = tree_flatten(eng.run(g32, [x.astype(np.float32) for x in xs]))
    got = tree_flatten(eng.run(g, xs))
    for w, o in zip(want, got):
        w = np.asarray(w)
        if w.dtype == np.float32:
            np.testing.assert_array_equal(o.astype(np.float32), w.astype(BF16).astype(np.float32), err_msg=case.id)


def _t(a):
    return torch.tensor(np.asarray(a, np.float32)).to(torch.bfloat16)


def _np(t):
    return t.detach().to(torch.float32).numpy()


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "log1p", "sqrt", "square", "neg"])
def test_unary_values_match_torch_cpu(name):
    x = (np.linspace(0.05, 3.0, 257, dtype=np.float32)).astype(BF16)
    gb = GraphBuilder("u")
    v = gb.input(x.shape, "bfloat16", name="x")
    out = Engine().run(gb.build(getattr(gb, name)(v)), [x])
    assert out.dtype == BF16
    want = _np(getattr(torch, name)(_t(x)))
    np.testing.assert_array_equal(out.astype(np.float32), want)


def test_reductions_and_matmul_accumulate_in_float32_like_torch():
    """A sum of 4096 bfloat16 ones is 4096 (a bfloat16 running sum would stop at 256); matmul likewise."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 96)).astype(BF16)
    y = rng.uniform(-1, 1, (96, 32)).astype(BF16)
    gb = GraphBuilder("m")
    a, b = gb.input(x.shape, "bfloat16", name="a"), gb.input(y.shape, "bfloat16", name="b")
    mm, s = Engine().run(gb.build((gb.matmul(a, b), gb.sum(a))), [x, y])
    assert mm.dtype == s.dtype == BF16
    np.testing.assert_array_equal(mm.astype(np.float32), _np(_t(x) @ _t(y)))
    np.testing.assert_array_equal(s.astype(np.float32), _np(_t(x).sum()))
    gb = GraphBuilder("ones")
    o = gb.input((4096,), "bfloat16", name="o")
    assert float(Engine().run(gb.build(gb.sum(o)), [np.ones(4096, BF16)])) == 4096.0


def _mlp(dtype):
    gb = GraphBuilder("mlp")
    x = gb.input((8, 5), dtype, name="x")
    w = gb.input((5, 4), dtype, name="w")
    b = gb.input((4,), dtype, name="b")
    return gb.build(gb.sum(gb.square(gb.tanh(gb.add(gb.matmul(x, w), b)))))


def test_mlp_gradient_in_bfloat16_matches_torch_node_by_node():
    """The derivative graph's nodes (d tanh = 1 - y^2 as square, sub, mul: PyTorch's autograd fuses it into one
    tanh_backward kernel) each computed by PyTorch's bfloat16 CPU kernels give our values; autograd's own,
    with fewer roundings, is within a few ulps."""
    rng = np.random.default_rng(1)
    xs = [rng.uniform(-1, 1, s).astype(BF16) for s in ((8, 5), (5, 4), (4,))]
    got = Engine().run(grad(_mlp("bfloat16"), grad_position=(0, 1, 2)), xs)
    x, w, b = (_t(a) for a in xs)
    y = torch.tanh(x @ w + b)
    gz = (2 * y) * (1 - torch.square(y))
    for g, want in zip(got, (gz @ w.T, x.T @ gz, gz.sum(0))):
        assert g.dtype == BF16
        np.testing.assert_array_equal(g.astype(np.float32), _np(want))
    ts = [_t(a).requires_grad_() for a in xs]
    torch.square(torch.tanh(ts[0] @ ts[1] + ts[2])).sum().backward()
    for g, t in zip(got, ts):
        np.testing.assert_allclose(g.astype(np.float32), _np(t.grad), atol=2 ** -5 * np.abs(_np(t.grad)).max())


def test_cast_to_and_from_bfloat16_rounds_to_nearest_even():
    x = np.array([1.0, 1.00390625, 1.01171875, 3.0e38, -2.5, 1e-40], np.float32)
    gb = GraphBuilder("c")
    v = gb.input(x.shape, "float32", name="x")
    out = Engine().run(gb.build(gb.cast(v, dtype="bfloat16")), [x])
    assert out.dtype == BF16
    np.testing.assert_array_equal(out.astype(np.float32), _np(torch.tensor(x).to(torch.bfloat16)))
    d = Engine().run(grad(gb.build(gb.sum(gb.cast(v, dtype="bfloat16"))), 0), [x])
    assert d.dtype == np.float32 and (d == 1).all()


def test_mixed_operand_dtypes_are_refused_in_the_engine():
    """The engine never promotes: bfloat16 + float16 needs an explicit cast (the SDK promotes to float32)."""
    from engine import ShapeError

    gb = GraphBuilder("mix")
    a, b = gb.input((2,), "bfloat16", name="a"), gb.input((2,), "float16", name="b")
    with pytest.raises(ShapeError, match="bfloat16"):
        gb.add(a, b)


def test_backends_without_bfloat16_name_it():
    for name in ("array_api_strict", "cupy"):
        try:
            get_backend(name)
        except BackendUnavailable:
            continue
        gb = GraphBuilder("x")
        v = gb.input((2,), "bfloat16", name="x")
        with pytest.raises(Exception, match=f"bfloat16.*{name}|{name}.*bfloat16"):
            Engine(name).run(gb.build(gb.exp(v)), [np.ones(2, BF16)])


def _torch_or_skip():
    try:
        get_backend("torch")
    except BackendUnavailable:
        pytest.skip("torch backend not installed")


@pytest.mark.parametrize("case", REAL_CASES, ids=[c.id for c in REAL_CASES])
def test_torch_backend_follows_the_same_rule(case):
    """The torch pool widens bfloat16 as NumPy does (torch has no bfloat16 linalg, sort or segment kernels on
    CPU): values and gradients in bfloat16, each within one bfloat16 ulp of NumPy's (the two float32 kernels may
    differ in their last bit, which can move a rounding)."""
    _torch_or_skip()
    xs = [x.astype(BF16) for x in case.draw(numeric.seed_of(case), "float32")]
    for graph in (numeric.op_graph(case, "bfloat16"),
                  grad(numeric.scalar_graph(case, "bfloat16"), grad_position=tuple(range(len(xs))))):
        for a, b in zip(tree_flatten(Engine("torch").run(graph, xs)), tree_flatten(Engine().run(graph, xs))):
            assert a.dtype == b.dtype, case.id
            if a.dtype == BF16:
                a, b = a.astype(np.float64), b.astype(np.float64)
                np.testing.assert_allclose(a, b, rtol=2 ** -7, atol=2 ** -9 * max(1.0, np.abs(b).max()),
                                           err_msg=case.id)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_empty_segment_holds_bfloat16s_own_extremes(backend):
    """segment max / min select (exact in bfloat16, computed there): an empty segment holds bfloat16's lowest /
    highest finite value (float32's would round to -inf / inf), as float32 holds float32's."""
    if backend == "torch":
        _torch_or_skip()
    info = ml_dtypes.finfo(BF16)
    v = np.array([1.5, -2.5, 3.0], np.float32).astype(BF16)
    for mode, empty in (("max", info.min), ("min", info.max)):
        gb = GraphBuilder("seg")
        x = gb.input((3,), "bfloat16", name="v")
        ids = gb.const(np.array([0, 0, 2], np.int32))
        out = Engine(backend).run(gb.build(gb.emit1("segment_reduce", x, ids, num_segments=3, mode=mode)), [v])
        assert out.dtype == BF16
        want = [max(1.5, -2.5) if mode == "max" else -2.5, float(empty), 3.0]
        assert out.astype(np.float32).tolist() == want, (mode, out)


def test_a_bfloat16_fill_folded_through_reshape_and_broadcast_keeps_its_fraction():
    """The simplifier folds a fill that is reshaped / broadcast into a new fill of the value as the dtype stores
    it: bfloat16's 0.5 was read as an integer's (int(0.5) = 0), so `0.5 * x` of a bfloat16 x was 0 (silently;
    found by a jax.export bfloat16 model, whose scalars arrive broadcast)."""
    gb = GraphBuilder("half")
    x = gb.input((3,), "bfloat16", name="x")
    half = gb.emit1("broadcast_to", gb.emit1("reshape", gb.full((), 0.5, "bfloat16"), shape=(1,)), shape=(3,))
    third = gb.emit1("reshape", gb.full((), 1 / 3, "bfloat16"), shape=(1,))
    out = Engine().run(gb.build((gb.mul(half, x), third)), [np.array([1.0, -3.0, 2.5], np.float32).astype(BF16)])
    assert [o.dtype for o in out] == [BF16, BF16]
    assert out[0].astype(np.float32).tolist() == [0.5, -1.5, 1.25]
    assert out[1].astype(np.float32).tolist() == [float(np.float32(1 / 3).astype(BF16))]

def test_uniform_bfloat16_values_fold_as_they_run():
    """Fills in bfloat16 are folded at build time (sum / mean / a transpose of a fill, the seed of mean's
    derivative): the folded value is the fill's bfloat16 value, as running the nodes gives (PyTorch's CPU
    kernels), never an integer (0.5 summed thrice is 1.5; mean's derivative over 4 is 0.25)."""
    gb = GraphBuilder("fold")
    x = gb.input((4,), "bfloat16", name="x")
    half, tenth = gb.full((3,), 0.5, "bfloat16"), gb.full((3,), 0.3, "bfloat16")
    outs = Engine().run(gb.build((gb.sum(half), gb.mean(half), gb.sum(tenth), gb.transpose(gb.full((2, 3), 0.5, "bfloat16")),
                                  gb.add(gb.sum(x), gb.sum(half)))), [np.ones(4, BF16)])
    want = [_np(torch.full((3,), 0.5, dtype=torch.bfloat16).sum()), _np(torch.full((3,), 0.5, dtype=torch.bfloat16).mean()),
            _np(torch.full((3,), 0.3, dtype=torch.bfloat16).sum()), np.full((3, 2), 0.5, np.float32), np.float32(5.5)]
    for o, w in zip(outs, want):
        assert o.dtype == BF16
        np.testing.assert_array_equal(o.astype(np.float32), w)
    gb = GraphBuilder("dmean")
    x = gb.input((4,), "bfloat16", name="x")
    d = Engine().run(grad(gb.build(gb.mean(x)), 0), [np.ones(4, BF16)])
    t = _t(np.ones(4)).requires_grad_()
    t.mean().backward()
    assert d.dtype == BF16
    np.testing.assert_array_equal(d.astype(np.float32), _np(t.grad))  # 0.25 each
