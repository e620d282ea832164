"""MindSpore 2.10's argument type check for the dataset API, with its text."""
from __future__ import annotations


def typed(name: str, value, types: tuple) -> None:
    """TypeError "Argument NAME with value V is not of type [TYPES], but got T." unless value is one of types
    (a bool is no int: it passes only where bool is one of types)."""
    if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
        raise TypeError(f"Argument {name} with value {value} is not of type {list(types)}, but got {type(value)}.")
