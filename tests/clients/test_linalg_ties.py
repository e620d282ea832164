"""Linalg derivatives at repeated singular values / eigenvalues (ties), where svd / eigh have none (NaN since
h-engine10) but the user's function has one. ops.pinv: the closed form of d(pinv) (ops/_householder._pinv_rule),
exact at ties, full rank and rank-deficient, to higher orders, forward mode and vmap.
Expected values: torch.linalg.pinv's derivatives (float64; torch differentiates pinv by its closed form, its own
double backward for the second order) and central differences of NumPy's pinv."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gradserve import Tensor, ops

RNG = np.random.default_rng(7)
U4 = np.linalg.qr(RNG.standard_normal((4, 4)))[0]
V4 = np.linalg.qr(RNG.standard_normal((4, 4)))[0]
U5 = np.linalg.qr(RNG.standard_normal((5, 5)))[0]
V3 = np.linalg.qr(RNG.standard_normal((3, 3)))[0]
W = RNG.standard_normal((5, 5))  # the loss's weights (a corner of it: pinv is [n, m])

CASES = {  # matrices with tied singular values (LAPACK splits them by ~1e-15)
    "s=2,2": U4 @ np.diag([3.0, 2.0, 2.0, 1.0]) @ V4.T,
    "orthogonal": U4,
    "identity": np.eye(4),
    "tall 5x3 s=2,2,2": U5[:, :3] @ np.diag([2.0, 2.0, 2.0]) @ V3.T,
    "wide 3x5 s=1,1,0.5": (U5[:, :3] @ np.diag([1.0, 1.0, 0.5]) @ V3.T).T,
    "rank 2 of 4, s=2,2": U4[:, :2] @ np.diag([2.0, 2.0]) @ V4[:, :2].T,
}


def _weights(a):
    n, m = a.shape[-1], a.shape[-2]
    return W[:n, :m]


def _loss(a, **kw):
    return (ops.pinv(a, **kw) * Tensor(_weights(a))).sum()


def _torch_grads(a, **kw):
    """(first, second) torch derivatives: grad of sum(W o pinv(A)), and grad of <that grad, C>."""
    t = torch.tensor(a, requires_grad=True)
    (g,) = torch.autograd.grad((torch.linalg.pinv(t, **kw) * torch.tensor(_weights(a))).sum(), t, create_graph=True)
    (g2,) = torch.autograd.grad((g * torch.tensor(_c(a))).sum(), t)
    return g.detach().numpy(), g2.numpy()


def _c(a):
    return np.cos(np.arange(a.size, dtype=np.float64)).reshape(a.shape)


@pytest.mark.parametrize("name", list(CASES))
def test_pinv_gradient_and_second_derivative_at_ties_match_torch(fake, name):
    a = CASES[name]
    want, want2 = _torch_grads(a)
    got = ops.grad(_loss)(Tensor(a)).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    got2 = ops.grad(lambda t: (ops.grad(_loss)(t) * Tensor(_c(a))).sum())(Tensor(a)).asnumpy()
    np.testing.assert_allclose(got2, want2, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["s=2,2", "tall 5x3 s=2,2,2", "rank 2 of 4, s=2,2"])
def test_pinv_gradient_matches_central_differences_along_rank_preserving_directions(fake, name):
    """The directional derivative <grad, D> against NumPy: D = U dS V^T + (rotations) keeps the rank."""
    a = CASES[name]
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    r = int((s > 1e-8).sum())
    d = u[:, :r] @ RNG.standard_normal((r, r)) @ vt[:r] + RNG.standard_normal((a.shape[0], r)) @ np.diag(s[:r]) @ vt[:r] \
        + u[:, :r] @ np.diag(s[:r]) @ RNG.standard_normal((r, a.shape[1]))
    f = lambda m: float((np.linalg.pinv(m, rcond=1e-8) * _weights(a)).sum())
    eps = 1e-6
    want = (f(a + eps * d) - f(a - eps * d)) / (2 * eps)
    got = float((ops.grad(_loss)(Tensor(a)).asnumpy() * d).sum())
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_pinv_hermitian_gradient_matches_torch(fake):
    a = U4 @ np.diag([2.0, 2.0, -1.0, 0.5]) @ U4.T
    a = (a + a.T) / 2
    want, want2 = _torch_grads(a, hermitian=True)
    np.testing.assert_allclose(ops.grad(lambda t: _loss(t, hermitian=True))(Tensor(a)).asnumpy(), want,
                               rtol=1e-10, atol=1e-12)
    g2 = ops.grad(lambda t: (ops.grad(lambda u: _loss(u, hermitian=True))(t) * Tensor(_c(a))).sum())
    np.testing.assert_allclose(g2(Tensor(a)).asnumpy(), want2, rtol=1e-9, atol=1e-11)


def test_pinv_forward_mode_matches_torch_jvp(fake):
    a, da = CASES["s=2,2"], np.sin(np.arange(16.0)).reshape(4, 4)
    _, want = torch.func.jvp(torch.linalg.pinv, (torch.tensor(a),), (torch.tensor(da),))
    _, got = ops.jvp(ops.pinv, Tensor(a), Tensor(da))
    np.testing.assert_allclose(got.asnumpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_pinv_gradient_batched_and_vmapped_match_torch_member_by_member(fake):
    batch = np.stack([CASES["s=2,2"], CASES["orthogonal"], CASES["rank 2 of 4, s=2,2"]])
    want = np.stack([_torch_grads(m)[0] for m in batch])
    np.testing.assert_allclose(ops.grad(_loss)(Tensor(batch)).asnumpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ops.vmap(ops.grad(_loss))(Tensor(batch)).asnumpy(), want, rtol=1e-10, atol=1e-12)


def test_pinv_outside_a_trace_and_thresholds_unchanged(fake):
    """Values as before (NumPy's), and a cut singular value (atol) gives torch's derivative with the same atol."""
    a = CASES["s=2,2"]
    np.testing.assert_allclose(ops.pinv(Tensor(a)).asnumpy(), np.linalg.pinv(a), rtol=1e-12, atol=1e-13)
    want, _ = _torch_grads(a, atol=1.5)
    np.testing.assert_allclose(ops.grad(lambda t: _loss(t, atol=1.5))(Tensor(a)).asnumpy(), want,
                               rtol=1e-10, atol=1e-12)


# -- other losses with a derivative at ties (rotation-invariant inside the tied singular subspace) ---------------
B = np.cos(np.arange(8.0)).reshape(4, 2)


def test_least_squares_through_pinv_have_torchs_gradient_at_ties(fake):
    """ops.lstsq and scipy.linalg.lstsq are pinv(A) B: NaN at s = 2, 2 before pinv had its own rule."""
    import gradserve.scipy.linalg as gsl

    a = CASES["s=2,2"]
    t = torch.tensor(a, requires_grad=True)
    (want,) = torch.autograd.grad((torch.linalg.pinv(t) @ torch.tensor(B)).sum(), t)
    for solve in (lambda x: ops.lstsq(x, Tensor(B)), lambda x: gsl.lstsq(x, Tensor(B))[0]):
        np.testing.assert_allclose(ops.grad(lambda x: solve(x).sum())(Tensor(a)).asnumpy(), want.numpy(),
                                   rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("order", ["nuc", -2])
def test_singular_value_norms_match_torch_at_ties(fake, order):
    a = CASES["s=2,2"]
    t = torch.tensor(a, requires_grad=True)
    (want,) = torch.autograd.grad(torch.linalg.matrix_norm(t, order), t)
    np.testing.assert_allclose(ops.grad(lambda x: ops.norm(x, order))(Tensor(a)).asnumpy(), want.numpy(),
                               rtol=1e-10, atol=1e-12)


def test_spectral_norm_at_a_tied_top_value_gives_a_subgradient(fake):
    """||A||_2 with s = 3, 3: not differentiable; any U1 M V1^T (M >= 0, trace 1) is a subgradient, torch returns
    LAPACK's u1 v1^T. Checked: finite, <G, A> = ||A||_2 (Euler, degree 1) and nuclear norm 1."""
    a = U4 @ np.diag([3.0, 3.0, 1.0, 0.5]) @ V4.T
    g = ops.grad(lambda x: ops.norm(x, 2))(Tensor(a)).asnumpy()
    assert np.isfinite(g).all()
    np.testing.assert_allclose((g * a).sum(), 3.0, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(g, "nuc"), 1.0, rtol=1e-12)


def test_pinv_gradient_in_float32_and_under_jit(fake):
    import gradserve as ms

    a = CASES["s=2,2"]
    want, _ = _torch_grads(a)
    got32 = ops.grad(_loss)(Tensor(a.astype(np.float32))).asnumpy()
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ms.jit(ops.grad(_loss))(Tensor(a)).asnumpy(), want, rtol=1e-10, atol=1e-12)


def test_pinv_third_derivative_at_a_tie_matches_torch(fake):
    a, c2, c3 = CASES["s=2,2"], _c(CASES["s=2,2"]), np.sin(np.arange(16.0)).reshape(4, 4)
    t = torch.tensor(a, requires_grad=True)
    (g,) = torch.autograd.grad((torch.linalg.pinv(t) * torch.tensor(_weights(a))).sum(), t, create_graph=True)
    (g2,) = torch.autograd.grad((g * torch.tensor(c2)).sum(), t, create_graph=True)
    (want,) = torch.autograd.grad((g2 * torch.tensor(c3)).sum(), t)
    second = lambda x: (ops.grad(lambda y: (ops.grad(_loss)(y) * Tensor(c2)).sum())(x) * Tensor(c3)).sum()
    np.testing.assert_allclose(ops.grad(second)(Tensor(a)).asnumpy(), want.numpy(), rtol=1e-8, atol=1e-10)
