"""ops.lgamma / ops.digamma / ops.polygamma (the engine's ops; lgamma takes integer input as MindSpore 2.10
does, computed in float32, the others refuse it with its TypeError), and ops.mvlgamma, the multivariate
log-gamma, built from lgamma: mvlgamma(x, p) = p (p - 1) / 4 log(pi) + sum_{j < p} lgamma(x - j / 2). Tensor
methods of the same names."""
from __future__ import annotations

import math

from .._tensor import Tensor
from ._extra import P

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma"]


def _floating(x, where: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', the input must be a Tensor, but got {type(x).__name__}")
    dt = str(x.dtype).lower()
    return x if "float" in dt else x.astype("float32")  # ints and bool: float32, as MindSpore 2.10


def _float_only(x, prim: str, arg: str, kinds: tuple = ("float16", "float32", "float64")) -> Tensor:
    """x, a float Tensor of `kinds`: MindSpore 2.10's Digamma / Polygamma / Mvlgamma refuse ints and bool (its
    Lgamma alone takes them), with this TypeError."""
    x = _floating(x, prim) if not isinstance(x, Tensor) else x
    if str(x.dtype).lower() not in kinds:
        allowed = ", ".join(f"Tensor[{k.capitalize()}]" for k in kinds)
        raise TypeError(f"For primitive[{prim}], the input argument[{arg}] must be a type of {{{allowed}}}, but got "
                        f"Tensor[{str(x.dtype).capitalize()}].")
    return x


def lgamma(input):
    """log |Gamma(x)| elementwise; +inf at 0, -1, -2, ..."""
    return P.lgamma(_floating(input, "Lgamma"))


def digamma(input):
    """psi(x) = d/dx lgamma(x) elementwise (its own derivative, trigamma, is not available)."""
    return P.digamma(_float_only(input, "Digamma", "input"))


def polygamma(n, input):
    """MindSpore's ops.polygamma(n, input): the n-th derivative of digamma (n = 0: digamma itself); n a
    non-negative integer, as a scalar Tensor (MindSpore's form) or an int."""
    if isinstance(n, Tensor):
        if n.size != 1 or "int" not in str(n.dtype).lower():
            raise TypeError(f"For 'Polygamma', 'n' must be a scalar integer Tensor, got {n.dtype} of shape {n.shape}")
        n = int(n._host_copy().reshape(-1)[0])
    elif isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"For 'Polygamma', 'n' must be an integer Tensor or int, but got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"For 'Polygamma', 'n' must be >= 0, but got {n}")
    x = _float_only(input, "Polygamma", "x")
    return P.digamma(x) if n == 0 else P.polygamma(x, n=n)


def mvlgamma(input, p):
    if isinstance(p, bool) or not isinstance(p, int) or p <= 0:
        raise ValueError(f"For 'Mvlgamma', the 'p' must be int and must > 0, but got '{p}' with type "
                         f"'{type(p).__name__}'.")
    x = _float_only(input, "Mvlgamma", "x", ("float32", "float64"))
    out = lgamma(x)
    for j in range(1, p):
        out = out + lgamma(x - j / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


for _name, _fn in (("lgamma", lgamma), ("digamma", digamma)):
    setattr(Tensor, _name, lambda self, _fn=_fn: _fn(self))
setattr(Tensor, "mvlgamma", lambda self, p: mvlgamma(self, p))
