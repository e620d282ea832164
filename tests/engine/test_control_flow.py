"""Control flow (engine/ops/control_flow.py): values and derivatives against JAX's lax control flow,
only the chosen branch runs, parameters inside branches and bodies, nesting, JSON round trip, and
the errors (bounded while, mismatched branches). Orders 1-3 in both modes for every op are held by
test_ops_numeric through tests/engine/_optable_ops.py."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder, grad, grad_operation, jvp
from engine.errors import InvalidGraph, LimitExceeded, ShapeError
from engine.serialize import graph_from_json, graph_to_json

jax = pytest.importorskip("jax")
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)
jnp, lax = jax.numpy, jax.lax
F64 = "float64"


def fn(make, avals, name):
    g = GraphBuilder(name)
    ins = [g.input(s, dt, name=f"a{i}") for i, (s, dt) in enumerate(avals)]
    return g.build(make(g, *ins))


def cond_graph():
    """f(x) = sqrt(x) * w if x > 0 else -x * w, with w a parameter used inside the branches."""
    gb = GraphBuilder("net")
    x = gb.input((), F64, name="x")
    w = gb.param("w", np.array(3.0))

    def branch(sign):
        def make(g, a):
            wv = g.param("w", shape=(), dtype=F64)
            return g.mul(g.sqrt(a) if sign > 0 else g.neg(a), wv)
        return make

    t = gb.function(fn(branch(1), [((), F64)], "pos"))
    f = gb.function(fn(branch(-1), [((), F64)], "neg"))
    (y,) = gb.emit("cond", [gb.greater(x, gb.scalar(0.0, F64)), x], {"true_fn": t, "false_fn": f})
    return gb.build(y), w


@pytest.mark.parametrize("x0", [-2.0, 0.7])
def test_cond_grad_runs_only_the_chosen_branch(x0):
    g, _ = cond_graph()
    eng = Engine()

    def ref(x, w):
        return lax.cond(x > 0, lambda a: jnp.sqrt(a) * w, lambda a: -a * w, x)

    x = np.array(x0)
    for order in (1, 2, 3):
        d = g
        r = ref
        for _ in range(order):
            d = grad_operation(d)
            r = jax.grad(r)
        got = eng.run(d, [x])
        assert np.isfinite(got)  # a select of both branches would give NaN here (sqrt of -2)
        np.testing.assert_allclose(got, r(x, 3.0), rtol=1e-12)
    dw = eng.run(grad_operation(g, get_by_list=True), [x])[0]
    np.testing.assert_allclose(dw, jax.grad(ref, argnums=1)(x, 3.0), rtol=1e-12)
    (val, tan) = eng.run(jvp(g), [x, np.array(1.0)])
    np.testing.assert_allclose(tan, jax.jvp(lambda a: ref(a, 3.0), (x,), (1.0,))[1], rtol=1e-12)


def test_switch_clamps_the_index_like_lax():
    gb = GraphBuilder("sw")
    i, x = gb.input((), "int32", name="i"), gb.input((3,), F64, name="x")
    fs = [gb.function(fn(m, [((3,), F64)], f"b{k}")) for k, m in
          enumerate([lambda g, a: g.sin(a), lambda g, a: g.mul(a, a), lambda g, a: g.exp(a)])]
    (y,) = gb.emit("switch", [i, x], {"branches": fs})
    g = gb.build(gb.sum(y))
    xs = np.array([0.1, -0.4, 0.9])
    eng = Engine()
    for k in (-3, 0, 1, 2, 9):
        ref = jax.grad(lambda a: jnp.sum(lax.switch(k, [jnp.sin, lambda v: v * v, jnp.exp], a)))(xs)
        np.testing.assert_allclose(eng.run(grad(g, grad_position=1), [np.int32(k), xs]), ref, rtol=1e-12)


def scan_graph(reverse=False):
    gb = GraphBuilder("scan")
    c0, xs = gb.input((2,), F64, name="c"), gb.input((4, 2), F64, name="xs")
    body = gb.function(fn(lambda g, c, x: (g.add(g.mul(c, g.sin(x)), x), g.mul(c, g.cos(x))),
                          [((2,), F64), ((2,), F64)], "body"))
    c, ys = gb.emit("scan", [c0, xs], {"body": body, "length": 4, "n_carry": 1, "reverse": reverse})
    return gb.build((c, ys))


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_matches_lax_scan(reverse):
    rng = np.random.default_rng(0)
    c0, xs = rng.normal(size=2), rng.normal(size=(4, 2))

    def ref(c, x):
        return lax.scan(lambda c, x: (c * jnp.sin(x) + x, c * jnp.cos(x)), c, x, reverse=reverse)

    g = scan_graph(reverse)
    eng = Engine()
    c, ys = eng.run(g, [c0, xs])
    rc, rys = ref(c0, xs)
    np.testing.assert_allclose(c, rc, rtol=1e-12)
    np.testing.assert_allclose(ys, rys, rtol=1e-12)

    def total(c, x):
        a, b = ref(c, x)
        return jnp.sum(a) + jnp.sum(b)

    h = eng.run(grad_operation(grad_operation(g, get_all=True), get_all=True), [c0, xs])
    rh = jax.grad(lambda c, x: sum(jnp.sum(t) for t in jax.grad(total, argnums=(0, 1))(c, x)), argnums=(0, 1))(c0, xs)
    for a, b in zip(h, rh):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def while_graph(max_trips):
    gb = GraphBuilder("wh")
    x = gb.input((2,), F64, name="x")
    cond = gb.function(fn(lambda g, a: g.less(g.sum(a), g.scalar(10.0, F64)), [((2,), F64)], "cond"))
    # sqrt(sum - 10) would be NaN past the end: the body must never see a state where cond failed
    body = gb.function(fn(lambda g, a: g.add(g.mul(a, g.scalar(2.0, F64)),
                                             g.mul(g.sqrt(g.sub(g.scalar(10.0, F64), g.sum(a))), a)),
                          [((2,), F64)], "body"))
    (y,) = gb.emit("while", [x], {"cond": cond, "body": body, "max_trips": max_trips})
    return gb.build(gb.sum(gb.sin(y)))


def test_while_matches_lax_while_loop_and_its_gradient():
    x = np.array([0.3, 0.5])

    def ref(a):
        # lax.while_loop has no reverse mode: the same trips written out (2 here) for the reference
        for _ in range(2):
            a = a * 2 + jnp.sqrt(10 - jnp.sum(a)) * a
        return jnp.sum(jnp.sin(a))

    lw = lax.while_loop(lambda a: jnp.sum(a) < 10, lambda a: a * 2 + jnp.sqrt(10 - jnp.sum(a)) * a, x)
    eng = Engine()
    np.testing.assert_allclose(eng.run(while_graph(6), [x]), jnp.sum(jnp.sin(lw)), rtol=1e-12)
    g1 = eng.run(grad_operation(while_graph(6)), [x])
    assert np.all(np.isfinite(g1))
    np.testing.assert_allclose(g1, jax.grad(ref)(x), rtol=1e-10)
    np.testing.assert_allclose(eng.run(grad_operation(grad_operation(while_graph(6))), [x]),
                               jax.grad(lambda a: jnp.sum(jax.grad(ref)(a)))(x), rtol=1e-9)


def test_while_past_max_trips_is_an_error():
    x = np.array([0.3, 0.5])  # needs exactly 2 trips
    Engine().run(while_graph(2), [x])
    with pytest.raises(LimitExceeded, match="still running after max_trips=1"):
        Engine().run(while_graph(1), [x])
    with pytest.raises(LimitExceeded, match="still running after max_trips=1"):
        Engine().run(grad_operation(while_graph(1)), [x])


def test_fori_loop_with_parameter_and_nested_cond():
    """fori_loop body: c = cond(sum(c) > 0, c * w, c + i): a loop around a branch, a weight inside."""
    gb = GraphBuilder("fl")
    c0 = gb.input((2,), F64, name="c")
    gb.param("w", np.array([0.9, -1.1]))

    def pos(g, c):
        return g.mul(c, g.param("w", shape=(2,), dtype=F64))

    def body(g, i, c):  # the branches are functions of the body (gb.function brings them along)
        g.function(fn(pos, [((2,), F64)], "pos"))
        g.function(fn(lambda g2, c2: g2.add(c2, g2.scalar(0.5, F64)), [((2,), F64)], "neg"))
        (r,) = g.emit("cond", [g.greater(g.sum(c), g.scalar(0.0, F64)), c], {"true_fn": "pos", "false_fn": "neg"})
        return g.mul(r, g.cast(i, dtype=F64))

    b = gb.function(fn(body, [((), "int64"), ((2,), F64)], "body"))
    (c,) = gb.emit("fori_loop", [c0], {"body": b, "lower": 1, "upper": 4})
    g = gb.build(gb.sum(gb.square(c)))

    def ref(c, w):
        def step(i, c):
            return lax.cond(jnp.sum(c) > 0, lambda v: v * w, lambda v: v + 0.5, c) * i
        return jnp.sum(lax.fori_loop(1, 4, step, c) ** 2)

    x, w = np.array([0.4, -0.1]), np.array([0.9, -1.1])
    eng = Engine()
    np.testing.assert_allclose(eng.run(g, [x]), ref(x, w), rtol=1e-12)
    dx, dw = eng.run(grad(g, grad_position=0, weights=["w"]), [x])
    np.testing.assert_allclose(dx, jax.grad(ref)(x, w), rtol=1e-12)
    np.testing.assert_allclose(dw[0], jax.grad(ref, argnums=1)(x, w), rtol=1e-12)
    # round trip through JSON: the functions and control ops survive
    g2 = graph_from_json(graph_to_json(g))
    np.testing.assert_allclose(eng.run(grad(g2, grad_position=0), [x]), dx, rtol=1e-15)


def test_control_flow_errors_name_the_node():
    gb = GraphBuilder("bad")
    x = gb.input((2,), F64)
    a = gb.function(fn(lambda g, v: g.sum(v), [((2,), F64)], "a"))
    b = gb.function(fn(lambda g, v: v, [((2,), F64)], "b"))
    with pytest.raises(ShapeError, match="branches return different outputs"):
        gb.emit("cond", [gb.greater(gb.sum(x), gb.scalar(0.0, F64)), x], {"true_fn": a, "false_fn": b})
    with pytest.raises(InvalidGraph, match="unknown function 'nope'"):
        gb.emit("switch", [gb.full((), 0.0, "int32"), x], {"branches": ["a", "nope"]})
    with pytest.raises(ShapeError, match="input 0 must be a bool scalar"):
        gb.emit("cond", [x, x], {"true_fn": b, "false_fn": b})
    with pytest.raises(ShapeError, match="leading axis must be length=3"):
        gb.emit("scan", [x, gb.input((2, 2), F64)], {"body": b, "length": 3, "n_carry": 1})


def test_unrolled_loops_count_against_the_node_limit():
    g = scan_graph()
    with pytest.raises(LimitExceeded, match="node limit"):
        Engine(max_nodes=20).run(g, [np.zeros(2), np.zeros((4, 2))])
