"""The per-job compute budget (max_job_flops) counts work an impl does in interpreted Python, not only its
textbook arithmetic: a small request must not ask for hours of compute.

The numbers below are the ops' own descriptions, written out: svd(signs="eigen") replays Eigen's JacobiSVD one
matrix at a time in Python (engine/ops/svd_eigen.py): each cyclic sweep visits the k (k - 1) / 2 pairs of columns
with a 2 x 2 SVD and two rotations, dozens of NumPy calls on scalars or rows, each about a microsecond, i.e. ~10^4
operations' time at the ~10^10 a second that max_job_flops' default (10^13 within a 600 s deadline) stands for.
A [100000, 15, 15] float32 stack is 90 MB: at >= 6 sweeps x 105 pairs x >= 30 calls a matrix its replay is over
10^13 operations' time (hours), while LAPACK's SVD of it is ~10^9 (a second)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from engine.errors import LimitExceeded
from engine.executor import estimate_flops
from engine.lower import lower

CALL_OPS = 10 ** 4  # one interpreted NumPy call (~1 us) at ~1e10 operations a second


def _svd(shape, signs, dtype="float32"):
    gb = GraphBuilder("svd")
    a = gb.input(shape, dtype, name="a")
    return gb.build(tuple(gb.emit("svd", [a], {"signs": signs})))


def test_eigen_signs_replay_counts_its_python_sweeps():
    batch, n = 1000, 15
    floor = batch * 6 * (n * (n - 1) // 2) * 30 * CALL_OPS  # sweeps x pairs x calls a pair
    assert estimate_flops(lower(_svd((batch, n, n), "eigen")))[0] >= floor
    assert estimate_flops(lower(_svd((batch, n, n), "lapack")))[0] == batch * 2 * n ** 3  # unchanged


def test_a_large_eigen_signs_batch_is_refused_before_it_runs():
    g = _svd((100000, 15, 15), "eigen")
    with pytest.raises(LimitExceeded) as e:
        Engine("numpy", max_job_flops=10 ** 13).estimate(g)
    assert e.value.to_dict()["detail"]["node"].endswith(":svd")
    Engine("numpy", max_job_flops=10 ** 13).estimate(_svd((100000, 15, 15), "lapack"))  # LAPACK's: fits


@pytest.mark.parametrize("shape", [(40, 20, 16), (40, 20, 30), (4, 0, 5)])
def test_no_replay_no_extra_cost(shape):
    """16 columns or more (MindSpore's BDCSVD proper) or an empty matrix: signs='eigen' replays nothing."""
    assert estimate_flops(lower(_svd(shape, "eigen")))[0] == estimate_flops(lower(_svd(shape, "lapack")))[0]


def test_a_small_eigen_batch_still_runs():
    a = np.random.default_rng(5).standard_normal((3, 4, 3)).astype(np.float32)
    u, s, vh = Engine("numpy", max_job_flops=10 ** 13).run(_svd(a.shape, "eigen"), [a])
    np.testing.assert_allclose(s, np.linalg.svd(a.astype(np.float64), compute_uv=False), rtol=1e-5)
    np.testing.assert_allclose(u * s[..., None, :] @ vh, a, atol=1e-5)
