"""mint's random draws (PyTorch's signatures): rand / randn / randint / randperm / normal / bernoulli /
multinomial and the *_like forms, over ops' draws (numpy's generator; only the laws, shapes, dtypes and argument
rules are MindSpore's: its CPU has no kernel for them, "Create kernelmod for op InplaceUniform failed", "The
kernel RandpermExt / NormalTensorTensor / BernoulliExt / MultinomialExt unregistered.")."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtype as _dt
from .. import ops as _ops
from .._tensor import Tensor
from ..ops._random_draws import _multinomial
from ._torchlike import _size


def _float_dtype(dtype, where: str):
    name = _dt.to_name(dtype or _dt.float32)
    if not name.startswith(("float", "bfloat")):
        raise TypeError(f"For '{where}', the 'dtype' must be a float type, but got {_dt.get(name)}.")
    return name


def rand(*size, generator=None, dtype=None, device=None):
    """uniform draws in [0, 1) of shape size (float32 unless dtype, a float type)."""
    return _ops.rand(*_size(size, "rand"), dtype=_float_dtype(dtype, "rand"))


def randn(*size, generator=None, dtype=None, device=None):
    """standard normal draws of shape size (float32 unless dtype, a float type)."""
    return _ops.randn(*_size(size, "randn"), dtype=_float_dtype(dtype, "randn"))


def rand_like(input, *, dtype=None, device=None):  # noqa: A002
    """rand in input's shape and dtype (or dtype), a float type."""
    return rand(*input.shape, dtype=_float_dtype(dtype or input.dtype, "rand_like_ext"))


def randn_like(input, *, dtype=None, device=None):  # noqa: A002
    """randn in input's shape and dtype (or dtype), a float type."""
    return randn(*input.shape, dtype=_float_dtype(dtype or input.dtype, "randn_like_ext"))


def _randint(low, high, size, dtype, where: str):
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"For '{where}', '{name}' must be an int, but got {v!r}.")
    if low >= high:
        raise ValueError(f"For '{where}', 'low' must be less than 'high', but got low {low} and high {high}.")
    return _ops.randint(low, high, _size((size,), where), dtype=dtype or _dt.int64)


def randint(*args, generator=None, dtype=None, device=None):
    """randint(high, size) / randint(low, high, size): integers in [low, high) (low 0), int64 unless dtype."""
    if len(args) not in (2, 3):
        raise TypeError(f"randint() takes (high, size) or (low, high, size), but got {len(args)} arguments.")
    low, high, size = (0, *args) if len(args) == 2 else args
    return _randint(low, high, size, dtype, "randint")


def randint_like(input, *args, dtype=None, device=None):  # noqa: A002
    """randint_like(input, high) / (input, low, high): randint in input's shape and dtype (or dtype)."""
    if len(args) not in (1, 2):
        raise TypeError(f"randint_like() takes (input, high) or (input, low, high), but got {len(args) + 1} "
                        f"arguments.")
    low, high = (0, *args) if len(args) == 1 else args
    return _randint(low, high, tuple(input.shape), dtype or input.dtype, "randint_like")


def randperm(n, *, generator=None, dtype=_dt.int64):
    """0..n-1 in a random order, int64 unless dtype."""
    if isinstance(n, int) and not isinstance(n, bool) and n < 0:
        raise ValueError(f"For 'RandpermExt', the input 'n' must be >= 0, but got data: {n}.")
    return _ops.randperm(n, dtype=dtype)


def normal(mean=0.0, std=1.0, size=None, generator=None):
    """normal draws with mean and std (Tensors broadcast together, or numbers with size); the dtype is the
    Tensors' (float32 for numbers)."""
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("For 'normal', 'size' must be given when 'mean' and 'std' are numbers.")
        if std < 0:
            raise ValueError(f"For primitive[NormalFloatFloat], the std must be greater than or equal to 0, but "
                             f"got {std}.")
        return _ops.add(_ops.mul(_ops.randn(*_size((size,), "normal")), float(std)), float(mean))
    if not isinstance(std, Tensor) and std < 0:
        raise ValueError(f"For primitive[NormalTensorFloat], the std must be greater than or equal to 0, but got "
                         f"{std}.")
    kind = _float_dtype(tensors[0].dtype, "normal")
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return _ops.add(_ops.mul(_ops.randn(*shape, dtype=kind), std), mean)


def bernoulli(input, *, generator=None):  # noqa: A002
    """0 / 1 draws in input's shape and dtype (a float type), each 1 with the probability input holds there."""
    if _float_dtype(input.dtype, "bernoulli") in ("float32", "float64"):
        return _ops.bernoulli(input, input)
    p: Any = _ops.cast(input, "float32")  # (ops.bernoulli takes float32 / float64 only; its p: a Tensor too)
    return _ops.cast(_ops.bernoulli(p, p), input.dtype)


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002
    """int64 class indices drawn per row of input's (1-d or 2-d) weights; without replacement (the default)
    num_samples at most the number of classes."""
    if len(input.shape) not in (1, 2):
        raise ValueError(f"For 'multinomial', the input must be 1-D or 2-D, but got {len(input.shape)}-D.")
    return _multinomial(input, num_samples, bool(replacement), None, "int64", "multinomial")
