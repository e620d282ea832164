"""MindSpore's FFT functions (mindspore.ops.fft, ifft, fft2, ifft2, fftn, ifftn, rfft, irfft, rfft2, irfft2, rfftn,
irfftn, hfft, ihfft, hfft2, ihfft2, hfftn, ihfftn) on the engine's fft / rfft / irfft ops, with MindSpore 2.10's signatures and dtypes: a real
or integer input of fft is made complex (integers, bool and float16 as float32); n / s pad with zeros or crop
each transformed axis first (the engine's ops take no lengths); norm None is 'backward'. irfft's default
length is 2 (m - 1) on the last axis; hfft / ihfft are irfft / rfft of the conjugate with the dual norm, as
numpy.fft (and the 2-D / n-D forms likewise, as torch.fft). The derivatives are the engine's (engine/ops/fft.py)."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn"]

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm, where: str) -> str:
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise ValueError(f"For '{where}', 'norm' must be None, 'backward', 'forward' or 'ortho', got {norm!r}")
    return norm


def _tensor(x, where: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', the 'input' must be a Tensor, but got {type(x).__name__}")
    return x


def _dt(x) -> str:
    return str(x.dtype).lower()


def _real(x) -> Tensor:
    """float32 / float64 as they are; other real dtypes (ints, bool, float16) as float32 (MindSpore 2.10)."""
    return x if _dt(x) in ("float32", "float64") else P.cast(x, "float32")


def _complex(x) -> Tensor:
    if _dt(x) in ("complex64", "complex128"):
        return x
    x = _real(x)
    return P.cast(x, "complex128" if _dt(x) == "float64" else "complex64")


def _dims(x, s, dim, where: str, default) -> list[int]:
    """The transformed axes, non-negative: dim; else the last len(s) axes; else `default` (None: all)."""
    if dim is None:
        dim = list(range(x.ndim - len(s), x.ndim)) if s is not None else default
        if dim is None:
            dim = list(range(x.ndim))
    dims = [dim] if isinstance(dim, int) else list(dim)
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int) or not -x.ndim <= d < x.ndim:
            raise ValueError(f"For '{where}', 'dim' {d!r} is out of range for an input of rank {x.ndim}")
        out.append(d % x.ndim)
    if not out or len(set(out)) != len(out):
        raise ValueError(f"For '{where}', 'dim' must name one or more distinct axes, got {dim!r}")
    if s is not None and len(s) != len(out):
        raise ValueError(f"For '{where}', 's' {s!r} and 'dim' {dim!r} must have the same length")
    return out


def _sizes(s, where: str) -> list[int] | None:
    if s is None:
        return None
    s = [s] if isinstance(s, int) else list(s)
    for n in s:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"For '{where}', the lengths 'n' / 's' must be positive integers, got {n!r}")
    return s


def _fit(x, dims, lengths) -> Tensor:
    """x zero-padded or cropped at the end of each axis dims[i] to lengths[i]."""
    pads = [[0, 0] for _ in range(x.ndim)]
    for d, n in zip(dims, lengths):
        pads[d][1] = n - x.shape[d]
    return P.pad(x, pads=pads) if any(p[1] for p in pads) else x


def _c2c(input, s, dim, norm, inverse: bool, where: str, default=None):  # noqa: A002 - MindSpore's names
    x = _complex(_tensor(input, where))
    s = _sizes(s, where)
    dims = _dims(x, s, dim, where, default)
    if s is not None:
        x = _fit(x, dims, s)
    return P.fft(x, axes=dims, inverse=inverse, norm=_norm(norm, where))


def _r2c(input, s, dim, norm, where: str, default=None):  # noqa: A002
    x = _tensor(input, where)
    if _dt(x) in ("complex64", "complex128"):
        raise TypeError(f"For '{where}', the 'input' must be real, but got {x.dtype}")
    x = _real(x)
    s = _sizes(s, where)
    dims = _dims(x, s, dim, where, default)
    if s is not None:
        x = _fit(x, dims, s)
    return P.rfft(x, axes=dims, norm=_norm(norm, where))


def _c2r(input, s, dim, norm, where: str, default=None):  # noqa: A002
    x = _complex(_tensor(input, where))
    s = _sizes(s, where)
    dims = _dims(x, s, dim, where, default)
    if s is None:
        s = [x.shape[d] for d in dims[:-1]] + [2 * (x.shape[dims[-1]] - 1)]
        if s[-1] < 1:
            raise ValueError(f"For '{where}', an axis of {x.shape[dims[-1]]} point(s) gives no output length; pass n")
    x = _fit(x, dims, s[:-1] + [s[-1] // 2 + 1])
    return P.irfft(x, axes=dims, n=s[-1], norm=_norm(norm, where))


def _one(n):
    return None if n is None else [n]


def fft(input, n=None, dim=-1, norm=None):  # noqa: A002
    return _c2c(input, _one(n), [dim], norm, False, "fft")


def ifft(input, n=None, dim=-1, norm=None):  # noqa: A002
    return _c2c(input, _one(n), [dim], norm, True, "ifft")


def fft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    return _c2c(input, s, dim, norm, False, "fft2")


def ifft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    return _c2c(input, s, dim, norm, True, "ifft2")


def fftn(input, s=None, dim=None, norm=None):  # noqa: A002
    return _c2c(input, s, dim, norm, False, "fftn")


def ifftn(input, s=None, dim=None, norm=None):  # noqa: A002
    return _c2c(input, s, dim, norm, True, "ifftn")


def rfft(input, n=None, dim=-1, norm=None):  # noqa: A002
    return _r2c(input, _one(n), [dim], norm, "rfft")


def irfft(input, n=None, dim=-1, norm=None):  # noqa: A002
    return _c2r(input, _one(n), [dim], norm, "irfft")


def rfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    return _r2c(input, s, dim, norm, "rfft2")


def irfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    return _c2r(input, s, dim, norm, "irfft2")


def rfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    return _r2c(input, s, dim, norm, "rfftn")


def irfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    return _c2r(input, s, dim, norm, "irfftn")


def _hermitian(input, s, dim, norm, where: str):  # noqa: A002
    """The real spectrum of a Hermitian-symmetric signal given by its first half: irfftn(conj(x)), dual norm."""
    x = _complex(_tensor(input, where))
    return _c2r(P.conj(x), s, dim, _DUAL[_norm(norm, where)], where)


def _hermitian_inverse(input, s, dim, norm, where: str):  # noqa: A002
    """The inverse of _hermitian: conj(rfftn(x)) with the dual norm."""
    return P.conj(_r2c(input, s, dim, _DUAL[_norm(norm, where)], where))


def hfft(input, n=None, dim=-1, norm=None):  # noqa: A002
    return _hermitian(input, _one(n), [dim], norm, "hfft")


def ihfft(input, n=None, dim=-1, norm=None):  # noqa: A002
    return _hermitian_inverse(input, _one(n), [dim], norm, "ihfft")


def hfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    return _hermitian(input, s, dim, norm, "hfft2")


def ihfft2(input, s=None, dim=(-2, -1), norm=None):  # noqa: A002
    return _hermitian_inverse(input, s, dim, norm, "ihfft2")


def hfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    return _hermitian(input, s, dim, norm, "hfftn")


def ihfftn(input, s=None, dim=None, norm=None):  # noqa: A002
    return _hermitian_inverse(input, s, dim, norm, "ihfftn")
