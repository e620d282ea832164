"""Reverse mode through while_run reads each trip's state back from a recorded trajectory (O(n) body runs),
and recomputes it from the loop's entry (O(n^2)) only where max_trips states would not fit in
TRAJECTORY_BYTES. References: central finite differences of the same loop in NumPy float64, and the two
paths against each other."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder, grad_operation
from engine.ops import control_flow

F64 = "float64"
TRIPS = 1000


def _fn(make, shapes, name):
    g = GraphBuilder(name)
    ins = [g.input(s, F64, name=f"a{i}") for i, s in enumerate(shapes)]
    return g.build(make(g, *ins))


def drift(trips: int = TRIPS, max_trips: int = TRIPS, width: int = 3):
    """state (i, x, c): while i < trips: x = x + 0.002 * sin(x * c) + 0.001 * x; i = i + 1; out = sum(x * x)."""
    gb = GraphBuilder("drift")
    x, c = gb.input((width,), F64, name="x"), gb.input((), F64, name="c")
    i0 = gb.scalar(0.0, F64)
    cond = gb.function(_fn(lambda g, i, a, k: g.less(i, g.scalar(float(trips), F64)), [(), (width,), ()], "cond"))

    def step(g, i, a, k):
        a = g.add(g.add(a, g.mul(g.scalar(0.002, F64), g.sin(g.mul(a, k)))), g.mul(g.scalar(0.001, F64), a))
        return g.add(i, g.scalar(1.0, F64)), a, k

    body = gb.function(_fn(step, [(), (width,), ()], "body"))
    _, y, _ = gb.emit("while", [i0, x, c], {"cond": cond, "body": body, "max_trips": max_trips})
    return gb.build(gb.sum(gb.mul(y, y)))


def drift_np(x, c, trips=TRIPS):
    for _ in range(trips):
        x = x + 0.002 * np.sin(x * c) + 0.001 * x
    return float(np.sum(x * x))


def fd(f, x, c, h=1e-6):
    gx = np.array([(f(x + h * e, c) - f(x - h * e, c)) / (2 * h) for e in np.eye(len(x))])
    return gx, (f(x, c + h) - f(x, c - h)) / (2 * h)


@pytest.fixture
def body_runs(monkeypatch):
    """How many times while_run runs a flat graph (a cond or a body trip), counted from here."""
    seen = [0]
    real = control_flow._run

    def counting(xp, g, arrays):
        seen[0] += 1
        return real(xp, g, arrays)

    monkeypatch.setattr(control_flow, "_run", counting)
    return seen


def test_a_thousand_trips_reverse_in_linear_body_runs(body_runs):
    x, c = np.array([0.3, -0.8, 1.1]), np.array(1.7)
    gx, gc = Engine().run(grad_operation(drift(), get_all=True), [x, c])
    want_x, want_c = fd(drift_np, x, c)
    np.testing.assert_allclose(gx, want_x, rtol=1e-7)
    np.testing.assert_allclose(gc, want_c, rtol=1e-6)
    # the forward loop, the recording loop and the reverse sweep: each about TRIPS body + cond runs
    # (recomputing each state from the entry would be ~TRIPS^2 / 2 = 500000)
    assert body_runs[0] < 8 * TRIPS, body_runs[0]


def test_the_recomputing_path_agrees_where_states_do_not_fit(monkeypatch):
    """40 trips both ways (the recomputing path runs ~40^2 / 2 body trips): the same numbers, and finite
    differences; a first and a second derivative."""
    x, c = np.array([0.3, -0.8, 1.1]), np.array(1.7)
    first = grad_operation(drift(trips=40, max_trips=50), get_all=True)
    second = grad_operation(grad_operation(drift(trips=40, max_trips=50)))
    stored = Engine().run(first, [x, c]), Engine().run(second, [x, c])
    monkeypatch.setattr(control_flow, "TRAJECTORY_BYTES", 0)  # no state fits: recompute from the entry
    assert not control_flow._stores_trajectory([control_flow.AVal((3,), F64)], 1, 50)
    first = grad_operation(drift(trips=40, max_trips=51), get_all=True)  # another max_trips: no cached rule
    second = grad_operation(grad_operation(drift(trips=40, max_trips=51)))
    recomputed = Engine().run(first, [x, c]), Engine().run(second, [x, c])
    for a, b in zip(stored[0] + (stored[1],), recomputed[0] + (recomputed[1],)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    want_x, want_c = fd(lambda a, k: drift_np(a, k, 40), x, c)
    np.testing.assert_allclose(stored[0][0], want_x, rtol=1e-7)
    np.testing.assert_allclose(stored[0][1], want_c, rtol=1e-6)
    # d/dx of sum(d/dx f): finite differences of the first derivative's sum, each way
    h = 1e-5
    g1 = grad_operation(drift(trips=40, max_trips=51))
    hx = [(np.sum(Engine().run(g1, [x + h * e, c])) - np.sum(Engine().run(g1, [x - h * e, c]))) / (2 * h)
          for e in np.eye(3)]
    np.testing.assert_allclose(recomputed[1], hx, rtol=1e-6)
