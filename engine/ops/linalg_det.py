"""The determinant and its derivatives of every order, exact at singular matrices too:
det(a) and det_grad(a, e_1, ..., e_m) = the gradient in x of D^(m+1) det(a)[e_1, ..., e_m, x], a [..., n, n]
(m = 0: the cofactor matrix adj(a)^T; m = 1: the Hessian of det applied to e_1; ...).

det_grad's rules are det_grad with one direction more (d/da) or one direction swapped (d/de_i), as the
derivatives of det are symmetric multilinear forms: any order differentiates, each step a polynomial in a,
so finite everywhere. The cofactors as det(a) a^-T (JAX's, MindSpore's) are NaN (or zero) where a is singular.

det_grad evaluates through the SVD a = u diag(s) vh: det(a + t) = det(u) det(vh) det(diag(s) + u^H t vh^H),
and det(S + B) = sum over index sets K of prod(s outside K) det(B[K, K]), whose (m + 1)-linear part
in B keeps the sets |K| = m + 1 only. Every term is a product of singular values, never a quotient: no
division by a zero singular value, no singular-vector derivative (those are NaN at repeated singular values).
The gradient (m = 0) of a batch of well-conditioned matrices (cond_1 <= 4e5) is det(a) a^-T by LU in 64-bit
instead (_cofactors_by_lu): the same cofactors to ~1e-10 relative at ~1/100 of an SVD's cost; a singular or
near-singular matrix keeps the SVD form. The subsets below (_cofactor_any) are the fourth derivative's and up.

det_grad stays one op at every order, its general form (m >= 3 directions, _cofactor_any) included, not a
composite of graph ops: its derivatives must stay det_grad's own (a composite's would differentiate its SVD, NaN
at repeated singular values), and as one node it already composes: vmap batches it by its leading-axes rule, the
plan cache keys the graph that holds it (tests/engine/test_det_op.py, the fourth derivative vmapped, vs torch).
What loops in Python is its kernel: over the polarization's 2^m - 1 subsets and the (m+1)^2 cofactor entries,
backend calls on [..., C] arrays whose count m sets, not n or the batch.
"""
from __future__ import annotations

import itertools
import math

from ._infer import complex_array, conj, rule_infer
from .composite import dtype_name
from .linalg_solve import _lapack
from .registry import defop, impl_rules, jvp_rules, matrix_flops, vjp_rules


# -- impl: products of the singular values outside index sets ----------------------------------------
# The products come scaled, with the log of their scale apart: w = w_scaled exp(log_scale), the largest w_scaled
# 1. The products of a large matrix overflow where the result does not (tiny directions, entries the rotation back
# cancels), and products over index sets with a repeated index (masked out after) overflow where none valid does:
# inf * 0 was NaN. The result is scaled back last (_rescale), an overflow there the result's own.
def _log_parts(xp, s):
    """(log s with 0 for s = 0, 1 where s = 0): a product of s over a set is exp(sum of the logs) where the set
    holds no exact zero, else 0 (the zeros are counted apart, never log 0)."""
    zero = s == 0
    return xp.log(xp.where(zero, xp.ones_like(s), s)), xp.astype(zero, s.dtype)


def _scaled_products(xp, log_w, valid, axes):
    """(exp(log_w - log_scale) where valid else 0, log_scale): log_scale the largest valid log_w over axes (0
    where none is valid, all products 0), kept out of exp so no product overflows."""
    floor = xp.full_like(log_w, -xp.inf)
    top = xp.max(xp.where(valid, log_w, floor), axis=axes, keepdims=True)
    top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))
    scaled = xp.where(valid, xp.exp(xp.where(valid, log_w - top, xp.zeros_like(log_w))), xp.zeros_like(log_w))
    return scaled, xp.reshape(top, top.shape[:len(top.shape) - len(axes)])


def _outside_products(xp, s, size: int):
    """(w scaled, log scale): w[..., i_1, ..., i_size] = prod of s over the indices outside {i_1, ..., i_size},
    0 where two of the i coincide."""
    n, batch = s.shape[-1], tuple(s.shape[:-1])
    logs, zeros = _log_parts(xp, s)
    log_w = xp.reshape(xp.sum(logs, axis=-1), batch + (1,) * size)
    zeros_w = xp.reshape(xp.sum(zeros, axis=-1), batch + (1,) * size)
    valid = xp.ones(batch + (n,) * size, dtype=xp.bool)
    for k in range(size):  # axis k of the result indexes i_(k + 1)
        shape = batch + (1,) * k + (n,) + (1,) * (size - 1 - k)
        log_w = log_w - xp.reshape(logs, shape)
        zeros_w = zeros_w - xp.reshape(zeros, shape)
    apart = xp.eye(n, dtype=s.dtype) == 0
    for i, j in itertools.combinations(range(size), 2):  # invalid where i_i == i_j
        shape = [1] * size
        shape[i] = shape[j] = n
        valid = valid & xp.reshape(apart, tuple(shape))
    return _scaled_products(xp, log_w, valid & (zeros_w == 0), tuple(range(-size, 0)))


def _set_products(xp, s, inside):
    """(w scaled, log scale): w[..., c] = prod of s over the indices outside set c, inside [C, n] (1 on the set's
    indices)."""
    logs, zeros = _log_parts(xp, s)

    def outside(x):  # sum of x over all indices, less its sum over each set
        return xp.sum(x, axis=-1, keepdims=True) - xp.matmul(xp.expand_dims(x, axis=-2),
                                                             xp.matrix_transpose(inside))[..., 0, :]
    return _scaled_products(xp, outside(logs), outside(zeros) == 0, (-1,))


def _rescale(xp, x, log_scale):
    """x [..., n, n] times exp(log_scale) [...]: directly where that factor is a finite normal number, else in
    the log domain (exp(log |x| + log_scale)), so an entry is inf only where its true value overflows."""
    top = xp.expand_dims(xp.expand_dims(log_scale, axis=-1), axis=-1)
    limit = math.log(xp.finfo(log_scale.dtype).max) / 2
    direct = x * xp.astype(xp.exp(xp.clip(top, -limit, limit)), x.dtype)
    mag = xp.abs(x)
    nonzero = mag != 0
    safe = xp.where(nonzero, mag, xp.ones_like(mag))
    unit = x / xp.astype(safe, x.dtype)  # the sign (a unit complex number), 0 at 0
    size = xp.exp(xp.where(nonzero, xp.log(safe) + top, xp.zeros_like(mag)))
    via_logs = xp.where(nonzero, unit * xp.astype(size, x.dtype), xp.zeros_like(x))
    return xp.where(xp.abs(top) < limit, direct, via_logs)


def _diagonal(xp, b):
    """b's diagonal [..., n] as a masked sum: elementwise ops every backend has (linalg.diagonal may be absent)."""
    return xp.sum(b * xp.eye(b.shape[-1], dtype=b.dtype), axis=-1)


def _cofactor_0(xp, s, _):
    w, log_scale = _outside_products(xp, s, 1)
    return xp.eye(s.shape[-1], dtype=s.dtype) * xp.expand_dims(w, axis=-2), log_scale


def _cofactor_1(xp, s, bs):
    """G[r, r] = sum_j w_rj B_jj, G[r, c] = -w_rc B_cr: the x-gradient of the bilinear part of det(S + B)."""
    (b,) = bs
    w, log_scale = _outside_products(xp, s, 2)
    w = xp.astype(w, b.dtype)
    d = _diagonal(xp, b)
    diag = xp.eye(s.shape[-1], dtype=b.dtype) * xp.expand_dims(xp.sum(w * xp.expand_dims(d, axis=-2), axis=-1),
                                                                axis=-1)
    return diag - w * xp.matrix_transpose(b), log_scale


def _cofactor_2(xp, s, bs):
    """The x-gradient of det(S + B)'s part linear in each of b1, b2, x, summed over K = {r, c, k}:
    G[r, r] = sum_jk w_rjk (d1_j d2_k - b1_jk b2_kj);
    G[r, c] = sum_k w_rck (b1_ck b2_kr + b2_ck b1_kr - b1_cr d2_k - b2_cr d1_k) (the two permutations with
    r -> c: the 3-cycle r -> c -> k -> r, +, and the swap of r and c, -)."""
    b1, b2 = bs
    w, log_scale = _outside_products(xp, s, 3)
    w = xp.astype(w, b1.dtype)
    d1, d2 = _diagonal(xp, b1), _diagonal(xp, b2)
    t1, t2 = xp.matrix_transpose(b1), xp.matrix_transpose(b2)
    m = xp.expand_dims(d1, axis=-1) * xp.expand_dims(d2, axis=-2) - b1 * t2
    diag = xp.sum(xp.sum(w * xp.expand_dims(m, axis=-3), axis=-1), axis=-1)  # [..., n]
    cyc = xp.sum(w * (xp.expand_dims(b1, axis=-3) * xp.expand_dims(t2, axis=-2)
                      + xp.expand_dims(b2, axis=-3) * xp.expand_dims(t1, axis=-2)), axis=-1)
    w_d1 = xp.sum(w * xp.expand_dims(xp.expand_dims(d1, axis=-2), axis=-2), axis=-1)
    w_d2 = xp.sum(w * xp.expand_dims(xp.expand_dims(d2, axis=-2), axis=-2), axis=-1)
    eye = xp.eye(s.shape[-1], dtype=b1.dtype)
    return eye * xp.expand_dims(diag, axis=-1) + cyc - t1 * w_d2 - t2 * w_d1, log_scale


def _cofactor_any(xp, s, bs):
    """Any number m of directions: the sum over the sets K (|K| = m + 1) of w_K times the part of
    cof(sum_i t_i B_i[K, K]) linear in each t_i: cof of an (m+1)-matrix is homogeneous of degree m, so that part
    is sum over the nonempty subsets T of the directions of (-1)^(m - |T|) cof(sum_T B_i[K, K]) (polarization).
    C(n, m + 1) 2^m small cofactor matrices: the fourth derivatives and above, of small matrices. The blocks
    B_i[K, K] are gathered and the weighted cofactors scattered back by flat index (C (m+1)^2 entries each way,
    not one-hot products of C (m+1) n^2), the sets on the last axis: each entry (r, c) of all the sets' blocks
    one contiguous [..., C] array."""
    n, m = s.shape[-1], len(bs)
    if m + 1 > n:
        return xp.zeros_like(bs[0]), xp.zeros(s.shape[:-1], dtype=s.dtype)  # det: a polynomial of degree n
    k, batch = m + 1, tuple(bs[0].shape[:-2])
    picks = xp.reshape(xp.asarray(list(itertools.chain.from_iterable(itertools.combinations(range(n), k)))),
                       (-1, k))  # [C, k]: the sets' indices, ascending
    flat_index = xp.reshape(xp.expand_dims(xp.matrix_transpose(picks), axis=-2) * n
                            + xp.expand_dims(xp.matrix_transpose(picks), axis=-3), (-1,))  # [k, k, C] flat
    blocks = [xp.reshape(xp.take(xp.reshape(b, batch + (n * n,)), flat_index, axis=-1), batch + (k, k, -1))
              for b in bs]  # [..., k, k, C]: B_i[K, K] of each set
    mixed = [[None] * k for _ in range(k)]
    for picked in itertools.product((0, 1), repeat=m):
        if any(picked):
            total = sum(bl for bl, p in zip(blocks, picked) if p)
            sign = (-1.0) ** (m - sum(picked))
            for r, row in enumerate(_small_cofactor(xp, total)):
                for c, entry in enumerate(row):
                    mixed[r][c] = entry * sign if mixed[r][c] is None else mixed[r][c] + entry * sign
    eye = xp.eye(n, dtype=s.dtype)
    inside = sum(xp.take(eye, picks[:, i], axis=0) for i in range(k))  # [C, n]: 1 on each set's indices
    w, log_scale = _set_products(xp, s, inside)  # [..., C]: prod of s outside each set
    weighted = xp.stack([xp.stack(row, axis=-2) for row in mixed], axis=-3) * xp.astype(
        xp.expand_dims(xp.expand_dims(w, axis=-2), axis=-2), mixed[0][0].dtype)
    out = xp.index_add(xp.zeros(batch + (n * n,), dtype=weighted.dtype), len(batch), flat_index,
                       xp.reshape(weighted, batch + (-1,)))  # G[K, K] += weighted cofactors of each set
    return xp.reshape(out, batch + (n, n)), log_scale


# minors up to this size by their Leibniz sums (elementwise products over the sets, (size)! terms); larger ones
# by the backend's batched det (its per-matrix call and pivoting cost more than 3! products)
_LEIBNIZ_MAX = 3


def _small_cofactor(xp, mat):
    """The cofactor matrices of small matrices [..., k, k, C] (C of them, on the last axis) from their
    (k-1)-minors, as rows of entries [..., C]."""
    k = mat.shape[-2]
    keep = [[j for j in range(k) if j != i] for i in range(k)]
    if k - 1 <= _LEIBNIZ_MAX:
        entries = [[mat[..., i, j, :] for j in range(k)] for i in range(k)]
        minor = lambda r, c: _leibniz_det(xp, [[entries[i][j] for j in keep[c]] for i in keep[r]],  # noqa: E731
                                          xp.ones_like(entries[0][0]))
    else:
        sets_first = xp.permute_dims(mat, tuple(range(mat.ndim - 3)) + (mat.ndim - 1, mat.ndim - 3, mat.ndim - 2))
        minor = lambda r, c: xp.linalg.det(xp.take(xp.take(sets_first, xp.asarray(keep[r]), axis=-2),  # noqa: E731
                                                   xp.asarray(keep[c]), axis=-1))
    return [[minor(r, c) * (-1.0) ** (r + c) for c in range(k)] for r in range(k)]


def _leibniz_det(xp, entries, one):
    """det of a j x j matrix given as rows of entry arrays: sum over permutations of sign * the entries' product
    (one: the empty product, for j = 0)."""
    total = None
    for perm in itertools.permutations(range(len(entries))):
        inversions = sum(perm[i] > perm[j] for i, j in itertools.combinations(range(len(perm)), 2))
        term = one
        for row, col in enumerate(perm):
            term = term * entries[row][col]
        term = -term if inversions % 2 else term
        total = term if total is None else total + term
    return total


_COFACTORS = (_cofactor_0, _cofactor_1, _cofactor_2)


# the gradient (no direction) of a well-conditioned batch as det(a) a^-T from LU, in 64-bit: its rounding ~
# cond_1(a) 2^-53, at most ~1e-10 relative where cond_1 <= this (an SVD costs ~100 LUs: n = 64, 80 ms vs 0.7 ms
# a batch of 8 here)
_LU_COND_MAX = 4e5
_WIDE = {"float32": "float64", "complex64": "complex128"}


def _cofactors_by_lu(xp, a):
    """det(a) a^-T, the cofactor matrix, where every matrix of the batch has cond_1 <= _LU_COND_MAX and a
    det whose product with a^-1 neither overflows nor loses digits to underflow; else None (the SVD form,
    exact at singular matrices: rank n - 1 has a nonzero cofactor matrix, det(a) a^-T none)."""
    wide = _WIDE.get(dtype_name(a.dtype))
    x = xp.astype(a, getattr(xp, wide)) if wide else a
    try:
        inv = xp.linalg.inv(x)
    except Exception as e:  # noqa: BLE001 - matched by name, as _lapack: an exactly singular matrix
        if "LinAlgError" not in type(e).__name__:
            raise
        return None
    det = xp.linalg.det(x)

    def norm_1(m):
        return xp.max(xp.sum(xp.abs(m), axis=-2), axis=-1)

    inv_norm, mag, info = norm_1(inv), xp.abs(det), xp.finfo(a.dtype)
    ok = (norm_1(x) * inv_norm <= _LU_COND_MAX) & (mag >= info.smallest_normal / info.eps) & (mag * inv_norm <= info.max)
    if not bool(xp.all(ok)):
        return None
    cof = xp.expand_dims(xp.expand_dims(det, axis=-1), axis=-1) * xp.matrix_transpose(inv)
    return xp.astype(cof, a.dtype) if wide else cof


def _det_grad_impl(xp, a, *directions):
    n = a.shape[-1]
    if n == 0:
        return xp.zeros_like(a)
    by_lu = None if directions else _cofactors_by_lu(xp, a)
    if by_lu is not None:
        return by_lu
    return _det_grad_by_svd(xp, a, *directions)


def _det_grad_by_svd(xp, a, *directions):
    n = a.shape[-1]
    u, s, vh = xp.linalg.svd(a, full_matrices=False)  # s real, a's real dtype
    uh, v = _adj(xp, u), _adj(xp, vh)
    bs = [xp.matmul(xp.matmul(uh, e), v) for e in directions]
    cof, log_scale = (_COFACTORS[len(bs)] if len(bs) < len(_COFACTORS) else _cofactor_any)(xp, s, bs)
    cof = xp.astype(cof, a.dtype) if cof.dtype != a.dtype else cof
    orientation = xp.linalg.det(u) * xp.linalg.det(vh)  # +-1 (real), a unit number (complex)
    g = xp.matmul(xp.matmul(_conj(xp, u), cof), _conj(xp, vh))
    return _rescale(xp, g * xp.expand_dims(xp.expand_dims(orientation, axis=-1), axis=-1), log_scale)


def _conj(xp, x):
    return xp.conj(x) if complex_array(xp, x) else x


def _adj(xp, x):
    return _conj(xp, xp.matrix_transpose(x))


# -- rules: det_grad with one direction more or one swapped ------------------------------------------
def _det_grad(b, a, directions):
    return b.emit1("det_grad", a, *directions)


def _det_jvp(b, ins, outs, ts):
    if ts[0] is None:
        return [None]
    nd = ins[0].aval.ndim
    return [b.sum(b.mul(_det_grad(b, ins[0], []), ts[0]), axis=(nd - 2, nd - 1))]


def _det_vjp(b, ins, outs, cts):  # complex: the conjugate of the (holomorphic) derivative, as _infer.conj says
    if cts[0] is None:
        return [None]
    nd = ins[0].aval.ndim
    g = b.expand_dims(b.expand_dims(cts[0], axis=nd - 2), axis=nd - 1)
    return [b.mul(g, conj(b, _det_grad(b, ins[0], [])))]


def _det_grad_jvp(b, ins, outs, ts):
    a, directions = ins[0], list(ins[1:])
    out = None if ts[0] is None else _det_grad(b, a, directions + [ts[0]])
    for i, t in enumerate(ts[1:]):
        if t is not None:
            out = b.add_any(out, _det_grad(b, a, directions[:i] + [t] + directions[i + 1:]))
    return [out]


def _det_grad_vjp(b, ins, outs, cts):
    """<c, det_grad(a, e)> = D^(m+1) det(a)[e_1, ..., e_m, c]: its gradient in a is det_grad(a, e, c), in e_i
    det_grad(a, e with e_i -> c) (complex: of conj(c), conjugated)."""
    if cts[0] is None:
        return [None] * len(ins)
    a, directions, c = ins[0], list(ins[1:]), conj(b, cts[0])
    grads = [_det_grad(b, a, directions + [c])]
    grads += [_det_grad(b, a, directions[:i] + [c] + directions[i + 1:]) for i in range(len(directions))]
    return [conj(b, g) for g in grads]


# a batched LAPACK det of a tiny matrix costs its call and pivoting, ~0.5 us a matrix, not its m^3 / 3 products:
# counted as the ~5 10^3 operations ~10^10 a second would do meanwhile
_SMALL_DET_OPS = 5000
# an elementwise operation on the sets' [C] arrays (Leibniz products, polarization sums, gathers): memory-bound,
# ~10 ns an element measured (n = 40, m = 3: C = 91390), ~100 operations' time
_SET_ELEMENT_OPS = 100


def _det_grad_flops(e) -> int:
    """The SVD, then per matrix ~10 n^(m+1) products for m <= 2 directions; above, per index set (_cofactor_any)
    the (2^m - 1) (m+1)^2 minors of the polarization's small cofactors, each (m)! m products (Leibniz, m <= 3)
    or a LAPACK det, the directions' sums, their gathered blocks and the scattered result: ~(m + 2) (m+1)^2."""
    a = e.inputs[0].aval
    n, m = a.shape[-1], len(e.inputs) - 1
    batch = a.size // max(n * n, 1)
    if m < len(_COFACTORS):
        terms = 10 * n ** (m + 1)
    else:
        k = m + 1
        minor = math.factorial(m) * m * _SET_ELEMENT_OPS if m <= _LEIBNIZ_MAX else _SMALL_DET_OPS
        per_set = (2 ** m - 1) * k * k * (minor + m * _SET_ELEMENT_OPS) + ((m + 2) * k * k + k * n) * _SET_ELEMENT_OPS
        terms = math.comb(n, k) * per_set
    return matrix_flops(e) + batch * (terms + 4 * m * n ** 3)


def _det_grad_scratch(e) -> int:
    """The SVD's factors, the rotated directions, the result's products and its rescaling (_rescale's ~5
    temporaries): ~13 [n, n] per matrix; with them the products w over index sets, n^(m+1) per matrix (m <= 2),
    and ~6 temporaries like it (_cofactor_2's sums, _scaled_products' masks);
    above, per index set its indicator row [n] (and one being summed), the flat indices and ~m + 8 blocks
    [m+1, m+1] (the directions', their sums, the cofactors and their stacks)."""
    a = e.inputs[0].aval
    n, m = a.shape[-1], len(e.inputs) - 1
    batch = a.size // max(n * n, 1)
    if m < len(_COFACTORS):
        per = 7 * n ** (m + 1) + (13 + m) * n * n
    else:
        per = math.comb(n, m + 1) * (2 * n + (m + 9) * (m + 1) ** 2) + (13 + m) * n * n
    return batch * per * (16 if a.dtype == "complex128" else 8)  # at most 8 bytes a real element


defop("det", 1, rule_infer("det"),
      doc="det(a) of a [..., n, n] (LU; complex a too); its derivatives, det_grad's, are exact at singular a",
      flops=matrix_flops)
defop("det_grad", None, rule_infer("det_grad"), min_arity=1,
      doc="det_grad(a, e_1, ..., e_m): the gradient in x of det's (m+1)-th derivative at a [..., n, n] along "
          "e_1..e_m, x (m = 0: the cofactor matrix adj(a)^T); each e_i like a. Through the SVD, as products of "
          "singular values: finite and exact at singular a, at any order",
      flops=_det_grad_flops, scratch=_det_grad_scratch)
impl_rules["det"] = _lapack(lambda xp, a: xp.linalg.det(a))
impl_rules["det_grad"] = _lapack(_det_grad_impl)
jvp_rules.update(det=_det_jvp, det_grad=_det_grad_jvp)
vjp_rules.update(det=_det_vjp, det_grad=_det_grad_vjp)
