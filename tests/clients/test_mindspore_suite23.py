"""Sample seed 23 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 23"): values
that differed from MindSpore's and names its files call that gradserve lacked.

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the literals below are its outputs,
the call that gave each stated beside it)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, nn, ops

NAN = float("nan")


def test_nansum_sums_before_casting_to_dtype(on_real_server):
    # tests/st/ops/test_func_nansum.py: ops.nansum(x, axis=0, keepdims=True, dtype=ms.int64) = [[0, 128, -128]]
    x = Tensor([[NAN, 128.1, -256.9], [NAN, NAN, 128]], ms.float32)
    out = ops.nansum(x, axis=0, keepdims=True, dtype=ms.int64)
    assert out.dtype == ms.int64
    np.testing.assert_array_equal(out.asnumpy(), [[0, 128, -128]])
    # MindSpore 2.10: the sum is taken in the input's dtype, then cast (1.6 + 1.6 = 3.2 -> 3, not 1 + 1)
    y = Tensor([[NAN, 1.6, -256.9], [NAN, 1.6, 128]], ms.float32)
    np.testing.assert_array_equal(ops.nansum(y, axis=0, keepdims=True, dtype=ms.int64).asnumpy(), [[0, 3, -128]])
    assert int(ops.nansum(y, dtype=ms.int32)) == -125
    np.testing.assert_array_equal(ops.nansum(y, axis=1, dtype=ms.int8).asnumpy(), [1, -127])  # -255 and 129 wrap
    assert int(y.nansum(dtype=ms.int64)) == -125
    # an int8 sum wraps in int8 before the cast: MindSpore 2.10 gives -56 for dtype int64 and float32 too
    z = Tensor([100, 100], ms.int8)
    assert int(ops.nansum(z, dtype=ms.int64)) == -56
    assert float(ops.nansum(z, dtype=ms.float32)) == -56.0
    assert int(ops.nansum(Tensor([True, True]), dtype=ms.int8)) == 2
    h = ops.nansum(Tensor([1.5, 2.5, NAN], ms.float16), dtype=ms.float32)
    assert h.dtype == ms.float32 and float(h) == 4.0


class _MemberIn(nn.Cell):
    def construct(self, x, y):
        return x in y


class _MemberNotIn(nn.Cell):
    def construct(self, x, y):
        return x not in y


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_tensor_in_a_list_argument_holding_it(on_real_server, mode):
    # tests/st/compiler/syntax/simple_expression/test_member_not_in.py, run after a file that left PyNative mode
    # on: MindSpore 2.10 answers `x in [x, y]` by identity in both modes (True, no elementwise == asked)
    context.set_context(mode=mode)
    try:
        x = Tensor(np.ones([2, 2], np.int32))
        y = Tensor(np.zeros([2, 2], np.int32))
        for seq in ([x, y], (x, y)):
            assert _MemberIn()(x, seq) is True
            assert _MemberNotIn()(x, seq) is False
        # (a list without x: MindSpore PyNative compares x == y, a 4-element truth value: ValueError)
        if mode == context.PYNATIVE_MODE:
            with pytest.raises(ValueError, match="ambiguous"):
                _MemberIn()(x, [y, "a"])
    finally:
        context.set_context(mode=context.PYNATIVE_MODE)


def _torch_layer_weights(gs_layer, t_layer, decoder: bool):
    """gradserve's layer given torch's weights (the same names but Dense for Linear, gamma / beta for LayerNorm)."""
    pairs = [("self_attn.in_proj_weight", "self_attn.in_proj_weight"), ("self_attn.in_proj_bias", "self_attn.in_proj_bias"),
             ("self_attn.out_proj.weight", "self_attn.out_proj.weight"), ("self_attn.out_proj.bias", "self_attn.out_proj.bias"),
             ("dense1.weight", "linear1.weight"), ("dense1.bias", "linear1.bias"),
             ("dense2.weight", "linear2.weight"), ("dense2.bias", "linear2.bias")]
    attns = ["self_attn", "multihead_attn"] if decoder else ["self_attn"]
    pairs += [(p.replace("self_attn", a), q.replace("self_attn", a)) for a in attns[1:] for p, q in pairs[:4]]
    for i in range(1, 4 if decoder else 3):
        pairs += [(f"norm{i}.gamma", f"norm{i}.weight"), (f"norm{i}.beta", f"norm{i}.bias")]
    ours = dict(gs_layer.parameters_and_names())
    theirs = dict(t_layer.named_parameters())
    for p, q in pairs:
        ours[p].set_data(Tensor(theirs[q].detach().numpy()))
    assert len(pairs) == len(theirs)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_layers_match_torch(on_real_server, norm_first):
    # nn.TransformerEncoderLayer / TransformerDecoderLayer: MindSpore 2.10's layers are torch.nn's maths
    # (mindspore/nn/layer/transformer.py); eval mode, a bool mask (True: not attended), float64
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t_enc = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first,
                                             dtype=torch.float64).eval()
    t_dec = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=False, norm_first=norm_first,
                                             dtype=torch.float64).eval()
    enc = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=ms.float64)
    dec = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first, dtype=ms.float64)
    _torch_layer_weights(enc, t_enc, False)
    _torch_layer_weights(dec, t_dec, True)
    rng = np.random.default_rng(1)
    src, tgt, mem = rng.normal(size=(2, 3, 8)), rng.normal(size=(4, 2, 8)), rng.normal(size=(3, 2, 8))
    mask = np.array([[False, True, False], [False, False, True], [False, False, False]])
    want = t_enc(torch.tensor(src), src_mask=torch.tensor(mask)).detach().numpy()
    np.testing.assert_allclose(enc(Tensor(src), src_mask=Tensor(mask)).asnumpy(), want, rtol=1e-10, atol=1e-12)
    tmask = np.triu(np.ones((4, 4), bool), 1)
    want = t_dec(torch.tensor(tgt), torch.tensor(mem), tgt_mask=torch.tensor(tmask)).detach().numpy()
    np.testing.assert_allclose(dec(Tensor(tgt), Tensor(mem), tgt_mask=Tensor(tmask)).asnumpy(), want,
                               rtol=1e-10, atol=1e-12)


def test_transformer_stacks_shapes_and_arguments(on_real_server):
    # tests/st/nn/test_transformer.py's forms (small sizes): num_layers fresh layers, the final norms, shapes kept
    layer = nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
    model = nn.TransformerEncoder(layer, num_layers=2)
    names = [n for n, _ in model.parameters_and_names()]
    assert len(model.layers) == 2 and len(names) == 2 * 12 and len(set(names)) == len(names)
    for _, p in model.parameters_and_names():
        assert p.set_dtype(ms.float16) == ms.float16 and p.dtype == ms.float16
    x = ops.arange(0, 16).reshape(2, 2, 4).astype(ms.float16)
    out = model(x, src_mask=Tensor([[0, 1], [0, 0]]).to(ms.bool_))
    assert out.shape == (2, 2, 4) and out.dtype == ms.float16
    t = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16)
    assert t(Tensor(np.ones((5, 3, 8), np.float32)), Tensor(np.ones((4, 3, 8), np.float32))).shape == (4, 3, 8)
    with pytest.raises(ValueError, match="d_model"):
        t(Tensor(np.ones((5, 3, 6), np.float32)), Tensor(np.ones((4, 3, 8), np.float32)))
    with pytest.raises(ValueError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="ops.relu or ops.gelu"):
        nn.TransformerDecoderLayer(8, 2, activation=ops.tanh)
    with pytest.raises(AssertionError, match="bool and floating"):
        layer(Tensor(np.ones((1, 2, 4), np.float32)), src_key_padding_mask=Tensor([[0, 1]]))


def test_mutable_keeps_its_origin_and_strict_level_from_the_environment(on_real_server, monkeypatch):
    # tests/st/compiler/mutable/test_mutable_in_graph.py: m_x.__ms_origin_object__ is the object mutable() was
    # given; with MS_DEV_JIT_SYNTAX_LEVEL=0 (STRICT) a GRAPH_MODE Cell's gradient of a mutable dict is a tuple
    x = Tensor([[0.5, 0.6, 0.4], [1.2, 1.3, 1.1]], ms.float32)
    assert ms.mutable(x).__ms_origin_object__ is x
    pair = (x, x)
    assert ms.mutable(pair).__ms_origin_object__ is pair
    plain = {"a": x}
    assert ms.mutable(plain).__ms_origin_object__ is plain

    class Net(nn.Cell):
        def construct(self, z):
            return ops.matmul(z["a"], z["b"])

    class GradNet(nn.Cell):
        def __init__(self):
            super().__init__()
            self.grad = ms.ops.GradOperation()

        def construct(self, z):
            return self.grad(Net())(z)

    y = Tensor(np.ones((3, 2), np.float32))
    context.set_context(mode=context.GRAPH_MODE)
    try:
        monkeypatch.setenv("MS_DEV_JIT_SYNTAX_LEVEL", "0")
        out = GradNet()(ms.mutable({"a": x, "b": y}))
        assert isinstance(out, tuple) and len(out) == 2
        np.testing.assert_allclose(out[0].asnumpy(), np.full((2, 3), 2.0))  # d sum(a @ b) / da = ones @ b^T
        np.testing.assert_allclose(out[1].asnumpy(), np.repeat(x.asnumpy().sum(0)[:, None], 2, 1), rtol=1e-6)
        monkeypatch.setenv("MS_DEV_JIT_SYNTAX_LEVEL", "2")
        assert isinstance(GradNet()(ms.mutable({"a": x, "b": y})), dict)
    finally:
        context.set_context(mode=context.PYNATIVE_MODE)


def test_standard_method_functions(on_real_server):
    # tests/st/ops/test_constexpr_modfied.py: MindSpore 2.10's standard_method functions are its Tensor methods
    # called as functions (the expected values are that test's, MindSpore's run)
    from gradserve._extends.parse import standard_method as sm

    assert sm.unsqueeze(Tensor([[4.0, 9.0, 2.0, 10.0]]), 0).shape == (1, 1, 4)
    assert bool(sm.tensor_bool(Tensor([4.0]))) is True and bool(sm.tensor_bool(Tensor([0.0]))) is False
    with pytest.raises(ValueError, match="ambiguous"):
        sm.tensor_bool(Tensor([1.0, 2.0]))
    values, indices = sm.topk(Tensor([4.0, 9.0, 2.0, 10.0]), 3)
    np.testing.assert_array_equal(values.asnumpy(), [10.0, 9.0, 4.0])
    np.testing.assert_array_equal(indices.asnumpy(), [3, 1, 0])
    x = Tensor(np.array([[1, 2, 3], [2, 3, 4]], np.float32))
    np.testing.assert_array_equal(sm.view(x, (3, 2)).asnumpy(), [[1, 2], [3, 2], [3, 4]])
    np.testing.assert_array_equal(sm.reshape(x, 3, 2).asnumpy(), [[1, 2], [3, 2], [3, 4]])
    assert sm.swapaxes(Tensor(np.ones((2, 3, 4), np.float32)), 0, 2).shape == (4, 3, 2)
    assert sm.squeeze(Tensor(np.ones((1, 2, 2, 1), np.float32)), (0, 3)).shape == (2, 2)
    assert int(sm.argmax(Tensor(np.arange(10, 16).reshape(2, 3).astype(np.float32)), None)) == 5
    np.testing.assert_array_equal(sm.diagonal(Tensor(np.arange(4).reshape(2, 2))).asnumpy(), [0, 3])
    choices = [[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23], [30, 31, 32, 33]]
    np.testing.assert_array_equal(sm.choose(Tensor(np.array([2, 3, 1, 0])), choices).asnumpy(), [20, 31, 12, 3])
    assert float(sm.var(Tensor(np.array([1.0, 2.0, 3.0, 4.0])))) == 1.25  # NumPy's var (ddof 0)
    assert int(sm.searchsorted(Tensor(np.array([1.0, 2.0, 3.0, 4.0, 5.0])), Tensor(3.0, ms.float64))) == 2

    class Net(nn.Cell):  # as the test calls them: a Cell attribute, in GRAPH_MODE
        def __init__(self):
            super().__init__()
            self.func = sm.reshape

        def construct(self, a, shape):
            return self.func(a, shape)

    context.set_context(mode=context.GRAPH_MODE)
    try:
        assert Net()(x, (3, 2)).shape == (3, 2)
    finally:
        context.set_context(mode=context.PYNATIVE_MODE)


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_common_generator_state(on_real_server, mode):
    # MindSpore 2.10 (CPU), mindspore.common.generator: Generator().initial_seed() = 0; after manual_seed(7),
    # _step(3) gives (7, 0) then (7, 3); get_state() = [7, 0 x7, 6, 0 x7] (uint8); a Generator given that state
    # steps from offset 6; manual_seed(1.5) is TypeError("Seed must be an integer.")
    from gradserve.common.generator import Generator, get_rng_state, set_rng_state, default_generator

    g = Generator()
    assert g.initial_seed() == 0
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    three = Tensor(3, ms.int64)
    context.set_context(mode=mode)
    try:
        step = ms.jit(lambda gen, n: gen._step(n)) if mode == context.GRAPH_MODE else (lambda gen, n: gen._step(n))
        assert [int(v) for v in step(g, three)] == [7, 0]
        assert [int(v) for v in step(g, three)] == [7, 3]  # (a reused trace advances it too)
    finally:
        context.set_context(mode=context.PYNATIVE_MODE)
    state = g.get_state()
    assert state.dtype == ms.uint8
    np.testing.assert_array_equal(state.asnumpy(), [7] + [0] * 7 + [6] + [0] * 7)
    g2 = Generator()
    g2.set_state(state)
    assert [int(v) for v in g2._step(Tensor(1, ms.int64))] == [7, 6]
    with pytest.raises(TypeError, match="Seed must be an integer"):
        g.manual_seed(1.5)
    saved = get_rng_state()
    first = [int(v) for v in default_generator._step(Tensor(5, ms.int64))]
    set_rng_state(saved)
    assert [int(v) for v in default_generator._step(Tensor(5, ms.int64))] == first


@pytest.mark.parametrize("dt", [np.int32, np.int64])
def test_data_format_dim_map(on_real_server, dt):
    # MindSpore 2.10 (CPU), tests/st/ops/cpu/test_dataformatdimmap_op.py's values, and beyond -4..3: 5 -> 3, -5 -> 2
    from gradserve.ops import operations as P

    x = Tensor(np.array([-4, -3, -2, -1, 0, 1, 2, 3, 5, -5], dt))
    out = P.DataFormatDimMap()(x)
    assert out.dtype == Tensor(np.zeros(1, dt)).dtype
    np.testing.assert_array_equal(out.asnumpy(), [0, 3, 1, 2, 0, 3, 1, 2, 3, 2])
    np.testing.assert_array_equal(P.DataFormatDimMap("NHWC", "NHWC")(x).asnumpy(), [0, 1, 2, 3, 0, 1, 2, 3, 1, 3])
    np.testing.assert_array_equal(P.DataFormatDimMap(src_format="NCHW", dst_format="NHWC")(x).asnumpy(),
                                  [0, 2, 3, 1, 0, 2, 3, 1, 2, 1])
    np.testing.assert_array_equal(P.DataFormatDimMap("NCHW", "NCHW")(Tensor(np.array([[-1, 2], [0, 1]], dt))).asnumpy(),
                                  [[3, 2], [0, 1]])
    with pytest.raises(ValueError, match="'src_format' must be str and must be in"):
        P.DataFormatDimMap(src_format="NHW")
    with pytest.raises(TypeError, match="Int32"):
        P.DataFormatDimMap()(Tensor(np.array([1.0], np.float32)))


@pytest.mark.parametrize("dt", [np.float32, np.float16])
def test_max_pool_grad_with_argmax_v2(on_real_server, dt):
    # tests/st/ops/cpu/test_max_pool_grad_with_argmax_v2_cpu_op.py (MindSpore 2.10's expected values): each grad
    # cell lands at its argmax; overlapping windows' shared maxima sum (NumPy's np.add.at)
    from gradserve.ops.operations import _grad_ops as G

    x = Tensor(np.arange(36).reshape(1, 1, 6, 6).astype(dt))
    dy = np.array([[[[0.7, 0.9, 0.11], [0.19, 0.21, 0.23], [0.31, 0.33, 0.35]]]], dt)
    index = np.array([[[[7, 9, 11], [19, 21, 23], [31, 33, 35]]]], np.int32)
    want = np.zeros((1, 1, 36), dt)
    want[0, 0, index.reshape(-1)] = dy.reshape(-1)
    got = G.MaxPoolGradWithArgmaxV2(kernel_size=2, strides=2, pads=0, dilation=1, ceil_mode=False)(
        x, Tensor(dy), Tensor(index))
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got.asnumpy(), want.reshape(1, 1, 6, 6))
    shared = np.array([[[[14, 14], [14, 35]]], [[[0, 1], [1, 1]]]], np.int64)  # two (N) planes, repeats
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]], [[[0.5, 0.25], [0.125, 1.0]]]], dt)
    want = np.zeros((2, 1, 36), dt)
    for b in range(2):
        np.add.at(want[b, 0], shared[b].reshape(-1), g[b].reshape(-1))
    got = G.MaxPoolGradWithArgmaxV2(3, 1)(Tensor(np.zeros((2, 1, 6, 6), dt)), Tensor(g), Tensor(shared))
    np.testing.assert_array_equal(got.asnumpy(), want.reshape(2, 1, 6, 6))


def test_sparse_dense_cwise_add_mul(on_real_server):
    # MindSpore 2.10 (CPU): indices [[0, 0], [2, 2], [1, 0]], values [1, 2, 7], shape [3, 3]; x2 broadcast to it
    from gradserve.ops.operations.sparse_ops import SparseDenseCwiseAdd, SparseDenseCwiseMul

    i = Tensor([[0, 0], [2, 2], [1, 0]], ms.int64)
    v = Tensor([1, 2, 7], ms.int32)
    s = Tensor([3, 3], ms.int64)
    cases = [(Tensor([1, 2, 3], ms.int32), [2, 5, 8], [1, 6, 7]),
             (Tensor([[1], [2], [3]], ms.int32), [2, 5, 9], [1, 6, 14]),
             (Tensor(np.arange(9).reshape(3, 3) + 1, ms.int32), [2, 11, 11], [1, 18, 28])]
    for x2, add, mul in cases:
        np.testing.assert_array_equal(SparseDenseCwiseAdd()(i, v, s, x2).asnumpy(), add)
        np.testing.assert_array_equal(SparseDenseCwiseMul()(i, v, s, x2).asnumpy(), mul)
    with pytest.raises(TypeError, match="dtype"):
        SparseDenseCwiseAdd()(i, v, s, Tensor([1.0, 2.0, 3.0], ms.float32))
    with pytest.raises(ValueError, match="does not broadcast"):
        SparseDenseCwiseAdd()(i, v, s, Tensor([1, 2], ms.int32))


def test_triu_and_central_crop_cells(on_real_server):
    # MindSpore 2.10 (CPU): nn.Triu()(arange(16).reshape(4, 4), 2); nn.CentralCrop on a (2, 3, 5, 6) arange image
    np.testing.assert_array_equal(nn.Triu()(Tensor(np.arange(16).reshape(4, 4)), 2).asnumpy(),
                                  [[0, 0, 2, 3], [0, 0, 0, 7], [0, 0, 0, 0], [0, 0, 0, 0]])
    img = Tensor(np.arange(2 * 3 * 5 * 6).reshape(2, 3, 5, 6).astype(np.float32))
    out = nn.CentralCrop(central_fraction=0.5)(img)
    assert out.shape == (2, 3, 3, 4)
    np.testing.assert_array_equal(out.asnumpy()[0, 0], [[7, 8, 9, 10], [13, 14, 15, 16], [19, 20, 21, 22]])
    out = nn.CentralCrop(0.3)(img)
    assert out.shape == (2, 3, 3, 2)
    np.testing.assert_array_equal(out.asnumpy()[0, 0], [[8, 9], [14, 15], [20, 21]])
    assert nn.CentralCrop(1.0)(img).shape == (2, 3, 5, 6)
    assert nn.CentralCrop(0.5)(Tensor(np.ones((3, 4, 4), np.float32))).shape == (3, 2, 2)
    with pytest.raises(ValueError, match=r"range of \(0.0, 1.0\]"):
        nn.CentralCrop(1.5)
    with pytest.raises(TypeError, match="should be 'float'"):
        nn.CentralCrop("a")
    with pytest.raises(ValueError, match="3d or 4d"):
        nn.CentralCrop(0.5)(Tensor(np.ones((4, 4), np.float32)))
