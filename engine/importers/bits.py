"""Bit-level ops from the engine's integer arithmetic (which wraps modulo 2^bits), shared by the StableHLO
importer (jax_bits) and ONNX's BitShift / BitCast (onnx_pointwise):
- shift: x * 2^s, floor(x / 2^s) of the unsigned view, floor(x / 2^s) of the signed value; a shift by the width
  or more, or by a negative amount, gives 0 (-1 for a negative value shifted arithmetically): StableHLO's rule
  and ONNX's (opset 28; onnx.reference's NumPy saturation);
- bits_to_float: an integer's bits read as the float of its width (sign, exponent and mantissa fields decoded and
  the value composed in float64: subnormals, inf and nan included);
- float_to_bits: the inverse, a float's bits as the integer of its width."""
from __future__ import annotations

import numpy as np

from .division import int_divide
from .graph_writer import GraphWriter, UnsupportedModel

_FLOAT_BITS = {"float16": (5, 10), "float32": (8, 23), "float64": (11, 52)}  # exponent, mantissa bits


def _unsigned(dtype: str) -> str:
    return dtype if dtype.startswith("u") else "u" + dtype


def _pow2(w: GraphWriter, s: str, like: str) -> str:
    """2^s (s an integer tensor, 0 <= s < bits) in like's unsigned dtype: exact through float64."""
    return w.cast(w.binary("pow", w.scalar_like(2.0, w.cast(s, "float64")), w.cast(s, "float64")),
                  _unsigned(w.dtype(like)))


def shift(w: GraphWriter, short: str, x: str, s: str) -> str:
    """StableHLO's shift `short` of integer x by s (read unsigned, as StableHLO reads it)."""
    dtype = w.dtype(x)
    if not dtype.startswith(("int", "uint")):
        raise UnsupportedModel(f"{short} of {dtype}")
    bits = np.dtype(dtype).itemsize * 8
    s = w.broadcast_to(s, w.shape(x))
    big = w.binary("greater_equal", s, w.scalar_like(bits, s))  # the amount is read unsigned: a negative one is big
    if not w.dtype(s).startswith("u"):
        big = w.binary("logical_or", big, w.binary("less", s, w.scalar_like(0, s)))
    s = w.where(big, w.scalar_like(bits - 1, s), s)
    p = _pow2(w, s, x)
    if short == "shift_right_arithmetic":  # on the signed view (an unsigned top bit is a sign bit here too)
        # floor(x / 2^s); by bits - 1 or more: -1 for a negative x, else 0 (2^(bits - 1) is no value of the type)
        sx = w.cast(x, dtype.lstrip("u"))
        top = w.binary("greater_equal", s, w.scalar_like(bits - 1, s))  # (a big amount is bits - 1 by now)
        q = int_divide(w, sx, w.cast(_pow2(w, w.binary("minimum", s, w.scalar_like(bits - 2, s)), x), w.dtype(sx)),
                       "floor")
        return w.cast(w.where(top, w.unary("neg", w.cast(w.binary("less", sx, w.scalar_like(0, sx)), w.dtype(sx))),
                              q), dtype)
    u = w.cast(x, _unsigned(dtype))  # the unsigned view (a cast wraps, as a bitcast reads it)
    y = w.mul(u, p) if short == "shift_left" else int_divide(w, u, p, "floor")
    return w.cast(w.where(big, w.scalar_like(0, y), y), dtype)


def bits_to_float(w: GraphWriter, x: str, dtype: str) -> str:
    """bitcast_convert of an integer to the float type of its width."""
    src = w.dtype(x)
    if dtype not in _FLOAT_BITS or np.dtype(src).itemsize != np.dtype(dtype).itemsize:
        raise UnsupportedModel(f"bitcast_convert {src} -> {dtype} (an integer to the float of its width is mapped)")
    ebits, mbits = _FLOAT_BITS[dtype]
    u = w.cast(x, _unsigned(src))

    def field(lo: int, n: int) -> str:  # bits lo .. lo + n - 1, as float64 (exact: at most 52 bits)
        v = shift_right(w, u, lo)
        return w.cast(w.binary("bitwise_and", v, w.scalar_like(2 ** n - 1, v)), "float64")

    m, e, sign = field(0, mbits), field(mbits, ebits), field(mbits + ebits, 1)
    bias, two = 2 ** (ebits - 1) - 1, w.scalar_like(2.0, m)
    frac = w.mul(m, w.scalar_like(2.0 ** -mbits, m))
    normal = w.mul(w.add(frac, w.scalar_like(1.0, m)), w.binary("pow", two, w.sub(e, w.scalar_like(bias, e))))
    sub = w.mul(frac, w.scalar_like(2.0 ** (1 - bias), m))
    special = w.where(w.binary("equal", m, w.scalar_like(0.0, m)), w.scalar_like(np.inf, m),
                      w.scalar_like(np.nan, m))
    v = w.where(w.binary("equal", e, w.scalar_like(0.0, e)), sub,
                w.where(w.binary("equal", e, w.scalar_like(2.0 ** ebits - 1, e)), special, normal))
    v = w.where(w.binary("equal", sign, w.scalar_like(1.0, sign)), w.unary("neg", v), v)
    return w.cast(v, dtype)


def shift_right(w: GraphWriter, u: str, k: int) -> str:
    """u >> k for an unsigned u and a constant k < its width."""
    return int_divide(w, u, w.scalar_like(2 ** k, u), "floor") if k else u




def floor_log2(w: GraphWriter, a: str) -> str:
    """floor(log2 a) of a positive finite float64 a, exactly: the logarithm's rounding corrected where it crossed a
    power of two."""
    two = w.scalar_like(2.0, a)
    e = w.unary("floor", w.div(w.unary("log", a), w.scalar_like(np.log(2.0), a)))
    e = w.sub(e, w.cast(w.binary("greater", w.binary("pow", two, e), a), "float64"))
    return w.add(e, w.cast(w.binary("less_equal", w.binary("pow", two, w.add(e, w.scalar_like(1.0, e))), a),
                           "float64"))


def float_to_bits(w: GraphWriter, x: str, dtype: str) -> str:
    """A float's bits as the integer `dtype` of its width: the fields computed in float64 (exact: |x| / 2^e is a
    power-of-two scaling) and packed by wrapping unsigned arithmetic. The sign of a zero is read from 1 / x. A NaN
    gives the type's canonical quiet NaN (positive, payload 100...0, NumPy's np.nan): arithmetic cannot read a
    NaN's sign or payload."""
    src = w.dtype(x)
    if src not in _FLOAT_BITS or not dtype.startswith(("int", "uint")) or \
            np.dtype(src).itemsize != np.dtype(dtype).itemsize:
        raise UnsupportedModel(f"bitcast {src} -> {dtype} (a float16 / 32 / 64 to the integer of its width is mapped)")
    ebits, mbits = _FLOAT_BITS[src]
    bias, emin, u = 2 ** (ebits - 1) - 1, 2 - 2 ** (ebits - 1), _unsigned(dtype)
    v = w.cast(x, "float64")
    a = w.unary("abs", v)
    nan = w.binary("not_equal", v, v)
    inf = w.binary("equal", a, w.scalar_like(np.inf, a))
    zero = w.binary("equal", a, w.scalar_like(0.0, a))
    safe = w.where(w.binary("logical_or", w.binary("logical_or", nan, inf), zero), w.scalar_like(1.0, a), a)
    two = w.scalar_like(2.0, a)
    e = floor_log2(w, safe)  # at least the smallest normal's exponent (a subnormal's fields)
    e = w.binary("maximum", e, w.scalar_like(float(emin), e))
    scaled = w.div(safe, w.binary("pow", two, e))  # in [1, 2) for a normal, [0, 1) for a subnormal
    normal = w.binary("greater_equal", scaled, w.scalar_like(1.0, scaled))
    frac = w.where(normal, w.sub(scaled, w.scalar_like(1.0, scaled)), scaled)
    m = w.mul(frac, w.scalar_like(2.0 ** mbits, frac))
    ef = w.where(normal, w.add(e, w.scalar_like(float(bias), e)), w.scalar_like(0.0, e))
    top = w.scalar_like(2.0 ** ebits - 1, ef)
    ef = w.where(zero, w.scalar_like(0.0, ef), w.where(w.binary("logical_or", nan, inf), top, ef))
    m = w.where(w.binary("logical_or", w.binary("logical_or", inf, zero), nan),
                w.where(nan, w.scalar_like(2.0 ** (mbits - 1), m), w.scalar_like(0.0, m)), m)
    negative = w.binary("logical_and", w.unary("logical_not", nan),
                        w.binary("less", w.div(w.scalar_like(1.0, v), w.where(zero, v, w.scalar_like(1.0, v))),
                                 w.scalar_like(0.0, v)))
    negative = w.binary("logical_or", negative, w.binary("less", v, w.scalar_like(0.0, v)))
    mu = w.cast(m, u)
    word = w.add(mu, w.mul(w.cast(ef, u), w.scalar_like(2 ** mbits, mu)))
    word = w.add(word, w.mul(w.cast(negative, u), w.scalar_like(2 ** (mbits + ebits), word)))
    return w.cast(word, dtype)
