"""`mindspore.ops.composite.multitype_ops.zeros_like_impl.zeros_like`: the zero of a value as MindSpore 2.10's
multitype function gives it (what user bprops return for non-Tensor inputs): a Tensor's zeros Tensor, a Python
float's 0.0, and the int 0 for anything else (an int, a bool, a tuple: MindSpore 2.10 gives 0 for each)."""
from __future__ import annotations

from typing import Any

from ...._tensor import Tensor


def zeros_like(x: Any) -> Any:
    if isinstance(x, Tensor):
        from ... import zeros_like as tensor_zeros  # ops' own, which keeps shape and dtype
        return tensor_zeros(x)
    if isinstance(x, float):
        return 0.0
    return 0
