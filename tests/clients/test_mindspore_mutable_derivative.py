"""A mutable() Python number in graph mode gets its true derivative where it reaches an op that MindSpore 2.10
differentiates it through (ops.pow / add / sub / mul / div / fill / select, Pow(), Tensor `+`, `-`, `**`),
and 0 through Tensor `*`, `/`, `//`, `%` and Python arithmetic on the number (`y * 2`): gradserve gives the
number a traced twin (_misc.with_twin) only on the first kind. An int's gradient is the derivative truncated
to an int. Every expected value below was printed by MindSpore 2.10 on CPU running the same code
(x = [1, 2, 3], y = mutable(2.0) unless said; sum(x**y * ln x) = 12.660099...)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops

X = np.array([1.0, 2.0, 3.0], np.float32)


def T(v):
    return Tensor(np.array(v, np.float32))


def grad_both(f, y):
    return ms.grad(f, grad_position=(0, 1))(T(X), ms.mutable(y))


def pow_ts(a, y): return ops.sum(ops.pow(a, y))
def pow_st(a, y): return ops.sum(ops.pow(y, a))
def fill(a, y): return ops.sum(a * ops.fill(ms.float32, (3,), y))
def add(a, y): return ops.sum(ops.add(a, y))
def mul_fn(a, y): return ops.sum(ops.mul(a, y))
def sub_fn(a, y): return ops.sum(ops.sub(y, a))
def div_fn(a, y): return ops.sum(ops.div(a, y))
def where(a, y): return ops.sum(ops.where(a > 1.5, a, y))
def pow_prim(a, y): return ops.sum(ops.Pow()(a, y))
def op_add(a, y): return ops.sum(a + y)
def op_rsub(a, y): return ops.sum(y - a)
def op_pow(a, y): return ops.sum(a ** y)
def op_rpow(a, y): return ops.sum(y ** a)
def op_mul(a, y): return ops.sum(a * y)
def op_rmul(a, y): return ops.sum(y * a)
def op_div(a, y): return ops.sum(a / y)
def op_mod(a, y): return ops.sum(a % y)
def scalar_arith(a, y): return ops.sum(ops.mul(a, y * 2))
def pow_then_mul(a, y): return ops.sum(ops.pow(a, y) * y)


# (function, gradient of x, of mutable(2.0), of mutable(2)): MindSpore 2.10
CASES = [
    (pow_ts, [2, 4, 6], 12.660099029541016, 12),
    (pow_st, [1.3862943649291992, 2.7725887298583984, 5.545177459716797], 17.0, 17),
    (fill, [2, 2, 2], 6.0, 6),
    (add, [1, 1, 1], 3.0, 3),
    (mul_fn, [2, 2, 2], 6.0, 6),
    (sub_fn, [-1, -1, -1], 3.0, 3),
    (div_fn, [0.5, 0.5, 0.5], -1.5, -1),
    (where, [0, 1, 1], 1.0, 1),
    (pow_prim, [2, 4, 6], 12.660099029541016, 12),
    (op_add, [1, 1, 1], 3.0, 3),
    (op_rsub, [-1, -1, -1], 3.0, 3),
    (op_pow, [2, 4, 6], 12.660099029541016, 12),
    (op_rpow, [1.3862943649291992, 2.7725887298583984, 5.545177459716797], 17.0, 17),
    (op_mul, [2, 2, 2], 0.0, 0),
    (op_rmul, [2, 2, 2], 0.0, 0),
    (op_div, [0.5, 0.5, 0.5], 0.0, 0),
    (op_mod, [1, 1, 1], 0.0, 0),
    (scalar_arith, [4, 4, 4], 0.0, 0),
    (pow_then_mul, [4, 8, 12], 25.32019805908203, 25),
]


@pytest.mark.parametrize("f, gx, gfloat, gint", CASES, ids=[c[0].__name__ for c in CASES])
def test_mutable_number_gradient_as_mindspore(on_real_server, f, gx, gfloat, gint):
    ms.set_context(mode=ms.GRAPH_MODE)
    got_x, got_y = grad_both(f, 2.0)
    np.testing.assert_allclose(got_x.asnumpy(), gx, rtol=1e-6)
    assert isinstance(got_y, float) and got_y == pytest.approx(gfloat, rel=1e-6)
    got_x, got_y = grad_both(f, 2)
    np.testing.assert_allclose(got_x.asnumpy(), gx, rtol=1e-6)
    assert isinstance(got_y, int) and got_y == gint


class Inner(nn.Cell):
    def construct(self, a, y):
        return ops.pow(a, y) + y


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def construct(self, a, y):
        return ops.sum(self.inner(a, y) * y)


class Twice(nn.Cell):
    def construct(self, a, y):
        return ops.sum(ops.fill(ms.float32, (2,), y) * y) + ops.sum(a - y)


def test_cells_grad_operation_and_value_and_grad(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)
    gx, gy = ops.GradOperation(get_all=True)(Net())(T(X), ms.mutable(2.0))  # through a sub-cell
    np.testing.assert_allclose(gx.asnumpy(), [4, 8, 12], rtol=1e-6)
    assert gy == pytest.approx(31.32019805908203, rel=1e-6)
    value, (gx, gy) = ms.value_and_grad(Twice(), grad_position=(0, 1))(T(X), ms.mutable(3.0))
    np.testing.assert_allclose(value.asnumpy(), 15.0)
    np.testing.assert_allclose(gx.asnumpy(), [1, 1, 1])
    assert gy == 3.0
    assert ms.grad(Twice(), grad_position=1)(T(X), ms.mutable(3.0)) == 3.0
    assert ms.grad(Twice(), grad_position=1)(T(X), ms.mutable(-2)) == -7


def test_pynative_mode_keeps_the_number_a_constant(on_real_server):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    try:
        out = ops.GradOperation(get_all=True)(Net())(T(X), ms.mutable(2.0))
    finally:
        ms.set_context(mode=ms.GRAPH_MODE)
    assert len(out) == 1  # MindSpore 2.10: (Tensor([4, 8, 12]),)
    np.testing.assert_allclose(out[0].asnumpy(), [4, 8, 12], rtol=1e-6)


def _g(a, y):
    return ms.grad(pow_ts, grad_position=1)(a, y)


def test_inside_jit_and_under_a_second_grad(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)
    assert ms.jit(_g)(T(X), ms.mutable(2.0)) == pytest.approx(12.660099029541016, rel=1e-6)
    # the inner gradient is a Python number: nothing differentiates through it (MindSpore 2.10: zeros)
    gx, gy = ms.grad(_g, grad_position=(0, 1))(T(X), ms.mutable(2.0))
    np.testing.assert_array_equal(gx.asnumpy(), [0, 0, 0])
    assert gy == 0.0


def ones_n(a, n): return ops.sum(ops.ones((n,), ms.float32)) * ops.sum(a)
def zeros_n(a, n): return ops.sum(ops.zeros((n, 2), ms.float32) + 1.0) * ops.sum(a)
def fill_shape(a, n): return ops.sum(ops.fill(ms.float32, (n,), 2.0)) * ops.sum(a)
def tensor_ctor(a, y): return ops.sum(a * Tensor(y, ms.float32))


@pytest.mark.parametrize("f, y, gx, gy", [(ones_n, 3, [3, 3, 3], 0), (zeros_n, 3, [6, 6, 6], 0),
                                          (fill_shape, 3, [6, 6, 6], 0), (tensor_ctor, 2.0, [2, 2, 2], 0.0)],
                         ids=["ones", "zeros", "fill_shape", "Tensor"])
def test_shapes_and_tensor_constructor_give_no_derivative(on_real_server, f, y, gx, gy):
    ms.set_context(mode=ms.GRAPH_MODE)
    got_x, got_y = grad_both(f, y)
    np.testing.assert_allclose(got_x.asnumpy(), gx)
    assert got_y == gy and type(got_y) is type(gy)


def test_const_arg_tensor_and_set_const_arg_keep_values_and_gradient(on_real_server):
    """Tensor(..., const_arg=True) and x.set_const_arg(False) (MindSpore: compile the values in / not): the
    same gradient either way; d/dx sum(x @ y) is y's row sums (by hand)."""
    y_np = np.array([[0.01, 0.3, 1.1], [0.1, 0.2, 1.3], [2.1, 1.2, 3.3]], np.float32)
    x = Tensor(np.array([[0.5, 0.6, 0.4], [1.2, 1.3, 1.1]], np.float32), const_arg=True)
    y = Tensor(y_np, const_arg=True)
    assert x.set_const_arg(False) is x
    g = ops.grad(lambda a, b: ops.matmul(a, b).sum())(x, y)
    np.testing.assert_allclose(g.asnumpy(), np.broadcast_to(y_np.sum(axis=1), (2, 3)), rtol=1e-6)
