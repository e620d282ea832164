"""Round 7's importer fixes, each on its smallest model: a complex torch parameter is trainable through
torch.export; JAX's erfc (exact GELU) imports whole, so its gradient at 0 is finite and its tail keeps float32's
relative precision. References: torch.autograd and jax.grad."""
import jax
import jax.numpy as jnp
import numpy as np
import torch

import gradserve as gs
from gradserve import Tensor, ops

from .sweep import WeightedSumSq, check_imported


class ComplexGain(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([0.5 + 0.2j, -0.3 + 0.9j, 1.1 - 0.4j], dtype=torch.cfloat))

    def forward(self, x):  # [2, 4]: scale rfft's 3 modes by complex weights
        return torch.fft.irfft(torch.fft.rfft(x) * self.w, n=4)


def test_a_complex_torch_parameter_is_trainable_with_torchs_gradient(fake):
    model, x = ComplexGain().eval(), torch.randn(2, 4, generator=torch.Generator().manual_seed(1))
    net = gs.from_torch(model, (x,))
    assert [p.name for p in net.trainable_params()] == ["w"]
    assert check_imported(net, model, (x,)) == 1  # the gradient dL/dRe + i dL/dIm, as torch's


def test_jax_erfc_and_exact_gelu_import_whole(fake):
    x = np.array([-6.0, -1.0, 0.0, 0.2, 2.0, 3.5, 5.0, 9.0], np.float32)  # 0: the inlined form's nan gradient
    for f in (lambda x: jax.nn.gelu(x, approximate=False), jax.lax.erfc):
        net = gs.from_jax(f, x)
        want = np.asarray(f(x))
        got = net(Tensor(x)).asnumpy()
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-37)  # relative, the tail too (erfc(9) ~ 4e-37)
        g = ops.grad(WeightedSumSq(net, [np.ones_like(x)], 1), grad_position=0)(Tensor(x)).asnumpy()
        gw = np.asarray(jax.grad(lambda v: jnp.sum(f(v) ** 2) / 2)(x))
        assert np.isfinite(g).all()
        np.testing.assert_allclose(g, gw, rtol=2e-5, atol=1e-7)
