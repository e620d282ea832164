"""while lowers to one while_run node (engine/ops/control_flow.py): the loop runs at run time, so the lowered
graph does not grow with max_trips, and derivatives of every order in both modes follow the trips the
values ask for. References: JAX on the same trips written out (lax.while_loop has no reverse mode)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder, grad_operation, jvp
from engine.lower import lower

jax = pytest.importorskip("jax")
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)
jnp = jax.numpy
F64 = "float64"


def _fn(make, shapes, name):
    g = GraphBuilder(name)
    ins = [g.input(s, F64, name=f"a{i}") for i, s in enumerate(shapes)]
    return g.build(make(g, *ins))


def growth(max_trips: int):
    """state (x, c): while sum(x) < 10: x = x * (1.5 + c) + sin(x); c an invariant of the loop (a capture)."""
    gb = GraphBuilder("growth")
    x, c = gb.input((2,), F64, name="x"), gb.input((), F64, name="c")
    cond = gb.function(_fn(lambda g, a, k: g.less(g.sum(a), g.scalar(10.0, F64)), [(2,), ()], "cond"))
    body = gb.function(_fn(lambda g, a, k: (g.add(g.mul(a, g.add(g.scalar(1.5, F64), k)), g.sin(a)), k),
                           [(2,), ()], "body"))
    y, _ = gb.emit("while", [x, c], {"cond": cond, "body": body, "max_trips": max_trips})
    return gb.build(gb.sum(gb.mul(y, y)))


def trips_of(x, c):
    n = 0
    while np.sum(x) < 10:
        x, n = x * (1.5 + c) + np.sin(x), n + 1
    return n


def ref(n):
    def f(x, c):
        for _ in range(n):
            x = x * (1.5 + c) + jnp.sin(x)
        return jnp.sum(x * x)
    return f


def test_lowered_size_does_not_grow_with_max_trips():
    sizes = {m: len(lower(grad_operation(growth(m), get_all=True)).eqns) for m in (4, 1000)}
    assert sizes[4] == sizes[1000], sizes
    assert sum(e.op == "while_run" for e in lower(growth(1000)).eqns) == 1


@pytest.mark.parametrize("x0, c0", [([0.3, 0.5], 0.2), ([2.0, 1.5], 0.7), ([6.0, 5.0], 0.1)])
def test_values_and_gradients_follow_the_trip_count(x0, c0):
    x, c = np.array(x0), np.array(c0)
    n = trips_of(x, c)  # 0 trips for the last case: the loop's derivative is the identity
    eng = Engine()
    f = ref(n)
    np.testing.assert_allclose(eng.run(growth(1000), [x, c]), f(x, c), rtol=1e-12)
    for got, want in zip(eng.run(grad_operation(growth(1000), get_all=True), [x, c]),
                         jax.grad(f, argnums=(0, 1))(x, c)):
        np.testing.assert_allclose(got, want, rtol=1e-10)
    # forward mode: out, tangent
    tx, tc = np.array([0.3, -0.7]), np.array(0.5)
    _, t = eng.run(jvp(growth(1000)), [x, c, tx, tc])
    np.testing.assert_allclose(t, jax.jvp(f, (x, c), (tx, tc))[1], rtol=1e-10)


def test_third_order_reverse_and_forward_over_reverse():
    x, c = np.array([0.3, 0.5]), np.array(0.2)
    f = ref(trips_of(x, c))
    eng = Engine()
    g3 = grad_operation(grad_operation(grad_operation(growth(1000))))
    want3 = jax.grad(lambda a: jnp.sum(jax.grad(lambda b: jnp.sum(jax.grad(f)(b, c)))(a)))(x)
    np.testing.assert_allclose(eng.run(g3, [x, c]), want3, rtol=1e-8)
    g1 = grad_operation(growth(1000))  # d/dx; its jvp in x is a Hessian-vector product
    v = np.array([1.0, -2.0])
    _, hv = eng.run(jvp(g1, positions=0), [x, c, v])
    np.testing.assert_allclose(hv, jax.jvp(lambda a: jax.grad(f)(a, c), (x,), (v,))[1], rtol=1e-9)
