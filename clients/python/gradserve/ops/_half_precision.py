"""Half-precision inputs computed in float32 and rounded once, as MindSpore 2.10's CPU kernels do: an op composed
of several engine ops rounds at each step in float16, which moves the last bits (k0e(2) 5 ulps off, mish off by
an ulp for a quarter of the float16 values in [-5, 5])."""
from __future__ import annotations

import functools

from ._extra import P


def in_float32(fn):
    """fn on float16 / bfloat16 input computed in float32, the result cast back to the input's dtype."""
    @functools.wraps(fn)
    def wrapped(x):
        if getattr(x, "_dtype", None) not in ("float16", "bfloat16"):
            return fn(x)
        return P.cast(fn(P.cast(x, "float32")), x._dtype)
    return wrapped
