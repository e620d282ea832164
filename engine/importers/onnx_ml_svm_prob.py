"""SVMClassifier's probabilities (prob_a / prob_b), onnxruntime's form of libsvm's: each pairwise decision d through
Platt's sigmoid, r = 1 - logistic(d a + b) clipped to [1e-7, 1 - 1e-7], then the iterative pairwise coupling
(libsvm's multiclass_probability, in float32) from p = 1/k, a sweep of coordinate updates per trip until
max_t |(Q p)_t - p.Q p| < 0.005 / k. The trips are unrolled (each row's p is held once it has met the stop, as its
loop would have broken); a row still moving after SWEEPS trips is a run-time error, not a different answer."""
from __future__ import annotations

import numpy as np

from .composites import checked

SWEEPS = 16  # onnxruntime allows max(100, k); skl2onnx's SVC exports here stopped within 3


def _pair_tables(k: int):
    """[pairs, k*k] constants: r_p into R[i, j] and 1 - r_p into R[j, i] for the pair p = (i, j), i < j."""
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    a, b = np.zeros((len(pairs), k * k), np.float32), np.zeros((len(pairs), k * k), np.float32)
    for p, (i, j) in enumerate(pairs):
        a[p, i * k + j], b[p, j * k + i] = 1, 1
    return a, b


def _coupling_matrix(w, r: str, k: int) -> str:
    """[N, k, k]: Q[i, i] = sum_j R[j, i]^2, Q[i, j] = -R[j, i] R[i, j]."""
    a, b = _pair_tables(k)
    n = w.shape(r)[0]
    one_minus = w.sub(w.scalar_like(1.0, r), r)
    rm = w.reshape(w.add(w.matmul(r, w.const(a)), w.matmul(one_minus, w.const(b))), (n, k, k))
    rt = w.reshape(w.add(w.matmul(r, w.const(b)), w.matmul(one_minus, w.const(a))), (n, k, k))
    off = w.mul(w.unary("neg", w.mul(rm, rt)), w.const(1 - np.eye(k, dtype=np.float32)))
    diag = w.mul(w.reshape(w.reduce("sum", w.mul(rm, rm), [1]), (n, 1, k)), w.const(np.eye(k, dtype=np.float32)))
    return w.add(off, diag)


def _col(w, x: str, t: int) -> str:
    n = w.shape(x)[0]
    return w.index(x, [[0, n, 1], [t, t + 1, 1]])


def _sweep(w, q: str, p: str, k: int, eps: float):
    """One trip of the loop for every row: (p after it, or p where the row had met the stop; the still-moving flag)."""
    n = w.shape(p)[0]
    qp = w.reshape(w.matmul(q, w.reshape(p, (n, k, 1))), (n, k))
    pqp = w.reduce("sum", w.mul(p, qp), [1], True)
    moving = w.binary("greater_equal", w.reduce("max", w.unary("abs", w.sub(qp, pqp)), [1], True),
                      w.scalar_like(eps, p))
    new = p
    for t in range(k):
        qtt = w.reshape(w.index(q, [[0, n, 1], [t, t + 1, 1], [t, t + 1, 1]]), (n, 1))
        qpt = _col(w, qp, t)
        diff = w.div(w.sub(pqp, qpt), qtt)
        scale = w.add(w.scalar_like(1.0, diff), diff)
        new = w.div(w.add(new, w.mul(diff, w.const(np.eye(k, dtype=np.float32)[t]))), scale)
        grow = w.add(w.mul(diff, qtt), w.mul(w.scalar_like(2.0, qpt), qpt))
        pqp = w.div(w.div(w.add(pqp, w.mul(diff, grow)), scale), scale)
        qrow = w.reshape(w.index(q, [[0, n, 1], [t, t + 1, 1], [0, k, 1]]), (n, k))
        qp = w.div(w.add(qp, w.mul(diff, qrow)), scale)
    return w.where(w.broadcast_to(moving, (n, k)), new, p), moving


def svm_probabilities(w, node, d: str, k: int, prob_a, prob_b) -> str:
    """[N, k] class probabilities from the [N, pairs] pairwise decisions d."""
    z = w.add(w.mul(d, w.const(np.asarray(prob_a, np.float32))), w.const(np.asarray(prob_b, np.float32)))
    v = w.div(w.scalar_like(1.0, z), w.add(w.scalar_like(1.0, z), w.unary("exp", w.unary("neg", w.unary("abs", z)))))
    logistic = w.where(w.binary("less", z, w.scalar_like(0.0, z)), w.sub(w.scalar_like(1.0, v), v), v)
    r = w.sub(w.scalar_like(1.0, logistic), logistic)
    r = w.binary("minimum", w.binary("maximum", r, w.scalar_like(1e-7, r)), w.scalar_like(1 - 1e-7, r))
    q = _coupling_matrix(w, r, k)
    p = w.const(np.full((w.shape(d)[0], k), 1.0 / k, np.float32))
    eps = float(np.float32(0.005) / np.float32(k))
    for _ in range(SWEEPS):
        p, _moving = _sweep(w, q, p, k, eps)
    _, moving = _sweep(w, q, p, k, eps)
    return checked(w, moving, p, f"{node.op_type} node {node.name!r}: the pairwise coupling of the probabilities "
                                 f"did not meet its stop within {SWEEPS} trips")
