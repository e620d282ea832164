"""`x * 0` is NaN for x NaN or +-inf (IEEE; NumPy, MindSpore, PyTorch, JAX agree): a zero the user's
graph computes is a value and its products are computed. Only a zero the differentiation made (an
absent cotangent or tangent: a symbolic zero) prunes the products it enters, as JAX and PyTorch
never materialise them; those derivatives stay exact zeros and their graphs stay small.

References: NumPy's float32 arithmetic on the same inputs; JAX for the derivatives.
"""
import jax
import numpy as np
import pytest

from engine import GraphBuilder, grad_operation
from engine.executor import compile_graph, run_numpy
from engine.lower import lower

F32 = np.float32
X = np.array([[np.nan, 1.0, -np.inf], [np.inf, 0.0, -2.0]], F32)


def run(build, *inputs):
    gb = GraphBuilder("t")
    xs = [gb.input(a.shape, dtype=str(a.dtype)) for a in inputs]
    low = lower(gb.build(build(gb, *xs)))
    return run_numpy(compile_graph(low), list(inputs)), low


def same(got, expect):
    got, expect = np.asarray(got), np.asarray(expect)
    assert got.shape == expect.shape and got.dtype == expect.dtype, (got.shape, expect.shape, got.dtype)
    np.testing.assert_array_equal(got, expect)  # NaN matches NaN; 0 does not match NaN


@pytest.mark.parametrize("shape", [(), (2, 3), (3,)])
def test_mul_by_a_zero_of_the_graph_is_computed(shape):
    zeros = np.zeros(shape, F32)
    with np.errstate(invalid="ignore"):
        got, _ = run(lambda gb, x: gb.mul(x, gb.full(shape, 0.0, "float32")), X)
        same(got, X * zeros)
        got, _ = run(lambda gb, x: gb.mul(gb.full(shape, 0.0, "float32"), x), X)
        same(got, zeros * X)


def test_zero_divided_by_x_is_computed():
    with np.errstate(invalid="ignore", divide="ignore"):
        got, _ = run(lambda gb, x: gb.div(gb.full((2, 3), 0.0, "float32"), x), X)
        same(got, np.zeros((2, 3), F32) / X)
        assert np.isnan(got[1, 1]) and np.isnan(got[0, 0])  # 0/0 and 0/NaN


def test_matmul_with_a_zero_operand_is_computed():
    z = np.zeros((3, 4), F32)
    with np.errstate(invalid="ignore"):
        got, _ = run(lambda gb, x: gb.matmul(x, gb.full((3, 4), 0.0, "float32")), X)
        same(got, X @ z)
        got, _ = run(lambda gb, x: gb.matmul(gb.full((4, 2), 0.0, "float32"), x), X)
        same(got, np.zeros((4, 2), F32) @ X)
    assert np.isnan(got[:, [0, 2]]).all() and (got[:, 1] == 0).all()  # columns 0, 2 hold a NaN or an inf


def test_mul_by_a_zero_fill_of_a_uniform_inf_is_nan():
    """Both operands uniform: the fold computes 0 * inf, it does not prune it."""
    got, _ = run(lambda gb, x: gb.add(x, gb.mul(gb.full((2, 3), np.inf, "float32"), gb.full((), 0.0, "float32"))),
                 np.ones((2, 3), F32))
    assert np.isnan(got).all()


def test_integer_mul_by_zero_still_folds():
    """Integers have no NaN: x * 0 is 0 exactly, and the product is not emitted."""
    got, low = run(lambda gb, x: gb.mul(x, gb.full((3,), 0.0, "int32")), np.array([5, -7, 2], np.int32))
    same(got, np.zeros(3, np.int32))
    assert "mul" not in [e.op for e in low.eqns]


# -- zeros the differentiation makes are still pruned ------------------------------------------------
def test_gradient_of_an_unused_input_is_zero_even_at_nan():
    """MindSpore, JAX: the derivative w.r.t. an input the output ignores is zeros (not NaN)."""
    gb = GraphBuilder("f")
    x, y = gb.input((2, 3)), gb.input((2, 3))
    g = gb.build(gb.sum(gb.mul(gb.sin(x), x)))
    low = lower(grad_operation(g, get_all=True))
    yv = np.full((2, 3), np.nan, F32)
    xv = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], F32)
    gx, gy = run_numpy(compile_graph(low), [xv, yv])
    ex, ey = jax.grad(lambda a, b: jax.numpy.sum(jax.numpy.sin(a) * a), argnums=(0, 1))(xv, yv)
    np.testing.assert_allclose(gx, np.asarray(ex), rtol=1e-6)
    same(gy, np.asarray(ey))
    assert [e.op for e in low.eqns if e.outputs[0] is low.outputs[1]] == ["fill"]


def _zero_products(low):
    zeros = {e.outputs[0].id for e in low.eqns if e.op == "fill" and e.attrs["value"] == 0}
    return [e.op for e in low.eqns if e.op in ("mul", "div", "matmul") and any(v.id in zeros for v in e.inputs)]


def test_second_order_through_a_zero_gradient_stays_pruned():
    """Derivatives of (d/dx f, d/dy f) where f ignores y, at y = NaN: the inner d/dy is a
    symbolic zero, so the outer derivative through it is zeros with no product of it emitted."""
    jnp = jax.numpy
    gb = GraphBuilder("f")
    x, y = gb.input((3,)), gb.input((3,))
    f = gb.build(gb.sum(gb.mul(gb.exp(x), x)))
    low = lower(grad_operation(grad_operation(f, get_all=True), get_all=True))
    xv, yv = np.array([0.5, -1.0, 2.0], F32), np.array([np.nan, np.inf, 1.0], F32)
    gx, gy = run_numpy(compile_graph(low), [xv, yv])

    def inner(a, b):
        da, db = jax.grad(lambda a, b: jnp.sum(jnp.exp(a) * a), argnums=(0, 1))(a, b)
        return jnp.sum(da) + jnp.sum(db)  # GradOperation seeds every output with ones
    ex, ey = jax.grad(inner, argnums=(0, 1))(xv, yv)
    np.testing.assert_allclose(gx, np.asarray(ex), rtol=1e-6)
    same(gy, np.asarray(ey))
    assert _zero_products(low) == [], _zero_products(low)


@pytest.mark.parametrize("yv", [np.nan, np.inf, -np.inf])
def test_a_zero_of_the_graph_never_merges_with_a_symbolic_one(yv):
    """The gradient w.r.t. the ignored y is a symbolic zero fill of y's shape; the graph's own zero
    of that shape, emitted after it, stays a value (CSE must not hand back the symbolic one)."""
    gb = GraphBuilder("f")
    x, _ = gb.input(()), gb.input(())
    f = gb.build(gb.exp(x))
    gb = GraphBuilder("h")
    x, y = gb.input(()), gb.input(())
    _, gy = gb.emit("grad", [x, y], {"fn": gb.function(f), "positions": (0, 1)})
    g = gb.build((gy, gb.mul(y, gb.full((), 0.0, "float32"))))
    yv = np.asarray(yv, F32)
    with np.errstate(invalid="ignore"):
        gy, prod = run_numpy(compile_graph(lower(g)), [np.zeros((), F32), yv])
        same(prod, yv * F32(0))
    same(gy, np.zeros((), F32))  # JAX, MindSpore: an ignored input's gradient is zeros


def test_negative_zero_never_merges_with_zero():
    """-0.0 == 0.0 in Python, yet x / -0.0 is -inf: two fills differing only in the zero's sign stay two
    values (CSE once merged them, giving inf where NumPy gives NaN). Forward and gradient against NumPy:
    d/dx sum(x / 0 + x / -0) = 1 / 0 + 1 / -0 = NaN."""
    gb = GraphBuilder("f")
    x = gb.input((2,))
    out = gb.sum(gb.add(gb.div(x, gb.full((2,), 0.0, "float32")), gb.div(x, gb.full((2,), -0.0, "float32"))))
    g = gb.build(out)
    xv = np.array([1.0, -2.0], F32)
    with np.errstate(all="ignore"):
        fwd, _ = run(lambda gb, x: gb.add(gb.div(x, gb.full((2,), 0.0, "float32")),
                                             gb.div(x, gb.full((2,), -0.0, "float32"))), xv)
        same(fwd, xv / F32(0.0) + xv / F32(-0.0))
        gx = run_numpy(compile_graph(lower(grad_operation(g))), [xv])
        same(gx, F32(1) / F32(0.0) + F32(1) / F32(-0.0) + np.zeros(2, F32))
        fx, _ = run(lambda gb, x: gb.div(x, gb.full((2,), -0.0, "float32")), xv)
    same(fx, np.array([-np.inf, np.inf], F32))
