"""from_jax of jnp.linalg.pinv (its private @_pinv, mapped onto the importers' pinv: composites.pinv, the closed
form torch's pinv_backward and JAX's custom_jvp use).
Before the mapping the export's SVD was differentiated: at tied singular values (2 I) the gradient's
off-diagonal entries came out 0 where JAX gives -0.135, 0.104, 0.247. Expected values: jax.grad (JAX's own pinv
rule), its second derivative, and central differences of NumPy's pinv (float64)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

from .sweep import close

pytestmark = [pytest.mark.usefixtures("fake"), pytest.mark.jax_x64]  # float64 JAX (tests/jax_mode.py)

RNG = np.random.default_rng(5)
U4, V4 = (np.linalg.qr(RNG.standard_normal((4, 4)))[0] for _ in range(2))
TIES = {
    "2I": 2.0 * np.eye(4),
    "s=3,2,2,1": U4 @ np.diag([3.0, 2.0, 2.0, 1.0]) @ V4.T,
    "batch wide s=1,1,0.5": np.stack([(U4[:, :3] @ np.diag([1.0, 1.0, 0.5]) @ V4[:3, :3]).T] * 2),
}


def _weights(shape):
    return np.cos(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape)


def _fd_grad(a, w, h=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[i] = h
        g[i] = (np.sum(np.linalg.pinv(a + e) * w) - np.sum(np.linalg.pinv(a - e) * w)) / (2 * h)
    return g


@pytest.mark.parametrize("name", list(TIES))
def test_gradient_at_tied_singular_values_is_jaxs_and_finite_differences(name):
    a = TIES[name]
    f = jnp.linalg.pinv
    net = gs.from_jax(f, a)
    w = _weights(np.linalg.pinv(a).shape)
    close(net(Tensor(a)).asnumpy(), np.asarray(f(a)), "value")
    got = ops.grad(lambda t: (net(t) * Tensor(w)).sum())(Tensor(a)).asnumpy()
    want = np.asarray(jax.grad(lambda t: jnp.sum(f(t) * w))(a))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got, _fd_grad(a, w), rtol=0, atol=1e-7)


def test_second_derivative_at_ties_is_jaxs():
    a, c = TIES["s=3,2,2,1"], RNG.standard_normal((4, 4))
    f = jnp.linalg.pinv
    w = _weights((4, 4))
    net = gs.from_jax(f, a)
    first = lambda t: ops.grad(lambda s: (net(s) * Tensor(w)).sum())(t)  # noqa: E731
    got = ops.grad(lambda t: (first(t) * Tensor(c)).sum())(Tensor(a)).asnumpy()
    jfirst = jax.grad(lambda t: jnp.sum(f(t) * w))
    want = np.asarray(jax.grad(lambda t: jnp.sum(jfirst(t) * c))(a))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kind", ["rtol", "hermitian", "float32"])
def test_rtol_hermitian_and_float32_follow_jax(kind):
    a = RNG.standard_normal((2, 4, 3)) if kind != "hermitian" else np.eye(4) + 0.0
    if kind == "rtol":  # a singular value under 0.3 x the largest counts as 0
        a[..., 2] *= 0.05
        f = lambda t: jnp.linalg.pinv(t, rtol=0.3)  # noqa: E731
    elif kind == "hermitian":  # eigenvalues 2, 2, -1, 0 (a tie, a negative one, a zero one)
        a = U4 @ np.diag([2.0, 2.0, -1.0, 0.0]) @ U4.T
        f = lambda t: jnp.linalg.pinv(t, hermitian=True)  # noqa: E731
    else:
        a = a.astype(np.float32)
        f = jnp.linalg.pinv
    net = gs.from_jax(f, a)
    w = _weights(np.asarray(f(a)).shape).astype(a.dtype)
    tol = 1e-5 if kind == "float32" else 1e-10
    np.testing.assert_allclose(net(Tensor(a)).asnumpy(), np.asarray(f(a)), rtol=tol, atol=tol)
    got = ops.grad(lambda t: (net(t) * Tensor(w)).sum())(Tensor(a)).asnumpy()
    want = np.asarray(jax.grad(lambda t: jnp.sum(f(t) * w))(a))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, np.abs(want).max()))
