"""ops.InTopK(k)(x1, x2): for each row i of x1 [N, C] (float16 / float32), whether class x2[i] is among its k
largest: fewer than k entries of the row exceed x1[i, x2[i]] (ties count in, as MindSpore 2.10 / TensorFlow).
False where x2[i] is out of [0, C) or the row holds a non-finite value; k <= 0 gives False, k >= C True."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P, all as _all
from ._movement_ms import gather_elements
from ._ms_names import isfinite

__all__ = ["InTopK"]


class InTopK:
    def __init__(self, k):
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"For 'InTopK', the type of 'k' should be 'int', but got type '{type(k).__name__}'.")
        self.k = k

    def __call__(self, x1, x2):
        if not isinstance(x1, Tensor) or x1._dtype not in ("float16", "float32"):
            raise TypeError(f"For primitive[InTopK], the input argument[x1] must be a float16 / float32 Tensor, "
                            f"got {getattr(x1, 'dtype', type(x1).__name__)}")
        if not isinstance(x2, Tensor) or x2._dtype not in ("int32", "int64"):
            raise TypeError(f"For primitive[InTopK], the input argument[x2] must be an int32 / int64 Tensor, "
                            f"got {getattr(x2, 'dtype', type(x2).__name__)}")
        if x1.ndim != 2 or x2.ndim != 1 or int(x1.shape[0]) != int(x2.shape[0]):
            raise ValueError(f"For 'InTopK', x1 must be 2-D [N, C] and x2 1-D [N], got {list(x1.shape)} and "
                             f"{list(x2.shape)}")
        c = int(x1.shape[1])
        valid = P.logical_and(P.greater_equal(x2, 0), P.less(x2, c))
        picked = gather_elements(x1, 1, P.expand_dims(P.select(valid, x2, P.zeros_like(x2)), 1))
        above = P.sum(P.cast(P.greater(x1, picked), "int32"), 1)
        finite = _all(isfinite(x1), 1)
        return P.logical_and(P.logical_and(valid, finite), P.less(above, self.k))
