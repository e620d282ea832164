"""torch.export of a bfloat16 model through gradserve.from_torch: values and parameter gradients element for element
as torch's own bfloat16 CPU kernels give them (both compute each op in float32 and round it once)."""
import ml_dtypes
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("fake")
BF16 = np.dtype(ml_dtypes.bfloat16)


def _np(t):
    return t.detach().to(torch.float32).numpy()


class _Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        return torch.tanh(self.fc(x)) * 2.5 + x[:, :3].to(torch.float32).to(torch.bfloat16)


def test_bfloat16_module_value_and_weight_gradient_match_torch():
    m = _Mlp().to(torch.bfloat16)
    x = torch.tensor([[0.5, -1.25, 2.0, 0.3], [1.7, -0.9, 0.1, -2.2]], dtype=torch.bfloat16)
    net = gs.from_torch(m, (x,))
    xs = Tensor(x.view(torch.int16).numpy().view(BF16))
    got = net(xs)
    assert got.dtype == gs.bfloat16
    # torch's Linear is one addmm kernel (x W^T + b rounded once); the graph has a matmul and an add, each
    # rounded: exactly torch's own kernels run op by op, and within one bfloat16 ulp of the fused kernel
    unfused = torch.tanh(x @ m.fc.weight.T + m.fc.bias) * 2.5 + x[:, :3]
    np.testing.assert_array_equal(got.asnumpy().astype(np.float32), _np(unfused))
    np.testing.assert_allclose(got.asnumpy().astype(np.float32), _np(m(x)), rtol=2 ** -7, atol=0)
    params = net.trainable_params()
    assert params and all(p.dtype == gs.bfloat16 for p in params)
    grads = ops.grad(lambda t: net(t).sum(), grad_position=None, weights=params)(xs)
    m.zero_grad()
    m(x).sum().backward()
    want = {"fc.weight": m.fc.weight.grad, "fc.bias": m.fc.bias.grad}
    for p, g in zip(params, grads):
        assert g.dtype == gs.bfloat16
        # torch fuses tanh's backward (1 - y^2) * g into one kernel: a few bfloat16 ulps of the largest entry
        w = _np(want[p.name])
        np.testing.assert_allclose(g.asnumpy().astype(np.float32), w, atol=2 ** -6 * np.abs(w).max(), err_msg=p.name)
