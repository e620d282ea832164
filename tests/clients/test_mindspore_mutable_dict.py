"""mutable({...}): a dict of Tensors as a variable input. Its gradient is a dict with its keys (MindSpore 2.10
prints a dict for GradOperation of a net taking mutable({'a': .., 'b': ..})); a dict inside a mutable
tuple likewise; a plain dict argument stays a constant (nothing to differentiate: ()). Values by hand:
d sum(a * b) = (b, a)."""
import numpy as np

import gradserve as gs
from gradserve import Tensor, nn, ops
from gradserve.ops import GradOperation

A = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
B = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)


class DictNet(nn.Cell):
    def construct(self, t):
        return ops.sum(t["a"] * t["b"])


class Wrap(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net, self.grad = net, GradOperation()

    def construct(self, t):
        return self.grad(self.net)(t)


def eq(got, want):
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)


def test_gradient_of_a_mutable_dict_is_a_dict(on_real_server):
    t = gs.mutable({"b": Tensor(B), "a": Tensor(A)})   # insertion order: b, then a
    for grads in (GradOperation()(DictNet())(t), Wrap(DictNet())(t)):
        assert isinstance(grads, dict) and list(grads) == ["b", "a"]
        eq(grads["b"], A)   # d/db
        eq(grads["a"], B)   # d/da


def test_a_dict_inside_a_mutable_tuple(on_real_server):
    class Net(nn.Cell):
        def construct(self, t):
            d, c = t
            return ops.sum(d["a"] * c) + ops.sum(d["b"])

    t = gs.mutable(({"a": Tensor(A), "b": Tensor(B)}, Tensor(B)))
    gd, gc = GradOperation()(Net())(t)
    eq(gd["a"], B)
    eq(gd["b"], np.ones_like(B))
    eq(gc, A)


def test_a_value_replaced_inside_construct_gets_zero(on_real_server):
    class Net(nn.Cell):
        def construct(self, t):
            t["b"] = Tensor(np.full_like(B, 3.0))
            return t["a"] * 2.0 + t["b"]

    g = GradOperation()(Net())(gs.mutable({"a": Tensor(A), "b": Tensor(B)}))
    eq(g["a"], np.full_like(A, 2.0))
    eq(g["b"], np.zeros_like(B))


def test_a_plain_dict_argument_is_a_constant(on_real_server):
    assert GradOperation()(DictNet())({"a": Tensor(A), "b": Tensor(B)}) == ()
    eq(DictNet()({"a": Tensor(A), "b": Tensor(B)}), (A * B).sum())
