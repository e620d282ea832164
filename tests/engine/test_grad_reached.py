"""grad's `reached` flags: one bool per differentiated input or weight, whether the derivative reaches it.

Expected flags are derived by hand from the functions (a derivative reaches an input exactly when some path
from a differentiated output passes it); the gradients beside them are checked against NumPy's closed forms.
The SDK's gradient hooks use the flags to tell a pass that brings a hooked point zeros (its hook is called with
them, as MindSpore 2.10 does) from one that never passes the point (no call)."""
import numpy as np
import pytest

from engine import GraphBuilder, evaluate
from engine.errors import InvalidGraph

X = np.array([1.0, 2.0, -0.5])


def _unary(body, name="f"):
    gb = GraphBuilder(name)
    x = gb.input((3,), "float64", name="x")
    u = gb.input((3,), "float64", name="u")
    return gb.build(body(gb, x, u))


def _grad_of(fn, reached=True, positions=(0, 1), weights=()):
    gb = GraphBuilder("main")
    name = gb.function(fn)
    xs = [gb.input(tuple(v.shape), v.dtype, name=v.name) for v in fn.inputs]
    outs = gb.emit("grad", xs, {"fn": name, "positions": tuple(positions), "weights": tuple(weights),
                               "reached": reached})
    return gb.build(tuple(outs))


def test_an_unused_input_is_not_reached_a_used_one_is():
    """f(x, u) = sum(sin(x)): df/dx = cos(x) reached, df/du absent."""
    g = _grad_of(_unary(lambda gb, x, u: gb.sum(gb.sin(x))))
    dx, du, rx, ru = evaluate(g, X, X)
    np.testing.assert_allclose(dx, np.cos(X))
    np.testing.assert_array_equal(du, np.zeros(3))
    assert (rx.dtype, rx.shape, bool(rx), bool(ru)) == (np.bool_, (), True, False)


def test_a_derivative_bringing_zeros_reaches_the_input():
    """f = sum(sin(x) + u * 0): du is zeros computed through the product with the user's 0: reached."""
    g = _grad_of(_unary(lambda gb, x, u: gb.sum(gb.add(gb.sin(x), gb.mul(u, gb.const(0.0, "float64"))))))
    _, du, rx, ru = evaluate(g, X, X)
    np.testing.assert_array_equal(du, np.zeros(3))
    assert bool(rx) and bool(ru)


def test_without_the_attribute_no_flags():
    g = _grad_of(_unary(lambda gb, x, u: gb.sum(gb.mul(x, u))), reached=False)
    assert len(evaluate(g, X, X)) == 2


def test_a_weight_gets_a_flag_after_the_positions():
    """f(x) = sum(x * w) with w a parameter and u unused: dx = w, dw = x, du absent; flags x, u, w."""
    gb = GraphBuilder("f")
    x, u = gb.input((3,), "float64", name="x"), gb.input((3,), "float64", name="u")
    w = gb.param("w", np.array([3.0, 4.0, 5.0]))
    fn = gb.build(gb.sum(gb.mul(x, w)))
    g = _grad_of(fn, weights=("w",))
    dx, du, dw, *flags = evaluate(g, X, X, params={"w": np.array([3.0, 4.0, 5.0])})
    np.testing.assert_allclose(dw, X)
    assert [bool(f) for f in flags] == [True, False, True]


def _first_derivative(body):
    """h(x, u) = d/dx sum(body(x, u)), a function to be differentiated again."""
    inner = _unary(body, "inner")
    gb = GraphBuilder("h")
    name = gb.function(inner)
    xs = [gb.input((3,), "float64", name=n) for n in ("x", "u")]
    return gb.build(gb.emit("grad", xs, {"fn": name, "positions": (0,)})[0])


@pytest.mark.parametrize("body, d2x, reach_u", [
    # sum(x^2 + u): h = 2x, which u does not enter: the second pass does not reach u
    (lambda gb, x, u: gb.add(gb.mul(x, x), u), 2 * np.ones(3), False),
    # sum(x^2 u): h = 2xu: d/du sum(h) = 2x reached, d/dx = 2u
    (lambda gb, x, u: gb.mul(gb.mul(x, x), u), 2 * X, True),
    # sum(x u 0 + x^3): h = u 0 + 3x^2: u reached with zeros (the user's 0)
    (lambda gb, x, u: gb.add(gb.mul(gb.mul(x, u), gb.const(0.0, "float64")), gb.mul(x, gb.mul(x, x))),
     6 * X, True)])
def test_a_grad_of_a_grad_reports_whether_its_pass_reaches_an_input(body, d2x, reach_u):
    g = _grad_of(_first_derivative(body))
    dx, du, rx, ru = evaluate(g, X, X)
    np.testing.assert_allclose(dx, d2x)
    assert bool(rx) and bool(ru) is reach_u


def test_the_flag_is_typed_without_expanding():
    """The node's avals name the flags (a graph loader checks outputs before lowering)."""
    fn = _unary(lambda gb, x, u: gb.sum(x))
    g = _grad_of(fn)
    assert [(tuple(o.shape), o.dtype) for o in g.flat_outputs] == [((3,), "float64")] * 2 + [((), "bool")] * 2
    with pytest.raises(InvalidGraph):
        _grad_of(fn, positions=(0,), reached="yes")


def _cond_of(gb, x, u):
    """sum(sin(x)) if sum(x) > 0 else sum(x * u): u enters the false branch alone."""
    avals = [((3,), "float64"), ((3,), "float64")]
    branches = {}
    for key, body in (("true_fn", lambda g, a, b: g.sum(g.sin(a))), ("false_fn", lambda g, a, b: g.sum(g.mul(a, b)))):
        bg = GraphBuilder(f"cond_{key}")
        ins = [bg.input(s, dt, name=f"a{i}") for i, (s, dt) in enumerate(avals)]
        branches[key] = gb.function(bg.build(body(bg, *ins)))
    (y,) = gb.emit("cond", [gb.greater(gb.sum(x), gb.const(0.0, "float64")), x, u], branches)
    return y


def test_a_cond_whose_taken_branch_skips_an_input_does_not_reach_it():
    """The flag is the branch taken's (a run-time one): the other branch's use of u is no path (it was a constant
    of the whole graph, true: the SDK's trace of a Python `if` on a Tensor called u's hook with zeros)."""
    g = _grad_of(_unary(_cond_of))
    dx, du, rx, ru = evaluate(g, X, X)  # sum(X) > 0: the true branch, sum(sin(x))
    np.testing.assert_allclose(dx, np.cos(X))
    np.testing.assert_array_equal(du, np.zeros(3))
    assert bool(rx) and not bool(ru)


def test_a_cond_whose_taken_branch_uses_an_input_reaches_it():
    g = _grad_of(_unary(_cond_of))
    dx, du, rx, ru = evaluate(g, -X, X)  # sum(-X) < 0: the false branch, sum(x * u)
    np.testing.assert_allclose(dx, X)
    np.testing.assert_allclose(du, -X)
    assert bool(rx) and bool(ru)


def _loop_of(gb, x, u):
    """sum(x + k u) for the k trips of `while sum(s) < 0: s = s + u` from s = x (u a state the body keeps)."""
    avals = [((3,), "float64"), ((3,), "float64")]
    fns = {}
    for key, body in (("cond", lambda g, s, v: g.less(g.sum(s), g.const(0.0, "float64"))),
                      ("body", lambda g, s, v: (g.add(s, v), v))):
        bg = GraphBuilder(f"loop_{key}")
        ins = [bg.input(sh, dt, name=f"a{i}") for i, (sh, dt) in enumerate(avals)]
        fns[key] = gb.function(bg.build(body(bg, *ins)))
    s, _ = gb.emit("while", [x, u], {**fns, "max_trips": 10})
    return gb.sum(s)


@pytest.mark.parametrize("x, u, trips", [(X, X, 0), (-X - 1.0, np.ones(3), 2)])
def test_a_while_reaches_what_its_body_uses_only_when_it_runs(x, u, trips):
    """No trip: the state u never passes the body (du zeros, not reached); trips > 0: du = trips (reached)."""
    g = _grad_of(_unary(_loop_of))
    dx, du, rx, ru = evaluate(g, x, u)
    np.testing.assert_allclose(dx, np.ones(3))
    np.testing.assert_allclose(du, np.full(3, float(trips)))
    assert bool(rx) and bool(ru) is (trips > 0)


def _branches(gb, key_bodies, avals, prefix):
    """{key: function name} of the bodies, each of the operands avals (a cond's or a while's functions)."""
    names = {}
    for key, body in key_bodies:
        bg = GraphBuilder(f"{prefix}_{key}")
        ins = [bg.input(s, dt, name=f"a{i}") for i, (s, dt) in enumerate(avals)]
        names[key] = gb.function(bg.build(body(bg, *ins)))
    return names


VEC2 = [((3,), "float64"), ((3,), "float64")]


def _nested_cond_of(gb, x, u):
    """sum(x) > 0: (sum(x * u) if sum(x) > 100 else sum(x^2)), else sum(x^3): u enters the inner cond's true
    branch alone, the inner cond the outer's true branch."""
    def inner(g, a, b):
        fns = _branches(g, (("true_fn", lambda h, p, q: h.sum(h.mul(p, q))),
                            ("false_fn", lambda h, p, q: h.sum(h.mul(p, p)))), VEC2, "inner")
        return g.emit("cond", [g.greater(g.sum(a), g.const(100.0, "float64")), a, b], fns)[0]
    fns = _branches(gb, (("true_fn", inner), ("false_fn", lambda g, a, b: g.sum(g.mul(a, g.mul(a, a))))), VEC2,
                    "outer")
    w = gb.mul(u, gb.const(2.0, "float64"))  # (u passes an op before the conds: its cotangent keeps the flag)
    return gb.emit("cond", [gb.greater(gb.sum(x), gb.const(0.0, "float64")), x, w], fns)[0]


@pytest.mark.parametrize("scale, du, reach_u", [
    (1.0, np.zeros(3), False),  # outer true, inner false: sum(x^2), u on no path taken
    (100.0, 200.0 * X, True),  # both true: sum(2 x u), du = 2x
    (-1.0, np.zeros(3), False)])  # outer false: sum(x^3)
def test_a_cond_nested_in_a_taken_branch_reaches_only_through_its_own_taken_branch(scale, du, reach_u):
    """The inner cond's flag is its branch taken's at every depth, anded with the outer's (it was true as soon as
    the outer branch taken held the inner cond: the SDK's PyNative hook on u was called with zeros)."""
    x = np.array([1.0, 2.0, 3.0]) * scale
    _, gu, rx, ru = evaluate(_grad_of(_unary(_nested_cond_of)), x, X)
    np.testing.assert_allclose(gu, du if scale != 100.0 else 2.0 * x)
    assert bool(rx) and bool(ru) is reach_u


def _loop_with_cond_of(gb, x, u):
    """while sum(s) < 0: s = s + u if sum(s) < -10 else s + 5; sum(s^2) (u kept as a state the body passes)."""
    def body(g, s, v):
        fns = _branches(g, (("true_fn", lambda h, p, q: h.add(p, q)),
                            ("false_fn", lambda h, p, q: h.add(p, h.const(5.0, "float64")))), VEC2, "step")
        return g.emit("cond", [g.less(g.sum(s), g.const(-10.0, "float64")), s, v], fns)[0], v
    fns = _branches(gb, (("cond", lambda g, s, v: g.less(g.sum(s), g.const(0.0, "float64"))), ("body", body)), VEC2,
                    "loop")
    s, _ = gb.emit("while", [x, u], {**fns, "max_trips": 10})
    return gb.sum(gb.mul(s, s))


@pytest.mark.parametrize("x, du, reach_u", [
    (-np.array([1.0, 2.0, 3.0]), np.zeros(3), False),  # one trip, s + 5 (sum -6 >= -10): u on no path taken
    (-3 * np.array([1.0, 2.0, 3.0]), 2 * np.array([6.0, 4.0, 2.0]), True)])  # s + u, then s + 5: 2 s_final
def test_a_cond_in_a_while_body_reaches_only_when_a_trip_takes_the_branch_using_it(x, du, reach_u):
    """u = [4, 5, 6]: from -3 [1, 2, 3] the first trip adds u (sum -18 < -10), the second 5 (sum -3), the state
    ends [6, 4, 2] (du = 2 s); from -[1, 2, 3] one trip adds 5 (the loop ran: the flag was true)."""
    _, gu, rx, ru = evaluate(_grad_of(_unary(_loop_with_cond_of)), x, np.array([4.0, 5.0, 6.0]))
    np.testing.assert_allclose(gu, du)
    assert bool(rx) and bool(ru) is reach_u
