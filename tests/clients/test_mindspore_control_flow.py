"""`if` / `while` on traced values inside construct (MindSpore's graph mode compiles them) as the engine's
cond / while: values and gradients (orders 1, 2) by hand or by finite differences, the untaken side
never run (no NaN from it), parameters inside branches, nested ifs, the max_loop_trips bound."""
import numpy as np
import pytest

import gradserve as gs

from gradserve import Parameter, Tensor, nn, ops
from gradserve._branches import ControlFlowError


def t(v):
    return Tensor(np.asarray(v, np.float32))


class Branchy(nn.Cell):
    def construct(self, x, y):
        if ops.sum(x) > ops.sum(y):
            out = x * y * 2
        else:
            out = x + y * 3
        return out


class Nested(nn.Cell):
    def construct(self, x):
        s = ops.sum(x)
        if s > 0:
            if s > 10:
                return x * 3
            return x * x
        return -x


def test_if_picks_the_branch_of_the_values(fake):
    net = Branchy()
    x, y = t([2.0, 3.0]), t([1.0, 1.0])
    np.testing.assert_allclose(net(x, y).asnumpy(), [4.0, 6.0])
    gx, gy = ops.GradOperation(get_all=True)(net)(x, y)
    np.testing.assert_allclose(gx.asnumpy(), [2.0, 2.0])  # 2 y
    np.testing.assert_allclose(gy.asnumpy(), [4.0, 6.0])  # 2 x
    x2 = t([0.0, 0.5])  # the same cached trace, the other branch
    np.testing.assert_allclose(net(x2, y).asnumpy(), [3.0, 3.5])
    gx, gy = ops.GradOperation(get_all=True)(net)(x2, y)
    np.testing.assert_allclose(gx.asnumpy(), [1.0, 1.0])
    np.testing.assert_allclose(gy.asnumpy(), [3.0, 3.0])


@pytest.mark.parametrize("x, value, grad", [([1.0, 2.0], [1.0, 4.0], [2.0, 4.0]),
                                            ([5.0, 6.0], [15.0, 18.0], [3.0, 3.0]),
                                            ([-1.0, -2.0], [1.0, 2.0], [-1.0, -1.0])])
def test_nested_ifs(fake, x, value, grad):
    np.testing.assert_allclose(Nested()(t(x)).asnumpy(), value)
    np.testing.assert_allclose(ops.grad(Nested())(t(x)).asnumpy(), grad)


def test_a_while_that_breaks_on_a_traced_value(fake):
    class Loop(nn.Cell):  # `break` is a flag of the loop state: the loop stays the engine's while
        def construct(self, x):
            while ops.sum(x) < 100:
                x = x * 2
                if ops.sum(x) > 50:
                    break
            return x

    # 1 -> 2 -> 4 -> ... -> 64 (> 50: break before the test sees 100): x * 2^6
    np.testing.assert_allclose(Loop()(t([1.0])).asnumpy(), [64.0])
    np.testing.assert_allclose(ops.grad(Loop())(t([1.0])).asnumpy(), [64.0])


def test_a_multi_element_condition_is_an_error(fake):
    class Bad(nn.Cell):
        def construct(self, x):
            return x * 2 if x > 0 else x

    with pytest.raises(ControlFlowError, match="ambiguous"):
        Bad()(t([1.0, 2.0]))


def test_branch_giving_a_python_number_inside_a_gradient_hook(fake):
    def clip_gradient(dx):
        ret = dx
        if ret > 1.0:
            ret = 1.0
        if ret < 0.2:
            ret = 0.2
        return ret

    clip = ops.InsertGradientOf(clip_gradient)

    def f(x, y):
        return clip(x) * clip(y)

    gx, gy = ops.GradOperation(get_all=True)(f)(t(1.1), t(0.1))
    # dx = y = 0.1 -> clipped up to 0.2; dy = x = 1.1 -> clipped down to 1.0
    np.testing.assert_allclose([float(gx), float(gy)], [0.2, 1.0], rtol=1e-6)


# -- on a real server: `if` is the engine's cond (only the taken side runs) ------------------------------
def f64(v):
    return Tensor(np.asarray(v, np.float64))


def sqrt_or_neg(x):
    if x > 0:
        return ops.sqrt(x)
    return -x


def fd(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("x0", [-2.0, 0.7])
def test_if_gradient_is_finite_when_the_untaken_side_is_not(on_real_server, x0):
    def ref(v):
        return np.sqrt(v) if v > 0 else -v

    x = f64(x0)
    np.testing.assert_allclose(float(ops.grad(sqrt_or_neg)(x)), fd(ref, x0), rtol=1e-6)
    # second order: d2/dx2 sqrt = -x^-1.5 / 4; -x has 0 (a where of both sides gives NaN at x = -2)
    d2 = float(ops.grad(ops.grad(sqrt_or_neg))(x))
    assert np.isfinite(d2)
    np.testing.assert_allclose(d2, -x0 ** -1.5 / 4 if x0 > 0 else 0.0, rtol=1e-10)
    np.testing.assert_allclose(d2, fd(lambda v: fd(ref, v, 1e-4), x0, 1e-4), rtol=1e-3, atol=1e-6)


class Scaled(nn.Cell):
    """y = w * sqrt(x) if sum(x) > 0 else w2 * x * x (w, w2 parameters read only inside the branches)."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(f64([1.5, -0.5]), name="w")
        self.w2 = Parameter(f64([2.0, 3.0]), name="w2")

    def construct(self, x):
        if ops.sum(x) > 0:
            y = self.w * ops.sqrt(x)
        else:
            y = self.w2 * x * x
        return ops.sum(y)


@pytest.mark.parametrize("x0", [[0.25, 4.0], [-1.0, -3.0]])
def test_parameters_inside_a_branch_get_their_gradients(on_real_server, x0):
    net = Scaled()
    x = f64(x0)
    w, w2 = np.array([1.5, -0.5]), np.array([2.0, 3.0])
    xv = np.array(x0)
    pos = xv.sum() > 0
    np.testing.assert_allclose(float(net(x)), (w * np.sqrt(xv)).sum() if pos else (w2 * xv * xv).sum(), rtol=1e-12)
    gw, gw2 = ops.GradOperation(get_by_list=True)(net, net.trainable_params())(x)
    np.testing.assert_allclose(gw.asnumpy(), np.sqrt(xv) if pos else [0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(gw2.asnumpy(), [0.0, 0.0] if pos else xv * xv, rtol=1e-12)
    gx = ops.grad(net)(x).asnumpy()
    np.testing.assert_allclose(gx, w / (2 * np.sqrt(xv)) if pos else 2 * w2 * xv, rtol=1e-12)
    assert np.isfinite(gx).all()


class NestedSafe(nn.Cell):
    """log(x) if x > 1, else (sqrt(x) if x > 0 else x ** 3): each inner side is invalid elsewhere."""

    def construct(self, x):
        if x > 1:
            return ops.log(x) * x
        else:
            if x > 0:
                return ops.sqrt(x)
            return x * x * x


@pytest.mark.parametrize("x0, d1, d2", [(2.0, np.log(2.0) + 1, 0.5),
                                        (0.25, 1.0, -2.0),  # 1/(2 sqrt x); -x^-1.5/4
                                        (-2.0, 12.0, -12.0)])
def test_nested_if_values_and_two_orders(on_real_server, x0, d1, d2):
    net = NestedSafe()
    x = f64(x0)
    g1 = float(ops.grad(net)(x))
    g2 = float(ops.grad(ops.grad(net))(x))
    np.testing.assert_allclose([g1, g2], [d1, d2], rtol=1e-10)


# -- `while` on a traced value: the engine's while, bounded by set_context(max_loop_trips=...) ---------
class Doubling(nn.Cell):
    def construct(self, x):
        while ops.sum(x) < 10:
            x = x * 2
        return x


def test_while_doubling_value_and_gradient(on_real_server):
    x = f64([0.3, 0.5])  # 0.8 -> 1.6 -> 3.2 -> 6.4 -> 12.8: four trips, y = 16 x
    np.testing.assert_allclose(Doubling()(x).asnumpy(), [4.8, 8.0], rtol=1e-12)
    np.testing.assert_allclose(ops.grad(Doubling())(x).asnumpy(), [16.0, 16.0], rtol=1e-12)
    x = f64([3.0, 8.0])  # the same trace, no trip: y = x
    np.testing.assert_allclose(Doubling()(x).asnumpy(), [3.0, 8.0], rtol=1e-12)
    np.testing.assert_allclose(ops.grad(Doubling())(x).asnumpy(), [1.0, 1.0], rtol=1e-12)


class NewtonSqrt(nn.Cell):
    """sqrt(a) by Newton's method from y = a."""

    def construct(self, a):
        y = a
        while ops.abs(y * y - a) > 1e-12 * a:
            y = (y + a / y) / 2
        return y


@pytest.mark.parametrize("a0", [2.0, 9.0])
def test_while_newton_sqrt_and_two_orders_of_gradient(on_real_server, a0):
    gs.set_context(max_loop_trips=40)  # the while unrolls to max_trips in the engine: keep it small and fast
    net, a = NewtonSqrt(), f64(a0)
    np.testing.assert_allclose(float(net(a)), np.sqrt(a0), rtol=1e-12)
    # the iteration's own derivative converges to sqrt's: 1/(2 sqrt a), then -1/(4 a^1.5)
    np.testing.assert_allclose(float(ops.grad(net)(a)), 0.5 / np.sqrt(a0), rtol=1e-8)
    np.testing.assert_allclose(float(ops.grad(ops.grad(net))(a)), -0.25 * a0 ** -1.5, rtol=1e-6)


def test_while_counter_and_a_parameter_in_the_body(fake):
    class Count(nn.Cell):  # a Python int counter becomes loop state; w is read inside the body
        def __init__(self):
            super().__init__()
            self.w = Parameter(t(1.5), name="w")

        def construct(self, x):
            i = 0
            while ops.sum(x) < 10:
                x = x * self.w
                i = i + 1
            return x, i

    net = Count()
    y, i = net(t([1.0, 1.0]))  # 2 -> 3 -> 4.5 -> 6.75 -> 10.125: four trips
    assert int(i) == 4
    np.testing.assert_allclose(y.asnumpy(), [1.5 ** 4] * 2, rtol=1e-6)
    (gw,) = ops.GradOperation(get_by_list=True)(lambda v: net(v)[0], net.trainable_params())(t([1.0, 1.0]))
    np.testing.assert_allclose(float(gw), 2 * 4 * 1.5 ** 3, rtol=1e-6)  # d/dw sum(x w^4)


def test_while_past_max_loop_trips_is_a_clear_error(on_real_server):
    gs.set_context(max_loop_trips=3)  # Doubling at 0.8 needs four trips
    with pytest.raises(Exception, match="max_trips=3"):
        Doubling()(f64([0.3, 0.5]))
    gs.set_context(max_loop_trips=4)
    np.testing.assert_allclose(Doubling()(f64([0.3, 0.5])).asnumpy(), [4.8, 8.0], rtol=1e-12)
    with pytest.raises(ValueError, match="max_loop_trips"):
        gs.set_context(max_loop_trips=0)


def piecewise(x):
    if x < -1:
        y = ops.log(-x)  # log of a negative number where untaken
    elif x < 1:
        y = x * x
    else:
        y = ops.sqrt(x - 1) * 4  # sqrt of a negative number where untaken
    return y


@pytest.mark.parametrize("x0, d1", [(-3.0, -1 / 3.0), (0.5, 1.0), (5.0, 1.0)])
def test_elif_chain_in_a_function_given_to_grad(on_real_server, x0, d1):
    g = float(ops.grad(piecewise)(f64(x0)))
    assert np.isfinite(g)
    np.testing.assert_allclose(g, d1, rtol=1e-12)  # -1/(-x) * -1 = 1/x; 2x; 2/sqrt(x - 1)


def halve_until_small(x):
    while ops.sum(x * x) > 1.0:
        x = x / 2
    return ops.sum(x)


def test_while_in_a_function_given_to_grad(fake):
    x = t([3.0, 4.0])  # |x| = 5 -> 2.5 -> 1.25 -> 0.625: three trips, y = sum(x) / 8
    np.testing.assert_allclose(ops.grad(halve_until_small)(x).asnumpy(), [1 / 8, 1 / 8], rtol=1e-6)
