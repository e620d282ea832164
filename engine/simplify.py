"""Local algebraic simplification, applied as each equation is emitted.

Returns replacement Vars for an equation about to be emitted, or None to emit
it as is. Rules here must be exact (no float reassociation beyond what the
rule states) and must preserve shape and dtype of every output.

Zeros: `x * 0` is NaN for x NaN or inf, so a product is pruned to zero only where
the zero is symbolic (Var.symbolic: an absent cotangent or tangent the
differentiation made, as JAX and PyTorch never materialise such products), never
where it is a value of the user's graph.
"""
from __future__ import annotations

import numpy as np

from .ir import NP_DTYPES, AVal, Var
from .ops.registry import OPS

def _round(value: float, dtype: str) -> float:
    """The value as the dtype stores it, so folding equals running."""
    if dtype.startswith(("float", "complex", "bfloat")):  # a fill's value is real (complex: its real part)
        return float(np.asarray(value, dtype=NP_DTYPES[dtype]).real)
    if dtype == "bool":
        return float(bool(value))
    return float(int(value))


def producer(b, v: Var):
    """The equation of `b` that computed `v` (None for inputs, params and foreign Vars).

    Indexed lazily: `b.eqns` is append-only, so only equations emitted since the last
    lookup are scanned."""
    d = b.__dict__
    idx = d.get("_simplify_producers")
    if idx is None or idx[0] is not b.eqns:
        idx = d["_simplify_producers"] = [b.eqns, 0, {}]
    eqns, done, prod = idx
    for e in eqns[done:]:
        for o in e.outputs:
            prod[o.id] = e
    idx[1] = len(eqns)
    return prod.get(v.id)


def _matmul_uniform(b, ins, attrs, u, out: AVal):
    """matmul with a uniform operand: every output element is the same one-term product
    (contracted length 1: exact) or, for a ones operand, the plain sum of the other
    operand's contracted axis (the sum NumPy's add.reduce computes; BLAS's order of
    that sum is unspecified anyway). The result is broadcast, never materialised."""
    a, y = ins
    if a.aval.ndim != 2 or y.aval.ndim != 2 or not out.dtype.startswith("float"):
        return None
    ta, tb = bool(attrs.get("transpose_a")), bool(attrs.get("transpose_b"))
    m, n = out.shape
    if u[0] is not None:  # uniform left operand: each row of the result is c * colsum(B)
        c, other, k = u[0], y, (a.shape[0] if ta else a.shape[1])
        if k == 1:
            vec = b.emit1("reshape", other, shape=(1, n))  # B is (1, n) or (n, 1): one row
        elif c == 1.0:
            vec = b.emit1("sum", other, axis=(1 if tb else 0,), keepdims=True)
            vec = b.emit1("reshape", vec, shape=(1, n))
        else:
            return None
    else:  # uniform right operand: each column of the result is rowsum(A) * c
        c, other, k = u[1], a, (y.shape[1] if tb else y.shape[0])
        if k == 1:
            vec = b.emit1("reshape", other, shape=(m, 1))
        elif c == 1.0:
            vec = b.emit1("sum", other, axis=(0 if ta else 1,), keepdims=True)
            vec = b.emit1("reshape", vec, shape=(m, 1))
        else:
            return None
    if c != 1.0:  # k == 1: the one product c * b, in the operands' order
        cs = b.scalar(c, out.dtype)
        vec = b.emit1("mul", cs, vec) if u[0] is not None else b.emit1("mul", vec, cs)
    return [b.emit1("broadcast_to", vec, shape=tuple(out.shape))]


class _Site:
    """An equation about to be emitted: its builder, inputs, attrs, output aval and the uniform
    value of each input (None where not uniform)."""

    def __init__(self, b, op: str, ins: tuple[Var, ...], attrs: dict, out: AVal):
        self.b, self.op, self.ins, self.attrs, self.out = b, op, ins, attrs, out
        # (a fill's value as its dtype stores it: bfloat16(0.3) summed thrice is 0.90234375, not bfloat16(0.9))
        self.u = [v if (v := b.uniform.get(x.id)) is None or not x.dtype.startswith(("float", "bfloat"))
                  else _round(v, x.dtype) for x in ins]

    def same(self, x: Var) -> bool:
        return x.aval == self.out

    def zero(self, i: int) -> bool:
        """Input i is a symbolic zero (see the module doc)."""
        return self.u[i] == 0.0 and self.ins[i].symbolic

    def fill(self, value: float, symbolic: bool = False) -> list[Var]:
        out = self.out
        with self.b.zero_fills(symbolic=symbolic):
            return [self.b.full(out.shape, _round(value, out.dtype), out.dtype)]


def simplify_emit(b, op: str, ins: tuple[Var, ...], attrs: dict, out_avals: list[AVal]):
    if len(out_avals) != 1:
        return None
    s = _Site(b, op, ins, attrs, out_avals[0])
    folded = _fold(s)
    if folded is not None:
        return folded or None  # [] : a fold that failed (overflow): emit the op as it is
    narrowed = _narrow_operand(s)
    if narrowed is not None:
        return narrowed
    rule = _reshape if OPS[op].reshapes else _ALGEBRA.get(op)
    return rule(s) if rule is not None else None


def _fold(s: _Site):
    """Uniform inputs, uniform output: a fill. [] where folding is not exact (overflow)."""
    od, u, out, ins = OPS[s.op], s.u, s.out, s.ins
    if _prunes(s):  # a product with a symbolic zero is zero, even of a uniform inf
        return s.fill(0.0, symbolic=s.zero(0) or s.zero(1))
    if ins and od.fold is not None and all(v is not None for v in u) and out.dtype.startswith("float"):
        try:  # an op's `fold` is its value on Python floats
            return s.fill(od.fold(*u), _symbolic_fold(s))
        except (OverflowError, ValueError):
            return []
    if od.rearranges and u[0] is not None:
        return s.fill(u[0], s.zero(0))
    if s.op in ("sum", "reduce_to") and u[0] is not None:
        return s.fill(u[0] * (ins[0].aval.size // max(out.size, 1)), s.zero(0))
    if s.op == "mean" and u[0] is not None:
        return s.fill(u[0], s.zero(0))
    return None


def _symbolic_fold(s: _Site) -> bool:
    """A folded value made of symbolic zeros only (neg, add...) is one too."""
    return all(s.zero(i) for i in range(len(s.ins)))


def _narrow_operand(s: _Site):
    """An operand that only broadcasts to the output shape: a non-scalar fill becomes a 0-d fill
    (when the other operand already has the output shape); a broadcast_to is bypassed when its
    source broadcast against the other operand still gives the output shape (NumPy broadcasting
    gives each output element the same operand value)."""
    ins, out, u, b = s.ins, s.out, s.u, s.b
    if not (OPS[s.op].broadcasts and len(ins) == 2 and ins[0].dtype == ins[1].dtype == out.dtype):
        return None
    for i in (0, 1):
        x, other = ins[i], ins[1 - i]
        if u[i] is not None and x.aval.ndim > 0 and other.shape == out.shape:
            with b.zero_fills(symbolic=s.zero(i)):
                new = b.scalar(u[i], x.dtype)
        else:
            e = producer(b, x)
            # the source broadcast against the other operand must still give the output shape
            if e is None or e.op != "broadcast_to" or _broadcast_shape(e.inputs[0].shape, other.shape) != out.shape:
                continue
            new = e.inputs[0]
        args = [ins[0], ins[1]]
        args[i] = new
        return [b.emit1(s.op, *args)]
    return None


def _broadcast_shape(a: tuple, b: tuple) -> tuple | None:
    """NumPy's broadcast of two shapes, or None where they do not broadcast."""
    try:
        return tuple(np.broadcast_shapes(tuple(a), tuple(b)))
    except ValueError:
        return None


# -- algebraic identities, one rule per op ----------------------------------------------------
def _prunes(s: _Site) -> bool:
    """A product with a symbolic zero factor (div: numerator), or an integer product with 0."""
    if s.op in ("mul", "matmul"):
        return s.zero(0) or s.zero(1) or (_integral(s.out.dtype) and 0 in s.u)
    return s.op == "div" and s.zero(0)


def _integral(dtype: str) -> bool:
    return dtype == "bool" or dtype.startswith(("int", "uint"))


def _mul(s: _Site):
    (x, y), u = s.ins, s.u
    if u[1] == 1.0 and s.same(x):
        return [x]
    if u[0] == 1.0 and s.same(y):
        return [y]
    if u[1] == -1.0 and s.same(x):
        return [s.b.emit1("neg", x)]
    if u[0] == -1.0 and s.same(y):
        return [s.b.emit1("neg", y)]
    return None


def _add(s: _Site):
    (x, y), u = s.ins, s.u
    if u[1] == 0.0 and s.same(x):
        return [x]
    if u[0] == 0.0 and s.same(y):
        return [y]
    return None


def _sub(s: _Site):
    (x, y), u = s.ins, s.u
    if u[1] == 0.0 and s.same(x):
        return [x]
    if u[0] == 0.0 and s.same(y):
        return [s.b.emit1("neg", y)]
    return None


def _div(s: _Site):
    (x, y), u = s.ins, s.u
    if u[1] == 1.0 and s.same(x):
        return [x]
    return None


def _matmul(s: _Site):
    u = s.u
    if u[0] is not None or u[1] is not None:
        return _matmul_uniform(s.b, s.ins, s.attrs, u, s.out)
    return None


def _transpose(s: _Site):
    ins, attrs, b = s.ins, s.attrs, s.b
    e = producer(b, ins[0])
    if e is not None and e.op == "transpose":  # transpose(transpose(x, p), q) = transpose(x, p o q)
        src = e.inputs[0]
        nd = src.aval.ndim
        p = tuple(reversed(range(nd))) if e.attrs.get("perm") is None else tuple(e.attrs["perm"])
        q = tuple(reversed(range(nd))) if attrs.get("perm") is None else tuple(attrs["perm"])
        pq = tuple(p[i] for i in q)
        if pq == tuple(range(nd)):
            return [src]
        return [b.emit1("transpose", src, perm=pq)]
    if attrs.get("perm") is not None and tuple(attrs["perm"]) == tuple(range(ins[0].aval.ndim)):
        return [ins[0]]
    return None


def _cast(s: _Site):
    return [s.ins[0]] if s.ins[0].dtype == s.attrs.get("dtype") else None


def _same_shape(s: _Site):
    return [s.ins[0]] if s.same(s.ins[0]) else None


def _reshape(s: _Site):
    """A reshape of a reshape is one reshape of the source (row-major order composes); one back to
    the source's shape is the source. expand_dims and squeeze are reshapes too."""
    x = s.ins[0]
    e = producer(s.b, x)
    if e is not None and OPS[e.op].reshapes:
        x = e.inputs[0]
    if s.same(x):
        return [x]
    if x is s.ins[0]:
        return None
    return [s.b.emit1("reshape", x, shape=tuple(s.out.shape))]


def _one_term(s: _Site):
    """A sum or mean over axes of size 1 (one term each, 0-d included) is its input reshaped: the
    reduction would add +0.0 to it (changing only a -0.0, as add(x, 0) = x above does)."""
    x = s.ins[0]
    if x.aval.size != s.out.size or x.dtype != s.out.dtype or not s.out.dtype.startswith("float"):
        return None
    return [x] if s.same(x) else [s.b.emit1("reshape", x, shape=tuple(s.out.shape))]


_ALGEBRA = {"mul": _mul, "add": _add, "sub": _sub, "div": _div, "matmul": _matmul, "transpose": _transpose,
            "cast": _cast, "broadcast_to": _same_shape, "reduce_to": _same_shape, "sum": _one_term,
            "mean": _one_term}
