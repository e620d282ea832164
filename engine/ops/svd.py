"""The reduced singular value decomposition of a stack of real matrices: svd(a [..., m, n]) ->
(u [..., m, k], s [..., k] descending, vh [..., k, n]), k = min(m, n), a = u diag(s) vh.

The derivatives are the standard ones (PyTorch's svd_backward, JAX's svd jvp), written as graph ops so
they differentiate again. The singular values' own derivative, d s_i = u_i^T da v_i, needs nothing
more; u's and v's derivatives divide by s_j^2 - s_i^2 and (for a non-square a) by s_i, so they are
inf / NaN where two singular values tie or one is zero (the vectors are not unique there); a tie within
rounding too (_over_gaps: 1 / gap made rounding noise a finite, wrong gradient), unless the pair does not
move. A function of the singular values alone (matrix norms ord 2, -2, 'nuc') gets its gradient from the
first form only: finite at ties as well (at a tie of the largest two, ord 2 takes the derivative of one).
"""
from __future__ import annotations

import numpy as np

from ..errors import DifferentiationError
from ..ir import COMPLEX_DTYPES
from ._infer import rule_infer
from .composite import dtype_name
from .linalg_decomp import _cols, _gap_inverse, _undetermined
from .registry import Attr, defop, impl_rules, jvp_rules, matrix_flops, vjp_rules
from .assignment import _host
from .svd_bdc import bdc_complement
from .svd_eigen import JACOBI_MAX_COLS, eigen_complement, eigen_signs, replay_flops


def _svd_impl(xp, a, signs="lapack", full_matrices=False):
    u, s, vh = _lapack_svd(xp, a)
    if signs == "eigen" and dtype_name(a.dtype) in ("float32", "float64"):
        flip = eigen_signs(_host(a), _host(u))
        if not (flip > 0).all():
            f = _backend_array(xp, u, flip)
            u, vh = u * f[..., None, :], vh * f[..., :, None]
    m, n = a.shape[-2:]
    if full_matrices and m > n:
        u = xp.concat([u, _backend_array(xp, u, _complement(_host(a), _host(u), signs, n))], axis=-1)
    elif full_matrices and n > m:
        extra = _complement(np.swapaxes(_host(a), -1, -2), np.swapaxes(_host(vh), -1, -2), signs, n)
        vh = xp.concat([vh, _backend_array(xp, vh, np.swapaxes(extra, -1, -2).copy())], axis=-2)
    return u, s, vh


def _complement(a, q, signs, given_cols):
    """[..., m, m - k]: orthonormal columns completing q [..., m, k] (a's left singular vectors, a [..., m, n]
    tall: the given matrix or its transpose; given_cols: the given matrix's columns). With signs='eigen',
    MindSpore's: below 16 given columns the trailing columns of JacobiSVD's column-pivoted Householder Q of a
    (svd_eigen.eigen_complement), from 16 those of BDCSVD's Householder QR or bidiagonalization Q
    (svd_bdc.bdc_complement); else LAPACK's complete Householder Q of q.
    Then made orthogonal to q: where a is rank deficient, q's vectors of the zero singular values are LAPACK's,
    not Eigen's, and Eigen's columns are re-orthogonalized against them (full rank: a change in the last digit)."""
    out_dtype = q.dtype
    work = np.float32 if q.dtype == np.float16 else q.dtype
    a, q = a.astype(work), q.astype(work)
    k = q.shape[-1]
    if signs == "eigen":
        extra = eigen_complement(a) if given_cols < JACOBI_MAX_COLS else bdc_complement(a)
    else:
        extra = np.linalg.qr(np.nan_to_num(q), mode="complete")[0][..., k:]
    extra = extra - q @ (np.swapaxes(q, -1, -2) @ extra)
    basis, r = np.linalg.qr(np.nan_to_num(extra))
    diag = np.diagonal(r, axis1=-2, axis2=-1)
    basis = basis * np.where(diag < 0, -1, 1).astype(work)[..., None, :]  # (keep each column's direction)
    return np.where(np.isfinite(extra).all(axis=(-2, -1), keepdims=True), basis, np.nan).astype(out_dtype)


def _backend_array(xp, like, values):
    """values (a host array) as an array of like's backend (and device)."""
    if type(like).__module__.startswith("torch"):
        import torch  # noqa: PLC0415

        return torch.from_numpy(values).to(like.device)
    return xp.asarray(values)


def _lapack_svd(xp, a):
    if dtype_name(a.dtype) == "float16":  # LAPACK (and torch's CPU kernel) have no half precision: float32, rounded back
        return tuple(xp.astype(t, xp.float16) for t in xp.linalg.svd(xp.astype(a, xp.float32), full_matrices=False))
    try:
        return tuple(xp.linalg.svd(a, full_matrices=False))
    except Exception as e:  # noqa: BLE001 - matched by name: each backend has its own LinAlgError class
        if "LinAlgError" not in type(e).__name__:
            raise
    return _svd_each(xp, a)


def _svd_each(xp, a):
    """svd matrix by matrix where LAPACK gave up on the stack (a NaN or inf entry): NaN factors for the
    matrices it cannot decompose, as JAX answers (and linalg_solve's ops do), the others exact."""
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = tuple(a.shape[:-2])
    flat = xp.reshape(a, (-1, m, n))
    us, ss, vhs = [], [], []
    for i in range(flat.shape[0]):
        try:
            u, s, vh = xp.linalg.svd(flat[i, ...], full_matrices=False)
        except Exception as e:  # noqa: BLE001
            if "LinAlgError" not in type(e).__name__:
                raise
            u, s, vh = (xp.full(sh, float("nan"), dtype=a.dtype) for sh in ((m, k), (k,), (k, n)))
        us.append(u)
        ss.append(s)
        vhs.append(vh)
    return tuple(xp.reshape(xp.stack(t, axis=0), batch + tuple(t[0].shape)) for t in (us, ss, vhs))


def _mT(b, x):
    nd = x.aval.ndim
    return b.transpose(x, perm=tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _row(b, s):
    """s [..., k] -> [..., 1, k] (scales columns)."""
    return b.expand_dims(s, axis=s.aval.ndim - 1)


def _col(b, s):
    """s [..., k] -> [..., k, 1] (scales rows)."""
    return b.expand_dims(s, axis=s.aval.ndim)


def _eye(b, k, dtype):
    return b.emit1("const", value=np.eye(k, dtype=dtype))


def _over_gaps(b, s, pairs):
    """pairs[i, j] / (s_j^2 - s_i^2) off the diagonal, 0 on it; NaN where s_i and s_j tie (within rounding:
    linalg_decomp._ties of s^2; their vectors are any basis of their subspace, 1 / gap would give rounding
    noise a finite wrong value) and the pair moves (pairs[i, j] != 0); a tied pair that does not move gives 0."""
    f, tie = _gap_inverse(b, b.square(s))
    return b.add(b.mul(f, pairs), _undetermined(b, tie, b.not_equal(pairs, b.full_like(pairs, 0.0)), pairs))


def _skew(b, x):
    return b.sub(x, _mT(b, x))


def _refuse_complex(b, a) -> None:
    if a.dtype in COMPLEX_DTYPES:
        raise DifferentiationError(f"failed to compute derivative: op 'svd' of a complex matrix {a.aval}: its "
                                   "derivative is implemented for real matrices only (MindSpore 2.10 has none for "
                                   "complex input either)", node=b.node_label, op="svd")


def _refuse_free_complement(b, a) -> None:
    m, n = a.shape[-2:]
    if abs(m - n) > 1:
        raise DifferentiationError(f"failed to compute derivative: op 'svd' with full_matrices=True of {a.aval}: the "
                                   f"{abs(m - n)} columns completing {'u' if m > n else 'v'} are one basis of many "
                                   "(any rotation of them is another), so they have no derivative; MindSpore 2.10 "
                                   "refuses it too (|m - n| > 1)", node=b.node_label, op="svd")


def _rows(b, x, start, stop):
    """x[..., start:stop, :]."""
    return _mT(b, _cols(b, _mT(b, x), start, stop))


def _complement_vjp(b, outs, cts):
    """full_matrices=True of a non-square a ([m, n], |m - n| = 1): the reduced factors and cotangents, and the
    gradient through the one completing column c (of u; of v for a wide a), unique up to its sign: with
    d c = -u diag(1/s) vh da^T c, ga = -c (gc^T u / s) vh (wide: ga = -u ((vh gr^T) / s) r, r = c^T)."""
    (u, s, vh), (gu, gs, gvh) = outs, cts
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    if m > n:
        c, u = _cols(b, u, k, m), _cols(b, u, 0, k)
        gc, gu = (None, None) if gu is None else (_cols(b, gu, k, m), _cols(b, gu, 0, k))
        ga = None if gc is None else b.neg(b.matmul(c, b.matmul(
            b.div(b.matmul(gc, u, transpose_a=True), _row(b, s)), vh)))
    else:
        r, vh = _rows(b, vh, k, n), _rows(b, vh, 0, k)
        gr, gvh = (None, None) if gvh is None else (_rows(b, gvh, k, n), _rows(b, gvh, 0, k))
        ga = None if gr is None else b.neg(b.matmul(b.matmul(
            u, b.div(b.matmul(vh, gr, transpose_b=True), _col(b, s))), r))
    return (u, s, vh), (gu, gs, gvh), ga


def _svd_vjp(b, ins, outs, cts, signs="lapack", full_matrices=False):  # (signs: in outs, derivatives follow)
    _refuse_complex(b, ins[0])
    extra = None
    if full_matrices and ins[0].shape[-1] != ins[0].shape[-2]:
        _refuse_free_complement(b, ins[0])
        outs, cts, extra = _complement_vjp(b, outs, cts)
    return [b.add_any(_reduced_vjp(b, outs, cts), extra)]


def _reduced_vjp(b, outs, cts):
    u, s, vh = outs
    gu, gs, gvh = cts
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    if gu is None and gvh is None:  # a function of the singular values only: u diag(gs) vh
        return b.matmul(b.mul(u, _row(b, gs)), vh) if gs is not None else None
    inner = None if gs is None else b.mul(_eye(b, k, s.dtype), _row(b, gs))
    pairs = None
    if gu is not None:
        pairs = b.mul(_skew(b, b.matmul(u, gu, transpose_a=True)), _row(b, s))
    if gvh is not None:
        pairs = b.add_any(pairs, b.mul(_col(b, s), _skew(b, b.matmul(vh, gvh, transpose_b=True))))
    inner = b.add_any(inner, _over_gaps(b, s, pairs))
    ga = b.matmul(b.matmul(u, inner), vh)
    if gu is not None and m > k:  # (I - u u^T) gu diag(1/s) vh: the part of gu outside u's span
        gus = b.div(gu, _row(b, s))
        ga = b.add(ga, b.matmul(b.sub(gus, b.matmul(u, b.matmul(u, gus, transpose_a=True))), vh))
    if gvh is not None and n > k:  # u diag(1/s) gvh (I - v vh)
        sgvh = b.div(gvh, _col(b, s))
        ga = b.add(ga, b.matmul(u, b.sub(sgvh, b.matmul(b.matmul(sgvh, vh, transpose_b=True), vh))))
    return ga


def _svd_jvp(b, ins, outs, ts, signs="lapack", full_matrices=False):
    _refuse_complex(b, ins[0])
    da = ts[0]
    if da is None:
        return [None, None, None]
    m, n = ins[0].shape[-2:]
    if not full_matrices or m == n:
        return _reduced_jvp(b, outs, da)
    _refuse_free_complement(b, ins[0])
    (u, s, vh), k = outs, min(m, n)
    if m > n:  # d c = -u diag(1/s) vh da^T c (_complement_vjp)
        c, u = _cols(b, u, k, m), _cols(b, u, 0, k)
        du, ds, dvh = _reduced_jvp(b, (u, s, vh), da)
        dc = b.neg(b.matmul(u, b.div(b.matmul(vh, b.matmul(da, c, transpose_a=True)), _col(b, s))))
        return [b.concat(du, dc, axis=u.aval.ndim - 1), ds, dvh]
    r, vh = _rows(b, vh, k, n), _rows(b, vh, 0, k)
    du, ds, dvh = _reduced_jvp(b, (u, s, vh), da)
    dr = b.neg(b.matmul(b.div(b.matmul(b.matmul(r, da, transpose_b=True), u), _row(b, s)), vh))
    return [du, ds, b.concat(dvh, dr, axis=vh.aval.ndim - 2)]


def _reduced_jvp(b, outs, da):
    u, s, vh = outs
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    eye = _eye(b, k, s.dtype)
    ds_mat = b.matmul(b.matmul(u, da, transpose_a=True), vh, transpose_b=True)  # u^T da v  [..., k, k]
    ds = b.sum(b.mul(ds_mat, eye), axis=(ds_mat.aval.ndim - 1,))
    dss, sds = b.mul(ds_mat, _row(b, s)), b.mul(_col(b, s), ds_mat)
    du = b.matmul(u, _over_gaps(b, s, b.add(dss, _mT(b, dss))))
    dv = b.matmul(vh, _over_gaps(b, s, b.add(sds, _mT(b, sds))), transpose_a=True)
    if m > k:
        dav = b.matmul(da, vh, transpose_b=True)
        du = b.add(du, b.div(b.sub(dav, b.matmul(u, b.matmul(u, dav, transpose_a=True))), _row(b, s)))
    if n > k:
        dau = b.matmul(da, u, transpose_a=True)
        dv = b.add(dv, b.div(b.sub(dau, b.matmul(vh, b.matmul(vh, dau), transpose_a=True)), _row(b, s)))
    return [du, ds, _mT(b, dv)]


def _svd_flops(e) -> int:
    """LAPACK's factorisation, and with signs='eigen' the host replay of Eigen's sweeps (svd_eigen.replay_flops)."""
    a = e.inputs[0].aval
    replays = e.attrs.get("signs") == "eigen" and a.dtype in ("float32", "float64")
    return matrix_flops(e) + (replay_flops(tuple(a.shape)) if replays else 0)


defop("svd", 1, rule_infer("svd"), n_outputs=3, attrs={"signs": Attr("str", "lapack"),
                                                           "full_matrices": Attr("bool", False)},
      doc="(u, s, vh): the reduced SVD a = u diag(s) vh of real or complex matrices [..., m, n] (s real, descending, "
          "k = min(m, n)); u's and vh's derivatives are inf / NaN at tied or zero singular values, s's are not; "
          "complex input has no derivative. signs: 'lapack' (LAPACK's vectors) or 'eigen' (each pair re-signed as "
          "Eigen's JacobiSVD gives it, MindSpore's CPU svd, for real matrices of fewer than 16 columns: "
          "engine/ops/svd_eigen.py). full_matrices: u [..., m, m] and vh [..., n, n], completed by orthonormal columns "
          "(signs='eigen': MindSpore's, the trailing columns of Eigen's Householder Q: JacobiSVD's column-pivoted QR "
          "below 16 columns, BDCSVD's QR or bidiagonalization from 16, engine/ops/svd_bdc.py); their derivative "
          "exists where |m - n| = 1 (one column, unique up to sign) and is refused beyond, as MindSpore 2.10 "
          "refuses it", flops=_svd_flops)
impl_rules["svd"] = _svd_impl
vjp_rules["svd"] = _svd_vjp
jvp_rules["svd"] = _svd_jvp
