"""eigh's derivatives at tied eigenvalues (engine/ops/linalg_decomp.py): LAPACK splits a repeated eigenvalue by
rounding (~1e-15), and 1 / gap turned the rounding noise of a tied pair's term into a finite, wrong gradient
(a spectral function V diag(w^2) V^T = A^2: 1-12% off, as torch.linalg.eigh's still is). Now a tied pair whose
term moves is NaN (the vectors are any basis of their eigenspace: no derivative to give), a tied pair that does
not move (the loss reads neither vector) contributes nothing, and distinct pairs are as before.
References: the closed form of A^2, and central differences of NumPy's eigh along symmetric directions."""
from __future__ import annotations

import numpy as np

from engine import GraphBuilder, evaluate, grad, jvp

RNG = np.random.default_rng(41)
Q = np.linalg.qr(RNG.standard_normal((4, 4)))[0]
C = RNG.standard_normal((4, 4))


def _symmetric(eigenvalues):
    a = Q @ np.diag(eigenvalues) @ Q.T
    return (a + a.T) / 2


def _square_via_eigh():
    """sum(C o V diag(w^2) V^T): A^2 through eigh, a function of the eigenspaces only."""
    gb = GraphBuilder("eigh_square")
    a = gb.input((4, 4), "float64", "a")
    w, v = gb.emit("eigh", [a], {})
    spectral = gb.matmul(gb.mul(v, gb.expand_dims(gb.square(w), axis=0)), v, transpose_b=True)
    return gb.build(gb.sum(gb.mul(spectral, gb.const(C))))


def _top_vector_loss():
    """(c . v_top)^2: the top eigenvector alone (sign-free)."""
    gb = GraphBuilder("eigh_top")
    a = gb.input((4, 4), "float64", "a")
    _, v = gb.emit("eigh", [a], {})
    top = gb.sum(gb.mul(v, gb.const(np.outer(C[:, 0], np.eye(4)[3]))), axis=(0, 1))  # column 3 times c
    return gb.build(gb.square(top))


def _symmetric_direction():
    e = RNG.standard_normal((4, 4))
    return e + e.T


def _along(g, e):
    """The directional derivative along a symmetric e of a gradient that reads the lower triangle."""
    return float((g * np.tril(e)).sum())


def test_distinct_eigenvalues_unchanged():
    a = _symmetric([1.0, 1.5, 3.0, 5.0])
    g = evaluate(grad(_square_via_eigh()), a)
    e = _symmetric_direction()
    np.testing.assert_allclose(_along(g, e), ((a @ e + e @ a) * C).sum(), rtol=1e-12)


def test_spectral_function_at_tied_eigenvalues_is_nan_not_a_wrong_number():
    for eigenvalues in ([1.0, 1.0, 3.0, 5.0], [2.0, 2.0, 2.0, 5.0], [1.0, 1.0, 1.0, 1.0]):
        a = _symmetric(eigenvalues)
        assert np.isnan(evaluate(grad(_square_via_eigh()), a)).any(), eigenvalues


def test_a_tie_nothing_moves_gives_the_true_zero():
    """At a = 0 (all four tied) the cotangent 2 C V diag(w^2) is exactly 0: the gradient of sum(C o a^2), 0."""
    np.testing.assert_array_equal(evaluate(grad(_square_via_eigh()), np.zeros((4, 4))), np.zeros((4, 4)))


def test_a_vector_apart_from_the_tie_keeps_its_derivative():
    """Eigenvalues 0, 0, 0 (rank 1, computed ~1e-16 apart) and 4: v_top's derivative is finite and right."""
    x = Q[:, 3] * 2.0
    a = np.outer(x, x)
    e = _symmetric_direction()
    got = _along(evaluate(grad(_top_vector_loss()), a), e)

    def loss(m):
        return float((C[:, 0] @ np.linalg.eigh(m)[1][:, 3]) ** 2)
    h = 1e-6
    want = (loss(a + h * e) - loss(a - h * e)) / (2 * h)
    np.testing.assert_allclose(got, want, rtol=1e-7)


def test_forward_mode_at_a_tie():
    """jvp: w's tangent finite (the eigenvalues' derivative exists at ties), v's NaN where the tangent moves the
    tied pair."""
    gb = GraphBuilder("eigh_jvp")
    a = gb.input((4, 4), "float64", "a")
    g = gb.build(list(gb.emit("eigh", [a], {})))
    (w, v), (dw, dv) = evaluate(jvp(g, positions=0), _symmetric([1.0, 1.0, 3.0, 5.0]), np.tril(_symmetric_direction()))
    assert np.isfinite(dw).all() and np.isnan(dv).any()
    assert np.isfinite(w).all() and np.isfinite(v).all()


# -- svd: the same at tied singular values (engine/ops/svd.py, _over_gaps) ------------------------------------
def _svd_loss(weights):
    """sum(C o u diag(s^3) vh) = sum(C o a a^T a) of a [4, 4]: its u and vh both move (as pinv's through svd do,
    4% off at s = 2, 2 before)."""
    gb = GraphBuilder("svd_loss")
    a = gb.input((4, 4), "float64", "a")
    u, s, vh = gb.emit("svd", [a], {})
    return gb.build(gb.sum(gb.mul(gb.matmul(gb.mul(u, gb.expand_dims(gb.mul(s, gb.square(s)), axis=0)), vh),
                                  gb.const(weights))))


def test_svd_at_tied_singular_values_is_nan_not_a_wrong_number():
    right = np.linalg.qr(RNG.standard_normal((4, 4)))[0]
    a = Q @ np.diag([2.0, 2.0, 1.0, 0.5]) @ right.T
    assert np.isnan(evaluate(grad(_svd_loss(C)), a)).any()
    b = Q @ np.diag([2.5, 2.0, 1.0, 0.5]) @ right.T  # distinct: the closed form's derivative
    e = RNG.standard_normal((4, 4))
    want = (C * (e @ b.T @ b + b @ e.T @ b + b @ b.T @ e)).sum()
    np.testing.assert_allclose((evaluate(grad(_svd_loss(C)), b) * e).sum(), want, rtol=1e-11)
