"""einsum and dot_general, as composites of transpose / reshape / sum / matmul.

Operands are contracted left to right: letters only one operand has and nothing later
needs are summed first; a pair becomes one batched matmul ([batch, free_a, contracted] @
[batch, contracted, free_b]). The derivative is then matmuls and transposes, and so is
every higher one. Not supported (a clear error): a letter repeated within one operand
(diagonals / traces) and size-1 broadcasting between operands.
"""
from __future__ import annotations

import math

from ..errors import ShapeError
from .composite import defcomposite
from .registry import Attr

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_equation(eq: str, ranks: list[int]) -> tuple[list[str], str]:
    """Subscripts per operand and of the output, with '...' spelled out as unused letters."""
    eq = eq.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(ranks):
        raise ShapeError(f"einsum: equation {eq!r} names {len(subs)} operand(s), got {len(ranks)}")
    free = [c for c in _LETTERS if c not in eq]
    n_ell = max((r - len(s.replace("...", "")) for s, r in zip(subs, ranks) if "..." in s), default=0)
    ell = "".join(free[:n_ell])
    full = []
    for i, (s, r) in enumerate(zip(subs, ranks)):
        if "..." in s:
            k = r - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if len(s) != r or not all(c in _LETTERS for c in s):
            raise ShapeError(f"einsum: subscripts {subs[i]!r} do not fit operand {i} of rank {r}")
        if len(set(s)) != len(s):
            raise ShapeError(f"einsum: letter repeated within operand {i} ({subs[i]!r}): diagonals are not "
                             "supported")
        full.append(s)
    if arrow:
        out = out.replace("...", ell)
    else:  # implicit mode: letters seen once, sorted, after the ellipsis axes
        counts = {c: sum(s.count(c) for s in full) for c in set("".join(full))}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    if len(set(out)) != len(out) or any(c not in "".join(full) for c in out):
        raise ShapeError(f"einsum: output {out!r} repeats a letter or names one no operand has")
    return full, out


def _sizes(operands, subs):
    size: dict[str, int] = {}
    for i, (v, s) in enumerate(zip(operands, subs)):
        for c, n in zip(s, v.shape):
            if size.setdefault(c, n) != n:
                raise ShapeError(f"einsum: letter {c!r} has size {size[c]} and {n} (operand {i})",
                                 shapes=[list(o.shape) for o in operands])
    return size


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
    size = _sizes(operands, subs)
    v, s = _presum(b, operands[0], subs[0], set(out).union(*subs[1:]))
    for k in range(1, len(operands)):
        later = set(out).union(*subs[k + 1:])
        w, t = _presum(b, operands[k], subs[k], later | set(s))
        v, s = _presum(b, v, s, later | set(t))
        v, s = _pair(b, v, s, w, t, later, size)
    v, s = _presum(b, v, s, set(out))
    return _arrange(b, v, s, out)


def _einsum(b, *xs, equation):
    if not xs:
        raise ShapeError("einsum: needs at least one operand")
    if len({x.dtype for x in xs}) > 1:
        raise ShapeError(f"einsum: operand dtypes differ: {', '.join(str(x.aval) for x in xs)}")
    subs, out = parse_equation(equation, [x.aval.ndim for x in xs])
    return contract(b, list(xs), subs, out)


defcomposite("einsum", None, _einsum, min_arity=1, attrs={"equation": Attr("str")},
             doc="Einstein summation over the operands, e.g. 'bij,bjk->bik' ('...' allowed; no diagonals)")


def _dot_general(b, x, y, *, lhs_contracting, rhs_contracting, lhs_batch, rhs_batch):
    if len(lhs_contracting) != len(rhs_contracting) or len(lhs_batch) != len(rhs_batch):
        raise ShapeError("dot_general: lhs and rhs need as many contracting and batch dimensions")
    nx, ny = x.aval.ndim, y.aval.ndim
    for dims, n, what in ((lhs_contracting + lhs_batch, nx, "lhs"), (rhs_contracting + rhs_batch, ny, "rhs")):
        if any(not 0 <= d < n for d in dims) or len(set(dims)) != len(dims):
            raise ShapeError(f"dot_general: {what} dimensions {list(dims)} must be distinct and within rank {n}")
    a = list(_LETTERS[:nx])
    c = list(_LETTERS[nx:nx + ny])
    for i, j in zip(lhs_batch + lhs_contracting, rhs_batch + rhs_contracting):
        c[j] = a[i]
    batch = "".join(a[i] for i in lhs_batch)
    out = batch + "".join(l for i, l in enumerate(a) if i not in lhs_batch + lhs_contracting) + \
        "".join(l for j, l in enumerate(c) if j not in rhs_batch + rhs_contracting)
    if x.dtype != y.dtype:
        raise ShapeError(f"dot_general: operand dtypes differ: {x.aval} vs {y.aval}")
    return contract(b, [x, y], ["".join(a), "".join(c)], out)


defcomposite("dot_general", 2, _dot_general,
             attrs={"lhs_contracting": Attr("ints", ()), "rhs_contracting": Attr("ints", ()),
                    "lhs_batch": Attr("ints", ()), "rhs_batch": Attr("ints", ())},
             doc="StableHLO dot_general: output = batch dims, lhs free dims, rhs free dims (in order)")
