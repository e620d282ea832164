"""Sample seed 49 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 49").

All 96 items MindSpore passes pass on gradserve; these pin what the sample's files check only against
themselves (dynamic-shape grads compared with static ones, vmap against a loop) and the ops' neighbours
the files leave out. Expected values: MindSpore 2.10 CPU, PyNative (/work/ms_suite49/probe/p1.py, p3.py, p4.py
hold the same programs); the ifft2 of a real input, which MindSpore refuses, from NumPy's FFT."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, nn, ops
from gradserve.ops.operations.sparse_ops import SparseSegmentSqrtN


@pytest.fixture
def pynative(on_real_server):
    context.set_context(mode=context.PYNATIVE_MODE)
    yield


def _all_grads(f, *args):
    return ops.GradOperation(get_all=True)(f)(*args)


def test_pow_grads(pynative):  # dynamic_shape/grad/test_pow's inputs; MindSpore 2.10 (p1.py)
    dx, dy = _all_grads(ops.Pow(), Tensor(np.array([1.0, 2.0, 4.0], np.float32)),
                        Tensor(np.array([2.0, 4.0, 3.0], np.float32)))
    np.testing.assert_allclose(dx.asnumpy(), [2.0, 32.0, 48.0], rtol=1e-6)
    np.testing.assert_allclose(dy.asnumpy(), [0.0, 11.090354919433594, 88.72283935546875], rtol=1e-6)


def test_pow_grads_at_negative_and_zero_bases(pynative):  # MindSpore 2.10 (p3.py): nan where it gives nan
    dx, dy = ms.grad(lambda a, b: ops.pow(a, b).sum(), grad_position=(0, 1))(
        Tensor(np.array([-2., 0., 0., 2.], np.float32)), Tensor(np.array([2., 0., 2., 0.5], np.float32)))
    np.testing.assert_allclose(dx.asnumpy(), [-4.0, np.nan, 0.0, 0.353553], rtol=1e-5)
    np.testing.assert_allclose(dy.asnumpy(), [np.nan, 0.0, 0.0, 0.980258], rtol=1e-5)


def test_sparse_segment_sqrt_n_grad_with_a_shared_segment(pynative):  # MindSpore 2.10 (p1.py)
    x = Tensor(np.arange(1, 13, dtype=np.float32).reshape(3, 4))
    dx, di, ds = _all_grads(SparseSegmentSqrtN(), x, Tensor(np.array([0, 1, 2, 1], np.int32)),
                            Tensor(np.array([0, 0, 1, 2], np.int32)))
    r = 0.7071067690849304
    np.testing.assert_allclose(dx.asnumpy(), [[r] * 4, [1 + r] * 4, [1.0] * 4], rtol=1e-6)
    assert di.asnumpy().tolist() == [0, 0, 0, 0] and ds.asnumpy().tolist() == [0, 0, 0, 0]


def test_squared_difference_grad_broadcast(pynative):  # MindSpore 2.10 (p3.py)
    dx, dy = ms.grad(lambda a, b: ops.SquaredDifference()(a, b).sum(), grad_position=(0, 1))(
        Tensor(np.array([1., 2.], np.float32)), Tensor(np.array([[3.], [5.]], np.float32)))
    assert dx.asnumpy().tolist() == [-12.0, -8.0] and dy.asnumpy().ravel().tolist() == [6.0, 14.0]


X = np.array([[[[1, 3, 3, 2], [3, 1, 2, 2], [0, 0, 5, 5], [1, 5, 5, 0]]]], np.float32)


@pytest.mark.parametrize("pad, k, s, want", [  # ties: the first maximum of a window takes its gradient
    ("VALID", 2, 1, [0, 3, 3, 0, 4, 0, 0, 0, 0, 0, 28, 0, 0, 7, 0, 0]),
    ("SAME", 3, 1, [0, 11, 4, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 22, 0, 0]),
    ("SAME", 2, 1, [0, 3, 3, 4, 5, 0, 0, 0, 0, 0, 34, 20, 0, 36, 15, 16])])
def test_maxpool_grad_with_ties(pynative, pad, k, s, want):  # MindSpore 2.10 (p3.py)
    pool = nn.MaxPool2d(kernel_size=k, stride=s, pad_mode=pad)

    def f(t):
        y = pool(t)
        return (y * ops.arange(1, y.size + 1, dtype=ms.float32).reshape(y.shape)).sum()
    assert ms.grad(f)(Tensor(X)).asnumpy().ravel().tolist() == want


def test_max_pool2d_ceil_mode_and_dilation_grads(pynative):  # MindSpore 2.10 (p3.py)
    g = ms.grad(lambda t: ops.max_pool2d(t, 3, 2, ceil_mode=True).sum())(Tensor(X))
    assert g.asnumpy().ravel().tolist() == [0] * 10 + [4] + [0] * 5
    g = ms.grad(lambda t: ops.max_pool2d(t, 2, 1, padding=1, dilation=2).sum())(Tensor(X))
    assert g.asnumpy().ravel().tolist() == [0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 4, 2, 0, 2, 2, 0]


def test_hshrink_at_its_boundary(pynative):  # MindSpore 2.10 (p3.py): |x| == lambd is shrunk, gradient 0
    h = Tensor(np.array([-0.5, -0.4999, 0.5, 0.5001, 0.0, -2.0], np.float32))
    np.testing.assert_allclose(ops.hardshrink(h, 0.5).asnumpy(), [0, 0, 0, 0.5001, 0, -2.0])
    assert ms.grad(lambda t: ops.hardshrink(t, 0.5).sum())(h).asnumpy().tolist() == [0, 0, 0, 1, 0, 1]


XC = (np.arange(15).reshape(3, 5) * 0.3 - 2 + 1j * np.cos(np.arange(15)).reshape(3, 5)).astype(np.complex64)
IRFFT_N6_ORTHO = [  # MindSpore 2.10 (p4.py), rounded to 5 places
    [0.07192, -0.22543 - 2.45118j, 0.10092 - 0.09496j, 0.05259, 0],
    [0.09595, -0.88647 - 2.25592j, 0.06657 - 0.0874j, 0.03952, 0],
    [0.11235, -1.4769 - 1.88096j, 0.02693 - 0.07287j, 0.0233, 0]]
IRFFT_N4_FORWARD = [
    [1.42996, 1.66007 - 2.53938j, 0.90997, 0, 0],
    [-2.18243, -0.90392 + 2.24594j, -0.68254, 0, 0],
    [2.6827, 0.04333 - 1.69297j, 0.37624, 0, 0]]
IRFFT2_S26 = [
    [0.10481, 0.67973 - 0.03345j, -0.21761 + 0.01013j, -0.06766, 0],
    [-0.08432, -0.1927 - 0.58645j, -0.14676 + 0.17766j, -0.07549, 0],
    [0, 0, 0, 0, 0]]


@pytest.mark.parametrize("name, want", [("irfft_n6_ortho", IRFFT_N6_ORTHO), ("irfft_n4_forward", IRFFT_N4_FORWARD),
                                        ("irfft2_s26", IRFFT2_S26)])
def test_inverse_real_fft_grads_with_n_s_norm(pynative, name, want):  # the files cover the defaults only
    w6 = Tensor(np.sin(np.arange(18)).reshape(3, 6).astype(np.float32))
    w4 = Tensor(np.cos(np.arange(12) * 0.7).reshape(3, 4).astype(np.float32))
    w26 = Tensor(np.sin(np.arange(12) * 1.3).reshape(2, 6).astype(np.float32))
    f = {"irfft_n6_ortho": lambda x: (ops.irfft(x, n=6, norm="ortho") * w6).sum(),
         "irfft_n4_forward": lambda x: (ops.irfft(x, n=4, norm="forward") * w4).sum(),
         "irfft2_s26": lambda x: (ops.irfft2(x, s=(2, 6)) * w26).sum()}[name]
    g = ms.grad(f)(Tensor(XC)).asnumpy()
    np.testing.assert_allclose(g, np.array(want, np.complex64), atol=2e-5)


@pytest.mark.parametrize("norm", ["backward", "forward", "ortho"])
def test_ifft2_of_a_real_input_grad(pynative, norm):
    # MindSpore 2.10 refuses this one (TypeError "For 'Mul', gradient not support for complex type currently.");
    # f is linear in x, so its gradient is f at each basis vector: NumPy's FFT gives it
    c = np.arange(15).reshape(3, 5)
    want = [np.real((np.fft.ifft2(np.eye(15)[i].reshape(3, 5), norm=norm) * c).sum()) for i in range(15)]
    x = Tensor(np.cos(np.arange(15.0)).reshape(3, 5).astype(np.float32))
    g = ms.grad(lambda t: ops.real(ops.ifft2(t, norm=norm) * Tensor(c.astype(np.complex64))).sum())(x)
    np.testing.assert_allclose(g.asnumpy().ravel(), want, rtol=1e-5, atol=1e-5)


# cpu/test_fused_ada_factor_op checks param < 0.971 only; every state after 3 steps of random gradients,
# MindSpore 2.10 PyNative (p5.py, rounded to 6 places), all three enable_* flags on
ADA_2D_GNORM = {
    "param": [1.052978, 1.204138, 0.792075, 1.005856, 1.3823, 1.40225, 0.636416, 0.717321, 0.534899, 0.943512,
              0.547446, 0.965347],
    "exp_avg": [-0.000775, -0.002408, -0.004371, -0.001509, 0.006323, -0.00297, -0.006913, -0.002212, 0.004864,
                -0.002117, -0.007577, -0.005205],
    "row": [3.227832, 1.345598, 1.727486, 2.69838], "col": [3.415998, 2.491896, 0.84158], "exp_avg_sq": [0.0] * 12}
ADA_1D = {
    "param": [1.070668, 1.228595, 0.782412, 1.022802, 1.378092],
    "exp_avg": [-0.010514, -0.011054, 0.00123, -0.002556, 0.005292], "row": [0.0], "col": [0.0] * 5,
    "exp_avg_sq": [0.780859, 0.101379, 0.616093, 1.131867, 0.14315]}


@pytest.mark.parametrize("shape, gnorm, want", [([4, 3], 0.5, ADA_2D_GNORM), ([5], None, ADA_1D)])
def test_fused_ada_factor_states(pynative, shape, gnorm, want):
    rs = np.random.RandomState(3)
    flags = dict(enable_scale_parameter=True, enable_first_moment=True, enable_weight_decay=True)
    op = ops.FusedAdaFactor(**flags) if gnorm is None else ops.FusedAdaFactorWithGlobalNorm(**flags)
    states = {"param": ms.Parameter(Tensor(rs.uniform(0.5, 1.5, shape).astype(np.float32)), name="param")}
    for name, s in (("exp_avg", shape), ("row", shape[:-1]), ("col", shape[:-2] + shape[-1:]), ("exp_avg_sq", shape)):
        states[name] = ms.Parameter(Tensor(np.zeros(s, np.float32)), name=name)
    for _ in range(3):
        g = Tensor(rs.randn(*shape).astype(np.float32))
        op((1e-30, 1e-3), 1.0, 0.9, 0.8, 1e-2, 0.03, g, states["param"], states["exp_avg"], states["row"],
           states["col"], states["exp_avg_sq"], *(() if gnorm is None else (gnorm,)))
    for name, values in want.items():
        np.testing.assert_allclose(states[name].asnumpy().ravel(), values, rtol=1e-5, atol=2e-6, err_msg=name)
