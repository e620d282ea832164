"""Round 22 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 22 (every program in PyNative AND
GRAPH_MODE: Conv1d / 2d / 3d with groups / dilation / pad modes and their transposes, BatchNorm1d / 2d / 3d and their
statistics, LayerNorm / GroupNorm axes, RNN / LSTM / GRU / cells / MultiheadAttention, loss Cells with reductions and
weights, item writes / scatters / gathers under grad and jvp, float16 / float64 gradients and sens dtypes, jacfwd /
jacrev / vmap of grad), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the SDK. The harness's own
check and a regression test per wrong answer found. Each test says where its expected values come from."""
import numpy as np
import pytest

from clients._ms_shim import in_mode as _in_mode, mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen22 as gen22  # noqa: E402
import ms_differential as msd  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round22_programs_are_reproducible_compile_and_draw_every_form_in_both_modes():
    progs = _ms_rounds.checked_programs(
        gen22.programs22, 22, forms={"conv22", "norm22", "rnn22", "loss22", "index22", "dtype22", "jac22"},
        modes={"value"},
        spellings=("nn.Conv3d(", "nn.Conv2dTranspose(", "group=2", "dilation=2", "nn.BatchNorm3d(", "nn.GroupNorm(",
                   "begin_norm_axis=-2", "nn.RNN(", "nonlinearity='relu'", "nn.LSTMCell(", "nn.MultiheadAttention(",
                   "padding_idx=0", "nn.CTCLoss(", "label_smoothing=", "pos_weight=", "ignore_index=", "nn.KLDivLoss(",
                   "reduction='none'", "Tensor([True, False, True])", "y[...] ", "y[None, 0]", "ops.tensor_scatter_",
                   "ops.gather", "ops.masked_", "ms.jacfwd(", "ms.jacrev(", "has_aux=True", "out_axes=",
                   "ops.vmap(", "'float16'", "sens_param=True", "untrainable_params()", "ops.jvp("))
    assert {p["context"] for p in progs} == {"pynative", "graph"}
    assert [p["name"].rsplit("@", 1)[0] for p in progs[::2]] == [p["name"].rsplit("@", 1)[0] for p in progs[1::2]]


def test_refusals_on_both_sides_are_compared_by_class():
    """Round 22: a program both sides refuse counts as ms_error only where the exception classes agree."""
    ms_side = {"outcome": "error", "error": "TypeError: For 'Conv2D', ..."}
    assert msd._classify(ms_side, {"outcome": "error", "error": "TypeError: conv2d: ..."})[0] == "ms_error"
    assert msd._classify(ms_side, {"outcome": "error", "error": "ValueError: conv2d: ..."})[0] == "refusal_class"
    assert msd._classify(ms_side, {"outcome": "ok", "values": [], "grads": None})[0] == "ms_refuses"


# ----------------------------------------------------------------------------------------- wrong answers fixed
@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_index_add_writes_its_parameter(mindspore_is_gradserve, graph):
    """ops.index_add(p, [0, 2], x, 0) inside a Cell under grad(weights=): MindSpore 2.10.0 CPU (both modes,
    /work/scratch_wrongfuzz22/p/p5.py) gives the gradients below AND leaves p = p + its added rows, [[1.5, 1], [3, 4],
    [7, 6.25]]; ours left p as it was (silently; ops.IndexAdd already wrote it). Eager too (p3.py)."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops

    def run():
        class Net(nn.Cell):
            def __init__(self):
                super().__init__()
                self.p = ms.Parameter(Tensor(np.array([[1., 2.], [3., 4.], [5., 6.]], np.float32)), name="p")

            def construct(self, x):
                y = ops.index_add(self.p, Tensor([0, 2], ms.int32), x, 0)
                return (y * y).sum()
        net = Net()
        x = Tensor(np.array([[0.5, -1.], [2., 0.25]], np.float32))
        gx, (gp,) = ops.grad(net, 0, net.trainable_params())(x)
        return gx.asnumpy(), gp.asnumpy(), net.p.asnumpy()
    gx, gp, p = _in_mode(graph, run)
    np.testing.assert_allclose(gx, [[3., 2.], [14., 12.5]])
    np.testing.assert_allclose(gp, [[3., 2.], [6., 8.], [14., 12.5]])
    np.testing.assert_allclose(p, [[1.5, 1.], [3., 4.], [7., 6.25]])


def test_index_add_eager_writes_a_parameter_once_and_leaves_a_tensor(mindspore_is_gradserve):
    """Eager ops.index_add / Tensor.index_add on a Parameter: MindSpore 2.10 writes it (p3.py, p5.py: [[2, 2], [0, 0],
    [1, 1]] after [0, 2, 0] of ones; the Tensor method [[0.5, -1], [0, 0], [2, 0.25]]); a plain Tensor: MindSpore
    writes it as well, ours keeps it (gradserve's Tensors are values: see the README's round 22)."""
    import mindspore as ms
    from mindspore import Tensor, ops
    ones = Tensor(np.ones((3, 2), np.float32))
    p = ms.Parameter(Tensor(np.zeros((3, 2), np.float32)), name="p")
    out = ops.index_add(p, Tensor([0, 2, 0], ms.int32), ones, 0)
    np.testing.assert_allclose(p.asnumpy(), [[2., 2.], [0., 0.], [1., 1.]])
    np.testing.assert_allclose(out.asnumpy(), [[2., 2.], [0., 0.], [1., 1.]])
    q = ms.Parameter(Tensor(np.zeros((3, 2), np.float32)), name="q")
    x = Tensor(np.array([[0.5, -1.], [2., 0.25]], np.float32))
    out = q.index_add(0, Tensor([0, 2], ms.int32), x)
    np.testing.assert_allclose(q.asnumpy(), [[0.5, -1.], [0., 0.], [2., 0.25]])
    np.testing.assert_allclose(out.asnumpy(), [[0.5, -1.], [0., 0.], [2., 0.25]])
    t = Tensor(np.zeros((3, 2), np.float32))
    ops.index_add(t, Tensor([0, 2, 0], ms.int32), ones, 0)
    np.testing.assert_allclose(t.asnumpy(), np.zeros((3, 2)))


# ----------------------------------------------------------------------------------------- MindSpore's own, ours kept
@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_layernorm_jvp_uses_its_epsilon(mindspore_is_gradserve, graph):
    """jvp of nn.LayerNorm((4,), epsilon=1e-3): PyTorch's torch.func.jvp of layer_norm(eps=1e-3) (computed here), and
    ours; MindSpore 2.10.0 CPU gives the epsilon=1e-5 tangent in both modes (its grad uses 1e-3: p4.py)."""
    torch = pytest.importorskip("torch")
    from mindspore import Tensor, nn, ops
    x = np.array([[1., -2., 0.5, 3.], [0.2, 0.1, -1., 2.]], np.float32)
    t = np.array([[0.5, 1., -1., 0.25], [1., 0., 0.5, -0.5]], np.float32)
    want = torch.func.jvp(lambda a: torch.nn.functional.layer_norm(a, (4,), eps=1e-3),
                          (torch.tensor(x),), (torch.tensor(t),))[1].numpy()
    net = nn.LayerNorm((4,), begin_norm_axis=-1, begin_params_axis=-1, epsilon=1e-3)
    _, tangent = _in_mode(graph, lambda: ops.jvp(net, Tensor(x), Tensor(t)))
    np.testing.assert_allclose(tangent.asnumpy(), want, rtol=1e-5, atol=1e-6)
    # MindSpore 2.10's tangent (epsilon 1e-5's) differs from it past the tolerance: the test can tell them apart
    assert np.abs(want.ravel() - [0.20399, 0.256543, -0.676277, 0.215745, 0.656487, -0.305892, -0.200161, -0.150434]).max() > 1e-4


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_augmented_write_into_a_copy_differentiates_the_copy(mindspore_is_gradserve, graph):
    """y = x * 1; y[::2] += 3 v; sum((y x)^2): the gradient of the math (NumPy, below; MindSpore 2.10.0 CPU PyNative
    agrees); MindSpore's GRAPH_MODE gives d/dx row 0 [-32, -13.5, -4, -0.5] (p1.py), as if the write went into x."""
    from mindspore import Tensor, ops
    x = np.arange(12, dtype=np.float64).reshape(3, 4) * 0.5 - 2
    v = np.arange(8, dtype=np.float64).reshape(2, 4) * -0.25 + 1

    def h(a, b):
        y = a * 1
        y[::2] += b * 3
        return ((y * a) * (y * a)).sum()
    gx, gv = _in_mode(graph, lambda: ops.GradOperation(get_all=True)(h)(Tensor(x), Tensor(v)))
    y = x.copy()
    y[::2] += 3 * v
    out = y * x
    want_x = 2 * out * (y + x)  # d/dx of (y x)^2 where dy/dx = 1
    want_v = 3 * (2 * out * x)[::2]
    np.testing.assert_allclose(gx.asnumpy(), want_x)
    np.testing.assert_allclose(gv.asnumpy(), want_v)
    assert gx.dtype == gv.dtype and str(gx.dtype).lower().endswith("float64")


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_hinge_embedding_loss_splits_the_tie_at_the_margin(mindspore_is_gradserve, graph):
    """nn.HingeEmbeddingLoss(margin=1.0, reduction='sum') at x = [1, 0.5, -1, 2, 1], targets [-1, -1, -1, 1, 1]:
    MindSpore 2.10.0 CPU (both modes, p7.py) gives d/dx [-0.5, -1, -1, 1, 1]: its clip_by_value(margin - x, 0) is a
    maximum, whose tie at x == margin takes half; ours was relu's 0 there (round 22's r22:22:103 loss22.hinge)."""
    from mindspore import Tensor, nn, ops
    x = Tensor(np.array([1.0, 0.5, -1.0, 2.0, 1.0], np.float32))
    t = Tensor(np.array([-1., -1., -1., 1., 1.], np.float32))
    crit = nn.HingeEmbeddingLoss(margin=1.0, reduction='sum')

    def loss(a):
        return crit(a, t)
    value, grad = _in_mode(graph, lambda: ops.value_and_grad(loss)(x))
    np.testing.assert_allclose(value.asnumpy(), 0.0 + 0.5 + 2.0 + 2.0 + 1.0)  # negatives 0, 0.5, 2; positives 2, 1
    np.testing.assert_allclose(grad.asnumpy(), [-0.5, -1., -1., 1., 1.])


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_margin_ranking_loss_cell_passes_the_gradient_at_its_tie(mindspore_is_gradserve, graph):
    """nn.MarginRankingLoss(margin=0.5, reduction='sum') at x = [-0.5, -1.5, 0, -0], x2 = [0, 0, 1, 0.5], target
    [-1, 1, -1, -1]: -t (x - x2) + 0.5 = [0, 2, -0.5, 0]. MindSpore 2.10.0 CPU (both modes, p10.py): value 2, d/dx
    [1, -1, 0, 1] (its clamp(min=0) passes the tie); the Cell's own copy used relu, [0, -1, 0, 0] (round 22's
    r22:122:63 loss22.ranking); ops.margin_ranking_loss already clamped."""
    from mindspore import Tensor, nn, ops
    x = Tensor(np.array([-0.5, -1.5, 0.0, -0.0], np.float32))
    x2 = Tensor(np.array([0.0, 0.0, 1.0, 0.5], np.float32))
    t = Tensor(np.array([-1., 1., -1., -1.], np.float32))
    crit = nn.MarginRankingLoss(margin=0.5, reduction='sum')

    def loss(a):
        return crit(a, x2, t)
    value, grad = _in_mode(graph, lambda: ops.value_and_grad(loss)(x))
    np.testing.assert_allclose(value.asnumpy(), 2.0)
    np.testing.assert_allclose(grad.asnumpy(), [1., -1., 0., 1.])
    np.testing.assert_allclose(ops.grad(lambda a: ops.margin_ranking_loss(a, x2, t, 0.5, 'sum'))(x).asnumpy(),
                               [1., -1., 0., 1.])


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_get_by_list_of_no_weights_still_runs_the_network_in_pynative(mindspore_is_gradserve, graph):
    """GradOperation(get_by_list=True)(loss, ParameterTuple([])) over a BatchNorm2d(2, momentum=0.5, affine=False) in
    training: MindSpore 2.10.0 CPU (p9.py) gives () and, PyNative, moves the statistics to [0.1875, 0.6875] (the
    forward runs); GRAPH_MODE leaves them at 0. Ours ran nothing in either mode (round 22's r22:122:17 norm22.bn2d)."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops
    x = Tensor(np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2) * 0.25 - 1)

    def run():
        net = nn.BatchNorm2d(2, momentum=0.5, affine=False)
        net.set_train(True)

        def loss(a):
            y = net(a)
            return (y * y * 0.25 + ops.sin(y)).sum()
        g = ops.GradOperation(get_by_list=True)(loss, ms.ParameterTuple(net.trainable_params()))(x)
        return g, net.moving_mean.asnumpy()
    g, mean = _in_mode(graph, run)
    assert g == ()
    np.testing.assert_allclose(mean, [0.0, 0.0] if graph else [0.1875, 0.6875])


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_a_duplicate_index_write_gives_the_overwritten_value_no_gradient(mindspore_is_gradserve, graph):
    """y = x * 1; y[Tensor([1, 1])] = 3 v; vjp of y * x with a cotangent of 1.5: the last write wins (NumPy's
    y[[1, 1]] = ..., MindSpore 2.10 the same value), so d/dv is [0, 4.5 x[1]] by the math; MindSpore 2.10.0 CPU gives
    the overwritten row the same 4.5 x[1] (both modes, round 22's r22:22:145 index22.set.tensor_dup)."""
    import mindspore as ms
    from mindspore import Tensor, ops
    x = np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5 - 2
    v = np.arange(8, dtype=np.float32).reshape(2, 4) * -0.25 + 1

    def g(a, b):
        y = a * 1
        y[Tensor([1, 1], ms.int32)] = b * 3
        return y * a

    def run():
        out, fn = ops.vjp(g, Tensor(x), Tensor(v))
        return out, fn(ops.ones_like(out) * 1.5)
    out, (gx, gv) = _in_mode(graph, run)
    y = x.copy()
    y[[1, 1]] = v * 3
    np.testing.assert_allclose(out.asnumpy(), y * x)
    np.testing.assert_allclose(gv.asnumpy(), [np.zeros(4), 4.5 * x[1]])
    np.testing.assert_allclose(gx.asnumpy(), 1.5 * (y + np.where(np.arange(3)[:, None] == 1, 0.0, x)))


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_cumprod_jacobian_at_zeros_is_finite(mindspore_is_gradserve, graph):
    """ms.jacrev of cumprod(x * y) with zeros in x: PyTorch's jacobian (computed here) is finite; MindSpore 2.10.0 CPU
    gives NaN where the product passes a zero (its cumprod gradient divides by x: round 22's jac22.cumprod)."""
    torch = pytest.importorskip("torch")
    import mindspore as ms
    from mindspore import Tensor, ops
    x = np.array([0.5, 0.0, -1.5], np.float32)
    y = np.array([[1.0, 2.0, -0.5], [0.0, 1.5, 1.0]], np.float32)

    def g(a, b):
        return ops.cumprod(a * b, -1)
    jac = _in_mode(graph, lambda: ms.jacrev(g, 0)(Tensor(x), Tensor(y)))
    want = torch.autograd.functional.jacobian(lambda a: torch.cumprod(a * torch.tensor(y), -1), torch.tensor(x)).numpy()
    assert np.isfinite(want).all()
    np.testing.assert_allclose(jac.asnumpy(), want, atol=1e-6)
