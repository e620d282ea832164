"""MindSpore 2.10 element-wise and matrix functions from its documented examples, composed of existing ops (so
the float ones are differentiable through the engine): approximate_equal, lcm (and Gcd), mul_no_nan, polar,
population_count, isreal, view_as_real, vector_norm, matrix_norm, matrix_power, and their primitives."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor
from .._calling_errors import input_dtype_error
from ._gcd_reverse_seq import euclid, gcd  # (the one definition; Gcd and lcm build on it)

__all__ = ["approximate_equal", "lcm", "mul_no_nan", "polar", "population_count", "isreal", "view_as_real",
           "vector_norm", "matrix_norm", "matrix_power", "ApproximateEqual", "Gcd", "Lcm", "MulNoNan", "Polar",
           "PopulationCount",
           "MatrixPower"]

def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def approximate_equal(input, other, tolerance=1e-5):  # noqa: A002 - MindSpore's names
    """|input - other| < tolerance (False for infinities and NaN), in the two inputs' promoted float dtype. MindSpore
    2.10's checks and texts: a float tolerance (an int or bool is its TypeError), float inputs of one shape (no
    broadcasting), rank below 8."""
    ops = late.ops
    if not isinstance(tolerance, float):
        raise TypeError("For 'ApproximateEqual', the type of 'tolerance' should be 'float', but got type "
                        f"'{type(tolerance).__name__}'.")
    x, y = _tensor(input), _tensor(other)
    for name, t in (("x1", x), ("x2", y)):
        if not _dt.is_float(t._dtype):
            raise TypeError(f"For primitive[ApproximateEqual], the input argument[{name}] must be a type of "
                            "{Tensor[Float16], Tensor[Float32], Tensor[Float64]}, but got "
                            f"Tensor[{_dt.get(t._dtype).name.capitalize()}].")
    if tuple(x.shape) != tuple(y.shape):
        raise RuntimeError("For 'ApproximateEqual', arg 'x1' must have the same shape as 'x2'. But got 'x1' shape: "
                           f"{_shape_text(x.shape)}, 'x2' shape: {_shape_text(y.shape)}.")
    if len(x.shape) >= 8:
        raise RuntimeError(f"For 'ApproximateEqual', the x's rank should be less than 8, but got: {len(x.shape)}")
    both = _dt.promote(x._dtype, y._dtype)
    work = both if _dt.is_float(both) else "float32"
    diff = ops.abs(ops.sub(ops.cast(x, work), ops.cast(y, work)))
    return ops.less(diff, Tensor(np.array(tolerance, work)))


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(int(d)) for d in shape) + ")"  # MindSpore's: (3) for one axis


def _check_integers(name: str, *xs) -> None:
    for x in xs:
        if np.dtype(x._dtype).kind not in "iu":
            raise TypeError(f"For '{name}', the inputs must be integer Tensors, but got {x.dtype}.")


def _lcm_operand(v, other):
    """A Python int or bool beside a Tensor takes that Tensor's dtype (MindSpore 2.10: lcm(int32 x, 4) is int32);
    a float is float32 (and so refused)."""
    if isinstance(v, Tensor):
        return v
    like = other._dtype if isinstance(other, Tensor) and isinstance(v, (int, np.integer)) else None
    return Tensor(np.asarray(v, like)) if like else _tensor(v)


def lcm(input, other):  # noqa: A002
    """The least common multiple, element-wise (non-negative; 0 if either is 0). As MindSpore 2.10: the two
    promoted to one dtype, which must be int32 or int64 (int8 / int16 / uint8 / bool / float refused)."""
    ops = late.ops
    a, b = _lcm_operand(input, other), _lcm_operand(other, input)
    dtype = _dt.promote(a._dtype, b._dtype)
    if dtype not in ("int32", "int64"):
        raise input_dtype_error("Lcm", "x1", ("int32", "int64"), f"Tensor[{_dt.get(dtype)}]")
    a, b = ops.cast(a, dtype), ops.cast(b, dtype)
    g = euclid(a, b)
    zero = Tensor(np.zeros((), dtype))
    safe = ops.select(ops.equal(g, zero), Tensor(np.ones((), dtype)), g)
    out = ops.abs(ops.mul(ops.floor_divide(a, safe), b))
    return ops.select(ops.equal(g, zero), zero, out)


def mul_no_nan(x, y):
    """x * y, but 0 where y is 0 (even where x is inf or NaN). As y times x, where y is 0 an x that is not finite
    read as 0: d/dx is y (0 there), d/dy is x (MindSpore's bprop: x * dout), 0 for such an x (MindSpore: inf)."""
    ops = late.ops
    x, y = _tensor(x), _tensor(y)
    shape = np.broadcast_shapes(tuple(x.shape), tuple(y.shape))
    x, y = ops.broadcast_to(x, shape), ops.broadcast_to(y, shape)
    at_zero = ops.logical_and(ops.equal(y, Tensor(np.zeros((), y._dtype))), ops.logical_not(ops.isfinite(x)))
    return ops.mul(ops.select(at_zero, ops.zeros_like(x), x), y)


def polar(abs, angle):  # noqa: A002 - MindSpore's name
    """abs * (cos(angle) + i sin(angle))."""
    ops = late.ops
    return ops.complex(ops.mul(abs, ops.cos(angle)), ops.mul(abs, ops.sin(angle)))


def population_count(input_x):
    """The number of set bits of each integer (two's complement), as uint8."""
    ops = late.ops
    x = _tensor(input_x)
    _check_integers("population_count", x)
    width = np.dtype(x._dtype).itemsize * 8
    zero = Tensor(np.zeros((), x._dtype))
    bits = [ops.cast(ops.not_equal(ops.bitwise_and(x, Tensor(np.array(1 << k).astype(x._dtype))), zero), "int32")
            for k in range(width)]
    return ops.cast(ops.sum(ops.stack(bits, -1), -1), "uint8")


def isreal(input):  # noqa: A002
    """Whether each element is real: a real dtype's all are; a complex one's where the imaginary part is 0."""
    x = _tensor(input)
    if np.dtype(x._dtype).kind != "c":
        return late.ops.fill(_dt.bool_, tuple(x.shape), True)
    return late.ops.equal(late.ops.imag(x), Tensor(np.zeros((), "float64" if x._dtype == "complex128" else "float32")))


def view_as_real(input):  # noqa: A002
    """A complex Tensor as its (real, imaginary) pairs along a new last axis."""
    x = _tensor(input)
    if np.dtype(x._dtype).kind != "c":
        raise TypeError(f"For 'view_as_real', the input must be a complex Tensor, but got {x.dtype}.")
    return late.ops.stack([late.ops.real(x), late.ops.imag(x)], -1)


def vector_norm(x, ord: float = 2, axis=None, keepdims=False, *, dtype=None):  # noqa: A002
    """The ord-norm of x's elements (all of them, or along axis: an int or a tuple): ops.norm's vector norms, of
    the flattened x when axis is None. MindSpore 2.10's keywords: axis / keepdims (mint.norm's are dim / keepdim)."""
    x = _tensor(x)
    if axis is None:
        out = late.ops.norm(late.ops.reshape(x, (-1,)), ord, 0, False, dtype=dtype)
        return late.ops.reshape(out, (1,) * len(x.shape)) if keepdims else out
    if isinstance(axis, (tuple, list)) and len(axis) > 1:  # ops.norm takes an axis pair as a matrix norm
        return _vector_norm_over(x, ord, axis, keepdims, dtype)
    return late.ops.norm(x, ord, axis, keepdims, dtype=dtype)


def _vector_norm_over(x, ord, dim, keepdim, dtype):  # noqa: A002
    """The vector norm over several axes: those moved last and merged into one."""
    rank = len(x.shape)
    axes = sorted({int(d) % rank for d in dim})
    rest = [a for a in range(rank) if a not in axes]
    moved = late.ops.transpose(x, tuple(rest + axes))
    merged = late.ops.reshape(moved, tuple(x.shape[a] for a in rest) + (-1,))
    out = late.ops.norm(merged, ord, -1, False, dtype=dtype)
    if keepdim:
        out = late.ops.reshape(out, tuple(1 if a in axes else x.shape[a] for a in range(rank)))
    return out


_MATRIX_ORDS = (2, -2, 1, -1, float("inf"), float("-inf"), "fro", "nuc")


def matrix_axes(axis, rank: int, name: str = "matrix_norm") -> tuple[int, int]:
    """MindSpore 2.10's checks of a matrix norm's axis pair (its texts): a list / tuple of two distinct axes of x."""
    if not isinstance(axis, (list, tuple)):
        raise TypeError(f"For {name} , the axis should be tuple of int, but got {type(axis)}")
    if len(axis) != 2:
        raise ValueError(f"For {name}, the length of axis should be 2, but got {len(axis)}.")
    if any(not -rank <= a < rank for a in axis):
        raise ValueError("For norm, the dim is out of range.")
    r, c = (int(a) % rank for a in axis)
    if r == c:
        raise ValueError(f"For {name}, the elements of axis can not be duplicate.")
    return r, c


def matrix_norm(A, ord: str | float = "fro", axis: tuple | list = (-2, -1), keepdims=False, *,  # noqa: A002, N803
                dtype=None):
    """The matrix norm of each plane over axis (MindSpore 2.10's ops.matrix_norm): 'fro', 'nuc', 2 / -2 (largest /
    smallest singular value), 1 / -1 (largest / smallest column sum of |x|), inf / -inf (row sums); ops.norm's own
    matrix norms over that pair."""
    x = _tensor(A)
    r, c = matrix_axes(axis, len(x.shape))
    if isinstance(ord, bool) or ord not in _MATRIX_ORDS:
        raise ValueError("For matrix_norm, the ord mode must be in [2, -2, 1, -1, float('inf'), float('-inf'), "
                         f"'fro', 'nuc'] but got {ord}.")
    return late.ops.norm(x, ord, (r, c), keepdims, dtype=dtype)


def matrix_power(input, n):  # noqa: A002
    """Each matrix (the last two axes) to the integer power n (by squaring; n < 0: of the inverse; n = 0: I)."""
    ops = late.ops
    x = _tensor(input)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"For 'matrix_power', 'n' must be an int, but got {type(n).__name__}.")
    if len(x.shape) < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"For 'matrix_power', the input must be square matrices (..., n, n), got {tuple(x.shape)}.")
    if n == 0:
        eye = ops.eye(x.shape[-1], x.shape[-1], x.dtype)
        return ops.broadcast_to(eye, tuple(x.shape))
    base, n = (ops.inverse(x), -n) if n < 0 else (x, n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else ops.matmul(result, base)
        n >>= 1
        if n:
            base = ops.matmul(base, base)
    return result


class ApproximateEqual:
    """ops.ApproximateEqual(tolerance=1e-5)(x, y)."""

    def __init__(self, tolerance=1e-5):
        self.tolerance = tolerance

    def __call__(self, x, y):
        return approximate_equal(x, y, self.tolerance)


class Gcd:
    """ops.Gcd()(input, other)."""

    def __call__(self, input, other):  # noqa: A002 - MindSpore's names
        return gcd(input, other)


class Lcm:
    """ops.Lcm()(x1, x2)."""

    def __call__(self, x1, x2):
        return lcm(x1, x2)


class MulNoNan:
    """ops.MulNoNan()(x, y)."""

    def __call__(self, x, y):
        return mul_no_nan(x, y)


class Polar:
    """ops.Polar()(abs, angle)."""

    def __call__(self, abs, angle):  # noqa: A002
        return polar(abs, angle)


class PopulationCount:
    """ops.PopulationCount()(x)."""

    def __call__(self, x):
        return population_count(x)


class MatrixPower:
    """ops.MatrixPower(n)(x)."""

    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        return matrix_power(x, self.n)
