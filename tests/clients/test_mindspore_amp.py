"""mindspore.amp: the cast policy per amp level (output and gradient dtypes, values against NumPy computing in
float16 by hand / torch autocast), the loss scalers (MindSpore's documented examples) and loss-scaled training
(a step with non-finite gradients skipped, the scale adjusted)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, amp, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

RNG = np.random.RandomState(0)
X = RNG.randn(6, 4).astype(np.float32)
W = RNG.randn(3, 4).astype(np.float32)
B = RNG.randn(3).astype(np.float32)


class _Net(nn.Cell):
    """Dense -> BatchNorm1d -> ReLU -> sum of squares (a white-list, a black-list and a plain op)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(4, 3, weight_init=Tensor(W), bias_init=Tensor(B))
        self.bn = nn.BatchNorm1d(3)
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.relu(self.bn(self.fc(x)))


class _Probe(nn.Cell):
    """Records the dtype each layer's output has while traced (the casts inside the graph)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(4, 3, weight_init=Tensor(W), bias_init=Tensor(B))
        self.bn = nn.BatchNorm1d(3)
        self.seen = {}

    def construct(self, x):
        h = self.fc(x)
        self.seen["fc"] = str(h.dtype)
        h = self.bn(h)
        self.seen["bn"] = str(h.dtype)
        h = h * h
        self.seen["mul"] = str(h.dtype)
        return h


@pytest.mark.parametrize("level,fc,bn,mul", [
    ("O0", "Float32", "Float32", "Float32"),
    ("O1", "Float32", "Float32", "Float32"),  # Dense in float16, its result back to float32
    ("O2", "Float16", "Float32", "Float16"),  # BatchNorm (black list) kept float32
    ("O3", "Float16", "Float16", "Float16"),
])
def test_layer_dtypes_per_level_and_float32_output(level, fc, bn, mul):
    net = amp.auto_mixed_precision(_Probe(), level)
    out = net(Tensor(X))
    assert str(out.dtype) == "Float32"  # MindSpore: the results are cast back to float32
    assert net.seen == {"fc": fc, "bn": bn, "mul": mul}


def test_o1_dense_computes_in_float16():
    """O1's Dense: x, W, b cast to float16, x @ W.T + b in float16 (torch on CPU, by hand), back to float32."""
    torch = pytest.importorskip("torch")
    dense = amp.auto_mixed_precision(nn.Dense(4, 3, weight_init=Tensor(W), bias_init=Tensor(B)), "O1")
    got = dense(Tensor(X)).asnumpy()
    h = [torch.from_numpy(a).half() for a in (X, W, B)]
    want = (h[0] @ h[1].T + h[2]).float().numpy()
    exact = X @ W.T + B
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(got, exact, rtol=1e-2, atol=1e-2)
    assert not np.array_equal(got, exact)  # (float16's rounding shows: the casts were made)


class _Mlp(nn.Cell):
    def __init__(self, w1, w2):
        super().__init__()
        self.fc1 = nn.Dense(4, 3, weight_init=Tensor(w1), has_bias=False)
        self.fc2 = nn.Dense(3, 2, weight_init=Tensor(w2), has_bias=False)
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.fc2(self.relu(self.fc1(x)))


W1 = RNG.randn(3, 4).astype(np.float32)
W2 = RNG.randn(2, 3).astype(np.float32)
Y = RNG.randn(6, 2).astype(np.float32)


def _torch_step(lr, scale=1.0):
    """One SGD step of the O3 network in torch: float32 weights cast to float16, the forward in float16,
    the loss (MSE) in float32 of the float32 output, the gradients through the casts (float32)."""
    torch = pytest.importorskip("torch")
    w1, w2 = (torch.tensor(w, requires_grad=True) for w in (W1, W2))
    x = torch.from_numpy(X).half()
    out = (torch.relu(x @ w1.half().T) @ w2.half().T).float()
    loss = ((out - torch.from_numpy(Y)) ** 2).mean()
    (loss * scale).backward()
    return float(loss.detach()), [(w - lr * w.grad / scale).detach().numpy() for w in (w1, w2)]


def test_o3_training_step_matches_float16_by_hand():
    lr = 0.1
    net = _Mlp(W1, W2)
    step = amp.build_train_network(net, nn.SGD(net.trainable_params(), lr), nn.MSELoss(), level="O3")
    loss = step(Tensor(X), Tensor(Y))
    want_loss, want = _torch_step(lr)
    np.testing.assert_allclose(float(loss.asnumpy()), want_loss, rtol=1e-3)
    np.testing.assert_allclose(net.fc1.weight.asnumpy(), want[0], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(net.fc2.weight.asnumpy(), want[1], rtol=1e-3, atol=1e-4)
    assert net.fc1.weight.dtype == ms.float32


def test_dynamic_loss_scaler_documented_example():
    """MindSpore's DynamicLossScaler example: a non-finite gradient halves 2**10 to 512."""
    scaler = amp.DynamicLossScaler(scale_value=2 ** 10, scale_factor=2, scale_window=1)
    with np.errstate(invalid="ignore"):
        grads = (Tensor(np.array([np.log(-1), 1.0]), ms.float16), Tensor(np.array([0.2]), ms.float16))
    finite = amp.all_finite(scaler.unscale(grads))
    assert scaler.adjust(finite) is True
    assert float(scaler.scale_value.asnumpy()) == 512.0


def test_dynamic_loss_scaler_grows_after_window_and_floors_at_one():
    scaler = amp.DynamicLossScaler(scale_value=4, scale_factor=2, scale_window=3)
    ok, bad = Tensor(np.array(True)), Tensor(np.array(False))
    seen = []
    for finite in (ok, ok, ok, ok, bad, bad, bad, bad):
        scaler.adjust(finite)
        seen.append(float(scaler.scale_value.asnumpy()))
    assert seen == [4, 4, 8, 8, 4, 2, 1, 1]  # the 3rd finite step in a row doubles; overflow halves, not below 1
    np.testing.assert_array_equal(scaler.scale(Tensor(np.array([1.5], np.float32))).asnumpy(), [1.5])


def test_static_loss_scaler_scale_unscale():
    scaler = amp.StaticLossScaler(scale_value=8)
    g = (Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array([0.5], np.float16)))
    scaled = scaler.scale(g)
    np.testing.assert_array_equal(scaled[0].asnumpy(), [8.0, 16.0])
    assert scaled[1].dtype == ms.float16
    np.testing.assert_array_equal(scaler.unscale(scaled)[1].asnumpy(), [0.5])
    assert scaler.adjust(Tensor(np.array(False))) is False
    assert float(scaler.scale_value.asnumpy()) == 8.0


def test_loss_scale_training_skips_overflowing_steps():
    """O3 with a scale of 2**20: the float16 gradients overflow, the step is skipped and the scale halves, until
    a scale fits; that step's update is the float16 step by hand (torch) at that scale."""
    lr = 0.1
    net = _Mlp(W1, W2)
    update = nn.DynamicLossScaleUpdateCell(loss_scale_value=2 ** 20, scale_factor=2, scale_window=1000)
    step = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(amp.auto_mixed_precision(net, "O3"), nn.MSELoss()),
                                            nn.SGD(net.trainable_params(), lr), scale_sense=update)
    scales = []
    for _ in range(20):
        loss, overflow, scale = step(Tensor(X), Tensor(Y))
        scales.append(float(scale.asnumpy()))
        if not bool(overflow.asnumpy()):
            break
        np.testing.assert_array_equal(net.fc1.weight.asnumpy(), W1)  # skipped: the weights as they were
        assert update.get_loss_scale() == scales[-1] / 2
    assert len(scales) > 1 and not bool(overflow.asnumpy())
    assert scales == [2.0 ** (20 - k) for k in range(len(scales))]
    want_loss, want = _torch_step(lr, scale=scales[-1])
    np.testing.assert_allclose(float(loss.asnumpy()), want_loss, rtol=1e-3)
    np.testing.assert_allclose(net.fc1.weight.asnumpy(), want[0], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(net.fc2.weight.asnumpy(), want[1], rtol=1e-3, atol=1e-4)


def test_model_with_amp_level_and_fixed_loss_scale_manager():
    lr = 0.1
    net = _Mlp(W1, W2)
    model = ms.Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), lr), amp_level="O3",
                     loss_scale_manager=amp.FixedLossScaleManager(1024, drop_overflow_update=True))
    assert isinstance(model.train_network, nn.TrainOneStepWithLossScaleCell)
    model.train(1, [(X, Y)])
    _, want = _torch_step(lr, scale=1024.0)
    np.testing.assert_allclose(net.fc1.weight.asnumpy(), want[0], rtol=1e-3, atol=1e-4)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="amp_level"):
        amp.auto_mixed_precision(_Mlp(W1, W2), "O4")
    with pytest.raises(ValueError, match="float16 or bfloat16"):
        amp.auto_mixed_precision(_Mlp(W1, W2), "O2", dtype=ms.int32)
    with pytest.raises(TypeError, match="network must be a Cell"):
        amp.auto_mixed_precision(lambda x: x, "O2")
    with pytest.raises(ValueError, match="exactly one"):
        amp.custom_mixed_precision(_Mlp(W1, W2))
    with pytest.raises(ValueError, match="amp_level"):
        ms.Model(_Mlp(W1, W2), amp_level="O5")
    with pytest.raises(ValueError, match="scale_window"):
        amp.DynamicLossScaler(2.0, 2, 0)


def test_custom_lists_cast_only_those_cells():
    net = _Probe()
    amp.custom_mixed_precision(net, black_list=[nn.BatchNorm1d])
    net(Tensor(X))
    assert net.seen == {"fc": "Float16", "bn": "Float32", "mul": "Float16"}
    net = amp.custom_mixed_precision(_Probe(), white_list=[nn.Dense])
    out = net(Tensor(X))
    assert net.seen == {"fc": "Float32", "bn": "Float32", "mul": "Float32"} and out.dtype == ms.float32


def test_auto_level_casts_matmul_only():
    """'auto': MatMul (auto white list) in float16, its result back to float32, the bias added in float32."""
    torch = pytest.importorskip("torch")
    dense = amp.auto_mixed_precision(nn.Dense(4, 3, weight_init=Tensor(W), bias_init=Tensor(B)), "auto")
    got = dense(Tensor(X)).asnumpy()
    want = (torch.from_numpy(X).half() @ torch.from_numpy(W).half().T).float().numpy() + B
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert not np.array_equal(got, X @ W.T + B)


def test_grad_of_a_marked_network_directly():
    """ops.value_and_grad of an O3 network itself: a float32 value and float32 weight gradients, equal to torch's
    float16 forward through the casts."""
    torch = pytest.importorskip("torch")
    net = amp.auto_mixed_precision(_Mlp(W1, W2), "O3")
    value, grads = ops.value_and_grad(lambda x: net(x).sum(), None, net.trainable_params())(Tensor(X))
    w1, w2 = (torch.tensor(w, requires_grad=True) for w in (W1, W2))
    out = (torch.relu(torch.from_numpy(X).half() @ w1.half().T) @ w2.half().T).float().sum()
    out.backward()
    assert value.dtype == ms.float32 and all(g.dtype == ms.float32 for g in grads)
    np.testing.assert_allclose(float(value.asnumpy()), float(out.detach()), rtol=1e-3)
    np.testing.assert_allclose(grads[0].asnumpy(), w1.grad.numpy(), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(grads[1].asnumpy(), w2.grad.numpy(), rtol=1e-3, atol=1e-3)


def test_bfloat16_o3():
    net = amp.auto_mixed_precision(_Probe(), "O3", dtype=ms.bfloat16)
    out = net(Tensor(X))
    assert out.dtype == ms.float32 and net.seen == {"fc": "BFloat16", "bn": "BFloat16", "mul": "BFloat16"}


def test_cell_to_float():
    """Cell.to_float(float16): the Dense's inputs and Parameters cast, its result float16 (MindSpore's to_float)."""
    torch = pytest.importorskip("torch")
    dense = nn.Dense(4, 3, weight_init=Tensor(W), bias_init=Tensor(B))
    assert dense.to_float(ms.float16) is dense
    out = dense(Tensor(X))
    h = [torch.from_numpy(a).half() for a in (X, W, B)]
    assert out.dtype == ms.float16
    np.testing.assert_allclose(out.asnumpy().astype(np.float32), (h[0] @ h[1].T + h[2]).float().numpy(),
                               rtol=2e-3, atol=2e-3)
    with pytest.raises(ValueError, match="dst_type"):
        dense.to_float(ms.int32)


def test_loss_scale_cell_with_a_tensor_scale_skips_without_adjusting():
    net = _Mlp(W1, W2)
    step = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(amp.auto_mixed_precision(net, "O3"), nn.MSELoss()),
                                            nn.SGD(net.trainable_params(), 0.1),
                                            scale_sense=Tensor(np.array(2.0 ** 20, np.float32)))
    for _ in range(2):
        _, overflow, scale = step(Tensor(X), Tensor(Y))
        assert bool(overflow.asnumpy()) and float(scale.asnumpy()) == 2.0 ** 20
    np.testing.assert_array_equal(net.fc2.weight.asnumpy(), W2)


def test_fixed_manager_without_drop_scales_by_sens_and_optimizer_loss_scale():
    """drop_overflow_update=False: MindSpore's TrainOneStepCell(sens=loss_scale), the optimizer's loss_scale
    dividing it out: the plain float16 step."""
    lr = 0.1
    net = _Mlp(W1, W2)
    step = amp.build_train_network(net, nn.SGD(net.trainable_params(), lr, loss_scale=128.0), nn.MSELoss(),
                                   level="O3", loss_scale_manager=amp.FixedLossScaleManager(128, False))
    assert isinstance(step, nn.TrainOneStepCell)
    step(Tensor(X), Tensor(Y))
    _, want = _torch_step(lr)
    np.testing.assert_allclose(net.fc1.weight.asnumpy(), want[0], rtol=1e-3, atol=1e-4)


# -- amp applied after a graph was traced and cached -----------------------------------------------------
ODD = np.float32(1 + 2 ** -12)  # a float32 that float16 cannot hold: it rounds to 1.0


class _Scale(nn.Cell):
    """x * w through a Dense(1, 1) (a white-list cell) inside a plain Cell (not marked by a white list)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(1, 1, weight_init=Tensor(np.full((1, 1), ODD)), bias_init="zeros")

    def construct(self, x):
        return self.fc(x)


def _apply(level, net):
    if level == "white_list":
        return amp.custom_mixed_precision(net, white_list=[nn.Dense])
    if level == "to_float":
        return net.fc.to_float(ms.float16)
    return amp.auto_mixed_precision(net, level)


@pytest.mark.parametrize("level", ["O1", "O2", "O3", "white_list", "to_float"])
@pytest.mark.parametrize("how", ["cell", "jit", "grad", "outer"])
def test_amp_applied_after_a_cached_graph_call_takes_effect(level, how):
    """GRAPH_MODE caches the first call's trace: marking the network afterwards must still cast (a trace cached
    before is stale). References: NumPy in float32 before, with the operands rounded to float16 after."""
    ms.set_context(mode=ms.GRAPH_MODE)
    net, x = _Scale(), Tensor(np.full((1, 1), ODD))
    outer = nn.SequentialCell([net])
    jitted = ms.jit(lambda v: net(v))
    run = {"cell": net, "jit": jitted, "outer": outer,
           "grad": ops.GradOperation(get_all=True)(net)}[how]

    def value():
        out = run(x)
        return float((out[0] if how == "grad" else out).asnumpy().astype(np.float32).reshape(()))

    before = value()
    want32 = ODD if how == "grad" else ODD * ODD  # d(x * w)/dx = w
    assert before == pytest.approx(float(want32), rel=1e-7) and before != 1.0
    _apply(level, net)
    w16, x16 = np.float16(ODD), np.float16(ODD)
    assert float(w16) == 1.0  # (the premise: float16 rounds both operands)
    want16 = float(w16) if how == "grad" else float(np.float32(x16) * np.float32(w16))
    assert value() == want16
