"""The importers' Fourier transforms on the engine's fft / rfft / irfft ops (engine/ops/fft.py), written once for
the ONNX, torch.export and JAX importers: lengths fitted by zero-padding or cropping (the engine's ops take none),
real / complex conversions, and ONNX's real form of a complex tensor (a trailing axis of 2: [re, im]).
Norms are numpy's names: 'backward' (1/n on the inverse), 'ortho', 'forward' (1/n on the forward transform)."""
from __future__ import annotations

from .graph_writer import UnsupportedModel

COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}
REAL_OF = {"complex64": "float32", "complex128": "float64"}


def real_dtype(w, x) -> str:
    dt = w.dtype(x)
    if dt in REAL_OF:
        return REAL_OF[dt]
    if dt not in COMPLEX_OF:
        raise UnsupportedModel(f"a Fourier transform of a {dt} tensor (float32 / float64 and complex only)")
    return dt


def as_complex(w, x) -> str:
    return x if w.dtype(x) in REAL_OF else w.cast(x, COMPLEX_OF[real_dtype(w, x)])


def fit(w, x, axes, lengths) -> str:
    """x zero-padded or cropped at the end of each axis axes[i] to lengths[i]."""
    shape = w.shape(x)
    pads = [[0, 0] for _ in shape]
    for a, n in zip(axes, lengths):
        pads[a][1] = int(n) - shape[a]
    if not any(p[1] for p in pads):
        return x
    out = [d + p[1] for d, p in zip(shape, pads)]
    return w.emit1("pad", [x], {"pads": pads}, out, w.dtype(x))


def _axes(w, x, axes) -> list[int]:
    nd = len(w.shape(x))
    out = [int(a) % nd for a in axes]
    if not out or len(set(out)) != len(out):
        raise UnsupportedModel(f"a Fourier transform over axes {list(axes)} (one or more distinct axes)")
    return out


def c2c(w, x, axes, *, inverse: bool = False, norm: str = "backward", lengths=None) -> str:
    x = as_complex(w, x)
    axes = _axes(w, x, axes)
    if lengths is not None:
        x = fit(w, x, axes, lengths)
    return w.emit1("fft", [x], {"axes": axes, "inverse": inverse, "norm": norm}, w.shape(x), w.dtype(x))


def r2c(w, x, axes, *, norm: str = "backward", lengths=None, onesided: bool = True) -> str:
    """The spectrum of a real tensor: the half spectrum (n // 2 + 1 points on the last axis) or, not onesided,
    the full one (the complex transform of x)."""
    if w.dtype(x) in REAL_OF:
        raise UnsupportedModel("a real-to-complex Fourier transform of a complex tensor")
    if not onesided:
        return c2c(w, x, axes, norm=norm, lengths=lengths)
    dt = real_dtype(w, x)
    axes = _axes(w, x, axes)
    if lengths is not None:
        x = fit(w, x, axes, lengths)
    shape = list(w.shape(x))
    shape[axes[-1]] = shape[axes[-1]] // 2 + 1
    return w.emit1("rfft", [x], {"axes": axes, "norm": norm}, shape, COMPLEX_OF[dt])


def c2r(w, x, axes, n: int, *, norm: str = "backward", lengths=None) -> str:
    """n real points on the last axis from a half spectrum (cropped or zero-padded to n // 2 + 1 points); the
    other axes' lengths: `lengths` (numpy's s less its last) or as they are."""
    x = as_complex(w, x)
    axes = _axes(w, x, axes)
    if n < 1:
        raise UnsupportedModel(f"an inverse real Fourier transform to {n} points")
    sizes = list(lengths) if lengths is not None else [w.shape(x)[a] for a in axes[:-1]]
    x = fit(w, x, axes, sizes + [n // 2 + 1])
    shape = list(w.shape(x))
    shape[axes[-1]] = n
    return w.emit1("irfft", [x], {"axes": axes, "n": int(n), "norm": norm}, shape, REAL_OF[w.dtype(x)])


def complex_of_pairs(w, x) -> str:
    """[..., 2] real (re, im) -> [...] complex; [..., 1] (ONNX DFT's real signal) -> [...] real."""
    shape = w.shape(x)
    if not shape or shape[-1] not in (1, 2):
        raise UnsupportedModel(f"a complex tensor as real pairs needs a last axis of 1 or 2, got {list(shape)}")
    nd = len(shape)
    parts = [w.index(x, [[None, None, None]] * (nd - 1) + [k]) for k in range(shape[-1])]
    if len(parts) == 1:
        return parts[0]
    return w.emit1("complex", parts, {}, shape[:-1], COMPLEX_OF[real_dtype(w, parts[0])])


def pairs_of_complex(w, z) -> str:
    """[...] complex -> [..., 2] real (re, im): ONNX's form, torch's view_as_real."""
    dt = REAL_OF[w.dtype(z)]
    parts = [w.emit1(op, [z], {}, w.shape(z), dt) for op in ("real", "imag")]
    return w.stack(parts, -1)
