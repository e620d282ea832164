"""The Fourier transform ops (engine/ops/fft.py) against independent references: values against numpy.fft on
each backend (numpy, torch, array-api-strict), gradients against torch autograd (a spectral layer: rfft2,
complex weights, irfft2), dtypes kept (float32 -> complex64 -> float32), and bad operands refused with a
shape error that names the op. Derivatives of every order against finite differences are in the op table
(tests/engine/_optable_fft.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import Engine, GraphBuilder, ShapeError, transforms

RNG = np.random.default_rng(11)


def _c(shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def _run(build, args, backend="numpy"):
    gb = GraphBuilder("f")
    ins = [gb.input(a.shape, a.dtype.name) for a in args]
    return Engine(backend).run(gb.build(build(gb, *ins)), list(args))


CASES = [  # (op, attrs, input, numpy's answer)
    ("fft", {"axes": (1,)}, _c((3, 5)), lambda x: np.fft.fft(x, axis=1)),
    ("fft", {"axes": (0, 2), "inverse": True, "norm": "ortho"}, _c((4, 2, 6)),
     lambda x: np.fft.ifftn(x, axes=(0, 2), norm="ortho")),
    ("fft", {"axes": (-1, 0), "norm": "forward"}, _c((3, 4)), lambda x: np.fft.fftn(x, axes=(-1, 0), norm="forward")),
    ("rfft", {"axes": (1,)}, RNG.standard_normal((2, 7)), lambda x: np.fft.rfft(x, axis=1)),
    ("rfft", {"axes": (2, 0), "norm": "ortho"}, RNG.standard_normal((4, 3, 6)),
     lambda x: np.fft.rfftn(x, axes=(2, 0), norm="ortho")),
    ("irfft", {"axes": (1,), "n": 8}, _c((2, 5)), lambda x: np.fft.irfft(x, n=8, axis=1)),
    ("irfft", {"axes": (0, 1), "n": 5, "norm": "forward"}, _c((3, 3)),
     lambda x: np.fft.irfftn(x, s=(3, 5), axes=(0, 1), norm="forward")),
]


@pytest.mark.parametrize("backend", ["numpy", "torch", "array_api_strict"])
@pytest.mark.parametrize("op,attrs,x,want", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_values_match_numpy_fft(backend, op, attrs, x, want):
    got = _run(lambda gb, v: gb.emit1(op, v, **attrs), [x], backend)
    np.testing.assert_allclose(got, want(x), rtol=1e-12, atol=1e-12)


def test_single_precision_stays_single():
    x = RNG.standard_normal((4, 6)).astype(np.float32)
    spec = _run(lambda gb, v: gb.rfft(v, axes=(1,)), [x])
    back = _run(lambda gb, v: gb.irfft(gb.fft(gb.rfft(v, axes=(1,)), axes=(0,)), axes=(1,), n=6), [x])
    assert spec.dtype == np.complex64 and back.dtype == np.float32
    np.testing.assert_allclose(spec, np.fft.rfft(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(back, np.fft.irfft(np.fft.fft(np.fft.rfft(x), axis=0), n=6), rtol=1e-5, atol=1e-4)


def test_spectral_layer_gradients_match_torch_autograd():
    """An FNO layer's core: rfft2, the lowest modes times complex weights, irfft2; d/dx and d/dweights of a
    weighted sum against torch autograd (complex weights as real and imaginary parts)."""
    x, wr, wi, dout = (RNG.standard_normal(s) for s in ((2, 6, 8), (3, 5), (3, 5), (2, 6, 8)))

    def layer(gb, x, wr, wi, dout):
        spec = gb.rfft(x, axes=(1, 2), norm="ortho")
        low = gb.index(spec, index=[[0, 2, 1], [0, 3, 1], [0, 5, 1]])
        mixed = gb.mul(low, gb.complex(wr, wi))
        full = gb.pad(mixed, pads=((0, 0), (0, 3), (0, 0)))
        return gb.sum(gb.mul(gb.irfft(full, axes=(1, 2), n=8, norm="ortho"), dout))

    gb = GraphBuilder("fno")
    ins = [gb.input(a.shape, "float64") for a in (x, wr, wi, dout)]
    g = transforms.grad(gb.build(layer(gb, *ins)), (0, 1, 2))
    got = Engine("numpy").run(g, [x, wr, wi, dout])

    tx, twr, twi = (torch.tensor(a, requires_grad=True) for a in (x, wr, wi))
    spec = torch.fft.rfft2(tx, norm="ortho")[:, :3, :5] * torch.complex(twr, twi)
    y = torch.fft.irfft2(torch.nn.functional.pad(spec, (0, 0, 0, 3)), s=(6, 8), norm="ortho")
    (y * torch.tensor(dout)).sum().backward()
    for a, t in zip(got, (tx, twr, twi)):
        np.testing.assert_allclose(a, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n", [6, 7])
def test_irfft_gradient_matches_torch_including_dc_and_nyquist(n):
    """The DC (and, n even, the Nyquist) term counts once, the others twice; their imaginary parts none."""
    z = _c((3, n // 2 + 1))
    dout = RNG.standard_normal((3, n))
    gb = GraphBuilder("f")
    re, im = gb.input(z.shape, "float64"), gb.input(z.shape, "float64")
    y = gb.irfft(gb.complex(re, im), axes=(1,), n=n)
    got = Engine("numpy").run(transforms.grad(gb.build(gb.sum(gb.mul(y, gb.const(dout)))), (0, 1)), [z.real, z.imag])
    t = torch.tensor(z, requires_grad=True)
    (torch.fft.irfft(t, n=n) * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(got[0] + 1j * got[1], t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("build,match", [
    (lambda gb: gb.fft(gb.input((2, 3), "float64"), axes=(1,)), "fft: needs a complex operand"),
    (lambda gb: gb.rfft(gb.input((2, 3), "complex64"), axes=(1,)), "rfft: not defined for complex operands"),
    (lambda gb: gb.rfft(gb.input((2, 0), "float32"), axes=(1,)), "axis 1 .* is empty"),
    (lambda gb: gb.rfft(gb.input((2, 3), "float16"), axes=(1,)), "rfft: needs a float32 or float64 operand"),
    (lambda gb: gb.fft(gb.input((2, 3), "complex64"), axes=(1, -1)), "distinct axes"),
    (lambda gb: gb.fft(gb.input((2, 3), "complex64"), axes=(2,)), "axis 2 out of range"),
    (lambda gb: gb.fft(gb.input((2, 3), "complex64"), axes=(1,), norm="none"), "norm must be"),
    (lambda gb: gb.irfft(gb.input((2, 3), "complex128"), axes=(1,), n=6), r"n=6 output points need .* = 4 input"),
])
def test_bad_operands_are_refused_naming_the_op(build, match):
    with pytest.raises(ShapeError, match=match):
        build(GraphBuilder("f"))
