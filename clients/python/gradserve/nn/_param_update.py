"""nn.ParameterUpdate(param): MindSpore 2.10's cell that assigns its input to a Parameter and returns it."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter

__all__ = ["ParameterUpdate"]


class ParameterUpdate(Cell):
    """nn.ParameterUpdate(param)(x): param's value becomes x (cast to param's dtype); returns it."""

    def __init__(self, param):
        super().__init__(auto_prefix=False)
        if not isinstance(param, Parameter):
            raise TypeError(f"For 'ParameterUpdate', 'param' must be a Parameter, got {type(param).__name__}")
        self._param = param

    def construct(self, x):
        return _ops.assign(self._param, _ops.cast(x, self._param.dtype))
