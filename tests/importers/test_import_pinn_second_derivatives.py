"""A PINN whose residual is built after import: u(x, t) imported from torch.export, then u_t, u_x and u_xx
taken with gradserve's own grad of the imported Cell (nested), Burgers' residual u_t + u u_x - nu u_xx and
its loss's gradient w.r.t. the weights (third-order through the import) against torch.autograd's."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("fake")
NU = 0.05


class _U(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                                       torch.nn.Linear(8, 1))

    def forward(self, xt):  # xt [N, 2] points (x, t)
        return self.net(xt)[:, 0]


class _Residual(nn.Cell):
    """r = u_t + u u_x - nu u_xx at each point (points are independent: d sum(u) / d xt is per point)."""

    def __init__(self, u):
        super().__init__()
        self.u = u

    def construct(self, xt):
        du = ops.grad(lambda z: self.u(z).sum(), grad_position=0)(xt)
        uxx = ops.grad(lambda z: ops.grad(lambda y: self.u(y).sum(), grad_position=0)(z)[:, 0].sum(),
                       grad_position=0)(xt)[:, 0]
        return du[:, 1] + self.u(xt) * du[:, 0] - NU * uxx


def _torch_residual(model, xt):
    u = model(xt)
    du = torch.autograd.grad(u.sum(), xt, create_graph=True)[0]
    uxx = torch.autograd.grad(du[:, 0].sum(), xt, create_graph=True)[0][:, 0]
    return du[:, 1] + u * du[:, 0] - NU * uxx


def test_burgers_residual_and_its_weight_gradient_after_import():
    model = _U()
    xt = torch.rand(7, 2, generator=torch.Generator().manual_seed(1)) * 2 - 1
    u = gs.from_torch(model, (xt,))
    res = _Residual(u)
    xs = Tensor(xt.numpy())
    xr = xt.clone().requires_grad_(True)
    want = _torch_residual(model, xr)
    np.testing.assert_allclose(res(xs).asnumpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5)

    names = [p.name for p in u.trainable_params()]
    gw = ops.grad(lambda z: (res(z) ** 2).mean(), grad_position=None, weights=u.trainable_params())(xs)
    tp = dict(model.named_parameters())
    tg = torch.autograd.grad((want ** 2).mean(), [tp[n] for n in names])
    for n, g, t in zip(names, gw, tg):
        np.testing.assert_allclose(g.asnumpy(), t.numpy(), rtol=2e-3, atol=2e-5, err_msg=n)
    assert max(float(np.abs(t.numpy()).max()) for t in tg) > 1e-3  # not a check of zeros
