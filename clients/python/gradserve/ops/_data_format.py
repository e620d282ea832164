"""ops.DataFormatVecPermute (below) and ops.DataFormatDimMap(src_format='NHWC', dst_format='NCHW'): an axis index of a 4-D layout (taken mod 4,
so -4..3 and beyond) mapped to the index in src_format of the axis dst_format has there (MindSpore 2.10's CPU
kernel: NHWC -> NCHW maps [0, 1, 2, 3] to [0, 3, 1, 2]); int32 / int64, the input's dtype kept. A gather from
a 4-entry table, so traces and vmap take it as any gather."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ._extra import P
from ._primitives import Primitive

__all__ = ["DataFormatDimMap", "DataFormatVecPermute"]

_FORMATS = ("NHWC", "NCHW")


def _int_input(x, where: str, arg: str) -> None:
    if not isinstance(x, Tensor) or x._dtype not in ("int32", "int64"):
        raise input_dtype_error(where, arg, ("int32", "int64"), tensor_type(x))


class DataFormatDimMap(Primitive):
    """DataFormatDimMap(src_format='NHWC', dst_format='NCHW')(input_x)."""

    def __init__(self, src_format="NHWC", dst_format="NCHW"):
        super().__init__()
        for name, fmt in (("src_format", src_format), ("dst_format", dst_format)):
            if not isinstance(fmt, str) or fmt not in _FORMATS:
                raise ValueError(f"For '{type(self).__name__}', the '{name}' must be str and must be in "
                                 f"'{list(_FORMATS)}', but got '{fmt}'.")
        self.src_format, self.dst_format = src_format, dst_format
        self._table = [src_format.index(c) for c in dst_format]

    def __call__(self, input_x):
        _int_input(input_x, "DataFormatDimMap", "input type")
        table = Tensor(np.array(self._table, input_x._dtype))
        return P.gather(table, P.remainder(input_x, 4), 0)


class DataFormatVecPermute(DataFormatDimMap):
    """DataFormatVecPermute(src_format='NHWC', dst_format='NCHW')(x): the (4,) or (4, 2) rows of x reordered from
    src_format's layout to dst_format's (MindSpore 2.10's CPU kernel: NHWC -> NCHW takes [1, 2, 3, 4] to
    [1, 4, 2, 3]); int32 / int64, the dtype kept. A gather of rows."""

    def __call__(self, x):
        _int_input(x, "DataFormatVecPermute", "x")
        if tuple(x.shape) not in ((4,), (4, 2)):
            raise ValueError(f"For DataFormatVecPermute, input shape must be (4, ) or (4, 2), but got [const vector]"
                             f"{{{', '.join(str(d) for d in x.shape)}}}.")
        return P.gather(x, Tensor(np.array(self._table, np.int32)), 0)
