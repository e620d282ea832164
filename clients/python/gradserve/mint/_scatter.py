"""mint.scatter / scatter_add / index_add (MindSpore 2.10's PyTorch-style spellings) over ops.tensor_scatter_elements
and ops.index_add. MindSpore's CPU runs scatter (a Tensor src or a number) and index_add with int32 indices (int64 is
its TypeError, as its documentation says int32); scatter_add's CPU kernel (ScatterAddExt) is unregistered there, so
its documented meaning (src added at index along dim, repeated indices accumulating) is computed."""
from __future__ import annotations

from .. import ops as _ops
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type

__all__ = ["scatter", "scatter_add", "index_add"]


def scatter(input, dim, index, src=None, *, value=None):  # noqa: A002 - MindSpore's names
    """input with src (a Tensor, or a number written everywhere index points) written at index along dim."""
    src = value if src is None else src
    if not isinstance(src, Tensor):
        src = _ops.full(tuple(index.shape), src, dtype=input.dtype)
    return _ops.scatter(input, dim, index, src)


def scatter_add(input, dim, index, src):  # noqa: A002
    """input with src added at index along dim (repeated indices accumulate)."""
    return _ops.tensor_scatter_elements(input, index, src, dim, "add")


def index_add(input, dim, index, source, *, alpha=1):  # noqa: A002
    """input with alpha * source's slices added at index (int32, 1-D) along dim."""
    if isinstance(index, Tensor) and index.dtype != "int32" and str(index.dtype).lower() != "int32":
        raise input_dtype_error("IndexAdd", "indices type", ("int32",), tensor_type(index))
    return _ops.index_add(input, index, source if alpha == 1 else source * alpha, dim)
