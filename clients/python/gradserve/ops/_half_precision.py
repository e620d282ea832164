"""Half-precision inputs computed in float32 and rounded once, as MindSpore 2.10's CPU kernels do: an op composed
of several engine ops rounds at each step in float16, which moves the last bits (k0e(2) 5 ulps off, mish off by
an ulp for a quarter of the float16 values in [-5, 5]; the float16 sweep in benchmarks/mindspore_suite/README.md
lists the rest)."""
from __future__ import annotations

import functools

from . import _primitives as P

_HALF = ("float16", "bfloat16")


def _narrow(args) -> str | None:
    """The one half dtype of the float Tensor arguments; None when there is none, or a float32 / float64 one or
    both half dtypes beside it (the op then promotes to float32 or wider: nothing to round back)."""
    dtypes = {getattr(a, "_dtype", None) for a in args}
    floats = {d for d in dtypes if isinstance(d, str) and d.startswith(("float", "bfloat"))}
    return floats.pop() if len(floats) == 1 and floats <= set(_HALF) else None


def in_float32(fn):
    """fn with its float16 / bfloat16 Tensor arguments (positional or keyword; all of one dtype) computed in
    float32, each float32 Tensor it returns (one, or a tuple) cast back to that dtype. Numbers, integer and bool
    Tensors pass as they are."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        narrow = _narrow([*args, *kwargs.values()])
        if narrow is None:
            return fn(*args, **kwargs)

        def wide(a):
            return P.cast(a, "float32") if getattr(a, "_dtype", None) == narrow else a

        def back(r):
            return P.cast(r, narrow) if getattr(r, "_dtype", None) == "float32" else r
        out = fn(*[wide(a) for a in args], **{k: wide(v) for k, v in kwargs.items()})
        return tuple(back(r) for r in out) if isinstance(out, tuple) else back(out)
    return wrapped
