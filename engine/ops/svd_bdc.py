"""The columns MindSpore 2.10's CPU svd(full_matrices=True) appends to u (to v for a wide matrix) when the matrix has
16 columns or more: there its kernel's Eigen::BDCSVD does not hand over to JacobiSVD (svd_eigen.py) but factors
the matrix (its transpose when wider than tall, scaled by its largest |entry|) as Q B P^T and returns Q's trailing
columns untouched (BDCSVD::copyUV: Q applied to the identity padded with the divide and conquer's small factors).

Q is one of two Householder products, by BDCSVD's aspect rule (integer division, as Eigen's Index arithmetic):
    long // 4 > short: HouseholderQR first (no pivoting), Q its reflectors' (LAPACK geqrf / orgqr's, same convention)
    otherwise:         UpperBidiagonalization, Q its left reflectors' (each column's, after the previous right one)
Eigen bidiagonalizes 48 columns or more in blocks (the same reflectors, other roundings: ~1e-13 apart in float64).
Measured against MindSpore 2.10: tests/clients/test_svd_mindspore2.py (shapes on both sides of the rule).
"""
from __future__ import annotations

import numpy as np

from .svd_eigen import householder_product, householder_vector, reflect, trailing_columns

QR_ASPECT = 4  # Eigen's BDCSVD kMinAspectRatio: QR first where rows / 4 > cols


def bdc_complement(a: np.ndarray) -> np.ndarray:
    """[..., m, m - n] of a tall stack a [..., m, n] (float32 / float64, the matrix or the transpose of a wide one
    that has >= 16 columns): the trailing columns of Eigen BDCSVD's left Householder product (module doc). NaN
    for a matrix with a NaN or inf entry."""
    return trailing_columns(a, _left_q)


def _left_q(scaled, dt):
    rows, cols = scaled.shape[-2:]
    if rows // QR_ASPECT > cols:
        return np.linalg.qr(scaled, mode="complete")[0]
    return _bidiagonal_left_q(scaled, dt)


def _bidiagonal_left_q(a, dt):
    """Q [b, m, m] of Eigen's UpperBidiagonalization a = Q B P^T of each matrix of a [b, m, n], m >= n (its
    unblocked form): column k's reflector, then row k's (to the right of the superdiagonal) on the rest."""
    a = a.copy()
    batch, rows, cols = a.shape
    left = []
    for k in range(cols):
        v, tau, beta = householder_vector(a[:, k:, k], dt)
        a[:, k:, k], a[:, k, k] = 0, beta
        reflect(a[:, k:, k + 1:], v, tau)
        left.append((v, tau))
        if k + 1 < cols:
            v, tau, beta = householder_vector(a[:, k, k + 1:], dt)
            a[:, k, k + 1:], a[:, k, k + 1] = 0, beta
            reflect(np.swapaxes(a[:, k + 1:, k + 1:], 1, 2), v, tau)  # (on the right: the block's rows)
    return householder_product(batch, rows, left, dt)
