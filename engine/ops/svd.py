"""The reduced singular value decomposition of a stack of real matrices: svd(a [..., m, n]) ->
(u [..., m, k], s [..., k] descending, vh [..., k, n]), k = min(m, n), a = u diag(s) vh.

The derivatives are the standard ones (PyTorch's svd_backward, JAX's svd jvp), written as graph ops so
they differentiate again. The singular values' own derivative, d s_i = u_i^T da v_i, needs nothing
more; u's and v's derivatives divide by s_j^2 - s_i^2 and (for a non-square a) by s_i, so they are
inf / NaN where two singular values tie or one is zero (the vectors are not unique there). A function of
the singular values alone (matrix norms ord 2, -2, 'nuc') gets its gradient from the first form only:
finite at ties as well (at a tie of the largest two, ord 2 takes the derivative of one of them).
"""
from __future__ import annotations

import numpy as np

from ..errors import DifferentiationError
from ..ir import COMPLEX_DTYPES
from ._infer import rule_infer
from .composite import dtype_name
from .registry import Attr, defop, impl_rules, jvp_rules, matrix_flops, vjp_rules
from .assignment import _host
from .svd_eigen import eigen_signs, replay_flops


def _svd_impl(xp, a, signs="lapack"):
    u, s, vh = _lapack_svd(xp, a)
    if signs == "eigen" and dtype_name(a.dtype) in ("float32", "float64"):
        flip = eigen_signs(_host(a), _host(u))
        if not (flip > 0).all():
            f = _backend_array(xp, u, flip)
            u, vh = u * f[..., None, :], vh * f[..., :, None]
    return u, s, vh


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


def _gaps(b, s):
    """E[i, j] = s_j^2 - s_i^2 off the diagonal, 1 on it (divides only off-diagonal terms)."""
    sq = b.square(s)
    return b.add(b.sub(_row(b, sq), _col(b, sq)), _eye(b, s.shape[-1], s.dtype))


def _skew(b, x):
    return b.sub(x, _mT(b, x))


def _refuse_complex(b, a) -> None:
    if a.dtype in COMPLEX_DTYPES:
        raise DifferentiationError(f"failed to compute derivative: op 'svd' of a complex matrix {a.aval}: its "
                                   "derivative is implemented for real matrices only (MindSpore 2.10 has none for "
                                   "complex input either)", node=b.node_label, op="svd")


def _svd_vjp(b, ins, outs, cts, signs="lapack"):  # (the signs are in outs: their derivatives follow)
    _refuse_complex(b, ins[0])
    u, s, vh = outs
    gu, gs, gvh = cts
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    if gu is None and gvh is None:  # a function of the singular values only: u diag(gs) vh
        return [b.matmul(b.mul(u, _row(b, gs)), vh)] if gs is not None else [None]
    inner = None if gs is None else b.mul(_eye(b, k, s.dtype), _row(b, gs))
    gaps = _gaps(b, s)
    if gu is not None:
        uhgu = b.matmul(u, gu, transpose_a=True)
        inner = b.add_any(inner, b.mul(b.div(_skew(b, uhgu), gaps), _row(b, s)))
    if gvh is not None:
        vhgv = b.matmul(vh, gvh, transpose_b=True)
        inner = b.add_any(inner, b.mul(_col(b, s), b.div(_skew(b, vhgv), gaps)))
    ga = b.matmul(b.matmul(u, inner), vh)
    if gu is not None and m > k:  # (I - u u^T) gu diag(1/s) vh: the part of gu outside u's span
        gus = b.div(gu, _row(b, s))
        ga = b.add(ga, b.matmul(b.sub(gus, b.matmul(u, b.matmul(u, gus, transpose_a=True))), vh))
    if gvh is not None and n > k:  # u diag(1/s) gvh (I - v vh)
        sgvh = b.div(gvh, _col(b, s))
        ga = b.add(ga, b.matmul(u, b.sub(sgvh, b.matmul(b.matmul(sgvh, vh, transpose_b=True), vh))))
    return [ga]


def _svd_jvp(b, ins, outs, ts, signs="lapack"):
    _refuse_complex(b, ins[0])
    da = ts[0]
    if da is None:
        return [None, None, None]
    u, s, vh = outs
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    eye = _eye(b, k, s.dtype)
    ds_mat = b.matmul(b.matmul(u, da, transpose_a=True), vh, transpose_b=True)  # u^T da v  [..., k, k]
    ds = b.sum(b.mul(ds_mat, eye), axis=(ds_mat.aval.ndim - 1,))
    f = b.sub(b.reciprocal(_gaps(b, s)), eye)  # 1 / (s_j^2 - s_i^2), 0 on the diagonal
    dss, sds = b.mul(ds_mat, _row(b, s)), b.mul(_col(b, s), ds_mat)
    du = b.matmul(u, b.mul(f, b.add(dss, _mT(b, dss))))
    dv = b.matmul(vh, b.mul(f, b.add(sds, _mT(b, sds))), transpose_a=True)
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


defop("svd", 1, rule_infer("svd"), n_outputs=3, attrs={"signs": Attr("str", "lapack")},
      doc="(u, s, vh): the reduced SVD a = u diag(s) vh of real or complex matrices [..., m, n] (s real, descending, "
          "k = min(m, n)); u's and vh's derivatives are inf / NaN at tied or zero singular values, s's are not; "
          "complex input has no derivative. signs: 'lapack' (LAPACK's vectors) or 'eigen' (each pair re-signed as "
          "Eigen's JacobiSVD gives it, MindSpore's CPU svd, for real matrices of fewer than 16 columns: "
          "engine/ops/svd_eigen.py)", flops=_svd_flops)
impl_rules["svd"] = _svd_impl
vjp_rules["svd"] = _svd_vjp
jvp_rules["svd"] = _svd_jvp
