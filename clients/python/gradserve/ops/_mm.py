"""MindSpore 2.10's ops.mm / Tensor.mm: the MatMul primitive of two 2-D Tensors of one dtype. Unlike ops.matmul
(NumPy's: 1-D operands, batches, broadcasting) it refuses anything else, with MindSpore's classes and texts
(checked in its venv): a 1-D or 3-D operand, a float32 by float16 or int32 pair, a Python number or list."""
from __future__ import annotations

from .._calling_errors import failed_calling
from .._tensor import Tensor
from ._extra import P

__all__ = ["mm"]


def mm(input, mat2):  # noqa: A002 - MindSpore's names
    """input @ mat2 for (n, k) and (k, m) Tensors of one dtype."""
    if not (isinstance(input, Tensor) and isinstance(mat2, Tensor)):
        raise failed_calling("MatMul", {"transpose_a": False, "transpose_b": False}, {"input": input, "mat2": mat2},
                             {"input": "Tensor", "mat2": "Tensor"})
    if input._dtype != mat2._dtype:
        raise TypeError(f"For 'MatMul', the type of 'x2' should be same as 'x1', but got 'x1' with type "
                        f"Tensor[{input.dtype}] and 'x2' with type Tensor[{mat2.dtype}].")
    if len(input.shape) != 2 or len(mat2.shape) != 2:
        raise ValueError("MatMul inputs should have the same dimension size and equal to 2.")
    if input.shape[1] != mat2.shape[0]:
        raise ValueError(f"For 'MatMul' the input dimensions must be equal, but got 'x1_col': {input.shape[1]} and "
                         f"'x2_row': {mat2.shape[0]}.")
    return P.matmul(input, mat2)
