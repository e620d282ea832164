"""ops.bessel_j0 / j1 / y0 / y1 / k0 / k0e / k1 / k1e (and their primitives) and the bartlett / blackman / kaiser
windows (and BartlettWindow / BlackmanWindow / HammingWindow). Expected values: SciPy's special functions (their
derivatives from the standard identities), NumPy's windows, or the output MindSpore 2.10's docs print ("docs")."""
import numpy as np
import pytest
import scipy.special as sp

import gradserve as gs
from gradserve import Tensor, ops

X = np.concatenate([np.linspace(0.01, 2.99, 60), np.linspace(3.0, 30.0, 60), [2.0, 3.0]])
NAMES = ["j0", "j1", "y0", "y1", "k0", "k0e", "k1", "k1e"]


@pytest.mark.parametrize("name", NAMES)
def test_bessel_values_match_scipy(fake, name):
    got = getattr(ops, f"bessel_{name}")(Tensor(X)).asnumpy()
    # A&S's approximations: absolute error under 2.2e-7 of the function (times x^-1 for Y1 near 0)
    np.testing.assert_allclose(got, getattr(sp, name)(X), rtol=2e-5, atol=3e-7)
    odd = name == "j1"
    if name in ("j0", "j1"):
        np.testing.assert_allclose(getattr(ops, f"bessel_{name}")(Tensor(-X)).asnumpy(),
                                   (-1 if odd else 1) * getattr(sp, name)(X), rtol=2e-5, atol=3e-7)


def test_bessel_edges_as_scipy(fake):
    x = np.array([-1.0, 0.0])
    for name in NAMES[2:]:  # Y and K: NaN below 0, -inf / inf at 0
        np.testing.assert_array_equal(getattr(ops, f"bessel_{name}")(Tensor(x)).asnumpy(), getattr(sp, name)(x))
    np.testing.assert_array_equal(ops.bessel_j0(Tensor(np.zeros(1))).asnumpy(), [1.0])
    np.testing.assert_array_equal(ops.bessel_j1(Tensor(np.zeros(1))).asnumpy(), [0.0])


def test_bessel_docs_and_primitives(fake):
    x = Tensor(np.array([0.5, 1.0, 2.0, 4.0]), gs.float32)
    np.testing.assert_allclose(ops.BesselY1()(x).asnumpy(), [-1.47147239, -0.78121282, -0.10703243, 0.39792571],
                               rtol=1e-5)  # docs
    small = Tensor(np.array([0.24, 0.83, 0.31, 0.09]), gs.float32)
    np.testing.assert_allclose(ops.BesselK1e()(small).asnumpy(), [4.9821286, 1.8675754, 4.0140023, 12.008413],
                               rtol=1e-5)  # docs
    with pytest.raises(TypeError, match="BesselJ0"):
        ops.BesselJ0()(1.0)


# d/dx by the identities: J0' = -J1, J1' = J0 - J1/x, Y0' = -Y1, Y1' = Y0 - Y1/x, K0' = -K1, K1' = -K0 - K1/x,
# (e^x K0)' = e^x (K0 - K1), (e^x K1)' = e^x (K1 - K0 - K1/x)
DERIVATIVES = {
    "j0": lambda x: -sp.j1(x), "j1": lambda x: sp.j0(x) - sp.j1(x) / x,
    "y0": lambda x: -sp.y1(x), "y1": lambda x: sp.y0(x) - sp.y1(x) / x,
    "k0": lambda x: -sp.k1(x), "k1": lambda x: -sp.k0(x) - sp.k1(x) / x,
    "k0e": lambda x: sp.k0e(x) - sp.k1e(x), "k1e": lambda x: sp.k1e(x) - sp.k0e(x) - sp.k1e(x) / x,
}


@pytest.mark.parametrize("name", NAMES)
def test_bessel_gradients_by_identities(fake, name):
    x = np.array([0.3, 1.0, 2.5, 3.5, 7.0, 15.0])
    fn = getattr(ops, f"bessel_{name}")
    got = ops.grad(lambda t: fn(t).sum())(Tensor(x)).asnumpy()
    # the derivative of the approximation: its error is a few times the function's
    np.testing.assert_allclose(got, DERIVATIVES[name](x), rtol=1e-4, atol=5e-6)


def test_bartlett_blackman_windows():
    five, ten = gs.tensor(5), gs.tensor(10)
    np.testing.assert_allclose(ops.bartlett_window(five).asnumpy(), [0, 0.4, 0.8, 0.8, 0.4])  # docs
    np.testing.assert_allclose(ops.bartlett_window(five, periodic=False).asnumpy(), np.bartlett(5))  # NumPy
    got = ops.blackman_window(ten)
    assert got.dtype == gs.float32
    np.testing.assert_allclose(got.asnumpy(), np.blackman(11)[:10], atol=1e-6)  # NumPy (periodic: N + 1, last off)
    np.testing.assert_allclose(ops.blackman_window(ten, periodic=False).asnumpy(), np.blackman(10), atol=1e-6)
    assert ops.BartlettWindow(periodic=False, dtype=gs.float64)(Tensor(5, gs.int64)).dtype == gs.float64
    np.testing.assert_allclose(ops.BlackmanWindow()(Tensor(10, gs.int32)).asnumpy(), np.blackman(11)[:10], atol=1e-6)
    assert ops.bartlett_window(gs.tensor(1)).asnumpy().tolist() == [1.0]
    with pytest.raises(TypeError, match="Tensor"):
        ops.bartlett_window(5)


def test_kaiser_and_hamming_window_primitive():
    got = ops.kaiser_window(5, periodic=False)
    assert got.dtype == gs.float64
    np.testing.assert_allclose(got.asnumpy(), np.kaiser(5, 12.0))  # NumPy
    np.testing.assert_allclose(ops.kaiser_window(5).asnumpy(),
                               [5.27734413e-05, 1.01719688e-01, 7.92939834e-01, 7.92939834e-01, 1.01719688e-01],
                               rtol=1e-7)  # docs
    np.testing.assert_allclose(ops.kaiser_window(6, beta=5.0).asnumpy(), np.kaiser(7, 5.0)[:6])  # NumPy
    y = ops.HammingWindow(periodic=False)(Tensor(np.array([7]).astype(np.int32)))
    np.testing.assert_allclose(y.asnumpy(), np.hamming(7), rtol=1e-6)  # NumPy
    y = ops.HammingWindow(periodic=True)(Tensor(np.array([6]).astype(np.int32)))
    np.testing.assert_allclose(y.asnumpy(), [0.08000001, 0.31, 0.77000004, 1.0, 0.77000004, 0.31], rtol=1e-6)  # docs
