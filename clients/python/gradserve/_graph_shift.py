"""`x << y` / `x >> y` of Python numbers in a graph (GRAPH_MODE or a @jit function): MindSpore's int64 rules.

MindSpore 2.10's graph folds a shift of Python scalars as int64 when compiling: a bool or float operand is a
TypeError, a negative count a ValueError, a left shift past int64 a RuntimeError, and an int outside int64 cannot
enter the graph at all (RuntimeError). Python's own shift of ints never overflows, so without these checks a graph
would silently give 2**62 << 3 == 2**65 where MindSpore refuses. Tensors and PyNative code keep their own rules."""
from __future__ import annotations

import operator

from ._trace import graph_semantics

__all__ = ["shift", "scalar_imm", "int_pow"]

_I64 = (-(2 ** 63), 2 ** 63 - 1)
_NAMES = {"<<": "BitLeftShift", ">>": "BitRightShift"}


def scalar_imm(v) -> tuple[str, str]:
    """A Python scalar as MindSpore's graph error texts name it: its kind and value (('BoolImm', 'true'))."""
    if v is None:
        return "None", "None"
    if isinstance(v, bool):
        return "BoolImm", str(v).lower()
    if isinstance(v, float):
        return "FP32Imm", f"{v:g}"
    if isinstance(v, str):
        return "StringImm", v
    return "Int64Imm", str(v)


def _imm(v) -> str:
    """('type of x:Int64Imm, value of x:3')"""
    kind, value = scalar_imm(v)
    return f"{kind}, value of {{}}:{value}"


def shift(op: str, x, y):
    """x << y (op '<<') or x >> y (op '>>'), with MindSpore's graph rules where both are Python scalars."""
    fn = operator.lshift if op == "<<" else operator.rshift
    scalars = (int, float)  # (bool is an int)
    if not (type(x) in (*scalars, bool) and type(y) in (*scalars, bool)) or not graph_semantics():
        return fn(x, y)
    if type(x) is not int or type(y) is not int:
        raise TypeError(f"Unsupported input type. For {_NAMES[op]}, only integer types are supported, but got "
                        f"type of x:{_imm(x).format('x')}, type of y:{_imm(y).format('y')}")
    for v in (x, y):
        if not _I64[0] <= v <= _I64[1]:  # (MindSpore fails converting the argument, before the shift)
            raise RuntimeError("Unable to cast Python instance of type <class 'int'> to C++ type 'long'")
    if y < 0:
        raise ValueError("For shift operator, shift count must be a non-negative integer.")
    out = fn(x, y)
    if not _I64[0] <= out <= _I64[1]:
        raise RuntimeError("Arithmetic left shift causes int64 integer overflow.")
    return out


def int_pow(x, y):
    """x ** y: in a graph, two Python ints with a negative exponent give an int, the power truncated toward 0, as
    MindSpore 2.10's graph folds it (`2 ** -1` is 0, `(-1) ** -3` -1, `3 ** -1` 0: /work/scratch_left34/p6b.py);
    anything else is Python's (a Tensor's own rules)."""
    if type(x) is int and type(y) is int and y < 0 and graph_semantics():
        return int(x ** y)
    return x ** y
