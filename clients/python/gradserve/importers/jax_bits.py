"""StableHLO's bit-level ops, exactly, from the engine's integer arithmetic (which wraps modulo 2^bits as XLA's):
- shift_left / shift_right_logical / shift_right_arithmetic of integers (jax.random's threefry hash rotates
  uint32 words): x * 2^s, floor(x / 2^s) of the unsigned view, floor(x / 2^s) of the signed value; a shift by
  the width or more gives 0 (-1 for a negative value shifted arithmetically), as StableHLO says;
- bitcast_convert of an integer to a float of its width (jax.random.uniform builds floats in [1, 2) from random
  mantissa bits): sign, exponent and mantissa fields decoded and the value composed in float64, subnormals, inf
  and nan included;
- reduce_precision (bfloat16 / float16 emulation in float32): the mantissa rounded to nearest even, and with
  fewer exponent bits, overflow to inf and values below the smallest normal flushed to a signed zero (XLA's
  semantics); its derivative is JAX's: the cotangent reduced the same way (JAX treats it as linear), as a
  custom_vjp node, two orders deep (composites.rounding_cast);
- popcnt (lax.population_count) by the SWAR sums of bit pairs, nibbles and bytes, the bytes added by one wrapping
  multiply; count_leading_zeros (lax.clz) as the width less the popcount of x with every bit below its top bit set
  (x | x >> 1 | x >> 2 ...): both of the unsigned view, as StableHLO reads the bits, any integer width."""
from __future__ import annotations

import numpy as np

from ._shared.composites import rounding_cast
from ._shared.division import int_divide
from ._shared.graph_writer import GraphWriter, UnsupportedModel

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


def _reduce(w: GraphWriter, x: str, ebits: int, mbits: int) -> str:
    """x rounded to `mbits` mantissa bits (ties to even) and, with fewer exponent bits than x's type, overflowing
    to inf and flushed to zero below the reduced type's smallest normal; nan and inf as they are."""
    dtype = w.dtype(x)
    src_e, src_m = _FLOAT_BITS[dtype]
    a = w.unary("abs", w.cast(x, "float64"))
    finite = w.binary("logical_and", w.binary("less", a, w.scalar_like(np.inf, a)),
                      w.binary("greater", a, w.scalar_like(0.0, a)))
    safe = w.where(finite, a, w.scalar_like(1.0, a))
    two = w.scalar_like(2.0, a)
    # floor(log2 |x|), corrected where the logarithm's rounding crossed a power of two
    e = w.unary("floor", w.div(w.unary("log", safe), w.scalar_like(np.log(2.0), safe)))
    e = w.sub(e, w.cast(w.binary("greater", w.binary("pow", two, e), safe), "float64"))
    e = w.add(e, w.cast(w.binary("less_equal", w.binary("pow", two, w.add(e, w.scalar_like(1.0, e))), safe),
                        "float64"))
    src_emin = 2 - 2 ** (src_e - 1)
    if mbits < src_m:  # a subnormal of x's type rounds its raw mantissa: the step of the smallest binade
        e = w.binary("maximum", e, w.scalar_like(float(src_emin), e))
        step = w.binary("pow", two, w.sub(e, w.scalar_like(float(mbits), e)))
        q = w.mul(w.unary("round", w.div(safe, step)), step)
    else:
        q = safe
    if ebits < src_e:
        emax = 2 ** (ebits - 1) - 1
        q = w.where(w.binary("greater_equal", q, w.scalar_like(2.0 ** (emax + 1), q)), w.scalar_like(np.inf, q), q)
        q = w.where(w.binary("less", q, w.scalar_like(2.0 ** (1 - emax), q)), w.scalar_like(0.0, q), q)
    signed = w.where(w.binary("less", w.cast(x, "float64"), w.scalar_like(0.0, a)), w.unary("neg", q), q)
    return w.where(finite, w.cast(signed, dtype), x)


def reduce_precision(w: GraphWriter, x: str, ebits: int, mbits: int) -> str:
    """_reduce with JAX's derivative: the cotangent reduced alike (composites.rounding_cast)."""
    if w.dtype(x) not in _FLOAT_BITS:
        raise UnsupportedModel(f"reduce_precision of {w.dtype(x)}")
    if ebits < 1 or mbits < 0:
        raise UnsupportedModel(f"reduce_precision to {ebits} exponent and {mbits} mantissa bits")
    return rounding_cast(w, x, lambda fw, v: _reduce(fw, v, ebits, mbits), "reduce_precision")


def shift_right(w: GraphWriter, u: str, k: int) -> str:
    """u >> k for an unsigned u and a constant k < its width."""
    return int_divide(w, u, w.scalar_like(2 ** k, u), "floor") if k else u


def _repeat(byte: int, bits: int) -> int:
    return int.from_bytes(bytes([byte]) * (bits // 8), "little")


def popcount(w: GraphWriter, x: str) -> str:
    """The number of set bits of each element of integer x, in x's dtype."""
    dtype = w.dtype(x)
    if not dtype.startswith(("int", "uint")):
        raise UnsupportedModel(f"population_count of {dtype}")
    bits, u = np.dtype(dtype).itemsize * 8, w.cast(x, _unsigned(dtype))
    mask = lambda byte: w.scalar_like(_repeat(byte, bits), u)  # noqa: E731
    u = w.sub(u, w.binary("bitwise_and", shift_right(w, u, 1), mask(0x55)))  # each bit pair's count (never borrows)
    u = w.add(w.binary("bitwise_and", u, mask(0x33)), w.binary("bitwise_and", shift_right(w, u, 2), mask(0x33)))
    u = w.binary("bitwise_and", w.add(u, shift_right(w, u, 4)), mask(0x0F))  # each byte's count
    if bits > 8:  # the bytes' counts summed into the top byte (the product wraps modulo 2^bits, as intended)
        u = shift_right(w, w.mul(u, mask(0x01)), bits - 8)
    return w.cast(u, dtype)


def count_leading_zeros(w: GraphWriter, x: str) -> str:
    """The zero bits above the highest set bit of integer x (the width for 0), in x's dtype."""
    dtype = w.dtype(x)
    if not dtype.startswith(("int", "uint")):
        raise UnsupportedModel(f"count_leading_zeros of {dtype}")
    bits, u = np.dtype(dtype).itemsize * 8, w.cast(x, _unsigned(dtype))
    k = 1
    while k < bits:
        u = w.binary("bitwise_or", u, shift_right(w, u, k))
        k *= 2
    return w.cast(w.sub(w.scalar_like(bits, u), w.cast(popcount(w, u), _unsigned(dtype))), dtype)


def layer_op(fn, op, ins, shape, dtype):
    """The LAYER_OPS entries: the shifts, reduce_precision, popcnt and count_leading_zeros."""
    from jaxlib.mlir import ir

    name = op.operation.name.rsplit(".", 1)[-1]
    if name == "reduce_precision":
        ebits, mbits = (ir.IntegerAttr(op.attributes[k]).value for k in ("exponent_bits", "mantissa_bits"))
        return [reduce_precision(fn.w, ins[0], ebits, mbits)]
    if name == "popcnt":
        return [popcount(fn.w, ins[0])]
    if name == "count_leading_zeros":
        return [count_leading_zeros(fn.w, ins[0])]
    return [shift(fn.w, name, ins[0], ins[1])]


LAYER_OPS = {"shift_left": layer_op, "shift_right_logical": layer_op, "reduce_precision": layer_op,
             "popcnt": layer_op, "count_leading_zeros": layer_op}
