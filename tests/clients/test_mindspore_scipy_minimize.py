"""gradserve.scipy.optimize.minimize ('BFGS' / 'LBFGS' over gradserve's gradients) and line_search, MindSpore
2.10's forms. Expected values: the docs' printed minimum ("docs"), SciPy's minimize, and the strong Wolfe
conditions themselves, checked in NumPy."""
import numpy as np
import pytest
import scipy.optimize as so

from gradserve import Tensor
from gradserve.scipy.optimize import line_search, minimize


def himmelblau(p):
    x, y = p
    return (x ** 2 + y - 11.0) ** 2 + (x + y ** 2 - 7.0) ** 2


def rosenbrock(p):
    return ((1.0 - p[:-1]) ** 2 + 100.0 * (p[1:] - p[:-1] ** 2) ** 2).sum()


@pytest.mark.parametrize("method", ["BFGS", "LBFGS"])
def test_docs_example_and_scipy_minimum(fake, method):
    res = minimize(himmelblau, Tensor(np.zeros(2, np.float32)), method=method, options=dict(maxiter=None, gtol=1e-6))
    assert res.success and res.x.dtype == Tensor(np.zeros(1, np.float32)).dtype
    np.testing.assert_allclose(res.x.asnumpy(), [3.0, 2.0], atol=1e-5)  # docs
    x0 = np.array([1.3, 0.7, 0.8, 1.9])  # (SciPy docs' start; from some others 4-D Rosenbrock has a local minimum)
    want = so.minimize(so.rosen, x0, jac=so.rosen_der, method="BFGS", options=dict(gtol=1e-8)).x  # SciPy
    got = minimize(rosenbrock, Tensor(x0), method=method, options=dict(gtol=1e-8))
    assert got.success and got.nit > 0 and got.nfev >= got.nit
    np.testing.assert_allclose(got.x.asnumpy(), want, atol=1e-6)
    np.testing.assert_allclose(got.jac.asnumpy(), so.rosen_der(got.x.asnumpy()), atol=1e-6)  # SciPy's gradient


def test_line_search_meets_strong_wolfe_and_docs(fake):
    x0, p = np.array([-1.2, 1.0]), -so.rosen_der(np.array([-1.2, 1.0]))
    res = line_search(rosenbrock, Tensor(x0), Tensor(p), c1=1e-4, c2=0.9)
    assert not res.failed and res.a_k > 0
    f0, d0 = so.rosen(x0), so.rosen_der(x0) @ p
    assert so.rosen(x0 + res.a_k * p) <= f0 + 1e-4 * res.a_k * d0  # sufficient decrease (NumPy / SciPy)
    assert abs(so.rosen_der(x0 + res.a_k * p) @ p) <= 0.9 * abs(d0)  # curvature
    assert res.f_k == pytest.approx(so.rosen(x0 + res.a_k * p), rel=1e-12)
    docs = line_search(lambda x: x[0] ** 2 - x[1] ** 3, Tensor(np.ones(2, np.float32)),
                       Tensor(np.array([-1, -1], np.float32)))
    assert docs.a_k == 1.0  # docs (not a descent direction: no step meets the conditions)
    with pytest.raises(ValueError, match="'BFGS' or 'LBFGS'"):
        minimize(himmelblau, Tensor(np.zeros(2)), method="Nelder-Mead")
