"""torch.export import of tensor.detach() (a stop-gradient, not an alias) and of
torch.linalg.solve_triangular in all its forms, against torch.autograd."""
import pytest
import torch

import gradserve as gs

from .sweep import check_imported


class StraightThrough(torch.nn.Module):
    def forward(self, x):  # round in the forward pass, the identity's gradient in the backward one
        return torch.tanh(x + (torch.round(x * 2) / 2 - x).detach()) + x.detach() * x


def test_detach_stops_the_gradient(fake):
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    net = gs.from_torch(StraightThrough(), (x,))
    assert '"stop_gradient"' in str(net.to_graph()).replace("'", '"')
    check_imported(net, StraightThrough(), (x,))


class TriSolve(torch.nn.Module):
    def __init__(self, upper, left, unitriangular):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(2, 3, 3, generator=torch.Generator().manual_seed(1)) * 0.3
                                    + 2 * torch.eye(3))
        self.kw = {"upper": upper, "left": left, "unitriangular": unitriangular}

    def forward(self, b):
        return torch.linalg.solve_triangular(self.a, b, **self.kw)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("left,unitriangular", [(True, False), (False, False), (True, True)])
def test_solve_triangular_forms(fake, upper, left, unitriangular):
    b = torch.randn(3, 4, generator=torch.Generator().manual_seed(2))  # broadcast over a's batch of 2
    b = b if left else b.T
    model = TriSolve(upper, left, unitriangular)
    net = gs.from_torch(model, (b,))
    assert check_imported(net, model, (b,)) == 1
