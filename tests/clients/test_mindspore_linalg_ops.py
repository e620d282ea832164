"""MindSpore's products and small formulas (ops.outer, inner, tensor_dot, mv, bmm, addmm, addmv, baddbmm,
kron, hypot, logit, dist, cosine_similarity, diff) against NumPy and PyTorch, with gradients against
PyTorch; dist / cosine_similarity also against the examples in MindSpore 2.10's documentation."""
import numpy as np
import pytest

from gradserve import Tensor, ops

torch = pytest.importorskip("torch")
R = np.random.default_rng(1)
A, B = R.standard_normal((3, 4)).astype(np.float32), R.standard_normal((4, 5)).astype(np.float32)
C, D = R.standard_normal((2, 3, 4)).astype(np.float32), R.standard_normal((4, 2, 3)).astype(np.float32)


def close(got, want, tol=1e-5):
    np.testing.assert_allclose(got.asnumpy(), want, rtol=tol, atol=tol)


def test_products_match_numpy(fake):
    close(ops.tensor_dot(Tensor(A), Tensor(B), ((1,), (0,))), np.tensordot(A, B, ((1,), (0,))))
    close(ops.tensor_dot(Tensor(C), Tensor(D), ((0, 1), (1, 2))), np.tensordot(C, D, ((0, 1), (1, 2))))
    close(ops.tensor_dot(Tensor(C), Tensor(D), 1), np.tensordot(C, D, 1))
    close(ops.kron(Tensor(A), Tensor(B)), np.kron(A, B))
    close(ops.inner(Tensor(C), Tensor(A)), np.inner(C, A))
    close(ops.outer(Tensor(A[0]), Tensor(B[0])), np.outer(A[0], B[0]))
    close(ops.mv(Tensor(A), Tensor(B[:, 0])), A @ B[:, 0])
    close(ops.addmm(Tensor(A[:, :1]), Tensor(A), Tensor(B), beta=0.5, alpha=2.0), 0.5 * A[:, :1] + 2.0 * A @ B)
    close(ops.addmv(Tensor(A[:, 0]), Tensor(A), Tensor(B[:, 1]), beta=2, alpha=3), 2 * A[:, 0] + 3 * A @ B[:, 1])
    E = R.standard_normal((2, 4, 5)).astype(np.float32)
    close(ops.baddbmm(Tensor(E[:, :3, :]), Tensor(C), Tensor(E), 0.5, 2.0), 0.5 * E[:, :3, :] + 2.0 * C @ E)
    close(ops.bmm(Tensor(C), Tensor(E)), C @ E)


def test_tensor_dot_and_kron_gradients_match_torch(fake):
    ta, tb = torch.tensor(C, requires_grad=True), torch.tensor(D, requires_grad=True)
    (torch.tensordot(ta, tb, ([0, 1], [1, 2])) ** 2).sum().backward()
    ga, gb = ops.grad(lambda x, y: ops.sum(ops.tensor_dot(x, y, ((0, 1), (1, 2))) ** 2), (0, 1))(Tensor(C), Tensor(D))
    close(ga, ta.grad.numpy(), 1e-4)
    close(gb, tb.grad.numpy(), 1e-4)
    ta, tb = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    (torch.kron(ta, tb) ** 2).sum().backward()
    ga, gb = ops.grad(lambda x, y: ops.sum(ops.kron(x, y) ** 2), (0, 1))(Tensor(A), Tensor(B))
    close(ga, ta.grad.numpy(), 1e-4)
    close(gb, tb.grad.numpy(), 1e-4)


def test_formulas_and_their_gradients(fake):
    p = np.array([0.01, 0.3, 0.5, 0.97], np.float32)
    close(ops.logit(Tensor(p)), np.log(p / (1 - p)))
    close(ops.logit(Tensor(p), eps=0.05), np.log(np.clip(p, 0.05, 0.95) / (1 - np.clip(p, 0.05, 0.95))))
    tp = torch.tensor(p, requires_grad=True)
    torch.logit(tp, eps=0.05).sum().backward()  # 0 where clipped
    close(ops.grad(lambda x: ops.sum(ops.logit(x, eps=0.05)))(Tensor(p)), tp.grad.numpy(), 1e-4)
    close(ops.hypot(Tensor(A), Tensor(A * 2)), np.hypot(A, A * 2))
    close(ops.diff(Tensor(C), 2, 1), np.diff(C, 2, 1))
    # MindSpore 2.10's documented examples
    close(ops.dist(Tensor([[[1.0, 1.0], [2.0, 2.0]]]), Tensor([[[3.0, 3.0], [3.0, 3.0]]])), 3.1622777)
    x1 = np.array([[-0.0256, 0.0127, -0.2475, 0.2316, 0.8037], [0.5809, -1.2712, -0.7038, -0.2558, 0.7494]],
                  np.float32)
    x2 = np.array([[-0.6115, -0.1965, -0.8484, 0.2389, 0.2409], [1.8940, -2.1997, 0.1915, 0.0856, 0.7542]],
                  np.float32)
    close(ops.cosine_similarity(Tensor(x1), Tensor(x2)), np.array([0.4843164, 0.81647635]))
    t1, t2 = torch.tensor(x1, requires_grad=True), torch.tensor(x2)
    torch.nn.functional.cosine_similarity(t1, t2).sum().backward()
    close(ops.grad(lambda a: ops.sum(ops.cosine_similarity(a, Tensor(x2))))(Tensor(x1)), t1.grad.numpy(), 1e-4)
    # dist's gradient where the distance is 0: 0 (MindSpore's LpNorm), not NaN
    assert np.all(ops.grad(lambda a: ops.dist(a, Tensor(A)))(Tensor(A)).asnumpy() == 0)
