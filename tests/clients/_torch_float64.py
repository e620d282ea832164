"""One check shared by the mint tests: gradserve's call and torch's on float64 copies of the same arrays give the
same values and the same gradients of sum(out * out)."""
import numpy as np

from gradserve import Tensor, grad


def assert_matches_torch(torch, ours, ref, arrays):
    xs = [Tensor(a) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*xs), ref(*ts)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.asnumpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    got = grad(lambda *a: (ours(*a) * ours(*a)).sum(), grad_position=tuple(range(len(xs))))(*xs)
    got = got if isinstance(got, tuple) else (got,)
    want = torch.autograd.grad((expected * expected).sum(), ts)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w.numpy(), rtol=1e-10, atol=1e-12)
