"""ops.multinomial_with_replacement / ops.MultinomialWithReplacement: the draws' distribution (frequencies
against the normalized weights: with replacement; without, distinct classes, zero-weight ones last, the first
draw by the weights), a seeded call repeating its draw (MindSpore 2.10 does: the documented example gives [[1, 1]]
on every call), and MindSpore 2.10's argument errors (/work/msvenv). MindSpore's own bits are not reproduced."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops


def test_with_replacement_follows_the_weights(fake):
    x = Tensor(np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 5.0, 5.0]], np.float32))
    y = ops.multinomial_with_replacement(x, 7, 0, numsamples=20000, replacement=True).asnumpy()
    assert y.shape == (2, 20000) and y.dtype == np.int64
    np.testing.assert_allclose(np.bincount(y[0], minlength=4) / 20000, [0.1, 0.2, 0.3, 0.4], atol=0.015)
    np.testing.assert_allclose(np.bincount(y[1], minlength=4) / 20000, [0.0, 0.0, 0.5, 0.5], atol=0.015)


def test_without_replacement_draws_distinct_classes_by_weight(fake):
    rows = np.tile(np.array([[1.0, 2.0, 3.0, 4.0, 0.0]], np.float32), (4000, 1))
    y = ops.MultinomialWithReplacement(5)(Tensor(rows), Tensor(3, gs.int64), Tensor(1, gs.int64)).asnumpy()
    assert all(sorted(r) == [0, 1, 2, 3, 4] for r in y.tolist())
    assert (y[:, 4] == 4).all()  # the zero-weight class after every weighted one (MindSpore: [[1, 2, 0]] of
    # [[0, 9, 4, 0]] drawing 3)
    np.testing.assert_allclose(np.bincount(y[:, 0], minlength=5) / 4000, [0.1, 0.2, 0.3, 0.4, 0.0], atol=0.025)


def test_a_seeded_call_repeats_its_draw_as_mindspore(fake):
    x = Tensor(np.array([[0.0, 9.0, 4.0, 0.0]], np.float32))
    a = ops.multinomial_with_replacement(x, 2, 5, 2, True).asnumpy()  # MindSpore's example: [[1, 1]]
    b = ops.multinomial_with_replacement(x, Tensor(2, gs.int64), Tensor(5, gs.int64), 2, True).asnumpy()
    assert a.shape == (1, 2) and set(a.ravel()) <= {1, 2}
    np.testing.assert_array_equal(a, b)
    one_d = ops.multinomial_with_replacement(Tensor(np.array([1.0, 1.0], np.float32)), 1, 1, 3, True)
    assert one_d.shape == (3,)


@pytest.mark.parametrize("x,n,repl,match", [  # MindSpore 2.10's messages
    ([[1.0, -2.0]], 3, True, "each element of 'x' must be equal or greater than 0"),
    ([[0.0, 0.0]], 3, True, "the sum of each row of 'x' must be greater than 0"),
    ([[1.0, 1.0]], 3, False, "numsamples must equal or less than x_shape\\[-1\\], but got 3"),
    ([[[1.0, 1.0]]], 1, True, "'x' must have a rank of 1 or 2, but got rank 3"),
    ([[1.0, 1.0]], 0, True, "'numsamples' should be a nonnegative number, but got 0"),
])
def test_errors_follow_mindspore(fake, x, n, repl, match):
    with pytest.raises(ValueError, match=match):
        ops.multinomial_with_replacement(Tensor(np.array(x, np.float32)), 1, 1, n, repl)
