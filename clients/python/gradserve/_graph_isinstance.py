"""isinstance() in a graph (GRAPH_MODE or a @jit function): MindSpore 2.10's refusal of a second argument that
is not a type or a tuple of types (a list, a Tensor, a tuple holding an instance) is a TypeError with its
own text, "isinstance() arg 2 must be a type or tuple of types." (Python 3.11's names unions too)."""
from __future__ import annotations

from typing import Any


def graph_isinstance(obj: Any, classinfo: Any) -> bool:
    try:
        return isinstance(obj, classinfo)
    except TypeError as e:
        if "arg 2" not in str(e):
            raise
        raise TypeError("isinstance() arg 2 must be a type or tuple of types.") from None
