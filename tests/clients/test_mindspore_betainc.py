"""ops.Betainc: I_x(a, b) against scipy.special.betainc (float64, over a wide range of a and b), its derivative
w.r.t. x against the beta density (scipy's betaln) and central finite differences (second order too), MindSpore 2.10
CPU's literals (/work/msvenv, ops.Betainc and mindspore.grad: it computes in float32, a few ulp off float64's
rounding; we round float64's), and MindSpore's argument errors. W.r.t. a and b MindSpore returns zeros (its bprop's
placeholder, not the derivative): here the derivative, against SciPy's central finite differences."""
import numpy as np
import pytest
import scipy.special as sp

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.errors import DifferentiationError

RNG = np.random.default_rng(5)


def test_values_match_scipy_over_a_wide_range(fake):
    a, b = np.exp(RNG.uniform(-3, 5, 400)), np.exp(RNG.uniform(-3, 5, 400))
    x = RNG.uniform(0, 1, 400)
    got = ops.Betainc()(Tensor(a), Tensor(b), Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, sp.betainc(a, b, x), rtol=1e-10, atol=1e-14)


def test_x_derivative_is_the_beta_density_and_matches_finite_differences(fake):
    a = np.array([0.5, 1.0, 2.5, 7.0, 30.0])
    b = np.array([0.5, 3.0, 1.5, 0.3, 12.0])
    x = np.array([0.1, 0.4, 0.9, 0.99, 0.7])
    f = lambda xx: ops.Betainc()(Tensor(a), Tensor(b), xx).sum()  # noqa: E731
    g = gs.grad(f)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - sp.betaln(a, b)), rtol=1e-10)
    h = 1e-6
    fd = (sp.betainc(a, b, x + h) - sp.betainc(a, b, x - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    g2 = gs.grad(gs.grad(f))(Tensor(x)).asnumpy()  # second order: the density's slope
    fd2 = (sp.betainc(a, b, x + h) - 2 * sp.betainc(a, b, x) + sp.betainc(a, b, x - h)) / h ** 2
    np.testing.assert_allclose(g2, fd2, rtol=1e-3)
    _, jv = gs.jvp(lambda xx: ops.Betainc()(Tensor(a), Tensor(b), xx), Tensor(x), Tensor(np.ones_like(x)))
    np.testing.assert_allclose(jv.asnumpy(), g, rtol=1e-12)


def test_matches_mindspore_literals(fake):
    a = Tensor(np.array([0.5, 1.0, 2.5, 7.0], np.float32))
    b = Tensor(np.array([0.5, 3.0, 1.5, 0.3], np.float32))
    x = Tensor(np.array([0.1, 0.4, 0.9, 0.99], np.float32))
    # MindSpore 2.10 CPU: [0.20483276, 0.78400004, 0.90211934, 0.5125078] and d/dx [1.061033, 1.0800002, 1.3750974,
    # 13.959524] (float32 arithmetic; float64's values rounded: 0.5125081, 13.959502)
    np.testing.assert_allclose(ops.Betainc()(a, b, x).asnumpy(), [0.20483276, 0.78400004, 0.90211934, 0.5125078],
                               rtol=1e-6)
    gx = gs.grad(lambda p, q, r: ops.Betainc()(p, q, r).sum(), grad_position=2)(a, b, x)
    np.testing.assert_allclose(gx.asnumpy(), [1.061033, 1.0800002, 1.3750974, 13.959524], rtol=2e-6)


def test_outside_the_domain_is_nan_as_mindspore(on_real_server):  # (NaN in JSON: a real server)
    one = lambda v: Tensor(np.array([v], np.float32))  # noqa: E731
    assert np.isnan(ops.Betainc()(one(-1.0), one(1.0), one(0.5)).asnumpy()[0])  # MindSpore: nan
    assert np.isnan(ops.Betainc()(one(1.0), one(1.0), one(1.5)).asnumpy()[0])  # MindSpore: nan
    assert ops.Betainc()(one(2.0), one(3.0), one(0.0)).asnumpy()[0] == 0.0
    assert ops.Betainc()(one(2.0), one(3.0), one(1.0)).asnumpy()[0] == 1.0


def test_errors_follow_mindspore(fake):
    a = Tensor(np.array([0.5, 1.0], np.float32))
    with pytest.raises(TypeError, match="the input type must be same"):
        ops.Betainc()(a, a, a.astype(gs.float64))
    with pytest.raises(ValueError, match=r"Betainc.*shape of x \(3,\).*a \(2,\)"):
        ops.Betainc()(a, a, Tensor(np.array([0.5, 0.5, 0.5], np.float32)))
    with pytest.raises(TypeError, match=r"argument\[a\].*Float32.*Float64"):
        ops.Betainc()(a.astype(gs.int32), a.astype(gs.int32), a.astype(gs.int32))



def test_gradient_wrt_a_and_b_is_the_derivative_not_mindspores_zeros(fake):
    # MindSpore 2.10 (run by hand) gives [0, 0, 0] for a and b here; the derivative is SciPy's central differences
    a, b, x = np.array([0.5, 2.0, 3.0]), np.array([1.5, 0.7, 2.0]), np.array([0.3, 0.6, 0.9])
    da, db = gs.grad(lambda p, q, r: ops.Betainc()(p, q, r).sum(), grad_position=(0, 1))(Tensor(a), Tensor(b),
                                                                                         Tensor(x))
    h = 1e-6
    np.testing.assert_allclose(da.asnumpy(), (sp.betainc(a + h, b, x) - sp.betainc(a - h, b, x)) / (2 * h), rtol=1e-6)
    np.testing.assert_allclose(db.asnumpy(), (sp.betainc(a, b + h, x) - sp.betainc(a, b - h, x)) / (2 * h), rtol=1e-6)
    with pytest.raises(DifferentiationError, match="betainc.*first order"):
        gs.grad(gs.grad(lambda p, q, r: ops.Betainc()(p, q, r).sum()))(Tensor(a), Tensor(b), Tensor(x))


def test_vmap_over_a_batch(fake):
    a, b, x = (RNG.uniform(0.5, 4, (3, 4)) for _ in range(3))
    x = x / 4.0
    got = gs.vmap(lambda p, q, r: ops.Betainc()(p, q, r))(Tensor(a), Tensor(b), Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, sp.betainc(a, b, x), rtol=1e-10)
