"""MindSpore 2.10 `ops` names that run on its CPU and gradserve lacked, round 3 (h-opsgap3): EditDistance
(ops/_edit_distance.py), ExtractGlimpse (ops/_extract_glimpse.py), and the random primitives' forms over gradserve's
draws (ops/_random_draws.py): choice_with_mask, Bernoulli, RandpermV2, UniformInt, laplace, normal. MindSpore's seeded
draws repeat across its runs, but its generator (Philox) is not reproduced: the values here follow the same laws and
shapes / dtypes / argument rules (classes and texts from MindSpore 2.10 CPU runs, /work/ms_suite_opsgap3/), not
MindSpore's bits."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._misc import random_ops_generator
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from . import _bernoulli
from ._edit_distance import EditDistance
from ._extract_glimpse import ExtractGlimpse
from ._random_draws import _generator, _out, _perm_count, _seed, _seeded, _shape_from_tensor
from ._random_picks import RandomChoiceWithMask

__all__ = ["EditDistance", "ExtractGlimpse", "choice_with_mask", "Bernoulli", "RandpermV2", "UniformInt", "laplace",
           "normal"]


def choice_with_mask(input_x, count=256, seed=None):
    """ops.choice_with_mask: RandomChoiceWithMask(count, seed)(input_x) (int32 coordinates [count, rank], bool mask)."""
    if not isinstance(input_x, Tensor) or input_x._dtype != "bool":
        got = f"Tensor[{input_x.dtype}]" if isinstance(input_x, Tensor) else type(input_x).__name__
        raise input_dtype_error("RandomChoiceWithMask", "input_x", ("bool",), got)
    if not 1 <= input_x.ndim <= 5:
        raise ValueError(f"For 'RandomChoiceWithMask', input[0] rank should be between 1 and 5, but got:{input_x.ndim}")
    if seed is not None and not isinstance(seed, bool) and isinstance(seed, int) and seed < 0:
        raise ValueError(f"For 'choice_with_mask', the 'seed' must be int and must >= 0, but got '{seed}' with type "
                         f"'int'.")
    op = RandomChoiceWithMask(count)
    op._rng = _seeded("choice_with_mask", [seed])  # (its seed's one generator, advancing per call: MindSpore 2.10's)
    return op(input_x)


def _int_seed(where: str, name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"For '{where}', the type of '{name}' should be 'int', but got type '{type(v).__name__}'.")
    return v


class Bernoulli:
    """ops.Bernoulli(seed=-1, offset=0)(x, p): ops.bernoulli's 0 / 1 draws in x's shape and dtype; a seed > 0 gives
    the op its own generator (one op draws anew on each call)."""

    def __init__(self, seed=-1, offset=0):
        self.seed, self.offset = _int_seed("Bernoulli", "seed", seed), _int_seed("Bernoulli", "offset", offset)
        self._rng = _generator([s for s in (seed, offset) if s > 0], repeats=True) if seed > 0 else None

    def __call__(self, x, p=0.5):
        if not isinstance(x, Tensor):
            raise TypeError(f"For 'Bernoulli', 'x' must be a Tensor, but got {type(x).__name__}.")
        if not isinstance(p, (float, Tensor)):  # (the primitive's own text: MindSpore 2.10, p=1 / p='a')
            got = {int: "Int64", str: "String", bool: "Bool"}.get(type(p), type(p).__name__)
            raise input_dtype_error("Bernoulli", "p", ("float32", "float64"), got, tensor_form=False)
        return _bernoulli.draw(x, p, self._rng)


_RANDPERM_OUT = ("float16", "float32", "float64", "int16", "int32", "int64", "int8", "uint8")


class RandpermV2:
    """ops.RandpermV2(seed=0, offset=0, dtype=int64)(n): 0..n-1 in a random order, n > 0 (an int or an int
    Tensor); seed -1 or 0 draws from the shared generator, a seed > 0 from the op's own."""

    def __init__(self, seed=0, offset=0, dtype=_dt.int64):
        self.seed, self.offset = _int_seed("RandpermV2", "seed", seed), _int_seed("RandpermV2", "offset", offset)
        name = _dt.to_name(dtype)
        if name not in _RANDPERM_OUT:
            raise input_dtype_error("RandpermV2", "dtype", _RANDPERM_OUT, str(dtype), tensor_form=False)
        self.dtype = name
        self._rng = _generator([s for s in (seed, offset) if s > 0], repeats=True) if seed > 0 else None

    def __call__(self, n):
        if self.seed < -1:
            raise ValueError(f"For 'RandpermV2', the input 'seed' must be greater than 0 or equal to 0 or -1, but got "
                             f"data: {self.seed}.")
        if isinstance(n, Tensor) and not n._dtype.startswith(("int", "uint")):
            raise TypeError(f"Can not convert Tensor(shape={list(n.shape)}, dtype={n.dtype}, value=...) to Int.")
        count = int(n._concrete("RandpermV2's n").reshape(-1)[0]) if isinstance(n, Tensor) else n
        if isinstance(count, int) and not isinstance(count, bool) and count <= 0:
            raise ValueError(f"For 'RandpermV2', the input 'n' must be greater than 0, but got data: {count}.")
        count = _perm_count(count, "RandpermV2")
        if self.dtype in ("int8", "uint8", "int16", "float16") and count - 1 > _largest(self.dtype):
            raise ValueError(f"For 'RandpermV2', the value of 'n' is {count}, it's too lagrge for input 'dtype'. ")
        rng = self._rng
        return _out(lambda: (rng or random_ops_generator()).permutation(count), (count,), self.dtype, "RandpermV2")


def _largest(dtype: str) -> int:
    """The largest value of the dtype (MindSpore 2.10 refuses n - 1 above it: int8 n=129, uint8 257, float16 70000;
    float16 3000 runs, its values rounded)."""
    return 65504 if dtype == "float16" else int(np.iinfo(dtype).max)


def _dims(shape, where: str) -> tuple:
    """shape: a tuple of ints >= 0, or a 1-D int Tensor (read as values)."""
    if isinstance(shape, Tensor):
        return _shape_from_tensor(shape, where)
    if isinstance(shape, tuple) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        return shape
    raise TypeError(f"For '{where}', 'shape' must be a tuple of ints >= 0 or a 1-D int Tensor, got {shape!r}")


class UniformInt:
    """ops.UniformInt(seed=0, seed2=0)(shape, minval, maxval): int32 draws uniform on [minval, maxval), both scalar
    int32 Tensors (read as values); a nonzero seed gives the op its own generator."""

    def __init__(self, seed=0, seed2=0):
        self.seed, self.seed2 = _seed(seed, "UniformInt"), _seed(seed2, "UniformInt")
        self._rng = _generator([self.seed, self.seed2])

    def __call__(self, shape, minval, maxval):
        for i, (name, v) in enumerate((("minval", minval), ("maxval", maxval)), 1):
            if not isinstance(v, Tensor):
                raise TypeError(f"For primitive[UniformInt], the input[{i}] should be a Tensor, but got "
                                f"{'Int64' if isinstance(v, int) else type(v).__name__}.")
            if v._dtype != "int32":
                raise input_dtype_error("UniformInt", name, ("int32",), tensor_type(v))
            if v.ndim != 0:
                raise ValueError(f"For UniformInt, the {name[:3]} value should be a scalar tensor, while the shape is: "
                                 f"({', '.join(str(d) for d in v.shape)})")
        dims = _dims(shape, "UniformInt")
        lo, hi = (int(v._concrete(f"UniformInt's {n}")) for n, v in (("minval", minval), ("maxval", maxval)))
        if lo >= hi:
            raise RuntimeError(f"For 'Random', invalid min/max values: ({lo}/{hi})")
        rng = self._rng
        return _out(lambda: (rng or random_ops_generator()).integers(lo, hi, size=dims), dims, "int32", "UniformInt")


def _located(shape, loc, scale, seed, where: str, law: str, out: str):
    """loc + scale * draws of `shape` from the generator's method `law`, broadcast with loc and scale (MindSpore
    2.10: the draws are of `shape`, then broadcast: rows repeat). The gradient reaches loc (ones) and scale (the
    draws), as MindSpore's."""
    dims = _dims(shape, where)
    rng = _seeded(where, [_seed(seed, where)])
    draws = _out(lambda: getattr(rng or random_ops_generator(), law)(size=dims), dims, out, where)
    o = late.ops
    return o.add(o.cast(loc, out), o.mul(o.cast(scale, out), draws))


def laplace(shape, mean, lambda_param, seed=None):
    """ops.laplace(shape, mean, lambda_param, seed=None): mean + lambda_param * standard Laplace draws, float32
    (mean and lambda_param float32 Tensors: MindSpore 2.10's checks and texts)."""
    for v in (mean, lambda_param):
        if not isinstance(v, Tensor):
            raise TypeError(f"For Primitive[Dtype], the input argument[input_x] must be a Tensor, CSRTensor or "
                            f"COOTensor, but got {type(v)}.")
        if v._dtype != "float32":
            raise TypeError(f"For 'laplace', the value data type 'Float32' is not consistent with assigned tensor "
                            f"data type {v.dtype}.")
    return _located(shape, mean, lambda_param, seed, "laplace", "laplace", "float32")


def normal(shape, mean, stddev, seed=None):
    """ops.normal(shape, mean, stddev, seed=None): mean + stddev * N(0, 1) draws; float64 when mean or stddev is a
    float64 Tensor, else float32 (Python numbers and int Tensors too: MindSpore 2.10)."""
    wide = any(isinstance(v, Tensor) and v._dtype == "float64" for v in (mean, stddev))
    loc, scale = (v if isinstance(v, Tensor) else Tensor(np.float32(v)) for v in (mean, stddev))
    return _located(shape, loc, scale, seed, "normal", "standard_normal", "float64" if wide else "float32")
