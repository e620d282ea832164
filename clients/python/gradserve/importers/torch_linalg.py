"""ATen linear algebra for torch_import (registered into torch_table.ATEN on import): the factorisations
(qr, eigh, svd, lu, cholesky) and the solves / inverses / determinants built on them, as the engine's ops.
torch.linalg's error checks (aten._linalg_check_errors under with_effects, threaded by an effect token)
compute nothing here: a matrix with no factor gives NaN, as the engine's ops do."""
from __future__ import annotations

import numpy as np

from ._shared import composites as C
from ._shared.graph_writer import UnsupportedModel
from .lu_rect import lu_any, part as _part, rows as _rows
from .torch_table import aten


_mT = C.mT


def _empty(c, dtype):
    """What torch returns for an output it was told not to compute (shape [0])."""
    return c.w.const(np.zeros((0,), dtype))


def _tri(w, x, lower: bool, diagonal: float = 1.0):
    n, m = w.shape(x)[-2:]
    mask = np.tril(np.ones((n, m)), -1) if lower else np.triu(np.ones((n, m)), 1)
    mask[np.arange(min(n, m)), np.arange(min(n, m))] = diagonal
    return w.mul(x, w.const(mask.astype(w.dtype(x))))


@aten("aten.linalg_qr.default")
def _qr(c, a, mode="reduced"):
    w, a = c.w, c.v(a)
    m, n = w.shape(a)[-2:]
    k = min(m, n)
    batch = list(w.shape(a)[:-2])
    q, r = w.emit("qr", [a], {}, [(batch + [m, k], w.dtype(a)), (batch + [k, n], w.dtype(a))])
    if mode == "complete" and m > n:  # Q's last m - n columns from LAPACK's reflectors; R over zeros
        full = C.householder_qr(w, a, complete=True)[2]
        q = w.concat([q, w.index(full, [[0, d, 1] for d in batch] + [[0, m, 1], [n, m, 1]])], len(batch) + 1)
        r = w.concat([r, w.const(np.zeros(batch + [m - n, n], w.dtype(a)))], len(batch))
    return (_empty(c, w.dtype(a)) if mode == "r" else q), r


@aten("aten.geqrf.default")
def _geqrf(c, a):
    """LAPACK's packed QR (R above, the reflectors below the diagonal) and its taus, step by step."""
    return C.householder_qr(c.w, c.v(a))[:2]


@aten("aten.linalg_householder_product.default")
def _householder_product(c, packed, taus):
    w, packed = c.w, c.v(packed)
    return C.householder_product(w, packed, c.v(taus), w.shape(packed)[-1])


@aten("aten.linalg_eig.default", "aten._linalg_eig.default", "aten.linalg_eigvals.default")
def _eig(c, a, *rest):
    raise UnsupportedModel("non-symmetric eigendecomposition (torch.linalg.eig / eigvals): its eigenvalues and "
                           "vectors are complex and its gradient is not defined for gradserve's real graphs; refused "
                           "(torch.linalg.eigh imports, for symmetric matrices)")


@aten("aten._linalg_eigh.default")
def _eigh(c, a, uplo="L", compute_v=True):
    w, a = c.w, c.v(a)
    shape = list(w.shape(a))
    vals, vecs = w.emit("eigh", [a], {"lower": uplo == "L"}, [(shape[:-1], w.dtype(a)), (shape, w.dtype(a))])
    return vals, (vecs if compute_v else _empty(c, w.dtype(a)))


@aten("aten._linalg_svd.default")
def _svd(c, a, full_matrices=False, compute_uv=True, driver=None):
    w, a = c.w, c.v(a)
    *batch, m, n = w.shape(a)
    k = min(m, n)
    if full_matrices and compute_uv and m != n:
        raise UnsupportedModel(f"svd full_matrices=True of a non-square matrix [{m}, {n}] (the engine's svd is "
                               "the reduced one)")
    dt = w.dtype(a)
    u, s, vh = w.emit("svd", [a], {}, [(batch + [m, k], dt), (batch + [k], dt), (batch + [k, n], dt)])
    return (u, s, vh) if compute_uv else (_empty(c, dt), s, _empty(c, dt))


def _lu(c, a):
    """(packed L\\U, int32 pivots [..., min(m, n)], int32 info) of a [..., m, n], as LAPACK getrf."""
    return lu_any(c.w, c.v(a))


@aten("aten.linalg_lu_factor_ex.default")
def _lu_factor_ex(c, a, pivot=True, check_errors=False):
    if not pivot:
        raise UnsupportedModel("lu_factor without pivoting (the engine's lu pivots, as LAPACK getrf)")
    return tuple(_lu(c, a))


def _perm_of(w, piv, m):
    """Row order perm [..., m] (a[perm] = L U) from LAPACK's pivots."""
    return w.emit1("lu_pivots_to_permutation", [piv], {"permutation_size": m}, list(w.shape(piv)[:-1]) + [m], "int32")


@aten("aten.linalg_lu.default")
def _linalg_lu(c, a, pivot=True):
    """(P, L, U) with a = P L U: P[perm[i], i] = 1; L [..., m, k] unit lower, U [..., k, n] upper."""
    if not pivot:
        raise UnsupportedModel("linalg.lu without pivoting (the engine's lu pivots, as LAPACK getrf)")
    w = c.w
    lu, piv, _ = _lu(c, a)
    *batch, m, n = w.shape(lu)
    k = min(m, n)
    perm = _perm_of(w, piv, m)
    onehot = w.cast(w.binary("equal", w.reshape(perm, list(w.shape(perm)) + [1]),
                             w.const(np.arange(m, dtype=np.int32))), w.dtype(lu))  # [.., i, j] = perm[i] == j
    low = w.add(_tri(w, _part(w, lu, -1, 0, k), True, 0.0), w.const(np.eye(m, k, dtype=w.dtype(lu))))
    return _mT(w, onehot), low, _tri(w, _part(w, lu, -2, 0, k), False)


def _as_matrix(w, b, a):
    """torch's B may be a vector (or a batch of vectors) where A is a batch of matrices."""
    if len(w.shape(b)) == len(w.shape(a)) - 1:
        return w.reshape(b, list(w.shape(b)) + [1]), True
    return b, False


@aten("aten.linalg_lu_solve.default")
def _lu_solve(c, lu, piv, b, left=True, adjoint=False):
    """a x = b with a = P L U: x = U^-1 L^-1 b[perm]."""
    w, lu, b = c.w, c.v(lu), c.v(b)
    if not left or adjoint:
        raise UnsupportedModel("lu_solve with left=False or adjoint=True")
    y = _trisolve(w, lu, _rows(w, b, _perm_of(w, c.v(piv), w.shape(lu)[-1])), lower=True, unit_diagonal=True)
    return _trisolve(w, lu, y, lower=False)


def _trisolve(w, a, b, lower=True, transpose_a=False, unit_diagonal=False):
    return w.emit1("triangular_solve", [a, b], {"lower": lower, "transpose_a": transpose_a,
                                                "unit_diagonal": unit_diagonal}, w.shape(b), w.dtype(b))


@aten("aten.linalg_solve_triangular.default")
def _solve_triangular(c, a, b, upper, left=True, unitriangular=False):
    """A X = B (left=False: X A = B <=> A^T X^T = B^T) for A's upper or lower triangle; batches broadcast."""
    w, a, b = c.w, c.v(a), c.v(b)
    batch = list(np.broadcast_shapes(tuple(w.shape(a)[:-2]), tuple(w.shape(b)[:-2])))
    a = w.broadcast_to(a, batch + list(w.shape(a)[-2:]))
    b = w.broadcast_to(b, batch + list(w.shape(b)[-2:]))
    if left:
        return _trisolve(w, a, b, lower=not upper, unit_diagonal=unitriangular)
    return _mT(w, _trisolve(w, a, _mT(w, b), lower=not upper, transpose_a=True, unit_diagonal=unitriangular))


@aten("aten._linalg_solve_ex.default")
def _solve_ex(c, a, b, left=True, check_errors=False):
    """(x, LU, pivots, info): x, and info 0 (a singular a gives NaN); LU and pivots name themselves if used."""
    w, a, b = c.w, c.v(a), c.v(b)
    info = w.const(np.zeros(w.shape(a)[:-2], np.int32))
    if not left:  # x a = b  <=>  a^T x^T = b^T
        return (_mT(w, w.emit1("solve", [_mT(w, a), _mT(w, b)], {}, w.shape(_mT(w, b)), w.dtype(b))),
                None, None, info)
    bm, vec = _as_matrix(w, b, a)
    bm = w.broadcast_to(bm, list(w.shape(a)[:-2]) + list(w.shape(bm)[-2:]))
    x = w.emit1("solve", [a, bm], {}, w.shape(bm), w.dtype(bm))
    return (w.reshape(x, w.shape(x)[:-1]) if vec else x), None, None, info


@aten("aten.linalg_inv_ex.default")
def _inv_ex(c, a, check_errors=False):
    w, a = c.w, c.v(a)
    return w.emit1("matrix_inverse", [a], {}, w.shape(a), w.dtype(a)), w.const(np.zeros(w.shape(a)[:-2], np.int32))


@aten("aten._linalg_slogdet.default")
def _slogdet(c, a):
    w, a = c.w, c.v(a)
    batch = list(w.shape(a)[:-2])
    sign, logabs = w.emit("slogdet", [a], {}, [(batch, w.dtype(a)), (batch, w.dtype(a))])
    return sign, logabs, None, None


@aten("aten._linalg_det.default")
def _det(c, a):
    """The engine's det op: its derivative is the cofactor matrix, finite at singular matrices (a
    sign * exp(logabsdet) form gives NaN there)."""
    w, a = c.w, c.v(a)
    return w.emit1("det", [a], {}, list(w.shape(a)[:-2]), w.dtype(a)), None, None


@aten("aten.linalg_cholesky_ex.default")
def _cholesky_ex(c, a, upper=False, check_errors=False):
    w, a = c.w, c.v(a)
    low = w.emit1("cholesky", [a], {}, w.shape(a), w.dtype(a))
    return (_mT(w, low) if upper else low), w.const(np.zeros(w.shape(a)[:-2], np.int32))


@aten("aten.cholesky_solve.default")
def _cholesky_solve(c, b, factor, upper=False):
    return cholesky_solve_values(c.w, c.v(b), c.v(factor), upper)


def cholesky_solve_values(w, b: str, f: str, upper: bool) -> str:
    """(L L^T) x = b (upper: (U^T U) x = b), two triangular solves."""
    y = _trisolve(w, f, b, lower=not upper, transpose_a=upper)
    return _trisolve(w, f, y, lower=not upper, transpose_a=not upper)


@aten("aten._linalg_check_errors.default")
def _check_errors(c, *args, **kw):
    return None


class EffectToken:
    """torch.export's effect token (it orders side effects): carries nothing into the graph."""


TOKEN = EffectToken()


@aten("with_effects")
def _with_effects(ctx, token, op, *args, **kw):
    """torch's effect-ordered call: (token, op's results)."""
    from .torch_table import ATEN

    rule = ATEN.get(str(op))
    if rule is None:
        raise UnsupportedModel(f"op {op} (called with effects) is not supported by the torch.export importer",
                               op=str(op))
    out = rule(ctx, *args, **kw)
    return (TOKEN,) + (tuple(out) if isinstance(out, tuple) else (out,))



@aten("aten.linalg_matrix_exp.default", "aten.matrix_exp.default")
def _matrix_exp(c, a):
    """torch.linalg.matrix_exp / torch.matrix_exp: the engine's matrix_exp (scaling and squaring, Padé 13 / 7)."""
    w, a = c.w, c.v(a)
    return w.emit("matrix_exp", [a], {}, [w.avals[a]])[0]


@aten("aten.linalg_pinv.atol_rtol_tensor", "aten.linalg_pinv.atol_rtol_float")
def _pinv(c, a, atol=None, rtol=None, hermitian=False):
    """torch.linalg.pinv as ATen's (and ops.pinv's): singular values (hermitian: |eigenvalues|) at or below
    max(atol, rtol * largest) count as 0; rtol defaults to max(m, n) * eps, or 0 where atol > 0. Its derivative
    is pinv_backward's closed form (one custom_vjp node), not the decomposition's (NaN at tied values)."""
    w, a = c.w, c.v(a)
    return C.pinv(w, a, _tolerance(c, atol, a), _rtol(c, atol, rtol, a), hermitian)


def _tolerance(c, tol, a):
    """atol / rtol (None, a number or a tensor broadcasting with a's batch) as a [..., 1] value of a's dtype."""
    w, dt = c.w, c.w.dtype(a)
    t = w.const(np.zeros((), dt)) if tol is None else \
        w.const(np.asarray(tol, dt)) if isinstance(tol, (int, float)) else w.cast(c.v(tol), dt)
    return w.reshape(t, list(w.shape(t)) + [1])


def _rtol(c, atol, rtol, a):
    if rtol is not None:
        return _tolerance(c, rtol, a)
    w, dt = c.w, c.w.dtype(a)
    default = w.const(np.asarray(max(w.shape(a)[-2:]) * np.finfo(dt).eps, dt))
    if atol is None:
        return default
    at = _tolerance(c, atol, a)  # (ATen's get_atol_rtol: rtol is 0 wherever atol > 0)
    return w.where(w.binary("greater", at, w.scalar_like(0.0, at)), w.scalar_like(0.0, at), default)


