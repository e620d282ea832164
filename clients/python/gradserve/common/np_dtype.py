"""`mindspore.common.np_dtype`: NumPy's scalar type for bfloat16 (ml_dtypes', the one bfloat16 Tensors' asnumpy()
gives), so `np.array(..., dtype=np_dtype.bfloat16)` builds the arrays MindSpore's own tests make."""
import numpy as np

from .. import dtype as _dtype

bfloat16 = _dtype.bfloat16.np.type

__all__ = ["bfloat16"]
