"""MindSpore nn cells found by running MindSpore's own test files through the SDK: pooling cells with
padding, PReLU, GroupNorm, MarginRankingLoss, LSTM weight lists, CellList parameters and vmap over
them, Upsample, BiDense. Expected values come from MindSpore 2.10 (CPU, PyNative) run on the same programs for this task
(/work/wt/_msvenv), or from NumPy / finite differences / by hand where noted."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops
from gradserve.ops import functional as F


def close(t, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=rtol, atol=atol)


def test_pool_cells_with_explicit_padding_prelu_groupnorm_margin_ranking(fake):
    # MindSpore 2.10 (CPU, PyNative) on the same programs
    x = Tensor(np.arange(2 * 1 * 5 * 5, dtype=np.float32).reshape(2, 1, 5, 5) % 7)
    pool = nn.AvgPool2d(kernel_size=3, stride=2, pad_mode='pad', padding=1, divisor_override=5)
    close(pool(x)[0, 0], [[2.4, 2.6, 2.0], [4.2, 6.2, 3.6], [1.8, 2.4, 2.8]])
    close(ms.grad(lambda u: (pool(u) ** 2).sum())(x)[1, 0],
          [[1.12, 2.96, 1.84, 2.8, 0.96], [2.48, 6.32, 3.84, 6.48, 2.64], [1.36, 3.36, 2.0, 3.68, 1.68],
           [2.8, 6.56, 3.76, 6.16, 2.4], [1.44, 3.2, 1.76, 2.48, 0.72]])
    y = nn.AvgPool2d(kernel_size=2, stride=1, pad_mode='pad', padding=1, count_include_pad=False)(x)
    close(y[0, 0, 0], [0.0, 0.5, 1.5, 2.5, 3.5, 4.0])
    close(nn.MaxPool2d(kernel_size=3, stride=2, pad_mode='pad', padding=1)(x)[1, 0], [[5, 6, 6], [6, 6, 6], [6, 6, 6]])
    with pytest.raises(ValueError, match="can not be set to non-default value when pad_mode is not 'pad'"):
        nn.MaxPool2d(kernel_size=3, padding=1)  # (MindSpore 2.10's words)
    p = nn.PReLU(channel=2, w=-0.25)
    z = Tensor(np.array([[[0.9, -0.1], [-0.4, -0.6]], [[0.4, -0.6], [-0.6, -0.5]]], np.float32))
    close(p(z), [[[0.9, 0.025], [0.1, 0.15]], [[0.4, 0.15], [0.15, 0.125]]])
    close(ops.GradOperation(get_by_list=True)(p, p.trainable_params())(z)[0], [-0.7, -2.1])
    gn = nn.GroupNorm(2, 4)
    w = Tensor((np.arange(2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3) % 5) - 2)
    # (MindSpore's values printed to 5 decimals: compared within 1e-5, as written)
    close(gn(w)[1], [[0.0, 0.77459, 1.54919], [-1.54919, -0.77459, 0.0], [0.62017, 1.36438, -1.61245],
                     [-0.86824, -0.12403, 0.62017]], atol=1e-5)
    close(ms.grad(lambda u: (gn(u) * u).sum())(w)[0], [[-1.11804, -0.44721, 0.22361], [0.89443, 1.56525, -1.11804],
                                                       [-0.62018, 0.12404, 0.86825], [1.61246, -1.36439, -0.62018]], atol=1e-5)
    a, b = Tensor(np.array([1.0, -2.0, 3.0], np.float32)), Tensor(np.array([2.0, 0.5, 3.5], np.float32))
    t = Tensor(np.array([1.0, -1.0, 1.0], np.float32))
    close(nn.MarginRankingLoss(margin=0.5)(a, b, t), 0.8333333)
    close(nn.MarginRankingLoss(reduction='none')(a, b, t), [1.0, 0.0, 0.5])
    assert a.dim() == 1


def test_lstm_weight_lists_can_be_replaced(fake):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.LSTM(4, 3, num_layers=1)  # PyTorch's gate order (i, f, g, o) is MindSpore's
    net = nn.LSTM(4, 3, num_layers=1)
    w = {k: Parameter(Tensor(v.detach().numpy()), name=k) for k, v in ref.named_parameters()}
    net.w_ih_list = [w["weight_ih_l0"]]                   # MindSpore's ParameterTuples: assigning replaces them
    net.w_hh_list = [w["weight_hh_l0"]]
    net.b_ih_list, net.b_hh_list = [w["bias_ih_l0"]], [w["bias_hh_l0"]]
    assert net.w_ih_list[0] is w["weight_ih_l0"]
    x = np.random.default_rng(1).standard_normal((5, 2, 4)).astype(np.float32)
    h0, c0 = np.zeros((1, 2, 3), np.float32), np.zeros((1, 2, 3), np.float32)
    out, _ = net(Tensor(x), (Tensor(h0), Tensor(c0)))
    want, _ = ref(torch.from_numpy(x), (torch.from_numpy(h0), torch.from_numpy(c0)))
    close(out, want.detach().numpy())
    assert sorted(p.name for p in net.trainable_params()) == sorted(w)


class _Stack(nn.Cell):
    def __init__(self):
        super().__init__()
        self.layers = nn.CellList([nn.Dense(2, 3, weight_init="ones", bias_init="zeros"),
                                   nn.Dense(3, 1, weight_init="ones", bias_init="zeros")])

    def construct(self, x):
        for layer in self.layers:
            x = layer(x)
        return x.sum()


def test_cell_list_parameters_belong_to_the_network(fake):
    # a CellList's cells' Parameters were invisible to trainable_params (so to grad-by-weights and the
    # optimizers): MindSpore lists all four here; expected gradients by hand (NumPy)
    net = _Stack()
    params = net.trainable_params()
    assert len(params) == 4 and len({p.name for p in params}) == 4
    x = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    grads = ops.GradOperation(get_by_list=True)(net, ms.ParameterTuple(params))(Tensor(x))
    h = x @ np.ones((2, 3), np.float32)                  # first layer's output
    close(grads[0], np.ones((3, 1)) @ x.sum(0, keepdims=True))   # d/dW1 = W2^T 1 x
    close(grads[1], [2.0, 2.0, 2.0])
    close(grads[2], h.sum(0, keepdims=True))
    close(grads[3], [2.0])
    before = net.layers[1].weight.asnumpy().copy()
    nn.TrainOneStepCell(net, nn.SGD(params, learning_rate=0.1))(Tensor(x))
    close(net.layers[1].weight, before - 0.1 * h.sum(0, keepdims=True))   # the optimizer reached it


class _Lin(nn.Cell):
    def __init__(self, k):
        super().__init__()
        self.w = Parameter(Tensor(np.full((3,), k, np.float32)), name="w")

    def construct(self, x, y):
        return x * self.w + y


def test_vmap_over_a_cell_list_is_model_ensembling(fake):
    from gradserve.ops import functional as F
    cells = nn.CellList([_Lin(1.0), _Lin(2.0), _Lin(3.0)])
    x = Tensor(np.arange(9, dtype=np.float32).reshape(3, 3))
    y = Tensor(np.array([1.0, -1.0, 0.5], np.float32))
    # MindSpore 2.10 (F.vmap of a CellList): cell i on row i / on the same inputs, stacked on out_axes
    close(F.vmap(cells, (0, None), 0)(x, y), [[1.0, 0.0, 2.5], [7.0, 7.0, 10.5], [19.0, 20.0, 24.5]])
    close(F.vmap(cells, (None, None), 1)(x[0], y), [[1.0, 1.0, 1.0], [0.0, 1.0, 2.0], [2.5, 4.5, 6.5]])
    gx, gy = ops.GradOperation(get_all=True)(lambda a, b: F.vmap(cells, (0, None), 0)(a, b))(x, y)
    close(gx, [[1, 1, 1], [2, 2, 2], [3, 3, 3]])      # MindSpore 2.10
    close(gy, [3, 3, 3])
    # each cell's own weight gets the derivative of its row: d/dw_i sum(x_i * w_i + y) = x_i (by hand;
    # MindSpore 2.10 returns zeros here, its ensembling differentiates stacked copies of the weights)
    gw = ops.GradOperation(get_by_list=True)(lambda a, b: F.vmap(cells, (0, None), 0)(a, b),
                                             ms.ParameterTuple(cells.trainable_params()))(x, y)
    close(np.stack([g.asnumpy() for g in gw]), x.asnumpy())
    with pytest.raises(ms.errors.ShapeError, match="CellList of 3 cells"):
        F.vmap(cells, (0, None), 0)(x[:2], y)


_X4 = np.arange(30, dtype=np.float32).reshape(1, 2, 3, 5) ** 1.5 / 10


@pytest.mark.parametrize("kw, want", [
    # MindSpore 2.10's outputs on _X4, first channel (both channels are compared in the suite's own file)
    (dict(mode="bilinear", size=(4, 7)), [
        [0.0, 0.057143, 0.152241, 0.282843, 0.451966, 0.63978, 0.8],
        [0.698771, 0.845793, 1.043923, 1.263582, 1.510359, 1.771254, 1.9875],
        [1.884625, 2.114363, 2.409437, 2.716362, 3.04176, 3.377613, 3.65187],
        [3.162278, 3.439998, 3.793612, 4.156922, 4.535704, 4.923404, 5.23832]]),
    (dict(mode="bilinear", scale_factor=(1.5, 0.7), recompute_scale_factor=True), [
        [0.033333, 0.282843, 0.706538], [0.784534, 1.263582, 1.861356],
        [2.018639, 2.716362, 3.491886], [3.324281, 4.156922, 5.054619]]),
    (dict(mode="area", size=(2, 3)), [[0.671932, 1.081153, 1.570589], [2.349573, 3.012814, 3.72207]]),
])
def test_upsample_matches_mindspore(kw, want, on_real_server):
    close(nn.Upsample(**kw)(Tensor(_X4))[0, 0], want, rtol=1e-5, atol=2e-6)


def test_upsample_linear_and_refusals(on_real_server):
    x3 = Tensor(np.array([[[1., 4., 2., 8., 5.]]], np.float32))
    close(nn.Upsample(mode="linear", size=7)(x3), [[[1.0, 2.714286, 3.428572, 2.0, 6.285714, 6.714286, 5.0]]])
    close(nn.Upsample(mode="linear", size=3, align_corners=True)(x3), [[[1.0, 2.0, 5.0]]])  # MindSpore 2.10
    up = nn.Upsample(mode="linear", scale_factor=1.6)  # MindSpore 2.10 refuses it when called, not before
    with pytest.raises(ValueError, match="'scale_factor' option cannot currently be set with the mode = linear"):
        up(x3)
    with pytest.raises(ValueError, match="divisible"):  # as MindSpore's adaptive_avg_pool1d
        nn.Upsample(mode="area", size=3)(x3)
    close(nn.Upsample(size=3)(x3), [[[1.0, 4.0, 8.0]]])  # 'nearest': rows floor(i * 5 / 3), MindSpore 2.10


def test_bidense_matches_mindspore(on_real_server):
    net = nn.BiDense(3, 2, 4)
    assert [(p.name, tuple(p.shape)) for p in net.trainable_params()] == [("weight", (4, 3, 2)), ("bias", (4,))]
    net.weight.set_data(Tensor(np.arange(24, dtype=np.float32).reshape(4, 3, 2) / 10 - 1))
    net.bias.set_data(Tensor(np.array([0.5, -0.5, 1., 0.], np.float32)))
    x1 = Tensor(np.array([[1., 2., -1.], [0.5, 0., 3.]], np.float32))
    x2 = Tensor(np.array([[2., -1.], [1., 1.]], np.float32))
    close(net(x1, x2), [[-1.7, -1.5, 1.2, 1.4], [-3.75, -0.55, 5.15, 8.35]])  # MindSpore 2.10
    out = net(Tensor(np.ones((2, 5, 3), np.float32)), Tensor(np.ones((2, 5, 2), np.float32)))
    assert tuple(out.shape) == (2, 5, 4)  # leading axes kept, as MindSpore's reshape does
    with pytest.raises(ValueError, match="same leading sizes"):
        net(x1, Tensor(np.ones((3, 2), np.float32)))


def test_flatten_weights_keeps_every_parameter_and_value():
    net = nn.Dense(3, 2)
    before = {p.name: p.asnumpy().copy() for p in net.get_parameters()}
    assert net.flatten_weights() is None  # MindSpore's memory packing: nothing to pack here
    after = {p.name: p.asnumpy() for p in net.get_parameters()}
    assert before.keys() == after.keys() and all((before[k] == after[k]).all() for k in before)
    with pytest.raises(TypeError):
        net.flatten_weights(-1)


def test_recompute_marks_the_scope_of_a_cell_and_its_cells():
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.pool, self.fc = nn.MaxPool2d(2), nn.Dense(2, 2)

    net = Net()
    assert net.get_scope() is None and net.pool.get_scope() is None  # MindSpore 2.10: None, None
    net.pool.recompute(mp_comm_recompute=False)
    assert (net.pool.get_scope(), net.get_scope(), net.fc.get_scope()) == ("recompute_", None, None)  # as 2.10
    net.recompute()
    assert net.get_scope() == net.fc.get_scope() == "recompute_"  # as 2.10
