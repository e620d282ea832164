"""torch.export's while_loop higher-order op (torch._higher_order_ops.while_loop) through gs.from_torch: a
counted loop (i < n, i from a constant, i + 1) unrolls to its static trip count; the value and the gradients
(input and the Linear's weights, which torch.export passes as the loop's additional inputs) against the same
recurrence written as a Python for loop under torch.autograd. A loop whose trip count is data is refused, naming
the node."""
import numpy as np
import pytest
import torch
from torch._higher_order_ops.while_loop import while_loop

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

pytestmark = pytest.mark.usefixtures("fake")


class Counted(torch.nn.Module):
    def __init__(self, start, stop):
        super().__init__()
        self.lin, self.start, self.stop = torch.nn.Linear(4, 4), start, stop

    def step(self, h):
        return torch.tanh(self.lin(h)) + 0.5 * h

    def forward(self, x):
        i0 = torch.full((), self.start, dtype=torch.int64)
        _, y = while_loop(lambda i, h: i < self.stop, lambda i, h: (i + 1, self.step(h)), (i0, x))
        return y


@pytest.mark.parametrize("start,stop", [(0, 3), (2, 7), (5, 5)])
def test_counted_while_loop_value_and_gradients_match_a_python_loop(start, stop):
    torch.manual_seed(1)
    m = Counted(start, stop).eval()
    x = torch.randn(3, 4)
    c = torch.rand(3, 4) + 0.5
    xr = x.clone().requires_grad_(True)
    h = xr
    for _ in range(max(stop - start, 0)):
        h = m.step(h)
    ((h * c) ** 2).sum().backward()
    net = gs.from_torch(m, (x,))
    np.testing.assert_allclose(net(Tensor(x.numpy())).asnumpy(), h.detach().numpy(), rtol=1e-5, atol=1e-6)
    ct = Tensor(c.numpy())
    gx, gw = ops.grad(lambda t: ((net(t) * ct) ** 2).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(x.numpy()))
    np.testing.assert_allclose(gx.asnumpy(), xr.grad.numpy(), rtol=1e-4, atol=1e-6)
    want = {n: p.grad for n, p in m.named_parameters()}
    assert len(gw) == len(want) == 2
    for p, g in zip(net.trainable_params(), gw):
        if stop > start:
            np.testing.assert_allclose(g.asnumpy(), want[p.name].numpy(), rtol=1e-4, atol=1e-6)
        else:  # no trip: the weights are not used (torch leaves their grad None)
            assert want[p.name] is None and not g.asnumpy().any()


class DataBound(torch.nn.Module):
    def forward(self, x):
        return while_loop(lambda h: h.sum() < 10.0, lambda h: (h * 2.0,), (x,))[0]


def test_a_data_dependent_trip_count_is_refused_naming_the_node():
    with pytest.raises(UnsupportedModel, match="while_loop node 'while_loop'.*trip count is not static"):
        gs.from_torch(DataBound(), (torch.ones(3),))
