"""Round 13 of the model zoo (benchmarks/IMPORT_ZOO.md).

- `with torch.no_grad():` in forward (a deep equilibrium layer trained by Jacobian-free backprop: the fixed-point
  iterations without gradient, one differentiable step from their result; the zoo's deq_jacobian_free_no_grad).
  torch.export keeps the block as a wrap_with_set_grad_enabled(False, ...) region; run_decompositions inlined it
  and the imported graph differentiated through the iterations: input and weight gradients 0.43 off torch's (the
  value right). Each value a no-grad region computes is detached now. Checked against torch's own autograd, float32
  and float64, for the context manager, a @torch.no_grad() method, and set_grad_enabled(False) with an
  enable_grad() block inside (torch exports that as two no-grad regions around a differentiable one)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("fake")


def _model(how: str):
    import torch

    class JacobianFree(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(4, 4, bias=False)
            self.u = torch.nn.Linear(3, 4)
            with torch.no_grad():
                self.w.weight.mul_(0.5)  # a contraction: the iterations converge

        @torch.no_grad()
        def solve(self, inj):
            z = torch.zeros_like(inj)
            for _ in range(6):
                z = torch.tanh(self.w(z) + inj)
            return z

        def forward(self, x):
            inj = self.u(x)
            if how == "context":
                with torch.no_grad():
                    z = torch.zeros_like(inj)
                    for _ in range(6):
                        z = torch.tanh(self.w(z) + inj)
            elif how == "decorator":
                z = self.solve(inj)
            elif how == "nested":  # the middle block trains: torch differentiates z * w(inj) w.r.t. inj and w
                with torch.set_grad_enabled(False):
                    z = torch.tanh(self.w(inj))
                    with torch.enable_grad():
                        z = z * self.w(inj)
                    z = z + 1  # computed without gradient again: a constant to what follows
                z = z + torch.sigmoid(self.w(inj))
            elif how == "none":  # the same iterations, differentiated: what the import computed before
                z = torch.zeros_like(inj)
                for _ in range(6):
                    z = torch.tanh(self.w(z) + inj)
            else:
                raise ValueError(how)
            return torch.tanh(self.w(z) + inj) * x.sum(-1, keepdim=True)

    torch.manual_seed(13)
    return JacobianFree().eval()


def _torch_grads(model, x, c):
    import torch

    xr = x.clone().requires_grad_(True)
    y = model(xr)
    params = list(model.parameters())
    grads = torch.autograd.grad((y * c).sum(), [xr, *params])
    return y.detach().numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("how", ["context", "decorator", "nested"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_no_grad_block_in_forward_is_a_constant_to_the_gradient(how, dtype):
    import torch

    tdt = getattr(torch, dtype)
    model = _model(how).to(tdt)
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(1), dtype=tdt)
    c = torch.linspace(0.5, 1.5, 20, dtype=tdt).reshape(5, 4)
    want, (gx_want, *gw_want) = _torch_grads(model, x, c)
    net = gs.from_torch(model, (x,))
    weights = net.trainable_params()
    assert [p.name for p in weights] == [n for n, _ in model.named_parameters()]
    got = net(Tensor(x.numpy()))
    assert got.asnumpy().dtype == np.dtype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got.asnumpy(), want, rtol=tol, atol=tol)
    ct = Tensor(c.numpy())
    gx, gw = ops.grad(lambda t: (net(t) * ct).sum(), grad_position=0, weights=weights)(Tensor(x.numpy()))
    np.testing.assert_allclose(gx.asnumpy(), gx_want, rtol=tol, atol=tol)
    for g, w in zip(gw, gw_want):
        np.testing.assert_allclose(g.asnumpy(), w, rtol=tol, atol=tol)
    if how == "context":  # the check tells the two apart: differentiating through the iterations is far off
        _, (gx_through, *_) = _torch_grads(_model("none").to(tdt), x, c)
        assert np.abs(gx_through - gx_want).max() > 0.05 * np.abs(gx_want).max()
