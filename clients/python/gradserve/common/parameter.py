"""`mindspore.common.parameter`."""
from .._cell_buffers import _Buffer  # noqa: F401  (MindSpore keeps its buffer class here)
from .._tensor import Parameter, ParameterTuple
from .._tensor import is_generated_name as _is_parameter_generated  # noqa: F401  (MindSpore's private name)

__all__ = ["Parameter", "ParameterTuple"]
