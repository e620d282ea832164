"""Rounded quotients as the engine's ops, for every importer: integer division (ONNX Div and StableHLO
divide truncate toward zero; torch's floor_divide / div(rounding_mode="floor") round down) and PyTorch's
floating-point div with a rounding mode, computed as torch computes it (not as floor(a / b): the two differ
where a / b rounds onto an integer)."""
from __future__ import annotations

from .graph_writer import GraphWriter, UnsupportedModel


def trunc(w: GraphWriter, x: str) -> str:
    return w.where(w.binary("less", x, w.scalar_like(0, x)), w.unary("ceil", x), w.unary("floor", x))


def int_divide(w: GraphWriter, a: str, b: str, rounding: str = "trunc") -> str:
    """a / b of integer tensors rounded toward zero ("trunc") or down ("floor"). Up to 32 bits through float64,
    exact there (a non-integer quotient lies at least 1 / |b| from an integer, more than float64's rounding of
    it moves it); 64 bits exactly too (floor_div_64). Division by zero is undefined in ONNX and StableHLO; here
    it gives the cast of +-inf/nan (up to 32 bits) or 0 (64 bits)."""
    if rounding not in ("trunc", "floor"):
        raise UnsupportedModel(f"integer division rounding {rounding!r} (known: trunc, floor)")
    if w.dtype(a) in ("int64", "uint64"):
        q = floor_div_64(w, a, b)
        if rounding == "floor" or w.dtype(a) == "uint64":
            return q
        zero = w.scalar_like(0, a)  # trunc: one more where the floor rounded a negative non-integer quotient down
        inexact = w.binary("not_equal", w.binary("remainder", a, w.where(w.binary("equal", b, zero),
                                                                          w.scalar_like(1, b), b)), zero)
        neg = w.binary("not_equal", w.binary("less", a, zero), w.binary("less", b, zero))
        return w.where(w.binary("logical_and", inexact, neg), w.add(q, w.scalar_like(1, q)), q)
    q = w.div(w.cast(a, "float64"), w.cast(b, "float64"))
    return w.cast(trunc(w, q) if rounding == "trunc" else w.unary("floor", q), w.dtype(a))


def floor_div_64(w: GraphWriter, a: str, b: str) -> str:
    """floor(a / b) of int64 / uint64, exact (float64 alone rounds past 2^53: (2^62 + 1) // 1 was 2^62): a float64
    estimate q0, then the exact correction k = (m - q0 b) / b with m = a - (a mod b) = q b; the wrapping
    integer arithmetic keeps m - q0 b = (q - q0) b exact (q0 is off by at most ~2^13, and only where |b| is
    that small). Division by zero gives 0 (NumPy's). The SDK's ops.floor_div is the same computation."""
    dt, unsigned = w.dtype(a), w.dtype(a) == "uint64"
    zero = w.binary("equal", b, w.scalar_like(0, b))
    b = w.where(zero, w.scalar_like(1, b), b)
    m = w.sub(a, w.binary("remainder", a, b))

    def f64(t):
        return w.cast(t, "float64")
    # uint64: m = q b never wraps, so m / b rounds to q; int64: m may wrap (a near -2^63), a / b does not
    q0 = w.unary("round", w.div(f64(m), f64(b))) if unsigned else w.unary("floor", w.div(f64(a), f64(b)))
    lo, hi = (0.0, 2.0 ** 64 - 2048) if unsigned else (-(2.0 ** 63), 2.0 ** 63 - 1024)  # float64s in range
    q0 = w.cast(w.binary("minimum", w.binary("maximum", q0, w.scalar_like(lo, q0)), w.scalar_like(hi, q0)), dt)
    d = w.cast(w.sub(m, w.mul(q0, b)), "int64")  # (q - q0) b, small where q0 is off
    q = w.add(q0, w.cast(w.unary("round", w.div(f64(d), f64(b))), dt))
    if not unsigned:  # b = -2^63: (q - q0) b = +-2^63 reads back as -2^63; q is -1, 0 or 1 there
        low = w.scalar_like(-(2 ** 63), a)
        exact = w.where(w.binary("greater", a, w.scalar_like(0, a)), w.scalar_like(-1, a),
                        w.cast(w.binary("equal", a, low), dt))
        q = w.where(w.binary("equal", b, low), exact, q)
    return w.where(zero, w.scalar_like(0, q), q)


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
