"""`mindspore.common.parameter`."""
from .._cell_buffers import _Buffer  # noqa: F401  (MindSpore keeps its buffer class here)
from .._tensor import Parameter, ParameterTuple

__all__ = ["Parameter", "ParameterTuple"]
