"""det / det_grad (engine/ops/linalg_det.py): the value and its derivatives of orders 1-3, reverse and forward,
at random, identity, rank n - 1 and rank n - 2 matrices (n = 3, 5, 10), one at a time and batched.

References, independent of the engine: PyTorch's torch.func on Faddeev-LeVerrier's polynomial for det (matmuls
and traces only, so each of its derivatives is exact everywhere, singular matrices included), torch.linalg.det
where its own derivatives hold (orders 1-2 of a regular matrix: its third is wrong, see
test_torch_det_third_derivative_is_no_reference), and central differences in float64."""
from __future__ import annotations

import numpy as np
import pytest

from engine import GraphBuilder, evaluate, grad, jvp, vjp
from clients._det_reference import poly_det as _poly_det  # (tests/ is on the path)

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(2026)


def _matrix(n: int, kind: str) -> np.ndarray:
    if kind == "identity":
        return np.eye(n)
    a = RNG.uniform(-1, 1, (n, n))
    if kind == "random":
        return a
    rank = n - {"rank-1": 1, "rank-2": 2}[kind]
    return RNG.uniform(-1, 1, (n, rank)) @ RNG.uniform(-1, 1, (rank, n))


KINDS = ["random", "identity", "rank-1", "rank-2"]
SIZES = [3, 5, 10]


def _det_graph(shape, dtype="float64"):
    gb = GraphBuilder("det")
    a = gb.input(shape, dtype, name="a")
    return gb.build(gb.emit("det", [a], {})[0])


def _refs(a: np.ndarray, v: np.ndarray, w: np.ndarray):
    """(det, grad, H[v], D3[v, w]) of the polynomial det at a, by torch.func."""
    ta, tv, tw = (torch.tensor(x) for x in (a, v, w))
    f = lambda x: _poly_det(x).sum()  # noqa: E731 - the batch's dets are independent
    g = torch.func.grad(f)
    hv = lambda x: torch.func.jvp(g, (x,), (tv,))[1]  # noqa: E731
    d3 = torch.func.jvp(hv, (ta,), (tw,))[1]
    return [t.detach().numpy() for t in (_poly_det(ta), g(ta), hv(ta), d3)]


def _close(got, want, scale=None):
    scale = max(1.0, float(np.abs(want).max())) if scale is None else scale
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10 * scale)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_value_and_derivatives_to_order_3_reverse(n, kind):
    a, v, w = _matrix(n, kind), RNG.uniform(-1, 1, (n, n)), RNG.uniform(-1, 1, (n, n))
    det, cof, hv, d3 = _refs(a, v, w)
    g = _det_graph((n, n))
    _close(evaluate(g, a), det)
    _close(evaluate(grad(g), a), cof)
    _, (got_hv,) = evaluate(vjp(grad(g)), a, v)  # <v, cofactor(a)>'s gradient: the Hessian applied to v
    _close(got_hv, hv)
    # the third: d/da <w, H(a)[v]> = D3[v, w]; d/dv of it = H[w] (symmetric forms)
    _, (got_d3, got_hw) = evaluate(vjp(vjp(grad(g))), a, v, np.zeros((n, n)), w)
    _close(got_d3, d3)
    _close(got_hw, _refs(a, w, v)[2])


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_derivatives_to_order_3_forward_over_reverse(n, kind):
    a, v, w = _matrix(n, kind), RNG.uniform(-1, 1, (n, n)), RNG.uniform(-1, 1, (n, n))
    _, _, hv, d3 = _refs(a, v, w)
    inner = jvp(grad(_det_graph((n, n))), positions=0)  # (a, v) -> (cofactor, H[v])
    _, got_hv = evaluate(inner, a, v)
    _close(got_hv, hv)
    (_, _), (_, got_d3) = evaluate(jvp(inner, positions=0), a, v, w)  # along w: (H[w], D3[v, w])
    _close(got_d3, d3)


@pytest.mark.parametrize("kind", KINDS)
def test_matches_torch_linalg_det_orders_1_2_and_finite_differences_order_3(kind):
    """torch.linalg.det's own gradient and Hessian (an implementation apart from the polynomial), where they
    hold; the third derivative against central differences of the second (float64, step 1e-5)."""
    n = 5
    a, v, w = _matrix(n, kind), RNG.uniform(-1, 1, (n, n)), RNG.uniform(-1, 1, (n, n))
    g = _det_graph((n, n))
    ta = torch.tensor(a)
    _close(evaluate(g, a), torch.linalg.det(ta).item())
    _close(evaluate(grad(g), a), torch.func.grad(torch.linalg.det)(ta).numpy())
    second = vjp(grad(g))
    if kind != "identity":  # torch.linalg.det's Hessian is NaN there (its singular values repeat)
        hess = torch.func.hessian(torch.linalg.det)(ta).numpy()
        _close(evaluate(second, a, v)[1][0], np.einsum("abcd,cd->ab", hess, v))
    h = 1e-5
    fd = (evaluate(second, a + h * w, v)[1][0] - evaluate(second, a - h * w, v)[1][0]) / (2 * h)
    _, (got_d3, _) = evaluate(vjp(second), a, v, np.zeros((n, n)), w)
    np.testing.assert_allclose(got_d3, fd, rtol=0, atol=1e-7 * max(1.0, np.abs(fd).max()))


def test_torch_det_third_derivative_is_no_reference():
    """Why the third derivatives are checked against the polynomial: torch 2.x's linalg.det gives a wrong one
    (jacfwd of its Hessian) even at a regular matrix, where the polynomial and finite differences agree."""
    a, v, w = (torch.tensor(RNG.uniform(-1, 1, (4, 4))) for _ in range(3))
    want = _refs(a.numpy(), v.numpy(), w.numpy())[3]
    third = torch.func.jacfwd(torch.func.hessian(torch.linalg.det))(a)
    torch_d3 = torch.einsum("abcdef,cd,ef->ab", third, v, w).numpy()
    got = evaluate(vjp(vjp(grad(_det_graph((4, 4))))), a.numpy(), v.numpy(), np.zeros((4, 4)), w.numpy())[1][0]
    _close(got, want)
    assert np.abs(torch_d3 - want).max() > 1e-3  # if torch is fixed, it may serve as the reference


def test_batched_over_leading_axes():
    """A [2, 4, n, n] stack mixing the kinds: each matrix's derivatives its own (n = 5)."""
    n = 5
    a = np.stack([np.stack([_matrix(n, k) for k in KINDS]) for _ in range(2)])
    v, w = RNG.uniform(-1, 1, a.shape), RNG.uniform(-1, 1, a.shape)
    det, cof, hv, d3 = _refs(a, v, w)
    g = _det_graph(a.shape)
    assert evaluate(g, a).shape == (2, 4)
    _close(evaluate(g, a), det)
    _close(evaluate(grad(g), a), cof)  # grad of sum(det): each matrix's cofactor matrix
    _, (got_d3, got_hw) = evaluate(vjp(vjp(grad(g))), a, v, np.zeros(a.shape), w)
    _close(got_d3, d3)
    assert np.isfinite(got_hw).all()


def test_rank_n_minus_1_gradient_is_the_adjugate_not_zero():
    """MindSpore 2.10 answers zeros here; the cofactor matrix of a rank-(n - 1) matrix is rank one, nonzero."""
    a = _matrix(4, "rank-1")
    got = evaluate(grad(_det_graph((4, 4))), a)
    want = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(4)]
                     for i in range(4)])
    assert np.abs(want).max() > 1e-3
    _close(got, want)


def test_float32_and_complex():
    a32 = RNG.uniform(-1, 1, (3, 4, 4)).astype(np.float32)
    g = _det_graph(a32.shape, "float32")
    got = evaluate(grad(g), a32)
    assert got.dtype == np.float32
    want = torch.func.grad(lambda x: torch.linalg.det(x).sum())(torch.tensor(a32, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    # complex: MindSpore's (and torch's) convention, the vjp is the conjugate of the holomorphic derivative
    c = RNG.uniform(-1, 1, (4, 4)) + 1j * RNG.uniform(-1, 1, (4, 4))
    ct = np.complex128(0.3 - 0.7j)
    gc = _det_graph((4, 4), "complex128")
    np.testing.assert_allclose(evaluate(gc, c), np.linalg.det(c), rtol=1e-12)
    _, (got_c,) = evaluate(vjp(gc), c, ct)
    _, pull = torch.func.vjp(torch.linalg.det, torch.tensor(c))
    np.testing.assert_allclose(got_c, pull(torch.tensor(ct))[0].numpy(), rtol=0, atol=1e-12)
    v = RNG.uniform(-1, 1, (4, 4)) + 1j * RNG.uniform(-1, 1, (4, 4))
    _, (got_c2, _) = evaluate(vjp(vjp(gc)), c, ct, np.complex128(0), v)  # the vjp's own vjp, along v
    _, pull2 = torch.func.vjp(lambda x: torch.func.vjp(torch.linalg.det, x)[1](torch.tensor(ct))[0],
                              torch.tensor(c))
    np.testing.assert_allclose(got_c2, pull2(torch.tensor(v))[0].numpy(), rtol=0, atol=1e-11)


@pytest.mark.parametrize("kind", KINDS)
def test_fourth_derivative_forward(kind):
    """Order 4 (det_grad with three directions: the general form, by polarization over index sets of 4)."""
    n = 5
    a, v, w, x = _matrix(n, kind), *(RNG.uniform(-1, 1, (n, n)) for _ in range(3))
    inner = jvp(grad(_det_graph((n, n))), positions=0)
    got = evaluate(jvp(jvp(inner, positions=0), positions=0), a, v, w, x)[1][1][1]  # D4[v, w, x]
    g = torch.func.grad(_poly_det)
    d2 = lambda y: torch.func.jvp(g, (y,), (torch.tensor(v),))[1]  # noqa: E731
    d3 = lambda y: torch.func.jvp(d2, (y,), (torch.tensor(w),))[1]  # noqa: E731
    _close(got, torch.func.jvp(d3, (torch.tensor(a),), (torch.tensor(x),))[1].numpy())


def test_general_form_agrees_with_the_closed_forms():
    """det_grad's general (polarization) form against its closed forms for one and two directions: the same
    numbers by another route (the closed forms are checked against torch above)."""
    from engine.backends import get_backend
    from engine.ops.linalg_det import _cofactor_1, _cofactor_2, _cofactor_any

    xp = get_backend("numpy").xp
    b1, b2 = RNG.uniform(-1, 1, (2, 6, 6))
    for s in (np.array([3.0, 1.5, 1.5, 0.2, 0.1, 0.05]), np.array([3.0, 1.5, 1.5, 0.2, 0.0, 0.0])):  # ties, zeros
        for general, closed in ((_cofactor_any(xp, s, [b1]), _cofactor_1(xp, s, [b1])),
                                (_cofactor_any(xp, s, [b1, b2]), _cofactor_2(xp, s, [b1, b2]))):
            scaled = [c * np.exp(log_scale) for c, log_scale in (general, closed)]  # (cofactor scaled, its scale)
            np.testing.assert_allclose(scaled[0], scaled[1], rtol=0, atol=1e-13)


def test_gradient_finite_where_det_overflows_but_the_cofactors_do_not():
    """det(c a) = c^n det(a) overflows (inf; torch float64's gradient NaN) and so does det / s_min, the largest
    singular-value product (inf * rotation: NaN everywhere before), while most cofactors c^(n-1) cof(a) do not:
    those entries finite and right, the rest inf with the right sign, none NaN.
    Reference: torch float64's gradient at a (well scaled), times c^(n-1) in the log domain."""
    n = 60
    a = RNG.uniform(-1, 1, (n, n))
    ta = torch.tensor(a, requires_grad=True)
    torch.linalg.det(ta).backward()
    cof = ta.grad.numpy()
    log_c = (np.log(np.finfo(np.float64).max) + np.log(1e5) - np.linalg.slogdet(a)[1]) / n  # |det(c a)|: 1e5
    # times float64's largest
    big = np.exp(log_c) * a
    assert np.isinf(evaluate(_det_graph((n, n)), big))
    tb = torch.tensor(big, requires_grad=True)
    torch.linalg.det(tb).backward()
    assert not np.isfinite(tb.grad.numpy()).any()  # torch: NaN (and inf), no reference here
    with np.errstate(over="ignore"):
        want = np.sign(cof) * np.exp((n - 1) * log_c + np.log(np.abs(cof)))
    got = evaluate(grad(_det_graph((n, n))), big)
    finite = np.isfinite(want)
    assert 0.2 < finite.mean() < 0.9 and not np.isnan(got).any()
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-8, atol=0)
    assert (np.sign(got) == np.sign(want)).all() and np.isinf(got[~finite]).all()


def _mp_cofactor_derivative(a: np.ndarray, directions) -> np.ndarray:
    """d/dt_1 ... d/dt_m of the cofactor matrix of a + sum_i t_i e_i at t = 0, in mpmath: minors' determinants
    of the exact float64 entries, central differences with step 1e-100 at 700 digits (entries up to 1e150 beside
    differences down to 1e-300: the error ~ step^2, the rounding far below)."""
    mpmath = pytest.importorskip("mpmath")
    n = a.shape[0]
    with mpmath.workdps(700):
        def cofactor(r, c, *ts):
            m = mpmath.matrix([[mpmath.mpf(float(a[i, j])) + sum(t * mpmath.mpf(float(e[i, j]))
                                                                  for t, e in zip(ts, directions))
                                for j in range(n) if j != c] for i in range(n) if i != r])
            return (-1) ** (r + c) * mpmath.det(m)
        order = (1,) * len(directions)
        return np.array([[float(mpmath.diff(lambda *ts: cofactor(r, c, *ts), (0,) * len(directions), order,
                                             h=mpmath.mpf("1e-100")))
                          for c in range(n)] for r in range(n)])


@pytest.mark.parametrize("order", [1, 2])
def test_higher_derivatives_finite_where_singular_values_span_far(order):
    """Singular values 1e200, 1e-100, 1e100, 1e-200 (a signed permutation of them, so its SVD is exact): det 1,
    the Hessian's entries up to 1e300, but products over index sets with a repeated index (masked out after)
    reached 1e400: inf * 0, NaN before. Reference: mpmath's central differences of the cofactor matrix."""
    s = np.array([1e200, 1e-100, 1e100, 1e-200])
    a = np.diag(s)[[2, 0, 3, 1]] * np.array([[1], [-1], [1], [1]])
    directions = [RNG.uniform(-1, 1, (4, 4)) for _ in range(order)]
    got = evaluate(_det_grad_graph(4, order), a, *directions)
    want = _mp_cofactor_derivative(a, directions)
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def _det_grad_graph(n: int, directions: int):
    gb = GraphBuilder("det_grad")
    ins = [gb.input((n, n), "float64", name=f"x{i}") for i in range(directions + 1)]
    return gb.build(gb.emit("det_grad", ins, {})[0])


@pytest.mark.parametrize("directions, kind", [(3, "rank-2"), (4, "random"), (4, "rank-1")])
def test_general_form_minors_by_leibniz_and_by_lapack(directions, kind):
    """det_grad with 3 directions (its minors 3 x 3: Leibniz' products) and 4 (4 x 4: LAPACK's batched det), n = 7,
    against torch.func's nested jvps of the polynomial det's gradient."""
    n = 7
    a, *es = _matrix(n, kind), *(RNG.uniform(-1, 1, (n, n)) for _ in range(directions))
    gb = GraphBuilder("det_grad")
    ins = [gb.input((n, n), "float64", name=f"x{i}") for i in range(directions + 1)]
    got = evaluate(gb.build(gb.emit("det_grad", ins, {})[0]), a, *es)
    f = torch.func.grad(_poly_det)
    for e in es:
        f = (lambda inner, t: lambda y: torch.func.jvp(inner, (y,), (t,))[1])(f, torch.tensor(e))
    _close(got, f(torch.tensor(a)).numpy())


def test_fourth_derivative_composes_with_vmap_and_the_plan_cache():
    """The fourth derivative is one det_grad node (three directions) whatever transforms follow: vmapped over a
    batch of matrices (its batch rule, not B copies) it equals torch.func's fourth derivative of the polynomial
    det member by member, and the Engine's plan cache serves the vmapped graph again."""
    from engine import Engine
    from engine.lower import lower
    from engine.vmap import vmap_graph

    n, batch = 5, 3
    inner = jvp(grad(_det_graph((n, n))), positions=0)
    fourth = jvp(jvp(inner, positions=0), positions=0)  # outputs nest: [1][1][1] is D4[v, w, x]
    a = np.stack([_matrix(n, kind) for kind in ("random", "rank-1", "identity")])
    v, w, x = (RNG.uniform(-1, 1, (batch, n, n)) for _ in range(3))
    mapped = vmap_graph(fourth, batch, in_axes=[0, 0, 0, 0])
    assert sum(e.op == "det_grad" and len(e.inputs) == 4 for e in lower(mapped).eqns) == 1
    engine = Engine()
    got = engine.run(mapped, [a, v, w, x])[1][1][1]
    np.testing.assert_array_equal(engine.run(mapped, [a, v, w, x])[1][1][1], got)
    assert (engine.misses, engine.hits) == (1, 1)
    g = torch.func.grad(_poly_det)
    for i in range(batch):
        d2 = lambda y, i=i: torch.func.jvp(g, (y,), (torch.tensor(v[i]),))[1]  # noqa: E731
        d3 = lambda y, i=i: torch.func.jvp(d2, (y,), (torch.tensor(w[i]),))[1]  # noqa: E731
        _close(got[i], torch.func.jvp(d3, (torch.tensor(a[i]),), (torch.tensor(x[i]),))[1].numpy())


def test_gradient_by_lu_where_well_conditioned_by_svd_near_singular():
    """det's gradient takes det(a) a^-T (LU, in 64-bit) for a batch of well-conditioned matrices and the SVD
    form otherwise (a rank n - 1 matrix, or one 1e-9 from it: det(a) a^-T is 0 / 0 or loses ~9 digits there);
    each against the polynomial's cofactors."""
    from engine.ops.linalg_det import _cofactors_by_lu

    n = 6
    regular = np.stack([_matrix(n, "random") + 3 * np.eye(n) for _ in range(3)])
    near = np.stack([_matrix(n, "rank-1"), _matrix(n, "rank-1") + 1e-9 * RNG.uniform(-1, 1, (n, n))])
    for a, by_lu in ((regular, True), (near, False)):
        assert (_cofactors_by_lu(np, a) is not None) == by_lu
        cof = _refs(a, a, a)[1]
        _close(evaluate(grad(_det_graph(a.shape)), a), cof, scale=float(np.abs(cof).max()))
    got32 = evaluate(grad(_det_graph(regular.shape, "float32")), regular.astype(np.float32))
    assert got32.dtype == np.float32
    want = _refs(regular.astype(np.float32).astype(np.float64), regular, regular)[1]
    np.testing.assert_allclose(got32, want, rtol=0, atol=1e-6 * np.abs(want).max())
