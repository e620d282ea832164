"""ops.fftshift / ops.ifftshift(input, dim=None): the zero-frequency term moved to the centre and back, a
roll by n // 2 (fftshift) or -(n // 2) (ifftshift) along each axis of dim (all axes when None), as
numpy.fft.fftshift / ifftshift. The derivative of one is the other (that of roll)."""
from __future__ import annotations

from .._tensor import Tensor
from ._movement_ms import roll

__all__ = ["fftshift", "ifftshift"]


def _shift(x, dim, sign: int, where: str):
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', the 'input' must be a Tensor, got {type(x).__name__}")
    if dim is None:
        dims = list(range(x.ndim))
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
        for d in dims:
            if isinstance(d, bool) or not isinstance(d, int) or not -x.ndim <= d < max(x.ndim, 1):
                raise ValueError(f"For '{where}', 'dim' {dim!r} is out of range for an input of rank {x.ndim}")
    if not dims or x.ndim == 0:
        return x
    shifts = [sign * (x.shape[d] // 2) for d in dims]
    return roll(x, shifts, dims)


def fftshift(input, dim=None):  # noqa: A002 - MindSpore's names
    return _shift(input, dim, 1, "fftshift")


def ifftshift(input, dim=None):  # noqa: A002
    return _shift(input, dim, -1, "ifftshift")
