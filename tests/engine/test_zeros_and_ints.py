"""A position or weight the output does not depend on gets zeros of its shape (and dtype);
an integer one is an error, never a silent drop."""
from __future__ import annotations

import numpy as np
import pytest

from engine import DifferentiationError, Engine, GraphBuilder, grad, grad_operation, jvp, lower, vjp
from engine.ir import tree_flatten

F32 = np.float32
XV = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], F32)
YV = np.array([1.0, 2.0], F32)


def net(use_y=False, use_w=False):
    gb = GraphBuilder("net")
    x = gb.input((2, 3), name="x")
    y = gb.input((2,), name="y")
    w = gb.param("w", np.array([3.0, 4.0, 5.0], F32))
    gb.param("unused_p", np.ones((4, 1), F32))
    out = gb.sin(x)
    if use_w:
        out = gb.mul(out, w)
    if use_y:
        out = gb.add(out, gb.expand_dims(y, axis=1))
    return gb.build(gb.sum(out))


def assert_zeros(a, shape, dtype=F32):
    assert a.shape == shape and a.dtype == dtype
    assert not np.any(a)


def test_unused_position_gets_zeros():
    eng = Engine()
    g = grad(net(), grad_position=(0, 1))
    dx, dy = eng.run(g, [XV, YV])
    np.testing.assert_allclose(dx, np.cos(XV), rtol=1e-6)
    assert_zeros(dy, (2,))
    g1 = grad(net(), grad_position=1)
    assert_zeros(eng.run(g1, [XV, YV]), (2,))
    dx, dy = eng.run(grad_operation(net(), get_all=True), [XV, YV])
    assert_zeros(dy, (2,))


def test_unused_weight_gets_zeros():
    eng = Engine()
    g = grad_operation(net(use_w=True), get_by_list=True)
    dw, dp = eng.run(g, [XV, YV])
    np.testing.assert_allclose(dw, np.sin(XV).sum(0), rtol=1e-6)
    assert_zeros(dp, (4, 1))
    g0 = grad_operation(net(), get_by_list=True)
    g0w = eng.run(g0, [XV, YV])
    assert_zeros(g0w[0], (3,))
    assert_zeros(g0w[1], (4, 1))


def test_output_cut_by_stop_gradient_gets_zeros():
    gb = GraphBuilder("net")
    x = gb.input((2, 3))
    g = gb.build(gb.sum(gb.stop_gradient(gb.exp(x))))
    eng = Engine()
    assert_zeros(eng.run(grad(g, 0), [XV]), (2, 3))
    assert_zeros(eng.run(grad(grad(g, 0), 0, sens_param=True), [XV, np.ones((2, 3), F32)]), (2, 3))
    _, t = eng.run(jvp(g), [XV, np.ones((2, 3), F32)])
    assert_zeros(t, ())


def test_constant_output_gets_zeros_in_every_mode():
    gb = GraphBuilder("net")
    x = gb.input((2, 3))
    g = gb.build(gb.sum(gb.ones_like(x)))
    eng = Engine()
    assert_zeros(eng.run(grad(g, 0), [XV]), (2, 3))
    out, (dx,) = eng.run(vjp(g), [XV, np.array(2.0, F32)])
    assert out == 6.0
    assert_zeros(dx, (2, 3))
    out, t = eng.run(jvp(g), [XV, np.ones((2, 3), F32)])
    assert_zeros(t, ())


def test_linear_function_higher_orders_are_zeros():
    gb = GraphBuilder("net")
    x = gb.input((2, 3))
    g = gb.build(gb.sum(gb.mul(x, gb.scalar(2.0, "float32"))))
    eng = Engine()
    g2 = grad_operation(grad_operation(g))
    assert_zeros(eng.run(g2, [XV]), (2, 3))
    assert_zeros(eng.run(grad_operation(g2), [XV]), (2, 3))


def test_unused_tangent_and_vjp_input_get_zeros():
    eng = Engine()
    g = net()
    out, t = eng.run(jvp(g, positions=1), [XV, YV, np.ones(2, F32)])
    assert_zeros(t, ())
    out, (dx, dy) = eng.run(vjp(g), [XV, YV, np.array(1.0, F32)])
    assert_zeros(dy, (2,))


def test_zeros_in_float64_keep_dtype():
    gb = GraphBuilder("net")
    x, y = gb.input((3,), "float64"), gb.input((2, 2), "float64")
    g = gb.build(gb.sum(gb.exp(x)))
    dx, dy = Engine().run(grad(g, (0, 1)), [np.zeros(3), np.zeros((2, 2))])
    assert_zeros(dy, (2, 2), np.float64)


# -- integer inputs: an error -----------------------------------------------------------------------
def int_net():
    gb = GraphBuilder("net")
    x = gb.input((3,), name="x")
    k = gb.input((3,), "int32", name="k")
    gb.param("n", np.array([1, 2, 3], np.int64))
    return gb.build(gb.sum(gb.mul(x, gb.cast(k, dtype="float32"))))


@pytest.mark.parametrize("make, what", [
    (lambda g: grad(g, 1), "input 1"),
    (lambda g: grad(g, (0, 1)), "input 1"),
    (lambda g: grad_operation(g, get_all=True), "input 1"),
    (lambda g: grad(g, None, weights=["n"]), "parameter 'n'"),
    (lambda g: grad_operation(g, get_by_list=True), "parameter 'n'"),
    (lambda g: vjp(g), "input 1"),
])
def test_integer_input_or_weight_is_an_error(make, what):
    with pytest.raises(DifferentiationError) as ei:
        lower(make(int_net()))
    msg = str(ei.value)
    assert what in msg and "int" in msg and "not floating-point" in msg


def test_integer_tangent_is_an_error():
    with pytest.raises(DifferentiationError, match="int32"):
        jvp(int_net())
    with pytest.raises(DifferentiationError, match="int32"):
        jvp(int_net(), positions=1)
    out, t = Engine().run(jvp(int_net(), positions=0), [np.ones(3, F32), np.array([1, 2, 3], np.int32),
                                                           np.ones(3, F32)])
    assert t == 6.0


def test_integer_output_contributes_nothing():
    """A graph with an integer output besides a float one: only the float output is differentiated."""
    gb = GraphBuilder("net")
    x = gb.input((3,))
    g = gb.build((gb.sum(gb.square(x)), gb.cast(x, dtype="int32")))
    dx = Engine().run(grad(g, 0), [np.array([1.0, 2.0, 3.0], F32)])
    np.testing.assert_array_equal(dx, [2.0, 4.0, 6.0])
    assert tree_flatten(dx)[0].dtype == F32
