"""`mindspore.rewrite`'s value and node kinds: ValueType, ScopedValue (a target, a callable or an argument of a
node, with its scope: `self.conv` is the name `conv` in scope `self`) and NodeType; the enums' numbers are
MindSpore 2.10's."""
from __future__ import annotations

from enum import Enum
from typing import Any, List, Optional, Sequence


class ValueType(Enum):
    ConstantValue = 0
    TupleValue = 20
    ListValue = 21
    DictValue = 22
    NamingValue = 40
    CustomObjValue = 41
    UnsupportedValue = 50


class NodeType(Enum):
    Unknown = 0
    CallCell = 1
    CallPrimitive = 2
    CallModule = 3
    CallFunction = 4
    CallMethod = 5
    Python = 6
    Input = 7
    Output = 8
    Tree = 9
    CellContainer = 10
    MathOps = 11
    ControlFlow = 12


def _check_str(what: str, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"For 'ScopedValue', the type of '{what}' should be 'str', but got '{type(value).__name__}'.")


class ScopedValue:
    """A value with its scope (MindSpore's class of the same name)."""

    def __init__(self, arg_type: ValueType, scope: str = "", value: Any = None):
        if not isinstance(arg_type, ValueType):
            raise TypeError(f"For 'ScopedValue', the type of 'arg_type' should be 'ValueType', "
                            f"but got '{type(arg_type).__name__}'.")
        _check_str("scope", scope)
        self.type = arg_type
        self.scope = scope
        self.value = value

    @classmethod
    def create_variable_value(cls, value: Any) -> "ScopedValue":
        if value is None or isinstance(value, (int, float, str, bool)):
            return cls(ValueType.ConstantValue, "", value)
        if isinstance(value, tuple):
            return cls(ValueType.TupleValue, "", tuple(cls.create_variable_value(v) for v in value))
        if isinstance(value, list):
            return cls(ValueType.ListValue, "", [cls.create_variable_value(v) for v in value])
        if isinstance(value, dict):
            return cls(ValueType.DictValue, "", {cls.create_variable_value(k): cls.create_variable_value(v)
                                                 for k, v in value.items()})
        return cls(ValueType.CustomObjValue, "", value)

    @classmethod
    def create_naming_value(cls, name: str, scope: str = "") -> "ScopedValue":
        _check_str("name", name)
        _check_str("scope", scope)
        return cls(ValueType.NamingValue, scope, name)

    @staticmethod
    def create_name_values(names: Sequence[str], scopes: Optional[Sequence[str]] = None) -> List["ScopedValue"]:
        if not isinstance(names, (list, tuple)):
            raise TypeError(f"For 'ScopedValue', 'names' should be a list or tuple of str, "
                            f"but got '{type(names).__name__}'.")
        if scopes is not None:
            if not isinstance(scopes, (list, tuple)):
                raise TypeError(f"For 'ScopedValue', 'scopes' should be a list or tuple of str, "
                                f"but got '{type(scopes).__name__}'.")
            if len(names) != len(scopes):
                raise ValueError("Length of names should be equal to length of scopes")
        return [ScopedValue.create_naming_value(n, scopes[i] if scopes is not None else "")
                for i, n in enumerate(names)]

    def __str__(self) -> str:
        if self.type == ValueType.ConstantValue:
            return str(self.value)
        if self.type == ValueType.NamingValue:
            return f"{self.scope}.{self.value}" if self.scope else str(self.value)
        if self.type == ValueType.CustomObjValue:
            return f"CustomObj: {self.value}"
        return f"Illegal ValueType: {self.type}"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, ScopedValue):
            return False
        return self.type == other.type and self.scope == other.scope and bool(self.value == other.value)

    def __hash__(self) -> int:
        try:
            return hash((self.type, self.scope, self.value))
        except TypeError:
            return hash((self.type, self.scope, id(self.value)))
