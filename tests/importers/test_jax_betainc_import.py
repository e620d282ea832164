"""jax.scipy.special.betainc through from_jax: JAX lowers it to a while loop run to convergence (a continued
fraction), refused without while_max_trips before; kept whole (jax_special.export) it imports as the
engine's betainc. Value and x-gradient against JAX and SciPy; a Beta distribution's cdf of a model's output."""
import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
import pytest
import scipy.special

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("fake")


def test_betainc_value_and_gradient_match_jax_and_scipy():
    a = np.array([0.5, 2.0, 3.5, 1.0, 7.0], np.float32)
    b = np.array([0.7, 3.0, 1.5, 1.0, 2.5], np.float32)
    x = np.array([0.05, 0.4, 0.75, 0.5, 0.93], np.float32)

    def fn(v):
        return jsp.betainc(a, b, v)
    net = gs.from_jax(fn, x)
    got = net(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, np.asarray(fn(x)), rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(got, scipy.special.betainc(a.astype(np.float64), b, x), rtol=2e-5, atol=1e-6)
    g = ops.grad(lambda t: net(t).sum())(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, np.asarray(jax.grad(lambda v: fn(v).sum())(x)), rtol=1e-4, atol=1e-6)
    density = x ** (a - 1) * (1 - x) ** (b - 1) / scipy.special.beta(a, b)  # d/dx I_x(a, b)
    np.testing.assert_allclose(g, density, rtol=1e-4, atol=1e-6)


def test_beta_cdf_of_a_model_output_with_weights():
    p = {"w": np.asarray(np.random.default_rng(0).standard_normal((3, 3)) * 0.5, np.float32)}
    x = np.asarray(np.random.default_rng(1).standard_normal((4, 3)), np.float32)

    def fn(p, v):
        return jsp.betainc(2.0, 3.0, jax.nn.sigmoid(v @ p["w"])) * jnp.cos(v)
    net = gs.from_jax(fn, x, params=p)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), np.asarray(fn(p, x)), rtol=2e-5, atol=1e-6)
    gx, gw = ops.grad(lambda t: net(t).sum(), grad_position=0, weights=net.trainable_params())(Tensor(x))
    jp, jx = jax.grad(lambda q, v: fn(q, v).sum(), argnums=(0, 1))(p, x)
    np.testing.assert_allclose(gx.asnumpy(), np.asarray(jx), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gw[0].asnumpy(), np.asarray(jp["w"]), rtol=1e-4, atol=1e-6)
