"""The paths an L1-style training step takes on every call (benchmarks/LOOPS_REPORT.md, h-l1fast): a captured
Tensor read both by a forward pass and by a gradient inside it (checked once a call for writes), and
value_and_grad's answer (a value and its gradients) made into Tensors, in both modes. Expected values are
closed forms."""
from __future__ import annotations

import numpy as np
import pytest

import gradserve as gs
from gradserve import _trace, nn, ops

MODES = {"graph": gs.GRAPH_MODE, "pynative": gs.PYNATIVE_MODE}


class _Scaled(nn.Cell):
    """e(x) = sum(s * x * x), s a captured Tensor (not a Parameter): a constant of the trace."""

    def __init__(self, s: float):
        super().__init__()
        self.s = gs.Tensor(np.array([s], np.float32))

    def construct(self, x):
        return ops.sum(self.s * x * x)


def _energy_and_forces(net):
    """loss(x) = e(x) + sum(f * f), f = de/dx = 2 s x: the forward and its inner gradient both read s.
    loss = s |x|^2 + 4 s^2 |x|^2; dloss/dx = (2 s + 8 s^2) x."""
    def forward(x):
        f = ops.grad(net)(x)
        return net(x) + ops.sum(f * f)
    return forward


@pytest.mark.parametrize("mode", MODES)
def test_a_captured_tensor_read_twice_is_one_constant_and_a_write_through_asnumpy_is_seen(fake, mode):
    gs.set_context(mode=MODES[mode])
    net = _Scaled(2.0)
    forward = _energy_and_forces(net)
    x = np.array([1.0, -2.0, 0.5], np.float32)
    prog, _ = _trace.trace_program(forward, [gs.Tensor(x)])
    captured = [a for t, a, _ in prog.root.const_data if t is net.s]
    assert len(captured) == 1  # (read by the forward and by the inner grad's trace: recorded once)
    vg = ops.value_and_grad(forward)
    sq = float(np.sum(x * x))
    for s in (2.0, 3.0, -0.5):
        if s != 2.0:
            net.s.asnumpy()[...] = s  # MindSpore's asnumpy() shares the Tensor's memory: the next call sees s
        for _ in range(2):  # (the second call: the cached trace, checked for writes)
            loss, g = vg(gs.Tensor(x))
            np.testing.assert_allclose(loss.asnumpy(), s * sq + 4 * s * s * sq, rtol=1e-6)
            np.testing.assert_allclose(g.asnumpy(), (2 * s + 8 * s * s) * x, rtol=1e-6)


class _Affine(nn.Cell):
    """y = sum(w * x) + b, w of shape (3,), b 0-d: gradients of two shapes, one 0-d."""

    def __init__(self):
        super().__init__()
        self.w = gs.Parameter(gs.Tensor(np.array([1.0, 2.0, 3.0], np.float32)), name="w")
        self.b = gs.Parameter(gs.Tensor(np.array(0.5, np.float32)), name="b")

    def construct(self, x):
        return ops.sum(self.w * x) + self.b


@pytest.mark.parametrize("mode", MODES)
def test_value_and_grad_answers_keep_their_structure(fake, mode):
    gs.set_context(mode=MODES[mode])
    net = _Affine()
    w, b = net.w.asnumpy().copy(), float(net.b.asnumpy())
    x = np.array([0.5, -1.0, 2.0], np.float32)
    y = float(np.dot(w, x) + b)
    for _ in range(2):  # (the first call traces, the second reuses the trace)
        # weights only: (value, (dw, db))
        loss, (gw, gb) = ops.value_and_grad(net, None, net.trainable_params())(gs.Tensor(x))
        assert loss.shape == () and gw.shape == (3,) and gb.shape == ()
        np.testing.assert_allclose(loss.asnumpy(), y, rtol=1e-6)
        np.testing.assert_allclose(gw.asnumpy(), x)
        assert float(gb.asnumpy()) == 1.0
        # one input and the weights: (value, (dx, (dw, db)))
        loss, (gx, (gw, gb)) = ops.value_and_grad(net, 0, net.trainable_params())(gs.Tensor(x))
        np.testing.assert_allclose(gx.asnumpy(), w)
        np.testing.assert_allclose(gw.asnumpy(), x)
        assert gb.shape == ()
        # has_aux: ((value, aux), dx)
        fn = lambda t: (ops.sum(t * t), t * 2)  # noqa: E731
        (v, aux), gx = ops.value_and_grad(fn, 0, has_aux=True)(gs.Tensor(x))
        np.testing.assert_allclose(v.asnumpy(), np.sum(x * x), rtol=1e-6)
        np.testing.assert_allclose(aux.asnumpy(), 2 * x)
        np.testing.assert_allclose(gx.asnumpy(), 2 * x)


def _walked(value, shapes):
    """_conform's general walk (its answer when the counts differ: _wrap)."""
    at = [0]
    out = _trace._conformed(value, shapes, at)
    return out if at[0] == len(shapes) else _trace._wrap(value)


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype and \
        np.array_equal(a.asnumpy(), b.asnumpy())


def _ones(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


@pytest.mark.parametrize("value, shapes", [
    ((_ones(1), (_ones(2, 3), _ones(3))), [((), 1), ((2, 3), 6), ((3,), 3)]),  # reshaped where sizes agree
    ((_ones(), (_ones(6), _ones(3))), [((), 1), ((2, 3), 6), ((3,), 3)]),
    ((_ones(), ()), [((), 1)]),  # no gradients
    ((_ones(), (_ones(2),)), [((), 1)]),  # more arrays than shapes: the walk's _wrap
    ((_ones(), (_ones(2), (_ones(1),))), [((), 1), ((2,), 2), ((1,), 1)]),  # nested deeper: the walk
    ((_ones(), _ones(4)), [((), 1), ((2, 2), 4), ((1,), 1)]),  # fewer arrays than shapes
    ((_ones(2), (_ones(2), _ones(2))), [((2,), 2), ((1, 2), 2), None]),  # a shape not known: the walk
])
def test_value_and_grads_conformed_as_the_walk_gives_them(value, shapes):
    assert _same(_trace._conform(value, shapes), _walked(value, shapes))


def test_sgd_steps_take_each_steps_learning_rate_through_its_memo():
    """nn.SGD's plain step keeps the last step's rate as a 0-d array (_plain_step's memo): a rate changed
    between steps (set_data on `learning_rate`, a dynamic rate's next value) is the next step's, and one set
    to the same value again reuses it. Closed forms (powers of two: exact in float32)."""
    w = gs.Parameter(gs.Tensor(np.array([1.0, 2.0], np.float32)), name="w")
    g = (gs.Tensor(np.array([1.0, -1.0], np.float32)),)
    opt = nn.SGD([w], learning_rate=0.5)
    steps = [(None, [0.5, 2.5]), (0.25, [0.25, 2.75]), (0.25, [0.0, 3.0]), (-0.5, [0.5, 2.5]), (0.0, [0.5, 2.5])]
    for lr, want in steps:
        if lr is not None:
            opt.learning_rate.set_data(gs.Tensor(np.array(lr, np.float32)))
        opt(g)
        assert w.asnumpy().tolist() == want
    dyn = gs.Parameter(gs.Tensor(np.array([1.0, 2.0], np.float32)), name="dyn")
    opt = nn.SGD([dyn], learning_rate=[0.5, 0.25, 0.125])  # (step t's rate is lr[t], the last after the end)
    for want in ([0.5, 2.5], [0.25, 2.75], [0.125, 2.875], [0.0, 3.0]):
        opt(g)
        assert dyn.asnumpy().tolist() == want
