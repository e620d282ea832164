"""`mindspore.ops._primitive_cache._get_cache_prim(cls)(*args, **kwargs)`: a primitive of class cls made with those
arguments, made once and reused for the same class and arguments (their str, as MindSpore keys its cache), which
MindSpore's own functional ops and test programs use to build primitives inside construct."""
from __future__ import annotations

from typing import Any

_CACHE: dict = {}


def _get_cache_prim(cls: Any) -> Any:
    def make(*args, **kwargs):
        key = (cls, tuple(str(a) for a in args), tuple((k, str(v)) for k, v in sorted(kwargs.items())))
        if key not in _CACHE:
            _CACHE[key] = cls(*args, **kwargs)
        return _CACHE[key]
    return make
