"""Cutting and widening a tensor's shape: ops.tensor_split / hsplit / vsplit / dsplit (numpy.array_split's
chunks) and expand (broadcast_to with -1 keeping a size)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["tensor_split", "hsplit", "vsplit", "dsplit", "expand"]


def _chunk_bounds(n: int, indices_or_sections, where: str) -> list[tuple[int, int]]:
    """[(start, stop)] along an axis of size n, as numpy.array_split cuts it: an int is how many chunks
    (the first n % k one longer), a sequence the cut points (clipped to the axis; a cut before the last
    one gives an empty chunk)."""
    if isinstance(indices_or_sections, bool):
        raise TypeError(f"{where}: indices_or_sections must be an int or a sequence of ints, got a bool")
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError(f"{where}: the number of sections must be positive, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        starts = np.cumsum([0, *sizes]).tolist()
        return [(starts[i], starts[i + 1]) for i in range(k)]
    if not isinstance(indices_or_sections, (list, tuple)) or \
            not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in indices_or_sections):
        raise TypeError(f"{where}: indices_or_sections must be an int or a sequence of ints, "
                        f"got {indices_or_sections!r}")
    cuts = [0, *(int(i) for i in indices_or_sections), n]
    clip = [min(max(c + n if c < 0 else c, 0), n) for c in cuts]
    return [(clip[i], max(clip[i], clip[i + 1])) for i in range(len(clip) - 1)]


def tensor_split(input, indices_or_sections, axis=0):  # noqa: A002 - MindSpore's names
    """ops.tensor_split(input, indices_or_sections, axis=0): a tuple of chunks along axis (numpy.array_split)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"tensor_split: expected a Tensor, got {type(input).__name__}")
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -input.ndim <= axis < input.ndim:
        raise ValueError(f"tensor_split: axis {axis!r} is out of range for a {input.ndim}-D tensor")
    axis = int(axis) % input.ndim
    bounds = _chunk_bounds(int(input.shape[axis]), indices_or_sections, "tensor_split")
    lead = (slice(None),) * axis
    return tuple(input[(*lead, slice(a, b))] for a, b in bounds)


def _split_at(name: str, axis: int, min_ndim: int):
    def split(input, indices_or_sections):  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
        if input.ndim < min_ndim:
            raise ValueError(f"{name}: expects a tensor of at least {min_ndim} dimensions, got {input.ndim}")
        return tensor_split(input, indices_or_sections, axis)
    split.__name__ = name
    split.__doc__ = f"ops.{name}(input, indices_or_sections): tensor_split along axis {axis}."
    return split


# MindSpore 2.10's own checks: hsplit wants 2-D or more, vsplit 1-D or more, dsplit 3-D or more.
hsplit = _split_at("hsplit", 1, 2)
vsplit = _split_at("vsplit", 0, 1)
dsplit = _split_at("dsplit", 2, 3)


def expand(input_x, size):
    """input_x broadcast to size (a tuple, or a 1-D integer Tensor with its values); -1 keeps that size."""
    if isinstance(size, Tensor):
        a = size._value()
        if a is None:
            raise TypeError("expand: size must be a constant (a tuple, or a Tensor with values), not a traced value")
        size = tuple(int(n) for n in np.asarray(a).reshape(-1))
    size = tuple(int(n) for n in size)
    shape = tuple(input_x.shape)
    lead = len(size) - len(shape)
    if lead < 0:
        raise ValueError(f"expand: size {list(size)} has fewer axes than the input's shape {list(shape)}")
    want = tuple(shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(size))
    return P.broadcast_to(input_x, want)
