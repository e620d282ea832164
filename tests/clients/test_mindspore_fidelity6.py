"""MindSpore idioms found by running MindSpore's own test files through the SDK (round 6). Expected values
come from MindSpore 2.10 (CPU, PyNative) run on the same programs for this task (/work/wt/_msvenv, printed
to 8 digits), or from NumPy (array_split, fill_diagonal) where noted."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops


def close(t, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=rtol, atol=atol)


class _Split(nn.Cell):
    def __init__(self, how, axis=None):
        super().__init__()
        self.how, self.axis = how, axis

    def construct(self, x, sections):
        if self.axis is None:
            return getattr(x, self.how)(sections)
        return x.tensor_split(sections, self.axis)


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
def test_tensor_split_family_follows_numpy_array_split(mode, on_real_server):
    ms.set_context(mode=mode)  # the fixture resets the context afterwards
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    for how, axis in (("vsplit", 0), ("hsplit", 1), ("dsplit", 2)):  # (method, the axis numpy splits along)
        for sections in (2, [1, 3], [-2]):
            out = _Split(how)(Tensor(a), sections)
            want = np.array_split(a, sections, axis=axis)
            assert len(out) == len(want), (how, sections)
            for o, w in zip(out, want):
                close(o, w)
    out = _Split("tensor_split", -1)(Tensor(a), 4)  # 5 into 4: the first chunk one longer
    assert [tuple(o.shape) for o in out] == [(3, 4, 2), (3, 4, 1), (3, 4, 1), (3, 4, 1)]


def test_tensor_split_empty_chunks_and_refusals_as_mindspore(on_real_server):
    a = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    # MindSpore 2.10: shapes [(3, 1), (3, 0), (3, 2), (3, 1)] and [(3,1)]*4 + [(3, 0)]
    assert [tuple(o.shape) for o in a.tensor_split([1, 1, 3], 1)] == [(3, 1), (3, 0), (3, 2), (3, 1)]
    assert [tuple(o.shape) for o in ops.tensor_split(a, 5, 1)] == [(3, 1)] * 4 + [(3, 0)]
    with pytest.raises(ValueError, match="dsplit.*at least 3"):
        ops.dsplit(a, 2)
    with pytest.raises(ValueError, match="sections must be positive"):
        a.tensor_split(0)
    with pytest.raises(TypeError, match="indices_or_sections"):
        a.tensor_split(1.5)


def test_fill_diagonal_positions_and_wrap(on_real_server):
    z = np.zeros((6, 3), np.float32)
    for wrap in (False, True):
        want = z.copy()
        np.fill_diagonal(want, 5.0, wrap=wrap)  # NumPy's positions (MindSpore's test expects the same)
        close(Tensor(z).fill_diagonal(5.0, wrap=wrap), want)
    cube = Tensor(np.zeros((3, 3, 3), np.float32)).fill_diagonal(2.0).asnumpy()
    assert [i.tolist() for i in cube.nonzero()] == [[0, 1, 2]] * 3  # MindSpore 2.10's nonzero()
    with pytest.raises(TypeError, match="fill_value must be a float"):  # MindSpore 2.10 refuses an int too
        Tensor(np.ones((2, 4), np.int32)).fill_diagonal(7)
    with pytest.raises(ValueError, match="sizes must be equal"):
        Tensor(np.zeros((2, 3, 3), np.float32)).fill_diagonal(1.0)


def test_hinge_embedding_loss_matches_mindspore(on_real_server):
    x = Tensor(np.array([0.2, 0.7, -0.3, 1.0], np.float32))
    y = Tensor(np.array([-1., -1., 1., -1.], np.float32))
    close(nn.HingeEmbeddingLoss(margin=0.5, reduction="none")(x, y), [0.3, 0.0, -0.3, 0.0])  # MindSpore 2.10
    close(ops.hinge_embedding_loss(x, y, 0.5, "sum"), 0.0)  # by hand: 0.3 + 0 - 0.3 + 0
    close(ops.hinge_embedding_loss(x, y, 2.0, "mean"), (1.8 + 1.3 - 0.3 + 1.0) / 4)  # by hand
    with pytest.raises(ValueError, match="reduction"):
        nn.HingeEmbeddingLoss(reduction="avg")


def test_lp_pool1d_matches_mindspore(on_real_server):
    x = Tensor(np.array([[[1., -2., 3., 0.5, 2.]], [[0.25, 1., -1., 4., 1.5]]], np.float32))
    close(nn.LPPool1d(norm_type=2, kernel_size=2, stride=1)(x),  # MindSpore 2.10
          [[[2.2360680, 3.6055512, 3.0413814, 2.0615528]], [[1.0307764, 1.4142135, 4.1231055, 4.2720017]]])
    close(ops.lp_pool1d(Tensor(np.array([[1., 2., 3., 4., 5.]], np.float32)), 3, 2),  # (C, L) input
          [[2.0800838, 4.4979415]])
    with pytest.raises(ValueError, match="norm_type can not be 0"):
        ops.lp_pool1d(x, 0, 2)


def test_dropout1d_drops_whole_channels(on_real_server):
    ms.set_seed(6)
    d = nn.Dropout1d(0.5)
    x = Tensor(np.ones((8, 16, 5), np.float32))
    close(d(x), np.ones((8, 16, 5)))  # not training: the input unchanged
    d.set_train()
    out = d(x).asnumpy()
    # each channel is all dropped (0) or all kept (scaled by 1 / (1 - p) = 2)
    assert set(np.unique(out).tolist()) == {0.0, 2.0}
    assert (out.min(axis=-1) == out.max(axis=-1)).all()
    kept = (out[..., 0] == 2.0).mean()
    assert 0.25 < kept < 0.75, kept  # 128 channels at p = 0.5
    close(nn.Dropout1d(1.0).set_train()(x), np.zeros((8, 16, 5)))  # MindSpore: p = 1 gives zeros
    with pytest.raises(ValueError, match="2-D .* or 3-D"):
        ops.dropout1d(Tensor(np.ones((2, 3, 4, 5), np.float32)), 0.5)


def test_iou_and_iof_match_mindspore(on_real_server):
    a = Tensor(np.array([[0., 0., 10., 10.], [5., 5., 20., 12.], [30., 30., 31., 31.]], np.float32))
    g = Tensor(np.array([[2., 3., 8., 15.], [0., 0., 4., 4.]], np.float32))
    # MindSpore 2.10: [gt, anchor], sides counted with both ends (+1), boxes apart give 0
    close(ops.IOU(mode="iou")(a, g), [[0.35897437, 0.171123, 0.0], [0.20661157, 0.0, 0.0]])
    close(ops.IOU(mode="iof")(a, g), [[0.61538464, 0.35164836, 0.0], [1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"gt_boxes must be \[n, 4\]"):
        ops.IOU()(a, Tensor(np.zeros((2, 3), np.float32)))


def test_unique_with_pad_matches_mindspore_eager_graph_and_vmap(on_real_server):
    x = np.array([3, 1, 3, 7, 1, 2], np.int32)
    want_y, want_idx = [3, 1, 7, 2, -1, -1], [0, 1, 0, 2, 1, 3]  # MindSpore 2.10: first-appearance order
    y, idx = ops.UniqueWithPad()(Tensor(x), -1)
    assert y.asnumpy().tolist() == want_y and idx.asnumpy().tolist() == want_idx
    assert str(idx.dtype) == "Int32"
    ys, idxs = ops.vmap(lambda v: ops.UniqueWithPad()(v, -1))(Tensor(np.stack([x, x[::-1].copy()])))
    assert ys.asnumpy().tolist() == [want_y, [2, 1, 7, 3, -1, -1]]  # the second row by hand
    assert idxs.asnumpy().tolist() == [want_idx, [0, 1, 2, 3, 1, 3]]

    class Net(nn.Cell):
        def construct(self, v):
            return ops.UniqueWithPad()(v, 0.0)

    ms.set_context(mode=ms.GRAPH_MODE)
    y, idx = Net()(Tensor(np.array([1, 2, 5, 2], np.float32)))
    assert y.asnumpy().tolist() == [1.0, 2.0, 5.0, 0.0] and idx.asnumpy().tolist() == [0, 1, 2, 1]


_X4 = np.arange(30, dtype=np.float32).reshape(1, 2, 3, 5) ** 1.5 / 10


@pytest.mark.parametrize("kw, want", [
    # MindSpore 2.10's outputs on _X4, first channel (both channels are compared in the suite's own file)
    (dict(mode="bilinear", size=(4, 7)), [
        [0.0, 0.057143, 0.152241, 0.282843, 0.451966, 0.63978, 0.8],
        [0.698771, 0.845793, 1.043923, 1.263582, 1.510359, 1.771254, 1.9875],
        [1.884625, 2.114363, 2.409437, 2.716362, 3.04176, 3.377613, 3.65187],
        [3.162278, 3.439998, 3.793612, 4.156922, 4.535704, 4.923404, 5.23832]]),
    (dict(mode="bilinear", scale_factor=(1.5, 0.7), recompute_scale_factor=True), [
        [0.033333, 0.282843, 0.706538], [0.784534, 1.263582, 1.861356],
        [2.018639, 2.716362, 3.491886], [3.324281, 4.156922, 5.054619]]),
    (dict(mode="area", size=(2, 3)), [[0.671932, 1.081153, 1.570589], [2.349573, 3.012814, 3.72207]]),
])
def test_upsample_matches_mindspore(kw, want, on_real_server):
    close(nn.Upsample(**kw)(Tensor(_X4))[0, 0], want, rtol=1e-5, atol=2e-6)


def test_upsample_linear_and_refusals(on_real_server):
    x3 = Tensor(np.array([[[1., 4., 2., 8., 5.]]], np.float32))
    close(nn.Upsample(mode="linear", size=7)(x3), [[[1.0, 2.714286, 3.428572, 2.0, 6.285714, 6.714286, 5.0]]])
    close(nn.Upsample(mode="linear", size=3, align_corners=True)(x3), [[[1.0, 2.0, 5.0]]])  # MindSpore 2.10
    with pytest.raises(ValueError, match="recompute_scale_factor"):  # MindSpore 2.10 refuses it too
        nn.Upsample(mode="linear", scale_factor=1.6)
    with pytest.raises(ValueError, match="divisible"):  # as MindSpore's adaptive_avg_pool1d
        nn.Upsample(mode="area", size=3)(x3)
    with pytest.raises(NotImplementedError, match="'nearest'"):
        nn.Upsample(size=3)


def test_bidense_matches_mindspore(on_real_server):
    net = nn.BiDense(3, 2, 4)
    assert [(p.name, tuple(p.shape)) for p in net.trainable_params()] == [("weight", (4, 3, 2)), ("bias", (4,))]
    net.weight.set_data(Tensor(np.arange(24, dtype=np.float32).reshape(4, 3, 2) / 10 - 1))
    net.bias.set_data(Tensor(np.array([0.5, -0.5, 1., 0.], np.float32)))
    x1 = Tensor(np.array([[1., 2., -1.], [0.5, 0., 3.]], np.float32))
    x2 = Tensor(np.array([[2., -1.], [1., 1.]], np.float32))
    close(net(x1, x2), [[-1.7, -1.5, 1.2, 1.4], [-3.75, -0.55, 5.15, 8.35]])  # MindSpore 2.10
    out = net(Tensor(np.ones((2, 5, 3), np.float32)), Tensor(np.ones((2, 5, 2), np.float32)))
    assert tuple(out.shape) == (2, 5, 4)  # leading axes kept, as MindSpore's reshape does
    with pytest.raises(ValueError, match="same leading sizes"):
        net(x1, Tensor(np.ones((3, 2), np.float32)))


class _DecaySchedule(nn.Cell):
    """MindSpore's dynamic weight decay: a Cell of the global step (as its weight_decay_utils.py writes it)."""

    def __init__(self):
        super().__init__()
        self.values = Tensor(np.array([0.0, 0.5, 0.1], np.float32))

    def construct(self, global_step):
        return self.values[global_step]


_WD_GRADS = [np.array([0.5, -1.0, 2.0], np.float32), np.array([0.25, 1.0, 2.0], np.float32),
             np.array([-0.5, 1.0, 0.0], np.float32)]


def _three_steps(make):
    w = Parameter(Tensor(np.array([1.0, -2.0, 3.0], np.float32)), name="w")
    opt = make([w])
    for g in _WD_GRADS:
        opt((Tensor(g),))
    return w.asnumpy(), opt


def test_dynamic_weight_decay_and_adam_weight_decay_follow_mindspore(on_real_server):
    # MindSpore 2.10 (PyNative) on this very program; Momentum's also by hand (decays 0, 0.5, 0.1 in turn)
    w, _ = _three_steps(lambda p: nn.Momentum(p, learning_rate=0.1, momentum=0.9, weight_decay=_DecaySchedule()))
    close(w, [0.768425, -1.82035, 1.7892])
    w, opt = _three_steps(lambda p: nn.AdamWeightDecay(p, learning_rate=0.1, weight_decay=0.01))
    close(w, [0.23086454, -1.8998649, 1.868231])
    close(opt.moments1[0], [0.013, 0.109, 0.342])
    close(opt.moments2[0], [0.00056193047, 0.0029969625, 0.0079879016])
    w, _ = _three_steps(lambda p: nn.AdamWeightDecay(p, learning_rate=0.1, weight_decay=_DecaySchedule()))
    close(w, [0.19610898, -1.8048404, 1.72073])
    with pytest.raises(TypeError, match="beta1"):
        nn.AdamWeightDecay([Parameter(Tensor(np.ones(2, np.float32)), name="p")], beta1=1)


def test_tensor_new_ones_as_mindspore(on_real_server):
    x = Tensor(np.array([1, 2], np.int32))
    a, b = x.new_ones((2, 3)), x.new_ones(3, ms.float16)  # MindSpore 2.10: Int32 ones, Float16 ones
    assert a.asnumpy().tolist() == [[1, 1, 1], [1, 1, 1]] and a.dtype == ms.int32
    assert b.asnumpy().tolist() == [1.0, 1.0, 1.0] and b.dtype == ms.float16


@pytest.mark.parametrize("cls, kw, want", [
    # MindSpore 2.10 (CPU, PyNative): two steps, lr 0.1, weight_decay 0.5, every gradient [0.25, -0.75]
    (nn.SGD, {}, [[0.85375, -1.65875], [0.45, 3.15], [-1.05, 4.15]]),
    (nn.Momentum, {"momentum": 0.9}, [[0.78625, -1.50125], [0.4275, 3.2175], [-1.0725, 4.2175]]),
    (nn.Adam, {}, [[0.80023944, -1.8000864], [0.30000055, 3.1999996], [-1.1999995, 4.1999993]]),
])
def test_weight_decay_skips_ungrouped_beta_and_gamma_parameters(cls, kw, want):
    """MindSpore's Optimizer decays parameters not in a group unless their name holds 'beta' or 'gamma'
    (norm layers' shift and scale); decaying them too gave other numbers silently."""
    ps = [Parameter(Tensor(np.array([1.0, -2.0], np.float32)), name="dense.weight"),
          Parameter(Tensor(np.array([0.5, 3.0], np.float32)), name="norm.gamma"),
          Parameter(Tensor(np.array([-1.0, 4.0], np.float32)), name="norm.beta")]
    opt = cls(ps, learning_rate=0.1, weight_decay=0.5, **kw)
    g = tuple(Tensor(np.array([0.25, -0.75], np.float32)) for _ in ps)
    opt(g)
    opt(g)
    for p, w in zip(ps, want):
        close(p, w, rtol=1e-5, atol=1e-5)
    grouped = [Parameter(Tensor(np.array([0.5, 3.0], np.float32)), name="norm.gamma")]
    opt = nn.SGD([{"params": grouped, "weight_decay": 0.5}], learning_rate=0.1)
    opt((Tensor(np.array([0.25, -0.75], np.float32)),))
    close(grouped[0], [0.5 - 0.1 * (0.25 + 0.25), 3.0 - 0.1 * (-0.75 + 1.5)])  # a group's decay: every member
