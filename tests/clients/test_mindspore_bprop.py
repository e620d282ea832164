"""A Cell's custom `bprop` replaces construct's derivative, at every order.

Expected values are derived by hand from the rules each test defines (the custom rule is
deliberately not construct's derivative, so differentiating construct gives other numbers).
"""
import numpy as np
import pytest

from gradserve import Parameter, ParameterTuple, Tensor, nn, ops
from gradserve.ops import GradOperation


def t(v):
    return Tensor(np.asarray(v, np.float32))


class MulAdd(nn.Cell):
    """construct x*y*y; rule (x + y, x * y), independent of dout (MindSpore's documented example)."""

    def construct(self, x, y):
        return x * y * y

    def bprop(self, x, y, out, dout):
        return x + y, x * y


class ScaledRelu(nn.Cell):
    """construct relu(x) (second derivative 0); rule 5 * x * dout (second derivative 5)."""

    def construct(self, x):
        return ops.relu(x)

    def bprop(self, x, out, dout):
        return (5 * x * dout,)


class Square(nn.Cell):
    """construct x*x; rule 2 * out * dout: d out = 2 x^2 dx, so d2 = 2 * (2 out) = 4 x^2."""

    def construct(self, x):
        return x * x

    def bprop(self, x, out, dout):
        return (2 * out * dout,)


class Outer(nn.Cell):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def construct(self, x):
        return 2 * self.inner(x * 3)


class Times10(nn.Cell):
    def construct(self, x):
        return x * x

    def bprop(self, x, out, dout):
        return (dout * 10,)


def test_first_order_uses_the_rule(fake):
    gx, gy = GradOperation(get_all=True)(MulAdd())(t(1.0), t(2.0))
    assert float(gx.asnumpy()) == 3.0 and float(gy.asnumpy()) == 2.0  # construct would give 4 and 4


def test_rule_composes_with_the_chain_rule(fake):
    g = GradOperation()(Outer(Times10()))(t([1.0, 2.0]))
    np.testing.assert_allclose(g.asnumpy(), [60.0, 60.0])  # 2 * 10 * 3


def test_second_order_differentiates_the_rule(fake):
    net = ScaledRelu()
    g1 = GradOperation()(net)
    g2 = GradOperation()(g1)
    x = t([0.5, 2.0])
    np.testing.assert_allclose(g1(x).asnumpy(), [2.5, 10.0])
    np.testing.assert_allclose(g2(x).asnumpy(), [5.0, 5.0])  # relu'' would give 0


def test_second_order_reaches_out_through_the_rule(fake):
    x = t([3.0])
    g1 = GradOperation()(Square())
    np.testing.assert_allclose(g1(x).asnumpy(), [18.0])  # 2 * 9
    np.testing.assert_allclose(GradOperation()(g1)(x).asnumpy(), [36.0])  # 4 x^2, not 2 * 2x


def test_third_order(fake):
    x = t([3.0])
    g3 = GradOperation()(GradOperation()(GradOperation()(Square())))
    # second order 4 * out; its derivative 4 * (2 out) through the rule again = 8 x^2
    np.testing.assert_allclose(g3(x).asnumpy(), [72.0])


def test_functional_grad_and_sens(fake):
    g = ops.grad(Times10())(t([1.0, 2.0]))
    np.testing.assert_allclose(g.asnumpy(), [10.0, 10.0])
    gs = GradOperation(sens_param=True)(Times10())(t([1.0, 2.0]), t([0.5, 3.0]))
    np.testing.assert_allclose(gs.asnumpy(), [5.0, 30.0])


def test_jvp_through_the_rule(fake):
    out, tan = ops.jvp(Times10(), t([1.0, 2.0]), t([1.0, -1.0]))
    np.testing.assert_allclose(out.asnumpy(), [1.0, 4.0])
    np.testing.assert_allclose(tan.asnumpy(), [10.0, -10.0])


class WithWeight(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(t([2.0]), name="w")

    def construct(self, x):
        return x * self.w

    def bprop(self, x, out, dout):
        return (dout * self.w * 3,)


def test_rule_reading_a_parameter(fake):
    net = WithWeight()
    np.testing.assert_allclose(GradOperation()(net)(t([1.0, 4.0])).asnumpy(), [6.0, 6.0])
    gx, (gw,) = GradOperation(get_all=True, get_by_list=True)(net, ParameterTuple(net.trainable_params()))(
        t([1.0, 4.0]))
    np.testing.assert_allclose(gx[0].asnumpy(), [6.0, 6.0])
    np.testing.assert_allclose(gw.asnumpy(), [0.0])  # the rule gives no parameter gradient


def test_forward_value_is_constructs(fake):
    np.testing.assert_allclose(MulAdd()(t(1.0), t(2.0)).asnumpy(), 4.0)
    out = nn.Vjp(ScaledRelu())(t([-1.0, 2.0]), t([1.0, 1.0]))
    np.testing.assert_allclose(out[0].asnumpy(), [0.0, 2.0])


def test_wrong_number_of_gradients_is_mindspores_runtime_error(fake):
    # MindSpore 2.10's class and text (PyNative; GRAPH_MODE's: tests/clients/test_mindspore_suite36.py)
    class Bad(nn.Cell):
        def construct(self, x, y):
            return x * y

        def bprop(self, x, y, out, dout):
            return (dout,)

    with pytest.raises(RuntimeError, match="Grad size should lager than forward inputs, but got 1 vs 2"):
        GradOperation(get_all=True)(Bad())(t(1.0), t(2.0))


class Const58(nn.Cell):
    """A rule that ignores dout: two calls are two applications of it, not one with 2 * dout."""

    def construct(self, x, y):
        return x * y

    def bprop(self, x, y, out, dout):
        return 5 * x, 8 * y


class TwoCalls(nn.Cell):
    def __init__(self):
        super().__init__()
        self.a, self.b = Const58(), Const58()

    def construct(self, x, y):
        return self.a(x, y) + self.b(x, y)


def test_each_call_applies_the_rule(fake):
    gx, gy = GradOperation(get_all=True)(TwoCalls())(t(np.ones(2)), t(np.ones(2)))
    np.testing.assert_allclose(gx.asnumpy(), [10.0, 10.0])
    np.testing.assert_allclose(gy.asnumpy(), [16.0, 16.0])


def test_bprop_cell_called_with_numbers_only_has_nothing_to_differentiate(fake):
    """No Tensor input: the bprop has nothing to give, so grad gives () (as for any function of Python
    numbers alone), not a custom_vjp node the service refuses."""
    class Scaled(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(t([2.0]), name="w")

        def construct(self, x, y):
            return self.w * x + y

        def bprop(self, x, y, out, dout):
            return dout * 3, 2 * y

    from gradserve import context

    for mode in (context.GRAPH_MODE, context.PYNATIVE_MODE):
        context.set_context(mode=mode)
        assert GradOperation(get_all=True)(Scaled())(1, 2) == ()
