"""Round 4's held-out loops (benchmarks/loops_zoo4.py: WGAN-GP with a detached generator and an input-gradient
penalty, a DDPM training step in TrainOneStepCell, DDPM ancestral sampling by an @jit step, PPO's clipped objective
after Gumbel-max categorical draws, a RealNVP flow in a CellList, a float64 Gaussian process by Cholesky, a learned
optimizer's hypergradient through an inner SGD step, amp O2 with a dynamic loss scale in float16) on the shared real
server, small: each step's numbers equal the loop's JAX / PyTorch twin's, and after the warm-up steps no step traces
again nor misses the server's compile cache."""
from __future__ import annotations

import pytest

import gradserve as gs

pytest.importorskip("jax")
pytest.importorskip("torch")

from benchmarks import loops_zoo4 as LZ4  # noqa: E402

# (each loop against its twin, no retrace and no compile miss after the warm-up: test_loops_zoo's one test, whose
# LOOPS holds this round's too)


def test_the_mixed_precision_loop_overflows_then_recovers(on_real_server):
    """The amp loop is not vacuous: its first steps overflow in float16 (skipped, the scale halved) and later
    steps do not (the scale grown back every 4 finite steps), on both sides alike (checked step by step above)."""
    loop = LZ4.amp_o2_dynamic_scale(gs, small=True)
    gs.set_context(mode=gs.GRAPH_MODE)
    flags = [loop.sdk(i)[1] for i in range(12)]
    assert flags[0] == 1.0 and 0.0 in flags[1:], flags


@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_set_train_at_each_epoch_keeps_the_traces(on_real_server, mode):
    """`net.set_train()` at the start of each epoch (MindSpore's idiom) left a retrace an epoch for a Cell called
    itself (its traces were dropped even when its mode did not change); a change of mode still takes its own trace
    (eval: Dropout passes x)."""
    import numpy as np

    nn, Tensor = gs.nn, gs.Tensor
    gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
    net = nn.SequentialCell([nn.Dense(4, 4, weight_init="ones", bias_init="zeros"), nn.Dropout(p=0.5)])
    loss = nn.WithLossCell(net, nn.MSELoss())
    step = nn.TrainOneStepCell(loss, nn.SGD(net.trainable_params(), learning_rate=0.0))
    x, y = Tensor(np.ones((8, 4), np.float32)), Tensor(np.zeros((8, 4), np.float32))
    for _ in range(2):
        step.set_train()
        step(x, y), loss(x, y), loss(x, y)
    traces = gs._trace.trace_stats()["traces"]
    for _ in range(3):
        step.set_train()
        step(x, y), loss(x, y), loss(x, y)
    assert gs._trace.trace_stats()["traces"] == traces
    loss.set_train(False)
    assert float(loss(x, y).asnumpy()) == 16.0  # (no dropout: each output 4, lr 0 kept the weights)
    assert gs._trace.trace_stats()["traces"] > traces


def test_a_0d_float64_parameter_stays_float64_under_an_optimizer(on_real_server):
    """A Gaussian process's log-variance as a 0-d float64 Parameter under nn.Adam: its update was NumPy's float64
    scalar, sent as float32 on the next request (400 shape_error 'expected float64[], got float32[]'). (MindSpore
    2.10's Adam refuses float64 gradients outright; gradserve steps them, its beta powers in float32 as MindSpore's.)"""
    import numpy as np

    nn, ops, Tensor, P = gs.nn, gs.ops, gs.Tensor, gs.Parameter
    gs.set_context(mode=gs.PYNATIVE_MODE)

    class Scale(nn.Cell):
        def __init__(self):
            super().__init__()
            self.log_s = P(Tensor(np.array(0.0)), name="log_s")

        def construct(self, x):
            return ops.sum(ops.square(x * ops.exp(self.log_s) - 2.0))

    net = Scale()
    opt = nn.Adam(net.trainable_params(), learning_rate=0.1)
    vg = ops.value_and_grad(net, None, opt.parameters)
    x = Tensor(np.ones(3))
    for i in range(3):
        loss, g = vg(x)
        opt(g)
        assert net.log_s.asnumpy().dtype == np.float64 and net.log_s.shape == ()
    # Adam's first steps move by ~lr each (m / sqrt(v) ~ 1 while the gradient keeps its sign): 3 steps ~ 0.3
    assert 0.25 < float(net.log_s.asnumpy()) < 0.31


def test_an_op_object_on_a_cell_keeps_a_pynative_trace_and_its_attributes_guard_it(on_real_server):
    """`self.mm = ops.MatMul()` (MindSpore's idiom): a PyNative step was traced on every call (an op object could
    not be guarded: 30 traces in 30 steps); now its attributes are, by identity: a change of one traces again (here
    ops.Uniform's maxval, which the traced draw read: a reused trace would draw from the old range)."""
    import numpy as np

    nn, ops, Tensor = gs.nn, gs.ops, gs.Tensor
    gs.set_context(mode=gs.PYNATIVE_MODE)
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]], np.float32)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.mm = ops.MatMul(transpose_b=True)
            self.u = ops.Uniform(minval=0.0, maxval=1.0)

        def construct(self, x, y):
            return self.mm(x, y) + self.u(ops.zeros((2, 2), gs.float32)) * 0.0, self.u(ops.zeros((500,), gs.float32))

    net = Net()
    for _ in range(2):
        net(Tensor(a), Tensor(b))
    traces = gs._trace.trace_stats()["traces"]
    for _ in range(3):
        prod, u = net(Tensor(a), Tensor(b))
        np.testing.assert_allclose(prod.asnumpy(), a @ b.T)
        assert 0.0 <= u.asnumpy().min() and u.asnumpy().max() < 1.0
    assert gs._trace.trace_stats()["traces"] == traces
    net.u.maxval = 10.0
    u = net(Tensor(a), Tensor(b))[1].asnumpy()
    assert u.max() > 1.0 and u.max() < 10.0  # (500 draws of U[0, 10): none above 1 has probability 10**-500)
    assert gs._trace.trace_stats()["traces"] > traces
