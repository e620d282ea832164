"""ops.DataFormatDimMap(src_format='NHWC', dst_format='NCHW'): an axis index of a 4-D layout (taken mod 4,
so -4..3 and beyond) mapped to the index in src_format of the axis dst_format has there (MindSpore 2.10's CPU
kernel: NHWC -> NCHW maps [0, 1, 2, 3] to [0, 3, 1, 2]); int32 / int64, the input's dtype kept. A gather from
a 4-entry table, so traces and vmap take it as any gather."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._primitives import Primitive

__all__ = ["DataFormatDimMap"]

_FORMATS = ("NHWC", "NCHW")


class DataFormatDimMap(Primitive):
    """DataFormatDimMap(src_format='NHWC', dst_format='NCHW')(input_x)."""

    def __init__(self, src_format="NHWC", dst_format="NCHW"):
        super().__init__()
        for name, fmt in (("src_format", src_format), ("dst_format", dst_format)):
            if not isinstance(fmt, str) or fmt not in _FORMATS:
                raise ValueError(f"For 'DataFormatDimMap', the '{name}' must be str and must be in "
                                 f"'{list(_FORMATS)}', but got '{fmt}'.")
        self.src_format, self.dst_format = src_format, dst_format
        self._table = [src_format.index(c) for c in dst_format]

    def __call__(self, input_x):
        if not isinstance(input_x, Tensor) or input_x._dtype not in ("int32", "int64"):
            got = f"Tensor[{input_x.dtype}]" if isinstance(input_x, Tensor) else type(input_x).__name__
            raise TypeError(f"For primitive[DataFormatDimMap], the input argument[input type] must be a type of "
                            f"{{Tensor[Int32], Tensor[Int64]}}, but got {got}.")
        table = Tensor(np.array(self._table, input_x._dtype))
        return P.gather(table, P.remainder(input_x, 4), 0)
