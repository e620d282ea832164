"""Round 23 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 23 (every program in PyNative AND
GRAPH_MODE: control flow over Tensors under grad / jit, grad of grad with weights, jvp of vjp / vjp of jvp, hessians,
tuple sens, has_aux, return_ids, ties and kinks, linalg and special functions, interpolate / pad / tile / unfold /
fold / negative-step slices / negative gather indices), run as the same text in MindSpore 2.10 CPU (/work/msvenv)
and in the SDK. The harness's own check and a test per difference judged. Each test says where its expected values
come from: MindSpore 2.10's own where it is right (literals), PyTorch float64 (computed here) where it is not."""
import numpy as np
import pytest

from clients._ms_shim import in_mode as _in_mode, mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen23 as gen23  # noqa: E402
from clients import _ms_rounds  # noqa: E402

X23 = np.array([[0.5, -1.0, 1.5], [2.0, 0.0, -0.5]], np.float32)
W23 = np.array([[0.3, -0.7, 1.1], [-1.2, 0.4, 0.9]], np.float32)
X33 = np.array([[0.2, -1.1, 0.7], [1.3, 0.4, -0.6], [-0.9, 0.8, 1.5]], np.float32)
X34 = np.array([[0.5, -1.0, 1.5, 2.0], [0.5, 0.25, -0.5, 1.0], [0.5, 1.5, 0.0, -2.0]], np.float32)


# ----------------------------------------------------------------------------------------- the harness
def test_round23_programs_are_reproducible_compile_and_draw_every_form_in_both_modes():
    progs = _ms_rounds.checked_programs(
        gen23.programs23, 23, forms={"flow23", "higher23", "ties23", "linalg23", "shape23"}, modes={"value"},
        spellings=("for row in x:", "while i < k", "@ms.jit", "def inner(u):", "self.sub(y)", "ops.assign_add(",
                   "ops.grad(first, 0, net.trainable_params())", "ops.jvp(vj,", "ops.vjp(jv,", "ms.jacfwd(ms.jacrev(",
                   "sens_param=True", "has_aux=True", "return_ids=True", "ops.clamp(",
                   "ops.LpNorm(", "ops.L2Normalize(", "ops.ReduceSum(True)(x * x, ())", "ops.slogdet(", "ops.svd(",
                   "ops.qr(", "ops.cholesky(", "ops.bessel_", "ops.interpolate(", "align_corners=True",
                   "mode='circular'", "mode='reflect'", "ops.unfold(", "ops.fold(", "ops.repeat_interleave(",
                   "x[::-1, ::-2]", "Tensor([-1, 0, -2], ms.int32)", "ops.broadcast_to(", "ops.jvp(ops.grad(h, 0)"))
    assert {p["context"] for p in progs} == {"pynative", "graph"}
    assert [p["name"].rsplit("@", 1)[0] for p in progs[::2]] == [p["name"].rsplit("@", 1)[0] for p in progs[1::2]]


def _h(ops, g):
    """The round's loss of g's output (_ms_differential_gen23._LOSS)."""
    def h(x):
        y = g(x)
        return (y * y).sum() * 0.5 + (ops.sin(y) * 0.25).sum()
    return h


def _second(ops, g):
    """ops.grad of the round's h1: sum(grad(h)(x) * cos x)."""
    h = _h(ops, g)

    def h1(x):
        return (ops.grad(h, 0)(x) * ops.cos(x)).sum()
    return ops.grad(h1, 0)


def _torch_h(torch, g):
    def h(x):
        y = g(x)
        return (y * y).sum() * 0.5 + (torch.sin(y) * 0.25).sum()
    return h


def _torch_second(torch, g, x):
    from torch.func import grad
    h = _torch_h(torch, g)
    return grad(lambda a: (grad(h)(a) * torch.cos(a)).sum())(torch.tensor(x, dtype=torch.float64)).numpy()


# ----------------------------------------------------------------------------------------- MindSpore's own, ours kept
@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_grad_of_grad_with_weights_differentiates_the_weights(mindspore_is_gradserve, graph):
    """ops.grad(first, 0, weights) where first(x) = sum(ops.grad(net, 0)(x) cos x), net = sum((x w^T w) sum(x)):
    MindSpore 2.10.0 CPU GRAPH_MODE gives the literals below (PyTorch float64 agrees); its PyNative gives d/dx
    [[-0.68, 0.509, -3.51], ...] and d/dw all 0 (round 23's r23:23:18 higher23.gg_weights.matmul)."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops

    def run():
        class Net(nn.Cell):
            def __init__(self):
                super().__init__()
                self.w = ms.Parameter(Tensor(W23), name='w')

            def construct(self, x):
                return (ops.matmul(ops.matmul(x, self.w.T), self.w) * x.sum()).sum()
        net = Net()

        def first(x):
            return (ops.grad(net, 0)(x) * ops.cos(x)).sum()
        return ops.grad(first, 0, net.trainable_params())(Tensor(X23))
    gx, (gw,) = _in_mode(graph, run)
    np.testing.assert_allclose(gx.asnumpy(), [[-0.414336, -0.818574, -0.974772], [-1.17091, -1.163578, 4.467681]],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gw.asnumpy(), [[13.751188, 8.411563, 11.505674], [-4.232557, -4.995361, -4.553345]],
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_second_order_of_flat_repeat_interleave(mindspore_is_gradserve, graph):
    """grad of sum(grad(h)(x) cos x) through ops.repeat_interleave(x, 2) (no axis: flattened), float64: MindSpore 2.10.0
    CPU GRAPH_MODE gives the literals below (PyTorch agrees); its PyNative [[-0.69, -1.456, -3.028], [-3.448, -0,
    -0.269]] (round 23's r23:23:21 shape23.repeat_interleave_flat.grad2)."""
    from mindspore import Tensor, ops

    def g(x):
        return ops.repeat_interleave(x, 2)
    got = _in_mode(graph, lambda: _second(ops, g)(Tensor(X23.astype(np.float64))))
    np.testing.assert_allclose(got.asnumpy(), [[0.855004, -0.147689, -2.921571], [-4.091082, 2.0, 1.696475]],
                               rtol=1e-6, atol=1e-6)
    assert str(got.dtype).lower().endswith("float64")


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_gather_with_negative_indices_sends_their_gradient_back(mindspore_is_gradserve, graph):
    """ops.gather(x, [[-1, 1], [0, -4]], 1) on a (3, 4) x: the forward wraps (-1 is column 3, -4 column 0; MindSpore
    agrees), so d/dx of column 0 has two terms and column 3 one (PyTorch's index_select of the wrapped indices,
    computed here). MindSpore 2.10.0 CPU's gradient drops the negative indices' terms in both modes: column 0 [0.719,
    ...], column 3 all 0 (round 23's r23:23:24 shape23.gather_neg_ax)."""
    torch = pytest.importorskip("torch")
    import mindspore as ms
    from mindspore import Tensor, ops

    def g(x):
        return ops.gather(x, Tensor([[-1, 1], [0, -4]], ms.int32), 1)
    got = _in_mode(graph, lambda: ops.grad(_h(ops, g), 0)(Tensor(X34)))
    wrapped = torch.tensor([3, 1, 0, 0])
    want = torch.func.grad(_torch_h(torch, lambda a: a.index_select(1, wrapped).reshape(3, 2, 2)))(
        torch.tensor(X34, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert np.abs(want[:, 3]).min() > 1.0  # MindSpore's 0 there is told apart


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_var_of_a_constant_column_has_a_zero_gradient(mindspore_is_gradserve, graph):
    """ops.var(x, -2) where a column is constant (variance 0): d var / dx = 2 (x - mean) / n = 0 there (PyTorch's
    var(unbiased=False), MindSpore's ddof=0, computed here); MindSpore 2.10.0 CPU gives NaN for that column in both
    modes (round 23's r23:23:37 ties23.var_neg)."""
    torch = pytest.importorskip("torch")
    from mindspore import Tensor, ops

    def g(x):
        return ops.var(x, -2)
    got = _in_mode(graph, lambda: ops.grad(_h(ops, g), 0)(Tensor(X34)))
    want = torch.func.grad(_torch_h(torch, lambda a: a.var(-2, unbiased=False)))(
        torch.tensor(X34, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got.asnumpy()[:, 0], [0.0, 0.0, 0.0])


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_second_order_of_pinv(mindspore_is_gradserve, graph):
    """grad of sum(grad(h)(x) cos x) through ops.pinv(x + 3 I): PyTorch float64's (computed here); MindSpore 2.10.0
    CPU PyNative gives [[0.0137, -0.1186, 0.0199], ...] and GRAPH_MODE refuses ("SliceGrad's bprop not defined")
    (round 23's r23:5:23 linalg23.pinv.grad2)."""
    torch = pytest.importorskip("torch")
    from mindspore import Tensor, ops

    def g(x):
        return ops.pinv(x + 3 * ops.eye(3, 3, x.dtype))
    got = _in_mode(graph, lambda: _second(ops, g)(Tensor(X33)))
    want = _torch_second(torch, lambda a: torch.linalg.pinv(a + 3 * torch.eye(3, dtype=a.dtype)), X33)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_jvp_of_qr_has_a_tangent(mindspore_is_gradserve, graph):
    """ops.jvp of ops.qr(x)[1] (R): PyTorch float64's tangent (computed here); MindSpore 2.10.0 CPU gives R right and
    a tangent of all zeros in both modes (round 23's r23:5:22 linalg23.qr_r.jvp)."""
    torch = pytest.importorskip("torch")
    from mindspore import Tensor, ops
    t = X33[::-1].copy()

    def g(x):
        return ops.qr(x)[1]
    r, tangent = _in_mode(graph, lambda: ops.jvp(g, Tensor(X33), Tensor(t)))
    want_r, want_t = torch.func.jvp(lambda a: torch.linalg.qr(a)[1], (torch.tensor(X33, dtype=torch.float64),),
                                    (torch.tensor(t, dtype=torch.float64),))
    np.testing.assert_allclose(r.asnumpy(), want_r.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tangent.asnumpy(), want_t.numpy(), rtol=1e-4, atol=1e-5)
    assert np.abs(want_t.numpy()).max() > 1.0


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_jvp_of_the_gradient_through_circular_pad(mindspore_is_gradserve, graph):
    """ops.jvp(ops.grad(h), x, t) through ops.pad(x, (1, 1, 2, 1), mode='circular'): PyTorch float64's (computed
    here); MindSpore 2.10.0 CPU's tangent is all 0 in both modes (its gradient right; round 23's r23:23:60
    shape23.pad_circular2d.jvp_grad)."""
    torch = pytest.importorskip("torch")
    from mindspore import Tensor, ops
    x = X33.reshape(1, 1, 3, 3).astype(np.float64)
    t = X33[::-1].reshape(1, 1, 3, 3).astype(np.float64)

    def g(a):
        return ops.pad(a, (1, 1, 2, 1), mode='circular')
    value, tangent = _in_mode(graph, lambda: ops.jvp(ops.grad(_h(ops, g), 0), Tensor(x), Tensor(t)))
    tg = torch.nn.functional.pad
    want_v, want_t = torch.func.jvp(torch.func.grad(_torch_h(torch, lambda a: tg(a, (1, 1, 2, 1), mode='circular'))),
                                    (torch.tensor(x),), (torch.tensor(t),))
    np.testing.assert_allclose(value.asnumpy(), want_v.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(tangent.asnumpy(), want_t.numpy(), rtol=1e-10, atol=1e-10)
    assert np.abs(want_t.numpy()).max() > 1.0


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_second_order_through_broadcast_unsqueezes(mindspore_is_gradserve, graph):
    """grad of sum(grad(h)(x) cos x) through unsqueeze(x, -2) * unsqueeze(x, 0) (an outer broadcast), float64:
    MindSpore 2.10.0 CPU GRAPH_MODE gives the literals below (PyTorch agrees); its PyNative [[-1.847, -14.74], ...]
    (round 23's r23:23:75 shape23.unsqueeze_neg.grad2)."""
    from mindspore import Tensor, ops

    def g(x):
        return ops.unsqueeze(x, -2) * ops.unsqueeze(x, 0)
    got = _in_mode(graph, lambda: _second(ops, g)(Tensor(X23.T.astype(np.float64))))
    np.testing.assert_allclose(got.asnumpy(), [[4.393812, -29.246484], [-1.565142, 9.230718], [-10.03337, 10.517424]],
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_bessel_i1_derivative_at_zero_is_a_half(mindspore_is_gradserve, graph):
    """d/dx bessel_i1 = i0(x) - i1(x) / x, whose limit at 0 is 1 - 1/2 = 0.5 (I1(x) = x / 2 + O(x^3); PyTorch's
    special.i1 jvp, computed here, agrees). MindSpore 2.10.0 CPU gives 1.0 at +-0 in both modes, in jvp and grad (the
    limit of i1 / x taken as 0; round 23's r23:23:79 linalg23.bessel_i1.jvp); elsewhere ours and its agree."""
    torch = pytest.importorskip("torch")
    from mindspore import Tensor, ops
    x = np.array([0.0, -0.0, 0.5, -1.5, 2.0], np.float32)

    def g(a):
        return ops.bessel_i1(a)
    value, tangent = _in_mode(graph, lambda: ops.jvp(g, Tensor(x), Tensor(np.ones(5, np.float32))))
    want_v, want_t = torch.func.jvp(torch.special.i1, (torch.tensor(x, dtype=torch.float64),),
                                    (torch.ones(5, dtype=torch.float64),))
    np.testing.assert_allclose(value.asnumpy(), want_v.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tangent.asnumpy(), want_t.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tangent.asnumpy()[:2], [0.5, 0.5])


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_jvp_of_the_gradient_of_det(mindspore_is_gradserve, graph):
    """ops.jvp(ops.grad(h), x, t) through ops.det (float64): PyTorch's (computed here); MindSpore 2.10.0 CPU's gradient
    agrees, its tangent is [[9.208, -12.50, 6.413], ...] in both modes, ours [[4.443, -9.641, 3.199], ...] (round 23's
    r23:123:79 linalg23.det.jvp_grad)."""
    torch = pytest.importorskip("torch")
    from mindspore import Tensor, ops
    x = X33.astype(np.float64)
    t = x[::-1].copy()

    def g(a):
        return ops.det(a)
    value, tangent = _in_mode(graph, lambda: ops.jvp(ops.grad(_h(ops, g), 0), Tensor(x), Tensor(t)))
    want_v, want_t = torch.func.jvp(torch.func.grad(_torch_h(torch, torch.linalg.det)), (torch.tensor(x),),
                                    (torch.tensor(t),))
    np.testing.assert_allclose(value.asnumpy(), want_v.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(tangent.asnumpy(), want_t.numpy(), rtol=1e-9, atol=1e-9)
    assert abs(want_t.numpy()[0, 0] - 9.207733) > 1.0


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_second_order_of_prod_with_two_zeros(mindspore_is_gradserve, graph):
    """grad of sum(grad(h)(x) cos x) through ops.prod(x) + x, x with two zeros: d2 prod / dx_i dx_j is the product of
    the others (here 324) at the two zeros, so their entries are large (PyTorch's, computed here: -2626.73);
    MindSpore 2.10.0 CPU gives 1.0 there in both modes (its prod gradient's second order misses the pair; round 23's
    r23:223:21 ties23.prod_all.grad2)."""
    torch = pytest.importorskip("torch")
    from mindspore import Tensor, ops
    x = np.array([[-1., 1., 3., -2.], [0., 4., 3., 0.], [1., 1., 3., -1.]], np.float32)

    def g(a):
        return ops.prod(a) + a
    got = _in_mode(graph, lambda: _second(ops, g)(Tensor(x)))
    want = _torch_second(torch, lambda a: torch.prod(a) + a, x)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(want[1, [0, 3]], [-2626.734, -2626.734], rtol=1e-5)


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_matrix_solve_gradient_keeps_float64(mindspore_is_gradserve, graph):
    """grad of sum(MatrixSolve()(x + 3 I, x[:, :2])^2) with x float64: PyTorch float64's values (computed here), float64.
    MindSpore 2.10.0 CPU: float64 in PyNative's grad, float32 under GRAPH_MODE and ms.jit (same values to float32;
    round 23's r23:223:99 linalg23.solve.jit_grad); a gradient keeps its input's dtype, as MindSpore's PyNative."""
    torch = pytest.importorskip("torch")
    import mindspore as ms
    from mindspore import Tensor, ops
    x = X33.astype(np.float64)

    def h(a):
        y = ops.MatrixSolve()(a + 3 * ops.eye(3, 3, a.dtype), a[:, :2])
        return (y * y).sum()
    got = _in_mode(graph, lambda: ms.jit(ops.grad(h, 0))(Tensor(x)))
    want = torch.func.grad(lambda a: (torch.linalg.solve(a + 3 * torch.eye(3, dtype=a.dtype), a[:, :2]) ** 2).sum())(
        torch.tensor(x)).numpy()
    assert str(got.dtype).lower().endswith("float64")
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-10, atol=1e-12)
