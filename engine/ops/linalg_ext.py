"""einsum and dot_general, as composites of transpose / reshape / sum / matmul.

Operands are contracted left to right: letters only one operand has and nothing later
needs are summed first; a pair becomes one batched matmul ([batch, free_a, contracted] @
[batch, contracted, free_b]). The derivative is then matmuls and transposes, and so is
every higher one. Not supported (a clear error): a letter repeated within one operand
(diagonals / traces) and size-1 broadcasting between operands.
"""
from __future__ import annotations

import math

from ..shape_rules import dot_general_subscripts, letter_sizes, parse_equation
from .composite import defcomposite
from .registry import Attr

def _arrange(b, v, s, order):
    """v (subscripts s) transposed to `order` (a permutation of s)."""
    if s == order:
        return v
    return b.transpose(v, perm=tuple(s.index(c) for c in order))


def _presum(b, v, s, needed):
    drop = tuple(i for i, c in enumerate(s) if c not in needed)
    if not drop:
        return v, s
    return b.sum(v, axis=drop), "".join(c for c in s if c in needed)


def _pair(b, x, a, y, c, keep, size):
    batch = "".join(l for l in a if l in c and l in keep)
    contr = "".join(l for l in a if l in c and l not in keep)
    fa = "".join(l for l in a if l not in c)
    fb = "".join(l for l in c if l not in a)

    def prod(ls):
        return math.prod(size[l] for l in ls)

    xm = b.reshape(_arrange(b, x, a, batch + fa + contr), shape=(prod(batch), prod(fa), prod(contr)))
    ym = b.reshape(_arrange(b, y, c, batch + contr + fb), shape=(prod(batch), prod(contr), prod(fb)))
    out = b.matmul(xm, ym)
    s = batch + fa + fb
    return b.reshape(out, shape=tuple(size[l] for l in s)), s


def contract(b, operands, subs, out):
    size = letter_sizes(operands, subs)
    v, s = _presum(b, operands[0], subs[0], set(out).union(*subs[1:]))
    for k in range(1, len(operands)):
        later = set(out).union(*subs[k + 1:])
        w, t = _presum(b, operands[k], subs[k], later | set(s))
        v, s = _presum(b, v, s, later | set(t))
        v, s = _pair(b, v, s, w, t, later, size)
    v, s = _presum(b, v, s, set(out))
    return _arrange(b, v, s, out)


def _einsum(b, *xs, equation):
    subs, out = parse_equation(equation, [x.aval.ndim for x in xs])
    return contract(b, list(xs), subs, out)


defcomposite("einsum", None, _einsum, min_arity=1, attrs={"equation": Attr("str")},
             doc="Einstein summation over the operands, e.g. 'bij,bjk->bik' ('...' allowed; no diagonals)")


def _dot_general(b, x, y, *, lhs_contracting, rhs_contracting, lhs_batch, rhs_batch):
    sa, sc, out = dot_general_subscripts(x.aval.ndim, y.aval.ndim, lhs_contracting, rhs_contracting, lhs_batch,
                                         rhs_batch)
    return contract(b, [x, y], [sa, sc], out)


defcomposite("dot_general", 2, _dot_general,
             attrs={"lhs_contracting": Attr("ints", ()), "rhs_contracting": Attr("ints", ()),
                    "lhs_batch": Attr("ints", ()), "rhs_batch": Attr("ints", ())},
             doc="StableHLO dot_general: output = batch dims, lhs free dims, rhs free dims (in order)")
