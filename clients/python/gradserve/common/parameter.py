"""`mindspore.common.parameter`."""
from .._tensor import Parameter, ParameterTuple

__all__ = ["Parameter", "ParameterTuple"]
