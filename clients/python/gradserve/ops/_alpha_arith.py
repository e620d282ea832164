"""add / sub with alpha (MindSpore 2.10's AddExt / SubExt: mint.add / mint.sub, Tensor.add / sub(alpha=),
ops.add_ext / sub_ext), and the bool operands its CPU kernels take or refuse (checked against MindSpore 2.10 CPU):
two bool operands stay bool, alpha read as a bool (alpha 0: input; else input + other, input - other); a bool
alpha is refused."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._tensor import Tensor
from ._primitives import _promoted_dtype

_KERNEL = {"add": "AddExt", "sub": "SubExt"}


def _alpha_arith(op: str, input, other, alpha):  # noqa: A002 - MindSpore's names
    dt = _promoted_dtype(input, other)
    if isinstance(alpha, (bool, np.bool_)):
        if dt == "bool":  # MindSpore 2.10 CPU has no bool AddExt / SubExt kernel for a bool alpha
            raise TypeError(f"Select CPU operator[{_KERNEL[op]}] fail! Unsupported data type!")
        kind = _dt.get(dt) if dt else type(input).__name__
        raise TypeError(f"For '{_KERNEL[op]}', boolean alpha need boolean input and other, but got {kind} and {kind}")
    if dt == "bool" and isinstance(input, Tensor):  # alpha cast to bool: 0 keeps input, any other alpha is 1
        if alpha == 0:
            return input
        return input + other if op == "add" else input - other
    scaled = other if alpha == 1 else other * alpha
    return input + scaled if op == "add" else input - scaled


def add_ext(input, other, alpha=1):  # noqa: A002 - MindSpore's names
    """input + alpha * other (MindSpore's generated add_ext; mint.add and Tensor.add(alpha=) are this rule)."""
    return _alpha_arith("add", input, other, alpha)


def sub_ext(input, other, alpha=1):  # noqa: A002
    """input - alpha * other."""
    return _alpha_arith("sub", input, other, alpha)
