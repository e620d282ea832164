"""MindSpore's shape / selection functions (ops.unstack, unbind, diagonal, trace, diag, tril, triu, roll,
chunk, movedim, swapaxes, narrow, masked_fill, gather_elements, GatherD) against NumPy, with gradients
against PyTorch; they select, so an inf elsewhere in the tensor never leaks into the result."""
import numpy as np
import pytest

from gradserve import Tensor, ops

torch = pytest.importorskip("torch")
X = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4) - 7.5


def _torch_grad(fn, x):
    t = torch.tensor(x, requires_grad=True)
    out = fn(t)
    (out * out).sum().backward()
    return t.grad.numpy()


def _grad(fn, x):
    return ops.grad(lambda a: ops.sum(fn(a) * fn(a)))(Tensor(x)).asnumpy()


@pytest.mark.parametrize("offset,d1,d2", [(0, 1, 2), (-1, 1, 2), (2, 1, 2), (1, 2, 0), (0, -1, 0)])
def test_diagonal_values_and_gradient(fake, offset, d1, d2):
    np.testing.assert_array_equal(ops.diagonal(Tensor(X), offset, d1, d2).asnumpy(), np.diagonal(X, offset, d1, d2))
    np.testing.assert_allclose(_grad(lambda a: ops.diagonal(a, offset, d1, d2), X),
                               _torch_grad(lambda t: torch.diagonal(t, offset, d1, d2), X))


def test_trace_diag_tril_triu_keep_infinities_out(fake):
    m = X[0].copy()
    m[0, 3] = np.inf  # off the diagonal / outside the band: must not turn anything into nan
    assert float(ops.trace(Tensor(m[:, :3])).asnumpy()) == np.trace(m[:, :3])
    np.testing.assert_array_equal(ops.diag(Tensor(m[1])).asnumpy(), np.diag(m[1]))
    np.testing.assert_array_equal(ops.tril(Tensor(m), 1).asnumpy(), np.tril(m, 1))
    np.testing.assert_array_equal(ops.triu(Tensor(X), -1).asnumpy(), np.triu(X, -1))
    np.testing.assert_allclose(_grad(lambda a: ops.tril(a, 1), X), _torch_grad(lambda t: torch.tril(t, 1), X))
    np.testing.assert_allclose(_grad(ops.diag, X[0, 0]), _torch_grad(torch.diag, X[0, 0]))


def test_unstack_unbind_chunk_narrow(fake):
    parts = ops.unbind(Tensor(X), 1)
    assert len(parts) == 3 and all(np.array_equal(p.asnumpy(), X[:, i]) for i, p in enumerate(parts))
    assert [p.shape for p in ops.Unstack(axis=-1)(Tensor(X))] == [(2, 3)] * 4
    chunks = ops.chunk(Tensor(X), 3, 2)  # ceil(4 / 3) = 2: two chunks of 2
    assert [c.shape for c in chunks] == [(2, 3, 2), (2, 3, 2)]
    np.testing.assert_array_equal(ops.narrow(Tensor(X), 2, 1, 2).asnumpy(), X[:, :, 1:3])
    g = ops.grad(lambda a: ops.sum(ops.unstack(a, 1)[2] * 3.0))(Tensor(X)).asnumpy()
    want = np.zeros_like(X)
    want[:, 2] = 3.0
    np.testing.assert_array_equal(g, want)


def test_roll_movedim_swapaxes_masked_fill_gather_elements(fake):
    np.testing.assert_array_equal(ops.roll(Tensor(X), (1, -2), (0, 2)).asnumpy(), np.roll(X, (1, -2), (0, 2)))
    np.testing.assert_array_equal(ops.roll(Tensor(X), 5).asnumpy(), np.roll(X, 5))
    np.testing.assert_array_equal(ops.movedim(Tensor(X), 0, -1).asnumpy(), np.moveaxis(X, 0, -1))
    np.testing.assert_array_equal(ops.moveaxis(Tensor(X), (0, 2), (2, 0)).asnumpy(), np.moveaxis(X, (0, 2), (2, 0)))
    np.testing.assert_array_equal(ops.swapaxes(Tensor(X), 0, 2).asnumpy(), np.swapaxes(X, 0, 2))
    np.testing.assert_array_equal(ops.masked_fill(Tensor(X), Tensor(X > 0), 0.5).asnumpy(), np.where(X > 0, 0.5, X))
    idx = np.array([[[0, 1, 2, 0]] * 3] * 2, np.int64)
    np.testing.assert_array_equal(ops.gather_elements(Tensor(X), 1, Tensor(idx)).asnumpy(),
                                  np.take_along_axis(X, idx, 1))
    np.testing.assert_array_equal(ops.GatherD()(Tensor(X), 1, Tensor(idx)).asnumpy(), np.take_along_axis(X, idx, 1))
    np.testing.assert_allclose(_grad(lambda a: ops.gather_elements(a, 1, Tensor(idx)), X),
                               _torch_grad(lambda t: torch.gather(t, 1, torch.tensor(idx)), X))


def test_tensor_methods_are_the_ops(fake):
    t = Tensor(X)
    np.testing.assert_array_equal(t.diagonal(1, 1, 2).asnumpy(), np.diagonal(X, 1, 1, 2))
    np.testing.assert_array_equal(Tensor(X[0]).tril(-1).asnumpy(), np.tril(X[0], -1))
    np.testing.assert_array_equal(t.roll(2, 2).asnumpy(), np.roll(X, 2, 2))
    np.testing.assert_array_equal(t.swapaxes(0, 1).asnumpy(), np.swapaxes(X, 0, 1))
    assert [p.shape for p in t.unbind(2)] == [(2, 3)] * 4
    np.testing.assert_array_equal(t.narrow(1, 1, 1).asnumpy(), X[:, 1:2])
    np.testing.assert_array_equal(Tensor(X[0, 0]).outer(Tensor(X[1, 0])).asnumpy(), np.outer(X[0, 0], X[1, 0]))
    np.testing.assert_array_equal(t.diff(axis=2).asnumpy(), np.diff(X, axis=2))
