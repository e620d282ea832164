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
from ._shared.bits import _FLOAT_BITS, _unsigned, floor_log2, shift, shift_right
from ._shared.graph_writer import GraphWriter, UnsupportedModel


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
    e = floor_log2(w, safe)
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
