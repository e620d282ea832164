"""One check of an imported Cell against PyTorch's own autodiff: value, gradients w.r.t. the input
and every weight, a jvp, and a second-order derivative (Hessian-vector product w.r.t. the input)."""
import numpy as np
import torch

from gradserve import Tensor, nn, ops

from .models import close


class SumSq(nn.Cell):
    """loss = sum((c * net(x))^2) / 2, c fixed and random (a norm-invariant output, as after a final
    layer norm, would make the plain sum of squares nearly constant)."""

    def __init__(self, net, c):
        super().__init__()
        self.net, self.c = net, Tensor(c)

    def construct(self, x):
        y = self.net(x) * self.c
        return (y * y).sum() / 2


class GradDot(nn.Cell):
    """<grad_x loss(x), v>: its gradient is the Hessian-vector product H v."""

    def __init__(self, loss, v):
        super().__init__()
        self.loss, self.v = loss, v

    def construct(self, x):
        return (ops.grad(self.loss, grad_position=0)(x) * self.v).sum()


def check_against_torch(net, model, x: torch.Tensor, jvp_model=None):
    params = dict(model.named_parameters())
    got_names = [p.name for p in net.trainable_params()]
    assert sorted(got_names) == sorted(params), got_names  # every weight, each once (in the model's order)
    xn = x.detach().numpy()
    close(net(Tensor(xn)).asnumpy(), model(x).detach().numpy(), "value")

    # gradients w.r.t. the input and all weights
    c = np.random.default_rng(5).uniform(0.5, 1.5, model(x).shape).astype(np.float32)
    loss = SumSq(net, c)
    gx, gw = ops.grad(loss, grad_position=0, weights=net.trainable_params())(Tensor(xn))
    xt = x.clone().requires_grad_(True)
    lt = ((model(xt) * torch.from_numpy(c)) ** 2).sum() / 2
    want = torch.autograd.grad(lt, [xt] + [params[n] for n in got_names], create_graph=True)
    close(gx.asnumpy(), want[0].detach().numpy(), "grad x")
    assert len(gw) == len(got_names)
    for n, g, w in zip(got_names, gw, want[1:]):
        close(g.asnumpy(), w.detach().numpy(), f"grad {n}")

    # jvp
    gen = torch.Generator().manual_seed(7)
    v = torch.randn(x.shape, generator=gen)
    out, tan = ops.jvp(net, Tensor(xn), Tensor(v.numpy()))
    wout, wtan = torch.func.jvp(jvp_model or model, (x,), (v,))
    close(out.asnumpy(), wout.detach().numpy(), "jvp value")
    close(tan.asnumpy(), wtan.detach().numpy(), "jvp tangent")

    # second order: H v = grad_x <grad_x loss, v>
    hv = ops.grad(GradDot(loss, Tensor(v.numpy())), grad_position=0)(Tensor(xn))
    want_hv = torch.autograd.grad((want[0] * v).sum(), xt)[0]
    close(hv.asnumpy(), want_hv.numpy(), "hessian-vector product")
    assert np.abs(want_hv.numpy()).max() > 1e-3  # the second-order check is not of a zero
