"""ops.nll_loss / nn.NLLLoss and the optimizers nn.Adam(use_amsgrad=True), nn.FTRL, nn.ProximalAdagrad.

Expected values are MindSpore 2.10's (CPU, PyNative), run for this task in its own venv: the losses, their
gradients (ops.grad of the summed loss) and each parameter after every step.
"""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, Tensor, context, nn, ops

from clients.test_mindspore_optimizer_prims import Lin  # the small net its optimizer tests step (MindSpore's runs used it)

X2 = np.array([[-0.5, -1.2, -2.0], [-0.3, -0.9, -1.7], [-1.1, -0.2, -2.5], [-0.8, -1.4, -0.6]], np.float32)
T2 = np.array([0, 2, 1, -100], np.int32)
W = np.array([0.5, 1.5, 2.0], np.float32)
X3 = np.arange(12, dtype=np.float32).reshape(2, 3, 1, 2) * -0.1  # [N, C, d1, d2]
T3 = np.array([[[0, 1]], [[2, 0]]], np.int32)


def _loss_and_grad(x, t, **kw):
    f = lambda x: ops.nll_loss(x, Tensor(t), **kw)  # noqa: E731
    g = ops.grad(lambda x: f(x).sum())(Tensor(x))
    return f(Tensor(x)).asnumpy(), g.asnumpy()


# (kwargs, loss, d sum(loss) / d x) of X2 / T2: MindSpore's
_G_PLAIN = [[-1.0, 0, 0], [0, 0, -1.0], [0, -1.0, 0], [0, 0, 0]]
_G_W = [[-0.5, 0, 0], [0, 0, -2.0], [0, -1.5, 0], [0, 0, 0]]
_G_WS = [[-0.43333334, -0.1, -0.13333334], [-0.033333335, -0.1, -1.7333333], [-0.033333335, -1.3, -0.13333334],
         [0, 0, 0]]
CASES_2D = [
    (dict(reduction="mean"), 0.8, np.array(_G_PLAIN) / 3),
    (dict(reduction="mean", weight=W), 0.9875, np.array(_G_W) / 4),
    (dict(reduction="mean", weight=W, label_smoothing=0.2), 1.07,
     [[-0.108333334, -0.025, -0.033333335], [-0.008333334, -0.025, -0.43333334],
      [-0.008333334, -0.325, -0.033333335], [0, 0, 0]]),
    (dict(reduction="sum"), 2.4, _G_PLAIN),
    (dict(reduction="sum", weight=W), 3.95, _G_W),
    (dict(reduction="sum", weight=W, label_smoothing=0.2), 4.28, _G_WS),
    (dict(reduction="none"), [0.5, 1.7, 0.2, 0.0], _G_PLAIN),
    (dict(reduction="none", weight=W), [0.25, 3.4, 0.3, 0.0], _G_W),
    (dict(reduction="none", weight=W, label_smoothing=0.2), [0.60333335, 3.0466666, 0.63, 0.0], _G_WS),
]


@pytest.mark.parametrize("kw, loss, grad", CASES_2D, ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_nll_loss_2d_each_reduction_weight_and_smoothing(on_real_server, kw, loss, grad):
    kw = {k: Tensor(v) if k == "weight" else v for k, v in kw.items()}
    y, g = _loss_and_grad(X2, T2, **kw)
    np.testing.assert_allclose(y, np.array(loss, np.float32), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g, np.array(grad, np.float32), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("reduction, loss, grad_row0", [
    ("mean", 1.1, [-0.46666667, -0.016666668, -0.016666668]),
    ("sum", 2.2, [-0.93333334, -0.033333335, -0.033333335]),
    ("none", [0.57333332, 1.6266667, 0.0, 0.0], [-0.93333334, -0.033333335, -0.033333335]),
])
def test_nll_loss_ignore_index_with_smoothing_drops_the_whole_row(on_real_server, reduction, loss, grad_row0):
    y, g = _loss_and_grad(X2, np.array([0, 2, 1, 1], np.int32), reduction=reduction, ignore_index=1,
                          label_smoothing=0.1)
    np.testing.assert_allclose(y, np.array(loss, np.float32), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g[0], grad_row0, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g[1], grad_row0[::-1], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(g[2:], 0.0)  # rows whose target is ignore_index: no smoothing term either


def test_nll_loss_1d_input_scalar_target(on_real_server):
    y, g = _loss_and_grad(np.array([-0.4, -1.3, -0.9], np.float32), np.array(2, np.int32))
    np.testing.assert_allclose(y, 0.9, rtol=1e-6)
    np.testing.assert_allclose(g, [0.0, 0.0, -1.0], rtol=1e-6)


X5 = np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2, 1) * -0.05  # [N, C, d1, d2, d3]
T5 = np.array([[[[0], [1]], [[2], [2]]], [[[1], [-100]], [[0], [2]]]], np.int32)


def test_nll_loss_4d_weighted_mean(on_real_server):
    y, g = _loss_and_grad(X3, T3, reduction="mean", weight=Tensor(W))
    np.testing.assert_allclose(y, 0.6222222, rtol=1e-6)
    want = np.zeros_like(X3)
    want[0, 0, 0, 0], want[0, 1, 0, 1], want[1, 0, 0, 1], want[1, 2, 0, 0] = -1 / 9, -1 / 3, -1 / 9, -4 / 9
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)


def test_nll_loss_4d_none_keeps_the_spatial_axes(on_real_server):
    y, g = _loss_and_grad(X3, T3, reduction="none", weight=Tensor(W), label_smoothing=0.3)
    np.testing.assert_allclose(y, [[[0.11000001, 0.465]], [[1.75, 0.635]]], rtol=1e-6)
    np.testing.assert_allclose(g[:, :, 0, :], [[[-0.4, -0.05], [-0.15, -1.2], [-0.2, -0.2]],
                                               [[-0.05, -0.4], [-0.15, -0.15], [-1.6, -0.2]]], rtol=1e-6)


def test_nll_loss_5d_sum_with_smoothing_and_an_ignored_element(on_real_server):
    y, g = _loss_and_grad(X5, T5, reduction="sum", label_smoothing=0.3)
    np.testing.assert_allclose(y, 3.89, rtol=1e-6)
    hot = np.where(np.arange(3)[None, :, None, None, None] == T5[:, None], -0.8, -0.1).astype(np.float32)
    hot[1, :, 0, 1, 0] = 0.0  # target -100: ignored
    np.testing.assert_allclose(g, hot, rtol=1e-6)
    y, _ = _loss_and_grad(X5, T5, reduction="none", weight=Tensor(W), label_smoothing=0.3)
    np.testing.assert_allclose(y[..., 0], [[[0.11000001, 0.39249998], [0.85, 0.94]],
                                           [[1.19, 0.0], [0.635, 2.02]]], rtol=1e-6)


def test_nll_loss_cell(on_real_server):
    loss = nn.NLLLoss(weight=Tensor(W), ignore_index=2, reduction="sum")
    np.testing.assert_allclose(loss(Tensor(X2), Tensor(np.array([0, 2, 1, 1], np.int32))).asnumpy(), 2.6499999,
                               rtol=1e-6)
    np.testing.assert_allclose(nn.NLLLoss()(Tensor(X5), Tensor(T5)).asnumpy(), 0.5642857, rtol=1e-6)


@pytest.mark.parametrize("make, err, words", [
    (lambda: nn.NLLLoss(ignore_index=1.0), TypeError, "ignore_index"),
    (lambda: nn.NLLLoss(weight=np.ones(3)), TypeError, "weight"),
    (lambda: nn.NLLLoss(reduction="avg"), ValueError, "reduction"),
    (lambda: nn.NLLLoss(weight=Tensor(np.ones(3, np.int32))), TypeError, "float16 or float32"),
    (lambda: ops.nll_loss(Tensor(X2), Tensor(T2.astype(np.float32))), TypeError, "int32 or int64"),
    (lambda: ops.nll_loss(Tensor(X2), Tensor(np.zeros(3, np.int32))), ValueError, r"shape \[4\]"),
    (lambda: ops.nll_loss(X2, Tensor(T2)), TypeError, "'inputs' must be a Tensor"),
    (lambda: ops.nll_loss(Tensor(X2), Tensor(T2), weight=Tensor(np.ones(4, np.float32))), ValueError,
     r"'weight' must have shape \[3\]"),
])
def test_nll_loss_bad_arguments(on_real_server, make, err, words):
    # MindSpore raises these types (its GatherD / MaskedFill / Mul messages name its kernels, ours the argument)
    with pytest.raises(err, match=words):
        make()


# five steps on Lin's squared output; (w, b) after each (MindSpore 2.10, CPU, PyNative)
TRAJECTORIES = {
    # amsgrad departs from plain Adam at step 4 (w[0][1]: -0.1234082 against Adam's -0.1233906), where v falls
    "amsgrad": (lambda p: nn.Adam(p, learning_rate=0.05, use_amsgrad=True), [
        ([[0.44999999, -0.25000003], [0.15000001, 0.14999998]], [0.05000001, -0.15000007]),
        ([[0.40031746, -0.2020081], [0.10071377, 0.190558]], [0.0013828613, -0.13668323]),
        ([[0.35124514, -0.15881954], [0.052968506, 0.21112247]], [-0.043812312, -0.15476575]),
        ([[0.30314872, -0.12340826], [0.0079569146, 0.21359651]], [-0.08225935, -0.18471777]),
        ([[0.2564708, -0.09742322], [-0.032782048, 0.2049932]], [-0.10991996, -0.2193611]),
    ]),
    "amsgrad_wd_schedule": (lambda p: nn.Adam(p, learning_rate=[0.05, 0.04, 0.03, 0.02, 0.01], beta1=0.8,
                                              beta2=0.95, eps=1e-6, use_amsgrad=True, weight_decay=0.1), [
        ([[0.45000008, -0.25000024], [0.15000007, 0.14999978]], [0.05000016, -0.15000069]),
        ([[0.41034836, -0.21187004], [0.11074085, 0.18109114]], [0.011376087, -0.13895227]),
        ([[0.38099822, -0.18570516], [0.08219844, 0.19320287]], [-0.015704837, -0.14947239]),
        ([[0.36173412, -0.17038618], [0.0639246, 0.19476734]], [-0.03192156, -0.16172539]),
        ([[0.35224977, -0.16378385], [0.05517856, 0.1933156]], [-0.038899288, -0.16904758]),
    ]),
    # FTRL with l1 = 0 (with l1 > 0 MindSpore 2.10's CPU kernel departs from its documented rule: see below)
    "ftrl": (lambda p: nn.FTRL(p, initial_accum=0.1, learning_rate=0.05, l2=0.02, weight_decay=0.1), [
        ([[0.39081410, -0.15576623], [0.13316795, 0.11852796]], [0.029287528, -0.023749698]),
        ([[0.36082977, -0.14194861], [0.10563761, 0.10004574]], [0.0054273019, -0.060649529]),
        ([[0.33713803, -0.12868382], [0.085084297, 0.09447997]], [-0.010421132, -0.078196764]),
        ([[0.317312, -0.11748523], [0.068801291, 0.092976138]], [-0.021181323, -0.088554345]),
        ([[0.30016842, -0.10834265], [0.055459578, 0.092791095]], [-0.028337423, -0.095434926]),
    ]),
    "ftrl_lr_power": (lambda p: nn.FTRL(p, initial_accum=0.2, learning_rate=0.1, lr_power=-0.3), [
        ([[0.1823414, -0.02570987], [-0.02407551, 0.13999638]], [-0.060094744, 0.022395061]),
        ([[0.1462809, -0.05644244], [-0.025978677, 0.050088275]], [-0.031959202, -0.058735944]),
        ([[0.11873315, -0.04913706], [-0.028622743, 0.052822717]], [-0.012030398, -0.060328264]),
        ([[0.0977251, -0.045454107], [-0.031018108, 0.052827079]], [0.0026885767, -0.062670529]),
        ([[0.081696972, -0.04319755], [-0.032968871, 0.052877337]], [0.013768979, -0.064052485]),
    ]),
    "proximal_adagrad": (lambda p: nn.ProximalAdagrad(p, accum=0.1, learning_rate=0.05, l1=0.01, l2=0.02,
                                                      weight_decay=0.1), [
        ([[0.44999632, -0.25189632], [0.15000556, 0.14724204]], [0.050830759, -0.16296205]),
        ([[0.41713518, -0.22548509], [0.11924066, 0.16013271]], [0.022892421, -0.16897143]),
        ([[0.39158887, -0.20684905], [0.096545368, 0.16588221]], [0.0041343323, -0.17905429]),
        ([[0.37034222, -0.19260108], [0.078576379, 0.16920465]], [-0.0085341772, -0.18759692]),
        ([[0.35200933, -0.18130818], [0.063778378, 0.17126939]], [-0.017378204, -0.1941128]),
    ]),
    "proximal_adagrad_decay_lr": (lambda p: nn.ProximalAdagrad(p, accum=0.2, l1=0.3,
                                                               learning_rate=nn.ExponentialDecayLR(0.1, 0.8, 1)), [
        ([[0.3900758, -0.18059556], [0.092673026, 0.1657162]], [0.0, -0.088582799]),
        ([[0.33687541, -0.13979745], [0.049765993, 0.11814871]], [-0.0084809465, -0.10800934]),
        ([[0.30445322, -0.10903421], [0.025354095, 0.10003389]], [-0.0049807681, -0.095704786]),
        ([[0.28283814, -0.08794994], [0.0096220998, 0.085558623]], [0.0, -0.083139151]),
        ([[0.26769504, -0.072726429], [0.0, 0.073885158]], [0.0, -0.071960717]),
    ]),
}


@pytest.mark.parametrize("name", list(TRAJECTORIES))
def test_optimizer_five_step_trajectory(on_real_server, name):
    make, steps = TRAJECTORIES[name]
    net = Lin()
    opt = make(net.trainable_params())
    x = Tensor(np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32))
    step = gs.value_and_grad(lambda x: (net(x) ** 2).sum(), None, opt.parameters)
    for k, (w, b) in enumerate(steps):
        opt(step(x)[1])
        np.testing.assert_allclose(net.w.asnumpy(), w, rtol=2e-6, atol=1e-7, err_msg=f"step {k + 1}")
        np.testing.assert_allclose(net.b.asnumpy(), b, rtol=2e-6, atol=1e-7, err_msg=f"step {k + 1}")


@pytest.mark.parametrize("make, err, words", [
    (lambda p: nn.FTRL(p, learning_rate=[0.1, 0.2]), ValueError, "dynamic learning rate"),
    (lambda p: nn.FTRL(p, learning_rate=1), TypeError, "'learning_rate' should be float"),
    (lambda p: nn.FTRL(p, lr_power=0.5), ValueError, "'lr_power' must be <= 0.0"),
    (lambda p: nn.FTRL(p, l1=-1.0), ValueError, "'l1' must be >= 0.0"),
    (lambda p: nn.FTRL(p, initial_accum=1), TypeError, "'initial_accum' should be float"),
    (lambda p: nn.ProximalAdagrad(p, accum=-0.1), ValueError, "'accum' must be >= 0.0"),
    (lambda p: nn.ProximalAdagrad(p, l1=1), TypeError, "'l1' should be float"),
    (lambda p: nn.Adam(p, use_amsgrad=True, use_lazy=True), ValueError, "use_amsgrad"),
    (lambda p: nn.Adam(p, use_amsgrad=1), TypeError, "use_amsgrad"),
])
def test_optimizer_bad_arguments_as_mindspore(make, err, words):
    with pytest.raises(err, match=words):
        make(Lin().trainable_params())


def test_optimizer_state_names(on_real_server):
    net = Lin()
    ftrl = nn.FTRL(net.trainable_params(), initial_accum=0.3)
    np.testing.assert_array_equal(ftrl.moments[0].asnumpy(), np.full((2, 2), 0.3, np.float32))
    np.testing.assert_array_equal(ftrl.linear[1].asnumpy(), np.zeros(2, np.float32))
    prox = nn.ProximalAdagrad(net.trainable_params(), accum=0.2)
    np.testing.assert_array_equal(prox.accum[1].asnumpy(), np.full(2, 0.2, np.float32))


def test_ftrl_l1_follows_the_documented_rule():
    # MindSpore documents var = (sign(linear) l1 - linear) / (accum'^-p / lr + 2 l2) where |linear| > l1 (TensorFlow's
    # FTRL). Its 2.10 CPU kernel writes `linear ? l1 : -l1` for sign(linear) l1 (apply_ftrl_cpu_kernel.cc), so a
    # negative linear there moves by +l1: its nn.FTRL(initial_accum=0.2, learning_rate=0.1, l1=0.5) on Lin gives
    # w[0][0] = 0.33564177 after one step. gradserve keeps the documented rule (as ops.ApplyFtrl); the expected
    # values here are that rule in NumPy (float64), one step from known gradients.
    w0 = np.array([0.5, -0.3, 0.2, 0.1, 0.01], np.float32)
    g = np.array([2.0, -1.0, 0.3, 0.05, -0.001], np.float32)
    lr, l1, l2, acc = 0.1, 0.5, 0.02, 0.2
    acc_new = acc + g.astype(np.float64) ** 2
    linear = g - (np.sqrt(acc_new) - np.sqrt(acc)) / lr * w0
    want = np.where(np.abs(linear) > l1, (np.sign(linear) * l1 - linear) / (np.sqrt(acc_new) / lr + 2 * l2), 0.0)
    p = Parameter(Tensor(w0), name="p")
    opt = nn.FTRL([p], initial_accum=acc, learning_rate=lr, l1=l1, l2=l2)
    opt((Tensor(g),))
    np.testing.assert_allclose(p.asnumpy(), want, rtol=1e-6, atol=1e-8)
    assert (want[:2] != 0).all() and want[4] == 0  # both signs of linear shrunk, one below l1 zeroed
    # (atol: float32 sqrt(accum') - sqrt(accum) of the tiny gradient carries ~1e-9 of rounding)
    np.testing.assert_allclose(opt.linear[0].asnumpy(), linear, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(opt.moments[0].asnumpy(), acc_new, rtol=1e-6)


class _Squared(nn.Cell):
    def construct(self, out, _label):
        return (out ** 2).sum()


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
@pytest.mark.parametrize("name", ["amsgrad", "ftrl", "proximal_adagrad_decay_lr"])
def test_optimizer_in_train_one_step_cell(on_real_server, mode, name):
    context.set_context(mode=mode)
    make, steps = TRAJECTORIES[name]
    net = Lin()
    train = nn.TrainOneStepCell(nn.WithLossCell(net, _Squared()), make(net.trainable_params()))
    x, label = Tensor(np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32)), Tensor(np.zeros(2, np.float32))
    for w, b in steps[:2]:
        train(x, label)
        np.testing.assert_allclose(net.w.asnumpy(), w, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(net.b.asnumpy(), b, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("name, beta, w", [
    # MindSpore 2.10: FTRL's weight decay reaches a Parameter named 'beta' too (its decay_flags), ProximalAdagrad's not
    ("FTRL", [0.130702, 0.01193625], [0.130702, 0.01193625]),
    ("ProximalAdagrad", [0.44654775, -0.33015114], [0.41818181, -0.28438264]),
])
def test_weight_decay_of_a_parameter_named_beta(name, beta, w):
    params = [Parameter(Tensor(np.array([0.5, -0.3], np.float32)), name=n) for n in ("beta", "w")]
    opt = getattr(nn, name)(params, learning_rate=0.1, weight_decay=0.5)
    opt((Tensor(np.array([0.2, 0.1], np.float32)),) * 2)
    np.testing.assert_allclose(params[0].asnumpy(), beta, rtol=1e-6)
    np.testing.assert_allclose(params[1].asnumpy(), w, rtol=1e-6)


def test_nll_loss_float16_inputs(on_real_server):
    # MindSpore 2.10 on float16 X2: 0.8003 and -0.3333 where a target is (float16 rounding: rtol 1e-3)
    y, g = _loss_and_grad(X2.astype(np.float16), T2)
    assert y.dtype == np.float16 and g.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float32), 0.8003, rtol=1e-3)
    np.testing.assert_allclose(g.astype(np.float32), np.array(_G_PLAIN, np.float32) * 0.3333, rtol=1e-3)
