"""MindSpore's FFT functions in the SDK (gradserve/ops/_fft.py) on the in-process engine: values against
numpy.fft for each form (n / s padding and cropping, dim, every norm, hfft / ihfft), MindSpore 2.10's dtypes
(int -> complex64, float64 -> complex128, irfft's default length 2 (m - 1)), gradients against torch autograd,
and bad arguments refused naming the function."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops

RNG = np.random.default_rng(21)
X = RNG.standard_normal((3, 6))
Z = X[:, :4] + 1j * RNG.standard_normal((3, 4))

FORMS = [  # (gradserve call, numpy call, input)
    (lambda t: ops.fft(t), lambda a: np.fft.fft(a), X),
    (lambda t: ops.fft(t, n=8, dim=0, norm="ortho"), lambda a: np.fft.fft(a, n=8, axis=0, norm="ortho"), X),
    (lambda t: ops.ifft(t, n=3), lambda a: np.fft.ifft(a, n=3), Z),
    (lambda t: ops.fft2(t, s=(2, 5), norm="forward"), lambda a: np.fft.fft2(a, s=(2, 5), norm="forward"), Z),
    (lambda t: ops.ifft2(t), lambda a: np.fft.ifft2(a), Z),
    (lambda t: ops.fftn(t, dim=(1, 0)), lambda a: np.fft.fftn(a, axes=(1, 0)), Z),
    (lambda t: ops.ifftn(t, s=(5,)), lambda a: np.fft.ifftn(a, s=(5,)), Z),
    (lambda t: ops.rfft(t, n=9), lambda a: np.fft.rfft(a, n=9), X),
    (lambda t: ops.irfft(t), lambda a: np.fft.irfft(a), Z),
    (lambda t: ops.irfft(t, n=5, dim=0, norm="ortho"), lambda a: np.fft.irfft(a, n=5, axis=0, norm="ortho"), Z),
    (lambda t: ops.rfft2(t, norm="ortho"), lambda a: np.fft.rfft2(a, norm="ortho"), X),
    (lambda t: ops.irfft2(t, s=(3, 7)), lambda a: np.fft.irfft2(a, s=(3, 7)), Z),
    (lambda t: ops.rfftn(t, dim=(0,)), lambda a: np.fft.rfftn(a, axes=(0,)), X),
    (lambda t: ops.irfftn(t), lambda a: np.fft.irfftn(a), Z),
    (lambda t: ops.hfft(t, n=6, norm="ortho"), lambda a: np.fft.hfft(a, n=6, norm="ortho"), Z),
    (lambda t: ops.ihfft(t), lambda a: np.fft.ihfft(a), X),
]


@pytest.mark.parametrize("i", range(len(FORMS)))
def test_forms_match_numpy_fft(fake, i):
    ours, theirs, a = FORMS[i]
    np.testing.assert_allclose(ours(Tensor(a)).asnumpy(), theirs(a), rtol=1e-10, atol=1e-12)


def test_dtypes_follow_mindspore(fake):
    """As MindSpore 2.10 (checked in its venv): fft of int32 / float32 -> complex64, of float64 -> complex128;
    irfft of a float32 half spectrum -> float32 with 2 (m - 1) points."""
    assert ops.fft(Tensor(np.arange(6, dtype=np.int32))).dtype == gs.complex64
    assert ops.rfft(Tensor(X.astype(np.float32))).dtype == gs.complex64
    assert ops.fft(Tensor(X)).dtype == gs.complex128
    y = ops.irfft(ops.rfft(Tensor(X.astype(np.float32))))
    assert y.dtype == gs.float32 and y.shape == (3, 6)


def test_gradient_of_a_spectral_filter_matches_torch(fake):
    w = RNG.standard_normal((3, 4))

    def f(x, w):
        return ops.sum(ops.irfft(ops.rfft(x, norm="ortho") * ops.complex(w, w * 0.5), n=6, norm="ortho") ** 2)
    gx, gw = gs.grad(f, (0, 1))(Tensor(X), Tensor(w))
    tx, tw = torch.tensor(X, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = torch.fft.irfft(torch.fft.rfft(tx, norm="ortho") * torch.complex(tw, tw * 0.5), n=6, norm="ortho")
    (y ** 2).sum().backward()
    np.testing.assert_allclose(gx.asnumpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw.asnumpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call,err,match", [
    (lambda: ops.fft(Tensor(X), norm="none"), ValueError, "For 'fft', 'norm'"),
    (lambda: ops.fft(Tensor(X), dim=2), ValueError, "For 'fft', 'dim' 2 is out of range"),
    (lambda: ops.rfft(Tensor(Z)), TypeError, "For 'rfft', the 'input' must be real"),
    (lambda: ops.fft2(Tensor(X), s=(3,)), ValueError, "'s' .* and 'dim' .* same length"),
    (lambda: ops.irfft(Tensor(X), n=0), ValueError, "positive integers"),
    (lambda: ops.fft(X), TypeError, "must be a Tensor"),
])
def test_bad_arguments_are_refused(fake, call, err, match):
    with pytest.raises(err, match=match):
        call()
