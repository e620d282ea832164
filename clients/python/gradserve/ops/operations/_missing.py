"""MindSpore's internal module paths (`ops.operations.array_ops`, `_grad_ops`, `ops.auto_generate`...) hold
hundreds of names; programs import a few of them at the top of a file. A name gradserve does not implement
resolves to a placeholder that raises a clear error when used, not when imported, so that the rest of the
file still runs (MindSpore's own test files import e.g. `_grad_ops as G` and use one or two G names)."""
from __future__ import annotations

from types import ModuleType
from typing import Any, Callable, NoReturn


class Unimplemented:
    """Stands for `where.name`; constructing or calling it raises NotImplementedError naming it."""

    def __init__(self, where: str, name: str):
        self._qualname = f"{where}.{name}"

    def _refuse(self) -> NoReturn:
        raise NotImplementedError(f"{self._qualname} is not implemented by gradserve "
                                  "(MindSpore-internal name; use the public ops of gradserve.ops instead)")

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def __repr__(self) -> str:
        return f"<unimplemented {self._qualname}>"


def module_getattr(where: str, *sources: ModuleType) -> Callable[[str], Any]:
    """A module-level `__getattr__` for the module MindSpore calls `where`: a name found in one of `sources`
    (the SDK's modules) is that very object (an alias, never a copy); any other public name is a placeholder."""

    def __getattr__(name: str) -> Any:
        if name.startswith("_"):  # dunders and private names: the ordinary AttributeError (import machinery)
            raise AttributeError(f"module {where!r} has no attribute {name!r}")
        for src in sources:
            if hasattr(src, name):
                return getattr(src, name)
        return Unimplemented(where, name)

    return __getattr__
