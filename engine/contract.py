"""Contraction: a sum over a product of broadcast factors becomes a matrix product.

Second-order graphs are full of sum(a * b * c, axes) whose factors broadcast: L1's force loss
sums a (32,1,16) row times a (32,32,16) table times a (32,32,1) mask over the last axis. NumPy runs
each mul over the whole broadcast shape and the reduction over short runs (~45 us for that chain);
a batched matrix product computes the same sums in ~4 us.

`contract` rewrites reduce(mul tree) (sum or reduce_to; every mul of the tree used only there):
- factors constant along every summed axis ("outer") multiply the smaller reduced result instead;
- of the other factors, the largest (A) is contracted with the product of the rest (P, smaller
  than A): matmul over (batch, free axes of A, summed axes) x (batch, summed axes, free axes of P),
  oriented so that A is never copied when its axes already come in one of those orders.

A sum of anything over one middle axis with a short run inside it (a (32,32,3) array over axis 1:
~20 us in NumPy's short runs) is ones(1, K) @ x viewed (batch, K, run) (~3 us); over a short last axis,
x viewed (batch, K) @ ones(K, 1); over the first axis, ones(1, K) @ x viewed (K, run) (GEMVs: ~2-4x faster).

A mul that is an outer product with a short trailing run ((32, 32, 1) * (16,): 1024 NumPy loops of 16)
is a (M, 1) @ (1, N) matmul: one BLAS call (~3x faster), the same values (BLAS gives +0.0 for a -0.0 product).

Not exact: products and sums are reassociated (as any BLAS reorders a sum), so values agree to the
dtype's precision, not bit for bit (and, as with any reassociation, an infinite factor meeting a zero
may give inf where the product's NaN term gave NaN, or the reverse). It runs in `optimize` with the other
reassociating passes (after absorb_neg), never in `canonical`.
"""
from __future__ import annotations

import math

from .ir import AVal, Eqn, Graph, Var, tree_flatten, tree_unflatten
from .ops.reductions import _reduce_to_axes
from .shape_rules import norm_axes

DTYPES = ("float32", "float64")
MAX_FACTORS = 8
MIN_ITEM_WORK = 64  # multiply-adds per batch item of a batched product (below: NumPy's loop per item costs more)
OUTER_MAX_RUN, OUTER_MIN_SIZE = 64, 2048  # an outer product's trailing run NumPy loops over; its size
FIRST_MIN_ROWS = 8  # a sum over the first axis runs as a product with ones when it is this long,
FIRST_MIN_RUN = 128  # or when the run inside it is this long (np_sum's fold of 3 x 1024: 4 calls, ~5 us; GEMV ~1)
LAST_MIN_ROWS = 64  # a sum over a short last axis runs as a product with ones with this many rows
ONES_MAX_RUN = 64  # a sum over a middle axis runs as a product with ones when the run inside it is this short


def contract(g: Graph) -> Graph:
    uses: dict[int, int] = {}
    made: dict[int, Eqn] = {}
    for e in g.eqns:
        for x in e.inputs:
            uses[x.id] = uses.get(x.id, 0) + 1
        if len(e.outputs) == 1:
            made[e.outputs[0].id] = e
    for v in tree_flatten(g.outputs):
        uses[v.id] = uses.get(v.id, 0) + 2
    eqns: list[Eqn] = []
    alias: dict[int, Var] = {}  # a rewritten reduction's output -> the value standing for it
    for e in g.eqns:
        if any(x.id in alias for x in e.inputs):
            e = Eqn(e.op, tuple(alias.get(x.id, x) for x in e.inputs), e.attrs, e.outputs, e.label)
        new = _rewrite(e, made, uses, alias)
        if new is None:
            eqns.append(e)
        else:
            eqns.extend(new[0])
            alias[e.outputs[0].id] = new[1]
    outs = tree_unflatten(g.outputs, [alias.get(v.id, v) for v in tree_flatten(g.outputs)])
    return Graph(g.inputs, g.params, eqns, outs, g.param_values, g.functions, g.name)


def _summed(e: Eqn) -> tuple | None:
    """The axes of its input that the reduction `e` sums over (sizes > 1 only), or None."""
    x = e.inputs[0]
    if e.op == "sum":
        axes = norm_axes("sum", e.attrs.get("axis"), x.aval.ndim)
    elif e.op == "reduce_to":
        axes = _reduce_to_axes(tuple(x.shape), tuple(e.attrs["shape"]))
    else:
        return None
    return tuple(a for a in axes if x.shape[a] != 1)


def _factors(x: Var, made: dict, uses: dict, alias: dict, out: list) -> None:
    """The leaves of the mul tree x (in the rewritten graph: a sum rewritten before stands for itself), left
    to right. A loop, not a recursion: a chain of muls (a jvp's tangent through a deep chain) is as deep as
    the graph is long."""
    todo = [x]
    while todo:
        x = todo.pop()
        e = made.get(x.id)
        if e is None or e.op != "mul" or uses.get(x.id) != 1 or len(out) >= MAX_FACTORS or \
                any(y.dtype != x.dtype for y in e.inputs):
            out.append(alias.get(x.id, x))
        else:
            todo.extend(reversed(e.inputs))


def _rewrite(e: Eqn, made: dict, uses: dict, alias: dict) -> tuple[list[Eqn], Var] | None:
    """(new equations, the value of e's output among them) or None: e stays as it is."""
    if len(e.outputs) != 1 or e.outputs[0].dtype not in DTYPES:
        return None
    if e.op == "mul":
        return _outer(e)
    if e.op not in ("sum", "reduce_to"):
        return None
    x, out = e.inputs[0], e.outputs[0]
    red = _summed(e)
    if not red:
        return None
    src = made.get(x.id)
    em = Emitter(e.label)
    kept = _product_sum(em, x, red, made, uses, alias) if src is not None and src.op == "mul" and \
        uses.get(x.id) == 1 else None
    if kept is None:
        if not _ones_pay(tuple(x.shape), red):
            return None
        em = Emitter(e.label)
        kept = _sum(em, x, red)
    if kept.aval.size != out.aval.size:
        return None  # cannot happen (outer and inner together span x); keep the graph as it was
    return em.eqns, em.reshape(kept, tuple(out.shape))


def _product_sum(em: "Emitter", x: Var, red: tuple, made: dict, uses: dict, alias: dict) -> Var | None:
    """The sum over `red` of the mul tree x, kept dims, or None where nothing is gained."""
    leaves: list[Var] = []
    _factors(x, made, uses, alias, leaves)
    if len(leaves) > MAX_FACTORS:
        return None
    n = x.aval.ndim
    pad = lambda v: (1,) * (n - v.aval.ndim) + tuple(v.shape)  # noqa: E731 - NumPy's right-aligned broadcast
    outer = [v for v in leaves if all(pad(v)[d] == 1 for d in red)]
    inner = [v for v in leaves if not all(pad(v)[d] == 1 for d in red)]
    kept = _contracted(em, inner, red, n, pad) if len(inner) > 1 else None
    if kept is None:
        if not outer or not inner:
            return None  # nothing to gain: the product is summed as it is
        prod = _product(em, inner)
        lead = n - prod.aval.ndim  # every summed axis is one of prod's: outer factors have size 1 there
        kept = _sum(em, prod, tuple(d - lead for d in red))
    for v in outer:
        kept = em.emit("mul", [kept, v], {}, _bshape(kept.shape, v.shape))
    return kept


def _outer(e: Eqn) -> tuple[list[Eqn], Var] | None:
    """A mul that is an outer product, one operand spanning the leading axes of the output and the
    other the trailing ones, with a short trailing run (L1's (32, 32, 1) * (16,): NumPy loops 1024
    times over 16 elements, ~12 us), as a (M, 1) @ (1, N) product (~4 us through np.dot: np.matmul computes
    K = 1 in its own loop, ~18 us, so split_gemm sends it to np.dot). BLAS writes each element as
    0 + a * b, so a -0.0 product comes out +0.0; every other value is the same."""
    out = e.outputs[0]
    shape, n = tuple(out.shape), out.aval.ndim
    a, b = e.inputs
    if a.dtype != out.dtype or b.dtype != out.dtype:
        return None
    pa, pb = ((1,) * (n - v.aval.ndim) + tuple(v.shape) for v in (a, b))
    for lead, trail, pl, pt in ((a, b, pa, pb), (b, a, pb, pa)):
        split = next((p for p in range(n + 1) if pl[:p] == shape[:p] and all(d == 1 for d in pl[p:])), None)
        if split is None or any(d != 1 for d in pt[:split]) or pt[split:] != shape[split:]:
            continue
        m, k = math.prod(shape[:split]), math.prod(shape[split:])
        if not (1 < k <= OUTER_MAX_RUN and m * k >= OUTER_MIN_SIZE):
            return None
        em = Emitter(e.label)
        mm = em.emit("matmul", [em.reshape(lead, (m, 1)), em.reshape(trail, (1, k))],
                     {"transpose_a": False, "transpose_b": False}, (m, k))
        return em.eqns, em.reshape(mm, shape)
    return None


def _ones_pay(shape: tuple, axes: tuple) -> bool:
    """Summing x over `axes` pays as ones @ x: one axis with axes on both sides, whose inner run is
    short (NumPy then adds in runs that short, ~15 ns each: a (32,32,3) array over its middle axis
    takes ~20 us, the product ~3 us)."""
    if len(axes) != 1:
        return False
    ax = axes[0]
    batch, k, run = math.prod(shape[:ax]), shape[ax], math.prod(shape[ax + 1:])
    if run == 1:  # the last axis, short: NumPy adds in runs of k; x viewed (batch, K) @ ones(K, 1) is one GEMV
        return batch >= LAST_MIN_ROWS and 1 < k <= ONES_MAX_RUN
    if batch == 1:  # the first axis: ones(1, K) @ x viewed (K, run), one GEMV, ~2x NumPy's row by row adds
        return (k >= FIRST_MIN_ROWS or (k > 1 and run >= FIRST_MIN_RUN)) and run > 1
    return batch > 1 and 1 < run <= ONES_MAX_RUN and k * run >= MIN_ITEM_WORK


def _sum(em: "Emitter", v: Var, axes: tuple) -> Var:
    """v summed over `axes`, kept dims: ones(1, K) @ v viewed (batch, K, run) where that pays."""
    shape = tuple(v.shape)
    kept = tuple(1 if d in axes else s for d, s in enumerate(shape))
    if not _ones_pay(shape, axes):
        return em.emit("sum", [v], {"axis": tuple(axes), "keepdims": True}, kept)
    ax = axes[0]
    batch, k, run = math.prod(shape[:ax]), shape[ax], math.prod(shape[ax + 1:])
    if run == 1:  # (32, 32, 3) over its last axis: fold ~5 us, the GEMV ~1.5 us
        ones = em.emit("fill", [], {"shape": (k, 1), "value": 1.0, "dtype": v.dtype}, (k, 1), v.dtype)
        mm = em.emit("matmul", [em.reshape(v, (batch, k)), ones], {"transpose_a": False, "transpose_b": False},
                     (batch, 1))
        return em.reshape(mm, kept)
    ones = em.emit("fill", [], {"shape": (1, k), "value": 1.0, "dtype": v.dtype}, (1, k), v.dtype)
    if batch == 1:  # (256, 512) over its rows: 6 us against 13 us in NumPy; (32, 32): 0.7 against 1.5
        mm = em.emit("matmul", [ones, em.reshape(v, (k, run))], {"transpose_a": False, "transpose_b": False},
                     (1, run))
        return em.reshape(mm, kept)
    mm = em.emit("matmul", [ones, em.reshape(v, (batch, k, run))], {"transpose_a": False, "transpose_b": False},
                 (batch, 1, run))
    return em.reshape(mm, kept)


def _contracted(em: "Emitter", inner: list[Var], red: tuple, n: int, pad) -> Var | None:
    """sum over `red` of the product of `inner` as one matmul, kept dims (rank n), or None."""
    i = max(range(len(inner)), key=lambda j: inner[j].aval.size)
    a, rest = inner[i], inner[:i] + inner[i + 1:]  # by position: A may be a factor twice (x * x * w)
    pa = pad(a)
    p_shape = (1,) * n
    for v in rest:
        p_shape = _bshape(p_shape, pad(v))
    if math.prod(p_shape) >= a.aval.size:
        return None
    kind: dict[int, str] = {}
    p_only = []
    for d in range(n):
        ia, ip = pa[d] > 1, p_shape[d] > 1
        if d in red:
            if ia and not ip:
                return None  # A summed alone over d: not a product of the two
            kind[d] = "K" if ia else None
            if not ia and ip:
                p_only.append(d)
        else:
            kind[d] = "B" if ia and ip else "M" if ia else "N" if ip else None
    axes = {k: [d for d in range(n) if kind[d] == k] for k in "BMKN"}
    size = {k: math.prod(pa[d] if k != "N" else p_shape[d] for d in axes[k]) for k in "BMKN"}
    if not axes["K"] or (size["B"] > 1 and size["M"] * size["K"] * size["N"] < MIN_ITEM_WORK):
        return None
    p = _product(em, rest)
    if len(p.shape) < n:
        p = em.emit("reshape", [p], {"shape": p_shape}, p_shape)
    if p_only:  # P summed alone over those axes: P is the small operand, sum it first
        p_shape = tuple(1 if d in p_only else s for d, s in enumerate(p_shape))
        p = em.emit("sum", [p], {"axis": tuple(p_only), "keepdims": True}, p_shape)
    a_order = [d for d in range(n) if pa[d] > 1]
    bsz = (size["B"],) if axes["B"] else ()
    right = a_order == axes["B"] + axes["K"] + axes["M"]  # A is (B, K, M): P @ A, no copy of A
    if not right and a_order != axes["B"] + axes["M"] + axes["K"]:
        a = em.transpose(em.squeeze(a, pa), a_order, axes["B"] + axes["M"] + axes["K"], pa)
    a3 = em.reshape(a, bsz + ((size["K"], size["M"]) if right else (size["M"], size["K"])))
    p_order = axes["B"] + (axes["N"] + axes["K"] if right else axes["K"] + axes["N"])
    p3 = em.transpose(em.squeeze(p, p_shape), [d for d in range(n) if p_shape[d] > 1], p_order, p_shape)
    p3 = em.reshape(p3, bsz + ((size["N"], size["K"]) if right else (size["K"], size["N"])))
    prod_order = axes["B"] + (axes["N"] + axes["M"] if right else axes["M"] + axes["N"])
    mm = em.emit("matmul", [p3, a3] if right else [a3, p3], {"transpose_a": False, "transpose_b": False},
                 bsz + ((size["N"], size["M"]) if right else (size["M"], size["N"])))
    full = tuple(pa[d] if kind[d] in "BM" else p_shape[d] for d in prod_order) if prod_order else ()
    r = em.transpose(em.reshape(mm, full), prod_order, sorted(prod_order), {d: s for d, s in zip(prod_order, full)})
    kept = tuple(pa[d] if kind[d] in ("B", "M") else p_shape[d] if kind[d] == "N" else 1 for d in range(n))
    return em.reshape(r, kept)


def _product(em: "Emitter", vs: list[Var]) -> Var:
    cur = vs[0]
    for v in vs[1:]:
        cur = em.emit("mul", [cur, v], {}, _bshape(cur.shape, v.shape))
    return cur


def _bshape(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(max(x, y) for x, y in zip(a, b))


class Emitter:
    """New equations for one rewrite; movement ops are skipped where they would change nothing."""

    def __init__(self, label):
        self.label = label
        self.eqns: list[Eqn] = []
        self.reshaped: dict[int, Var] = {}  # a reshape emitted here -> its source


    def emit(self, op: str, ins: list[Var], attrs: dict, shape: tuple, dtype: str | None = None) -> Var:
        out = Var(AVal(tuple(shape), dtype or ins[0].dtype))
        self.eqns.append(Eqn(op, tuple(ins), attrs, (out,), self.label))
        return out

    def reshape(self, v: Var, shape: tuple) -> Var:
        v = self.reshaped.get(v.id, v)  # a reshape of a reshape: one reshape of the source
        if tuple(v.shape) == tuple(shape):
            return v
        r = self.emit("reshape", [v], {"shape": tuple(shape)}, shape)
        self.reshaped[r.id] = v
        return r

    def squeeze(self, v: Var, padded: tuple) -> Var:
        """v with only its axes of size > 1 (in order)."""
        return self.reshape(v, tuple(s for s in padded if s > 1))

    def transpose(self, v: Var, order: list[int], want: list[int], sizes) -> Var:
        """v, whose axes are the x-axes `order`, with its axes in the order `want`."""
        if order == want:
            return v
        perm = tuple(order.index(d) for d in want)
        return self.emit("transpose", [v], {"perm": perm}, tuple(sizes[d] for d in want))
