"""Gradient hooks in higher-order PyNative grads (round 6), against MindSpore 2.10 (CPU, PyNative; /work/msvenv,
run for this task: each expected value and call log below is what it printed; logs rounded to 4 decimals).

- a vjp of a grad whose function has a hook that reads and changes its gradient: MindSpore's forward call runs the
  first pass (its hooks called there), vjp_fn the second (gradserve refused it: the vjp_fn's run left out the first
  pass);
- a reading hook closing over a number new on every call (a step count) is no new hook (gradserve ran the grad of
  a grad once more each call to find out what it does).
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

from clients.test_hooks_read_and_change import _chain
from clients.test_hooks_round5 import XV, Y1X5, Z1, _sin_chain

pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service


def _sin_chain_own_hooks(log):
    """test_hooks_read_and_change's _chain: z's hook (records, returns 5 g) and y's (records) are two functions."""
    return _chain(log, True)


@pytest.mark.parametrize("make", [lambda log: _sin_chain(log, "readchange", "read"), _sin_chain_own_hooks])
@pytest.mark.parametrize("sens, want, log", [
    ([1.0, 1.0], [-0.62035, 81.86979], [("z", [1.0, 1.0]), ("y", [-5.7132, 27.0039])]),
    ([1.0, 10.0], [-0.62035, 818.69781], [("z", [1.0, 10.0]), ("y", [-5.7132, 270.0388])])])
def test_a_vjp_of_a_grad_with_a_reading_and_changing_hook(pynative, make, sens, want, log):
    """z's hook records and returns 5 g, y's records (test_hooks_round5's third row; one factory's hooks, or two
    functions): MindSpore's forward call of the vjp runs the grad, the first pass (z [1, 2], y 5 x cos(y)), vjp_fn
    the second with the sens given; with sens [1, 1] the answer is grad(grad(f))'s. Twice: the first vjp where
    the hook's code is new (its forward call, a vjp's, calls a hook that reads its gradient traced with its values
    in a rerun: vjp_fn emits the ops it traced; it called the hook again, its log one entry longer, z [1, 2] again,
    before round 7), then known: the log is MindSpore's both times."""
    for _ in range(2):
        got = []
        out, vjp_fn = ms.vjp(lambda x: ms.grad(make(got))(x), Tensor(XV))
        np.testing.assert_allclose(out.asnumpy(), [6.2444935, -26.902546], rtol=1e-5)  # f' (MindSpore; _chain)
        assert [t for t, _ in got] == ["z", "y"]
        (g,) = vjp_fn(Tensor(np.array(sens, np.float32)))
        np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-5, atol=5e-4)
        assert [t for t, _ in got] == ["z", "y"] + [t for t, _ in log]
        for (_, v), (_, w) in zip(got, [Z1, Y1X5] + log):
            np.testing.assert_allclose(v, w, atol=2e-4)


def _cubed_times_x(log, tag):
    """f = sum(y x), y = x^3 hooked by a recorder closing over tag: y's gradient x = [1, 2], f' = 4x^3 = [4, 32],
    the second pass's at y [1, 1], f'' = 12x^2 = [12, 48] (MindSpore 2.10, whatever the tag)."""
    def f(x):
        y = x ** 3
        y.register_hook(lambda g: log.append((tag, g.asnumpy().tolist())))
        return (y * x).sum()
    return f


def test_a_reading_hook_closing_over_a_changing_number_costs_no_extra_run(pynative, monkeypatch):
    """A recorder closing over a step number new on every call (a training loop's) is no new hook: after its
    code's first call each grad of a grad runs the program as often as one whose number stays the same (gradserve
    ran it once more each call, the hook taken as new). Gradients and logs: MindSpore 2.10's."""
    from gradserve import _trace
    runs = []
    real = _trace._run
    monkeypatch.setattr(_trace, "_run", lambda *a, **k: (runs.append(1), real(*a, **k))[1])

    def runs_of(tag):
        log = []
        runs.clear()
        got = ms.grad(ms.grad(_cubed_times_x(log, tag)))(Tensor(XV)).asnumpy()
        np.testing.assert_allclose(got, [12.0, 48.0])
        assert log == [(tag, [1.0, 2.0]), (tag, [1.0, 1.0])]
        return len(runs)
    runs_of(0)  # (the code's first call: found to read its gradient)
    steady = runs_of(0)
    assert [runs_of(step) for step in range(1, 4)] == [steady] * 3


def test_a_hook_whose_number_makes_it_change_its_gradient_runs_once(pynative):
    """One factory's hook closing over scale: None records, 3 records and returns 3 g; the recorder's calls do not
    make the changer a known recorder (it would run twice: its number's kind, None or int, tells them apart).
    f = sum(y x), y = x^3; the changer's: f'' = [36, 144], the hook seeing x = [1, 2], then [1, 1] (MindSpore 2.10;
    its 3 g in both passes: 3 times the recorder's 12x^2)."""
    def make(log, scale):
        def f(x):
            y = x ** 3

            def hook(g):
                log.append(g.asnumpy().tolist())
                return None if scale is None else g * scale
            y.register_hook(hook)
            return (y * x).sum()
        return f
    for _ in range(2):
        log = []
        np.testing.assert_allclose(ms.grad(ms.grad(make(log, None)))(Tensor(XV)).asnumpy(), [12.0, 48.0])
        assert log == [[1.0, 2.0], [1.0, 1.0]]
    log = []
    np.testing.assert_allclose(ms.grad(ms.grad(make(log, 3)))(Tensor(XV)).asnumpy(), [36.0, 144.0])
    assert log == [[1.0, 2.0], [1.0, 1.0]]


def test_a_vjp_of_a_grad_with_two_reading_and_changing_hooks(pynative):
    """z's and y's hooks both record and return 5 g, sens [1, 10] (MindSpore 2.10: forward z [1, 2], y [2.7015,
    -6.5364], f' = [27.8566, -131.4855]; vjp_fn [-339.690, 28311.17], z [1, 10], y [-39.372, 1480.9229]). Twice
    (the hooks' code new in the first forward, as above): MindSpore's log both times."""
    for _ in range(2):
        got = []
        out, vjp_fn = ms.vjp(lambda x: ms.grad(_sin_chain(got, "readchange", "readchange"))(x), Tensor(XV))
        np.testing.assert_allclose(out.asnumpy(), [27.856585, -131.48553], rtol=1e-5)
        (g,) = vjp_fn(Tensor(np.array([1.0, 10.0], np.float32)))
        np.testing.assert_allclose(g.asnumpy(), [-339.690125, 28311.17], rtol=1e-5)
        want = [Z1, Y1X5, ("z", [1.0, 10.0]), ("y", [-39.372, 1480.9229])]
        assert [t for t, _ in got] == [t for t, _ in want]
        for (_, v), (_, w) in zip(got, want):
            np.testing.assert_allclose(v, w, atol=2e-4)
