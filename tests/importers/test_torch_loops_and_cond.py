"""torch.export control flow through gs.from_torch. while_loop (torch._higher_order_ops.while_loop): a
counted loop (i < n, i from a constant, i + 1) unrolls to its static trip count; the value and the gradients
(input and the Linear's weights, which torch.export passes as the loop's additional inputs) against the same
recurrence written as a Python for loop under torch.autograd. A loop whose trip count is data is refused, naming
the node. torch.cond nested, with two outputs, in a program exported with a dynamic batch."""
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


class NestedCond(torch.nn.Module):
    """torch.cond inside a torch.cond branch, and one returning two values; the second level's branch depends on
    the first's operand."""
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, x, y):
        def inner(v):
            return torch.cond(v.sum() > 1, lambda u: u * 2, lambda u: torch.sin(self.lin(u)), (v,))
        h = torch.cond(x.mean() > 0, inner, lambda v: torch.relu(self.lin(v)), (x,))
        a, b = torch.cond(h.sum() > y.sum(), lambda p, q: (self.lin(p), q * 2), lambda p, q: (p + q, self.lin(q)),
                          (h, y))
        return a * b


@pytest.mark.parametrize("shift", [1.0, 0.05, -1.0])
def test_nested_cond_with_two_outputs_under_dynamic_shapes_matches_torch(shift):
    """Exported with a dynamic batch (an ExportedProgram), imported at the example's batch; each shift takes
    another path through the branches. Value and input gradient against torch.autograd."""
    torch.manual_seed(2)
    m = NestedCond().eval()
    x, y = torch.randn(5, 4) * 0.2 + shift, torch.randn(5, 4)
    batch = torch.export.Dim("batch", min=2, max=64)
    ep = torch.export.export(m, (x, y), dynamic_shapes=({0: batch}, {0: batch}))
    net = gs.from_torch(ep, (x, y))
    xr = x.clone().requires_grad_(True)
    out = m(xr, y)
    (out ** 2).sum().backward()
    np.testing.assert_allclose(net(Tensor(x.numpy()), Tensor(y.numpy())).asnumpy(), out.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    gx = ops.grad(lambda a, b: (net(a, b) ** 2).sum(), grad_position=0)(Tensor(x.numpy()), Tensor(y.numpy()))
    np.testing.assert_allclose(gx.asnumpy(), xr.grad.numpy(), rtol=1e-4, atol=1e-6)
