"""ops.SquareSumAll()(x, y) -> (sum(x**2), sum(y**2)): two scalars of the inputs' dtype (float16 / float32, one
dtype and one shape for both, as MindSpore 2.10 checks). float16 is summed in float32 and rounded once (its
CPU kernel: arange(0, 1, 0.001) in float16 gives 332.75, a float16 running sum would not)."""
from __future__ import annotations

from ._extra import P
from ._half_precision import in_float32

__all__ = ["SquareSumAll"]


@in_float32
def _square_sum(x):
    return P.sum(P.mul(x, x))


class SquareSumAll:
    def __call__(self, x, y):
        for name, t in (("x", x), ("y", y)):
            if t._dtype not in ("float16", "float32"):
                raise TypeError(f"For 'SquareSumAll', '{name}' must be float16 or float32, got {t._dtype}")
        if x._dtype != y._dtype:
            raise TypeError(f"For 'SquareSumAll', x and y must have one dtype, got {x._dtype} and {y._dtype}")
        if tuple(x.shape) != tuple(y.shape):
            raise ValueError(f"For 'SquareSumAll', x and y must have one shape, got {list(x.shape)} and "
                             f"{list(y.shape)}")
        return _square_sum(x), _square_sum(y)
