"""Round 19 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 19 (aimed at the engine's passes and
fused kernels: sums / means / einsum / matmul chains over repeated and broadcast factors at sizes past contract.py's
thresholds, multi-axis keepdims, transposes / reshapes / broadcast_to between contractions, where / select /
masked_fill with broadcast conditions, gather / index_add / tensor_scatter_add with repeated indices, cumulative ops
on negative axes, softmax / log_softmax / logsumexp on other axes at second and third order, norms of tensors with a
zero row, conv / pool after transposes, vmap on a middle axis with grad inside and outside), run as the same text in
MindSpore 2.10 CPU (/work/msvenv) and in the SDK. The harness's own check and a regression test per wrong answer
found. Each test says where its expected values come from."""
import numpy as np
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen19 as gen19  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round19_programs_are_reproducible_compile_and_draw_every_form():
    progs = _ms_rounds.checked_programs(
        gen19.programs19, 19, forms={"contract19", "select19", "softmax19", "norm19", "conv19", "vmap19"},
        modes={"value", "jvp", "vjp", "jit_grad", "sens", "grad_grad", "grad3", "hessian", "jvp_grad", "jacrev"},
        spellings=("keepdim=True", "keep_dims=True", "ops.einsum(", "ops.broadcast_to(", "ops.masked_fill(",
                   "index_add(", "ops.gather(", "ops.cumprod(", "ops.softmax(a0, 0)", "ops.LpNorm(", "ops.vector_norm(",
                   "ops.matrix_norm(", "ops.transpose(a0, (0, 3, 1, 2))", "in_axes=(1, None)",
                   "ops.tensor_scatter_add(", "a0[:1] * 0"))
    big = [p for p in progs if p["api"].endswith(".big")]  # contract.py's rewrites need sizes past its thresholds
    assert len(big) >= 30 and not {p["mode"] for p in big} & {"hessian", "jacrev", "jacfwd"}


# ----------------------------------------------------------------------------------------- checked where MindSpore is wrong
_FORMS = {  # round 19's contraction forms at sizes past contract.py's thresholds; MindSpore 2.10's second order of them
    # is wrong (zeros or off by up to 2e3: r19:119:75 / 88 / 126 / 163), so the reference is torch's double backward
    "sum_T_prod": lambda m, x, w: m.sum(m.permute(x, (2, 1, 0)) * m.permute(x * w, (2, 1, 0)), (0, 2)),
    "outer_sq": lambda m, x, w: m.sum(m.outer(w[0], w[0]) * m.outer(w[0], x.sum((0, 1))), 1),
    "sum_diff1": lambda m, x, w: m.sum(x * w * x, 1) - m.sum(x * w, 1) * 2,
    "sum_keep": lambda m, x, w: m.sum(x * x * w, (0, 2), keepdim=True) * (x * w).mean(-1, keepdim=True),
}


def _second_order(m, form, x, w, grad_of_grad):
    def loss(a, b):
        return (form(m, a, b) * m.cos(m.arange_like(form(m, a, b)))).sum()
    return grad_of_grad(loss, x, w)


class _Torch:
    import torch as t
    permute, sum, outer, cos = t.permute, t.sum, t.outer, t.cos

    @staticmethod
    def arange_like(v):
        return _Torch.t.arange(v.numel(), dtype=v.dtype).reshape(v.shape)


@pytest.mark.parametrize("name", sorted(_FORMS))
def test_second_order_of_contractions_past_contract_thresholds(mindspore_is_gradserve, name):
    """grad of (sum of grad * v) w.r.t. x and w, x (3, 8, 65) / w (1, 65): the SDK against torch float64."""
    import torch
    from mindspore import Tensor, ops
    rs = np.random.RandomState(19)
    x, w = rs.standard_normal((3, 8, 65)).astype(np.float32), rs.standard_normal((1, 65)).astype(np.float32)
    v = (np.round(rs.standard_normal((3, 8, 65)) * 2) / 2).astype(np.float32), rs.standard_normal((1, 65)).astype(np.float32)

    class Ms:
        permute, sum, outer, cos = staticmethod(ops.transpose), staticmethod(ops.sum), staticmethod(ops.outer), staticmethod(ops.cos)

        @staticmethod
        def arange_like(t):
            return ops.arange(t.size, dtype=t.dtype).reshape(t.shape)

    def ms_gg(loss, a, b):
        g = ops.grad(loss, (0, 1))
        return ops.grad(lambda p, q: (g(p, q)[0] * Tensor(v[0])).sum() + (g(p, q)[1] * Tensor(v[1])).sum(), (0, 1))(a, b)

    def torch_gg(loss, a, b):
        ga, gb = torch.autograd.grad(loss(a, b), (a, b), create_graph=True)
        return torch.autograd.grad((ga * torch.tensor(v[0], dtype=torch.float64)).sum()
                                   + (gb * torch.tensor(v[1], dtype=torch.float64)).sum(), (a, b))
    got = _second_order(Ms, _FORMS[name], Tensor(x), Tensor(w), ms_gg)
    want = _second_order(_Torch, _FORMS[name], *(torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w)),
                         torch_gg)
    for g, t in zip(got, want):
        t = t.numpy()
        np.testing.assert_allclose(g.asnumpy(), t, rtol=1e-4, atol=1e-4 * np.abs(t).max())


# ----------------------------------------------------------------------------------------- wrong answers fixed
_NX = np.array([[1.5, 0.0, -2.0], [0.0, 0.5, 1.0]], np.float32)  # one element 0 in each row, no norm 0
_NW = np.array([[1., 2., 3.], [0.5, -1., 2.]], np.float32)
_NV = np.array([0.7, -1.3], np.float32)
# second and third order of sum(norm(x, 2, -1) * V) (each order weighted by W): MindSpore 2.10.0 CPU's LpNorm(axis=-1,
# p=2) gives these (/work/ms_suite_fuzz19/p_norm2.py), as torch float64's double / triple backward of vector_norm(x, 2, -1)
_G2 = [[0.5824, 0.56, 0.4368], [-0.5814, 1.8604, -0.9302]]
_G3 = [[0.1156, 0.8064, 1.5931], [1.3953, -2.8604, 5.4417]]


@pytest.mark.parametrize("spelling", ["lpnorm", "norm", "vector_norm"])
def test_second_order_of_a_two_norm_where_an_element_is_zero(mindspore_is_gradserve, spelling):
    """A 2-norm along an axis summed |x| ** 2 (|x| squared): under AD its second derivative at an element 0 is
    2 sign(0) ** 2 = 0, so the second-order gradient there was 0 for 0.56 / -0.5814 and the third NaN (silently;
    ops.LpNorm(p=2), ops.norm(x, 2.0, dim), ops.vector_norm(x, 2, dim); round 19's r19:19:439)."""
    from mindspore import Tensor, ops
    norm = {"lpnorm": ops.LpNorm(axis=-1, p=2), "norm": lambda a: ops.norm(a, 2.0, -1),
            "vector_norm": lambda a: ops.vector_norm(a, 2, -1)}[spelling]
    w = Tensor(_NW)
    g1 = ops.grad(lambda a: (norm(a) * Tensor(_NV)).sum())
    g2 = ops.grad(lambda a: (g1(a) * w).sum())
    g3 = ops.grad(lambda a: (g2(a) * w).sum())
    np.testing.assert_allclose(g2(Tensor(_NX)).asnumpy(), _G2, atol=2e-4)
    np.testing.assert_allclose(g3(Tensor(_NX)).asnumpy(), _G3, atol=2e-4)


def test_second_order_of_cdist_where_a_coordinate_difference_is_zero(mindspore_is_gradserve):
    """cdist(p=2) summed |x1 - x2| squared: the same 0 at a coordinate where the points agree. Expected: torch
    float64's double backward of sqrt(sum((a_i - b_j) ** 2)) (torch.cdist and MindSpore 2.10's CdistGrad have
    no second order)."""
    import torch
    from mindspore import Tensor, ops
    a = np.array([[1., 2., 0.5], [0., -1., 2.]], np.float32)
    b = np.array([[1., 0., 1.5], [2., -1., 0.]], np.float32)  # a[0] - b[0] and a[1] - b[1] have a 0 coordinate
    v = np.array([[0.3, -0.7, 1.1], [0.9, 0.2, -0.4]], np.float32)
    g = ops.grad(lambda p: (ops.cdist(p, Tensor(b)) * Tensor(np.array([[1., 2.], [-1., 0.5]], np.float32))).sum())
    got = ops.grad(lambda p: (g(p) * Tensor(v)).sum())(Tensor(a)).asnumpy()
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    dist = ((ta[:, None, :] - torch.tensor(b, dtype=torch.float64)[None]) ** 2).sum(-1).sqrt()
    tg, = torch.autograd.grad((dist
                               * torch.tensor([[1., 2.], [-1., 0.5]], dtype=torch.float64)).sum(), ta, create_graph=True)
    want, = torch.autograd.grad((tg * torch.tensor(v, dtype=torch.float64)).sum(), ta)
    np.testing.assert_allclose(got, want.numpy(), atol=1e-5)
