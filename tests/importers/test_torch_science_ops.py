"""Round 8 (scientific models): the ATen ops of GNN, GP, radial-basis and complex-valued code that torch.export
emits and the importer refused by name before: segment_reduce, index_reduce, pdist, triangular_solve (the old
spelling), cholesky_inverse, polar / angle, tril / triu_indices, special.spherical_bessel_j0, and Python complex
numbers as operands (`1j * x`: a plane wave exp(i k x)). Values and
gradients (input and weights) against torch's autograd; j0, which torch cannot differentiate, against NumPy's
sin(x)/x and its derivative."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops

from .sweep import check_imported

pytestmark = pytest.mark.usefixtures("fake")


class Net(torch.nn.Module):
    def __init__(self, fn, n=4):
        super().__init__()
        torch.manual_seed(0)
        self.fn, self.w = fn, torch.nn.Parameter(0.3 * torch.randn(n, n) + torch.eye(n))

    def forward(self, x):
        return self.fn(self, x)


def _spd(m, x):
    return x[:4, :4] @ x[:4, :4].T + 4 * torch.eye(4) + m.w @ m.w.T


def _check(fn, shape, seed=1):
    model = Net(fn).eval()
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed))
    net = gs.from_torch(model, (x,))
    assert check_imported(net, model, (x,)) == 1  # the weight's gradient compared too


_SEG = torch.tensor([2, 3, 1])
CASES = {
    "segment_reduce_sum": (lambda m, x: torch.segment_reduce(x @ m.w, "sum", lengths=_SEG), (6, 4)),
    "segment_reduce_mean": (lambda m, x: torch.segment_reduce(x @ m.w, "mean", lengths=_SEG), (6, 4)),
    "segment_reduce_max": (lambda m, x: torch.segment_reduce(x @ m.w, "max", lengths=_SEG), (6, 4)),
    "segment_reduce_offsets": (lambda m, x: torch.segment_reduce(x @ m.w, "min", offsets=torch.tensor([0, 4, 6])),
                               (6, 4)),
    "index_reduce_mean": (lambda m, x: torch.zeros(3, 4).index_reduce(
        0, torch.tensor([0, 2, 0, 1, 2, 2]), x @ m.w, "mean", include_self=False), (6, 4)),
    "index_reduce_amax_self": (lambda m, x: (0.1 * torch.ones(4, 3)).index_reduce(
        1, torch.tensor([2, 0, 2, 1, 0, 2]), (x @ m.w).T, "amax"), (6, 4)),
    "index_reduce_prod": (lambda m, x: torch.ones(3, 4).index_reduce(
        0, torch.tensor([0, 2, 0, 1, 2, 2]), x @ m.w, "prod"), (6, 4)),
    "pdist": (lambda m, x: torch.pdist(x @ m.w), (5, 4)),
    "pdist_p1": (lambda m, x: torch.pdist(x @ m.w, p=1), (5, 4)),
    "triangular_solve": (lambda m, x: torch.triangular_solve(
        x, torch.linalg.cholesky(_spd(m, x)), upper=False)[0], (4, 4)),
    "triangular_solve_upper_transposed": (lambda m, x: torch.triangular_solve(
        x, torch.linalg.cholesky(_spd(m, x), upper=True), upper=True, transpose=True)[0], (4, 4)),
    "cholesky_inverse": (lambda m, x: torch.cholesky_inverse(torch.linalg.cholesky(_spd(m, x))), (4, 4)),
    "cholesky_inverse_upper": (lambda m, x: torch.cholesky_inverse(
        torch.linalg.cholesky(_spd(m, x), upper=True), upper=True), (4, 4)),
    "polar_angle_abs": (lambda m, x: torch.angle(torch.polar(x.abs() + 1, x @ m.w) * (1 + 0.5j))
                        + torch.polar(x.abs() + 1, x @ m.w).abs() + torch.angle(x @ m.w), (4, 4)),
    "real_times_imaginary_unit": (lambda m, x: torch.view_as_real(torch.exp(1j * (x @ m.w)) * (2 - 0.5j)), (4, 4)),
    "tril_triu_indices": (lambda m, x: (x @ m.w)[tuple(torch.tril_indices(4, 4, -1))]
                          * (x @ m.w)[tuple(torch.triu_indices(4, 4, 1))], (4, 4)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_science_op_matches_torch(name):
    fn, shape = CASES[name]
    _check(fn, shape)


SEGMENT_CASES = (("sum", None), ("mean", None), ("max", None), ("min", None), ("sum", 1.5), ("max", 0.25), ("prod", 2.0))


def test_segment_reduce_empty_segments_and_initial():
    """An empty segment is torch's: sum 0, mean nan, max -inf; `initial` joins every segment. The seven reductions
    are the outputs of one model (one export: seven took 21 s), each compared on its own."""
    lengths = torch.tensor([2, 0, 3, 1])
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(2))

    def every(m, v):
        return tuple(torch.segment_reduce(v, r, lengths=lengths, **({} if i is None else {"initial": i}))
                     for r, i in SEGMENT_CASES)

    model = Net(every).eval()
    got = gs.from_torch(model, (x,))(Tensor(x.numpy()))
    want = model(x)
    assert len(got) == len(want) == len(SEGMENT_CASES)
    for (reduce, initial), g, w in zip(SEGMENT_CASES, got, want):
        np.testing.assert_allclose(g.asnumpy(), w.detach().numpy(), rtol=1e-6, atol=1e-6,
                                   err_msg=f"{reduce} initial={initial}")


def test_spherical_bessel_j0_value_and_derivative():
    """sin(x)/x and its derivative (x cos x - sin x) / x^2 (torch has no derivative of it), the series at and
    near 0, where the quotient is 0/0."""
    x = np.array([-7.0, -1.3, -0.499, -1e-3, 0.0, 1e-6, 5e-3, 0.02, 0.3, 0.501, 0.7, 3.1, 12.0], np.float32)
    model = Net(lambda m, v: torch.special.spherical_bessel_j0(v)).eval()
    net = gs.from_torch(model, (torch.from_numpy(x),))
    xd = x.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = np.where(xd == 0, 1.0, np.sin(xd) / xd)
        dwant = np.where(xd == 0, 0.0, (xd * np.cos(xd) - np.sin(xd)) / xd ** 2)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model(torch.from_numpy(x)).numpy(), want, rtol=1e-6, atol=1e-7)  # torch's value
    got = ops.grad(lambda t: net(t).sum())(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, dwant, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scale", [0.3, 6.0])  # no squaring; several (the norm is data: a masked count)
def test_matrix_exp_imports_as_the_engine_op(scale):
    """torch.linalg.matrix_exp / torch.matrix_exp: the engine's matrix_exp (engine/ops/linalg_expm.py); value
    and gradients (input and weight) against torch's autograd."""
    _check(lambda m, v: torch.linalg.matrix_exp(scale * v @ m.w) + torch.matrix_exp(v.T), (4, 4))
