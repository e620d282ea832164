"""The held-out loops (benchmarks/loops_zoo.py: PINN + Adam, HMC, float64 Langevin, DP-SGD by vmap of grad,
an ensemble by vmap, Newton-CG with Hessian-vector products w.r.t. a Parameter, BatchNorm in a
TrainOneStepCell, an @jit step with clip_by_global_norm and a dynamic learning rate, a per-step learning-rate
Tensor with eager clipping, a frozen body under Adam with weight decay, batches of changing size, an EMA by
ops.assign in @jit) and round 2's (benchmarks/loops_zoo2.py: energy + forces under an ExponentialDecayLR, a GAN's
two optimizers, gradient accumulation under AdamWeightDecay, BPTT under Adagrad, score matching under a
cosine_decay_lr list, float64 MALA by has_aux, Levenberg-Marquardt by jacrev, SVGD by vmap of grad, L-BFGS,
MAML's second order w.r.t. Parameters, a tied weight under centered RMSProp) and round 3's (benchmarks/loops_zoo3.py:
a Burgers PINN, a Neural ODE through RK4, a VAE in TrainOneStepCell, a Transformer encoder under AdamWeightDecay on a
warmup schedule, a contrastive loss with a temperature Parameter, float64 Newton by jacfwd and jacfwd(grad), float64
HMC with the leapfrog trajectory in @jit, a CNN under Nesterov SGD) on the
shared real server, small: each step's numbers equal the loop's JAX / PyTorch twin's
(float32 precision), and after the warm-up steps no step traces again nor misses the server's compile cache.

Also the optimizer called inside a traced function (gradserve._graph_steps): the run's outputs are the values
before the step (MindSpore 2.10, run in its venv: losses 25.0, 23.369184, 22.574402 for the step below), the step
is taken on that run's gradients, and the trace is reused."""
from __future__ import annotations

import re

import httpx
import numpy as np
import pytest

import gradserve as gs
from gradserve import nn, ops

pytest.importorskip("jax")
pytest.importorskip("torch")

from benchmarks import loops_zoo as LZ  # noqa: E402
from benchmarks import loops_zoo2 as LZ2  # noqa: E402
from benchmarks import loops_zoo3 as LZ3  # noqa: E402
from benchmarks import loops_zoo4 as LZ4  # noqa: E402
from benchmarks import loops_zoo5 as LZ5  # noqa: E402

LOOPS = {**LZ.LOOPS, **LZ2.LOOPS, **LZ3.LOOPS, **LZ4.LOOPS, **LZ5.LOOPS}

COUNTED = 4  # steps after the warm-up, each checked for values and for retraces


def _misses(url: str) -> float:
    return LZ.compile_misses(httpx.get(url + "/metrics", timeout=30).text)


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_loop_equals_its_twin_and_never_retraces(on_real_server, name):
    loop = LOOPS[name](gs, small=True)
    gs.set_context(mode=gs.GRAPH_MODE if loop.mode == "graph" else gs.PYNATIVE_MODE)
    warm = LZ.warm_steps(loop)
    for i in range(warm + COUNTED):
        if i == warm:
            traces, misses = gs._trace.trace_stats()["traces"], _misses(on_real_server.url)
        a, b = loop.sdk(i), loop.twin(i)
        assert a.shape == b.shape, (name, i)
        assert LZ.rel_diff(a, b) <= loop.rtol, (name, i, a[:4], b[:4])
    assert gs._trace.trace_stats()["traces"] - traces == 0, name  # (an unguarded PyNative trace counts here too)
    assert _misses(on_real_server.url) - misses == 0, name


def _dense():
    return nn.Dense(2, 1, weight_init=gs.Tensor(np.array([[1.0, 2.0]], np.float32)), bias_init="zeros")


X, Y = np.array([[1.0, 3.0]], np.float32), np.array([[2.0]], np.float32)
MS_LOSSES = [25.0, 23.369184, 22.574402]  # MindSpore 2.10 (CPU venv), the @jit step below
MS_WEIGHT_1 = [0.98492444, 1.9547733]  # its weight after the first step


def test_jit_step_returns_the_loss_before_the_update_and_is_traced_once(on_real_server):
    net = _dense()
    opt = nn.SGD(net.trainable_params(), learning_rate=[0.1, 0.05, 0.01])
    mse = nn.MSELoss()

    def forward(x, y):
        return mse(net(x), y)

    vg = ops.value_and_grad(forward, None, opt.parameters)

    @gs.jit
    def step(x, y):
        loss, grads = vg(x, y)
        opt(ops.clip_by_global_norm(grads, 0.5))
        return loss

    x, y = gs.Tensor(X), gs.Tensor(Y)
    losses = [float(step(x, y).asnumpy())]
    np.testing.assert_allclose(net.weight.asnumpy()[0], MS_WEIGHT_1, rtol=1e-6)
    before = gs._trace.trace_stats()["traces"]
    losses += [float(step(x, y).asnumpy()) for _ in range(2)]
    np.testing.assert_allclose(losses, MS_LOSSES, rtol=1e-6)
    assert gs._trace.trace_stats()["traces"] == before and opt.global_step == 3


@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_a_cells_construct_calling_its_optimizer(on_real_server, mode):
    """MindSpore's hand-written train step Cell (what TrainOneStepCell's construct does): the same numbers."""
    gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
    net = _dense()
    opt = nn.SGD(net.trainable_params(), learning_rate=[0.1, 0.05, 0.01])

    class Step(nn.Cell):
        def __init__(self):
            super().__init__()
            self.net, self.opt, self.mse = net, opt, nn.MSELoss()
            self.grad_fn = ops.value_and_grad(self.forward, None, opt.parameters)

        def forward(self, x, y):
            return self.mse(self.net(x), y)

        def construct(self, x, y):
            loss, grads = self.grad_fn(x, y)
            grads = ops.clip_by_global_norm(grads, 0.5)
            return ops.depend(loss, self.opt(grads))

    step = Step()
    losses = [float(step(gs.Tensor(X), gs.Tensor(Y)).asnumpy()) for _ in range(3)]
    np.testing.assert_allclose(losses, MS_LOSSES, rtol=1e-6)


def test_a_read_of_a_stepped_parameter_in_the_same_trace_is_refused(on_real_server):
    net = _dense()
    opt = nn.SGD(net.trainable_params(), learning_rate=0.1)
    vg = ops.value_and_grad(lambda x: ops.sum(net(x)), None, opt.parameters)

    @gs.jit
    def step(x):
        loss, grads = vg(x)
        opt(grads)
        return loss + ops.sum(net.weight)

    with pytest.raises(TypeError, match="'weight'.*after SGD's step"):
        step(gs.Tensor(X))
    np.testing.assert_array_equal(net.weight.asnumpy(), [[1.0, 2.0]])  # (no step was taken)


def test_a_derivative_function_called_in_a_pynative_trace_is_guarded_by_what_it_was_made_of(on_real_server):
    """hvp = ops.grad(lambda v: ops.sum(grad_w()[0] * v), ...) (Newton-CG's, w.r.t. a Parameter): reused while
    grad_w is what it was; a change of what grad_w was made of (its weights list) traces again, with its answer."""
    gs.set_context(mode=gs.PYNATIVE_MODE)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = gs.Parameter(gs.Tensor(np.array([0.5, -1.0, 2.0], np.float32)), name="w")
            self.k = gs.Parameter(gs.Tensor(np.array([1.0, 2.0, 3.0], np.float32)), name="k")

        def construct(self):
            return ops.sum(ops.exp(self.w) * self.k * self.k)

    net = Net()
    weights = [net.w]
    grad_w = ops.grad(net, None, weights)
    hvp = ops.grad(lambda v: ops.sum(grad_w()[0] * v), None, [net.w])
    v = gs.Tensor(np.ones(3, np.float32))
    w, k = net.w.asnumpy(), net.k.asnumpy()
    for _ in range(3):
        np.testing.assert_allclose(hvp(v)[0].asnumpy(), np.exp(w) * k * k, rtol=1e-6)  # d2/dw2 . 1
    before = gs._trace.trace_stats()["traces"]
    for _ in range(3):
        hvp(v)
    assert gs._trace.trace_stats()["traces"] == before
    weights[0] = net.k  # grad_w now gives d/dk = 2 k exp(w), and hvp d/dw of its sum: 2 k exp(w)
    np.testing.assert_allclose(hvp(v)[0].asnumpy(), 2 * k * np.exp(w), rtol=1e-6)
    assert gs._trace.trace_stats()["traces"] > before


def _requests(url: str) -> float:
    text = httpx.get(url + "/metrics", timeout=30).text
    return sum(float(v) for v in re.findall(r"^gradserve_requests_total\{[^}]*\} (\S+)$", text, re.M))


@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_a_schedule_cells_rate_is_computed_here_not_requested(on_real_server, mode):
    """nn.Adam on an ExponentialDecayLR Cell: the schedule's construct runs on the client (eager ops), so a step
    is one request (the gradient's), not two; the weights are MindSpore 2.10's (its venv, the same program)."""
    gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
    rng = np.random.default_rng(5)
    w, x, y = (rng.normal(size=s).astype(np.float32) for s in ((2, 3), (4, 3), (4, 2)))
    net = nn.Dense(3, 2, weight_init=gs.Tensor(w), bias_init="zeros")
    opt = nn.Adam(net.trainable_params(), learning_rate=nn.ExponentialDecayLR(0.01, 0.9, 2))
    mse = nn.MSELoss()
    vg = ops.value_and_grad(lambda a, b: mse(net(a), b), None, opt.parameters)
    ms_weights = [[-0.7919315, -1.3143589, -0.2583616], [-0.7824522, -1.3048736, -0.2678173],
                  [-0.7734709, -1.2958772, -0.2767371]]  # MindSpore 2.10 CPU: weight[0, :3] after steps 1-3
    for want in ms_weights:
        opt(vg(gs.Tensor(x), gs.Tensor(y))[1])
        np.testing.assert_allclose(net.weight.asnumpy()[0], want, rtol=2e-6)
    before = _requests(on_real_server.url)
    for _ in range(3):
        opt(vg(gs.Tensor(x), gs.Tensor(y))[1])
    assert _requests(on_real_server.url) - before == 3


def test_a_schedule_serving_decayed_and_gamma_beta_parameters_is_asked_once_a_step(on_real_server):
    """AdamWeightDecay over a Dense and a LayerNorm (its gamma / beta not decayed: two groups inside, one rate):
    the schedule's construct runs once a step (twice before: 11 eager ops a step more in the Transformer loop);
    the rate reaches both groups (WarmUpLR(0.1, 2): step 1's rate is 0, step 2's 0.05)."""
    calls = []

    class Warm(nn.LearningRateSchedule):
        def construct(self, global_step):
            calls.append(1)
            return 0.1 * ops.minimum(ops.cast(global_step, gs.float32), 2.0) / 2.0

    net = nn.SequentialCell([nn.Dense(2, 2, weight_init="ones", bias_init="zeros"), nn.LayerNorm((2,))])
    opt = nn.AdamWeightDecay(net.trainable_params(), learning_rate=Warm(), weight_decay=0.1)
    grads = tuple(gs.Tensor(np.ones(p.shape, np.float32)) for p in opt.parameters)
    opt(grads)
    np.testing.assert_array_equal(net[1].gamma.asnumpy(), [1.0, 1.0])
    opt(grads)  # gamma: 1 - 0.05 * m / (sqrt(v) + 1e-6), m = 0.19, v = 0.001999 (two steps of g = 1)
    want = 1 - 0.05 * 0.19 / (np.sqrt(0.001999) + 1e-6)
    np.testing.assert_allclose(net[1].gamma.asnumpy(), [want, want], rtol=1e-5)
    assert len(calls) == 2
