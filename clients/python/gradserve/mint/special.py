"""`mint.special`: MindSpore 2.10's `mindspore.mint.special` (erfc, expm1, log1p, round, sinc, exp2,
log_softmax), the ops here under PyTorch's special-function names."""
from __future__ import annotations

import math

from .. import ops as _ops
from .nn.functional import log_softmax  # noqa: F401  (the same function in both namespaces)

erfc, expm1, log1p, round = _ops.erfc, _ops.expm1, _ops.log1p, _ops.round  # noqa: A001 - MindSpore's names


def exp2(input):  # noqa: A002
    """2 ** input, elementwise."""
    return _ops.exp(_ops.mul(input, math.log(2.0)))


def sinc(input):  # noqa: A002
    """sin(pi x) / (pi x), 1 at x == 0 (the normalised sinc)."""
    px = _ops.mul(input, math.pi)
    safe = _ops.where(_ops.equal(input, 0), _ops.ones_like(px), px)  # no 0/0 in the value or the gradient
    return _ops.where(_ops.equal(input, 0), _ops.ones_like(px), _ops.div(_ops.sin(safe), safe))

