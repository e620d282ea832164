"""Sample seed 71 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 71").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (/work/ms_suite71/probe/p4.py, printed on
both sides and diffed, PyNative); the literals below are its outputs. ops.clip_by_norm with an odd norm_type is
checked against NumPy instead (MindSpore's is wrong math there: see the test)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops

_W = np.arange(6, dtype=np.float32).reshape(2, 3)


@pytest.fixture(params=["graph", "pynative"])
def mode(fake, request):
    ms.set_context(mode=ms.GRAPH_MODE if request.param == "graph" else ms.PYNATIVE_MODE)
    yield request.param
    ms.set_context(mode=ms.PYNATIVE_MODE)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, float("inf")])
def test_clip_by_norm_of_zeros_has_the_identity_gradient(mode, norm_type):
    # MindSpore 2.10: the norm is 0, so clip_coef (1 / 1e-6) is above 1 and x comes back as it is; its gradient
    # is the identity (w itself), where the root of a zero sum used to give 0 * inf = NaN
    x = Tensor(np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(ops.clip_by_norm(x, 1.0, norm_type).asnumpy(), np.zeros((2, 3)))
    g = ms.grad(lambda t: (ops.clip_by_norm(t, 1.0, norm_type) * Tensor(_W)).sum())(x)
    np.testing.assert_array_equal(g.asnumpy(), _W)


def test_clip_by_norm_of_a_list_with_a_zero_tensor(mode):
    # MindSpore 2.10: [3, 3, 3] | [3, 3] (total norm 0.2236 below 1: both unchanged); all zeros: ones
    def f(a, b):
        out = ops.clip_by_norm([a, b], 1.0)
        return (out[0] * 3).sum() + (out[1] * 3).sum()
    ga, gb = ms.grad(f, (0, 1))(Tensor(np.array([0.2, 0.1, 0], np.float32)), Tensor(np.zeros(2, np.float32)))
    np.testing.assert_array_equal(ga.asnumpy(), [3, 3, 3])
    np.testing.assert_array_equal(gb.asnumpy(), [3, 3])

    def h(a, b):
        out = ops.clip_by_norm([a, b], 1.0)
        return out[0].sum() + out[1].sum()
    ga, gb = ms.grad(h, (0, 1))(Tensor(np.zeros(3, np.float32)), Tensor(np.zeros(2, np.float32)))
    np.testing.assert_array_equal(ga.asnumpy(), [1, 1, 1])
    np.testing.assert_array_equal(gb.asnumpy(), [1, 1])


def test_clip_by_norm_above_the_norm_matches_mindspore(mode):
    # MindSpore 2.10: x [[1.5, -2, 0], [0.5, 3, -1]] (2-norm 4.0620), max_norm 1; its value and gradient under w
    x = Tensor(np.array([[1.5, -2.0, 0.0], [0.5, 3.0, -1.0]], np.float32))
    np.testing.assert_allclose(ops.clip_by_norm(x, 1.0).asnumpy(),
                               [[0.369274377822876, -0.49236583709716797, 0.0],
                                [0.12309145927429199, 0.738548755645752, -0.24618291854858398]], rtol=1e-5)
    g = ms.grad(lambda t: (ops.clip_by_norm(t, 1.0) * Tensor(_W)).sum())(x)
    np.testing.assert_allclose(g.asnumpy(), [[-0.14547167718410492, 0.4401451349258423, 0.49236583709716797],
                                             [0.690058171749115, 0.6937882900238037, 1.3278957605361938]],
                               rtol=1e-5)


@pytest.mark.parametrize("norm_type", [1, 3.0])
def test_clip_by_norm_odd_norm_type_is_the_norm_of_magnitudes(mode, norm_type):
    # MindSpore 2.10 sums x ** p without abs(x) (clip_func._old_norm): for p = 1 this x's "norm" is 2 (1.5 - 2 + ...),
    # giving [[0.75, -1, 0], [0.25, 1.5, -0.5]], an L1 norm of 4 above max_norm 1: wrong math, not copied.
    # gradserve: the p-norm of |x| (NumPy's), so the result's p-norm is max_norm.
    xn = np.array([[1.5, -2.0, 0.0], [0.5, 3.0, -1.0]], np.float32)
    got = ops.clip_by_norm(Tensor(xn), 1.0, norm_type).asnumpy()
    total = np.linalg.norm(xn.ravel().astype(np.float64), ord=norm_type)
    np.testing.assert_allclose(got, xn / (total + 1e-6), rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got.ravel().astype(np.float64), ord=norm_type), 1.0, rtol=1e-5)
