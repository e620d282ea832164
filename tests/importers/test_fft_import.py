"""FFTs through the importers onto the engine's fft / rfft / irfft ops: torch.export models (torch.fft's 1-d,
2-d and n-d forms, each norm, a real input's full spectrum, view_as_real / view_as_complex, complex weights
multiplied in, |z|) whose value and gradients w.r.t. every input and weight equal torch autograd's
(tests/importers/sweep.py's check); jnp.fft through from_jax against JAX's values and jax.grad; ONNX DFT
(opsets 17 and 20) and STFT against onnx.reference."""
import numpy as np
import pytest
import torch

import gradserve as gs

from .sweep import check_imported

torch.manual_seed(3)


class Spectral2d(torch.nn.Module):
    """rfft2 (ortho), the low modes times complex weights (real and imaginary parameters), irfft2."""

    def __init__(self):
        super().__init__()
        self.wr = torch.nn.Parameter(torch.randn(3, 3) * 0.5)
        self.wi = torch.nn.Parameter(torch.randn(3, 3) * 0.5)

    def forward(self, x):  # [2, 6, 8]
        f = torch.fft.rfft2(x, norm="ortho")[:, :3, :3] * torch.complex(self.wr, self.wi)
        return torch.fft.irfft2(f, s=(6, 8), norm="ortho")


class ComplexViews(torch.nn.Module):
    """fft of a real input (the full spectrum), ifft2 / fftn with norms, view_as_real / view_as_complex, abs."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(5, 2) * 0.5)

    def forward(self, x):  # [3, 5]
        z = torch.fft.fft(x, dim=1) * torch.view_as_complex(self.w)
        y = torch.fft.ifft2(z, norm="forward")
        r = torch.view_as_real(torch.fft.fftn(y, dim=(0,), norm="ortho"))
        return r.sum(-1) + torch.fft.fft(x, n=7).abs()[:, :5] + torch.fft.irfft(z, n=9)[:, :5]


@pytest.mark.parametrize("model,shape", [(Spectral2d, (2, 6, 8)), (ComplexViews, (3, 5))])
def test_torch_export_fft_models_match_torch_autograd(fake, model, shape):
    m = model().eval()
    inputs = (torch.randn(*shape),)
    net = gs.from_torch(m, inputs)
    assert check_imported(net, m, inputs) == len(list(m.parameters()))


# -- JAX: jnp.fft lowers to stablehlo.fft (FFT / IFFT / RFFT / IRFFT), its norms to complex constants ----------
def _jax_spectral(x, wr, wi):
    import jax.numpy as jnp

    f = jnp.fft.rfft2(x, norm="ortho")[:, :3, :3] * (wr + 1j * wi)
    y = jnp.fft.irfft2(f, s=(6, 8), norm="ortho")
    z = jnp.fft.ifft(jnp.fft.fftn(x, axes=(0, 2)), axis=1, norm="forward")
    return y + jnp.abs(z) + jnp.real(jnp.fft.ifft(jnp.fft.hfft(x[:, 0, :5], n=8)))[:, None, :]


def test_from_jax_fft_values_and_gradients_match_jax(fake):
    import jax

    rng = np.random.default_rng(4)
    x, wr, wi = (rng.standard_normal(s).astype(np.float32) for s in ((2, 6, 8), (3, 3), (3, 3)))
    dout = rng.standard_normal((2, 6, 8)).astype(np.float32)
    net = gs.from_jax(_jax_spectral, x, wr, wi)
    args = [gs.Tensor(a) for a in (x, wr, wi)]
    np.testing.assert_allclose(net(*args).asnumpy(), _jax_spectral(x, wr, wi), rtol=1e-4, atol=1e-5)

    def loss(x, wr, wi):
        return (net(x, wr, wi) * gs.Tensor(dout)).sum()
    got = gs.grad(loss, (0, 1, 2))(*args)
    want = jax.grad(lambda *a: (_jax_spectral(*a) * dout).sum(), (0, 1, 2))(x, wr, wi)
    for g, w_ in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=1e-4, atol=1e-4)


# -- ONNX DFT (opset 17 attribute axis, opset 20 input axis) and STFT: forward vs onnx.reference, vjp vs a
# central difference ---------------------------------------------------------------------------------------
def _dft_cases():
    from onnx import helper

    from .test_onnx_helper_graphs import i64, x

    N = helper.make_node
    return {
        "dft 17 real onesided dft_length": ([N("DFT", ["x", "n"], ["y"], axis=1, onesided=1)], {"x": x(2, 6, 1)},
                                            {"n": np.array(8, np.int64)}, 17),
        "dft 17 complex inverse": ([N("DFT", ["x"], ["y"], axis=1, inverse=1)], {"x": x(2, 5, 3, 2)}, None, 17),
        "dft 17 real full axis 2 cropped": ([N("DFT", ["x", "n"], ["y"], axis=2)], {"x": x(2, 3, 7, 1)},
                                            {"n": np.array(5, np.int64)}, 17),
        "dft 20 axis input": ([N("DFT", ["x", "", "a"], ["y"])], {"x": x(3, 4, 6, 2)}, {"a": i64(-3)[0]}, 20),
        "dft 20 default axis onesided": ([N("DFT", ["x"], ["y"], onesided=1)], {"x": x(2, 7, 1)}, None, 20),
        # round 10: the inverse of a half spectrum (torch.onnx's irfft) and the half spectrum of a complex signal
        "dft 17 inverse onesided dft_length": ([N("DFT", ["x", "n"], ["y"], axis=1, inverse=1, onesided=1)],
                                               {"x": x(2, 5, 3, 2)}, {"n": np.array(9, np.int64)}, 17),
        "dft 20 inverse onesided default length": ([N("DFT", ["x", "", "a"], ["y"], inverse=1, onesided=1)],
                                                   {"x": x(3, 4, 2)}, {"a": i64(1)[0]}, 20),
        "dft 17 complex onesided": ([N("DFT", ["x"], ["y"], axis=1, onesided=1)], {"x": x(2, 6, 2)}, None, 17),
        "stft 17 real windowed": ([N("STFT", ["x", "s", "w"], ["y"])], {"x": x(2, 16, 1)},
                                  {"s": np.array(3, np.int64), "w": np.hanning(6).astype(np.float32)}, 17),
        "stft 17 complex frame_length two-sided": ([N("STFT", ["x", "s", "", "l"], ["y"], onesided=0)],
                                                   {"x": x(1, 11, 2)}, {"s": np.array(2, np.int64),
                                                                        "l": np.array(4, np.int64)}, 17),
    }


@pytest.mark.parametrize("name", list(_dft_cases()))
def test_onnx_dft_forward_and_vjp(name):
    from .test_onnx_helper_graphs import check_graph

    check_graph(name, *_dft_cases()[name])


def test_onnx_dft_refuses_the_pairs_axis():
    from onnx import helper

    from engine.importers import UnsupportedModel

    from .test_onnx_helper_graphs import _convert, _model, x

    for node, match in ((helper.make_node("DFT", ["x"], ["y"], axis=2), "the last axis holds the"),):
        with pytest.raises(UnsupportedModel, match=match):
            _convert(_model([node], {"x": x(2, 4, 2)}, None, ("y",), 17))
