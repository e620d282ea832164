"""Narrow float inputs computed in a wider dtype and rounded once, as MindSpore 2.10's CPU kernels do: an op
composed of several engine ops rounds at each step, which moves the last bits (float16: k0e(2) 5 ulps off, mish off
by an ulp for a quarter of the values in [-5, 5]; the float16 sweep in benchmarks/mindspore_suite/README.md lists the
rest), and a float32 intermediate over- or underflows where MindSpore's double one does not (hypot, floor_divide)."""
from __future__ import annotations

import functools

from . import _primitives as P

_HALF = ("float16", "bfloat16")


def _narrow(args, narrow: tuple) -> str | None:
    """The dtype the op's result has when every float Tensor argument is one of `narrow`: that one, float32 for
    several (MindSpore's promotion of float16 with bfloat16 or float32); None when there is none, or a wider or
    complex one (nothing to round back)."""
    dtypes = {getattr(a, "_dtype", None) for a in args}
    floats = {d for d in dtypes if isinstance(d, str) and d.startswith(("float", "bfloat", "complex"))}
    if not floats or not floats <= set(narrow):
        return None
    return floats.pop() if len(floats) == 1 else "float32"


def computed_in(wide: str, narrow: tuple):
    """fn with its Tensor arguments (positional or keyword) of the `narrow` dtypes computed in `wide`, each `wide`
    Tensor it returns (one, or a tuple) cast back to their (promoted) dtype. Numbers, integer and bool Tensors pass
    as they are."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            back_to = _narrow([*args, *kwargs.values()], narrow)
            if back_to is None:
                return fn(*args, **kwargs)

            def up(a):
                return P.cast(a, wide) if getattr(a, "_dtype", None) in narrow else a

            def back(r):
                return P.cast(r, back_to) if getattr(r, "_dtype", None) == wide and back_to != wide else r
            out = fn(*[up(a) for a in args], **{k: up(v) for k, v in kwargs.items()})
            return tuple(back(r) for r in out) if isinstance(out, tuple) else back(out)
        return wrapped
    return deco


in_float32 = computed_in("float32", _HALF)  # float16 / bfloat16 in float32
in_float64 = computed_in("float64", (*_HALF, "float32"))  # (MindSpore's CPU kernels in double)
