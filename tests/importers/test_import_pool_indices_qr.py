"""Round 5's import gaps closed: max-pool indices (torch max_pool*_with_indices), complete-mode QR of tall
matrices, LAPACK's packed QR (geqrf) and orgqr / householder_product, and the clear refusal of
non-symmetric eig (geev / gees). Values against PyTorch / JAX; gradients and Hessian-vector products
against PyTorch's autograd where it defines them, else central finite differences (float64) of the
imported model, whose values are checked against the framework first."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

from .checks import GradDot
from .models import close

RNG = np.random.default_rng(11)


class _Fn(torch.nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, *xs):
        return self.f(*xs)


def _torch_grad_and_hvp(f, x, v):
    xt = torch.from_numpy(x).requires_grad_(True)
    g, = torch.autograd.grad(f(xt), xt, create_graph=True)
    hv, = torch.autograd.grad((g * torch.from_numpy(v)).sum(), xt)
    return g.detach().numpy(), hv.numpy()


def _grad_and_hvp(cell, x, v):
    g = ops.grad(cell, grad_position=0)(Tensor(x)).asnumpy()
    hv = ops.grad(GradDot(cell, Tensor(v)), grad_position=0)(Tensor(x)).asnumpy()
    return g, hv


def _fd(f, x, d, eps=1e-5):
    return (f(x + eps * d) - f(x - eps * d)) / (2 * eps)


POOLS = {  # name -> (torch pool with indices, input shape)
    "2d padded strided": (lambda x: torch.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True), (2, 2, 5, 6)),
    "2d dilated ceil": (lambda x: torch.nn.functional.max_pool2d(x, 2, 2, 0, 2, ceil_mode=True, return_indices=True),
                        (1, 2, 7, 6)),
    "1d": (lambda x: torch.nn.functional.max_pool1d(x, 3, 2, 1, return_indices=True), (2, 3, 9)),
    "3d": (lambda x: torch.nn.functional.max_pool3d(x, 2, (1, 2, 2), return_indices=True), (1, 2, 3, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(POOLS))
def test_max_pool_indices_and_second_order_match_torch(fake, name):
    pool, shape = POOLS[name]
    x = RNG.standard_normal(shape).astype(np.float32)
    net = gs.from_torch(_Fn(pool), (torch.from_numpy(x),))
    y, idx = net(Tensor(x))
    ty, ti = pool(torch.from_numpy(x))
    close(y.asnumpy(), ty.numpy(), "pooled")
    np.testing.assert_array_equal(idx.asnumpy(), ti.numpy())
    c = RNG.uniform(0.5, 1.5, ty.shape).astype(np.float32)
    loss = _Fn(lambda t: (torch.tanh(pool(t)[0]) * torch.from_numpy(c)).sum())
    cell = gs.from_torch(loss, (torch.from_numpy(x),))
    v = RNG.standard_normal(shape).astype(np.float32)
    for got, want, what in zip(_grad_and_hvp(cell, x, v), _torch_grad_and_hvp(loss, x, v), ("grad", "hvp")):
        close(got, want, what)


def _qr_complete_loss(a):
    q, r = torch.linalg.qr(a, mode="complete")
    return (torch.sin(q) * torch.arange(q.numel(), dtype=a.dtype).reshape(q.shape)).sum() + (r ** 2).sum()


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 2)])
def test_complete_qr_of_a_tall_matrix_is_lapacks_with_finite_difference_derivatives(fake, shape):
    a = RNG.standard_normal(shape)
    net = gs.from_torch(_Fn(lambda t: torch.linalg.qr(t, mode="complete")), (torch.from_numpy(a),))
    q, r = net(Tensor(a))
    tq, tr = torch.linalg.qr(torch.from_numpy(a), mode="complete")
    np.testing.assert_allclose(q.asnumpy(), tq.numpy(), atol=1e-12)
    np.testing.assert_allclose(r.asnumpy(), tr.numpy(), atol=1e-12)
    # PyTorch and JAX leave this derivative undefined (Q's last columns are LAPACK's choice): differences of
    # the imported function, itself equal to PyTorch's in value
    cell = gs.from_torch(_Fn(_qr_complete_loss), (torch.from_numpy(a),))
    f = lambda z: float(cell(Tensor(z)).asnumpy())  # noqa: E731
    d, v = RNG.standard_normal(shape), RNG.standard_normal(shape)
    g, hv = _grad_and_hvp(cell, a, v)
    assert abs(float(np.sum(g * d)) - _fd(f, a, d)) <= 1e-6 * max(1.0, abs(float(np.sum(g * d))))
    fd_hv = _fd(lambda z: float(np.sum(ops.grad(cell, grad_position=0)(Tensor(z)).asnumpy() * d)), a, v)
    assert abs(float(np.sum(hv * d)) - fd_hv) <= 1e-5 * max(1.0, abs(fd_hv))


def test_geqrf_packed_and_householder_product_match_torch(fake):
    a = RNG.standard_normal((2, 5, 3))
    net = gs.from_torch(_Fn(torch.geqrf), (torch.from_numpy(a),))
    packed, tau = net(Tensor(a))
    tp, tt = torch.geqrf(torch.from_numpy(a))
    np.testing.assert_allclose(packed.asnumpy(), tp.numpy(), atol=1e-12)
    np.testing.assert_allclose(tau.asnumpy(), tt.numpy(), atol=1e-12)
    tri = np.triu(a)  # columns with nothing below the diagonal: LAPACK's H = I there (tau 0), not a reflection
    p2, t2 = net(Tensor(tri))
    tp2, tt2 = torch.geqrf(torch.from_numpy(tri))
    np.testing.assert_allclose(p2.asnumpy(), tp2.numpy(), atol=1e-12)
    np.testing.assert_allclose(t2.asnumpy(), tt2.numpy(), atol=1e-12)
    # orgqr of those reflectors, differentiated w.r.t. the reflectors (PyTorch defines this one)
    taus = torch.from_numpy(tt.numpy())
    w = torch.from_numpy(RNG.uniform(0.5, 1.5, (2, 5, 3)))
    loss = _Fn(lambda p: (torch.linalg.householder_product(p, taus) * w).sum() ** 2)
    cell = gs.from_torch(loss, (tp,))
    close(cell(Tensor(tp.numpy())).asnumpy(), loss(tp).numpy(), "value")
    v = RNG.standard_normal((2, 5, 3))
    for got, want, what in zip(_grad_and_hvp(cell, tp.numpy(), v), _torch_grad_and_hvp(loss, tp.numpy(), v),
                               ("grad", "hvp")):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=what)


def test_jax_complete_qr_packed_geqrf_and_orgqr_match_jax(fake):
    a = RNG.standard_normal((5, 3)).astype(np.float32)
    net = gs.from_jax(lambda x: jnp.linalg.qr(x, mode="complete"), a)
    q, r = net(Tensor(a))
    jq, jr = jnp.linalg.qr(a, mode="complete")
    close(q.asnumpy(), np.asarray(jq), "Q")
    close(r.asnumpy(), np.asarray(jr), "R")
    from jax._src.lax.linalg import geqrf  # the packed result users reach only this way (jax.lax.linalg has none)

    net = gs.from_jax(geqrf, a)
    packed, taus = net(Tensor(a))
    jp, jt = geqrf(a)
    close(packed.asnumpy(), np.asarray(jp), "packed")
    close(taus.asnumpy(), np.asarray(jt), "taus")
    net = gs.from_jax(lambda p, t: jax.lax.linalg.householder_product(p, t), np.asarray(jp), np.asarray(jt))
    close(net(Tensor(np.asarray(jp)), Tensor(np.asarray(jt))).asnumpy(),
          np.asarray(jax.lax.linalg.householder_product(jp, jt)), "orgqr of given reflectors")
    # the reduced QR still goes through the engine's qr op (its own derivative rules)
    assert "qr" in {n["op"] for n in gs.from_jax(jnp.linalg.qr, a)._gs_body["nodes"]}


def test_non_symmetric_eig_is_refused_naming_the_call():
    a = RNG.standard_normal((3, 3)).astype(np.float32)
    with pytest.raises(UnsupportedModel, match=r"linalg_eig.*non-symmetric eigendecomposition"):
        gs.from_torch(_Fn(lambda t: torch.linalg.eig(t)[0].real), (torch.from_numpy(a),))
    with pytest.raises(UnsupportedModel, match=r"geev.*non-symmetric eigen"):
        gs.from_jax(lambda x: jnp.real(jnp.linalg.eigvals(x)), a)
