"""Nested GradOperation: the polynomial-size directional construction equals literal nesting,
and derivative graphs grow polynomially with the order (W6 of shared/workloads.md)."""
import math

import numpy as np
import pytest

from engine import GraphBuilder, evaluate, grad_operation, lower, nth_grad
from engine.executor import compile_graph

RNG = np.random.default_rng(1)


def literal_nesting(g, order, **kw):
    for _ in range(order):
        g = grad_operation(g, **kw)
    return g


def evaluate_literal(g, *xs):
    """Run with grad-of-grad nodes expanded as written (lowering would take the directional form)."""
    return compile_graph(lower(g, literal_nested_grads=True)).run_host(xs)


def mlp_two_outputs():
    """(tanh(x @ w) * y, sum(exp(x) * y^2, axis=0)): mixes matmul, broadcasting, two outputs."""
    gb = GraphBuilder("net")
    x, y = gb.input((2, 3), "float64", name="x"), gb.input((3,), "float64", name="y")
    w = gb.param("w", RNG.normal(size=(3, 3)) * 0.5)
    h = gb.mul(gb.tanh(gb.matmul(x, w)), y)
    o2 = gb.sum(gb.mul(gb.exp(x), gb.square(y)), axis=(0,))
    return gb.build((h, o2))


@pytest.mark.parametrize("order", [2, 3, 4])
@pytest.mark.parametrize("get_all", [False, True])
def test_directional_equals_literal_nesting(order, get_all):
    g = mlp_two_outputs()
    x, y = RNG.normal(size=(2, 3)) * 0.5, RNG.normal(size=3) * 0.5
    fast = evaluate(nth_grad(g, order, get_all=get_all), x, y)
    slow = evaluate_literal(literal_nesting(g, order, get_all=get_all), x, y)
    if get_all:
        assert isinstance(fast, tuple) and len(fast) == 2
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)


def test_third_derivative_of_sin_is_minus_cos():
    gb = GraphBuilder("s")
    x = gb.input((4,), "float32", name="x")
    g = gb.build(gb.sin(x))
    xs = np.array([0.1, 0.5, 1.0, 2.0], np.float32)
    out = evaluate(nth_grad(g, 3), xs)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, -np.cos(xs), rtol=1e-6)


def chain50():
    """W6: a chain of 50 elementwise ops."""
    gb = GraphBuilder("chain")
    x = gb.input((8,), "float32", name="x")
    h = x
    names = ["sin", "cos", "tanh", "exp", "sigmoid"]
    for i in range(50):
        h = getattr(gb, names[i % 5])(h)
        if i % 5 == 4:
            h = gb.mul(h, gb.const(0.5, "float32"))
    return gb.build(gb.sum(h))


def test_w6_graph_size_grows_polynomially():
    sizes = [len(lower(nth_grad(chain50(), n)).eqns) for n in range(1, 7)]
    # Local degree log(s[n+1]/s[n]) / log((n+1)/n): constant for s ~ n^d, but growing
    # linearly in n for s ~ c^n (c = 2.5 gives 3.2, 4.1, 5.0 for n = 3..5).
    degrees = [math.log(b / a) / math.log((n + 1) / n) for n, (a, b) in enumerate(zip(sizes, sizes[1:]), 1)]
    assert max(degrees[2:]) < 3.0, (sizes, degrees)
    assert degrees[-1] <= degrees[-2] + 0.1, (sizes, degrees)
