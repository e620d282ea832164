"""MindSpore optimizers and optimizer primitives found by running MindSpore's own test files through
the SDK: TrainOneStepCell's gradients, Apply* primitives, Rprop / ASGD / Adamax step by step, argument
checks, dynamic weight decay, AdamWeightDecay. Expected values come from MindSpore 2.10 (CPU, PyNative) run on the same programs for this task
(/work/wt/_msvenv), or from NumPy / finite differences / by hand where noted."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn
from gradserve.ops import operations as P


def close(t, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=rtol, atol=atol)


def test_train_one_step_cell_returns_named_gradients(fake):
    net = nn.Dense(3, 1, weight_init="ones", bias_init="zeros")
    opt = nn.SGD(net.trainable_params(), learning_rate=0.1)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt, return_grad=True)
    x, y = Tensor(np.array([[1.0, 2.0, 3.0]], np.float32)), Tensor(np.array([[4.0]], np.float32))
    loss, grads = step(x, y)
    close(loss, 4.0)                                        # (6 - 4)^2, before the update
    assert sorted(grads) == sorted(p.name for p in net.trainable_params())
    close(grads[net.weight.name], [[4.0, 8.0, 12.0]])       # 2 (w.x + b - y) x, by hand
    close(grads[net.bias.name], [4.0])


class _Applies(nn.Cell):
    def __init__(self, prim, n):
        super().__init__()
        self.prim, self.n = prim, n
        for i, v in enumerate([1.0, 0.5, 0.25][:n]):
            setattr(self, f"p{i}", Parameter(Tensor(np.full((2, 2), v, np.float32)), name=f"p{i}"))

    def construct(self, *a):
        ps = [getattr(self, f"p{i}") for i in range(self.n)]
        self.prim(*ps, *a)
        return tuple(ps)


_G = np.array([[0.1, -0.2], [0.3, 0.4]], np.float32)


def _f(v):
    return Tensor(v, ms.float32)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("prim, n, args, want", [
    # MindSpore 2.10 (CPU), both modes: the Parameters after one call
    (P.ApplyGradientDescent(), 1, (_f(0.1), Tensor(_G)), [[[0.99, 1.02], [0.97, 0.96]]]),
    (P.ApplyMomentum(), 2, (_f(0.1), Tensor(_G), _f(0.9)),
     [[[0.945, 0.975], [0.925, 0.915]], [[0.55, 0.25], [0.75, 0.85]]]),
    (P.ApplyAdagrad(), 2, (_f(0.1), Tensor(_G)),
     [[[0.985997, 1.027217], [0.960943, 0.950763]], [[0.51, 0.54], [0.59, 0.66]]]),
    (P.ApplyRMSProp(), 3, (_f(0.1), Tensor(_G), 0.9, 0.8, 1e-6),
     [[[0.785109, 0.829683], [0.755719, 0.741404]], [[0.451, 0.454], [0.459, 0.466]],
      [[0.214891, 0.170317], [0.244281, 0.258596]]]),
    (P.Adam(), 3, (_f(0.9), _f(0.999), _f(0.01), _f(0.9), _f(0.999), _f(1e-8), Tensor(_G)),
     [[[0.997089, 0.997279], [0.996963, 0.9969]], [[0.46, 0.43], [0.48, 0.49]],
      [[0.24976, 0.24979], [0.24984, 0.24991]]]),
])
def test_optimizer_primitives_update_parameters(fake, mode, prim, n, args, want):
    ms.set_context(mode=mode)
    net = _Applies(prim, n)
    out = net(*args)
    for o, p, w in zip(out, [getattr(net, f"p{i}") for i in range(n)], want):
        close(o, w)
        close(p, w)          # the Parameters themselves hold the update


def test_apply_momentum_nesterov_follows_the_documented_rule(fake):
    # MindSpore's documented Nesterov rule: var -= lr * (grad + momentum * accum_new), by hand
    # (MindSpore 2.10's CPU kernel ignores use_nesterov; the documented rule is the one kept here)
    net = _Applies(P.ApplyMomentum(use_nesterov=True), 2)
    net(_f(0.1), Tensor(_G), _f(0.9))
    acc = 0.5 * 0.9 + _G
    close(net.p1, acc)
    close(net.p0, 1.0 - 0.1 * (_G + 0.9 * acc))


# the gradient sequence each optimizer below is fed (4 steps; signs flip for Rprop), w's then b's = 2 * w's[:2]
_GRADS = [np.array([0.5, -1.0, 2.0], np.float32), np.array([0.25, 1.0, 2.0], np.float32),
          np.array([-0.5, 1.0, 0.0], np.float32), np.array([1.0, -2.0, 1.5], np.float32)]


def _four_steps(make):
    w = Parameter(Tensor(np.array([1.0, -2.0, 3.0], np.float32)), name="w")
    b = Parameter(Tensor(np.array([0.5, 0.25], np.float32)), name="b")
    opt = make([w, b])
    for g in _GRADS:
        opt((Tensor(g), Tensor(g[:2] * 2)))
    return w.asnumpy(), b.asnumpy(), opt


def test_rprop_asgd_adamax_follow_mindspore_step_by_step():
    # MindSpore 2.10 (PyNative) on this very program, printed to 8 digits
    w, b, opt = _four_steps(lambda p: nn.Rprop(p, learning_rate=0.1, etas=(0.5, 1.2), step_sizes=(1e-3, 0.15)))
    close(w, [0.71999997, -1.9499999, 2.6600003])
    close(b, [0.22, 0.29999998])
    close(opt.prev[0], [1.0, 0.0, 1.5])  # a flipped sign's gradient is remembered as 0
    close(opt.step_size[0], [0.06, 0.025, 0.12])
    w, b, opt = _four_steps(lambda p: nn.ASGD(p, learning_rate=0.1, lambd=0.01, alpha=0.75, t0=1.0,
                                              weight_decay=0.1))
    close(w, [0.8335638, -1.813742, 2.331674])
    close(b, [0.23197497, 0.43878204])
    close(opt.ax[0], [0.8886303, -1.9246886, 2.4202738])  # the average, once mu < 1
    close(opt.eta[0], 0.09970105)
    close(opt.mu[0], 0.33333334)
    w, b, opt = _four_steps(lambda p: nn.optim.AdaMax(p, learning_rate=0.01, beta1=0.9, beta2=0.98, eps=1e-6))
    close(w, [0.9782738, -1.9930669, 2.966631])
    close(b, [0.47827378, 0.25693306])
    close(opt.moment1[0], [0.11170002, -0.10190003, 0.4578001])
    close(opt.moment2[0], [1.0, 2.0, 1.9208001])


def test_optimizer_arguments_are_checked_as_mindspore_does():
    p = [Parameter(Tensor(np.ones(2, np.float32)), name="p")]
    with pytest.raises(ValueError, match="etaplus|etas"):
        nn.Rprop(p, etas=(0.5, 0.9))
    with pytest.raises(TypeError, match="lambd"):
        nn.ASGD(p, lambd=1)  # MindSpore: a float, not an int
    with pytest.raises(ValueError, match="beta1"):
        nn.AdaMax(p, beta1=1.0)


class _DecaySchedule(nn.Cell):
    """MindSpore's dynamic weight decay: a Cell of the global step (as its weight_decay_utils.py writes it)."""

    def __init__(self):
        super().__init__()
        self.values = Tensor(np.array([0.0, 0.5, 0.1], np.float32))

    def construct(self, global_step):
        return self.values[global_step]


_WD_GRADS = [np.array([0.5, -1.0, 2.0], np.float32), np.array([0.25, 1.0, 2.0], np.float32),
             np.array([-0.5, 1.0, 0.0], np.float32)]


def _three_steps(make):
    w = Parameter(Tensor(np.array([1.0, -2.0, 3.0], np.float32)), name="w")
    opt = make([w])
    for g in _WD_GRADS:
        opt((Tensor(g),))
    return w.asnumpy(), opt


def test_dynamic_weight_decay_and_adam_weight_decay_follow_mindspore(on_real_server):
    # MindSpore 2.10 (PyNative) on this very program; Momentum's also by hand (decays 0, 0.5, 0.1 in turn)
    w, _ = _three_steps(lambda p: nn.Momentum(p, learning_rate=0.1, momentum=0.9, weight_decay=_DecaySchedule()))
    close(w, [0.768425, -1.82035, 1.7892])
    w, opt = _three_steps(lambda p: nn.AdamWeightDecay(p, learning_rate=0.1, weight_decay=0.01))
    close(w, [0.23086454, -1.8998649, 1.868231])
    close(opt.moments1[0], [0.013, 0.109, 0.342])
    close(opt.moments2[0], [0.00056193047, 0.0029969625, 0.0079879016])
    class Subclassed(nn.AdamWeightDecay):  # a user's subclass reads the same state (MindSpore: Parameters)
        pass

    _, opt = _three_steps(lambda p: Subclassed(p, learning_rate=0.1, weight_decay=0.01))
    close(opt.moments1[0], [0.013, 0.109, 0.342])
    w, _ = _three_steps(lambda p: nn.AdamWeightDecay(p, learning_rate=0.1, weight_decay=_DecaySchedule()))
    close(w, [0.19610898, -1.8048404, 1.72073])
    with pytest.raises(TypeError, match="beta1"):
        nn.AdamWeightDecay([Parameter(Tensor(np.ones(2, np.float32)), name="p")], beta1=1)


@pytest.mark.parametrize("cls, kw, want", [
    # MindSpore 2.10 (CPU, PyNative): two steps, lr 0.1, weight_decay 0.5, every gradient [0.25, -0.75]
    (nn.SGD, {}, [[0.85375, -1.65875], [0.45, 3.15], [-1.05, 4.15]]),
    (nn.Momentum, {"momentum": 0.9}, [[0.78625, -1.50125], [0.4275, 3.2175], [-1.0725, 4.2175]]),
    (nn.Adam, {}, [[0.80023944, -1.8000864], [0.30000055, 3.1999996], [-1.1999995, 4.1999993]]),
])
def test_weight_decay_skips_ungrouped_beta_and_gamma_parameters(cls, kw, want):
    """MindSpore's Optimizer decays parameters not in a group unless their name holds 'beta' or 'gamma'
    (norm layers' shift and scale); decaying them too gave other numbers silently."""
    ps = [Parameter(Tensor(np.array([1.0, -2.0], np.float32)), name="dense.weight"),
          Parameter(Tensor(np.array([0.5, 3.0], np.float32)), name="norm.gamma"),
          Parameter(Tensor(np.array([-1.0, 4.0], np.float32)), name="norm.beta")]
    opt = cls(ps, learning_rate=0.1, weight_decay=0.5, **kw)
    g = tuple(Tensor(np.array([0.25, -0.75], np.float32)) for _ in ps)
    opt(g)
    opt(g)
    for p, w in zip(ps, want):
        close(p, w, rtol=1e-5, atol=1e-5)
    grouped = [Parameter(Tensor(np.array([0.5, 3.0], np.float32)), name="norm.gamma")]
    opt = nn.SGD([{"params": grouped, "weight_decay": 0.5}], learning_rate=0.1)
    opt((Tensor(np.array([0.25, -0.75], np.float32)),))
    close(grouped[0], [0.5 - 0.1 * (0.25 + 0.25), 3.0 - 0.1 * (-0.75 + 1.5)])  # a group's decay: every member
