"""Reductions at ties, sort/top_k ties, and norm at zero, against MindSpore 2.10.

Expected values are MindSpore 2.10's (CPU, ops.grad, run for this task: PyNative; the same ops in GRAPH_MODE
give the same bprops). X's first row ties at its two ends (3, 1, 3), the second row ties everywhere (2, 2, 2).
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops

X = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]], np.float32)
W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
FIRST = [[1, 0, 0], [1, 0, 0]]          # the first tied index of each row
SPLIT_MAX = [[0.5, 0, 0.5], [1 / 3, 1 / 3, 1 / 3]]
ALL_MAX = [[0.5, 0, 0.5], [0, 0, 0]]   # over all: the two 3s share it


def grad_of(fn):
    return ops.grad(fn)(Tensor(X)).asnumpy()


@pytest.mark.parametrize("fn, expected", [
    (lambda a: ops.max(a, 1)[0].sum(), FIRST),                # ArgMaxWithValue: the first index
    (lambda a: ops.max(a, axis=1, keepdims=True)[0].sum(), FIRST),
    (lambda a: ops.min(a, 1)[0].sum(), [[0, 1, 0], [1, 0, 0]]),
    (lambda a: ops.ArgMaxWithValue(axis=1)(a)[1].sum(), FIRST),
    (lambda a: ops.ArgMinWithValue(axis=1)(a)[1].sum(), [[0, 1, 0], [1, 0, 0]]),
    (lambda a: a.max(1)[0].sum(), FIRST),
    (lambda a: a.max(axis=1).sum(), FIRST),                   # axis= keyword: values only, still first
    (lambda a: a.max(dim=1)[0].sum(), FIRST),
    (lambda a: a.min(1)[0].sum(), [[0, 1, 0], [1, 0, 0]]),
    (lambda a: ops.ReduceMax()(a, 1).sum(), SPLIT_MAX),       # ReduceMax / amax split equally
    (lambda a: ops.ReduceMin()(a, 1).sum(), [[0, 1, 0], [1 / 3, 1 / 3, 1 / 3]]),
    (lambda a: ops.amax(a, 1).sum(), SPLIT_MAX),
    (lambda a: ops.amin(a, 1).sum(), [[0, 1, 0], [1 / 3, 1 / 3, 1 / 3]]),
    (lambda a: ops.ReduceMax()(a), ALL_MAX),
    (lambda a: ops.amax(a), ALL_MAX),
    (lambda a: ops.max(a)[0], ALL_MAX),                       # ops.max over all splits too
    (lambda a: a.max(), ALL_MAX),
    (lambda a: (ops.sort(a, 1)[0] * Tensor(W)).sum(), [[2, 1, 3], [4, 5, 6]]),   # stable
    (lambda a: (ops.topk(a, 2)[0] * Tensor(W[:, :2])).sum(), [[1, 0, 2], [4, 5, 0]]),
    (lambda a: (ops.topk(a, 2, 1, False)[0] * Tensor(W[:, :2])).sum(), [[2, 1, 0], [4, 5, 0]]),
])
def test_tie_gradients_match_mindspore(fake, fn, expected):
    # PyNative, where the values were read: in GRAPH_MODE `a.max(1)` is the NumPy form's values
    # alone, so `a.max(1)[0]` is row 0 (MindSpore 2.10's GRAPH_MODE grad: test_mindspore_seed16)
    before = ms.get_context("mode")
    ms.set_context(mode=ms.PYNATIVE_MODE)
    try:
        np.testing.assert_allclose(grad_of(fn), expected, rtol=1e-6)
    finally:
        ms.set_context(mode=before)


def test_max_min_return_values_and_indices(fake):
    v, i = ops.max(Tensor(X), 1)
    np.testing.assert_array_equal(v.asnumpy(), [3, 2])
    np.testing.assert_array_equal(i.asnumpy(), [0, 0])
    v, i = ops.min(Tensor(X), 1, True)
    assert v.shape == (2, 1) and i.shape == (2, 1)
    np.testing.assert_array_equal(v.asnumpy(), [[1], [2]])
    np.testing.assert_array_equal(i.asnumpy(), [[1], [0]])
    v, i = ops.max(Tensor(X))
    assert v.asnumpy() == 3 and i.asnumpy() == 0
    i, v = ops.ArgMaxWithValue(axis=1)(Tensor(X))   # MindSpore's order: (index, value)
    np.testing.assert_array_equal(i.asnumpy(), [0, 0])
    np.testing.assert_array_equal(v.asnumpy(), [3, 2])
    assert isinstance(Tensor(X).max(), Tensor) and isinstance(Tensor(X).max(axis=1), Tensor)
    assert isinstance(Tensor(X).max(1), tuple) and isinstance(Tensor(X).min(dim=0), tuple)


M = np.array([[0.0, 0.0], [3.0, 4.0]], np.float32)  # a zero row and a (3, 4) row


@pytest.mark.parametrize("fn, expected", [
    # MindSpore 2.10: a numeric ord with an int dim is zero-safe (0 at a zero row)
    (lambda a: ops.norm(a, 2, 1).sum(), [[0, 0], [0.6, 0.8]]),
    (lambda a: ops.norm(a, 2, -1, True).sum(), [[0, 0], [0.6, 0.8]]),
    (lambda a: a.norm(2, 1).sum(), [[0, 0], [0.6, 0.8]]),
    # ord 3: x^2 / ||x||_3^2 off zero (analytic; MindSpore 2.10 gives 0 at the zero row too)
    (lambda a: ops.norm(a, 3, 1).sum(), [[0, 0], np.array([9, 16]) / 91 ** (2 / 3)]),
])
def test_norm_gradient_at_zero_matches_mindspore(fake, fn, expected):
    # (ord None / 'fro', or no dim, give NaN at zero in MindSpore 2.10 and here: sqrt(sum x^2) is kept)
    np.testing.assert_allclose(ops.grad(fn)(Tensor(M)).asnumpy(), expected, rtol=1e-5, atol=1e-7)


def test_layernorm_at_a_constant_row_matches_mindspore(fake):
    """nn.LayerNorm's epsilon 1e-7 bounds the gradient at zero variance: (w - mean w) / sqrt(eps)."""
    from gradserve import nn
    ln = nn.LayerNorm((3,), begin_norm_axis=-1, begin_params_axis=-1)
    c = Tensor(np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]], np.float32))
    g = ops.grad(lambda a: (ln(a) * Tensor(W)).sum())(c).asnumpy()
    # MindSpore 2.10: [[-3162.2781, -4.88e-4, 3162.2773], [0, 0, 0]]; the middle is float32 rounding of 0
    np.testing.assert_allclose(g, [[-3162.2781, 0, 3162.2773], [0, 0, 0]], rtol=1e-5, atol=1e-3)


C = np.array([[3.0, 1.0, 3.0, 2.0, 3.0], [2.0, 2.0, 1.0, 1.0, 5.0]], np.float32)
CW = np.arange(1, 11, dtype=np.float32).reshape(2, 5)


def test_cummax_cummin_match_mindspore(fake):
    """Values and indices are MindSpore 2.10's: among ties the LAST index so far. MindSpore 2.10's CPU build
    cannot differentiate them (no InplaceScatterAdd kernel for its bprop, which scatters the gradient to
    those indices); the gradients below follow that rule and agree with finite differences off the ties."""
    v, i = ops.cummax(Tensor(C), 1)
    np.testing.assert_array_equal(v.asnumpy(), [[3, 3, 3, 3, 3], [2, 2, 2, 2, 5]])
    np.testing.assert_array_equal(i.asnumpy(), [[0, 0, 2, 2, 4], [0, 1, 1, 1, 4]])
    v, i = ops.cummin(Tensor(C), 1)
    np.testing.assert_array_equal(v.asnumpy(), [[3, 1, 1, 1, 1], [2, 2, 1, 1, 1]])
    np.testing.assert_array_equal(i.asnumpy(), [[0, 1, 1, 1, 1], [0, 1, 2, 3, 3]])
    assert ops.cummax(Tensor(C), 1)[1].dtype == "int64" and i.dtype == "int32"  # as MindSpore's
    np.testing.assert_array_equal(ops.cummax(Tensor(C), 0)[1].asnumpy(), [[0, 0, 0, 0, 0], [0, 1, 0, 0, 1]])
    v, i = ops.cummax(Tensor(np.array([1, 3, 3, 0], np.int32)), 0)
    np.testing.assert_array_equal(v.asnumpy(), [1, 3, 3, 3])
    np.testing.assert_array_equal(i.asnumpy(), [0, 1, 2, 2])
    g = ops.grad(lambda a: (ops.cummax(a, 1)[0] * Tensor(CW)).sum())(Tensor(C)).asnumpy()
    np.testing.assert_array_equal(g, [[1 + 2, 0, 3 + 4, 0, 5], [6, 7 + 8 + 9, 0, 0, 10]])
    g = ops.grad(lambda a: (ops.cummin(a, -1)[0] * Tensor(CW)).sum())(Tensor(C)).asnumpy()
    np.testing.assert_array_equal(g, [[1, 2 + 3 + 4 + 5, 0, 0, 0], [6, 7, 8, 9 + 10, 0]])


def test_cummax_gradient_agrees_with_finite_differences_off_ties(fake):
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((3, 6))
    w = rng.standard_normal((3, 6))
    g = ops.grad(lambda a: (ops.cummax(a, 1)[0] * Tensor(w)).sum())(Tensor(x0)).asnumpy()

    def f(x):
        return (np.maximum.accumulate(x, axis=1) * w).sum()
    fd = np.zeros_like(x0)
    for k in np.ndindex(x0.shape):
        e = np.zeros_like(x0)
        e[k] = 1e-6
        fd[k] = (f(x0 + e) - f(x0 - e)) / 2e-6
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


MAT = np.array([[1.0, -3.0], [2.0, 0.5]], np.float32)


@pytest.mark.parametrize("ord_, value, grad", [
    # MindSpore 2.10: a 2-D input without dim takes the matrix norm
    (1, 3.5, [[0, -1], [0, 1]]),                # the largest column sum of |x|
    (-1, 3.0, [[1, 0], [1, 0]]),
    (float("inf"), 4.0, [[1, -1], [0, 0]]),     # the largest row sum
    (float("-inf"), 2.5, [[0, 0], [1, 1]]),
    ("fro", 3.7749171, [[0.26490647, -0.7947194], [0.52981293, 0.13245323]]),
    (None, 3.7749171, [[0.26490647, -0.7947194], [0.52981293, 0.13245323]]),
])
def test_matrix_norms_match_mindspore(fake, ord_, value, grad):
    np.testing.assert_allclose(ops.norm(Tensor(MAT), ord_).asnumpy(), value, rtol=1e-6)
    np.testing.assert_allclose(ops.grad(lambda a: ops.norm(a, ord_))(Tensor(MAT)).asnumpy(), grad, rtol=1e-6)


def test_matrix_norm_forms_and_refusals(fake):
    np.testing.assert_allclose(ops.norm(Tensor(MAT), 1, (1, 0)).asnumpy(), 4.0)   # MindSpore 2.10: 4.0
    assert ops.norm(Tensor(MAT), 1, (0, 1), True).shape == (1, 1)
    np.testing.assert_allclose(ops.norm(Tensor(MAT), 2).asnumpy(), 3.1690936, rtol=1e-6)  # MindSpore 2.10
    with pytest.raises(ValueError, match="not a matrix norm"):
        ops.norm(Tensor(MAT), 3)    # MindSpore 2.10 refuses it too
