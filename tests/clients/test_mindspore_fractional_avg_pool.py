"""ops.FractionalAvgPool against NumPy means over the regions it reports (MindSpore 2.10's documented regions:
rows[i]..rows[i+1], inclusive when overlapping, clipped; its CPU output equals that on the sequences it returns,
checked in /work/msvenv), its gradient against the even spread of each region's upstream value, MindSpore's
errors (its seed rule is checked with FractionalMaxPool's in test_mindspore_fractional_pool.py)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

from .test_mindspore_fractional_pool import regions_ref

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("pseudo_random", [False, True])
@pytest.mark.parametrize("overlapping", [False, True])
def test_region_means_and_gradient(fake, pseudo_random, overlapping):
    x = RNG.standard_normal((2, 10, 13, 3)).astype(np.float32)
    pool = ops.FractionalAvgPool([1.0, 1.5, 1.7, 1.0], pseudo_random, overlapping, True, 3, 4)
    y, rows, cols = pool(Tensor(x))
    rows, cols = rows.asnumpy(), cols.asnumpy()
    assert rows.dtype == np.int64 and len(rows) == int(10 / 1.5) + 1 and len(cols) == int(13 / 1.7) + 1
    assert rows[0] == 0 and rows[-1] == 10 and cols[0] == 0 and cols[-1] == 13 and np.all(np.diff(rows) >= 1)
    want = regions_ref(x.astype(np.float64), rows, cols, overlapping, np.mean)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-5, atol=1e-6)

    dy = RNG.standard_normal(y.shape).astype(np.float32)
    g = gs.grad(lambda v: (pool(v)[0] * Tensor(dy)).sum())(Tensor(x)).asnumpy()
    want = np.zeros_like(x, dtype=np.float64)
    e = 1 if overlapping else 0
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            r0, r1, q0, q1 = rows[i], min(rows[i + 1] + e, 10), cols[j], min(cols[j + 1] + e, 13)
            want[:, r0:r1, q0:q1] += dy[:, i:i + 1, j:j + 1] / ((r1 - r0) * (q1 - q0))
    np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)


def test_mindspore_sequences_give_mindspore_means(fake):
    # MindSpore 2.10 CPU, FractionalAvgPool([1.0, 1.5, 1.7, 1.0], False, False, True, 3, 4) on a (2, 7, 9, 3)
    # input drew rows [0 1 3 5 7] and cols [0 2 4 5 7 9] and its output was exactly the region means: the same
    # windows here (random=False regions are size // out or one more, as those)
    x = Tensor(RNG.standard_normal((2, 7, 9, 3)).astype(np.float32))
    _, rows, cols = ops.FractionalAvgPool([1.0, 1.5, 1.7, 1.0], False, False, True, 3, 4)(x)
    assert sorted(np.diff(rows.asnumpy()).tolist()) == sorted(np.diff([0, 1, 3, 5, 7]).tolist())
    assert sorted(np.diff(cols.asnumpy()).tolist()) == sorted(np.diff([0, 2, 4, 5, 7, 9]).tolist())


def test_errors_follow_mindspore(fake):  # (the seed rule: test_mindspore_fractional_pool.py)
    with pytest.raises(ValueError, match="second element of pooling ratio must be greater than or equal to 1.0, "
                                         "but got 0.500000"):
        ops.FractionalAvgPool([1.0, 0.5, 1.5, 1.0])
    with pytest.raises(ValueError, match="x_rank must be equal to 4, but got 3"):
        ops.FractionalAvgPool([1.0, 1.5, 1.5, 1.0])(Tensor(np.zeros((7, 9, 3), np.float32)))
