"""The singular vectors' signs of Eigen's JacobiSVD (ColPivHouseholderQR preconditioner), which MindSpore 2.10's
CPU svd gives: its kernel calls Eigen::BDCSVD, which hands a matrix of fewer than 16 columns to JacobiSVD.

An SVD's pairs (u_i, v_i) are unique up to a common sign; LAPACK and Eigen pick differently. `eigen_signs` replays
Eigen 3.4's steps on each matrix, in its dtype, on the host, batched over the stack (`_eigen_u`): scale by the
largest |entry|; a non-square matrix first through column-pivoted Householder QR (of its transpose when wider than tall: u from the pivots, v from Q);
cyclic two-sided Jacobi sweeps of 2 x 2 SVDs (Eigen's real_2x2_jacobi_svd and makeJacobi) until every
off-diagonal entry is below 2 eps times the largest diagonal one; negative diagonal entries flip u's column;
descending order by swaps. The result is the sign of each of Eigen's u_i against the given one, so the given
factors are only re-signed: their values stay LAPACK's (tests/clients/test_mindspore_svd_signs.py matches
MindSpore's factors). 16 columns or more: MindSpore's BDCSVD proper, not replayed (the signs stay LAPACK's).
"""
from __future__ import annotations

import numpy as np

JACOBI_MAX_COLS = 16  # Eigen's BDCSVD algoswap: fewer columns go to JacobiSVD

# The cost model's view of the replay (estimate_flops), batched over the stack: interpreted NumPy calls of ~1 us
# each, counted as the ~10^4 operations a second's ~10^10 would do in that time, ~60 a column pair a sweep (2 x 2
# SVD, three rotations, the convergence test) and ~30 a column of the QR preconditioner, once for the whole stack;
# and each matrix's share of them, ~300 operations' time an entry of the rows and columns a pair rotates
# (measured: a [4096, 15, 15] stack in 2.8 s, 8 sweeps) and of the QR's reflections; ~8 sweeps.
CALL_OPS, ENTRY_OPS = 10 ** 4, 300
SWEEPS, CALLS_A_PAIR, CALLS_A_COLUMN = 8, 60, 30


def replay_flops(shape: tuple[int, ...]) -> int:
    """Operations (as the cost model counts them) that eigen_signs spends on a stack of matrices `shape`."""
    rows, cols = shape[-2], shape[-1]
    if cols >= JACOBI_MAX_COLS or 0 in shape:
        return 0
    k, batch = min(rows, cols), int(np.prod(shape[:-2], dtype=np.int64))
    pair_visits = SWEEPS * (k * (k - 1) // 2)
    calls = pair_visits * CALLS_A_PAIR + CALLS_A_COLUMN * cols
    per_matrix = (pair_visits * (rows + cols) + rows * cols * cols) * ENTRY_OPS
    return calls * CALL_OPS + batch * per_matrix


_TINY = {dt: np.finfo(dt).tiny for dt in (np.float32, np.float64)}


def _where(mask, a, b):
    """np.where over a stack's members, a Python conditional for one matrix's NumPy scalars (each NumPy call costs
    microseconds, and the replay is its calls)."""
    return np.where(mask, a, b) if isinstance(mask, np.ndarray) else (a if mask else b)


def _any(mask) -> bool:
    return bool(mask.any() if isinstance(mask, np.ndarray) else mask)


def _per_row(c):
    """c [b] as [b, 1], to scale each member's row; a scalar (one matrix) as is."""
    return c[..., None] if isinstance(c, np.ndarray) else c


def _rotate_rows(m, sel, p, q, c, s):
    """Rows p and q of the matrices m[sel] turned by (c, s) (one pair a matrix)."""
    x, y = m[sel, p], m[sel, q]
    c, s = _per_row(c), _per_row(s)
    m[sel, p], m[sel, q] = c * x + s * y, -s * x + c * y


def _rotate_cols(m, sel, p, q, c, s):
    """Eigen's applyOnTheRight(p, q, J) on the matrices m[sel]: columns p and q turned by J's transpose."""
    x, y = m[sel, :, p], m[sel, :, q]
    c, s = _per_row(c), _per_row(s)
    m[sel, :, p], m[sel, :, q] = c * x - s * y, s * x + c * y


def _make_jacobi(x, y, z, dt):
    """Eigen's JacobiRotation::makeJacobi for each symmetric 2 x 2 [[x, y], [y, z]] (arrays [b], or one matrix's
    scalars): (c, s). (The np.where of a branch only where some member takes it: the replay's cost is its calls.)"""
    deno = dt(2) * abs(y)
    trivial = deno < _TINY[dt]
    some_trivial = _any(trivial)
    tau = (x - z) / (_where(trivial, dt(1), deno) if some_trivial else deno)
    w = np.sqrt(tau * tau + dt(1))
    t = _where(tau > 0, dt(1) / (tau + w), dt(1) / (tau - w))
    n = dt(1) / np.sqrt(t * t + dt(1))
    s = -_where(t > 0, dt(1), dt(-1)) * np.sign(y) * abs(t) * n
    return (_where(trivial, dt(1), n), _where(trivial, dt(0), s)) if some_trivial else (n, s)


def _jacobi_2x2(w, sel, p, q, dt):
    """Eigen's real_2x2_jacobi_svd of the (p, q) block of each matrix w[sel]: the left and right rotations
    (c, s), each [b] (scalars where sel is one matrix's index)."""
    pp, pq, qp, qq = w[sel, p, p], w[sel, p, q], w[sel, q, p], w[sel, q, q]
    t, d = pp + qq, qp - pq
    flat = abs(d) < _TINY[dt]
    some_flat = _any(flat)
    u = t / (_where(flat, dt(1), d) if some_flat else d)
    tmp = np.sqrt(dt(1) + u * u)
    c1, s1 = u / tmp, dt(1) / tmp
    if some_flat:
        c1, s1 = _where(flat, dt(1), c1), _where(flat, dt(0), s1)
    # the block's rows turned by (c1, s1): Eigen's rot1 applied on the left
    cr, sr = _make_jacobi(c1 * pp + s1 * qp, c1 * pq + s1 * qq, -s1 * pq + c1 * qq, dt)
    return (c1 * cr + s1 * sr, s1 * cr - c1 * sr), (cr, sr)  # left = rot1 * right^T


def _turn_pair(w, u, sel, p, q, dt):
    """One Jacobi step on the pair (p, q) of the matrices w[sel] (and their accumulated u)."""
    (cl, sl), (cr, sr) = _jacobi_2x2(w, sel, p, q, dt)
    _rotate_rows(w, sel, p, q, cl, sl)
    _rotate_cols(u, sel, p, q, cl, -sl)
    _rotate_cols(w, sel, p, q, cr, sr)


def _column_norms(a):
    """The Euclidean norm of each column of each matrix [b, r, c] -> [b, c] (one summation order for all)."""
    return np.sqrt((a * a).sum(axis=1))


def _downdate_norms(a, k, norms, direct, dt):
    """LAPACK's dlaqp2 norm downdating after step k (as Eigen): the columns' norms below row k, recomputed where
    cancellation would have eaten their digits."""
    rest = slice(k + 1, None)
    nonzero = norms[:, rest] != 0
    r = abs(a[:, k, rest]) / np.where(nonzero, norms[:, rest], dt(1))
    r = np.maximum((dt(1) + r) * (dt(1) - r), dt(0))
    ratio = norms[:, rest] / np.where(nonzero, direct[:, rest], dt(1))
    recompute = nonzero & (r * ratio ** 2 <= np.sqrt(np.finfo(dt).eps))
    fresh = _column_norms(a[:, k + 1:, rest])
    norms[:, rest] = np.where(recompute, fresh, np.where(nonzero, norms[:, rest] * np.sqrt(r), norms[:, rest]))
    direct[:, rest] = np.where(recompute, fresh, direct[:, rest])


def householder_vector(x, dt):
    """Eigen's makeHouseholder (LAPACK's dlarfg convention) of each vector of x [b, r]: (v [b, r] with v[:, 0] = 1,
    tau [b], beta [b]) such that (I - tau v v^T) x = beta e_0; tau = 0 where x's tail is already zero."""
    c0, tail = x[:, 0], x[:, 1:]
    tail_sq = (tail * tail).sum(axis=1, dtype=dt)
    flat = tail_sq <= np.finfo(dt).tiny
    beta = np.where(flat, c0, np.sqrt(c0 * c0 + tail_sq) * np.where(c0 >= 0, dt(-1), dt(1)))
    safe_beta, gap = np.where(flat, dt(1), beta), np.where(flat, dt(1), c0 - beta)
    tau = np.where(flat, dt(0), (beta - c0) / safe_beta)
    ess = np.where(flat[:, None], dt(0), tail / gap[:, None])
    return np.concatenate([np.ones((len(x), 1), dt), ess], axis=1), tau, beta


def _householder_qr(a, dt):
    """Eigen's ColPivHouseholderQR of each matrix of a [b, m, n]: (Q [b, m, m], R's leading [b, k, k], the column
    permutation as matrices [b, n, n])."""
    a = a.copy()
    batch, rows, cols = a.shape
    every = np.arange(batch)
    norms = _column_norms(a)
    direct, order, reflectors = norms.copy(), np.tile(np.arange(cols), (batch, 1)), []
    for k in range(min(rows, cols)):
        j = k + np.argmax(norms[:, k:], axis=1)
        for arr in (norms, direct, order):
            arr[every, k], arr[every, j] = arr[every, j].copy(), arr[every, k].copy()
        a[every, :, k], a[every, :, j] = a[every, :, j].copy(), a[every, :, k].copy()
        v, tau, beta = householder_vector(a[:, k:, k], dt)
        a[:, k, k], a[:, k + 1:, k] = beta, 0
        reflectors.append((v, tau))
        reflect(a[:, k:, k + 1:], v, tau)
        _downdate_norms(a, k, norms, direct, dt)
    q = householder_product(batch, rows, reflectors, dt)
    perm = np.zeros((batch, cols, cols), dt)
    perm[every[:, None], order, np.arange(cols)] = 1
    n = min(rows, cols)
    return q, a[:, :n, :n], perm


def householder_product(batch, rows, reflectors, dt):
    """[b, rows, rows]: H_0 H_1 ... of the reflectors [(v [b, rows - k], tau [b]) for k = 0, 1, ...], reflector k
    acting on rows k and below (Eigen's HouseholderSequence applied to the identity)."""
    q = np.tile(np.eye(rows, dtype=dt), (batch, 1, 1))
    for k in reversed(range(len(reflectors))):
        reflect(q[:, k:], *reflectors[k])
    return q


def reflect(block, v, tau):
    """block [b, r, c] <- (I - tau v v^T) block, in place, for each matrix's reflector v [b, r] and tau [b]."""
    block -= tau[:, None, None] * v[:, :, None] * (v[:, :, None] * block).sum(axis=1)[:, None, :]


def _sweep(w, u, biggest, dt):
    """One cyclic sweep of two-sided Jacobi rotations: each pair (p, q) turned in the matrices where an entry of
    the pair is above Eigen's threshold, the others left untouched. Whether any matrix was rotated."""
    if w.shape[0] == 1:
        return _sweep_one(w, u, biggest, dt)
    turned = False
    tiny, tol = _TINY[dt], 2 * np.finfo(dt).eps
    for p in range(1, w.shape[1]):
        for q in range(p):
            limit = np.maximum(tiny, tol * biggest)
            do = (abs(w[:, p, q]) > limit) | (abs(w[:, q, p]) > limit)
            if not do.any():
                continue
            turned = True
            sel = slice(None) if do.all() else np.flatnonzero(do)
            _turn_pair(w, u, sel, p, q, dt)
            biggest[sel] = np.maximum(biggest[sel], np.maximum(abs(w[sel, p, p]), abs(w[sel, q, q])))
    return turned


def _sweep_one(w, u, biggest, dt):
    """_sweep of a stack of one matrix: its entries indexed by integer, so the threshold tests and the 2 x 2
    arithmetic run on NumPy scalars (the same IEEE operations, a fraction of the microseconds a call on arrays)."""
    turned = False
    tiny, tol = _TINY[dt], 2 * np.finfo(dt).eps
    top = biggest[0]
    for p in range(1, w.shape[1]):
        for q in range(p):
            limit = max(tiny, tol * top)
            if abs(w[0, p, q]) > limit or abs(w[0, q, p]) > limit:
                turned = True
                _turn_pair(w, u, 0, p, q, dt)
                top = max(top, abs(w[0, p, p]), abs(w[0, q, q]))
    biggest[0] = top
    return turned


def scaled_by_peak(a, dt):
    """Each matrix of a [b, m, n] divided by its largest |entry| (JacobiSVD's first step; a zero matrix as is)."""
    peak = np.abs(a).max(axis=(1, 2), initial=dt(0))
    return a / np.where(peak == 0, dt(1), peak)[:, None, None]


def _eigen_u(a, dt):
    """Eigen JacobiSVD's u [b, m, k] of each matrix of a finite stack a [b, m, n] (descending singular values).

    Batched exactly: the sweep order is fixed, and a matrix whose pairs are all below the threshold is not
    rotated (a masked rotation keeps its entries as they were), so each matrix sees the operations it would alone."""
    batch, rows, cols = a.shape
    n = min(rows, cols)
    scaled = scaled_by_peak(a, dt)
    if rows > cols:
        q, w, _ = _householder_qr(scaled, dt)
        u = q[:, :, :n].copy()
    elif cols > rows:
        _, r, perm = _householder_qr(np.swapaxes(scaled, 1, 2).copy(), dt)
        w, u = np.swapaxes(r, 1, 2).copy(), perm
    else:
        w, u = scaled.copy(), np.tile(np.eye(n, dtype=dt), (batch, 1, 1))
    biggest = np.abs(np.diagonal(w, axis1=1, axis2=2)).max(axis=1, initial=dt(0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # (the branches np.where drops)
        while _sweep(w, u, biggest, dt):
            pass
    diag = np.diagonal(w, axis1=1, axis2=2)[:, :n]
    u = u[:, :, :n] * np.where(diag < 0, dt(-1), dt(1))[:, None, :]
    order = np.argsort(-np.abs(diag), axis=1, kind="stable")
    return np.take_along_axis(u, order[:, None, :], axis=2)


def eigen_signs(a: np.ndarray, u: np.ndarray) -> np.ndarray:
    """[..., k] of +-1: the sign that turns each column of u (LAPACK's, [..., m, k]) into Eigen's for a."""
    dt = a.dtype.type if a.dtype in (np.float32, np.float64) else np.float64
    flat_a, flat_u = a.reshape(-1, *a.shape[-2:]), u.reshape(-1, *u.shape[-2:])
    out = np.ones(flat_u.shape[0:1] + flat_u.shape[-1:], a.dtype)
    if a.shape[-1] >= JACOBI_MAX_COLS or 0 in a.shape:
        return out.reshape(u.shape[:-2] + u.shape[-1:])
    finite = np.isfinite(flat_a).all(axis=(1, 2))  # (a NaN or inf matrix keeps LAPACK's signs)
    if finite.any():
        dots = (_eigen_u(flat_a[finite].astype(dt), dt) * flat_u[finite]).sum(axis=1)
        out[finite] = np.where(dots < 0, -1, 1)
    return out.reshape(u.shape[:-2] + u.shape[-1:])


def eigen_complement(a: np.ndarray) -> np.ndarray:
    """[..., m, m - n] of a tall stack a [..., m, n] (n < 16 columns, float32 / float64): the trailing columns of
    Eigen's ColPivHouseholderQR Q of each matrix (scaled by its largest |entry|, as JacobiSVD does), which
    MindSpore 2.10's svd(full_matrices=True) appends to u (to v, of the transpose, when wider than tall).
    NaN for a matrix with a NaN or inf entry."""
    return trailing_columns(a, lambda scaled, dt: _householder_qr(scaled, dt)[0])


def trailing_columns(a: np.ndarray, left_q) -> np.ndarray:
    """[..., m, m - n] of a tall stack a [..., m, n]: the columns past n of left_q(scaled, dt) [b, m, m], an
    orthogonal factor of the finite matrices (each divided by its largest |entry|, as Eigen's SVDs do); NaN for
    a matrix with a NaN or inf entry."""
    dt = a.dtype.type
    rows, cols = a.shape[-2:]
    flat = a.reshape(-1, rows, cols)
    out = np.full((flat.shape[0], rows, rows - cols), np.nan, a.dtype)
    finite = np.isfinite(flat).all(axis=(1, 2))
    if finite.any() and rows > cols:
        out[finite] = left_q(scaled_by_peak(flat[finite], dt), dt)[:, :, cols:]
    return out.reshape(*a.shape[:-2], rows, rows - cols)
