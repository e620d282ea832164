"""engine/unbroadcast.py: sums and 2-D matrix products of a broadcast value run on its source.

Each case checks what the plan keeps (no broadcast_to reaches a sum or a product, and none is left
where the consumers could take the source) and the values against NumPy in float64 on the
explicitly broadcast arrays; the gradient of a summed dense layer against JAX.
"""
import itertools

import numpy as np
import pytest

from engine import GraphBuilder
from engine.executor import compile_graph
from engine.ir import tree_flatten
from engine.lower import lower

from _plans import lowered
from engine.transforms import grad

RNG = np.random.default_rng(31)




def ops(flat):
    return [e.op for e in flat.eqns]


def close(got, ref, dtype):
    tol = 1e-12 if dtype == "float64" else 3e-6
    assert got.dtype == np.dtype(dtype) and got.shape == ref.shape
    assert np.max(np.abs(got - ref)) <= tol * max(np.max(np.abs(ref)), 1.0), np.max(np.abs(got - ref))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("src,shape,target", [((1, 1), (32, 1), (1,)), ((), (5, 7), ()), ((1, 7), (5, 7), (7,)),
                                              ((3, 1, 1), (3, 4, 6), (3, 1, 1))])
def test_a_sum_of_a_broadcast_is_the_source_times_the_count(src, shape, target, dtype):
    x = RNG.standard_normal(src)
    flat, (got,) = lowered(lambda gb, x: gb.reduce_to(gb.broadcast_to(x, shape=shape), shape=target), x, dtype=dtype)
    assert "broadcast_to" not in ops(flat) and "reduce_to" not in ops(flat) and "sum" not in ops(flat), ops(flat)
    ref = np.broadcast_to(x.astype(dtype).astype(np.float64), shape)
    lead = len(shape) - len(target)
    ref = ref.sum(axis=tuple(range(lead)) + tuple(lead + i for i, d in enumerate(target) if d == 1 and
                                                     shape[lead + i] != 1), keepdims=True).reshape(target)
    close(got, ref, dtype)


def test_a_sum_along_an_axis_the_source_has_stays_a_sum():
    x = RNG.standard_normal((1, 7))
    flat, (got,) = lowered(lambda gb, x: gb.sum(gb.broadcast_to(x, shape=(5, 7)), axis=(0, 1)), x)
    assert "sum" in ops(flat) or "reduce_to" in ops(flat)
    close(got, np.asarray(5 * x.astype(np.float32).astype(np.float64).sum()), "float32")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("side,ta,tb", list(itertools.product("ab", (False, True), (False, True))))
@pytest.mark.parametrize("m,k,n", [(6, 5, 4), (6, 1, 4), (1, 5, 4), (6, 5, 1)])
def test_a_product_with_a_broadcast_operand(side, ta, tb, m, k, n, dtype):
    a_shape = (k, m) if ta else (m, k)
    b_shape = (n, k) if tb else (k, n)
    shape = a_shape if side == "a" else b_shape
    for src in {(1, 1), (1, shape[1]), (shape[0], 1), ()}:
        x, other = RNG.standard_normal(src), RNG.standard_normal(b_shape if side == "a" else a_shape)

        def build(gb, x, o):
            bx = gb.broadcast_to(x, shape=shape)
            a, b = (bx, o) if side == "a" else (o, bx)
            return gb.matmul(a, b, transpose_a=ta, transpose_b=tb)

        flat, (got,) = lowered(build, x, other, dtype=dtype)
        f64 = lambda v: v.astype(dtype).astype(np.float64)  # noqa: E731
        bx = np.broadcast_to(f64(x), shape)
        a, b = (bx, f64(other)) if side == "a" else (f64(other), bx)
        ref = (a.T if ta else a) @ (b.T if tb else b)
        close(got, ref, dtype)
        assert got.flags.writeable and got.flags.c_contiguous  # an output is a fresh array, even if broadcast
        for e in flat.eqns:
            if e.op == "matmul":
                assert all(flat_producer(flat, v) != "broadcast_to" for v in e.inputs), (src, ops(flat))


def flat_producer(flat, v):
    for e in flat.eqns:
        if any(o.id == v.id for o in e.outputs):
            return e.op
    return None


def test_consumers_take_the_source_and_the_broadcast_goes():
    """A summed dense layer's weight gradient: the cotangent is a broadcast scalar; its products,
    its sum and the elementwise op after the product all run without it."""
    def build(gb, s, w, h, z):
        ct = gb.broadcast_to(gb.reshape(s, shape=(1, 1)), shape=(32, 1))
        rows = gb.matmul(ct, w)  # (32, 1) @ (1, 32): every row s * w
        return (gb.reduce_to(ct, shape=(1,)), gb.matmul(ct, h, transpose_a=True),
                gb.sum(gb.mul(rows, z), axis=(0,)))

    s, w, h, z = (RNG.standard_normal(sh) for sh in ((), (1, 32), (32, 32), (32, 32)))
    flat, got = lowered(build, s, w, h, z)
    assert "broadcast_to" not in ops(flat), ops(flat)
    f = lambda v: v.astype(np.float32).astype(np.float64)  # noqa: E731
    s, w, h, z = map(f, (s, w, h, z))
    for g, r in zip(got, (np.full((1,), 32 * s), s * h.sum(0, keepdims=True), (s * w * z).sum(0))):
        close(g, r, "float32")


@pytest.mark.jax_x64  # float64 JAX reference (tests/jax_mode.py)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_of_a_summed_dense_layer_matches_jax(dtype):
    jax = pytest.importorskip("jax")
    h0, w0, b0 = (RNG.standard_normal(s) for s in ((32, 16), (1, 16), (1,)))
    gb = GraphBuilder("dense")
    h = gb.input((32, 16), dtype=dtype)
    w, b = gb.input((1, 16), dtype=dtype), gb.input((1,), dtype=dtype)
    g = grad(gb.build(gb.sum(gb.add(gb.matmul(gb.tanh(h), w, transpose_b=True), b))), (0, 1, 2))
    flat = lower(g)
    assert "broadcast_to" not in ops(flat), ops(flat)
    got = tree_flatten(compile_graph(flat).run_host([v.astype(dtype) for v in (h0, w0, b0)]))
    f = lambda v: jax.numpy.asarray(v.astype(dtype), jax.numpy.float64)  # noqa: E731
    ref = jax.grad(lambda h, w, b: jax.numpy.sum(jax.numpy.tanh(h) @ w.T + b), (0, 1, 2))(f(h0), f(w0), f(b0))
    for a, r in zip(got, ref):
        close(np.asarray(a), np.asarray(r), dtype)


@pytest.mark.parametrize("dtype", ["int32", "int8"])
def test_reduce_to_keeps_an_integer_dtype(dtype):
    # NumPy widens integer sums to int64; reduce_to (the gradient of a broadcast) keeps x's dtype, as sum does
    x = np.arange(12).reshape(4, 3)
    flat, (got,) = lowered(lambda gb, x: gb.reduce_to(x, shape=(4, 1)), x, dtype=dtype)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, x.sum(1, keepdims=True).astype(dtype))
