"""engine/doubling.py: x + x with x a product doubles the product's smallest factor (a constant where
there is one: folded by the plan). Values against NumPy in float64 on the same inputs; which
full-size adds are left."""
import numpy as np
import pytest

from engine import GraphBuilder
from engine.executor import compile_graph
from engine.ir import tree_flatten
from engine.lower import lower

RNG = np.random.default_rng(41)


def run(build, *arrays, dtype="float32"):
    gb = GraphBuilder("d")
    xs = [gb.input(a.shape, dtype=dtype) for a in arrays]
    flat = lower(gb.build(build(gb, *xs)))
    plan = compile_graph(flat)
    out = plan.run_host([a.astype(dtype) for a in arrays])
    return flat, plan, [np.asarray(o) for o in tree_flatten(out)]


def full_adds(flat, size):
    return [e for e in flat.eqns if e.op == "add" and e.outputs[0].aval.size >= size]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_twice_a_product_with_a_constant_folds_into_the_constant(dtype):
    def build(gb, t, d):
        x = gb.mul(gb.mul(gb.tanh(t), gb.full((8, 8, 1), 1.5, dtype)), d)
        return gb.add(x, x)

    t, d = (RNG.standard_normal(s).astype(dtype) for s in ((8, 8, 1), (8, 8, 3)))
    flat, plan, (got,) = run(build, t, d, dtype=dtype)
    assert not full_adds(flat, 8 * 8), [e.op for e in flat.eqns]
    assert [e.op for e in plan.step_eqns] == ["tanh", "mul", "mul"]  # 2 * 1.5 folded by the plan
    x = np.tanh(t) * np.asarray(1.5, dtype) * d
    np.testing.assert_array_equal(got, x + x)  # doubling is exact


def test_twice_a_product_without_a_constant_doubles_the_smaller_factor():
    def build(gb, p, q):
        x = gb.mul(gb.exp(p), gb.tanh(q))
        return gb.add(x, x)

    p, q = RNG.standard_normal((6, 1)), RNG.standard_normal((6, 40))
    flat, _, (got,) = run(build, p, q, dtype="float64")
    adds = [e for e in flat.eqns if e.op == "add"]
    assert len(adds) == 1 and adds[0].outputs[0].shape == (6, 1), [(e.op, e.outputs[0].shape) for e in flat.eqns]
    np.testing.assert_array_equal(got, 2 * np.exp(p) * np.tanh(q))  # doubling is exact


def test_twice_a_difference_of_reshapes_of_one_scaled_value():
    """L1's force term: 2 * (r(s) - r'(s)), s = c * v, is r(2c * v) - r'(2c * v)."""
    def build(gb, v):
        s = gb.mul(gb.scalar(-0.25, "float32"), gb.tanh(v))
        x = gb.sub(gb.reshape(s, shape=(5, 1, 3)), gb.reshape(s, shape=(1, 5, 3)))
        return gb.exp(gb.add(x, x))

    v = RNG.standard_normal((5, 3))
    flat, _, (got,) = run(build, v)
    assert not full_adds(flat, 2), [(e.op, e.outputs[0].shape) for e in flat.eqns]  # only 2 * c, folded
    t = np.tanh(v.astype(np.float32))
    s = np.float32(-0.5) * t
    np.testing.assert_array_equal(got, np.exp(s.reshape(5, 1, 3) - s.reshape(1, 5, 3)))


def test_left_alone_when_the_product_has_another_use_or_no_smaller_factor():
    def build(gb, p, q):
        x = gb.mul(gb.exp(p), gb.tanh(q))
        y = gb.mul(gb.exp(p), gb.exp(q))
        return gb.add(x, x), gb.add(y, y), gb.exp(x)  # x used again; y's factors are its own size

    p, q = RNG.standard_normal((4, 4)), RNG.standard_normal((4, 4))
    flat, _, got = run(build, p, q, dtype="float64")
    assert len(full_adds(flat, 16)) == 2
    for g, r in zip(got, (2 * np.exp(p) * np.tanh(q), 2 * np.exp(p) * np.exp(q), np.exp(np.exp(p) * np.tanh(q)))):
        np.testing.assert_allclose(g, r, rtol=1e-15)


def test_a_product_scaled_twice_by_constant_scalars_is_scaled_once():
    """c2 * (c1 * x): one pass over x with c1 * c2 folded (L1's 2 from a square's derivative, then
    1/96 from a mean's)."""
    def build(gb, v):
        return gb.mul(gb.scalar(1.0 / 96, "float32"), gb.mul(gb.scalar(2.0, "float32"), gb.tanh(v)))

    v = RNG.standard_normal((32, 3)).astype(np.float32)
    flat, plan, (got,) = run(build, v)
    assert [e.op for e in plan.step_eqns] == ["tanh", "mul"], [e.op for e in plan.step_eqns]
    np.testing.assert_array_equal(got, np.float32(1.0 / 96) * (np.float32(2.0) * np.tanh(v)))  # 2 * c is exact
