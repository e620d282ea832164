"""The zoo sweep's float64 reference (benchmarks/model_zoo_sweep.py --float64): torch in float64 on the same
weights, complex weights widened to complex128 (Module.to(float64) drops their imaginary parts), complex
gradients compared as complex numbers, and the float32-vs-float64 error of torch itself beside ours: small for a
well-conditioned model, large where the model is ill-conditioned (a Hilbert-matrix solve), whoever computes it."""
import numpy as np
import pytest
import torch

from benchmarks.model_zoo_sweep import _widened, check_torch, rel_err

pytestmark = pytest.mark.usefixtures("fake")


class _Solve(torch.nn.Module):
    """y = A^-1 (W x): A the n x n Hilbert matrix (condition number ~1e10 at n = 8) or the identity."""

    def __init__(self, hilbert: bool, n=8):
        super().__init__()
        torch.manual_seed(0)
        i = torch.arange(n, dtype=torch.float32)
        self.register_buffer("a", 1.0 / (i[:, None] + i[None] + 1) if hilbert else torch.eye(n) * 2)
        self.lin = torch.nn.Linear(n, n)

    def forward(self, x):
        return torch.linalg.solve(self.a, self.lin(x).T).T


def test_widened_keeps_complex_weights_complex():
    m = torch.nn.Module()
    m.z = torch.nn.Parameter(torch.tensor([1 + 2j, -0.5j], dtype=torch.cfloat))
    m.r = torch.nn.Parameter(torch.tensor([1.5]))
    w = _widened(m)
    assert w.z.dtype == torch.complex128 and w.r.dtype == torch.float64
    np.testing.assert_array_equal(w.z.detach().numpy(), np.array([1 + 2j, -0.5j]))


def test_rel_err_sees_the_imaginary_part():
    want = np.array([1 + 1j, 2 - 1j], np.complex64)
    assert rel_err(want, want) == 0.0
    assert rel_err(np.conj(want), want) == pytest.approx(2 / np.sqrt(5))  # |2i| over max |want| = sqrt(5)


def test_float64_reference_separates_conditioning_from_bugs():
    x = torch.randn(3, 8, generator=torch.Generator().manual_seed(1))
    good = check_torch(_Solve(False).eval(), (x,), "export", float64=True)
    assert max(good["f64"]["ours"]) < 1e-5 and max(good["f64"]["ref32"]) < 1e-5
    bad = check_torch(_Solve(True).eval(), (x,), "export", float64=True)
    # torch float32 itself is far from float64 on the Hilbert solve: a mismatch there is conditioning
    assert max(bad["f64"]["ref32"]) > 1e-3
