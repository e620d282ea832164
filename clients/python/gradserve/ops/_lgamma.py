"""ops.lgamma / ops.digamma (the engine's ops) taking integer input as MindSpore 2.10 does (computed in
float32), and ops.mvlgamma, the multivariate log-gamma, built from lgamma:
mvlgamma(x, p) = p (p - 1) / 4 log(pi) + sum_{j < p} lgamma(x - j / 2). Tensor methods of the same names."""
from __future__ import annotations

import math

from .._tensor import Tensor
from ._extra import P

__all__ = ["lgamma", "digamma", "mvlgamma"]


def _floating(x, where: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', the input must be a Tensor, but got {type(x).__name__}")
    dt = str(x.dtype).lower()
    return x if "float" in dt else x.astype("float32")  # ints and bool: float32, as MindSpore 2.10


def lgamma(input):
    """log |Gamma(x)| elementwise; +inf at 0, -1, -2, ..."""
    return P.lgamma(_floating(input, "Lgamma"))


def digamma(input):
    """psi(x) = d/dx lgamma(x) elementwise (its own derivative, trigamma, is not available)."""
    return P.digamma(_floating(input, "Digamma"))


def mvlgamma(input, p):
    if isinstance(p, bool) or not isinstance(p, int) or p <= 0:
        raise ValueError(f"For 'Mvlgamma', the 'p' must be int and must > 0, but got '{p}' with type "
                         f"'{type(p).__name__}'.")
    x = _floating(input, "Mvlgamma")
    out = lgamma(x)
    for j in range(1, p):
        out = out + lgamma(x - j / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


for _name, _fn in (("lgamma", lgamma), ("digamma", digamma)):
    setattr(Tensor, _name, lambda self, _fn=_fn: _fn(self))
Tensor.mvlgamma = lambda self, p: mvlgamma(self, p)
