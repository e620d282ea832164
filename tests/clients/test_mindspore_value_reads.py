"""A traced Tensor's value read while tracing (`int(t)`, `asnumpy()`, `item()`, a shape or a mask from a value):
answered with its value in this call, the trace specialised on it, never reused for another value.

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv with the same functions and inputs
(PyNative unless the test says GRAPH_MODE); each literal below is its output. Where MindSpore's CPU has no
kernel (UniqueGrad), central finite differences of the function's value."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, context, nn, ops


def f32(*v):
    return Tensor(np.array(v, np.float32))


def _scaled_square(x):
    n = int(x.sum())  # a read: the gradient treats n as a constant
    return (x * x * n).sum()


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_a_second_call_with_another_read_value_gives_its_own_gradient(fake, mode):
    context.set_context(mode=mode)
    np.testing.assert_allclose(ms.grad(_scaled_square)(f32(1, 2)).asnumpy(), [6, 12])
    np.testing.assert_allclose(ms.grad(_scaled_square)(f32(2, 3)).asnumpy(), [20, 30])
    np.testing.assert_allclose(ms.grad(_scaled_square)(f32(1, 2)).asnumpy(), [6, 12])


def test_a_graph_mode_cell_that_reads_a_value_is_traced_again_for_each_call(fake):
    context.set_context(mode=context.GRAPH_MODE)

    class Net(nn.Cell):
        def construct(self, x):
            return _scaled_square(x)

    net = Net()
    grad = ops.GradOperation()(net)
    # MindSpore 2.10 GRAPH_MODE (JIT Fallback reads the value at run time): 15, [6, 12]; 65, [20, 30]
    for v, out, g in (((1, 2), 15, [6, 12]), ((2, 3), 65, [20, 30]), ((1, 2), 15, [6, 12])):
        np.testing.assert_allclose(net(f32(*v)).asnumpy(), out)
        np.testing.assert_allclose(grad(f32(*v)).asnumpy(), g)
    assert not net._gs_programs  # specialised on the values read: never kept for a later call


def test_asnumpy_leaves_the_tape(fake):
    def f(x):
        return (x * Tensor(x.asnumpy())).sum()
    np.testing.assert_allclose(ms.grad(f)(f32(1, -2)).asnumpy(), [1, -2])  # not 2x


def test_a_shape_from_a_value(fake):
    def f(x):
        return (ops.ones(int(x.max()), ms.float32) * x.sum()).sum()
    assert float(f(f32(1, 3)).asnumpy()) == 12.0
    np.testing.assert_allclose(ms.grad(f)(f32(1, 3)).asnumpy(), [3, 3])


@pytest.mark.parametrize("x, out, gw", [((1, 2), 12.25, [3.5, 7]), ((3, 1), 9.0, [9, 3])])
def test_a_read_of_a_value_that_depends_on_a_parameter(fake, x, out, gw):
    class W(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(np.array([0.5, 1.5], np.float32)), name="w")

        def construct(self, x):
            k = float((x * self.w).sum().item())
            return (x * self.w).sum() * k

    net = W()
    np.testing.assert_allclose(net(f32(*x)).asnumpy(), out)
    np.testing.assert_allclose(ops.GradOperation(get_by_list=True)(net, net.trainable_params())(f32(*x))[0].asnumpy(),
                               gw)


def test_a_read_inside_the_function_of_an_inner_derivative(fake):
    def s(x):
        return ms.grad(lambda y: (y ** 3).sum() * float(y.sum()))(x).sum()
    np.testing.assert_allclose(ms.grad(s)(f32(2, 1)).asnumpy(), [36, 18])


def test_masked_select_with_a_traced_mask(fake):
    def m(x):
        return ops.masked_select(x, x > 0).sum() * 2
    np.testing.assert_allclose(ms.grad(m)(f32(1, -2, 3)).asnumpy(), [2, 0, 2])


def test_unique_of_a_traced_input(fake):
    weights = Tensor(np.array([1, 2, 3], np.float32))

    def f(x):
        y, _ = ops.unique(x)
        return (y * weights[:y.shape[0]]).sum()
    assert float(f(f32(3, 1, 3, 2, 1)).asnumpy()) == 11.0  # MindSpore 2.10: 11.0 (its grad: no CPU kernel)
    x = np.array([3, 1, 2], np.float64)

    def value(v):
        return float(f(Tensor(v.astype(np.float32))).asnumpy())
    fd = [(value(x + e) - value(x - e)) / 2e-2 for e in np.eye(3) * 1e-2]
    np.testing.assert_allclose(ms.grad(f)(Tensor(x.astype(np.float32))).asnumpy(), fd, rtol=1e-4)


def test_an_exported_graph_still_refuses_a_read():
    class N(nn.Cell):
        def construct(self, x):
            return x * float(x.sum())

    with pytest.raises(RuntimeError, match="inside a trace"):
        ms.trace_graph(N(), [np.ones(2, np.float32)])


def test_a_one_element_tensor_of_any_shape_as_a_python_number(fake):
    # MindSpore 2.10: int(Tensor([3])) 3, float(Tensor([1.5])) 1.5, (1, 2, 3, 4)[Tensor([3])] 4; two elements:
    # ValueError "Only one element tensors can be converted to Python scalars"
    assert int(Tensor([3])) == 3 and float(Tensor([1.5])) == 1.5 and (1, 2, 3, 4)[Tensor([3])] == 4
    with pytest.raises(ValueError, match="Only one element tensors"):
        int(Tensor([3, 4]))
    with pytest.raises(ValueError, match="Only integer tensors"):  # MindSpore 2.10: (1, 2)[Tensor([1.0])]
        (1, 2)[Tensor([1.0])]

    @ms.jit
    def pick(x, i):
        return x * (1, 2, 3, 4)[i]
    np.testing.assert_allclose(pick(f32(1, 2), Tensor([3])).asnumpy(), [4, 8])
    np.testing.assert_allclose(pick(f32(1, 2), Tensor([1])).asnumpy(), [2, 4])
    # MindSpore 2.10 PyNative: the gradient of m[x] = x + 1 (an index read at its value) is [1]; its jit gives [0]
    # (JIT Fallback's PyExecute carries no gradient): we keep the derivative of what is computed
    np.testing.assert_allclose(ops.GradOperation()(lambda x: ("1", x, x + 1)[x])(Tensor([2])).asnumpy(), [1])


def test_the_masked_select_primitive(fake):
    x = f32(1, 2, 3, 4)
    mask = Tensor(np.array([True, False, True, False]))
    np.testing.assert_allclose(ops.operations.MaskedSelect()(x, mask).asnumpy(), [1, 3])
    g = ms.grad(lambda u: ops.operations.MaskedSelect()(u, u > 2).sum() * 2)(x)
    np.testing.assert_allclose(g.asnumpy(), [0, 0, 2, 2])  # by hand


def test_more_ifs_on_traced_values_than_a_graph_of_conds_holds(fake):
    x = np.array([0.3, -1.2, 2.5, 0.7, -0.4, 1.9, -2.2, 0.1, 1.1, -0.8, 0.05, 3.0], np.float32)
    w = np.arange(1, 13, dtype=np.float32)

    def f(t):  # Python's sort asks `<` of traced scalars: far more paths than conds; this call's values decide
        ordered = sorted(t[i] for i in range(12))
        return sum(v * float(k) for v, k in zip(ordered, w))
    # by hand: the element of rank r gets weight w[r]
    np.testing.assert_allclose(ms.grad(f)(Tensor(x)).asnumpy(), w[np.argsort(np.argsort(x))])


def test_a_read_that_depends_on_a_dropout_mask_is_refused(fake):
    # the mask is drawn anew for the run itself: a value read before it would not be the run's
    def f(x):
        y = ops.dropout(x, p=0.5)
        return y * float(y.sum())
    with pytest.raises(RuntimeError, match="random draw"):
        ms.grad(f)(f32(1, 2, 3, 4))

    def g(x):  # a read that does not depend on the draw, beside it: by hand, d/dx (0 + sum(x) * 3) = 3
        return (ops.dropout(x, p=0.5) * 0).sum() + x.sum() * float(x.sum())
    np.testing.assert_allclose(ms.grad(g)(f32(1, 2)).asnumpy(), [3, 3])


def _branch_reads(x):
    if x.sum() > 0:
        return (x * 2).sum()
    n = int(x[0])  # read on the false side only: negative where the true side runs
    return ops.ones(n, ms.float32).sum() * x.sum()


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
@pytest.mark.parametrize("x, g", [((-1, 2), [2, 2]), ((2, -5), [2, 2])])
def test_a_read_on_the_side_of_an_if_that_does_not_run(fake, mode, x, g):
    # MindSpore 2.10 PyNative: grad at (-1, 2) is [2, 2] (the false side, ones(-1), never runs); at (2, -5) the
    # false side runs: ones(2).sum() * d(sum x) = [2, 2]. A cond traced both sides: ones(-1) was a 400.
    context.set_context(mode=mode)
    np.testing.assert_allclose(ms.grad(_branch_reads)(f32(*x)).asnumpy(), g)


def test_a_read_inside_a_derivative_called_on_one_side_of_an_if(fake):
    def inner(y):
        return ops.ones(int(y[0]), ms.float32).sum() * (y * y).sum()

    def f(x):
        if x.sum() > 0:
            return x.sum()
        return ms.grad(inner)(x).sum()
    # the true side runs at (-1, 2): d(sum x) = [1, 1] (inner's ones(-1) never runs: MindSpore 2.10 PyNative
    # gives [1, 1])
    np.testing.assert_allclose(ms.grad(f)(f32(-1, 2)).asnumpy(), [1, 1])
