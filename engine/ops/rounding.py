"""Rounding ops (floor, ceil, round), the two float remainders (remainder, fmod) and nextafter.

floor / ceil / round are piecewise constant: derivative zero almost everywhere, a true zero (as
PyTorch, JAX and ONNX runtimes give), not a missing rule. remainder (the result takes the divisor's
sign, Python's %, torch.remainder, numpy.mod) and fmod (the dividend's sign, C fmod, torch.fmod)
are a - q * b with q = floor(a / b) or trunc(a / b): derivative 1 w.r.t. a and -q w.r.t. b, as
torch.autograd gives. nextafter(a, b), the float next to a towards b (C nextafter, numpy.nextafter), is a
up to one ulp: derivative 1 w.r.t. a and 0 w.r.t. b (MindSpore's NextAfter gradient; torch defines none).
"""
from __future__ import annotations

import math

import numpy as np

from .composite import dtype_name
from .elementwise import _binary, _sum_tangents, _unary
from .registry import jvp_rules, ufunc_out, vjp_rules


def _zero_rules(name: str):
    vjp_rules[name] = lambda b, ins, outs, cts: [None]
    jvp_rules[name] = lambda b, ins, outs, ts: [None]


_unary("floor", lambda xp, x: xp.floor(x), None, np_out=ufunc_out(np.floor), fold=math.floor,
       doc="elementwise floor: the largest integer <= x (derivative zero almost everywhere)")
_unary("ceil", lambda xp, x: xp.ceil(x), None, np_out=ufunc_out(np.ceil), fold=math.ceil,
       doc="elementwise ceil: the smallest integer >= x (derivative zero almost everywhere)")
_unary("round", lambda xp, x: xp.round(x), None, np_out=ufunc_out(np.rint), fold=lambda a: float(np.rint(a)),
       doc="elementwise round half to even (torch.round, ONNX Round, numpy.round; derivative zero a.e.)")
for _name in ("floor", "ceil", "round"):
    _zero_rules(_name)


def _trunc(b, q):
    return b.where(b.less(q, b.zeros_like(q)), b.ceil(q), b.floor(q))


def _quotient(name: str):
    """q of a - q * b: floor(a / b) for remainder, trunc(a / b) for fmod. Integers: the same quotient, exact
    below 2**53, through float64 and back (MindSpore 2.10's FloorMod gradient on ints is that integer -q; a zero
    divisor, where the op gives 0, gives q = 0). remainder's narrower floats divide in float64 too, as MindSpore's
    FloorDiv kernel: float16 1.4e-6 / -11456 underflowed to -0, floor -0, where MindSpore's gradient for b is 1
    (fmod's stays: in float64, 220 of MindSpore 2.10's 16384 float16 gradient values would differ, now 1)."""
    def q(b, x, y):
        out_dtype = dtype_name(x.dtype)
        integer = out_dtype.startswith(("int", "uint"))
        wide = integer or (name == "remainder" and out_dtype in ("float16", "bfloat16", "float32"))
        if wide:
            x, y = b.cast(x, dtype="float64"), b.cast(y, dtype="float64")
        if integer:
            zero = b.equal(y, b.zeros_like(y))
            y = b.where(zero, b.full_like(y, 1.0), y)
        ratio = b.div(x, y)
        quotient = b.floor(ratio) if name == "remainder" else _trunc(b, ratio)
        if integer:
            quotient = b.where(zero, b.zeros_like(quotient), quotient)
        return b.cast(quotient, dtype=out_dtype) if wide else quotient
    return q


def _int_divisor_safe(fn):
    """fn(xp, x, y) with NumPy's answer for integers where y == 0 (zero; PyTorch raises ZeroDivisionError,
    a worker's 500, on a value the client sent)."""
    def impl(xp, x, y):
        if not dtype_name(x.dtype).startswith(("int", "uint")):
            return fn(xp, x, y)
        zero = y == 0
        r = fn(xp, x, xp.where(zero, xp.ones_like(y), y))
        return xp.where(zero, xp.zeros_like(r), r)
    return impl


def _fmod(xp, x, y):
    # exact: |a| mod |b| is the same residue under either convention; fmod gives it a's sign
    # (the array API has remainder, not fmod)
    r = xp.remainder(xp.abs(x), xp.abs(y))
    return xp.where(x < 0, -r, r)


def _remainder_rules(name: str):
    q = _quotient(name)
    vjp_rules[name] = lambda b, ins, outs, cts: [cts[0], b.neg(b.mul(cts[0], q(b, ins[0], ins[1])))]
    jvp_rules[name] = lambda b, ins, outs, ts: [_sum_tangents(
        b, ts[0], ts[1] and b.neg(b.mul(ts[1], q(b, ins[0], ins[1]))))]


# integers too: torch.roll decomposes to fmod of an index arange
_binary("remainder", _int_divisor_safe(lambda xp, x, y: xp.remainder(x, y)), None, None,
        doc="a - floor(a / b) * b, elementwise with NumPy broadcasting: the divisor's sign (torch.remainder, "
            "numpy.mod)", np_out=ufunc_out(np.remainder))
_binary("fmod", _int_divisor_safe(_fmod), None, None,
        doc="a - trunc(a / b) * b, elementwise with NumPy broadcasting: the dividend's sign (torch.fmod, C fmod)",
        np_out=ufunc_out(np.fmod))
for _name in ("remainder", "fmod"):
    _remainder_rules(_name)


_binary("nextafter", lambda xp, x, y: xp.nextafter(x, y),
        lambda b, ins, outs, cts: [cts[0], None],
        lambda b, ins, outs, ts: [ts[0]],
        float_only=True, np_out=ufunc_out(np.nextafter),
        doc="the floating-point value next to a in the direction of b, elementwise with NumPy broadcasting "
            "(C nextafter, numpy.nextafter); derivative 1 w.r.t. a, 0 w.r.t. b")
