"""MindSpore APIs its own tests use that were missing: signbit, repeat_interleave (op and Tensor method),
Cummax / Cummin primitives, randperm / Randperm, matrix_set_diag / MatrixSetDiagV3.

References: torch (signbit, repeat_interleave, cummax / cummin, autograd), TensorFlow's documented
matrix_set_diag band example (MindSpore's MatrixSetDiagV3 follows TF's layout), a NumPy loop written from
the documented layout, and finite differences for gradients."""
import numpy as np
import pytest
import torch

from gradserve import Tensor, ops


def test_signbit_matches_torch_off_signed_zero(fake):
    x = np.array([-1.5, 0.0, 2.0, -np.inf, np.inf, 1e-30, -1e-30], np.float32)
    np.testing.assert_array_equal(ops.signbit(Tensor(x)).asnumpy(), torch.signbit(torch.tensor(x)).numpy())
    # MindSpore's signbit is less(input, 0) (its source and docstring example): -0.0 is False there
    np.testing.assert_array_equal(ops.signbit(Tensor(np.array([-0.0, 0.3, -2.5], np.float32))).asnumpy(),
                                  [False, False, True])
    i = np.array([-3, 0, 4], np.int32)
    out = Tensor(i).signbit()
    assert out.dtype == "bool"
    np.testing.assert_array_equal(out.asnumpy(), torch.signbit(torch.tensor(i)).numpy())
    with pytest.raises(TypeError, match="'signbit', 'input' must be a Tensor"):
        ops.signbit([1.0])


@pytest.mark.parametrize("repeats, axis", [(2, 1), (3, None), ([1, 0, 2], 1), (np.array([2, 1]), 0)])
def test_repeat_interleave_values_and_gradient_match_torch(fake, repeats, axis):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3))
    rep_t = torch.tensor(repeats) if not isinstance(repeats, int) else repeats
    rep_g = Tensor(np.asarray(repeats, np.int32)) if isinstance(repeats, np.ndarray) else repeats
    ta = torch.tensor(a, requires_grad=True)
    tout = torch.repeat_interleave(ta, rep_t, dim=axis)
    out = ops.repeat_interleave(Tensor(a), rep_g, axis)
    np.testing.assert_array_equal(out.asnumpy(), tout.detach().numpy())
    w = rng.standard_normal(tuple(tout.shape))
    (tout * torch.tensor(w)).sum().backward()
    g = ops.grad(lambda x: (ops.repeat_interleave(x, rep_g, axis) * Tensor(w)).sum())(Tensor(a))
    np.testing.assert_allclose(g.asnumpy(), ta.grad.numpy(), rtol=1e-12)


def test_repeat_interleave_method_and_bad_repeats(fake):
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(Tensor(a).repeat_interleave(2, 0).asnumpy(), np.repeat(a, 2, 0))
    with pytest.raises(ValueError, match="one count or 3 counts"):
        ops.repeat_interleave(Tensor(a), [1, 2], 1)
    with pytest.raises(ValueError, match="every repeat must be >= 0"):
        ops.repeat_interleave(Tensor(a), -1, 1)
    with pytest.raises(ValueError, match="out of range"):
        ops.repeat_interleave(Tensor(a), 2, 2)


def test_cummax_cummin_primitives_match_torch_with_gradient(fake):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 5))
    for prim, fn in ((ops.Cummax(1), torch.cummax), (ops.Cummin(axis=1), torch.cummin)):
        v, i = prim(Tensor(x))
        tv, ti = fn(torch.tensor(x), 1)
        np.testing.assert_array_equal(v.asnumpy(), tv.numpy())
        np.testing.assert_array_equal(i.asnumpy(), ti.numpy())  # no ties in this draw
        ta = torch.tensor(x, requires_grad=True)
        fn(ta, 1)[0].pow(2).sum().backward()
        g = ops.grad(lambda a, p=prim: (p(a)[0] ** 2).sum())(Tensor(x))
        np.testing.assert_allclose(g.asnumpy(), ta.grad.numpy(), rtol=1e-12)
    with pytest.raises(TypeError, match="'Cummin', 'axis' must be an int"):
        ops.Cummin(1.0)


def test_randperm_is_a_permutation_and_seeded(fake):
    p = ops.randperm(7, seed=5)
    assert p.dtype == "int64"
    assert sorted(p.asnumpy().tolist()) == list(range(7))
    np.testing.assert_array_equal(ops.randperm(7, seed=5).asnumpy(), p.asnumpy())  # a seed fixes the order
    assert ops.randperm(4, dtype="int32").dtype == "int32"
    out = ops.Randperm(max_length=6, pad=-1)(Tensor(np.array([4], np.int32))).asnumpy()
    assert sorted(out[:4].tolist()) == [0, 1, 2, 3] and out[4:].tolist() == [-1, -1]
    with pytest.raises(ValueError, match="'n' must be >= 0"):
        ops.randperm(-1)
    with pytest.raises(ValueError, match=r"'n' \(7\) must be <= max_length \(6\)"):
        ops.Randperm(6)(Tensor(np.array([7], np.int32)))


def _set_diag_ref(x, diagonal, lo, hi, align):
    """A per-element loop over TF's documented layout (row hi - d holds diagonal d; short ones padded)."""
    out = x.copy()
    m, n = x.shape[-2:]
    max_len = min(m + min(hi, 0), n + min(-lo, 0))
    band = diagonal if lo != hi else diagonal[..., None, :]
    for d in range(lo, hi + 1):
        length = min(m + min(d, 0), n - max(d, 0))
        right = align.split("_")[0 if d >= 0 else 1] == "RIGHT"
        off = max_len - length if right else 0
        for t in range(length):
            out[..., t + max(0, -d), t + max(0, d)] = band[..., hi - d, t + off]
    return out


def test_matrix_set_diag_matches_tensorflows_documented_band_example(fake):
    x = np.full((2, 3, 4), 7.0, np.float32)
    diagonal = np.array([[[0, 9, 1], [6, 5, 8], [1, 2, 3], [4, 5, 0]],
                         [[0, 1, 2], [5, 6, 4], [6, 1, 2], [3, 4, 0]]], np.float32)
    expected = [[[1, 6, 9, 7], [4, 2, 5, 1], [7, 5, 3, 8]], [[6, 5, 1, 7], [3, 1, 6, 2], [7, 4, 2, 4]]]
    np.testing.assert_array_equal(ops.matrix_set_diag(Tensor(x), Tensor(diagonal), (-1, 2)).asnumpy(), expected)
    k = Tensor(np.array([-1, 2], np.int32))
    np.testing.assert_array_equal(ops.MatrixSetDiagV3()(Tensor(x), Tensor(diagonal), k).asnumpy(), expected)


@pytest.mark.parametrize("shape, k, align", [((4, 4), 0, "RIGHT_LEFT"), ((2, 3, 5), 1, "LEFT_RIGHT"),
                                             ((5, 3), -2, "RIGHT_LEFT"), ((4, 5), (-2, 1), "LEFT_LEFT"),
                                             ((4, 5), (-1, 3), "RIGHT_RIGHT"), ((5, 4), (-3, 0), "LEFT_RIGHT")])
def test_matrix_set_diag_values_and_gradients(fake, shape, k, align):
    rng = np.random.default_rng(3)
    lo, hi = (k, k) if isinstance(k, int) else k
    m, n = shape[-2:]
    max_len = min(m + min(hi, 0), n + min(-lo, 0))
    dshape = shape[:-2] + ((max_len,) if lo == hi else (hi - lo + 1, max_len))
    x, dg, w = rng.standard_normal(shape), rng.standard_normal(dshape), rng.standard_normal(shape)
    out = ops.matrix_set_diag(Tensor(x), Tensor(dg), k, align)
    np.testing.assert_array_equal(out.asnumpy(), _set_diag_ref(x, dg, lo, hi, align))
    gx, gd = ops.grad(lambda a, b: (ops.matrix_set_diag(a, b, k, align) * Tensor(w)).sum(), (0, 1))(
        Tensor(x), Tensor(dg))
    for got, arg in ((gx, 0), (gd, 1)):  # the map is linear: central differences are exact up to rounding
        base = [x, dg]
        fd = np.zeros_like(base[arg])
        for idx in np.ndindex(fd.shape):
            e = np.zeros_like(fd)
            e[idx] = 1e-3
            hi_, lo_ = list(base), list(base)
            hi_[arg], lo_[arg] = base[arg] + e, base[arg] - e
            fd[idx] = ((_set_diag_ref(*hi_, lo, hi, align) - _set_diag_ref(*lo_, lo, hi, align)) * w).sum() / 2e-3
        np.testing.assert_allclose(got.asnumpy(), fd, rtol=1e-9, atol=1e-12)


def test_matrix_set_diag_bad_input(fake):
    x = Tensor(np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match=r"'diagonal' must have shape \[3\]"):
        ops.matrix_set_diag(x, Tensor(np.zeros(4, np.float32)))
    with pytest.raises(ValueError, match="'align' must be one of"):
        ops.matrix_set_diag(x, Tensor(np.zeros(3, np.float32)), 0, "UP")
    with pytest.raises(ValueError, match=r"k\[0\] \(2\) must not be greater than k\[1\] \(1\)"):
        ops.matrix_set_diag(x, Tensor(np.zeros((2, 3), np.float32)), (2, 1))
    with pytest.raises(ValueError, match="'k' must be an int or a pair of ints, got 1.5"):
        ops.matrix_set_diag(x, Tensor(np.zeros(3, np.float32)), 1.5)
    with pytest.raises(ValueError, match=r"k must lie in \(-3, 4\)"):
        ops.matrix_set_diag(x, Tensor(np.zeros(1, np.float32)), 4)
