"""The sweep's torch reference (tests/importers/sweep.torch_reference) gives the formula's gradients where torch's
own CPU eval-mode batch_norm backward does not: a strided gradient into it (batch_norm -> flatten -> transpose ->
[:, ::2], as LeViT's subsampled queries). Expected: the formula in NumPy."""
import numpy as np
import torch

from .sweep import torch_reference


class _Subsampled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = torch.nn.BatchNorm2d(8).eval()
        with torch.no_grad():
            self.bn.running_mean.normal_()
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.normal_()

    def forward(self, x):
        return self.bn(x).flatten(2).transpose(1, 2)[:, ::2]


def test_reference_input_gradient_through_eval_batch_norm_is_the_formulas():
    torch.manual_seed(3)
    m, x = _Subsampled(), torch.randn(1, 8, 6, 6)
    outs, cs, (gx,), _ = torch_reference(m, (x,))
    # loss = sum((c y)^2) / 2: dL/dy = c^2 y; scattered back to every other token, then scaled per channel
    dy = np.zeros((1, 36, 8), np.float32)
    dy[:, ::2] = cs[0] ** 2 * outs[0].numpy()
    bn = m.bn
    per_channel = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().numpy().reshape(8, 1, 1)
    want = dy.transpose(0, 2, 1).reshape(1, 8, 6, 6) * per_channel
    np.testing.assert_allclose(gx, want, rtol=1e-5, atol=1e-6)
