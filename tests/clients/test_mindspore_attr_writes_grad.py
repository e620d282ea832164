"""A Tensor a construct writes to `self` while a derivative of it is traced (ops.grad, value_and_grad,
GradOperation, jvp, vjp, nested grads, jit): MindSpore runs the write on each call and the attribute holds that
call's forward value, a concrete Tensor (never a traced one escaping the trace). Expected values: the construct
run by NumPy by hand (y = x * x * w, so d/dx = 2 x w)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops


def close(t, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=rtol, atol=atol)


W = np.array([1.5, -2.0, 0.5], np.float32)


class _Writes(nn.Cell):
    """Writes a Tensor computed from its input (last) and one accumulated across calls (acc)."""

    def __init__(self):
        super().__init__()
        self.w = Tensor(W)
        self.acc = Tensor(np.zeros(3, np.float32))
        self.last = None

    def construct(self, x):
        self.last = x * 2
        self.acc = self.acc + x
        return (x * x * self.w).sum()


class _Holding(nn.Cell):
    """A Cell starting with the given attributes."""

    def __init__(self, **attrs):
        super().__init__()
        for k, v in attrs.items():
            setattr(self, k, v)


def _held(net, name):
    """The attribute's value, which must be a concrete Tensor (a traced one has no data)."""
    t = getattr(net, name)
    assert isinstance(t, Tensor), f"{name} is {type(t).__name__}"
    assert t._data is not None, f"{name} holds a traced Tensor that escaped its trace"
    return t.asnumpy()


def _xs():
    return [np.array([1.0, -2.0, 3.0], np.float32) * (i + 1) for i in range(3)]


def _check_calls(net, call):
    acc = np.zeros(3, np.float32)
    for a in _xs():
        call(Tensor(a))
        acc = acc + a
        np.testing.assert_allclose(_held(net, "last"), a * 2, rtol=1e-6)
        np.testing.assert_allclose(_held(net, "acc"), acc, rtol=1e-6)


MODES = ["pynative", "graph"]


def _mode(mode):
    ms.set_context(mode=ms.PYNATIVE_MODE if mode == "pynative" else ms.GRAPH_MODE)


@pytest.mark.parametrize("mode", MODES)
def test_ops_grad_sets_the_written_attributes_to_the_forward_values(fake, mode):
    _mode(mode)
    net = _Writes()
    g = ops.grad(net)

    def call(x):
        close(g(x), 2 * x.asnumpy() * W)
    _check_calls(net, call)


@pytest.mark.parametrize("mode", MODES)
def test_value_and_grad_and_grad_operation_set_the_written_attributes(fake, mode):
    _mode(mode)
    net = _Writes()
    vg = ms.value_and_grad(net)
    go = ops.GradOperation()(net)

    def call(x):
        a = x.asnumpy()
        v, g = vg(x)
        close(v, (a * a * W).sum())
        close(g, 2 * a * W)
        close(go(x), 2 * a * W)
    acc = np.zeros(3, np.float32)
    for a in _xs():
        call(Tensor(a))
        acc = acc + 2 * a  # (two calls, each adds x)
        np.testing.assert_allclose(_held(net, "last"), a * 2, rtol=1e-6)
        np.testing.assert_allclose(_held(net, "acc"), acc, rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_nested_grad_sets_the_written_attributes(fake, mode):
    _mode(mode)
    net = _Writes()
    gg = ops.grad(lambda x: ops.grad(net)(x).sum())

    def call(x):
        close(gg(x), 2 * W)  # d/dx sum(2 x w) = 2 w
    _check_calls(net, call)


@pytest.mark.parametrize("mode", MODES)
def test_jvp_and_vjp_set_the_written_attributes(fake, mode):
    _mode(mode)
    net = _Writes()
    v = Tensor(np.array([1.0, 1.0, 2.0], np.float32))

    def call_jvp(x):
        a = x.asnumpy()
        out, tan = ops.jvp(net, (x,), (v,))
        close(out, (a * a * W).sum())
        close(tan, (2 * a * W * v.asnumpy()).sum())
    _check_calls(net, call_jvp)

    net = _Writes()

    def call_vjp(x):
        out, fn = ops.vjp(net, x)
        close(fn(Tensor(np.float32(1.0)))[0], 2 * x.asnumpy() * W)
    _check_calls(net, call_vjp)


def test_grad_of_a_jit_function_sets_the_written_attributes(fake):
    net = _Writes()

    @ms.jit
    def step(x):
        return ops.grad(net)(x)

    def call(x):
        close(step(x), 2 * x.asnumpy() * W)
    _check_calls(net, call)


def test_written_attribute_used_after_the_call_in_a_new_call(fake):
    """The attribute written under a grad feeds the next call (a buffer carried across steps): its value is
    the forward value, so the next call's arithmetic is NumPy's."""
    class Carry(nn.Cell):
        def __init__(self):
            super().__init__()
            self.buf = Tensor(np.ones(2, np.float32))

        def construct(self, x):
            self.buf = self.buf * x
            return (self.buf * x).sum()
    net = Carry()
    buf = np.ones(2, np.float32)
    for a in [np.array([2.0, 3.0], np.float32), np.array([0.5, -1.0], np.float32)]:
        g = ops.grad(net)(Tensor(a))
        close(g, 2 * buf * a)  # d/dx (buf x x) = 2 buf x
        buf = buf * a
        np.testing.assert_allclose(_held(net, "buf"), buf, rtol=1e-6)


class _LoopWrites(_Holding):
    def construct(self, x):
        i = Tensor(0, ms.int32)
        while i < 3:
            x = x * 2
            self.last = x
            i = i + 1
        return x.sum()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["call", "grad"])
def test_a_tensor_written_inside_a_while_body_is_refused_by_name(fake, mode, how):
    """Its value exists only inside the loop: a clear error naming the Cell and the attribute, and the
    attribute keeps the value it had (no traced Tensor left in it)."""
    _mode(mode)
    net = _LoopWrites(last=Tensor(np.zeros(2, np.float32)))
    x = Tensor(np.ones(2, np.float32))
    with pytest.raises(RuntimeError, match=r"_LoopWrites\.last: .*'while_body'"):
        net(x) if how == "call" else ops.grad(net)(x)
    np.testing.assert_array_equal(_held(net, "last"), np.zeros(2, np.float32))


def test_vjp_fn_does_not_write_the_attributes_again(fake):
    """vjp's forward runs once (the attribute holds its value); vjp_fn is the backward pass only."""
    net = _Writes()
    a = np.array([1.0, 2.0, -1.0], np.float32)
    _, fn = ops.vjp(net, Tensor(a))
    for _ in range(2):
        close(fn(Tensor(np.float32(2.0)))[0], 4 * a * W)
    np.testing.assert_allclose(_held(net, "acc"), a, rtol=1e-6)  # (one forward: acc = 0 + x)
    np.testing.assert_allclose(_held(net, "last"), 2 * a, rtol=1e-6)


class _BranchWrites(nn.Cell):
    """An attribute written in one side of an `if` on a traced value, and one written in both."""

    def __init__(self):
        super().__init__()
        self.last = Tensor(np.zeros(3, np.float32))
        self.pos = Tensor(np.zeros(3, np.float32))

    def construct(self, x):
        if x.sum() > 0:
            self.last = x * 2
            self.pos = x
        else:
            self.last = x * 3
        return (x * x * self.w_()).sum()

    def w_(self):
        return Tensor(W)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["call", "grad"])
def test_attributes_written_in_the_sides_of_an_if_hold_the_taken_sides_values(fake, mode, how):
    """MindSpore: the attribute holds what the side the call took wrote (the other side's writes never ran)."""
    _mode(mode)
    net = _BranchWrites()
    pos = np.zeros(3, np.float32)
    for a in [np.array([1.0, 2.0, 0.5], np.float32), np.array([-1.0, -2.0, 0.5], np.float32),
              np.array([0.5, 0.25, 1.0], np.float32)]:
        x = Tensor(a)
        if how == "call":
            close(net(x), (a * a * W).sum())
        else:
            close(ops.grad(net)(x), 2 * a * W)
        taken = a.sum() > 0
        pos = a if taken else pos
        np.testing.assert_allclose(_held(net, "last"), a * (2 if taken else 3), rtol=1e-6)
        np.testing.assert_allclose(_held(net, "pos"), pos, rtol=1e-6)


@pytest.mark.parametrize("kind", ["jacrev", "jacfwd"])
def test_jacobians_set_the_written_attributes(fake, kind):
    """The Jacobian of sum(x * x * w) is 2 x w; the attributes hold the forward's values of the call."""
    net = _Writes()
    jac = getattr(ms, kind)(net)

    def call(x):
        close(jac(x), 2 * x.asnumpy() * W)
    _check_calls(net, call)


def test_a_tensor_written_inside_vmap_is_refused_by_name(fake):
    """vmap's body gives a batched value, which no one attribute can hold: refused, the attribute unchanged."""
    net = _Writes()
    with pytest.raises(RuntimeError, match=r"_Writes\.last: a Tensor written to this attribute inside"):
        ops.vmap(net)(Tensor(np.ones((2, 3), np.float32)))
    assert net.last is None


@pytest.mark.parametrize("grad", [False, True])
def test_an_exported_graph_leaves_the_attributes_as_they_were(grad):
    """trace_graph runs nothing: the graph gives the function's outputs alone (one here, a name) and the
    attribute keeps the value it had, not a traced Tensor of the export."""
    net = _Writes()
    before = net.acc
    doc = ms.trace_graph((lambda x: ops.grad(net)(x)) if grad else net, [np.ones(3, np.float32)])
    assert isinstance(doc["outputs"], str)
    assert net.last is None and net.acc is before


class _OwnBprop(_Holding):
    def construct(self, x):
        self.last = x * 2
        return x * x

    def bprop(self, x, out, dout):
        return (dout * 5,)


@pytest.mark.parametrize("mode", MODES)
def test_a_cell_with_its_own_bprop_sets_the_written_attribute(fake, mode):
    """The attribute holds the forward's x * 2; the gradient is the bprop's 5 dout (dout = 1 per entry)."""
    _mode(mode)
    c = _OwnBprop(last=None)
    for a in _xs():
        close(ms.grad(lambda t: c(t).sum())(Tensor(a)), np.full(3, 5.0, np.float32))
        np.testing.assert_allclose(_held(c, "last"), a * 2, rtol=1e-6)


class _TwoWeights(nn.Cell):
    """Two Parameters, b unused: GradOperation(get_by_list=True) with no weights traces it twice (in use order)."""

    def __init__(self):
        super().__init__()
        self.w = ms.Parameter(Tensor(W), name="w")
        self.b = ms.Parameter(Tensor(np.zeros(3, np.float32)), name="b")
        self.acc = Tensor(np.zeros(3, np.float32))

    def construct(self, x):
        self.acc = self.acc + x
        return (x * x * self.w).sum()


def test_implicit_weights_in_use_order_accumulate_the_attribute_once_per_call(fake):
    """d/dw sum(x x w) = x x, d/db = 0; acc gains x once per call (a second trace starts from the value before)."""
    ms.set_context(mode=ms.PYNATIVE_MODE)
    net = _TwoWeights()
    g = ops.GradOperation(get_by_list=True)(net)
    acc = np.zeros(3, np.float32)
    for a in _xs():
        gw, gb = g(Tensor(a))
        close(gw, a * a)
        close(gb, np.zeros(3))
        acc = acc + a
        np.testing.assert_allclose(_held(net, "acc"), acc, rtol=1e-6)


class _IntAcc(_Holding):
    def construct(self, x):
        self.acc = self.acc + x
        return x * x


def test_integer_jvp_accumulates_the_attribute_once_per_call(fake):
    """jvp at integer inputs (MindSpore's transposed vjp path): J v = 2 x v; acc gains x once per call."""
    net = _IntAcc(acc=Tensor(np.zeros(3, np.int32)))
    acc = np.zeros(3, np.int32)
    for k in range(1, 3):
        a = np.array([1, -2, 3], np.int32) * k
        out, tan = ops.jvp(net, Tensor(a), Tensor(np.ones(3, np.int32)))
        np.testing.assert_array_equal(out.asnumpy(), a * a)
        np.testing.assert_array_equal(tan.asnumpy(), 2 * a)
        acc = acc + a
        np.testing.assert_array_equal(_held(net, "acc"), acc)
