"""mutable() of Python numbers and of tuples / lists holding them, mutable lists of Tensors, and `Variable`
(MindSpore 1.8's name for mutable). In graph mode MindSpore 2.10 gives such an argument a place among the
gradients: 0.0 for a float, 0 for an int or bool (the number reaches the net's Tensors through an implicit
conversion that carries no gradient); a mutable list's gradient is a list. In PyNative mode mutable()
changes nothing (the numbers are constants). Every expected value below was printed by MindSpore 2.10 on
CPU running the same code."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops
from gradserve.ops import GradOperation

X = np.array([1.0, 2.0], np.float32)


def T(v):
    return Tensor(np.array(v, np.float32))


class Net(nn.Cell):
    def construct(self, x, y):
        return x * y * y


class TNet(nn.Cell):
    def construct(self, x, t):
        return x * t[0] + x * x * t[1]


def eq(got, want):
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)


def test_graph_mode_gives_mutable_numbers_a_zero_gradient(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)
    gx, gy = GradOperation(get_all=True)(Net())(T(X), ms.mutable(3.0))
    eq(gx, [9, 9])
    assert gy == 0.0 and isinstance(gy, float)
    gx, gy = GradOperation(get_all=True)(Net())(T(X), ms.mutable(3))
    assert gy == 0 and isinstance(gy, int)
    assert ops.grad(Net(), grad_position=1)(T(X), ms.mutable(3.0)) == 0.0
    gx, gy = ops.grad(Net(), grad_position=(0, 1))(T(X), ms.mutable(3.0))
    eq(gx, [9, 9])
    assert gy == 0.0
    value, (gx, gy) = ops.value_and_grad(Net(), grad_position=(0, 1))(T(X), ms.mutable(3.0))
    eq(value, [9, 18])
    assert gy == 0.0
    # a plain number stays a constant: no place among the gradients
    assert len(GradOperation(get_all=True)(Net())(T(X), 3.0)) == 1


def test_tuples_and_lists_of_numbers(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)
    gx, gt = GradOperation(get_all=True)(TNet())(T(X), ms.mutable((2.0, 5.0)))
    eq(gx, [12, 22])
    assert gt == (0.0, 0.0) and isinstance(gt, tuple)
    gx, gt = GradOperation(get_all=True)(TNet())(T(X), ms.mutable([2.0, 5.0]))
    assert gt == [0.0, 0.0] and isinstance(gt, list)
    # a Tensor among the numbers gets its own gradient: d/dt0 sum(x * t0) = sum(x) = 3
    gx, (g0, g1) = GradOperation(get_all=True)(TNet())(T(X), ms.mutable((T(2.0), 5.0)))
    eq(gx, [12, 22])
    eq(g0, 3.0)
    assert g1 == 0.0


def test_the_first_input_alone(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)

    class Sq(nn.Cell):
        def construct(self, y):
            return y * y

    class L(nn.Cell):
        def construct(self, t, x):
            return x * t[0] * t[1]

    assert GradOperation()(Sq())(ms.mutable(3.0)) == 0.0
    assert GradOperation(get_all=True)(Sq())(ms.mutable(3.0)) == (0.0,)
    assert GradOperation()(L())(ms.mutable((1.0, 2)), T(X)) == (0.0, 0)
    g = GradOperation()(L())(ms.mutable([T(1.0), T(2.0)]), T(X))   # a mutable list of Tensors: a list
    assert isinstance(g, list)
    eq(g[0], 6.0)
    eq(g[1], 3.0)


def test_pynative_mode_ignores_mutable(on_real_server):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    assert len(GradOperation(get_all=True)(Net())(T(X), ms.mutable(3.0))) == 1
    assert len(GradOperation(get_all=True)(TNet())(T(X), ms.mutable((2.0, 5.0)))) == 1
    gx = ops.grad(Net(), grad_position=(0, 1))(T(X), ms.mutable(3.0))
    eq(gx, [9, 9])


def test_list_outputs_stay_lists(on_real_server):
    class N(nn.Cell):
        def construct(self, x):
            return [x, x * 2], (x, [x])

    a, b = N()(T(X))
    assert isinstance(a, list) and isinstance(b, tuple) and isinstance(b[1], list)
    eq(a[1], [2, 4])


def test_variable_is_mutable_and_mutable_checks_its_input():
    assert ms.Variable is ms.mutable and ms.common.Variable is ms.mutable
    v = ms.mutable(2.5)
    assert v == 2.5 and isinstance(v, float)
    b = ms.mutable(True)
    assert repr(b) == "True" and bool(b) and b == 1
    with pytest.raises(TypeError, match="mutable"):
        ms.mutable("text")
    with pytest.raises(TypeError, match="mutable"):
        ms.mutable((T(1.0), None))


def test_a_mutable_bool_gets_an_int_zero(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)
    gx, gy = GradOperation(get_all=True)(Net())(T(X), ms.mutable(True))   # MindSpore 2.10: ([1, 1], 0)
    eq(gx, [1, 1])
    assert gy == 0 and isinstance(gy, int)


def _ident(x):
    return x


def _as_tuple(x):
    return tuple(x)


def _first(x):
    return x[0]


def _rebuilt(x):
    return (x[0], x[1], x[2])


def _first_and_whole(x):
    return (x[0], x)


def _add_first(x):
    return ops.add(x[0], 1)


def _with_tensor(x, y):
    return (x, y * 2)


def test_a_mutable_sequence_returned_whole_has_gradient_one(on_real_server):
    # MindSpore 2.10 GRAPH_MODE (its venv, values printed there): each number of a mutable() tuple / list gets
    # 1 when the function returns the sequence whole (as it is, tuple(x), list(x), ListToTuple), 0 when it
    # returns its elements (even all of them, rebuilt) or computes on them; here it was 0 throughout, silently
    from gradserve.ops._utils.arg_dtype_cast import ListToTuple, TupleToList
    ms.set_context(mode=ms.GRAPH_MODE)
    g = ops.grad(_ident, (0,))(ms.mutable([1, 2, 3]))
    assert g == [1, 1, 1] and isinstance(g, list) and all(type(v) is int for v in g)
    assert ops.grad(_ident, (0,))(ms.mutable((1, 2, 3))) == (1, 1, 1)
    assert ops.grad(_ident, (0,))(ms.mutable([1.5, 2.0])) == [1.0, 1.0]
    assert ops.grad(_ident, (0,))(ms.mutable(((1, 2), 3))) == ((1, 1), 1)
    assert ops.grad(_as_tuple, (0,))(ms.mutable([1, 2, 3])) == [1, 1, 1]
    assert ops.grad(lambda x: ListToTuple()(x), (0,))(ms.mutable([1, 2, 3], True)) == [1, 1, 1]
    assert ops.grad(lambda x: TupleToList()(x), (0,))(ms.mutable((1, 2, 3), True)) == (1, 1, 1)
    assert ops.grad(_first_and_whole, (0,))(ms.mutable([1, 2, 3])) == [1, 1, 1]
    for f in (_first, _rebuilt, _add_first):
        assert ops.grad(f, (0,))(ms.mutable([1.0, 2.0, 3.0])) == [0.0, 0.0, 0.0], f.__name__
    gx, gy = ops.grad(_with_tensor, (0, 1))(ms.mutable([1, 2]), T([1.0]))
    assert gx == [1, 1]
    eq(gy, [2.0])
    g = ops.grad(_ident, (0,))(ms.mutable([1, T([2.0])]))
    assert g[0] == 1
    eq(g[1], [1.0])
    value, g = ops.value_and_grad(_ident, (0,))(ms.mutable([1, 2, 3]))
    assert value == [1, 2, 3] and g == [1, 1, 1]
    # GradOperation, and a sens: the sens is the gradient
    assert GradOperation()(_ident)(ms.mutable([1.0, 2.0])) == [1.0, 1.0]
    assert GradOperation(sens_param=True)(_ident)(ms.mutable([1.0, 2.0]), [3.0, 4.0]) == [3.0, 4.0]
    ms.set_context(mode=ms.PYNATIVE_MODE)
    assert ops.grad(_ident, (0,))(ms.mutable([1, 2, 3])) == ()
