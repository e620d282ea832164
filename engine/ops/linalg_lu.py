"""LU factorisation with partial pivoting, as LAPACK getrf (what jax.export emits for jnp.linalg.solve / inv /
slogdet / det): lu(a) -> (packed L\\U, int32 pivots, int32 info), and lu_pivots_to_permutation.

P a = L U with L unit lower (its strict lower triangle packed below U's diagonal). pivots are LAPACK's ipiv,
1-based: row k was swapped with row pivots[k] - 1, in order k = 0, 1, ...; info is 0, or k + 1 for the
first zero pivot U[k, k] (the factor is still returned, as LAPACK does).
Derivative (pivots fixed, as JAX): x = L^-1 P da U^-1, dL = L strict_lower(x), dU = upper(x) U; the packed
tangent is dL + dU. The vjp is its transpose, all graph ops (so it differentiates again).
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ._infer import rule_infer
from .composite import dtype_name
from .linalg_solve import _mask, _mT, _trisolve
from .registry import Attr, defop, impl_rules, jvp_rules, matrix_flops, vjp_rules


# -- impls -------------------------------------------------------------------------------------------
def _lu_torch(xp, a):
    import torch

    lu, piv, info = torch.linalg.lu_factor_ex(a)  # pivots 1-based, LAPACK's ipiv (torch docs)
    return lu, piv.to(torch.int32), info.to(torch.int32)


def _lu_loop(xp, a):
    """Partial pivoting column by column, vectorised over the batch with where (no in-place writes: the
    array API has no integer-array assignment)."""
    n = a.shape[-1]
    r = xp.arange(n)
    rows, cols = r[:, None], r[None, :]
    pivots, info = [], xp.zeros(a.shape[:-2], dtype=xp.int32)
    for k in range(n):
        col = xp.where(r >= k, xp.abs(a[..., :, k]), -1.0)
        p = xp.argmax(col, axis=-1)  # [...]: first maximum, as LAPACK's idamax
        pivots.append(xp.astype(p + 1, xp.int32))
        is_p = (r == p[..., None])[..., None]  # [..., n, 1]
        row_p = xp.sum(xp.where(is_p, a, 0.0), axis=-2)  # exact: one nonzero term per column
        row_k = a[..., k, :]
        a = xp.where(rows == k, row_p[..., None, :], xp.where(is_p, row_k[..., None, :], a))
        d = a[..., k, k]
        zero = d == 0
        info = xp.where(zero & (info == 0), xp.asarray(k + 1, dtype=xp.int32), info)
        below = r > k
        # a zero pivot (LAPACK: no scaling) has a zero column below it, so dividing by 1 keeps it as it is
        ell = xp.where(below, a[..., :, k] / xp.where(zero, 1.0, d)[..., None], 0.0)
        a = a - ell[..., :, None] * xp.where(below, a[..., k, :], 0.0)[..., None, :]
        a = xp.where(below[:, None] & (cols == k), ell[..., :, None], a)
    if not pivots:  # a 0 x 0 matrix: no pivots (stack needs at least one array)
        return a, xp.zeros(tuple(a.shape[:-1]), dtype=xp.int32), info
    return a, xp.stack(pivots, axis=-1), info


def _lu_impl(xp, a):
    if dtype_name(a.dtype) == "float16":  # LAPACK has no half precision: float32, the factor rounded back
        lu, piv, info = _lu_impl(xp, xp.astype(a, xp.float32))
        return xp.astype(lu, xp.float16), piv, info
    if type(a).__module__.startswith("torch"):
        return _lu_torch(xp, a)
    return _lu_loop(xp, a)


def _perm_impl(xp, pivots, permutation_size):
    """The row order P applies (a[perm] = L U), from the sequence of swaps. Pivots are data (a user's, as
    ops.lu_solve's LU_pivots): one naming no row is an error (MindSpore's "out of index"), never a swap."""
    n = permutation_size
    if bool(xp.any(xp.logical_or(pivots < 1, pivots > n))):
        host = pivots.get() if hasattr(pivots, "get") else pivots.cpu() if hasattr(pivots, "cpu") else pivots
        raise ShapeError(f"lu_pivots_to_permutation: pivots must lie in [1, {n}] (1-based rows, LAPACK's), got "
                         f"{np.asarray(host).ravel()[:8].tolist()} (the first 8)", path="inputs[0]")
    idx = xp.arange(n, dtype=xp.int32)
    perm = xp.broadcast_to(idx, tuple(pivots.shape[:-1]) + (n,))
    for k in range(pivots.shape[-1]):
        p = xp.astype(pivots[..., k], xp.int32)[..., None] - 1
        at_k, at_p = perm[..., k:k + 1], xp.sum(xp.where(idx == p, perm, 0), axis=-1, keepdims=True)
        perm = xp.where(idx == k, at_p, xp.where(idx == p, at_k, perm))
    return xp.astype(perm, xp.int32)


# -- derivative ---------------------------------------------------------------------------------------
def _perm_matrix(b, lu, pivots):
    """P [..., n, n] (float, one-hot rows: (P a)[i] = a[perm[i]]); piecewise constant, no derivative."""
    n = lu.shape[-1]
    perm = b.emit1("lu_pivots_to_permutation", pivots, permutation_size=n)
    hit = b.equal(b.expand_dims(perm, axis=perm.aval.ndim), b.emit1("const", value=np.arange(n, dtype=np.int32)))
    return b.cast(hit, dtype=lu.dtype)


def _unit_lower(b, lu):
    n = lu.shape[-1]
    return b.add(_mask(b, lu, True, 0.0), b.emit1("const", value=np.eye(n, dtype=lu.dtype)))


def _lu_jvp(b, ins, outs, ts):
    if ts[0] is None:
        return [None, None, None]
    lu, piv = outs[0], outs[1]
    w = _trisolve(b, lu, b.matmul(_perm_matrix(b, lu, piv), ts[0]), lower=True, unit_diagonal=True)  # L^-1 P da
    x = _mT(b, _trisolve(b, lu, _mT(b, w), lower=False, transpose_a=True))  # w U^-1
    dl = b.matmul(_unit_lower(b, lu), _mask(b, x, True, 0.0))
    du = b.matmul(_mask(b, x, False), _mask(b, lu, False))
    return [b.add(dl, du), None, None]


def _lu_vjp(b, ins, outs, cts):
    lu, piv, g = outs[0], outs[1], cts[0]
    if g is None:
        return [None]
    gx = b.add(_mask(b, b.matmul(_unit_lower(b, lu), g, transpose_a=True), True, 0.0),
               _mask(b, b.matmul(g, _mask(b, lu, False), transpose_b=True), False))
    y = _trisolve(b, lu, gx, lower=True, transpose_a=True, unit_diagonal=True)  # L^-T gx
    z = _mT(b, _trisolve(b, lu, _mT(b, y), lower=False))  # y U^-T
    return [b.matmul(_perm_matrix(b, lu, piv), z, transpose_a=True)]  # P^T z


defop("lu", 1, rule_infer("lu"), n_outputs=3,
      doc="LU with partial pivoting of square a [..., n, n] (LAPACK getrf): (packed L\\U with L unit lower, "
          "int32 1-based pivots [..., n], int32 info [...]: k+1 for the first zero pivot); pivots, info nondiff",
      flops=matrix_flops)
defop("lu_pivots_to_permutation", 1, rule_infer("lu_pivots_to_permutation"),
      attrs={"permutation_size": Attr("int")}, nondiff=True,
      doc="int32 row order perm [..., permutation_size] of lu's 1-based pivots [..., k]: a[perm] = L U")
impl_rules["lu"] = _lu_impl
impl_rules["lu_pivots_to_permutation"] = _perm_impl
jvp_rules["lu"] = _lu_jvp
vjp_rules["lu"] = _lu_vjp
