"""A custom_vjp node (a front end's user rule: MindSpore's Cell.bprop, an SDK gradient hook) inside a cond branch or
a while body: the lowered branch / body keeps the functions its rule names, so its reverse sweep inlines the rule
(it failed: 'unknown bprop function'). The rule here, 3 dout, is not the forward's derivative (2): the gradients
below, derived by hand, tell the rule's from the forward's."""
import numpy as np
import pytest

from engine import GraphBuilder, evaluate

VEC = ((3,), "float64")


def _fn(gb, name, body, n_in):
    bg = GraphBuilder(name)
    ins = [bg.input(*VEC, name=f"a{i}") for i in range(n_in)]
    return gb.function(bg.build(body(bg, *ins)))


def _tripled(g, a):
    """custom_vjp over a -> 2a whose rule gives 3 dout."""
    rule = _fn(g, "rule3", lambda h, x, out, d: h.mul(d, h.const(3.0, "float64")), 3)
    raw = g.mul(a, g.const(2.0, "float64"))
    return g.emit("custom_vjp", [a, raw], {"bprop": rule, "n_in": 1, "n_out": 1, "params": []})[0]


def _grad_of(build):
    """d/dx sum(build(x))."""
    fg = GraphBuilder("f")
    x = fg.input(*VEC, name="x")
    f = fg.build(fg.sum(build(fg, x)))
    gb = GraphBuilder("main")
    name = gb.function(f)
    xi = gb.input(*VEC, name="x")
    return gb.build(gb.emit("grad", [xi], {"fn": name, "positions": (0,)})[0])


def _in_cond(gb, x):
    """2x (its rule 3 dout) if sum(x) > 0 else x^2."""
    fns = {"true_fn": _fn(gb, "t", _tripled, 1), "false_fn": _fn(gb, "e", lambda g, a: g.mul(a, a), 1)}
    return gb.emit("cond", [gb.greater(gb.sum(x), gb.const(0.0, "float64")), x], fns)[0]


def _in_while(gb, x):
    """s = 2s (its rule 3 dout) while sum(s) < 10: from ones, two trips (3, 6, then 12)."""
    fns = {"cond": _fn(gb, "c", lambda g, s: g.less(g.sum(s), g.const(10.0, "float64")), 1),
           "body": _fn(gb, "b", _tripled, 1)}
    return gb.emit("while", [x], {**fns, "max_trips": 10})[0]


@pytest.mark.parametrize("build, x, want", [
    (_in_cond, np.ones(3), np.full(3, 3.0)),  # the rule's 3, not the forward's 2
    (_in_cond, -np.arange(1.0, 4.0), -2 * np.arange(1.0, 4.0)),  # the other branch: 2x
    (_in_while, np.ones(3), np.full(3, 9.0))])  # two trips of the rule: 3 * 3
def test_a_rule_inside_control_flow_is_inlined_by_the_reverse_sweep(build, x, want):
    np.testing.assert_allclose(evaluate(_grad_of(build), x), want)
