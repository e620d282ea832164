"""`mindspore.ops.vm_impl_registry`: MindSpore's table of Python (NumPy) implementations of primitives for its
debugging VM. gradserve runs every op on the service and never consults the table; it exists so that programs
registering into it (MindSpore's `tests/vm_impl`, which its unit-test packages import) load and can read back
what they registered."""
from __future__ import annotations

from typing import Any, Callable


class Registry:
    """register(prim) decorates a function fn(prim_instance) -> implementation; get(prim) returns it (None if
    none). A primitive is keyed by its name: a class, an instance, or a string."""

    def __init__(self) -> None:
        self._table: dict[str, Callable] = {}

    @staticmethod
    def _key(prim: Any) -> str:
        if isinstance(prim, str):
            return prim
        return getattr(prim, "__name__", None) or getattr(prim, "name", None) or type(prim).__name__

    def register(self, prim: Any) -> Callable[[Callable], Callable]:
        def deco(fn: Callable) -> Callable:
            self._table[self._key(prim)] = fn
            return fn
        return deco

    def get(self, prim: Any, default: Any = None) -> Any:
        return self._table.get(self._key(prim), default)


vm_impl_registry = Registry()


def get_vm_impl_fn(prim: Any) -> Any:
    """The registered implementation for prim, built by its registered function (None if none)."""
    out = vm_impl_registry.get(prim)
    return out(prim) if out is not None else None
