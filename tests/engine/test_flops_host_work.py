"""The per-job compute budget (max_job_flops) counts work an impl does in interpreted Python, not only its
textbook arithmetic: a small request must not ask for hours of compute.

The numbers below are the ops' own descriptions, written out: svd(signs="eigen") replays Eigen's JacobiSVD in
Python (engine/ops/svd_eigen.py), batched over the stack: each cyclic sweep visits the k (k - 1) / 2 pairs of
columns with dozens of NumPy calls (each about a microsecond, i.e. ~10^4 operations' time at the ~10^10 a second
that max_job_flops' default, 10^13 within a 600 s deadline, stands for) once for the whole stack, and each matrix
adds its share of those calls' work: a [4096, 15, 15] stack took 2.8 s (~0.8 us a matrix for each pair visit
of >= 6 sweeps). A [4 * 10^6, 15, 15] float32 stack (3.6 GB) is then over 10^13 operations' time (hours), while
LAPACK's SVD of it is ~10^10 (seconds)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from engine.errors import LimitExceeded
from engine.executor import estimate_flops
from engine.lower import lower

CALL_OPS = 10 ** 4  # one interpreted NumPy call (~1 us) at ~1e10 operations a second
MATRIX_PAIR_OPS = 8000  # a matrix's share of a pair visit (~0.8 us, measured on a [4096, 15, 15] stack)


def _svd(shape, signs, dtype="float32"):
    gb = GraphBuilder("svd")
    a = gb.input(shape, dtype, name="a")
    return gb.build(tuple(gb.emit("svd", [a], {"signs": signs})))


def test_eigen_signs_replay_counts_its_python_sweeps():
    batch, n = 1000, 15
    floor = 6 * (n * (n - 1) // 2) * (30 * CALL_OPS + batch * MATRIX_PAIR_OPS)  # sweeps x pairs x (calls + share)
    assert estimate_flops(lower(_svd((batch, n, n), "eigen")))[0] >= floor
    assert estimate_flops(lower(_svd((batch, n, n), "lapack")))[0] == batch * 2 * n ** 3  # unchanged


def test_a_large_eigen_signs_batch_is_refused_before_it_runs():
    g = _svd((4 * 10 ** 6, 15, 15), "eigen")
    with pytest.raises(LimitExceeded) as e:
        Engine("numpy", max_job_flops=10 ** 13).estimate(g)
    assert e.value.to_dict()["detail"]["node"].endswith(":svd")
    Engine("numpy", max_job_flops=10 ** 13).estimate(_svd((4 * 10 ** 6, 15, 15), "lapack"))  # LAPACK's: fits


@pytest.mark.parametrize("shape", [(40, 20, 16), (40, 20, 30), (4, 0, 5)])
def test_no_replay_no_extra_cost(shape):
    """16 columns or more (MindSpore's BDCSVD proper) or an empty matrix: signs='eigen' replays nothing."""
    assert estimate_flops(lower(_svd(shape, "eigen")))[0] == estimate_flops(lower(_svd(shape, "lapack")))[0]


def test_a_small_eigen_batch_still_runs():
    a = np.random.default_rng(5).standard_normal((3, 4, 3)).astype(np.float32)
    u, s, vh = Engine("numpy", max_job_flops=10 ** 13).run(_svd(a.shape, "eigen"), [a])
    np.testing.assert_allclose(s, np.linalg.svd(a.astype(np.float64), compute_uv=False), rtol=1e-5)
    np.testing.assert_allclose(u * s[..., None, :] @ vh, a, atol=1e-5)


def _assert_within_estimate(g, args):
    """What a run of g allocates (tracemalloc sees NumPy's buffers and Python's objects) is within estimate_bytes,
    the number max_job_bytes refuses a job by (a first run compiles and warms the plan: the traced one is the job's
    own)."""
    import tracemalloc

    from engine import evaluate
    from engine.executor import estimate_bytes

    evaluate(g, *args)
    tracemalloc.start()
    try:
        evaluate(g, *args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= estimate_bytes(lower(g)), (peak, estimate_bytes(lower(g)))


# -- det_grad: the closed forms (m <= 2 directions) and the general form's C(n, m + 1) index sets ------------------
def _det_grad(n, m, dtype="float64"):
    gb = GraphBuilder("det_grad")
    a = gb.input((n, n), dtype, name="a")
    es = [gb.input((n, n), dtype, name=f"e{i}") for i in range(m)]
    return gb.build(gb.emit("det_grad", [a, *es], {})[0])


@pytest.mark.parametrize("n, m", [(300, 0), (300, 1), (60, 2), (100, 2), (24, 3), (16, 4), (9, 5)])
def test_det_grad_fits_its_memory_estimate(n, m):
    """The SVD's factors, the products over index sets and their temporaries."""
    g = _det_grad(n, m)
    rng = np.random.default_rng(n * 10 + m)
    _assert_within_estimate(g, [rng.standard_normal((n, n)) for _ in range(m + 1)])


@pytest.mark.parametrize("n, m", [(30, 3), (50, 3), (20, 5)])
def test_det_grad_general_form_counts_its_sets(n, m):
    """The op's own description of its general form: per index set K (|K| = m + 1, C(n, m + 1) of them) the
    cofactor matrices of 2^m - 1 sums of the directions' [K, K] blocks, each (m + 1)^2 determinants of m x m
    minors: for m <= 3 Leibniz' m! products of m entries, elementwise over the sets' arrays (memory-bound, ~10 ns
    an element: ~100 operations' time at ~10^10 a second), above batched LAPACK on tiny matrices (~0.5 us a matrix,
    its call and pivoting, ~5 10^3 operations' time)."""
    from math import comb, factorial

    sets, k = comb(n, m + 1), m + 1
    minor = factorial(m) * m * 100 if m <= 3 else 5000
    floor = sets * (2 ** m - 1) * k * k * minor
    assert estimate_flops(lower(_det_grad(n, m)))[0] >= floor


# -- betainc: a continued fraction whose length depends on each element ---------------------------------------
class _CountingNumpy:
    """NumPy, counting the elements its elementwise `where` is handed (every Lentz step calls it): the work the
    fraction does, measured without timing."""

    def __init__(self):
        self.elements = 0

    def where(self, cond, *rest):
        out = np.where(cond, *rest)
        self.elements += out.size
        return out

    def __getattr__(self, name):
        return getattr(np, name)


def test_betainc_one_slow_element_does_not_drag_the_others():
    """The fraction needs O(sqrt(a)) terms at x near a / (a + b) (10^6: ~10^3), a handful for a, b < 10 (Numerical
    Recipes, betacf). One such element in a batch must cost its own terms, not every element's."""
    import scipy.special as sp

    from engine.ops.special_beta import _regularized

    n = 20000
    a, b, x = np.full(n, 2.0), np.full(n, 3.0), np.linspace(0.01, 0.99, n)
    a[7] = b[7] = 1e6
    x[7] = 0.5
    counting = _CountingNumpy()
    got = _regularized(counting, a, b, x)
    np.testing.assert_allclose(got, sp.betainc(a, b, x), rtol=1e-8, atol=0)
    plain = _CountingNumpy()
    _regularized(plain, a[8:], b[8:], x[8:])  # the easy ones alone
    assert counting.elements < 4 * plain.elements, (counting.elements, plain.elements)


def test_betainc_cost_covers_the_fractions_budget():
    """Every element may need the full term budget (a = b = 10^6 at x = 0.5): the estimate counts it, both sides'
    fractions at ~20 operations a term."""
    from engine.ops.special_beta import _MAX_TERMS

    gb = GraphBuilder("betainc")
    a, b, x = (gb.input((1000,), "float64", name=v) for v in "abx")
    g = gb.build(gb.emit("betainc", [a, b, x], {})[0])
    assert estimate_flops(lower(g))[0] >= 1000 * 2 * 20 * _MAX_TERMS


@pytest.mark.parametrize("op", ["betainc", "betainc_dx"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [[(20000,)] * 3, [(1,), (1,), (20000,)]])
def test_betainc_fits_its_memory_estimate(op, dtype, shapes):
    """Its float64 working arrays (both sides' operands, the Lentz state, masks) are all the output's size."""
    gb = GraphBuilder(op)
    g = gb.build(gb.emit(op, [gb.input(s, dtype, name=v) for s, v in zip(shapes, "abx")], {})[0])
    rng = np.random.default_rng(1)
    args = [rng.uniform(0.5, 5, shapes[0]), rng.uniform(0.5, 5, shapes[1]), rng.uniform(0, 1, shapes[2])]
    _assert_within_estimate(g, [v.astype(dtype) for v in args])
