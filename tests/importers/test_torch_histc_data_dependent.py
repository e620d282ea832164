"""torch.histc through torch.export (Mixtral's router counts its tokens per expert with it): counts against
torch's own, with given bounds, the data's range (min == max), values on the top edge and outside. A shape that
depends on values (a detector's NMS) is refused with what and why."""
import numpy as np
import pytest
import torch

import gradserve as gs


class Histc(torch.nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.kw = kw

    def forward(self, x):
        return torch.histc(x, **self.kw)


@pytest.mark.parametrize("kw", [dict(bins=4, min=0, max=3), dict(bins=5), dict(bins=3, min=1, max=1),
                                dict(bins=3, min=-0.5, max=2.5)])
def test_histc_counts_match_torch(fake, kw):
    x = torch.tensor([0.0, 1, 1, 2, 3, 3, 3, 0.5, 7, -1])
    net = gs.from_torch(Histc(**kw), (x,))
    np.testing.assert_array_equal(net(gs.Tensor(x.numpy())).asnumpy(), torch.histc(x, **kw).numpy())


class KeepsWhatPasses(torch.nn.Module):
    """A shape from the values, as a detector's NMS: torch.export refuses to guard on it."""

    def forward(self, x):
        n = int((x > 0).sum())
        return x[:n] * 2 if n > 2 else x


def test_a_data_dependent_shape_is_refused_naming_the_model_and_the_cause(fake):
    from gradserve.importers import UnsupportedModel

    with pytest.raises(UnsupportedModel, match="cannot trace KeepsWhatPasses: a shape or a branch depends on tensor "
                                               "values .*static shapes"):
        gs.from_torch(KeepsWhatPasses(), (torch.tensor([1.0, -2.0, 3.0, 4.0]),))
