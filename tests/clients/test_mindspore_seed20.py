"""Seed 20 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 20"): names its
files call that gradserve lacked.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv; erfinv's also SciPy's
erfinv and its derivative sqrt(pi)/2 exp(erfinv(x)^2)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, mint, ops


def test_erfinv_values_edges_and_derivative(on_real_server):
    x = Tensor(np.array([0, 0.5, -0.9, 0.999, 1, -1, 1.5], np.float32))
    want = [0.0, 0.47693628, -1.1630871, 2.3267537, np.inf, -np.inf, np.nan]  # SciPy's erfinv
    for got in (ops.erfinv(x), x.erfinv(), mint.erfinv(x)):
        assert got.dtype == ms.float32
        np.testing.assert_allclose(got.asnumpy(), want, rtol=2e-6)
    from scipy.special import erfinv
    v = np.array([0, 0.5, -0.9, 0.3], np.float64)
    g = ops.grad(ops.erfinv)(Tensor(v))
    np.testing.assert_allclose(g.asnumpy(), np.sqrt(np.pi) / 2 * np.exp(erfinv(v) ** 2), rtol=1e-9)
    with pytest.raises(TypeError, match="Erfinv.*floating-point"):  # MindSpore 2.10's CPU kernel refuses ints
        ops.erfinv(Tensor(np.array([0, 1], np.int32)))


def test_gelu_grad_contiguous_shape_and_sequence_ops(on_real_server):
    from gradserve.ops.auto_generate import GeLUGrad, contiguous
    from gradserve.ops.operations import manually_defined
    from gradserve.ops.operations._sequence_ops import ListToTensor, SequenceMul, TupleToTensor
    x = np.array([-3, -1, -0.2, 0.5, 1, 2, 3], np.float32)
    dy = np.array([1.3, 0.7, 1, 2, 1.0829641, 1, -1], np.float32)
    got = GeLUGrad()(Tensor(dy), Tensor(x), Tensor(np.full(7, 5.0, np.float32)))  # y does not count
    np.testing.assert_allclose(got.asnumpy(), [-0.01505951, -0.05807485, 0.34254184, 1.7347398, 1.1728112,
                                               1.0860993, -1.0115843], rtol=3e-5)  # MindSpore 2.10's
    t = ops.transpose(Tensor(np.arange(6.0).reshape(2, 3)), (1, 0))
    np.testing.assert_array_equal(contiguous(t).asnumpy(), np.arange(6.0).reshape(2, 3).T)
    assert contiguous(t).is_contiguous()
    assert manually_defined.shape_(Tensor(np.ones((2, 3)))) == (2, 3)
    s = TupleToTensor()((2, 3, 4), ms.int64)
    assert s.dtype == ms.int64 and s.asnumpy().tolist() == [2, 3, 4]
    assert ListToTensor()([1.5, 2], ms.float32).asnumpy().tolist() == [1.5, 2.0]
    assert SequenceMul()([1, 2], 2) == [1, 2, 1, 2] and SequenceMul()((3,), 3) == (3, 3, 3)
    with pytest.raises(TypeError, match="TupleToTensor.*tuple"):
        TupleToTensor()([1, 2])
