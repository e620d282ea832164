"""PyNative hooks and PyNative's gradient of one Tensor passed twice, against MindSpore 2.10.

Expected values are MindSpore 2.10's (CPU, run for this task); each is also what the chain rule gives by
hand, noted per case. Net: N(x, y) = M(x * w, y) + 1 with M(a, b) = 3ab and w = 2, at x = 1, y = 5.
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

from clients._hook_cells import M, N, Squared, X, Y  # noqa: F401

pytestmark = pytest.mark.usefixtures("on_real_server")  # grads run on the service

def grads(net):
    (gx, gy), (gw,) = ms.grad(net, grad_position=(0, 1), weights=net.trainable_params())(X, Y)
    return [float(gx.asnumpy()[0]), float(gy.asnumpy()[0]), float(gw.asnumpy()[0])]


def test_cell_backward_hooks_replace_the_gradients(pynative):
    n = N()
    assert grads(n) == [30.0, 6.0, 15.0]          # d/dx = 3yw, d/dy = 3xw, d/dw = 3xy
    h = n.m.register_backward_hook(lambda cell, grad_in, grad_out: tuple(g * 10 for g in grad_in))
    assert grads(n) == [300.0, 60.0, 150.0]       # M's input gradients (15, 6) ten-fold
    h.remove()
    h = n.m.register_backward_pre_hook(lambda cell, grad_out: (grad_out[0] * 100,))
    assert grads(n) == [3000.0, 600.0, 1500.0]    # M's output gradient (1) a hundred-fold
    h.remove()
    assert grads(n) == [30.0, 6.0, 15.0]


def test_backward_hook_sees_grad_output_of_a_cell_without_parameters(pynative):
    # MindSpore 2.10: M's hook gets grad_input (15, 6) and grad_output (1,); returning (7 go, go) gives
    # d/dx = 7 w = 14, d/dy = 1, d/dw = 7 x = 7
    n = N()
    seen = []

    def hook(cell, grad_in, grad_out):
        seen.append((len(grad_in), len(grad_out)))
        return grad_out[0] * 7, grad_out[0]
    n.m.register_backward_hook(hook)
    assert grads(n) == [14.0, 1.0, 7.0] and seen == [(2, 1)]


class M2(nn.Cell):
    def construct(self, a, b):
        return a * b * 3, a + b


class N2(nn.Cell):
    def __init__(self):
        super().__init__()
        self.m = M2()

    def construct(self, x, y):
        p, q = self.m(x * 2, y)
        return p * 2 + q * 5


def test_backward_hook_of_a_two_output_cell_gets_both_output_gradients(pynative):
    # MindSpore 2.10: grad_output (2, 5), grad_input (35, 17) (d/da = 2 * 3b + 5, d/db = 2 * 3a + 5 at a = 2x);
    # a hook returning grad_input + grad_output: (37, 22), so d/dx = 2 * 37, d/dy = 22
    n = N2()
    n.m.register_backward_hook(lambda cell, gi, go: (gi[0] + go[0], gi[1] + go[1]))
    gx, gy = ms.grad(n, grad_position=(0, 1))(X, Y)
    assert [float(gx.asnumpy()[0]), float(gy.asnumpy()[0])] == [74.0, 22.0]


def test_backward_hook_returning_grad_output_for_a_cell_with_parameters(pynative):
    """grad_output (ones) given as both inputs' gradients: [1, 1], w's own 3 x y = 15 (MindSpore 2.10; gradserve
    refused grad_output of a cell with Parameters before round 7, whose identity over the outputs now keeps it)."""
    n = N()
    n.register_backward_hook(lambda cell, grad_in, grad_out: (grad_out[0], grad_out[0]))
    assert grads(n) == [1.0, 1.0, 15.0]


class _Recorded(nn.Cell):
    def __init__(self, log):
        super().__init__()
        self.m = M()
        self.m.register_backward_hook(lambda cell, gi, go: log.append("m"))

    def construct(self, x, y):
        return self.m(x, y) * 2


class _RecordedInBprop(_Recorded):
    def bprop(self, x, y, out, dout):
        return dout, dout


def test_backward_hooks_run_only_where_a_gradient_is_taken(pynative):
    # MindSpore 2.10: a forward call runs no backward hook; nor does a grad through a cell with a custom bprop
    # for the cells inside it (its rule replaces their derivatives)
    log = []
    n = _Recorded(log)
    n(X, Y)
    assert log == []
    gx = ms.grad(n)(X, Y)
    assert log == ["m"] and float(gx.asnumpy()[0]) == 30.0  # d/dx 6xy = 6y
    log2 = []
    b = _RecordedInBprop(log2)
    b(X, Y)
    assert float(ms.grad(b)(X, Y).asnumpy()[0]) == 1.0 and log2 == []



class _Dropped(nn.Cell):
    def __init__(self):
        super().__init__()
        self.d = nn.Dropout(p=0.5)

    def construct(self, x):
        return self.d(x)


def test_a_backward_hook_on_a_cell_with_a_random_draw_keeps_the_forwards_mask(pynative):
    # the gradient of dropout is its forward's mask (MindSpore 2.10, any hook): a hooked Parameter-free cell was
    # differentiated by running its call again in the rule, which drew a second mask: grad != y * w, silently
    seen = []
    net = _Dropped()
    net.set_train(True)
    net.d.register_backward_hook(lambda cell, gi, go: seen.append(len(gi)))
    w = Tensor(np.arange(1.0, 65.0, dtype=np.float32))

    def loss(v):
        y = net(v)
        return (y * w).sum(), y
    (_, y), g = ms.value_and_grad(loss, has_aux=True)(Tensor(np.ones(64, np.float32)))
    y = y.asnumpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < y.sum() < 128  # (x = 1: y is the mask / keep_prob)
    np.testing.assert_array_equal(g.asnumpy(), y * w.asnumpy())
    assert seen == [1]

class _ReadsDout(nn.Cell):
    def construct(self, x):
        return x * 3

    def bprop(self, x, out, dout):
        return (Tensor(dout.asnumpy()),)


def test_a_value_read_of_dout_in_a_custom_bprop_is_refused(pynative):
    # dout stood in for by out while the rule was traced: its read gave out's value (3 x), a silently wrong
    # number; now the read is refused by name
    with pytest.raises(RuntimeError, match="asnumpy"):
        ms.grad(_ReadsDout())(X)


def test_forward_hooks_change_values_and_gradients(pynative):
    n = N()
    h = n.register_forward_pre_hook(lambda cell, inputs: (inputs[0] * 2, inputs[1]))
    assert float(n(X, Y).asnumpy()[0]) == 61.0 and float(ms.grad(n)(X, Y).asnumpy()[0]) == 60.0
    h.remove()
    h = n.register_forward_hook(lambda cell, inputs, out: out * 3)
    assert float(n(X, Y).asnumpy()[0]) == 93.0 and float(ms.grad(n)(X, Y).asnumpy()[0]) == 90.0


def test_cell_hooks_apply_in_graph_mode_too():
    ms.set_context(mode=ms.GRAPH_MODE)  # (more: test_hooks_graph_mode.py)
    n = N()

    def hook(cell, grad_in, grad_out):
        return tuple(g * 10 for g in grad_in)
    n.m.register_backward_hook(hook)
    gx, gy = ms.grad(n, grad_position=(0, 1))(X, Y)   # MindSpore 2.10 GRAPH_MODE applies it too
    assert [float(gx.asnumpy()[0]), float(gy.asnumpy()[0])] == [300.0, 60.0]
    n = N()
    n.m.register_backward_hook(lambda cell, grad_in, grad_out: tuple(g * 10 for g in grad_in))
    with pytest.raises(TypeError, match="Parse Lambda Function Fail"):   # MindSpore's graph parser, too
        ms.grad(n, grad_position=(0, 1))(X, Y)


def test_tensor_hooks(pynative):
    def f(a, b):
        z = a * b
        z.register_hook(lambda g: g * 7)
        return z * b
    ga, gb = ms.grad(f, grad_position=(0, 1))(X, Y)
    assert float(ga.asnumpy()[0]) == 175.0 and float(gb.asnumpy()[0]) == 40.0   # dz = 5 -> 35; 35b, 35a + z

    x = Tensor(np.array([1.0], np.float32))
    handle = x.register_hook(lambda g: g * 7)
    assert len(x.hooks()) == 1
    assert float(ms.grad(lambda a: a * a)(x).asnumpy()[0]) == 14.0             # 2x, seven-fold
    handle.remove()
    assert not x.hooks() and float(ms.grad(lambda a: a * a)(x).asnumpy()[0]) == 2.0

    def g(v):
        y1, y2 = ops.split(v, 2)
        y1.register_hook(lambda t: t * 2)
        handle = y1.register_hook(lambda t: t * 3)
        y2.register_hook(lambda t: t * 3)
        handle.remove()                        # removed before any use: y1 keeps the first hook only
        return y1 + y2
    got = ms.grad(g)(Tensor(np.arange(4, dtype=np.float32))).asnumpy()
    np.testing.assert_array_equal(got, [2.0, 2.0, 3.0, 3.0])

    with pytest.raises(RuntimeError, match="requires grad is false"):
        Parameter(Tensor(np.ones(2, np.float32)), requires_grad=False).register_hook(lambda t: t)


def test_hook_backward(pynative):
    hb = ops.HookBackward(lambda grads: grads[0] * 7)
    assert float(ms.grad(lambda a: hb(a * 2) * 3)(X).asnumpy()[0]) == 42.0    # 3 -> 21, times 2


def test_one_tensor_at_two_positions(pynative):
    """MindSpore 2.10 PyNative: each position gets the sum over the positions holding that Tensor
    (2 + 3); GRAPH_MODE and jit keep them apart (2 and 3)."""
    t, u = Tensor(np.ones([2], np.float32)), Tensor(np.ones([2], np.float32))

    def f(x, y):
        return x * 2 + y * 3

    def vals(gs):
        return [g.asnumpy().tolist() for g in gs]
    assert vals(ms.grad(f, grad_position=(0, 1))(t, t)) == [[5, 5], [5, 5]]
    assert vals(ms.grad(f, grad_position=(0, 1))(t, u)) == [[2, 2], [3, 3]]
    assert ms.grad(f, grad_position=0)(t, t).asnumpy().tolist() == [5, 5]
    assert vals(ms.value_and_grad(f, grad_position=(0, 1))(t, t)[1]) == [[5, 5], [5, 5]]
    assert vals(ms.jit(ms.grad(f, grad_position=(0, 1)))(t, t)) == [[2, 2], [3, 3]]
    ms.set_context(mode=ms.GRAPH_MODE)
    assert vals(ms.grad(f, grad_position=(0, 1))(t, t)) == [[2, 2], [3, 3]]


def test_nn_matmul():
    m = nn.MatMul()
    b, c = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3)), Tensor(np.arange(3, dtype=np.float32))
    assert m(Tensor(np.ones([1], np.float32)), Tensor(np.ones([1], np.float32))).shape == ()
    np.testing.assert_array_equal(m(b, c).asnumpy(), [5, 14])
    np.testing.assert_array_equal(nn.MatMul(transpose_x2=True)(b, b).asnumpy(), [[5, 14], [14, 50]])
    gb, gc = ms.grad(m, grad_position=(0, 1))(b, c)
    np.testing.assert_array_equal(gb.asnumpy(), [[0, 1, 2], [0, 1, 2]])
    np.testing.assert_array_equal(gc.asnumpy(), [3, 5, 7])


class UsesBFirst(nn.Cell):
    def __init__(self):
        super().__init__()
        self.a = Parameter(Tensor(np.array([2.0], np.float32)), name="a")
        self.b = Parameter(Tensor(np.array([3.0], np.float32)), name="b")

    def construct(self, x):
        return x * self.b * 10 + x * self.a


def test_implicit_weights_come_in_use_order_in_pynative(pynative):
    """MindSpore 2.10 PyNative, GradOperation(get_by_list=True)(net) without weights: the Parameters in the
    order the forward pass uses them (b: 10, then a: 1); given explicitly, in the order given."""
    n, x = UsesBFirst(), Tensor(np.array([1.0], np.float32))
    assert [g.asnumpy().tolist() for g in ops.GradOperation(get_by_list=True)(n)(x)] == [[10.0], [1.0]]
    given = ops.GradOperation(get_by_list=True)(n, n.trainable_params())(x)
    assert [g.asnumpy().tolist() for g in given] == [[1.0], [10.0]]


def test_implicit_weights_of_a_function_in_pynative(pynative):
    """MindSpore 2.10 PyNative, GradOperation(get_by_list=True)(f) of a plain function: the trainable
    Parameters f uses, in use order (c, requires_grad=False, is left out)."""
    a = Parameter(Tensor(np.array([2.0], np.float32)), name="fa")
    b = Parameter(Tensor(np.array([3.0], np.float32)), name="fb")
    c = Parameter(Tensor(np.array([5.0], np.float32)), name="fc", requires_grad=False)

    def f(x):
        return x * b * 10 + x * a * c
    x = Tensor(np.array([1.0], np.float32))
    gi, gw = ops.GradOperation(get_all=True, get_by_list=True)(f)(x)
    assert [g.asnumpy().tolist() for g in gi] == [[40.0]]
    assert [g.asnumpy().tolist() for g in gw] == [[10.0], [5.0]]


class _KwargsNet(nn.Cell):
    def construct(self, x, bias=None):
        return x * 2.0 + (bias if bias is not None else 0.0)


def test_forward_hooks_with_kwargs(pynative):
    # MindSpore 2.10's own test (pynative/hook/test_pynative_forward_hook) gives these numbers: x = 2, bias = 3
    def pre_kwargs(cell, args, kwargs):
        kwargs["bias"] = kwargs["bias"] * 2
        return args, kwargs

    net = _KwargsNet()
    h1 = net.register_forward_pre_hook(pre_kwargs, with_kwargs=True)
    h2 = net.register_forward_pre_hook(lambda cell, args: args[0] + 1.0)
    x, bias = Tensor(2.0, ms.float32), Tensor(3.0, ms.float32)
    assert float(net(x, bias=bias).asnumpy()) == 12.0  # (2 + 1) * 2 + 3 * 2
    h1.remove()
    h2.remove()
    h3 = net.register_forward_hook(lambda cell, args, kwargs, out: out + kwargs["bias"], with_kwargs=True)
    assert float(net(x, bias=bias).asnumpy()) == 10.0
    h3.remove()
    net.register_forward_pre_hook(lambda cell, args, kwargs: tuple(a * 2 for a in args), with_kwargs=True)
    with pytest.raises(RuntimeError, match="new_args, new_kwargs"):
        net(x)


def test_a_jit_function_is_no_forward_hook(pynative):
    @ms.jit
    def hook(cell, inputs, output):
        return output

    with pytest.raises(TypeError):  # as MindSpore 2.10
        nn.ReLU().register_forward_hook(hook)


def test_forward_hook_state_goes_with_its_cell(pynative):
    """What a forward hook gave (None or not) is kept for the backward's replay of the call; it is kept on the
    cell: a table of the module keyed by id(cell) grew by one entry per cell made, without bound."""
    from gradserve import _hooks

    def tables() -> int:
        return sum(len(v) for v in vars(_hooks).values() if isinstance(v, dict))

    def make():
        m = M()
        m.register_forward_hook(lambda cell, inputs, output: None)
        m.register_backward_hook(lambda cell, gin, gout: None)
        return m
    float(ms.grad(make())(X, Y).asnumpy()[0])
    before = tables()
    for _ in range(20):
        assert float(ms.grad(make())(X, Y).asnumpy()[0]) == 15.0  # d/da 3ab = 3b
    assert tables() == before


class _Scaled(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="w")

    def construct(self, x):
        return (x * self.w).sum()


@pytest.mark.parametrize("form", ["grad_position", "weights_only", "GradOperation"])
def test_parameter_hooks_run_once_per_backward_in_registration_order(pynative, form):
    """A Parameter's hooks run once per backward, in registration order (MindSpore 2.10, as torch); the identity
    carrying them re-applied them to its own input, so each ran three times a call. Gradient by hand:
    d/dw sum(x * w) = x, doubled by the first hook."""
    net, log = _Scaled(), []
    net.w.register_hook(lambda g: (log.append("w1"), g * 2)[1])
    net.w.register_hook(lambda g: log.append("w2"))
    x = Tensor(np.array([0.5, -1.0], np.float32))
    call = {"grad_position": lambda: ms.grad(net, 0, net.trainable_params())(x)[1][0],
            "weights_only": lambda: ms.grad(net, None, net.trainable_params())(x)[0],
            "GradOperation": lambda: ops.GradOperation(get_by_list=True)(net, net.trainable_params())(x)[0]}[form]
    for k in range(1, 4):
        np.testing.assert_allclose(call().asnumpy(), [1.0, -2.0])
        assert log == ["w1", "w2"] * k


# -- hooks that record gradients get their real values (reference: torch's Tensor.register_hook) --------------
def _torch_hooked(xv, yv):
    """torch's gradients arriving at z = x * y (hook on z) and at x, and d/dx, of f = sum(sin(z) * z + x)."""
    import torch
    x = torch.tensor(xv, requires_grad=True)
    y = torch.tensor(yv)
    seen = {}
    x.register_hook(lambda g: seen.__setitem__("x", g.numpy().copy()))
    z = x * y
    z.register_hook(lambda g: seen.__setitem__("z", g.numpy().copy()))
    (torch.sin(z) * z + x).sum().backward()
    return seen["z"], seen["x"], x.grad.numpy()


XV, YV = np.array([0.5, -1.0, 2.0], np.float32), np.array([1.5, 0.25, -0.75], np.float32)


def test_a_hook_that_stores_its_gradient_gets_the_value(pynative):
    """MindSpore's common pattern: a hook storing its gradient, read with asnumpy() after the grad call. The hook
    got a traced placeholder (asnumpy() refused); now the placeholder becomes the real gradient after the run.
    Each hook runs once per backward."""
    stored, log = {}, []

    def f(x, y):
        z = x * y
        z.register_hook(lambda g: (stored.__setitem__("z", g), log.append("z"))[1])
        return (ops.sin(z) * z + x).sum()
    x = Tensor(XV)
    x.register_hook(lambda g: (stored.__setitem__("x", g), log.append("x"))[1])
    want_z, want_x, want_gx = _torch_hooked(XV, YV)
    for k in range(1, 3):
        gx = ms.grad(f)(x, Tensor(YV))
        assert sorted(log) == ["x", "z"] * k if k == 1 else sorted(log) == ["x", "x", "z", "z"]
        np.testing.assert_allclose(stored["z"].asnumpy(), want_z, rtol=1e-5)
        np.testing.assert_allclose(stored["x"].asnumpy(), want_x, rtol=1e-5)
        np.testing.assert_allclose(gx.asnumpy(), want_gx, rtol=1e-5)


def test_a_hook_that_reads_its_gradient_runs_after_the_call_with_the_value(pynative, capsys):
    """print(g) / g.asnumpy() in a hook: stopped while traced, called once after the run with the real value,
    in backward order (z's gradient is reached before x's, as torch's hooks run)."""
    read = []

    def f(x, y):
        z = x * y
        z.register_hook(lambda g: read.append(("z", g.asnumpy())))
        z.register_hook(lambda g: print("z grad", g))
        return (ops.sin(z) * z + x).sum()
    x = Tensor(XV)
    x.register_hook(lambda g: read.append(("x", g.asnumpy())))
    want_z, want_x, want_gx = _torch_hooked(XV, YV)
    for k in range(1, 3):
        gx = ms.grad(f)(x, Tensor(YV))
        assert [w for w, _ in read] == ["z", "x"] * k
        np.testing.assert_allclose(read[-2][1], want_z, rtol=1e-5)
        np.testing.assert_allclose(read[-1][1], want_x, rtol=1e-5)
        np.testing.assert_allclose(gx.asnumpy(), want_gx, rtol=1e-5)
    printed = capsys.readouterr().out
    assert printed.count("z grad") == 2 and "traced" not in printed


@pytest.mark.parametrize("record_first", [False, True])
def test_hooks_that_change_and_record_see_each_others_gradients(pynative, record_first):
    """One hook triples z's gradient, one records what reaches it, in either registration order (torch: the hooks
    of one tensor run in registration order, each on the previous one's result; MindSpore 2.10 alike). Each runs
    once: a registration rebuilt the tensor's chain of hooks, tracing (running) the earlier ones again."""
    import torch

    def register(t, seen, as_array):
        hooks = [lambda g: g * 3, lambda g: seen.append(g.numpy().copy() if as_array else g)]
        for h in (hooks[::-1] if record_first else hooks):
            t.register_hook(h)
    seen = []

    def f(x, y):
        z = x * y
        register(z, seen, False)
        return (ops.sin(z) * z + x).sum()
    gx = ms.grad(f)(Tensor(XV), Tensor(YV))
    tx = torch.tensor(XV, requires_grad=True)
    tz = tx * torch.tensor(YV)
    tseen: list = []
    register(tz, tseen, True)
    (torch.sin(tz) * tz + tx).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0].asnumpy(), tseen[0], rtol=1e-5)
    np.testing.assert_allclose(gx.asnumpy(), tx.grad.numpy(), rtol=1e-5)


def test_hook_backward_and_insert_gradient_of_record_values(pynative):
    """ops.HookBackward(fn) and ops.InsertGradientOf(fn) recording their gradient (finite differences of the
    part after the hook, the reference: d/dh sum(h^3) = 3 h^2 at h = 2x)."""
    got = {}
    hb = ops.HookBackward(lambda grads: got.__setitem__("hb", grads))
    ins = ops.InsertGradientOf(lambda g: (got.__setitem__("ins", g), g)[1])
    gx = ms.grad(lambda a: (ins(hb(a * 2)) ** 3).sum())(Tensor(XV))
    h = 2 * XV.astype(np.float64)
    eps = 1e-6
    fd = np.array([((h + eps * e) ** 3 - (h - eps * e) ** 3).sum() / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(got["ins"].asnumpy(), fd, rtol=1e-4)
    assert len(got["hb"]) == 1
    np.testing.assert_allclose(got["hb"][0].asnumpy(), fd, rtol=1e-4)
    np.testing.assert_allclose(gx.asnumpy(), 2 * fd, rtol=1e-4)


def test_cell_backward_hooks_record_values(pynative):
    """A Cell's backward hook and backward pre-hook storing what they get, against torch's
    register_full_backward_hook / register_full_backward_pre_hook on the same net (M: 3ab, inside N)."""
    import torch
    got = {}
    n = N()
    n.m.register_backward_hook(lambda cell, gi, go: got.update(gi=gi, go=go))
    n.m.register_backward_pre_hook(lambda cell, go: got.update(pre=go))
    grads(n)

    class TM(torch.nn.Module):
        def forward(self, a, b):
            return a * b * 3
    tm, want = TM(), {}
    tm.register_full_backward_hook(lambda mod, gi, go: want.update(gi=gi, go=go))
    tm.register_full_backward_pre_hook(lambda mod, go: want.update(pre=go))
    x, y, w = (torch.tensor(v, requires_grad=True) for v in ([1.0], [5.0], [2.0]))
    (tm(x * w, y) + 1).sum().backward()
    for key in ("gi", "go", "pre"):
        assert len(got[key]) == len(want[key])
        for g, t in zip(got[key], want[key]):
            np.testing.assert_allclose(g.asnumpy(), t.numpy(), rtol=1e-6)


def test_a_hook_reading_values_in_a_graph_mode_grad_of_a_grad_is_refused_by_name():
    """GRAPH_MODE: MindSpore 2.10 refuses a hook reading its gradient's value in a grad of a grad (RuntimeError
    from its compiler; PyNative runs it in both passes: test_mindspore_hooks_nested.py), so gradserve refuses it
    with a clear error, not run silently without its hook."""
    ms.set_context(mode=ms.GRAPH_MODE)

    def hook(g):
        print(g.asnumpy())

    def f(x):
        y = x * x
        y.register_hook(hook)
        return (y * x).sum()
    with pytest.raises(RuntimeError, match="gradient hook hook reads its gradient's value"):
        ms.grad(ms.grad(f))(Tensor(XV))


def test_parameter_and_parametered_cell_hooks_record_values(pynative):
    """A Parameter's recording hook (the gradient asked for as a weight too) and the backward hook of a cell with
    Parameters (its identity over the inputs), against torch: d/dw sum(x * w) = x; N's grad_input (3yw, 3xw)."""
    import torch
    net, stored = _Scaled(), []
    net.w.register_hook(lambda g: stored.append(g))
    x = Tensor(np.array([0.5, -1.0], np.float32))
    _, (gw,) = ms.grad(net, 0, net.trainable_params())(x)
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    tseen = []
    tw.register_hook(lambda g: tseen.append(g.numpy().copy()))
    (torch.tensor([0.5, -1.0]) * tw).sum().backward()
    assert len(stored) == 1
    np.testing.assert_allclose(stored[0].asnumpy(), tseen[0])
    np.testing.assert_allclose(gw.asnumpy(), tw.grad.numpy())

    n, got = N(), []
    n.register_backward_hook(lambda cell, gi, go: got.append(gi))
    grads(n)

    class TN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([2.0]))

        def forward(self, a, b):
            return a * self.w * b * 3 + 1
    tn, want = TN(), []
    tn.register_full_backward_hook(lambda mod, gi, go: want.append(gi))
    tn(torch.tensor([1.0], requires_grad=True), torch.tensor([5.0], requires_grad=True)).sum().backward()
    assert len(got) == 1 and len(got[0]) == 2
    for g, t in zip(got[0], want[0]):
        np.testing.assert_allclose(g.asnumpy(), t.numpy())


def test_hooks_that_store_get_the_values_in_graph_mode_on_every_call():
    """GRAPH_MODE: a Tensor hook that stores its gradient gets the real value on each call (it got a placeholder
    before, whose read was refused); reference: torch, as in the PyNative test above."""
    ms.set_context(mode=ms.GRAPH_MODE)
    stored = {}

    def f(x, y):
        z = x * y
        z.register_hook(lambda g: stored.__setitem__("z", g))
        return (ops.sin(z) * z + x).sum()
    x = Tensor(XV)
    x.register_hook(lambda g: stored.__setitem__("x", g))
    for scale in (1.0, -2.0):  # (a second call with other values: the hooks see that call's gradients)
        stored.clear()
        want_z, want_x, want_gx = _torch_hooked(XV, YV * scale)
        gx = ms.grad(f)(x, Tensor(YV * scale))
        np.testing.assert_allclose(stored["z"].asnumpy(), want_z, rtol=1e-5)
        np.testing.assert_allclose(stored["x"].asnumpy(), want_x, rtol=1e-5)
        np.testing.assert_allclose(gx.asnumpy(), want_gx, rtol=1e-5)


def test_a_stored_gradient_of_a_graph_mode_nested_derivative_is_refused_by_name_when_read():
    """A grad of a grad in GRAPH_MODE: no value reaches the hook (see above; PyNative gives both passes':
    test_mindspore_hooks_nested.py); the placeholder it stored says so when read after the call, rather than
    claiming the value comes later. The second derivative is unchanged: d2/dx2 sum(x^3), summed over the first
    derivative's entries, is 6x."""
    ms.set_context(mode=ms.GRAPH_MODE)
    stored = {}

    def f(x):
        y = x * x
        y.register_hook(lambda g: stored.__setitem__("y", g))
        return (y * x).sum()
    g2 = ms.grad(lambda a: ms.grad(f)(a).sum())(Tensor(XV))
    np.testing.assert_allclose(g2.asnumpy(), 6 * XV, rtol=1e-5)
    with pytest.raises(RuntimeError, match="inside a derivative that is itself differentiated"):
        stored["y"].asnumpy()


def test_store_only_hooks_run_in_backward_order(pynative):
    """MindSpore (as torch) runs backward hooks as the backward reaches their tensors: the last one first."""
    log = []

    def f(x):
        z = x * 2
        z.register_hook(lambda g: log.append("z"))
        w = ops.sin(z)
        w.register_hook(lambda g: log.append("w"))
        return w.sum()
    x = Tensor(XV)
    x.register_hook(lambda g: log.append("x"))
    ms.grad(f)(x)
    assert log == ["w", "z", "x"]


def _keeper(stored: dict, log: list):
    """keep(name): a hook storing its gradient as stored[name] and logging name; it returns None."""
    return lambda name: (lambda g: (stored.__setitem__(name, g), log.append(name))[1])


def test_a_hook_reached_first_changes_what_a_later_one_stores(pynative):
    """w's hook (reached first by the backward) triples its gradient; z's hook, reached next, stores what arrives
    there: the tripled gradient. By hand: f = sum(sin(w)) with w = z = 2x, so z gets 3 cos(2x) and x 6 cos(2x)."""
    log, stored = [], {}

    keep = _keeper(stored, log)
    def f(x):
        z = x * 2
        z.register_hook(keep("z"))
        w = z * 1
        w.register_hook(lambda g: (log.append("w"), g * 3)[1])
        return ops.sin(w).sum()
    x = Tensor(XV)
    x.register_hook(keep("x"))
    gx = ms.grad(f)(x)
    assert log == ["w", "z", "x"]
    want_z = 3 * np.cos(2 * XV.astype(np.float64))
    np.testing.assert_allclose(stored["z"].asnumpy(), want_z, rtol=1e-5)
    np.testing.assert_allclose(stored["x"].asnumpy(), 2 * want_z, rtol=1e-5)
    np.testing.assert_allclose(gx.asnumpy(), 2 * want_z, rtol=1e-5)


class _Twice(nn.Cell):
    def construct(self, a):
        return a * 2


class _SinScaled(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([1.5], np.float32)), name="w")

    def construct(self, b):
        return ops.sin(b * self.w)


def test_cell_backward_hooks_run_in_backward_order(pynative):
    """y = B(A(x)): the backward reaches B first (its pre-hook on grad_output, then its hook once grad_input is
    computed), then A, then x (MindSpore's Hook Programming tutorial; torch's module hooks alike). A has no
    Parameter (one custom bprop around its call), B has one (an identity over its inputs): both kinds in order.
    Values by hand: d/dx sum(sin(2x * 1.5)) = 3 cos(3x); A's grad_input is that, B's grad_output ones."""
    log, seen = [], {}
    a, b = _Twice(), _SinScaled()
    for name, cell in (("A", a), ("B", b)):
        cell.register_backward_pre_hook(lambda c, go, name=name: log.append(name + "_pre"))
        cell.register_backward_hook(lambda c, gi, go, name=name: (log.append(name), seen.__setitem__(name, gi[0]))[0])
    x = Tensor(XV)
    x.register_hook(lambda g: log.append("x"))
    gx = ms.grad(lambda t: b(a(t)).sum())(x)
    assert log == ["B_pre", "B", "A_pre", "A", "x"]
    want = 3 * np.cos(3 * XV.astype(np.float64))
    np.testing.assert_allclose(seen["A"].asnumpy(), want, rtol=1e-5)
    np.testing.assert_allclose(seen["B"].asnumpy(), want / 2, rtol=1e-5)
    np.testing.assert_allclose(gx.asnumpy(), want, rtol=1e-5)


def test_the_hooks_of_one_tensor_run_in_registration_order_in_backward_order(pynative):
    """Two hooks on z and one on w (used after z): w's first, then z's in the order registered."""
    log = []

    def f(x):
        z = x * 2
        z.register_hook(lambda g: log.append("z1"))
        z.register_hook(lambda g: log.append("z2"))
        w = ops.exp(z)
        w.register_hook(lambda g: log.append("w"))
        return w.sum()
    ms.grad(f)(Tensor(XV))
    assert log == ["w", "z1", "z2"]


def test_graph_mode_keeps_a_hooked_trace_and_the_hooks_get_each_calls_values(monkeypatch):
    """GRAPH_MODE compiles once (MindSpore) while the hooks that store still get each call's gradients, in backward
    order; a hook registered on the argument afterwards makes the trace stale. Reference: torch (_torch_hooked)."""
    from gradserve import _trace
    traced = []
    real = _trace.trace_program
    monkeypatch.setattr(_trace, "trace_program", lambda *a, **k: (traced.append(1), real(*a, **k))[1])
    ms.set_context(mode=ms.GRAPH_MODE)
    stored, log = {}, []

    keep = _keeper(stored, log)
    def f(x, y):
        z = x * y
        z.register_hook(keep("z"))
        return (ops.sin(z) * z + x).sum()
    x = Tensor(XV)
    x.register_hook(keep("x"))
    g = ms.grad(f)
    for scale in (1.0, -2.0, 0.5):
        stored.clear()
        want_z, want_x, want_gx = _torch_hooked(XV, YV * scale)
        gx = g(x, Tensor(YV * scale))
        np.testing.assert_allclose(stored["z"].asnumpy(), want_z, rtol=1e-5)
        np.testing.assert_allclose(stored["x"].asnumpy(), want_x, rtol=1e-5)
        np.testing.assert_allclose(gx.asnumpy(), want_gx, rtol=1e-5)
    assert log == ["z", "x"] * 3
    assert len(traced) == 1
    x.register_hook(lambda g: g * 2)  # (another hook on the argument: the program changes)
    gx = g(x, Tensor(YV))
    assert len(traced) == 2
    np.testing.assert_allclose(gx.asnumpy(), 2 * _torch_hooked(XV, YV)[2], rtol=1e-5)


def test_a_value_read_after_a_hooked_point_runs_before_the_hooks_rule_is_traced(pynative):
    """PyNative: an `if` on a value after a hook (its rule traced only once the function has run) still reads
    the forward value, and the hook still triples the gradient. By hand: sum(2 sin(2x)) -> 12 cos(2x)."""
    log = []

    def f(x):
        z = x * 2
        z.register_hook(lambda g: (log.append("z"), g * 3)[1])
        w = ops.sin(z)
        if float(w.sum().asnumpy()) > -10:
            w = w * 2
        return w.sum()
    gx = ms.grad(f)(Tensor(XV))
    assert log == ["z"]
    np.testing.assert_allclose(gx.asnumpy(), 12 * np.cos(2 * XV.astype(np.float64)), rtol=1e-5)


def test_a_value_reading_hook_runs_once_per_backward_after_its_first_call(pynative):
    """MindSpore 2.10 calls a hook once per backward. Here the first call of a hook's code that reads its
    gradient's value runs it twice (stopped at the read while traced, then with the value after the run); from
    then on it runs once, after the run. It sees dL/dy = x for L = sum(y * x), y = x * x."""
    calls, seen = [], []

    def hook(g):
        calls.append(1)
        seen.append(g.asnumpy().copy())

    def f(x):
        y = x * x
        y.register_hook(hook)
        return (y * x).sum()
    for k in (1.0, 2.0, 3.0):
        calls.clear()
        seen.clear()
        gx = ms.grad(f)(Tensor(XV * k))
        assert len(seen) == 1
        np.testing.assert_allclose(seen[0], XV * k)
        np.testing.assert_allclose(gx.asnumpy(), 3 * (XV * k) ** 2, rtol=1e-6)
        if k > 1:
            assert len(calls) == 1


def test_hook_order_across_nested_functions_is_mindspores(pynative):
    """Tensors hooked in nested Python functions and in nested cells: MindSpore 2.10's order (CPU, PyNative,
    run for this task; the function's is not plain reverse creation order, b before e). Gradients, MindSpore's
    and the chain rule's at x = (0.5, -1.5, 2): e = 4x^2 + 2x + 1, d/dx sum(3x e) = 36x^2 + 12x + 3; the cells'
    (a^2 + 1)^2 -> 4a(a^2 + 1)."""
    log, xv = [], np.array([0.5, -1.5, 2.0], np.float32)

    def mk(name):
        return lambda g: log.append(name)

    def inner(x):
        a = x * 2
        a.register_hook(mk("a"))
        b = a + 1
        b.register_hook(mk("b"))
        return b

    def middle(x):
        c = inner(x) * x
        c.register_hook(mk("c"))
        return inner(c)

    def f(x):
        e = middle(x)
        e.register_hook(mk("e"))
        x2 = x * 3
        x2.register_hook(mk("x2"))
        return (e * x2).sum()
    g = ms.grad(f)(Tensor(xv))
    assert log == ["x2", "b", "e", "a", "c", "b", "a"]
    np.testing.assert_allclose(g.asnumpy(), [18.0, 66.0, 171.0], rtol=1e-6)

    log.clear()

    class Outer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.i1, self.i2 = Squared(), Squared()

        def construct(self, a):
            return self.i2(self.i1(a) + 1)
    net = Outer()
    for name in ("i1", "i2"):
        getattr(net, name).register_backward_hook(lambda c, gi, go, name=name: log.append(name))
    net.register_backward_hook(lambda c, gi, go: log.append("outer"))
    g = ms.grad(lambda a: net(a).sum())(Tensor(xv))
    assert log == ["i2", "i1", "outer"]
    np.testing.assert_allclose(g.asnumpy(), [2.5, -19.5, 40.0], rtol=1e-6)


def test_a_gradient_changing_hook_acts_at_both_orders_of_a_grad_of_a_grad(pynative):
    """MindSpore 2.10: with y = x * x hooked by g -> 2g, grad(grad(sum(y * x))) = 12x ([6, -18, 24]): the hook
    doubles the inner backward's dL/dy and the outer backward's gradient reaching y."""
    def f(x):
        y = x * x
        y.register_hook(lambda g: g * 2)
        return (y * x).sum()
    np.testing.assert_allclose(ms.grad(ms.grad(f))(Tensor(XV)).asnumpy(), 12 * XV, rtol=1e-6)
