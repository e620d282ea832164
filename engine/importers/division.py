"""Rounded quotients as the engine's ops, for every importer: integer division (ONNX Div and StableHLO
divide truncate toward zero; torch's floor_divide / div(rounding_mode="floor") round down) and PyTorch's
floating-point div with a rounding mode, computed as torch computes it (not as floor(a / b): the two differ
where a / b rounds onto an integer)."""
from __future__ import annotations

from .graph_writer import GraphWriter, UnsupportedModel


def trunc(w: GraphWriter, x: str) -> str:
    return w.where(w.binary("less", x, w.scalar_like(0, x)), w.unary("ceil", x), w.unary("floor", x))


def int_divide(w: GraphWriter, a: str, b: str, rounding: str = "trunc") -> str:
    """a / b of integer tensors rounded toward zero ("trunc") or down ("floor"), through float64: exact while
    |a|, |b| < 2^53 (a non-integer quotient lies at least 1 / |b| from an integer, more than float64's rounding
    of it moves it). Division by zero is undefined in ONNX and StableHLO; here it gives the cast of +-inf/nan."""
    if rounding not in ("trunc", "floor"):
        raise UnsupportedModel(f"integer division rounding {rounding!r} (known: trunc, floor)")
    q = w.div(w.cast(a, "float64"), w.cast(b, "float64"))
    return w.cast(trunc(w, q) if rounding == "trunc" else w.unary("floor", q), w.dtype(a))


def torch_div_rounded(w: GraphWriter, a: str, b: str, rounding: str) -> str:
    """torch.div(a, b, rounding_mode=...) of floating-point tensors, derivative zero (torch's): "trunc" is
    trunc(a / b); "floor" is c10's div_floor_floating: q = (a - fmod(a, b)) / b, less 1 where the remainder's
    sign differs from b's, rounded to the nearest integer, a signed zero where it is 0, a / b where b is 0."""
    a, b = w.unary("stop_gradient", a), w.unary("stop_gradient", b)
    ratio = w.div(a, b)
    if rounding == "trunc":
        return trunc(w, ratio)
    if rounding != "floor":
        raise UnsupportedModel(f"div rounding_mode={rounding!r} (known: trunc, floor)")
    zero = w.scalar_like(0, ratio)
    mod = w.binary("fmod", a, b)
    q = w.div(w.sub(a, mod), b)
    off = w.binary("logical_and", w.binary("not_equal", mod, zero),
                   w.binary("not_equal", w.binary("less", b, zero), w.binary("less", mod, zero)))
    q = w.where(off, w.sub(q, w.scalar_like(1, q)), q)
    fl = w.unary("floor", q)
    fl = w.where(w.binary("greater", w.sub(q, fl), w.scalar_like(0.5, q)), w.add(fl, w.scalar_like(1, fl)), fl)
    signed_zero = w.mul(ratio, zero)  # copysign(0, a / b): a / b is finite here (|a| < |b|)
    out = w.where(w.binary("equal", q, zero), signed_zero, fl)
    return w.where(w.binary("equal", b, zero), ratio, out)
