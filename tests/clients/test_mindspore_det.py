"""ops.det and its routes (Tensor.det, ops.MatrixDeterminant, scipy.linalg.det) on the engine's det op: values and
derivatives of orders 1-3 at regular, identity, rank n - 1 and rank n - 2 matrices against torch.func on
Faddeev-LeVerrier's polynomial (each of its derivatives exact everywhere); slogdet of a negative-determinant
matrix against NumPy / torch; MindSpore's errors (TypeError for an integer dtype, ValueError for a non-square
input, mindspore.ops.det's documented Raises)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops
from gradserve import scipy as gscipy
from ._det_reference import poly_det as _poly_det

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(31)


def _matrix(n, kind):
    if kind == "identity":
        return np.eye(n)
    if kind == "random":
        return RNG.uniform(-1, 1, (n, n))
    rank = n - int(kind[-1])
    return RNG.uniform(-1, 1, (n, rank)) @ RNG.uniform(-1, 1, (rank, n))


def _torch_derivatives(a, v, w):
    """(grad, H[v], D3[v, w]) of the polynomial det at a."""
    g = torch.func.grad(lambda x: _poly_det(x).sum())
    hv = lambda x: torch.func.jvp(g, (x,), (torch.tensor(v),))[1]  # noqa: E731
    ta = torch.tensor(a)
    return g(ta).numpy(), hv(ta).numpy(), torch.func.jvp(hv, (ta,), (torch.tensor(w),))[1].numpy()


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10 * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("n,kind", [(3, "rank-1"), (5, "random"), (5, "identity"), (5, "rank-2"), (10, "rank-1"),
                                    (10, "rank-2")])
def test_det_derivatives_to_order_3(fake, n, kind):
    a, v, w = _matrix(n, kind), RNG.uniform(-1, 1, (n, n)), RNG.uniform(-1, 1, (n, n))
    cof, hv, d3 = _torch_derivatives(a, v, w)
    V, W = Tensor(v), Tensor(w)
    first = gs.grad(ops.det)
    second = gs.grad(lambda x: (first(x) * V).sum())
    third = gs.grad(lambda x: (second(x) * W).sum())
    _close(ops.det(Tensor(a)).asnumpy(), np.linalg.det(a))
    _close(first(Tensor(a)).asnumpy(), cof)
    _close(second(Tensor(a)).asnumpy(), hv)
    _close(third(Tensor(a)).asnumpy(), d3)


def test_every_route_is_the_det_op_exact_at_rank_n_minus_2(fake):
    """The second derivative at a rank-8 10x10 matrix through each spelling of det (the SDK's former composite
    had no exact branch for rank n - 2 above n = 8)."""
    a, v = _matrix(10, "rank-2"), RNG.uniform(-1, 1, (10, 10))
    want = _torch_derivatives(a, v, v)[1]
    routes = {"ops.det": ops.det, "Tensor.det": lambda x: x.det(), "MatrixDeterminant": ops.MatrixDeterminant(),
              "scipy.linalg.det": gscipy.linalg.det}
    for name, det in routes.items():
        got = gs.grad(lambda x: (gs.grad(det)(x) * Tensor(v)).sum())(Tensor(a)).asnumpy()
        assert np.isfinite(got).all(), name
        _close(got, want)


def test_batched_det_and_gradient(fake):
    a = np.stack([_matrix(5, k) for k in ("random", "identity", "rank-1", "rank-2")])
    value, g = gs.value_and_grad(lambda x: ops.det(x).sum())(Tensor(a))
    _close(value.asnumpy(), np.linalg.det(a).sum())
    _close(g.asnumpy(), torch.func.grad(lambda x: _poly_det(x).sum())(torch.tensor(a)).numpy())


def test_slogdet_of_a_negative_determinant(fake):
    a = _matrix(4, "random")
    a[0] *= -np.sign(np.linalg.det(a))  # det < 0
    sign, lad = ops.slogdet(Tensor(a))
    want_sign, want_lad = np.linalg.slogdet(a)
    assert want_sign == -1 and sign.asnumpy() == -1
    _close(lad.asnumpy(), want_lad)
    g = gs.grad(lambda x: ops.slogdet(x)[1])(Tensor(a)).asnumpy()
    _close(g, torch.func.grad(lambda x: torch.linalg.slogdet(x)[1])(torch.tensor(a)).numpy())
    _close(ops.det(Tensor(a)).asnumpy(), want_sign * np.exp(want_lad))
    assert np.isnan(ops.logdet(Tensor(a)).asnumpy())


def test_mindspore_errors(fake):
    with pytest.raises(TypeError, match="int32"):
        ops.det(Tensor(np.ones((3, 3), np.int32)))
    with pytest.raises(ValueError, match=r"float64\[2,3\]"):
        ops.det(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"float64\[3\]"):
        ops.det(Tensor(np.ones(3)))
