"""An imported torch.linalg.det differentiates through the engine's det op: its gradient is the
cofactor matrix and its second derivative stays finite and right at singular matrices (a
sign * exp(logabsdet) form is NaN there at second order)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops


def _cofactor(a):
    """Cofactor matrix from 2x2 minors (independent of any factorisation)."""
    n = a.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(n)]
                     for i in range(n)])


@pytest.mark.parametrize("rank", [3, 2, 1])
def test_torch_det_first_and_second_derivative_at_any_rank(fake, rank):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(rank)
    a = rng.standard_normal((3, rank)) @ rng.standard_normal((rank, 3))
    v = rng.standard_normal((3, 3))

    class M(torch.nn.Module):
        def forward(self, x):
            return torch.linalg.det(x)

    net = gs.from_torch(M(), (torch.tensor(a),))
    grad = ops.grad(lambda t: net(t))
    np.testing.assert_allclose(net(Tensor(a)).asnumpy(), np.linalg.det(a), atol=1e-12)
    np.testing.assert_allclose(grad(Tensor(a)).asnumpy(), _cofactor(a), atol=1e-12)
    # d/dA <cof(A), V>: cof is a degree-2 polynomial, so a central difference is exact up to rounding
    hvp = ops.grad(lambda t: ops.sum(grad(t) * Tensor(v)))(Tensor(a)).asnumpy()
    eps = 1e-4
    want = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = eps
            want[i, j] = ((_cofactor(a + e) - _cofactor(a - e)) * v).sum() / (2 * eps)
    np.testing.assert_allclose(hvp, want, atol=1e-7)
