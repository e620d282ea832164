"""`mindspore._checkparam` (imported as `validator`): the argument checks MindSpore's Python code and its test
helpers call, with MindSpore's error classes (ValueError for a bad value, TypeError for a bad type). Other names
are placeholders that raise when used (ops/operations/_missing.py)."""
from __future__ import annotations

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


__getattr__ = module_getattr("mindspore._checkparam")
