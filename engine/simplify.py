"""Local algebraic simplification, applied as each equation is emitted.

Returns replacement Vars for an equation about to be emitted, or None to emit
it as is. Rules here must be exact (no float reassociation beyond what the
rule states) and must preserve shape and dtype of every output.
"""
from __future__ import annotations

import math

import numpy as np

from .ir import AVal, Var

# Elementwise ops whose value on uniform inputs is a uniform output: fold them.
_FOLD_UNARY = {
    "neg": lambda a: -a, "exp": math.exp, "sin": math.sin, "cos": math.cos,
    "square": lambda a: a * a, "tanh": math.tanh, "abs": abs,
    "sign": lambda a: float(np.sign(a)), "stop_gradient": lambda a: a,
}
_FOLD_BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
}


def _round(value: float, dtype: str) -> float:
    """The value as the dtype stores it, so folding equals running."""
    if dtype.startswith("float"):
        return float(np.asarray(value, dtype=dtype))
    if dtype == "bool":
        return float(bool(value))
    return float(int(value))


def simplify_emit(b, op: str, ins: tuple[Var, ...], attrs: dict, out_avals: list[AVal]):
    if len(out_avals) != 1:
        return None
    out = out_avals[0]
    u = [b.uniform.get(x.id) for x in ins]

    def same(x: Var) -> bool:
        return x.aval == out

    def fill(value: float):
        return [b.full(out.shape, _round(value, out.dtype), out.dtype)]

    # constant folding of uniform values
    if ins and all(v is not None for v in u) and out.dtype.startswith("float"):
        if op in _FOLD_UNARY:
            try:
                return fill(_FOLD_UNARY[op](u[0]))
            except (OverflowError, ValueError):
                return None
        if op in _FOLD_BINARY:
            return fill(_FOLD_BINARY[op](u[0], u[1]))
    if op in ("broadcast_to", "reshape", "expand_dims", "squeeze", "transpose", "cast") and u[0] is not None:
        return fill(u[0])
    if op in ("sum", "reduce_to") and u[0] is not None:
        n_in = ins[0].aval.size
        n_out = out.size
        return fill(u[0] * (n_in // max(n_out, 1)))
    if op == "mean" and u[0] is not None:
        return fill(u[0])

    if op == "mul":
        x, y = ins
        if u[0] == 0.0 or u[1] == 0.0:
            return fill(0.0)
        if u[1] == 1.0 and same(x):
            return [x]
        if u[0] == 1.0 and same(y):
            return [y]
        if u[1] == -1.0 and same(x):
            return [b.emit1("neg", x)]
        if u[0] == -1.0 and same(y):
            return [b.emit1("neg", y)]
    elif op == "add":
        x, y = ins
        if u[1] == 0.0 and same(x):
            return [x]
        if u[0] == 0.0 and same(y):
            return [y]
    elif op == "sub":
        x, y = ins
        if u[1] == 0.0 and same(x):
            return [x]
        if u[0] == 0.0 and same(y):
            return [b.emit1("neg", y)]
    elif op == "div":
        x, y = ins
        if u[0] == 0.0:
            return fill(0.0)
        if u[1] == 1.0 and same(x):
            return [x]
    elif op == "matmul":
        if u[0] == 0.0 or u[1] == 0.0:
            return fill(0.0)
    elif op in ("cast",) and ins[0].dtype == attrs.get("dtype"):
        return [ins[0]]
    elif op in ("broadcast_to", "reshape", "reduce_to") and same(ins[0]):
        return [ins[0]]
    return None
