"""A gradient hook that reads its gradient's values and returns a new gradient, against MindSpore 2.10 (CPU,
PyNative; /work/msvenv, run for this task: each expected value and call log below is what it printed).

MindSpore calls such a hook once per backward pass with the gradient reaching its point, and the gradient it
returns flows on. gradserve runs the grad call again for it (the values exist only once a run is over): each
test checks the gradients, the values the hook saw and how many times it ran. Each value is also derived by
hand in its docstring. GRAPH_MODE refuses such a hook (MindSpore's compiler raises too).
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

from clients._hook_cells import SquareSum

pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service

XV = np.array([1.0, 2.0], np.float32)


def _tripling(seen):
    """f(x) = sum(y * y), y = x^2 hooked by g -> 3g after recording g: f' = 3 * 2y * 2x = 12x^3."""
    def f(x):
        y = x ** 2

        def hook(g):
            seen.append(g.asnumpy().tolist())
            return g * 3
        y.register_hook(hook)
        return (y * y).sum()
    return f


def test_a_tensor_hook_reading_and_tripling_its_gradient(pynative):
    seen = []
    f = _tripling(seen)
    for _ in range(2):  # (the second call: its code known to read and change, it still runs once)
        np.testing.assert_allclose(ms.grad(f)(Tensor(XV)).asnumpy(), [12.0, 96.0])  # MindSpore; 12x^3
        assert seen == [[2.0, 8.0]]  # MindSpore: once, with 2y
        seen.clear()


def test_in_a_grad_of_a_grad_it_runs_in_both_passes(pynative):
    """The second pass brings y 12x (f' = 12 y x), which the hook triples too: f'' = 36x * 2x + 12y = 84x^2. (A
    first-order call first: gradserve knows the hook's code changes its gradient from then on, see below.)"""
    seen = []
    f = _tripling(seen)
    ms.grad(f)(Tensor(XV))
    seen.clear()
    for _ in range(2):
        np.testing.assert_allclose(ms.grad(ms.grad(f))(Tensor(XV)).asnumpy(), [84.0, 336.0])  # MindSpore
        assert seen == [[2.0, 8.0], [12.0, 24.0]]  # MindSpore
        seen.clear()


def test_a_constant_made_from_the_read_values_cuts_the_second_pass(pynative):
    """Tensor(g.asnumpy() * 3): a constant of the backward, so f' = 6x^2 * 2x has only x's own path: f'' = 12 *
    [1, 4] = [12, 48], and the second pass never reaches y (MindSpore: one call)."""
    seen = []

    def f(x):
        y = x ** 2

        def hook(g):
            seen.append(g.asnumpy().tolist())
            return Tensor(g.asnumpy() * 3)
        y.register_hook(hook)
        return (y * y).sum()
    np.testing.assert_allclose(ms.grad(f)(Tensor(XV)).asnumpy(), [12.0, 96.0])
    assert seen == [[2.0, 8.0]]
    seen.clear()
    np.testing.assert_allclose(ms.grad(ms.grad(f))(Tensor(XV)).asnumpy(), [12.0, 48.0])  # MindSpore
    assert seen == [[2.0, 8.0]]


def _chain(log, change_z):
    """f(x) = sum(sin(y) * x), y = x^2: z = sin(y) hooked (g -> 5g when change_z, after recording), y hooked by a
    recorder. z's gradient is x; y's is 5x cos(y) (z's hook upstream of it in the backward)."""
    def f(x):
        y = x ** 2
        y.register_hook(lambda g: log.append(("y", g.asnumpy().round(4).tolist())))
        z = ops.sin(y)

        def hz(g):
            log.append(("z", g.asnumpy().round(4).tolist()))
            return g * 5 if change_z else None
        z.register_hook(hz)
        return (z * x).sum()
    return f


def test_a_hook_upstream_sees_the_changed_gradient(pynative):
    """f' = 5x cos(y) * 2x + sin(y) = [6.2444935, -26.902546] (MindSpore); log z then y, once each."""
    log = []
    x = XV.astype(np.float64)
    got = ms.grad(_chain(log, True))(Tensor(XV)).asnumpy()
    np.testing.assert_allclose(got, 10 * x * x * np.cos(x * x) + np.sin(x * x), rtol=1e-5)
    np.testing.assert_allclose(got, [6.2444935, -26.902546], rtol=1e-5)
    assert [t for t, _ in log] == ["z", "y"]
    np.testing.assert_allclose(log[1][1], [2.7015, -6.5364], atol=1e-4)  # MindSpore's; 5x cos(x^2)


def test_in_a_grad_of_a_grad_upstream_and_downstream(pynative):
    """MindSpore's second derivative [-0.6203499, 81.86979] and log z [1, 2], y [2.7015, -6.5364] (first pass),
    z [1, 1], y [-5.7132, 27.0039] (second), z's hook known to change its gradient (a first-order call first)."""
    log = []
    f = _chain(log, True)
    ms.grad(f)(Tensor(XV))
    log.clear()
    got = ms.grad(ms.grad(f))(Tensor(XV)).asnumpy()
    x = XV.astype(np.float64)
    # f' = 5x cos(y) 2x + z: its x terms give 20x cos(y) - 20x^3 sin(y); z's, through z's hook again (the second
    # pass brings z 1, made 5 by it), 5 cos(y) 2x
    np.testing.assert_allclose(got, 30 * x * np.cos(x * x) - 20 * x ** 3 * np.sin(x * x), rtol=1e-4)
    np.testing.assert_allclose(got, [-0.6203499, 81.86979], rtol=1e-4)
    want = [("z", [1.0, 2.0]), ("y", [2.7015, -6.5364]), ("z", [1.0, 1.0]), ("y", [-5.7132, 27.0039])]
    assert [t for t, _ in log] == [t for t, _ in want]
    for (_, g), (_, w) in zip(log, want):
        np.testing.assert_allclose(g, w, atol=2e-4)


def test_its_first_call_in_a_grad_of_a_grad_runs_it_once(pynative):
    """A hook whose code gradserve has not seen: a grad of a grad's first pass calls it while traced in a rerun,
    its values known (the second pass differentiates what it returns), and a later run emits the ops it traced
    then instead of calling it again: once a pass, as MindSpore (whose log is [2, 8], [12, 24] each time; gradserve
    ran it twice the first time); the gradients are MindSpore's [84, 336] throughout."""
    seen = []

    def f(x):  # (its hook's code is this test's alone: its first call is this test's)
        y = x ** 2
        y.register_hook(lambda g: (seen.append(g.asnumpy().tolist()), g * 3)[1])
        return (y * y).sum()
    for _ in range(2):
        np.testing.assert_allclose(ms.grad(ms.grad(f))(Tensor(XV)).asnumpy(), [84.0, 336.0])
        assert seen == [[2.0, 8.0], [12.0, 24.0]]
        seen.clear()


def test_hook_backward_reading_and_changing(pynative):
    """ops.HookBackward's hook gets (g,) and returns g * 3: as the Tensor hook (MindSpore: [12, 96], one call)."""
    seen = []

    def hook(g):
        seen.append(g[0].asnumpy().tolist())
        return g[0] * 3
    hb = ops.HookBackward(hook)

    def f(x):
        y = hb(x ** 2)
        return (y * y).sum()
    np.testing.assert_allclose(ms.grad(f)(Tensor(XV)).asnumpy(), [12.0, 96.0])
    assert seen == [[2.0, 8.0]]
    seen.clear()
    np.testing.assert_allclose(ms.grad(ms.grad(f))(Tensor(XV)).asnumpy(), [84.0, 336.0])
    assert seen == [[2.0, 8.0], [12.0, 24.0]]


def test_cell_backward_hooks_reading_and_changing(pynative):
    """Sq(x) = x^2 in sum(Sq(x)^2): grad_output 2y = [2, 8], grad_input 4x^3 = [4, 32]; the hook's 10 * grad_input
    is the gradient: 40x^3 (MindSpore [40, 320]). A backward pre hook's 10 * grad_output: the same."""
    net, seen = SquareSum(2), []

    def hook(cell, gi, go):
        seen.append((gi[0].asnumpy().tolist(), go[0].asnumpy().tolist()))
        return (gi[0] * 10,)
    net.inner.register_backward_hook(hook)
    np.testing.assert_allclose(ms.grad(net)(Tensor(XV)).asnumpy(), [40.0, 320.0])
    assert seen == [([4.0, 32.0], [2.0, 8.0])]
    net2, pre_seen = SquareSum(2), []

    def pre(cell, go):
        pre_seen.append(go[0].asnumpy().tolist())
        return (go[0] * 10,)
    net2.inner.register_backward_pre_hook(pre)
    np.testing.assert_allclose(ms.grad(net2)(Tensor(XV)).asnumpy(), [40.0, 320.0])
    assert pre_seen == [[2.0, 8.0]]


def test_an_input_hook_and_sens_param(pynative):
    """x hooked by g -> 7g in grad(sum(x^3)): 7 * 3x^2 = [21, 84]; y = x^2 hooked by g -> 2g under a sens [1, 10]
    of 3y: y's gradient 3 * sens = [3, 30], x's 2 * [3, 30] * 2x = [12, 240] (MindSpore, both)."""
    seen = []
    x = Tensor(XV)
    handle = x.register_hook(lambda g: (seen.append(g.asnumpy().tolist()), g * 7)[1])
    np.testing.assert_allclose(ms.grad(lambda t: (t * t * t).sum())(x).asnumpy(), [21.0, 84.0])
    assert seen == [[3.0, 12.0]]
    handle.remove()
    seen.clear()

    def f(t):
        y = t ** 2
        y.register_hook(lambda g: (seen.append(g.asnumpy().tolist()), g * 2)[1])
        return y * 3
    got = ops.GradOperation(sens_param=True)(f)(Tensor(XV), Tensor(np.array([1.0, 10.0], np.float32)))
    np.testing.assert_allclose(got.asnumpy(), [12.0, 240.0])
    assert seen == [[3.0, 30.0]]


def test_graph_mode_refuses_it():
    """MindSpore 2.10's GRAPH_MODE compile raises on this hook (ValueError there); gradserve says why."""
    ms.set_context(mode=ms.GRAPH_MODE)
    with pytest.raises(RuntimeError, match="read its gradient's value and returned a new gradient"):
        ms.grad(_tripling([]))(Tensor(XV))


def test_a_grad_call_that_writes_state_is_refused():
    """Run twice, a call writing a Parameter would write it twice: refused by name (MindSpore runs it once)."""
    class Counting(nn.Cell):
        def __init__(self):
            super().__init__()
            self.n = Parameter(Tensor(np.zeros(1, np.float32)), name="n", requires_grad=False)

        def construct(self, x):
            ops.assign_add(self.n, Tensor(np.ones(1, np.float32)))
            y = x ** 2
            y.register_hook(lambda g: g * float(g.asnumpy().sum()))
            return (y * y).sum()
    ms.set_context(mode=ms.PYNATIVE_MODE)
    try:
        net = Counting()
        with pytest.raises(RuntimeError, match="in a grad call that writes a Parameter"):
            ms.grad(net)(Tensor(XV))
    finally:
        ms.set_context(mode=ms.GRAPH_MODE)


def test_a_grad_call_that_draws_random_values_is_refused(pynative):
    """Run twice, a Dropout would draw a second mask (the hook's values would be the first run's): refused by name
    (MindSpore, running once, takes the hook's gradient)."""
    class Dropped(nn.Cell):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(p=0.5)

        def construct(self, x):
            y = self.drop(x * 2)
            y.register_hook(lambda g: g * float(g.asnumpy().sum() + 1))
            return (y * y).sum()
    net = Dropped()
    net.set_train(True)
    with pytest.raises(RuntimeError, match="in a grad call that draws random values"):
        ms.grad(net)(Tensor(np.ones(4, np.float32)))


def test_vjp_runs_a_reading_hook_in_its_backward_only(pynative):
    """ms.vjp's forward call is forward-only: MindSpore calls no hook there (gradserve's traced it and refused the
    read), and vjp_fn's backward calls it once: a reader sees [2, 8]; the tripling one gives 12x^3 = [12, 96]."""
    seen = []

    def reading(x):
        y = x ** 2
        y.register_hook(lambda g: seen.append(g.asnumpy().tolist()))
        return (y * y).sum()
    out, vjp_fn = ms.vjp(reading, Tensor(XV))
    np.testing.assert_allclose(out.asnumpy(), 17.0)
    assert seen == []
    (g,) = vjp_fn(Tensor(np.array(1.0, np.float32)))
    np.testing.assert_allclose(g.asnumpy(), [4.0, 32.0])
    assert seen == [[2.0, 8.0]]
    seen.clear()
    (g,) = ms.vjp(_tripling(seen), Tensor(XV))[1](Tensor(np.array(1.0, np.float32)))
    np.testing.assert_allclose(g.asnumpy(), [12.0, 96.0])  # MindSpore
    assert seen == [[2.0, 8.0]]
