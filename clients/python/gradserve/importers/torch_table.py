"""The torch.export importer's rule table (ATen overload name -> rule), filled by torch_import and the
modules it imports (torch_scatter_scan, torch_math_ops), which import this one, not torch_import."""
from __future__ import annotations

ATEN: dict = {}


def aten(*names):
    def deco(fn):
        for n in names:
            ATEN[n] = fn
        return fn
    return deco


_WIDENED = {"uint8": "int64", "int8": "int64", "int16": "int64"}  # graphs carry these as int64 (torch.eye's arange)


def _dt(torch_dtype) -> str:
    name = str(torch_dtype).split(".")[-1]
    return _WIDENED.get(name, name)
