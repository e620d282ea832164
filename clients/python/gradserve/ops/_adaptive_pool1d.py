"""ops.adaptive_max_pool1d(input, output_size, return_indices=False) and ops.adaptive_avg_pool1d(input,
output_size) over the last axis of (N, C, L) or (C, L): output i is the max / mean of
input[..., floor(i L / out) : ceil((i + 1) L / out)] (MindSpore 2.10's documented windows, those of torch);
indices (int64) are positions along L. One slice and reduction per output position, so the derivative is
that of max (to the first maximum of a window, as MindSpore's kernel) / mean."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P
from ._reduce_ms import _first_extremum

__all__ = ["adaptive_max_pool1d", "adaptive_avg_pool1d"]


def _windows(x, output_size, where: str) -> list[tuple[int, int]]:
    if not isinstance(x, Tensor) or x.ndim not in (2, 3):
        raise ValueError(f"For '{where}', the input must be a 2-D or 3-D Tensor, got "
                         f"{list(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    if isinstance(output_size, bool) or not isinstance(output_size, int) or output_size < 1:
        raise ValueError(f"For '{where}', 'output_size' must be an int >= 1, got {output_size!r}")
    n = x.shape[-1]
    return [((i * n) // output_size, -((-(i + 1) * n) // output_size)) for i in range(output_size)]


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002 - MindSpore's names
    spans = _windows(input, output_size, "adaptive_max_pool1d")
    # the first maximum of a window gets its gradient (MindSpore's kernel and its indices; amax would split ties)
    firsts = [_first_extremum(input[..., lo:hi], -1, False, "argmax") for lo, hi in spans]
    values = P.stack([v for v, _ in firsts], -1)
    if not return_indices:
        return values
    return values, P.stack([P.add(P.cast(i, "int64"), lo) for (_, i), (lo, _hi) in zip(firsts, spans)], -1)


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    if isinstance(input, Tensor) and input._dtype not in ("float16", "float32"):  # (MindSpore 2.10's check)
        raise TypeError(f"For adaptive_avg_pool1d, the input dtype must be float16 or float32, but got "
                        f"{input.dtype}.")
    return mean_windows(input, output_size)


def mean_windows(input, output_size, where: str = "adaptive_avg_pool1d"):  # noqa: A002
    """The means over the last axis, any dtype (adaptive_avg_pool2d's steps: it takes float64 too)."""
    spans = _windows(input, output_size, where)
    return P.stack([P.mean(input[..., lo:hi], -1) for lo, hi in spans], -1)
