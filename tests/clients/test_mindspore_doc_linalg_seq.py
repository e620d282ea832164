"""lstsq / Lstsq, lu_unpack / LuUnpack, unique_consecutive / UniqueConsecutive, EmbeddingLookup
(ops/_doc_linalg_seq.py). Expected values: NumPy, torch, or the output MindSpore's docs print ("docs")."""
import numpy as np
import torch

from gradserve import Tensor, ops

RNG = np.random.default_rng(8)


def test_lstsq_matches_numpy_and_its_gradient_torch(fake):
    x, a = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    np.testing.assert_allclose(ops.Lstsq()(Tensor(x), Tensor(a)).asnumpy(), np.linalg.lstsq(x, a, rcond=None)[0],
                               rtol=1e-10, atol=1e-12)  # NumPy
    w = RNG.standard_normal((3, 2))
    got = ops.grad(lambda t: (ops.lstsq(t, Tensor(a)) * Tensor(w)).sum())(Tensor(x)).asnumpy()
    tx = torch.from_numpy(x).requires_grad_()
    (torch.linalg.pinv(tx) @ torch.from_numpy(a) * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(got, tx.grad.numpy(), rtol=1e-8, atol=1e-10)  # torch


def test_lu_unpack_matches_torch(fake):
    a = torch.from_numpy(RNG.standard_normal((2, 4, 4)))
    lu, piv = torch.linalg.lu_factor(a)
    p, l, u = ops.LuUnpack()(Tensor(lu.numpy()), Tensor(piv.numpy().astype(np.int32)))
    want_p, want_l, want_u = torch.lu_unpack(lu, piv)
    np.testing.assert_array_equal(p.asnumpy(), want_p.numpy())  # torch
    np.testing.assert_allclose(l.asnumpy(), want_l.numpy())
    np.testing.assert_allclose(u.asnumpy(), want_u.numpy())
    np.testing.assert_allclose((p.asnumpy() @ l.asnumpy() @ u.asnumpy()), a.numpy(), atol=1e-12)


def test_unique_consecutive_matches_torch():
    x = np.array([1, 1, 2, 2, 3, 1, 1, 2], np.int32)
    out, idx, counts = ops.unique_consecutive(Tensor(x), True, True, None)
    want = torch.unique_consecutive(torch.from_numpy(x), return_inverse=True, return_counts=True)
    for got, ref in zip((out, idx, counts), want):
        np.testing.assert_array_equal(got.asnumpy(), ref.numpy())  # torch
    m = np.array([[1, 1, 2, 2], [3, 3, 4, 5]])
    got = ops.unique_consecutive(Tensor(m), dim=1).asnumpy()
    np.testing.assert_array_equal(got, torch.unique_consecutive(torch.from_numpy(m), dim=1).numpy())
    assert ops.UniqueConsecutive()(Tensor(x))[1] is None


def test_embedding_lookup(fake):
    params = Tensor(np.array([[8, 9], [10, 11], [12, 13], [14, 15]], np.float32))
    got = ops.EmbeddingLookup()(params, Tensor(np.array([[5, 2], [8, 5]], np.int32)), 4).asnumpy()
    np.testing.assert_array_equal(got, [[[10, 11], [0, 0]], [[0, 0], [10, 11]]])  # docs
