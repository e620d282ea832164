"""Round 12 of the model zoo (benchmarks/IMPORT_ZOO.md).

- jax.lax.linalg.tridiagonal_solve (a natural cubic spline's second derivatives, the zoo's
  jax_tridiagonal_cubic_spline) exports as @lapack_?gtsv_ffi, which the StableHLO importer refused; it is the
  dense solve of the matrix the three diagonals make now (gradserve/importers/jax_lapack.py), checked against
  JAX's own value and gradients (its tridiagonal_solve has its own derivative rules), float32 and float64."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("fake")

RNG = np.random.default_rng(12)


def _tridiagonal(p, x):
    """A X = B with the diagonals built from the parameters (a batch of 2 systems, 5 unknowns, 3 right-hand
    sides); dl[..., 0] and du[..., -1] hold values LAPACK must ignore."""
    dl, du = jnp.tanh(p["dl"]), jnp.tanh(p["du"])
    d = 3.0 + p["d"] ** 2
    return jnp.sin(jax.lax.linalg.tridiagonal_solve(dl, d, du, x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tridiagonal_solve_imports_and_matches_jax(dtype):
    with jax.enable_x64(dtype == np.float64):
        p = {k: RNG.uniform(-1, 1, (2, 5)).astype(dtype) for k in ("dl", "d", "du")}
        x = RNG.uniform(-1, 1, (2, 5, 3)).astype(dtype)
        net = gs.from_jax(_tridiagonal, x, params=p)
        want = np.asarray(jax.jit(_tridiagonal)(p, x))
        jp, jx = jax.grad(lambda q, z: (_tridiagonal(q, z) ** 2).sum(), argnums=(0, 1))(p, x)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    got = net(Tensor(x)).asnumpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    weights = net.trainable_params()
    gx, gw = ops.grad(lambda z: (net(z) ** 2).sum(), grad_position=0, weights=weights)(Tensor(x))
    np.testing.assert_allclose(gx.asnumpy(), np.asarray(jx), rtol=tol, atol=tol)
    leaves = jax.tree_util.tree_leaves(jp)  # the params' leaves in the order the import lists them
    assert len(gw) == len(leaves) == 3
    for g, want_g in zip(gw, leaves):
        np.testing.assert_allclose(g.asnumpy(), np.asarray(want_g), rtol=tol, atol=tol)
    # leaves in key order d, dl, du: the unused corners dl[..., 0], du[..., -1] have no gradient in either
    for k, corner in ((1, 0), (2, -1)):
        assert float(np.abs(np.asarray(leaves[k])[..., corner]).max()) == 0.0
        assert float(np.abs(gw[k].asnumpy()[..., corner]).max()) == 0.0
