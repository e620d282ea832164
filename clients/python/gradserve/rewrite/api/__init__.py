"""`mindspore.rewrite.api`: the module paths MindSpore's own tests import SymbolTree / Node ... from; their names are
the package's placeholders (refused when used, so that a file importing them still runs its other tests)."""
from __future__ import annotations

from ...ops.operations._missing import module_getattr
from .. import _NoRewrite

__getattr__ = module_getattr("mindspore.rewrite.api", placeholder=_NoRewrite)
