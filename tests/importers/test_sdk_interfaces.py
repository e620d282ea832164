"""An imported model is an ordinary Cell: every derivative interface of the SDK works on it
(two inputs, two outputs, weights), and agrees with torch.func."""
import numpy as np
import torch

import gradserve as gs
from gradserve import Tensor, nn, ops

from .models import close


class TwoInTwoOut(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(3, 4)
        self.b = torch.nn.Linear(2, 4)

    def forward(self, x, z):
        h = torch.tanh(self.a(x) + self.b(z))
        return h.sum(dim=1), torch.sigmoid(h) * 2.0


def _setup():
    torch.manual_seed(8)
    m = TwoInTwoOut().eval()
    g = torch.Generator().manual_seed(9)
    x, z = torch.randn(5, 3, generator=g), torch.randn(5, 2, generator=g)
    return m, x, z, gs.from_torch(m, (x, z))


def _torch_params(m, net):
    p = dict(m.named_parameters())
    return [p[q.name] for q in net.trainable_params()]


class Scalar(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def construct(self, x, z):
        s, h = self.net(x, z)
        return (s * s).sum() + h.sum()


def _scalar_torch(m):
    def f(x, z):
        s, h = m(x, z)
        return (s * s).sum() + h.sum()
    return f


def test_grad_operation_value_and_grad_and_vjp(fake):
    m, x, z, net = _setup()
    xs = (Tensor(x.numpy()), Tensor(z.numpy()))
    params = _torch_params(m, net)
    xt, zt = x.clone().requires_grad_(True), z.clone().requires_grad_(True)
    want = torch.autograd.grad(_scalar_torch(m)(xt, zt), [xt, zt] + params)

    loss = Scalar(net)
    ins, ws = ops.GradOperation(get_all=True, get_by_list=True)(loss, gs.ParameterTuple(net.trainable_params()))(*xs)
    for g, w in zip(list(ins) + list(ws), want):
        close(g.asnumpy(), w.numpy(), "GradOperation")

    val, (gx, gz) = ops.value_and_grad(loss, grad_position=(0, 1))(*xs)
    close(val.asnumpy(), _scalar_torch(m)(x, z).detach().numpy(), "value_and_grad value")
    close(gx.asnumpy(), want[0].numpy(), "value_and_grad x")
    close(gz.asnumpy(), want[1].numpy(), "value_and_grad z")

    v = (torch.ones(5), torch.full((5, 4), 0.5))
    out, (vx, vz) = ops.vjp(net, xs, (Tensor(v[0].numpy()), Tensor(v[1].numpy())))
    _, pull = torch.func.vjp(m, x, z)
    wx, wz = pull(v)
    close(vx.asnumpy(), wx.detach().numpy(), "vjp x")
    close(vz.asnumpy(), wz.detach().numpy(), "vjp z")


def test_jacobians_match_torch_func(fake):
    m, x, z, net = _setup()
    xs = (Tensor(x.numpy()), Tensor(z.numpy()))
    want = torch.func.jacrev(lambda x, z: m(x, z)[0], argnums=1)(x, z)

    class First(nn.Cell):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def construct(self, x, z):
            return self.net(x, z)[0]

    for jac in (ops.jacrev, ops.jacfwd):
        got = jac(First(net), grad_position=1)(*xs)
        close(got.asnumpy(), want.detach().numpy(), jac.__name__)


def test_parameters_are_live(fake):
    """Changing a Parameter's value changes the next result (the graph carries no stale weights)."""
    m, x, z, net = _setup()
    xs = (Tensor(x.numpy()), Tensor(z.numpy()))
    before = net(*xs)[0].asnumpy()
    p = next(q for q in net.trainable_params() if q.name == "a.bias")
    p.set_data(p.asnumpy() + 1.0)
    with torch.no_grad():
        m.a.bias.add_(1.0)
    after = net(*xs)[0].asnumpy()
    assert not np.allclose(before, after)
    close(after, m(x, z)[0].detach().numpy(), "after set_data")


def test_to_graph_is_a_graph_the_engine_runs(fake):
    from engine import evaluate
    from engine.serialize import graph_from_json

    m, x, z, net = _setup()
    s, h = evaluate(graph_from_json(net.to_graph()), x.numpy(), z.numpy())
    close(s, m(x, z)[0].detach().numpy(), "to_graph output 0")
    close(h, m(x, z)[1].detach().numpy(), "to_graph output 1")
