"""Seed 19 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 19"): what gradserve
lacked or did differently there.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops


def test_padding_cells(on_real_server):
    x = Tensor(np.arange(6).reshape(1, 2, 3).astype(np.float32))
    assert nn.ConstantPad1d((-1, 2), 0.5)(x).asnumpy().tolist() == [[[1.0, 2.0, 0.5, 0.5], [4.0, 5.0, 0.5, 0.5]]]
    assert nn.ZeroPad2d((1, 0, 0, 1))(x).asnumpy().tolist() == [[[0.0, 0.0, 1.0, 2.0], [0.0, 3.0, 4.0, 5.0],
                                                                 [0.0, 0.0, 0.0, 0.0]]]
    assert nn.ReflectionPad1d((2, 1))(x).asnumpy().tolist() == [[[2.0, 1.0, 0.0, 1.0, 2.0, 1.0],
                                                                 [5.0, 4.0, 3.0, 4.0, 5.0, 4.0]]]
    assert nn.ReplicationPad2d((1, 0, 1, 1))(x).asnumpy().tolist() == [[[0.0, 0.0, 1.0, 2.0], [0.0, 0.0, 1.0, 2.0],
                                                                        [3.0, 3.0, 4.0, 5.0], [3.0, 3.0, 4.0, 5.0]]]
    w = Tensor(np.arange(12).reshape(1, 2, 6).astype(np.float32))
    g = ms.grad(lambda x: (nn.ReflectionPad1d((2, 1))(x) * w).sum())(x)
    assert g.asnumpy().tolist() == [[[2.0, 9.0, 4.0], [8.0, 27.0, 16.0]]]  # mirrored cotangents added back
    g = ms.grad(lambda x: (nn.ConstantPad1d((-1, 2), 0.5)(x) * w[:, :, :4]).sum())(x)
    assert g.asnumpy().tolist() == [[[0.0, 0.0, 1.0], [0.0, 6.0, 7.0]]]


def test_padding_cells_refuse_bad_arguments():
    with pytest.raises(TypeError):
        nn.ReflectionPad2d("-1")
    with pytest.raises(TypeError):
        nn.ReflectionPad1d(("2", 2))
    with pytest.raises(ValueError):
        nn.ReflectionPad2d((1, 2, 2))
    with pytest.raises(ValueError):
        nn.ReflectionPad1d((-1, 2))
    with pytest.raises(ValueError):
        nn.ConstantPad1d((1, 1, 1, 1), 0.0)
    with pytest.raises(TypeError):
        nn.ConstantPad2d(1, "0")
    x = Tensor(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="after padding must be positive"):
        nn.ConstantPad2d((-3, 0, 0, 0), 1.0)(x)
    with pytest.raises(ValueError, match="less than the size"):
        nn.ReflectionPad1d((3, 0))(x)
    with pytest.raises(ValueError, match="3 or 4 dims"):
        nn.ReplicationPad2d(1)(x)


def test_gaussian_nll_loss_cell(on_real_server):
    a = Tensor(np.arange(8).reshape(4, 2).astype(np.float32))
    b = Tensor(np.array([2, 3, 1, 4, 6, 4, 4, 9], np.float32).reshape(4, 2))
    var = Tensor(np.ones((4, 1), np.float32))
    assert float(nn.GaussianNLLLoss()(a, b, var).asnumpy()) == pytest.approx(1.4375)
    assert float(nn.GaussianNLLLoss(full=True, reduction="sum")(a, b, var).asnumpy()) == pytest.approx(
        11.5 + 8 * 0.5 * np.log(2 * np.pi), rel=1e-6)
    with pytest.raises(ValueError):
        nn.GaussianNLLLoss(reduction="max")
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(1e-6)  # keyword-only, as MindSpore


def test_ps_roi_pooling(on_real_server):
    from gradserve.ops.operations import nn_ops

    x = np.arange(2 * 8 * 5 * 6).reshape(2, 8, 5, 6).astype(np.float32) % 7
    rois = np.array([[[0.], [1.3], [2.6], [9.1], [7.4]], [[0.], [3.0], [1.0], [11.2], [9.9]]], np.float32)
    op = nn_ops.PSROIPooling(0.5, 2, 2)
    out = op(Tensor(x), Tensor(rois))
    assert out.shape == (2, 2, 2, 2)
    assert out.asnumpy().tolist() == [[[[1.75, 4.0], [3.0, 1.75]], [[1.0, 5.0], [4.0, 1.0]]],
                                      [[[1.0, 4.5], [3.5, 0.0]], [[2.0, 5.5], [4.5, 1.0]]]]  # MindSpore 2.10 CPU
    # linear in the features: the gradient g of sum(out * w) satisfies <g, x> = sum(out * w) for every x
    w = Tensor(np.random.default_rng(0).standard_normal((2, 2, 2, 2)).astype(np.float32))
    g = ms.grad(lambda f: (op(f, Tensor(rois)) * w).sum())(Tensor(x)).asnumpy()
    for probe in (x, np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)):
        want = float((op(Tensor(probe), Tensor(rois)) * w).sum().asnumpy())
        assert float((g * probe).sum()) == pytest.approx(want, rel=1e-5, abs=1e-5)
    assert not g[:, :, -1, :].any() and not g[:, :, :, -1].any()  # bins never reach the last row / column
    with pytest.raises(TypeError):
        nn_ops.PSROIPooling(object(), 2, 2)
    with pytest.raises(ValueError):
        nn_ops.PSROIPooling(0.5, -1, 2)
    with pytest.raises(TypeError):
        nn_ops.PSROIPooling(0.5, 2, 7.1)
    with pytest.raises(TypeError):
        op(1.0, Tensor(rois))
    with pytest.raises(RuntimeError, match="output_dim"):
        op(Tensor(np.ones((2, 9, 5, 6), np.float32)), Tensor(rois))


def test_ctc_loss_v2_and_ctc_loss(on_real_server):
    from gradserve.ops import operations as P

    z = np.random.RandomState(0).randn(4, 2, 3)
    lp = Tensor((z - np.log(np.exp(z).sum(2, keepdims=True))).astype(np.float32))
    tg, il, tl = Tensor(np.array([[1, 2], [2, 0]])), Tensor(np.array([4, 3])), Tensor(np.array([2, 1]))
    loss, log_alpha = P.CTCLossV2(blank=0, reduction="none")(lp, tg, il, tl)
    np.testing.assert_allclose(loss.asnumpy(), [2.462745, 1.9701686], rtol=1e-5)  # MindSpore 2.10
    inf = -np.inf
    np.testing.assert_allclose(log_alpha.asnumpy(), [
        [[-0.5375, -1.9013, inf, inf, inf], [-1.0569, -1.9307, -2.4208, -3.4741, inf],
         [-1.8705, -2.161, -2.2664, -2.4592, -4.2877], [-2.1839, -2.7927, -1.8327, -4.369, -2.6237]],
        [[-0.5472, -3.7654, inf, inf, inf], [-2.0745, -0.9916, -5.2927, inf, inf],
         [-3.6378, -2.8021, -2.5415, inf, inf], [inf, inf, inf, inf, inf]]], atol=1e-4)
    assert float(ops.ctc_loss(lp, tg, il, tl)[0].asnumpy()) == pytest.approx(1.6007705, rel=1e-6)
    assert float(ops.ctc_loss(lp, tg, il, tl, reduction="sum")[0].asnumpy()) == pytest.approx(4.4329136, rel=1e-6)
    with pytest.raises(ValueError):
        P.CTCLossV2(reduction="mean")
    with pytest.raises(TypeError, match="but got Float32"):
        ops.ctc_loss(lp, tg, il, (0.17, 0.5))


def test_lrn_and_lrn_grad(on_real_server):
    from gradserve.ops.operations import _grad_ops as G

    x = (np.arange(8).reshape(1, 4, 1, 2) / 4 - 0.7).astype(np.float32)
    op = ops.LRN(1, 1.0, 0.5, 0.75)
    np.testing.assert_allclose(op(Tensor(x)).asnumpy().ravel(), [  # MindSpore 2.10
        -0.586854100227356, -0.418242871761322, -0.16333399713039398, 0.042199939489364624, 0.23498165607452393,
        0.3688147962093353, 0.6334910988807678, 0.7044885754585266], rtol=1e-6)
    dy = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    want = ms.grad(lambda t: (op(t) * Tensor(dy)).sum())(Tensor(x)).asnumpy()  # derived from LRN's ops
    other_y = Tensor(np.ones_like(x))  # MindSpore's kernel does not read y's values
    for y in (op(Tensor(x)), other_y):
        got = G.LRNGrad(1, 1.0, 0.5, 0.75)(Tensor(dy), Tensor(x), y).asnumpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError):
        ops.LRN(1, 1, 0.5, 0.75)  # bias must be a float


def test_unfold_slice_select_scatter_fliplr(on_real_server):
    x = Tensor(np.arange(2 * 3 * 4).reshape(1, 2, 3, 4).astype(np.float32))
    assert ops.unfold(x, (2, 2), 1, (1, 0), (2, 1)).asnumpy().tolist() == [[  # MindSpore 2.10
        [0.0, 0.0, 0.0, 4.0, 5.0, 6.0], [0.0, 0.0, 0.0, 5.0, 6.0, 7.0], [0.0, 1.0, 2.0, 8.0, 9.0, 10.0],
        [1.0, 2.0, 3.0, 9.0, 10.0, 11.0], [0.0, 0.0, 0.0, 16.0, 17.0, 18.0], [0.0, 0.0, 0.0, 17.0, 18.0, 19.0],
        [12.0, 13.0, 14.0, 20.0, 21.0, 22.0], [13.0, 14.0, 15.0, 21.0, 22.0, 23.0]]]
    assert x.unfold(kernel_size=2).shape == (1, 8, 6)
    y = Tensor(np.arange(12).reshape(3, 4).astype(np.float32))
    src = Tensor(-np.ones((3, 2), np.float32))
    assert y.slice_scatter(src, 1, 1, None, 2).asnumpy().tolist() == [
        [0.0, -1.0, 2.0, -1.0], [4.0, -1.0, 6.0, -1.0], [8.0, -1.0, 10.0, -1.0]]
    gy, gs = ms.grad(lambda a, b: (ops.slice_scatter(a, b, 1, 1, None, 2) * y).sum(), grad_position=(0, 1))(y, src)
    # y is the argument and captured: PyNative (the default) takes both as the argument, MindSpore 2.10's value
    # (GRAPH_MODE's, the capture a constant: [[0, 0, 2, 0], [4, 0, 6, 0], [8, 0, 10, 0]])
    assert gy.asnumpy().tolist() == [[0.0, -1.0, 4.0, -1.0], [8.0, -1.0, 12.0, -1.0], [16.0, -1.0, 20.0, -1.0]]
    assert gs.asnumpy().tolist() == [[1.0, 3.0], [5.0, 7.0], [9.0, 11.0]]
    assert ops.select_scatter(y, Tensor(np.array([7, 8, 9], np.float32)), 1, -1).asnumpy().tolist() == [
        [0.0, 1.0, 2.0, 7.0], [4.0, 5.0, 6.0, 8.0], [8.0, 9.0, 10.0, 9.0]]
    with pytest.raises(ValueError, match="src"):
        ops.slice_scatter(y, src, 1, 0, 3)
    assert ops.fliplr(y).asnumpy()[0].tolist() == [3.0, 2.0, 1.0, 0.0]
    assert ops.flipud(y).asnumpy()[0].tolist() == [8.0, 9.0, 10.0, 11.0]


def test_bessel_primitive_classes(on_real_server):
    from gradserve.ops.operations import math_ops as M

    t = Tensor(np.array([-2.0, 0.5, 3.0], np.float32))
    np.testing.assert_allclose(M.BesselI1()(t).asnumpy(), [-1.59063720703125, 0.2578943371772766, 3.953371047973633],
                               rtol=1e-6)  # MindSpore 2.10
    np.testing.assert_allclose(ms.grad(lambda v: M.BesselI1()(v).sum())(t).asnumpy(),
                               [1.484266757965088, 0.5476948022842407, 3.563002586364746], rtol=1e-5)
    np.testing.assert_allclose(M.BesselI0e()(t).asnumpy(), ops.bessel_i0e(t).asnumpy())


def test_multinomial_draws(on_real_server):
    from gradserve.ops import operations as P

    w = Tensor(np.array([[0.0, 9.0, 4.0, 0.0], [1.0, 1.0, 1.0, 1.0]], np.float32))
    out = ops.multinomial(w, 4000, True, seed=3).asnumpy()
    assert out.dtype == np.int32 and out.shape == (2, 4000)
    freq = np.stack([np.bincount(r, minlength=4) / 4000 for r in out])
    np.testing.assert_allclose(freq, [[0, 9 / 13, 4 / 13, 0], [0.25] * 4], atol=0.04)  # the rows' weights
    no_repeat = ops.multinomial(w, 2, False).asnumpy()
    assert sorted(no_repeat[0].tolist()) == [1, 2] and len(set(no_repeat[1].tolist())) == 2
    with pytest.raises(ValueError, match="num_samples"):
        ops.multinomial(w, 5, False)
    a, b = P.Multinomial(seed=5, seed2=6), P.Multinomial(seed=5, seed2=6)
    assert a(w, 8).asnumpy().tolist() == b(w, 8).asnumpy().tolist()  # a seeded op repeats its draws
    assert P.Multinomial(dtype=ms.int64)(w, 3).dtype == ms.int64


def test_nn_jvp_refuses_a_tangent_of_the_wrong_structure():
    x = Tensor(np.ones((2, 2), np.float32))
    one = nn.Jvp(lambda a: a * a)
    two = nn.Jvp(lambda a, b: a * b)
    for call in (lambda: one(x, (x, x)), lambda: one(x, (x,)), lambda: two(x, x, x), lambda: two(x, x, (x,))):
        with pytest.raises(TypeError, match="'v' must be"):  # MindSpore 2.10: TypeError, before any trace
            call()


def test_adadelta_steps(on_real_server):
    from gradserve.nn.optim import Adadelta

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = ms.Parameter(Tensor(np.array([1.0, -2.0, 0.5], np.float32)), name="w")

        def construct(self, x):
            return (self.w * x).sum() ** 2

    net = Net()
    step = nn.TrainOneStepCell(net, Adadelta(net.trainable_params(), learning_rate=0.5, rho=0.8, epsilon=1e-3,
                                             weight_decay=0.1))
    x = Tensor(np.array([0.3, 1.0, -2.0], np.float32))
    want = [[1.0353171825408936, -1.9646475315093994, 0.4646454155445099],  # MindSpore 2.10, three steps
            [1.0717077255249023, -1.9281086921691895, 0.42812278866767883],
            [1.1082097291946411, -1.891290545463562, 0.39134877920150757]]
    for row in want:
        step(x)
        np.testing.assert_allclose(net.w.asnumpy(), row, rtol=1e-6)


def test_scatter_writes_follow_the_signature_dtype_rule(on_real_server):
    from gradserve.common.dtype import pytype_to_dtype

    p = ms.Parameter(Tensor(np.ones((3, 2), np.float32)), name="p")
    ops.ScatterNdUpdate()(p, Tensor(np.array([[1]], np.int32)), Tensor(np.full((1, 2), 5, np.float16)))
    assert p.dtype == ms.float32 and p.asnumpy().tolist() == [[1, 1], [5, 5], [1, 1]]  # updates converted
    q = ms.Parameter(Tensor(np.ones((3, 2), np.int32)), name="q")
    ops.ScatterNdAdd()(q, Tensor(np.array([[1]], np.int32)), Tensor(np.full((1, 2), 5, np.int8)))
    assert q.asnumpy().tolist() == [[1, 1], [6, 6], [1, 1]]
    with pytest.raises(TypeError, match=r"the argument\[x\]'s data type of primitive\[ScatterNdAdd\] is Int32, which "
                                        r"cannot be converted to data type Float32 automatically"):
        ops.ScatterNdAdd()(q, Tensor(np.array([[1]], np.int32)), Tensor(np.full((1, 2), 5, np.float32)))
    with pytest.raises(ValueError, match="dimension of 'indices' must be greater than or equal to 2"):
        ops.ScatterNdUpdate()(p, Tensor(np.array([1], np.int32)), Tensor(np.full((2,), 5, np.float32)))
    ops.ScatterUpdate()(p, Tensor(np.array(2, np.int32)), Tensor(np.full((2,), 7, np.float32)))  # any rank here
    assert p.asnumpy().tolist() == [[1, 1], [5, 5], [7, 7]]
    assert pytype_to_dtype(np.int8) == ms.int8 and pytype_to_dtype(float) == ms.float64
    assert pytype_to_dtype(np.dtype("float16")) == ms.float16 and pytype_to_dtype(bool) == ms.bool_
