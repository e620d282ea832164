"""matrix_exp (engine/ops/linalg_expm.py, a scaling-and-squaring Padé composite): values against
scipy.linalg.expm and closed forms (diagonal: exp of the diagonal; nilpotent N: I + N + N^2 / 2), first and
second derivatives against torch.linalg.matrix_exp's backward and its double backward (float64) and central
differences, forward mode, vmap, at small-norm, large-norm (several squarings, a different count per matrix
of a batch), nilpotent and diagonal matrices; float32 / complex128 values; NaN past the squarings a graph holds."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from engine import GraphBuilder, evaluate, grad, jvp, vjp
from engine.ops.linalg_expm import MAX_SQUARINGS, _PADE
from engine.vmap import vmap_graph

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(11)
N = 4
NILPOTENT = np.triu(RNG.uniform(-1, 1, (N, N)), 1) * 300.0  # 1-norm ~ 500: squarings on a matrix exp of which
DIAGONAL = np.diag([-30.0, -1.0, 0.0, 2.5])                  # is the polynomial I + N + N^2/2 + N^3/6
KINDS = {
    "small": RNG.uniform(-1, 1, (N, N)) * 1e-3,
    "moderate": RNG.uniform(-1, 1, (N, N)),
    "large-norm": RNG.uniform(-1, 1, (N, N)) * 8.0 - 10.0 * np.eye(N),  # ~3 squarings; exp stays finite
    "nilpotent": NILPOTENT,
    "diagonal": DIAGONAL,
    "zero": np.zeros((N, N)),  # exp = I; its 1-norm 0 takes no log(0) into the squaring count
}


def _graph(shape, dtype="float64"):
    gb = GraphBuilder("expm")
    return gb.build(gb.emit("matrix_exp", [gb.input(shape, dtype, name="a")], {})[0])


def _loss_graph(shape, weights):
    """sum(W o matrix_exp(a)): a scalar whose gradient is matrix_exp's vjp of W."""
    gb = GraphBuilder("expm_loss")
    e = gb.emit("matrix_exp", [gb.input(shape, "float64", name="a")], {})[0]
    return gb.build(gb.emit("sum", [gb.emit("mul", [e, gb.const(weights)], {})[0]], {"axis": None})[0])


def _close(got, want, rtol):
    got, want = np.asarray(got), np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=0, atol=rtol * max(1.0, float(np.abs(want).max())))


def _squarings(a, degree=13):
    norm = max(np.abs(a).sum(axis=0).max(), np.finfo(np.float64).smallest_normal)
    return max(0, int(np.ceil(np.log2(norm / _PADE[degree][1]))))


def test_kinds_cover_no_squaring_and_several():
    counts = {k: _squarings(a) for k, a in KINDS.items()}
    assert counts["small"] == 0 and counts["moderate"] == 0
    assert counts["large-norm"] >= 3 and counts["nilpotent"] >= 6, counts


@pytest.mark.parametrize("kind", list(KINDS))
def test_value_matches_scipy_and_closed_forms(kind):
    a = KINDS[kind]
    got = evaluate(_graph(a.shape), a)
    _close(got, scipy.linalg.expm(a), 1e-13)
    if kind == "diagonal":
        _close(got, np.diag(np.exp(np.diag(a))), 1e-14)
    if kind == "zero":
        _close(got, np.eye(N), 1e-15)
    if kind == "nilpotent":
        _close(got, np.eye(N) + a + a @ a / 2 + a @ a @ a / 6, 1e-13)


def test_batch_with_a_different_squaring_count_per_matrix_float64_and_float32():
    a = np.stack(list(KINDS.values()))
    want = np.stack([scipy.linalg.expm(m) for m in a])
    got = evaluate(_graph(a.shape), a)
    for g, w in zip(got, want):
        _close(g, w, 1e-13)
    got32 = evaluate(_graph(a.shape, "float32"), a.astype(np.float32))
    assert got32.dtype == np.float32
    want32 = np.stack([scipy.linalg.expm(m) for m in a.astype(np.float32).astype(np.float64)])
    for g, w in zip(got32, want32):
        _close(g, w, 2e-5)


def test_complex128_matches_scipy():
    a = (RNG.uniform(-1, 1, (2, N, N)) + 1j * RNG.uniform(-1, 1, (2, N, N))) * 3.0
    got = evaluate(_graph(a.shape, "complex128"), a)
    for g, m in zip(got, a):
        _close(g, scipy.linalg.expm(m), 1e-13)


def _torch_first_second(a, w, c):
    """torch: grad of sum(W o expm(A)), and the gradient of <that, C> (its double backward)."""
    t = torch.tensor(a, requires_grad=True)
    (g,) = torch.autograd.grad((torch.linalg.matrix_exp(t) * torch.tensor(w)).sum(), t, create_graph=True)
    (g2,) = torch.autograd.grad((g * torch.tensor(c)).sum(), t)
    return g.detach().numpy(), g2.numpy()


@pytest.mark.parametrize("kind", list(KINDS))
def test_first_and_second_derivatives_match_torch_and_finite_differences(kind):
    a = KINDS[kind]
    w, c = RNG.uniform(-1, 1, a.shape), RNG.uniform(-1, 1, a.shape)
    want, want2 = _torch_first_second(a, w, c)
    loss = _loss_graph(a.shape, w)
    first = grad(loss)
    _close(evaluate(first, a), want, 1e-12)
    _, (got2,) = evaluate(vjp(first), a, c)  # the gradient of <grad, C>: the Hessian applied to C
    _close(got2, want2, 1e-10)
    # finite differences: of the loss along C (first order), of <grad, C> along V (second order)
    h = 1e-7 * max(1.0, float(np.abs(a).max()))
    fd1 = (evaluate(loss, a + h * c) - evaluate(loss, a - h * c)) / (2 * h)
    _close(np.sum(want * c), fd1, 1e-6)
    v = RNG.uniform(-1, 1, a.shape)
    fd2 = (np.sum(evaluate(first, a + h * v) * c) - np.sum(evaluate(first, a - h * v) * c)) / (2 * h)
    _close(np.sum(got2 * v), fd2, 1e-6)


def test_forward_mode_matches_torch_jvp():
    a = KINDS["large-norm"]
    t = RNG.uniform(-1, 1, a.shape)
    _, want = torch.func.jvp(torch.linalg.matrix_exp, (torch.tensor(a),), (torch.tensor(t),))
    _, got = evaluate(jvp(_graph(a.shape)), a, t)
    _close(got, want.numpy(), 1e-12)


def test_vmap_of_the_gradient_is_each_matrix_gradient():
    a = np.stack([KINDS["moderate"], KINDS["large-norm"], KINDS["diagonal"]])
    w = RNG.uniform(-1, 1, (N, N))
    batched = evaluate(vmap_graph(grad(_loss_graph((N, N), w)), 3), a)
    for got, m in zip(batched, a):
        _close(got, _torch_first_second(m, w, w)[0], 1e-12)


def test_past_the_squarings_a_graph_holds_is_nan_not_a_truncated_value():
    degree = 13
    limit = _PADE[degree][1] * 2.0 ** MAX_SQUARINGS[degree]
    # nilpotent: exp = I + N exactly; 20 squarings (a rounding of the approximant grows 2^20-fold, as scipy's
    # without its triangular fix-ups)
    inside = np.array([[0.0, limit / 2.0 ** 28], [0.0, 0.0]])
    _close(evaluate(_graph((2, 2)), inside), np.eye(2) + inside, 1e-9)
    got = evaluate(_graph((2, 2)), np.array([[0.0, limit * 8], [0.0, 0.0]]))
    assert np.isnan(got).all()
