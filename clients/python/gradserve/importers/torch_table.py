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


def _dt(torch_dtype) -> str:
    """The graph's dtype name of a torch dtype: the same dtype, narrow integers too (they wrap as torch's do)."""
    return str(torch_dtype).split(".")[-1]
