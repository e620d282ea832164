"""Control flow of construct rewritten into the engine's cond / while (gradserve._rewrite), on a real server:
`break` / `continue` / `return` inside loops, `for` loops that stop on a traced value, many sequential
`if`s (each side traced once), loops in helper methods, names first bound inside a branch or loop,
Parameters assigned inside loops and branches, integer gradients through a cond.

Each function is plain Python arithmetic, so the same code run on NumPy float64 numbers is the reference
for values, and central finite differences of it for first and second derivatives."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, nn, ops
from gradserve import dtype as mstype


def f64(v):
    return Tensor(np.asarray(v, np.float64))


def fd(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def jumps(x, y):
    """A while with continue, break and return."""
    i = x * 0
    out = x * 0
    while i < 10:
        i = i + 1
        if i < 3:
            continue
        out = out * y + x
        if out > 60:
            break
        if i > 7:
            return out * 2
    return out - 1


@pytest.mark.parametrize("x0, y0", [(0.5, 1.5), (2.0, 1.7), (1.0, 0.5)])
def test_while_with_continue_break_return(on_real_server, x0, y0):
    x, y = f64(x0), f64(y0)
    got = ops.value_and_grad(jumps, grad_position=(0, 1))(x, y)
    np.testing.assert_allclose(float(got[0]), jumps(x0, y0), rtol=1e-12)
    np.testing.assert_allclose(float(got[1][0]), fd(lambda v: jumps(v, y0), x0), rtol=1e-6)
    np.testing.assert_allclose(float(got[1][1]), fd(lambda v: jumps(x0, v), y0), rtol=1e-6)
    d2 = float(ops.grad(ops.grad(jumps))(x, y))
    np.testing.assert_allclose(d2, fd(lambda v: fd(lambda u: jumps(u, y0), v, 1e-4), x0, 1e-4), rtol=1e-3,
                               atol=1e-6)


def many_ifs(x):
    """Twelve sequential ifs: one cond each (the branch explorer would need 2**12 re-traced paths)."""
    for k in range(12):
        if x > k * 0.5:
            x = x * 0.9 + 0.5
        else:
            x = x * x * 1.1
    return x


@pytest.mark.parametrize("x0", [-0.5, 1.9])  # all on the square side; a mix of both sides
def test_many_sequential_ifs_value_and_two_orders(on_real_server, x0):
    x = f64(x0)
    np.testing.assert_allclose(float(ops.value_and_grad(many_ifs)(x)[0]), many_ifs(x0), rtol=1e-12)
    np.testing.assert_allclose(float(ops.grad(many_ifs)(x)), fd(many_ifs, x0), rtol=1e-6)
    np.testing.assert_allclose(float(ops.grad(ops.grad(many_ifs))(x)),
                               fd(lambda v: fd(many_ifs, v, 1e-4), x0, 1e-4), rtol=1e-3, atol=1e-6)


def for_break(x):
    """A for over a static range that stops on a traced value."""
    s = x * 0
    for k in range(8):
        s = s + x * x * k
        if s > 5.0:
            break
    return s


@pytest.mark.parametrize("x0, trips", [(0.5, 7), (1.0, 4), (2.0, 3)])
def test_for_loop_break_on_a_traced_value(on_real_server, x0, trips):
    x = f64(x0)
    expect = x0 * x0 * sum(range(trips))  # by hand: s passes 5 on the last trip (k = trips - 1)
    np.testing.assert_allclose(for_break(x0), expect)
    np.testing.assert_allclose(float(ops.value_and_grad(for_break)(x)[0]), expect, rtol=1e-12)
    np.testing.assert_allclose(float(ops.grad(for_break)(x)), 2 * x0 * sum(range(trips)), rtol=1e-12)


class Helper(nn.Cell):
    """A while in a helper method, and a name first bound inside the loop body (t)."""

    def halve(self, v):
        while v > 1:
            t = v * 0.5
            v = t
        return v

    def construct(self, x):
        return self.halve(x * 3) + x * x


@pytest.mark.parametrize("x0, trips", [(2.0, 3), (0.2, 0)])
def test_while_in_a_helper_method(on_real_server, x0, trips):
    net, x = Helper(), f64(x0)
    np.testing.assert_allclose(float(net(x)), 3 * x0 / 2 ** trips + x0 * x0, rtol=1e-12)
    np.testing.assert_allclose(float(ops.grad(net)(x)), 3 / 2 ** trips + 2 * x0, rtol=1e-12)


def first_bound(x):
    if x > 0:
        z = x * 3
    else:
        z = x * x
    return z + 1


@pytest.mark.parametrize("x0, value, grad", [(2.0, 7.0, 3.0), (-2.0, 5.0, -4.0)])
def test_a_name_first_bound_in_both_branches(on_real_server, x0, value, grad):
    got = ops.value_and_grad(first_bound)(f64(x0))
    np.testing.assert_allclose([float(got[0]), float(got[1])], [value, grad], rtol=1e-12)


class Counting(nn.Cell):
    """A Parameter assigned inside a while and a branch: later reads in the run see the new value."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(f64(0.0), name="w")
        self.b = Parameter(f64(1.0), name="b")

    def construct(self, x):
        while x < 10:
            x = x * 2
            self.w = self.w + 1
        if x > 20:
            ops.assign(self.b, self.b * 5)
        return x * self.w + self.b


@pytest.mark.parametrize("x0, trips, b", [(1.5, 3, 1.0), (25.0, 0, 5.0)])
def test_parameters_assigned_in_a_loop_and_a_branch(on_real_server, x0, trips, b):
    # by hand: 1.5 -> 3 -> 6 -> 12 (3 trips, w = 3; 12 is not > 20: b stays 1); 25: no trip, w = 0, b = 5
    net = Counting()
    np.testing.assert_allclose(float(net(f64(x0))), x0 * 2 ** trips * trips + b, rtol=1e-12)
    # the assignments land in the Parameters after the call (MindSpore 2.10 prints w = 3, b = 1 / w = 0, b = 5)
    assert (float(net.w.asnumpy()), float(net.b.asnumpy())) == (trips, b)
    # no derivative through an assigned value (MindSpore's Assign): d/dx = 2^trips * w (a fresh net: w from 0)
    np.testing.assert_allclose(float(ops.grad(Counting())(f64(x0))), 2 ** trips * trips, rtol=1e-12)


def test_integer_gradients_through_a_cond(on_real_server):
    class IntNet(nn.Cell):
        def construct(self, x, y):
            if x < y:
                y = y + x * 3
            else:
                y = y - x
            return y * 2

    x, y = Tensor(2, mstype.int32), Tensor(5, mstype.int32)
    assert int(IntNet()(x, y)) == 22  # (5 + 6) * 2
    gx, gy = ops.GradOperation(get_all=True)(IntNet())(x, y)
    assert (gx.dtype, int(gx), int(gy)) == (mstype.int32, 6, 2)
    gx, gy = ops.GradOperation(get_all=True)(IntNet())(Tensor(7, mstype.int32), y)
    assert (int(gx), int(gy)) == (-2, 2)


def test_for_else_is_refused_as_mindspore_does(on_real_server):
    def f(x):
        for _ in range(3):
            x = x + 1
        else:
            x = x * 2
        return x

    with pytest.raises(RuntimeError, match="for...else"):
        ops.grad(f)(f64(1.0))


class Base(nn.Cell):
    def construct(self, x):
        while x < 4:
            x = x * 2
        return x


class Derived(Base):
    """Zero-argument super() in a rewritten construct (the __class__ cell survives the rewrite)."""

    def construct(self, x):
        y = super().construct(x)
        if y > 5:
            y = y * 3
        return y


def test_super_call_in_a_rewritten_construct(on_real_server):
    # 1.5 -> 3 -> 6 (> 5): 18, d/dx = 4 * 3; 2.5 -> 5 (not > 5): 5, d/dx = 2
    np.testing.assert_allclose([float(Derived()(f64(1.5))), float(ops.grad(Derived())(f64(1.5)))], [18.0, 12.0])
    np.testing.assert_allclose([float(Derived()(f64(2.5))), float(ops.grad(Derived())(f64(2.5)))], [5.0, 2.0])


def newton(x, a):
    """Newton's iteration for sqrt(a) until converged (a data-dependent trip count)."""
    while ops.abs(x * x - a) > 1e-10:
        x = (x + a / x) * 0.5
    return x


@pytest.mark.parametrize("a0", [2.0, 9.0])
def test_forward_and_reverse_mode_through_a_while(on_real_server, a0):
    x, a = f64(1.0), f64(a0)
    # d sqrt(a) / da = 1 / (2 sqrt a) (the iteration's derivative converges to it); d/dx0 -> 0
    _, tx = ops.jvp(lambda v: newton(x, v), (a,), (f64(1.0),))
    np.testing.assert_allclose(float(tx), 0.5 / np.sqrt(a0), rtol=1e-6)
    gx, ga = ops.grad(newton, grad_position=(0, 1))(x, a)
    np.testing.assert_allclose([float(gx), float(ga)], [0.0, 0.5 / np.sqrt(a0)], rtol=1e-6, atol=1e-9)


def power_sum(x, n):
    """A for over range(n) with n a traced integer: the trip count comes from a tensor value."""
    s = x * 0
    for k in range(n):
        s = s + x ** 2 * (k + 1)
    return s


@pytest.mark.parametrize("n0", [0, 1, 4])
def test_for_over_a_range_of_a_traced_bound(on_real_server, n0):
    x, n = f64(1.5), Tensor(np.int64(n0))
    # by hand: sum_{k<n} x^2 (k + 1) = x^2 n (n + 1) / 2, d/dx = 2 x n (n + 1) / 2
    got = ops.value_and_grad(power_sum)(x, n)
    np.testing.assert_allclose([float(got[0]), float(got[1])], [2.25 * n0 * (n0 + 1) / 2, 3.0 * n0 * (n0 + 1) / 2],
                               rtol=1e-12)
    np.testing.assert_allclose(power_sum(1.5, n0), 2.25 * n0 * (n0 + 1) / 2)  # the Python loop agrees
