"""NaN in MindSpore 2.10 CPU's element-wise Maximum / Minimum (ops., mint., Tensor's and the Primitives): its kernel
answers `x > y ? x : y` (`<` for minimum), so a NaN in y is the answer and a NaN in x alone is not (checked:
maximum(nan, 2) = 2, maximum(2, nan) = nan, maximum(nan, nan) = nan; broadcast and with a number the same; float16 /
32 / 64). Its gradient is the engine's maximum's (MaximumGrad: the whole dout to both operands where either is NaN,
half each at a tie, else to the chosen one), which no NaN-free composite of the picked value carries: `pick` gives the
picked value with that rule as a custom one (_bprop.call_with_rule). The engine op keeps NumPy's propagation for the
other front ends.
"""
from __future__ import annotations

import numpy as np

from .._bprop import call_with_rule
from .._tensor import Tensor
from .._trace import apply, binary, cast, current
from ..dtype import FLOAT


def pick(op: str, x, y):
    """ops.maximum / minimum (op) of x and y as MindSpore 2.10 CPU answers it."""
    out = binary(op, x, y)  # (the engine op's dtype promotion, shapes and refusals)
    if out._dtype not in FLOAT:
        return out
    a, b = (cast(t, out._dtype) if isinstance(t, Tensor) else Tensor(np.array(t, out._dtype)) for t in (x, y))
    shape = list(out.shape)
    tr = current()
    if tr is None or tr.parent is None:  # (no derivative is taken there: _hooks._forward_only)
        return _picked(op, a, b, shape)
    return call_with_rule(lambda p, q: _picked(op, p, q, shape), lambda p, q, o, g: _rule(op, p, q, g), op, [a, b])


def _picked(op: str, a: Tensor, b: Tensor, shape: list):
    wins = binary("greater" if op == "maximum" else "less", a, b)
    a, b = (apply("broadcast_to", [t], {"shape": shape})[0] for t in (a, b))
    return apply("where", [wins, a, b], {})[0]


def _rule(op: str, a: Tensor, b: Tensor, g: Tensor):
    """MaximumGrad / MinimumGrad (MindSpore 2.10 CPU's, checked): dout to both where either is NaN, half each at a
    tie, else to the chosen one; summed back to each operand's shape."""
    cmp = "greater" if op == "maximum" else "less"
    nan = binary("logical_or", binary("not_equal", a, a), binary("not_equal", b, b))
    half = binary("mul", g, Tensor(np.array(0.5, g._dtype)))
    zero = Tensor(np.zeros((), g._dtype))

    def share(p, q):
        tie = apply("where", [binary("equal", p, q), half, zero], {})[0]
        full = apply("where", [binary("logical_or", nan, binary(cmp, p, q)), g, tie], {})[0]
        return apply("reduce_to", [full], {"shape": list(p.shape)})[0]
    return share(a, b), share(b, a)
