"""Seed 19 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 19"): what gradserve
lacked or did differently there.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn


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
