"""The singular vectors' signs of Eigen's JacobiSVD (ColPivHouseholderQR preconditioner), which MindSpore 2.10's
CPU svd gives: its kernel calls Eigen::BDCSVD, which hands a matrix of fewer than 16 columns to JacobiSVD.

An SVD's pairs (u_i, v_i) are unique up to a common sign; LAPACK and Eigen pick differently. `eigen_signs` replays
Eigen 3.4's steps on each matrix, in its dtype, on the host: scale by the largest |entry|; a non-square matrix
first through column-pivoted Householder QR (of its transpose when wider than tall: u from the pivots, v from Q);
cyclic two-sided Jacobi sweeps of 2 x 2 SVDs (Eigen's real_2x2_jacobi_svd and makeJacobi) until every
off-diagonal entry is below 2 eps times the largest diagonal one; negative diagonal entries flip u's column;
descending order by swaps. The result is the sign of each of Eigen's u_i against the given one, so the given
factors are only re-signed: their values stay LAPACK's (tests/clients/test_mindspore_svd_signs.py matches
MindSpore's factors). 16 columns or more: MindSpore's BDCSVD proper, not replayed (the signs stay LAPACK's).
"""
from __future__ import annotations

import numpy as np

JACOBI_MAX_COLS = 16  # Eigen's BDCSVD algoswap: fewer columns go to JacobiSVD

# The cost model's view of the replay (estimate_flops): interpreted NumPy calls of ~1 us each, counted as the
# ~10^4 operations a second's ~10^10 would do in that time; ~8 sweeps of k (k - 1) / 2 pairs of ~100 calls each
# (2 x 2 SVD, three rotations, the convergence test) and ~10 calls a column pair of the QR preconditioner.
CALL_OPS = 10 ** 4
SWEEPS, CALLS_A_PAIR = 8, 100


def replay_flops(shape: tuple[int, ...]) -> int:
    """Operations (as the cost model counts them) that eigen_signs spends on a stack of matrices `shape`."""
    rows, cols = shape[-2], shape[-1]
    if cols >= JACOBI_MAX_COLS or 0 in shape:
        return 0
    k, batch = min(rows, cols), int(np.prod(shape[:-2], dtype=np.int64))
    calls = SWEEPS * CALLS_A_PAIR * (k * (k - 1) // 2) + 10 * cols * cols
    return batch * calls * CALL_OPS


def _rotate_rows(m, p, q, c, s):
    x, y = m[p].copy(), m[q].copy()
    m[p], m[q] = c * x + s * y, -s * x + c * y


def _rotate_cols(m, p, q, c, s):
    """Eigen's applyOnTheRight(p, q, J): the plane rotation by J's transpose on columns p and q."""
    x, y = m[:, p].copy(), m[:, q].copy()
    m[:, p], m[:, q] = c * x - s * y, s * x + c * y


def _make_jacobi(x, y, z, dt):
    """Eigen's JacobiRotation::makeJacobi for the symmetric 2 x 2 [[x, y], [y, z]]: (c, s)."""
    deno = dt(2) * abs(y)
    if deno < np.finfo(dt).tiny:
        return dt(1), dt(0)
    tau = (x - z) / deno
    w = np.sqrt(tau * tau + dt(1))
    t = dt(1) / (tau + w) if tau > 0 else dt(1) / (tau - w)
    n = dt(1) / np.sqrt(t * t + dt(1))
    return n, -(dt(1) if t > 0 else dt(-1)) * np.sign(y) * abs(t) * n


def _jacobi_2x2(w, p, q, dt):
    """Eigen's real_2x2_jacobi_svd: the left and right rotations (c, s) that diagonalize w's (p, q) block."""
    m = np.array([[w[p, p], w[p, q]], [w[q, p], w[q, q]]], dt)
    t, d = m[0, 0] + m[1, 1], m[1, 0] - m[0, 1]
    if abs(d) < np.finfo(dt).tiny:
        c1, s1 = dt(1), dt(0)
    else:
        u = t / d
        tmp = np.sqrt(dt(1) + u * u)
        c1, s1 = u / tmp, dt(1) / tmp
    _rotate_rows(m, 0, 1, c1, s1)
    cr, sr = _make_jacobi(m[0, 0], m[0, 1], m[1, 1], dt)
    return (c1 * cr + s1 * sr, s1 * cr - c1 * sr), (cr, sr)  # left = rot1 * right^T


def _householder_qr(a, dt):
    """Eigen's ColPivHouseholderQR: (Q [m, m], R's leading [k, k], the column permutation as a matrix)."""
    a = a.copy()
    rows, cols = a.shape
    norms = np.linalg.norm(a, axis=0).astype(dt)
    direct, order, taus = norms.copy(), np.arange(cols), []
    for k in range(min(rows, cols)):
        j = k + int(np.argmax(norms[k:]))
        for arr in (norms, direct, order):
            arr[[k, j]] = arr[[j, k]]
        a[:, [k, j]] = a[:, [j, k]]
        c0, tail = a[k, k], a[k + 1:, k]
        tail_sq = (tail * tail).sum(dtype=dt)
        if tail_sq <= np.finfo(dt).tiny:
            tau, beta, ess = dt(0), c0, np.zeros_like(tail)
        else:
            beta = np.sqrt(c0 * c0 + tail_sq) * (dt(-1) if c0 >= 0 else dt(1))
            tau, ess = (beta - c0) / beta, tail / (c0 - beta)
        a[k, k], a[k + 1:, k] = beta, ess
        taus.append(tau)
        v = np.concatenate([[dt(1)], ess]).astype(dt)
        a[k:, k + 1:] -= tau * np.outer(v, v @ a[k:, k + 1:])
        for jj in range(k + 1, cols):  # LAPACK's dlaqp2 norm downdating, as Eigen
            if norms[jj] != 0:
                r = abs(a[k, jj]) / norms[jj]
                r = max((dt(1) + r) * (dt(1) - r), dt(0))
                if r * (norms[jj] / direct[jj]) ** 2 <= np.sqrt(np.finfo(dt).eps):
                    direct[jj] = norms[jj] = np.linalg.norm(a[k + 1:, jj])
                else:
                    norms[jj] *= np.sqrt(r)
    q = np.eye(rows, dtype=dt)
    for k in reversed(range(len(taus))):
        v = np.concatenate([[dt(1)], a[k + 1:, k]]).astype(dt)
        q[k:] -= taus[k] * np.outer(v, v @ q[k:])
    perm = np.zeros((cols, cols), dt)
    perm[order, np.arange(cols)] = 1
    n = min(rows, cols)
    return q, np.triu(a)[:n, :n], perm


def _eigen_u(a, dt):
    """Eigen JacobiSVD's u [m, k] of one matrix (in its order: descending singular values)."""
    rows, cols = a.shape
    n = min(rows, cols)
    scaled = a / (np.abs(a).max() or dt(1))
    if rows > cols:
        q, w, _ = _householder_qr(scaled, dt)
        u = q[:, :n].copy()
    elif cols > rows:
        _, r, perm = _householder_qr(scaled.T.copy(), dt)
        w, u = r.T.copy(), perm
    else:
        w, u = scaled.copy(), np.eye(n, dtype=dt)
    biggest, tol = np.abs(np.diag(w)).max(), 2 * np.finfo(dt).eps
    swept = False
    while not swept:
        swept = True
        for p in range(1, n):
            for q_ in range(p):
                limit = max(np.finfo(dt).tiny, tol * biggest)
                if abs(w[p, q_]) > limit or abs(w[q_, p]) > limit:
                    swept = False
                    (cl, sl), (cr, sr) = _jacobi_2x2(w, p, q_, dt)
                    _rotate_rows(w, p, q_, cl, sl)
                    _rotate_cols(u, p, q_, cl, -sl)
                    _rotate_cols(w, p, q_, cr, sr)
                    biggest = max(biggest, abs(w[p, p]), abs(w[q_, q_]))
    diag = np.diag(w)[:n]
    u = u[:, :n] * np.where(diag < 0, dt(-1), dt(1))
    return u[:, np.argsort(-np.abs(diag), kind="stable")]


def eigen_signs(a: np.ndarray, u: np.ndarray) -> np.ndarray:
    """[..., k] of +-1: the sign that turns each column of u (LAPACK's, [..., m, k]) into Eigen's for a."""
    dt = a.dtype.type if a.dtype in (np.float32, np.float64) else np.float64
    flat_a, flat_u = a.reshape(-1, *a.shape[-2:]), u.reshape(-1, *u.shape[-2:])
    out = np.ones(flat_u.shape[0:1] + flat_u.shape[-1:], a.dtype)
    if a.shape[-1] >= JACOBI_MAX_COLS or 0 in a.shape:
        return out.reshape(u.shape[:-2] + u.shape[-1:])
    for i, (m, mu) in enumerate(zip(flat_a, flat_u)):
        if not np.isfinite(m).all():
            continue
        dots = (_eigen_u(m.astype(dt), dt) * mu).sum(axis=0)
        out[i] = np.where(dots < 0, -1, 1)
    return out.reshape(u.shape[:-2] + u.shape[-1:])
