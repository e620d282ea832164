"""jacobian (rev/fwd), hessian and hvp against JAX (float64), with MindSpore's block layout."""
import numpy as np
import pytest

from engine import GraphBuilder, evaluate, hessian, hvp, jacobian
from engine.errors import DifferentiationError, LimitExceeded

jax = pytest.importorskip("jax")
jnp = jax.numpy
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)

RNG = np.random.default_rng(0)
X = RNG.normal(size=3)
Y = RNG.normal(size=(2, 3))


def vector_graph():
    """f(x, y) = sum(sin(x) * exp(y), axis=1): R^3 x R^{2x3} -> R^2."""
    gb = GraphBuilder("f")
    x, y = gb.input((3,), "float64", name="x"), gb.input((2, 3), "float64", name="y")
    return gb.build(gb.sum(gb.mul(gb.sin(x), gb.exp(y)), axis=(1,)))


def scalar_graph():
    gb = GraphBuilder("s")
    x, y = gb.input((3,), "float64", name="x"), gb.input((2, 3), "float64", name="y")
    return gb.build(gb.sum(gb.mul(gb.mul(gb.sin(x), gb.exp(y)), gb.tanh(y))))


def f_vec(x, y):
    return jnp.sum(jnp.sin(x) * jnp.exp(y), axis=1)


def f_scalar(x, y):
    return jnp.sum(jnp.sin(x) * jnp.exp(y) * jnp.tanh(y))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_matches_jax(mode):
    jx, jy = evaluate(jacobian(vector_graph(), (0, 1), mode=mode), X, Y)
    ex, ey = jax.jacrev(f_vec, (0, 1))(X, Y)
    assert jx.shape == (2, 3) and jy.shape == (2, 2, 3)  # out.shape + in.shape
    np.testing.assert_allclose(jx, ex, rtol=1e-12)
    np.testing.assert_allclose(jy, ey, rtol=1e-12)


def test_jacobian_int_position_is_one_block():
    j = evaluate(jacobian(vector_graph(), 1), X, Y)
    np.testing.assert_allclose(j, jax.jacfwd(f_vec, 1)(X, Y), rtol=1e-12)


def test_hessian_blocks_match_jax():
    h = evaluate(hessian(scalar_graph(), (0, 1)), X, Y)
    e = jax.hessian(f_scalar, (0, 1))(X, Y)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(h[i][j], e[i][j], rtol=1e-10, atol=1e-12)
    assert h[0][1].shape == (3, 2, 3)


def test_hvp_matches_hessian_times_v():
    v = RNG.normal(size=(2, 3))
    out = evaluate(hvp(scalar_graph(), 1), X, Y, v)
    e = jax.jvp(jax.grad(f_scalar, 1), (X, Y), (jnp.zeros(3), v))[1]
    np.testing.assert_allclose(out, e, rtol=1e-10, atol=1e-12)


def test_jacobian_of_integer_input_is_an_error():
    gb = GraphBuilder("i")
    x = gb.input((3,), "int32", name="k")
    g = gb.build(gb.cast(x, dtype="float32"))
    with pytest.raises(DifferentiationError, match="int32"):
        jacobian(g, 0)


def test_jacobian_basis_limit():
    gb = GraphBuilder("big")
    x = gb.input((100, 100), "float32", name="x")
    g = gb.build(gb.sin(x))
    with pytest.raises(LimitExceeded, match="jvp or vjp"):
        jacobian(g, 0, mode="fwd")
