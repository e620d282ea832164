"""`mindspore.common.sparse_tensor`: the sparse tensor classes (RowTensorInner is MindSpore's internal name
of RowTensor)."""
from .._sparse import COOTensor, CSRTensor, RowTensor

RowTensorInner = RowTensor

__all__ = ["COOTensor", "CSRTensor", "RowTensor", "RowTensorInner"]
