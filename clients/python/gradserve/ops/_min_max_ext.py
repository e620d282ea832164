"""MindSpore 2.10's min_ext / max_ext (`ops.function.array_func`, mint.min / mint.max's forms): with no dim the
extremum of all elements (a Tensor); with dim, ops.min / ops.max's (values, int64 indices) along it, the first
extremum taking the gradient."""
from __future__ import annotations

from ._reduce_ms import _extremum_with_index

__all__ = ["min_ext", "max_ext"]


def _ext(input, dim, keepdim, red: str, arg: str):  # noqa: A002 - MindSpore's names
    if dim is None:
        return _extremum_with_index(input, None, False, red, arg)[0]
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"For '{red}_ext', 'dim' must be an int or None, got {type(dim).__name__}")
    return _extremum_with_index(input, dim, bool(keepdim), red, arg)


def min_ext(input, dim=None, keepdim=False):  # noqa: A002
    return _ext(input, dim, keepdim, "min", "argmin")


def max_ext(input, dim=None, keepdim=False):  # noqa: A002
    return _ext(input, dim, keepdim, "max", "argmax")
