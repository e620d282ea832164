"""PyNative grad of a Tensor the function also captures (a closure, a Cell attribute): MindSpore 2.10 attaches
gradients to Tensor objects, so the captured read of the argument's own object is the argument too
(d/da (a * x).sum() at a = x is 2x); GRAPH_MODE and jit trace the capture as a constant (x). Values measured
in MindSpore 2.10.0 CPU, PyNative default and set_context(mode=GRAPH_MODE)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops
from gradserve.ops import GradOperation

x = Tensor(np.array([1.0, 2.0], np.float32))
y = Tensor(np.array([3.0, 5.0], np.float32))


def f1(a):
    return (a * x).sum()


def f2(a, b):
    return (a * b * x).sum()


def f3(a):
    return (x * x).sum()


@gs.jit
def jitted(a):
    return (a * x).sum()


def calls_jit(a):
    return jitted(a)


def jit_then_capture(a):
    return jitted(a) + (a * x).sum()


def capture_then_jit(a):
    return (a * x).sum() + jitted(a)


def second_order(a):
    return ops.grad(f1)(a).sum()


class Holds(nn.Cell):
    def __init__(self, t):
        super().__init__()
        self.t = t

    def construct(self, a):
        return (a * self.t).sum()


class HoldsJit(Holds):
    @gs.jit
    def construct(self, a):
        return (a * self.t).sum()


def eq(a, b):
    np.testing.assert_allclose(np.asarray(a.asnumpy()), np.asarray(b, np.float32), rtol=1e-6)


# (PyNative, GRAPH_MODE) values
CASES = {
    "grad": (lambda: ops.grad(f1)(x), [2, 4], [1, 2]),
    "value_and_grad": (lambda: ops.value_and_grad(f1)(x)[1], [2, 4], [1, 2]),
    "GradOperation": (lambda: GradOperation()(f1)(x), [2, 4], [1, 2]),
    "cell_attribute": (lambda: ops.grad(Holds(x))(x), [2, 4], [1, 2]),
    "only_captured": (lambda: ops.grad(f3)(x), [2, 4], [0, 0]),
    "pos0_of_two": (lambda: ops.grad(f2, grad_position=(0, 1))(x, y)[0], [6, 20], [3, 10]),
    "pos1_of_two": (lambda: ops.grad(f2, grad_position=(0, 1))(x, y)[1], [1, 4], [1, 4]),
    "captured_second": (lambda: ops.grad(f2, grad_position=1)(y, x), [6, 20], [3, 10]),
    "vjp": (lambda: ops.vjp(f1, x)[1](Tensor(np.float32(1)))[0], [2, 4], [1, 2]),
    "second_order": (lambda: ops.grad(second_order)(x), [2, 2], [0, 0]),
    # a jit body keeps its captures constants, and jvp its in both modes
    "jit_function": (lambda: ops.grad(jitted)(x), [1, 2], [1, 2]),
    "calls_jit": (lambda: ops.grad(calls_jit)(x), [1, 2], [1, 2]),
    "jit_construct": (lambda: ops.grad(HoldsJit(x))(x), [1, 2], [1, 2]),
    "jit_then_capture": (lambda: ops.grad(jit_then_capture)(x), [3, 6], [2, 4]),
    "capture_then_jit": (lambda: ops.grad(capture_then_jit)(x), [3, 6], [2, 4]),
    "jvp": (lambda: ops.jvp(f1, x, Tensor(np.ones(2, np.float32)))[1], 3, 3),
    "not_the_same_object": (lambda: ops.grad(f1)(Tensor(np.array([1.0, 2.0], np.float32))), [1, 2], [1, 2]),
}


@pytest.mark.parametrize("mode", ["default", "pynative", "graph"])
def test_captured_argument_values(fake, mode):
    if mode != "default":
        gs.set_context(mode=gs.PYNATIVE_MODE if mode == "pynative" else gs.GRAPH_MODE)
    for name, (call, pynative, graph) in CASES.items():
        got = call()
        try:
            eq(got, graph if mode == "graph" else pynative)
        except AssertionError as e:
            raise AssertionError(f"{name} ({mode}): {e}") from None


def test_cached_trace_follows_identity(fake):
    """The default mode caches traces by signature: a trace made with the capture a constant must not serve a
    call where the argument is the captured object, nor the other way round."""
    other = Tensor(np.array([1.0, 2.0], np.float32))
    g = ops.grad(f1)
    for a, want in ((other, [1, 2]), (x, [2, 4]), (other, [1, 2]), (x, [2, 4])):
        eq(g(a), want)


class UsesWeight(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = gs.Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="w")
        self.v = gs.Parameter(Tensor(np.array([0.5, -3.0], np.float32)), name="v")

    def construct(self, a):
        return (a * self.w * self.w + a * self.v).sum()


def _torch_grads(w0, v0, same: bool):
    """(d/da, d/dw, d/dv) of (a * w * w + a * v).sum() at a = w0 by torch: `same` one tensor for a and w
    (PyNative: gradients belong to Tensor objects), else two (GRAPH_MODE: each use its own)."""
    import torch
    w = torch.tensor(w0, requires_grad=True)
    v = torch.tensor(v0, requires_grad=True)
    a = w if same else torch.tensor(w0, requires_grad=True)
    (a * w * w + a * v).sum().backward()
    return (w.grad if same else a.grad).numpy(), w.grad.numpy(), v.grad.numpy()


@pytest.mark.parametrize("mode", ["default", "pynative", "graph"])
def test_parameter_argument_and_weight(fake, mode):
    """A Parameter passed as the differentiated argument and asked for as a weight: MindSpore 2.10 PyNative
    gives both the sum of the two uses (2w for `a * self.w`, its support doc); GRAPH_MODE each use its own."""
    if mode != "default":
        gs.set_context(mode=gs.PYNATIVE_MODE if mode == "pynative" else gs.GRAPH_MODE)
    net = UsesWeight()
    w0, v0 = net.w.asnumpy().copy(), net.v.asnumpy().copy()
    da, dw, dv = _torch_grads(w0, v0, same=mode != "graph")
    ga, (gw, gv) = ops.grad(net, 0, net.trainable_params())(net.w)
    for got, want in ((ga, da), (gw, dw), (gv, dv)):
        eq(got, want)
    (ga,), (gw, gv) = GradOperation(get_all=True, get_by_list=True)(net, net.trainable_params())(net.w)
    for got, want in ((ga, da), (gw, dw), (gv, dv)):
        eq(got, want)
    gw, gv = ops.grad(net, None, net.trainable_params())(net.w)  # weights only: the argument's use still counts
    eq(gw, dw)
    eq(gv, dv)
    ga, (gv,) = ops.grad(net, 0, [net.v])(net.w)  # w not asked for as a weight: the argument's own use
    eq(ga, _torch_grads(w0, v0, same=False)[0])
    eq(gv, dv)
