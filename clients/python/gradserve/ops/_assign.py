"""ops.assign / ops.Assign / ops.assign_add / ops.AssignAdd / ops.assign_sub / ops.AssignSub: a Parameter's update.

Inside a traced construct the update is the trace's (see _param_state: later reads in the same run see it,
control flow carries it); outside a trace it writes the Parameter's data.
"""
from __future__ import annotations

import numpy as np

from .. import _param_state
from .._tensor import Parameter, Tensor
from .._trace import current

__all__ = ["assign", "Assign", "assign_add", "AssignAdd", "assign_sub", "AssignSub"]


def _value(variable: Parameter, value) -> Tensor:
    if not isinstance(value, Tensor):
        return Tensor(np.full(tuple(variable.shape), value, dtype=variable._dtype))
    return value if value._dtype == variable._dtype else value.astype(variable._dtype)


def assign(variable: Parameter, value):
    if not isinstance(variable, Parameter):
        raise TypeError(f"assign: variable must be a Parameter, got {type(variable).__name__}")
    value = _value(variable, value)
    if current() is not None:
        _param_state.assign(variable, value)
        return value
    variable.set_data(value.asnumpy())
    return variable


def _current(variable: Parameter):
    """The Parameter's value now: the one assigned earlier in this trace, else the Parameter itself."""
    cur = _param_state.get(variable) if current() is not None else None
    return variable if cur is None else cur


def assign_add(variable: Parameter, value):
    return assign(variable, _current(variable) + _value(variable, value))


def assign_sub(variable: Parameter, value):
    return assign(variable, _current(variable) - _value(variable, value))


class Assign:
    def __call__(self, variable, value):
        return assign(variable, value)


class AssignAdd:
    def __call__(self, variable, value):
        return assign_add(variable, value)


class AssignSub:
    def __call__(self, variable, value):
        return assign_sub(variable, value)
