"""ops.bernoulli(input, p=0.5, seed=None), MindSpore 2.x's: 0 / 1 draws, each 1 with probability p (a float, or a
float32 / float64 Tensor of input's shape or of one element), in input's shape and dtype. Drawn as the other random
ops (ops/_random_draws.py): numpy's generator, per run inside a construct; a seed (not None, 0 or -1) gives the
call its own generator, so the same seed draws the same values, as MindSpore 2.10 did when checked; MindSpore's
own bits are not reproduced, only the law and the argument rules (its error classes and messages, checked in
MindSpore 2.10's venv). No gradient flows to input or p (MindSpore gives input zeros)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._misc import random_ops_generator
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from .._trace import current
from ._random_draws import _generator, _out

__all__ = ["bernoulli"]

_INPUT_DTYPES = ("bool", "float32", "float64", "int16", "int32", "int64", "int8", "uint8")  # (its TypeError's order)


def _check_p(p, x):
    """p as a float, or a Tensor MindSpore accepts."""
    if isinstance(p, float):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"For bernoulli, p should be in [0, 1], but got {p}.")
        return p
    if isinstance(p, int) and not isinstance(p, bool):  # (MindSpore 2.10's ops.bernoulli makes an int a Tensor)
        raise input_dtype_error("Bernoulli", "p", ("float32", "float64"), "Tensor[Int64]")
    if not isinstance(p, Tensor):
        raise TypeError(f"For primitive[Bernoulli], the input argument[p] must be a float or a Tensor of float32 / "
                        f"float64, but got {type(p).__name__}.")
    if p._dtype not in ("float32", "float64"):
        raise input_dtype_error("Bernoulli", "p", ("float32", "float64"), tensor_type(p))
    if tuple(p.shape) != tuple(x.shape) and int(np.prod(p.shape)) != 1:
        raise ValueError(f"For 'Bernoulli', 'x' and 'p' should have same shape or 'p' have a size of 1, but got "
                         f"x {list(x.shape)} and p {list(p.shape)}.")
    if current() is None:
        values = p._concrete("bernoulli's p")
        if ((values < 0) | (values > 1)).any():
            bad = values[(values < 0) | (values > 1)].ravel()[0]
            raise ValueError(f"For bernoulli, p should be in [0, 1], but got {bad}.")
    return late.ops.reshape(p, ()) if tuple(p.shape) != tuple(x.shape) else p


def bernoulli(input, p=0.5, seed=None):  # noqa: A002 - MindSpore's names
    """ops.bernoulli(input, p=0.5, seed=None): see the module's doc."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'bernoulli', 'input' must be a Tensor, but got {type(input).__name__}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"For 'bernoulli', the type of 'seed' must be 'int', but got '{type(seed).__name__}'.")
    return draw(input, p, _generator([seed], repeats=True) if seed is not None and seed > 0 else None)


def draw(input, p, rng):  # noqa: A002 - MindSpore's names
    """The 0 / 1 draws for a Tensor input (the seed checked by the caller) from rng, or from the shared generator
    when None (also ops.Bernoulli's, whose op holds its own generator)."""
    if input._dtype not in _INPUT_DTYPES:
        raise input_dtype_error("Bernoulli", "x", _INPUT_DTYPES, tensor_type(input))
    prob = _check_p(p, input)
    shape = tuple(input.shape)
    u = _out(lambda: (rng or random_ops_generator()).random(size=shape), shape, "float64", "bernoulli")
    o = late.ops
    below = o.less(u, prob if isinstance(prob, float) else o.cast(prob, "float64"))
    return o.cast(below, input._dtype)
