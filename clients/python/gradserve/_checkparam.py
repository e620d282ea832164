"""`mindspore._checkparam` (imported as `validator`): the argument checks MindSpore's Python code and its test
helpers call, with MindSpore's error classes (ValueError for a bad value, TypeError for a bad type). Other names
are placeholders that raise when used (ops/operations/_missing.py)."""
from __future__ import annotations

import functools
import inspect
from typing import Any

from .ops.operations._missing import module_getattr


def _where(arg_name: Any, prim_name: Any) -> str:
    return f"For '{prim_name}', the '{arg_name}'" if prim_name else f"The '{arg_name}'"


def check_value_type(arg_name, arg_value, valid_types, prim_name=None):
    """arg_value itself, if it is an instance of valid_types (a bool is not an int here, as MindSpore's)."""
    types = tuple(valid_types) if isinstance(valid_types, (tuple, list)) else (valid_types,)
    if isinstance(arg_value, bool) and bool not in types or not isinstance(arg_value, types):
        names = ", ".join(t.__name__ for t in types)
        raise TypeError(f"{_where(arg_name, prim_name)} must be one of [{names}], but got "
                        f"{type(arg_value).__name__}.")
    return arg_value


def check_positive_int(arg_value, arg_name=None, prim_name=None):
    """arg_value, if it is an int (not a bool) above 0."""
    check_value_type(arg_name, arg_value, (int,), prim_name)
    if arg_value <= 0:
        raise ValueError(f"{_where(arg_name, prim_name)} must be a positive int, but got {arg_value}.")
    return arg_value


def check_non_negative_int(arg_value, arg_name=None, prim_name=None):
    """arg_value, if it is an int (not a bool) of at least 0."""
    check_value_type(arg_name, arg_value, (int,), prim_name)
    if arg_value < 0:
        raise ValueError(f"{_where(arg_name, prim_name)} must be a non-negative int, but got {arg_value}.")
    return arg_value


def check_bool(arg_value, arg_name=None, prim_name=None):
    """arg_value, if it is a bool."""
    return check_value_type(arg_name, arg_value, (bool,), prim_name)


# check_float_range's interval kinds (MindSpore's values): which ends are included
INC_NEITHER, INC_LEFT, INC_RIGHT, INC_BOTH = 7, 8, 9, 10
_BRACKETS = {INC_NEITHER: "()", INC_LEFT: "[)", INC_RIGHT: "(]", INC_BOTH: "[]"}


def check_float_range(arg_value, lower_limit, upper_limit, rel, arg_name=None, prim_name=None):
    """arg_value, if it is a float (not an int) in the interval from lower_limit to upper_limit whose ends rel
    includes (INC_NEITHER, INC_LEFT, INC_RIGHT, INC_BOTH)."""
    if not isinstance(arg_value, float):
        raise TypeError(f"{_where(arg_name, prim_name)} must be 'float',  but got '{type(arg_value).__name__}'.")
    if rel not in _BRACKETS:
        raise ValueError(f"check_float_range: rel must be one of INC_NEITHER / INC_LEFT / INC_RIGHT / INC_BOTH, "
                         f"got {rel!r}")
    left, right = _BRACKETS[rel]
    ok = (lower_limit <= arg_value if left == "[" else lower_limit < arg_value) and \
        (arg_value <= upper_limit if right == "]" else arg_value < upper_limit)
    if not ok:
        raise ValueError(f"{_where(arg_name, prim_name)} must be in range of {left}{lower_limit}, {upper_limit}{right}, "
                         f"but got {arg_value} with type '{type(arg_value).__name__}'.")
    return arg_value


def check_positive_float(arg_value, arg_name=None, prim_name=None):
    """arg_value, if it is a float (not an int) above 0."""
    if not isinstance(arg_value, float):
        raise TypeError(f"{_where(arg_name, prim_name)} must be float, but got '{type(arg_value).__name__}'")
    if not arg_value > 0:
        raise ValueError(f"{_where(arg_name, prim_name)} must be float and must > 0, but got '{arg_value}' with "
                         f"type '{type(arg_value).__name__}'.")
    return arg_value


def check_is_int(arg_value, arg_name=None, prim_name=None):
    """arg_value, if it is an int (not a bool); MindSpore's TypeError otherwise."""
    if not isinstance(arg_value, int) or isinstance(arg_value, bool):
        who = f"For '{prim_name}', the" if prim_name else "The"
        raise TypeError(f"{who} type of {repr(arg_name) if arg_name else 'input value'} must be 'int', but got "
                        f"'{type(arg_value).__name__}'.")
    return arg_value


def check_input_format(input_param):
    """The data format, which must be NCHW (MindSpore's only one here)."""
    if input_param == "NCHW":
        return input_param
    raise ValueError(f"The data format must be NCHW, but got {input_param}.")


def _expand_tuple(n_dimensions):
    """A function making an int n_dimensions copies of itself (a tuple of n ints passes as is); MindSpore's
    TypeError for anything else (a bool is not an int)."""
    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    def convert(m):
        if not isinstance(m, tuple):
            if is_int(m):
                return (m,) * n_dimensions
            raise TypeError(f"When expanding an int number to tuple, input type must be integer or tuple[int], "
                            f"but got {type(m)}")
        if len(m) != n_dimensions or not all(is_int(i) for i in m):
            raise TypeError(f"When expanding an int number to tuple, input must be a tuple of {n_dimensions} "
                            f"integers, but got {m}")
        return m
    return convert



def args_type_check(*type_args, **type_kwargs):
    """A decorator: the named arguments of each call must be of the given types (None passes), else MindSpore's
    TypeError "The parameter 'name' must be <type>, but got <type>"; types for **kwargs name its keys."""
    def decorate(func):
        sig = inspect.signature(func)
        wanted = sig.bind_partial(*type_args, **type_kwargs).arguments
        var_kw = next((p.name for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD), None)
        if var_kw in wanted:
            wanted = wanted[var_kw]

        @functools.wraps(func)
        def checked(*args, **kwargs):
            given = sig.bind(*args, **kwargs).arguments
            if var_kw in given:
                given = given[var_kw]
            for name, value in given.items():
                if name in wanted and value is not None and not isinstance(value, wanted[name]):
                    raise TypeError(f"The parameter '{name}' must be {wanted[name]}, but got {type(value)}")
            return func(*args, **kwargs)
        return checked
    return decorate

__getattr__ = module_getattr("mindspore._checkparam")
