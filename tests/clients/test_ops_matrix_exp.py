"""ops.matrix_exp / ops.MatrixExp (MindSpore 2.10's; its CPU build has no MatrixExp kernel, so the expected
values are its documentation's example, scipy.linalg.expm and torch.linalg.matrix_exp's gradient)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from gradserve import Tensor, ops


def test_documented_example_and_primitive(fake):
    x = Tensor(np.array([[1, 2], [0, 1]], np.float32))
    want = np.array([[2.7182817, 5.436563], [0.0, 2.7182817]], np.float32)  # MindSpore 2.10's docstring
    np.testing.assert_allclose(ops.matrix_exp(x).asnumpy(), want, rtol=1e-6)
    np.testing.assert_allclose(ops.MatrixExp()(x).asnumpy(), want, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64", "complex128"])
def test_dtypes_kept_and_values_match_scipy(fake, dtype):
    rng = np.random.default_rng(3)
    a = rng.uniform(-2, 2, (2, 3, 3)) + (1j * rng.uniform(-2, 2, (2, 3, 3)) if "complex" in dtype else 0)
    a = a.astype(dtype)
    got = ops.matrix_exp(Tensor(a)).asnumpy()
    assert got.dtype == np.dtype(dtype)
    tol = {"float16": 2e-3, "float32": 1e-5, "complex64": 1e-5}.get(dtype, 1e-13)
    want = np.stack([scipy.linalg.expm(m) for m in a.astype(np.complex128 if "complex" in dtype else np.float64)])
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


def test_gradient_matches_torch(fake):
    a = np.random.default_rng(4).uniform(-3, 3, (2, 4, 4))
    w = np.cos(np.arange(a.size)).reshape(a.shape)
    t = torch.tensor(a, requires_grad=True)
    (want,) = torch.autograd.grad((torch.linalg.matrix_exp(t) * torch.tensor(w)).sum(), t)
    got = ops.grad(lambda x: (ops.matrix_exp(x) * Tensor(w)).sum())(Tensor(a)).asnumpy()
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-11, atol=1e-11)


def test_refusals_name_the_input(fake):
    with pytest.raises(ValueError, match=r"matrix_exp.*square matrices.*\[2, 3\]"):
        ops.matrix_exp(Tensor(np.ones((2, 3), np.float32)))
    with pytest.raises(TypeError, match=r"matrix_exp.*int32"):
        ops.matrix_exp(Tensor(np.ones((2, 2), np.int32)))
    with pytest.raises(TypeError, match=r"matrix_exp.*must be a Tensor"):
        ops.matrix_exp(np.ones((2, 2)))
