"""ops.assign / ops.Assign / ops.assign_add / ops.AssignAdd / ops.assign_sub / ops.AssignSub: a Parameter's update.

Inside a traced construct the update is the trace's (see _param_state: later reads in the same run see it,
control flow carries it); outside a trace it writes the Parameter's data.
A plain Tensor is written in place as Tensor.copy_ / add_ / sub_ are (_inplace.write: later reads see the new
value, and a construct's input is written back into the caller's Tensor), as MindSpore 2.10 does in PyNative
and GRAPH_MODE (checked: `AssignSub()(x, y)` in construct changes the caller's x; the gradient of Assign's
result reaches the written Tensor, none reaches the assigned value, as for a Parameter).
"""
from __future__ import annotations

import numpy as np

from .. import _param_state, _private_arrays
from .. import dtype as _dt
from .._calling_errors import primitive_type as _primitive_type
from .._tensor import Parameter, Tensor
from .._trace import current
from .._late import late  # _inplace and the ops: this module is imported while ops is being built

__all__ = ["assign", "Assign", "assign_add", "AssignAdd", "assign_sub", "AssignSub"]


def _value(variable: Parameter, value, prim: str = "Assign") -> Tensor:
    if not isinstance(variable, Tensor):
        raise TypeError(f"assign: variable must be a Parameter or a Tensor, got {type(variable).__name__}")
    if not isinstance(value, Tensor):
        return _number(variable, value, prim)
    _check_shape(prim, variable, tuple(value.shape))
    if tuple(value.shape) != tuple(variable.shape):  # (a 0-d value for a [1] variable, or the other way round)
        value = value.reshape(tuple(variable.shape))
    if value._dtype == variable._dtype:
        return value
    _dt.check_written(variable._dtype, value._dtype, "so data type")  # (MindSpore 2.10: float32 <- float64 refused)
    return value.astype(variable._dtype)


def _number(variable: Tensor, value, prim: str) -> Tensor:
    """A Python number is a 0-d value (MindSpore 2.10: `assign(p, 2.0)` of a 1-d p is its rank error, not a fill);
    a float into an integer or bool variable is refused as a float32 Tensor is; lists / arrays are no value."""
    if not isinstance(value, (int, float, np.number, np.bool_)) or isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f'Failed calling {prim} with "{prim}()(variable=Tensor, value={_primitive_type(value)})".\n'
                        f'The valid calling should be: \n"{prim}()(variable=<Tensor>, value=<Number, Tensor>)".')
    _check_shape(prim, variable, ())
    if isinstance(value, (float, np.floating)):
        _dt.check_written(variable._dtype, "float32", "so data type")
    return Tensor(np.asarray(value, dtype=variable._dtype).reshape(tuple(variable.shape)))


def _check_shape(prim: str, variable: Tensor, got: tuple) -> None:
    """MindSpore 2.10's Assign / AssignAdd / AssignSub take a value of the variable's shape only (no broadcast; a
    Parameter changes shape through set_data alone). Its words, then which Parameter."""
    want = tuple(variable.shape)
    where = f" (Parameter {variable.name!r} of shape {list(want)})" if isinstance(variable, Parameter) else ""
    if sorted((got, want)) == [(), (1,)]:  # one element either way: AssignAdd / AssignSub take it (MindSpore 2.10)
        if prim == "Assign":
            raise RuntimeError(f"For 'Assign', the 'x' and 'y' must have the same dimension, but got the dimension of "
                               f"'x': {len(want)} and the dimension of 'y': {len(got)}{where}")
        return
    if len(got) != len(want):
        raise ValueError(f"For '{prim}','value' must have the same rank as 'variable'. But got 'value' rank: "
                         f"{len(got)}, 'variable' rank: {len(want)}.{where}")
    if any(a != b and a >= 0 and b >= 0 for a, b in zip(got, want)):
        raise ValueError(f"For '{prim}','value' must have the same shape as 'variable'. But got 'value' shape: "
                         f"({', '.join(map(str, got))}), 'variable' shape: ({', '.join(map(str, want))}).{where}")


def store(variable: Parameter, value) -> None:
    """variable's new value (the in-place Tensor methods' way to a Parameter: no write into its buffer)."""
    if not isinstance(variable, Parameter):
        if isinstance(variable, Tensor):
            late.ops._inplace.write(variable, value, "assign")
            return
        raise TypeError(f"assign: variable must be a Parameter or a Tensor, got {type(variable).__name__}")
    if current() is not None:
        _param_state.assign(variable, value)
    else:
        variable.set_data(value._host_copy())


def _store_through(variable, value) -> None:
    """store; a Parameter written outside a trace keeps its buffer (MindSpore 2.10's Assign / AssignAdd /
    AssignSub: an array its asnumpy() gave before sees the new value; a plain Tensor's is replaced, as there)."""
    before = variable._data if isinstance(variable, Parameter) and current() is None else None
    store(variable, value)
    if before is not None:
        variable._data = _private_arrays.kept_through_write(before, variable._data)


def zero_carrying_gradient(x):
    """x - stop_gradient(x): zeros whose gradient is x's (added to a value computed without one, that value gets
    x's gradient); 0, not NaN, where x is not finite."""
    ops = late.ops
    return ops.select(ops.equal(ops.sub(x, x), 0), ops.sub(x, ops.stop_gradient(x)), ops.zeros_like(x))


def assign(variable: Parameter, value):
    """The Parameter's new value; inside a trace read as a Load of the Parameter (MindSpore 2.10: d/dp of
    what Assign returns reaches p, nothing reaches the assigned value)."""
    if not isinstance(variable, Parameter) and isinstance(variable, Tensor):
        # the value assigned, the gradient to the Tensor written: value + (x - x), the zero kept exact
        # (0, not NaN, where x is not finite)
        x, ops, new = variable, late.ops, _value(variable, value)
        if not _dt.is_float(x._dtype):  # (no gradient to carry; bool has no sub)
            store(variable, ops.stop_gradient(new))
            return variable
        store(variable, ops.add(ops.stop_gradient(new), zero_carrying_gradient(x)))
        return variable
    _store_through(variable, _value(variable, value))
    tr = current()
    if tr is None:
        return variable
    return Tensor._symbolic(tr, tr.ref(variable), variable.shape, variable._dtype)


def assign_add(variable: Parameter, value):
    """Returns variable + value itself (MindSpore 2.10: its gradient reaches both)."""
    new = variable + _value(variable, value, "AssignAdd")  # a read of the variable: its value now, its gradient to it
    _store_through(variable, new)
    return new if current() is not None else variable


def assign_sub(variable: Parameter, value):
    new = variable - _value(variable, value, "AssignSub")
    _store_through(variable, new)
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
