"""jnp.linalg.cholesky, jax.scipy.linalg.solve_triangular / cho_solve and the LU-based jnp.linalg.solve /
inv / slogdet / det through jax.export: the LAPACK custom_calls (@lapack_?potrf_ffi, @lapack_?trsm_ffi,
@lapack_?getrf_ffi) become the engine's cholesky / triangular_solve / lu (gradserve/importers/jax_lapack.py);
JAX's pivot loop and row gathers around getrf import as themselves. Value, gradient and a Hessian-vector
product against JAX's own.
The engine's cholesky reads the symmetric part of its input (as jnp.linalg.cholesky); cho_factor does not
symmetrise, and JAX's derivative there is its formula applied to an unsymmetric tangent: a convention
(LAPACK reads one triangle). Both agree on symmetric directions, so there the gradients' symmetric parts
(and H v for a symmetric v) are compared."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

from .checks import GradDot
from .models import close

RNG = np.random.default_rng(3)
M = RNG.uniform(-1, 1, (2, 3, 3)).astype(np.float32)
SPD = (M @ np.swapaxes(M, -1, -2) + 3 * np.eye(3)).astype(np.float32)
B = RNG.uniform(-1, 1, (2, 3, 2)).astype(np.float32)
# well conditioned, rows shuffled so that partial pivoting swaps (by a wide margin: stable under the HVP)
GEN = (RNG.uniform(-1, 1, (2, 3, 3)) + 3 * np.eye(3) * np.array([1.0, -1.0, 1.0]))[:, [2, 0, 1]].astype(np.float32)
# det of a 3 x 3 exports in closed form; from 4 x 4 on it is LU
GEN4 = (RNG.uniform(-1, 1, (2, 4, 4)) + 3 * np.eye(4) * np.array([1.0, -1.0, 1.0, 1.0]))[:, [3, 0, 2, 1]].astype(
    np.float32)
W = RNG.uniform(0.5, 1.5, (3, 3)).astype(np.float32)

FUNCS = {
    "cholesky": lambda a, b: jnp.sum(jnp.linalg.cholesky(a) * W) + jnp.sum(b),
    "trsm-lower": lambda a, b: jnp.sum(jnp.sin(jsl.solve_triangular(a, b, lower=True))),
    "trsm-upper-T-unit": lambda a, b: jnp.sum(jnp.sin(jsl.solve_triangular(a, b, lower=False, trans=1,
                                                                           unit_diagonal=True))),
    "cho_solve": lambda a, b: jnp.sum(jnp.sin(jsl.cho_solve(jsl.cho_factor(a, lower=True), b))),
    "cho_solve-upper": lambda a, b: jnp.sum(jnp.sin(jsl.cho_solve(jsl.cho_factor(a, lower=False), b))),
    "logdet-via-cholesky": lambda a, b: 2 * jnp.sum(jnp.log(jnp.diagonal(jnp.linalg.cholesky(a), axis1=-2,
                                                                             axis2=-1))) + jnp.sum(b),
    "lu-solve": lambda a, b: jnp.sum(jnp.sin(jnp.linalg.solve(a, b))),
    "lu-inv": lambda a, b: jnp.sum(jnp.linalg.inv(a) * W) + jnp.sum(b),
    "lu-slogdet": lambda a, b: jnp.sum(jnp.linalg.slogdet(a)[1] * jnp.linalg.slogdet(a)[0]) + jnp.sum(b),
    "lu-det": lambda a, b: jnp.sum(jnp.linalg.det(a) * jnp.sum(b, axis=(-2, -1))),
}
LU_ARGS = {"lu-slogdet": (GEN, B), "lu-det": (GEN4, B)}


def _sym(x):
    x = np.asarray(x)
    return (x + np.swapaxes(x, -1, -2)) / 2


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_lapack_calls_import_with_jax_derivatives(fake, name):
    f = FUNCS[name]
    a, b = (SPD, B) if name.startswith(("cho", "logdet")) else (SPD[0], B[0])
    if name.startswith("lu"):
        a, b = LU_ARGS.get(name, (GEN[0], B[0]))
    cell = gs.from_jax(f, a, b)
    if name.startswith("lu"):  # getrf is in the export, not a closed form
        assert "lu" in {n["op"] for n in cell._gs_body["nodes"]}
    close(cell(Tensor(a), Tensor(b)).asnumpy(), f(a, b), "value")
    sym = _sym if name.startswith("cho_solve") else (lambda x: np.asarray(x))
    ga, gb = ops.grad(cell, grad_position=(0, 1))(Tensor(a), Tensor(b))
    wa, wb = jax.grad(f, argnums=(0, 1))(a, b)
    close(sym(ga.asnumpy()), sym(wa), "grad a")
    close(gb.asnumpy(), wb, "grad b")
    v = _sym(RNG.uniform(-1, 1, a.shape).astype(np.float32))
    hv = ops.grad(GradDot(lambda x: cell(x, Tensor(b)), Tensor(v)), grad_position=0)(Tensor(a))
    want = jax.grad(lambda x: jnp.sum(jax.grad(f)(x, b) * v))(a)
    close(sym(hv.asnumpy()), sym(want), "hessian-vector product")
    assert np.abs(np.asarray(want)).max() > 1e-3


def test_getrf_is_the_engine_lu_also_for_non_square_matrices(fake):
    """A rectangular getrf goes through the square lu (lu_rect.py): the packed factor is LAPACK's (JAX's
    value; its gradient is checked in the sweep's linalg_batched_lu_solve_inv)."""
    ops_used = {n["op"] for n in gs.from_jax(lambda a: jnp.linalg.slogdet(a)[1], GEN[0])._gs_body["nodes"]}
    assert "lu" in ops_used
    tall = M[0][:, :2]
    net = gs.from_jax(lambda a: jax.lax.linalg.lu(a)[0], tall)
    assert "lu" in {n["op"] for n in net._gs_body["nodes"]}
    np.testing.assert_allclose(net(gs.Tensor(tall)).asnumpy(), np.asarray(jax.lax.linalg.lu(tall)[0]), rtol=1e-5,
                               atol=1e-6)
