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


def _store(variable: Parameter, value) -> None:
    if not isinstance(variable, Parameter):
        raise TypeError(f"assign: variable must be a Parameter, got {type(variable).__name__}")
    if current() is not None:
        _param_state.assign(variable, value)
    else:
        variable.set_data(value.asnumpy())


def assign(variable: Parameter, value):
    """The Parameter's new value; inside a trace read as a Load of the Parameter (MindSpore 2.10: d/dp of
    what Assign returns reaches p, nothing reaches the assigned value)."""
    _store(variable, _value(variable, value))
    tr = current()
    if tr is None:
        return variable
    return Tensor._symbolic(tr, tr.ref(variable), variable.shape, variable._dtype)


def assign_add(variable: Parameter, value):
    """Returns variable + value itself (MindSpore 2.10: its gradient reaches both)."""
    new = variable + _value(variable, value)  # a read of the variable: its value now, its gradient to it
    _store(variable, new)
    return new if current() is not None else variable


def assign_sub(variable: Parameter, value):
    new = variable - _value(variable, value)
    _store(variable, new)
    return new if current() is not None else variable


class Assign:
    def __call__(self, variable, value):
        return assign(variable, value)


class AssignAdd:
    def __call__(self, variable, value):
        return assign_add(variable, value)


class AssignSub:
    def __call__(self, variable, value):
        return assign_sub(variable, value)
