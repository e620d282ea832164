"""torch.export import of torch.linalg.pinv (aten.linalg_pinv.atol_rtol_tensor / atol_rtol_float): values and
gradients against torch.autograd (pinv_backward's closed form), with and without atol / rtol, hermitian, batched,
wide and tall, and at tied singular values (identity, orthogonal) where an SVD-based derivative is NaN."""
import numpy as np
import pytest
import torch

import gradserve as gs

from .sweep import check_imported


class Pinv(torch.nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.kw = kw

    def forward(self, a):
        return torch.linalg.pinv(a, **self.kw)


class PinvTensorTol(torch.nn.Module):
    """atol / rtol given as tensors (one per batch entry): the atol_rtol_tensor overload with graph values."""

    def forward(self, a, atol, rtol):
        return torch.linalg.pinv(a, atol=atol, rtol=rtol) + torch.linalg.pinv(a, atol=atol)


def _rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _orthogonal(n, seed=1):
    return torch.linalg.qr(_rand(n, n, seed=seed))[0]


MATRICES = {
    "square": lambda: _rand(4, 4),
    "wide_batch": lambda: _rand(2, 3, 5),
    "tall": lambda: _rand(5, 3),
    "identity": lambda: torch.eye(4, dtype=torch.float64),
    "orthogonal": lambda: _orthogonal(4),
    "scaled_orthogonal_batch": lambda: torch.stack([_orthogonal(3) * 2.0, torch.eye(3, dtype=torch.float64)]),
}

KWARGS = {
    "default": {},
    "atol_rtol": {"atol": 0.1, "rtol": 0.01},
    "rtol": {"rtol": 1e-3},
    "atol": {"atol": 1e-3},
}


@pytest.mark.parametrize("kwargs", sorted(KWARGS))
@pytest.mark.parametrize("matrix", sorted(MATRICES))
def test_pinv_value_and_gradient_match_torch(fake, matrix, kwargs):
    a = MATRICES[matrix]()
    model = Pinv(**KWARGS[kwargs])
    check_imported(gs.from_torch(model, (a,)), model, (a,))


def test_pinv_gradient_at_tied_singular_values_is_finite_where_svd_is_not(fake):
    """torch's own svd-composed derivative is NaN at the identity (tied values); pinv's is finite and matches."""
    a = torch.eye(3, dtype=torch.float64).requires_grad_()
    u, s, vh = torch.linalg.svd(a)
    (vh.mT @ torch.diag(1 / s) @ u.mT * torch.arange(9.0).reshape(3, 3)).sum().backward()
    assert not torch.isfinite(a.grad).all()  # (the failure mode the closed form avoids)
    model = Pinv()
    check_imported(gs.from_torch(model, (a.detach(),)), model, (a.detach(),))


def test_pinv_cuts_singular_values_at_the_tolerance(fake):
    """A rank-2 matrix with a third singular value of 1e-4: atol=1e-3 drops it (the value is rank 2's pinv),
    the default keeps it; both against torch."""
    u, v = _orthogonal(3, seed=2), _orthogonal(3, seed=3)
    a = u @ torch.diag(torch.tensor([3.0, 1.0, 1e-4], dtype=torch.float64)) @ v.mT
    for kw, rank in (({"atol": 1e-3}, 2), ({}, 3)):
        model = Pinv(**kw)
        got = gs.from_torch(model, (a,))(gs.Tensor(a.numpy())).asnumpy()
        np.testing.assert_allclose(got, model(a).numpy(), rtol=1e-9, atol=1e-9)
        assert np.linalg.matrix_rank(got, tol=1e-6) == rank


def test_pinv_hermitian_matches_torch(fake):
    b = _rand(4, 4, seed=4)
    a = b + b.mT
    model = Pinv(hermitian=True)
    check_imported(gs.from_torch(model, (a,)), model, (a,))


def test_pinv_tensor_tolerances_match_torch(fake):
    """Per-batch atol / rtol tensors; atol > 0 in one entry sets the default rtol to 0 there (ATen's rule)."""
    u, v = _orthogonal(3, seed=5), _orthogonal(3, seed=6)
    a = torch.stack([u @ torch.diag(torch.tensor([2.0, 1.0, 0.05], dtype=torch.float64)) @ v.mT, _rand(3, 3)])
    atol = torch.tensor([0.1, 0.0], dtype=torch.float64)
    rtol = torch.tensor([0.0, 1e-3], dtype=torch.float64)
    model = PinvTensorTol()
    net = gs.from_torch(model, (a, atol, rtol))
    got = net(*(gs.Tensor(t.numpy()) for t in (a, atol, rtol))).asnumpy()
    np.testing.assert_allclose(got, model(a, atol, rtol).numpy(), rtol=1e-9, atol=1e-9)
    grad = gs.ops.grad(lambda x: (net(x, gs.Tensor(atol.numpy()), gs.Tensor(rtol.numpy())) ** 2).sum())(
        gs.Tensor(a.numpy())).asnumpy()
    a_t = a.clone().requires_grad_()
    (model(a_t, atol, rtol) ** 2).sum().backward()
    np.testing.assert_allclose(grad, a_t.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_pinv_float32_matches_torch(fake):
    a = _rand(3, 4, seed=7).float()
    model = Pinv()
    check_imported(gs.from_torch(model, (a,)), model, (a,))


@pytest.mark.parametrize("matrix", ["square", "orthogonal"])
def test_pinv_second_derivative_matches_torch(fake, matrix):
    """The rule is matmuls of A, X and G: differentiating it again (through X, i.e. the rule) gives torch's
    double backward of pinv_backward."""
    a = MATRICES[matrix]()
    c = _rand(*a.shape, seed=8)
    model = Pinv()
    net = gs.from_torch(model, (a,))
    first = gs.ops.grad(lambda x: (net(x) * gs.Tensor(c.numpy())).sum())
    got = gs.ops.grad(lambda x: (first(x) ** 2).sum())(gs.Tensor(a.numpy())).asnumpy()
    a_t = a.clone().requires_grad_()
    (g1,) = torch.autograd.grad((model(a_t) * c).sum(), a_t, create_graph=True)
    (want,) = torch.autograd.grad((g1 ** 2).sum(), a_t)
    assert np.isfinite(want.numpy()).all()
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-7, atol=1e-9)
