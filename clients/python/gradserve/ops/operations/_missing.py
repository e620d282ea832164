"""MindSpore's internal module paths (`ops.operations.array_ops`, `_grad_ops`, `ops.auto_generate`...) hold
hundreds of names; programs import a few of them at the top of a file. A name gradserve does not implement
resolves to a placeholder that raises a clear error when used, not when imported, so that the rest of the
file still runs (MindSpore's own test files import e.g. `_grad_ops as G` and use one or two G names).

Only a name written in the program gets a placeholder: `from path import Name` and `module.Name`. hasattr and
getattr (a program asking whether the op exists, e.g. `P.FusedOp() if hasattr(P, "FusedOp") else ...`) get
the truth, an AttributeError, so such a program takes its fallback rather than a placeholder that fails."""
from __future__ import annotations

import dis
import sys
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


# the bytecodes of a name written in the program: an import statement's, an attribute access's (a call of
# `module.Name(...)` loads it with LOAD_METHOD before Python 3.12, LOAD_ATTR from 3.12)
_WRITTEN = frozenset(dis.opmap[n] for n in ("IMPORT_FROM", "LOAD_ATTR", "LOAD_METHOD") if n in dis.opmap)


def _written_in_program(frame) -> bool:
    """Whether `frame` (the one asking for the attribute) is at an import statement or an attribute access;
    not at a call (hasattr / getattr, which are C functions: no frame of their own)."""
    if frame is None:
        return False
    code, at = frame.f_code.co_code, frame.f_lasti
    return 0 <= at < len(code) and code[at] in _WRITTEN


def module_getattr(where: str, *sources: ModuleType,
                   placeholder: type[Unimplemented] = Unimplemented) -> Callable[[str], Any]:
    """A module-level `__getattr__` for the module MindSpore calls `where`: a name found in one of `sources`
    (the SDK's modules) is that very object (an alias, never a copy); any other public name is a placeholder
    (of class `placeholder`: its refusal's text) where the program names it, an AttributeError for hasattr /
    getattr."""

    def __getattr__(name: str) -> Any:
        if name.startswith("_"):  # dunders and private names: the ordinary AttributeError (import machinery)
            raise AttributeError(f"module {where!r} has no attribute {name!r}")
        for src in sources:
            if hasattr(src, name):
                return getattr(src, name)
        if not _written_in_program(sys._getframe(1)):  # hasattr / getattr: it does not exist
            raise AttributeError(f"module {where!r} has no attribute {name!r} (gradserve does not implement it)")
        return placeholder(where, name)

    return __getattr__
