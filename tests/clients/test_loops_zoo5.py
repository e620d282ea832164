"""Round 5's held-out loops (benchmarks/loops_zoo5.py: FGSM adversarial training, forward gradient descent by
ops.jvp, DANN's gradient reversal by a custom bprop, distillation with KLDivLoss + label smoothing under grouped
weight decay, a TextCNN, a GRU by truncated BPTT with its state carried, a GeneratorDataset-fed loop on a
PolynomialDecayLR, Sinkhorn point fitting) are in test_loops_zoo.py's one twin / no-retrace test (its LOOPS).

Here: a function made afresh each PyNative step that closes over the step's data Tensors (JAX's idiom:
`ops.grad(lambda w: loss(w, x))(w)`; with ops.jvp the data cannot be an argument, every input is differentiated)
took the data as constants of its trace: a trace and a compile miss every step. Now those closure Tensors are the
program's inputs (gradserve._lifted): no trace after the warm-up, and each step's numbers are that step's data's
(NumPy's, by hand: a trace reused with the first step's data would give the first step's numbers)."""
from __future__ import annotations

import numpy as np
import pytest

import gradserve as gs
from gradserve import ops, Tensor

STEPS = 8
WARM = 3  # (a function made afresh each step: its own trace, then its twins' shared one, guarded from its second)


def _traces() -> int:
    return gs._trace.trace_stats()["traces"]


def _data(rng, n=4):
    return rng.normal(size=n).astype(np.float32)


@pytest.mark.parametrize("kind", ["grad", "value_and_grad", "jvp", "vjp"])
def test_a_closure_over_each_steps_data_is_an_input_not_a_constant(on_real_server, kind):
    gs.set_context(mode=gs.PYNATIVE_MODE)
    rng = np.random.default_rng(3)
    w = Tensor(_data(rng))
    for i in range(STEPS):
        if i == WARM:
            before = _traces()
        xn, yn = _data(rng), _data(rng)
        x, y = Tensor(xn), Tensor(yn)
        wn = w.asnumpy()
        f = lambda a: ops.sum(ops.square(a * x - y))  # noqa: E731 - the user's idiom
        d = 2 * (wn * xn - yn) * xn  # d/dw of sum((w x - y)^2), by hand
        if kind == "grad":
            got = ops.grad(f)(w).asnumpy()
        elif kind == "value_and_grad":
            v, g = ops.value_and_grad(f)(w)
            np.testing.assert_allclose(v.asnumpy(), np.sum((wn * xn - yn) ** 2), rtol=1e-5)
            got = g.asnumpy()
        elif kind == "jvp":  # along y's values (another Tensor): d . y
            v, t = ops.jvp(f, w, Tensor(yn))
            np.testing.assert_allclose(v.asnumpy(), np.sum((wn * xn - yn) ** 2), rtol=1e-5)
            got, d = t.asnumpy(), np.sum(d * yn)
        else:
            v, pullback = ops.vjp(f, w)
            got = pullback(Tensor(np.float32(1.0)))[0].asnumpy()
        np.testing.assert_allclose(got, d, rtol=1e-5, atol=1e-6, err_msg=f"step {i}")
        w = Tensor(wn - 0.01 * (2 * (wn * xn - yn) * xn))
    assert _traces() - before == 0


def test_a_lifted_capture_read_as_a_value_is_read_each_step(on_real_server):
    """The function branches on its captured data's value (Python's if): each step takes its data's branch (the
    value read of an input: the trace is specialised, not reused with another step's branch)."""
    gs.set_context(mode=gs.PYNATIVE_MODE)
    w = Tensor(np.ones(2, np.float32))
    for s in [1.0, -1.0, 2.0, -3.0, 1.0]:
        x = Tensor(np.array([s, s], np.float32))

        def loss(a):
            return ops.sum(a * x) if float(ops.sum(x).asnumpy()) > 0 else ops.sum(a * a * x)

        want = np.full(2, s) if s > 0 else 2 * w.asnumpy() * s
        np.testing.assert_allclose(ops.grad(loss)(w).asnumpy(), want, rtol=1e-6)


def test_a_capture_of_another_shape_traces_again_with_its_numbers(on_real_server):
    gs.set_context(mode=gs.PYNATIVE_MODE)
    w = Tensor(np.float32(2.0))
    for n in [3, 3, 5, 3, 5, 5]:
        xn = np.arange(1, n + 1, dtype=np.float32)
        x = Tensor(xn)
        np.testing.assert_allclose(ops.grad(lambda a: ops.sum(ops.exp(a * x)))(w).asnumpy(),
                                   np.sum(xn * np.exp(2.0 * xn)), rtol=1e-5)


def test_a_capture_that_is_the_argument_keeps_pynatives_answer(on_real_server):
    """d/da (a * x).sum() at a = x, x captured and passed: MindSpore 2.10's PyNative gives 2x (its venv; see
    test_pynative_captured_arg); not lifted (that would be a constant's derivative, x)."""
    gs.set_context(mode=gs.PYNATIVE_MODE)
    for k in range(4):
        x = Tensor(np.array([1.0, 2.0], np.float32) + k)
        np.testing.assert_allclose(ops.grad(lambda a: ops.sum(a * x))(x).asnumpy(), 2 * x.asnumpy(), rtol=1e-6)
