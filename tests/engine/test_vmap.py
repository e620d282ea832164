"""vmap: each op's batching rule against the op applied per example, and compositions with
grad / jvp against JAX (jit(vmap(grad)), grad of a vmapped sum, per-example Hessian-vector
products)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine import transforms
from engine.api import GraphBuilder, evaluate
from engine.errors import EngineError
from engine.lower import lower
from engine.serialize import graph_from_json, graph_to_json
from engine.vmap import BATCH_RULES, vmap_graph
from engine.ops.composite import COMPOSITES, composite_graph

jax = pytest.importorskip("jax")
jnp = jax.numpy
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)
B = 3
rng = np.random.default_rng(0)


def _graph(shapes, body, dtype="float64"):
    gb = GraphBuilder("f")
    xs = [gb.input(s, dtype, f"x{i}") for i, s in enumerate(shapes)]
    return gb.build(body(gb, *xs))


# (name, input shapes, body, input transform): each is vmapped over every subset of its inputs
CASES = [
    ("sin", [(2, 3)], lambda b, x: b.sin(x)),
    ("cast", [(2, 3)], lambda b, x: b.cast(x, dtype="float32")),
    ("add_bcast", [(2, 3), (3,)], lambda b, x, y: b.add(x, y)),
    ("mul_scalar", [(2, 3), ()], lambda b, x, y: b.mul(x, y)),
    ("pow", [(4,), (4,)], lambda b, x, y: b.pow(b.abs(x), y)),
    ("where", [(2, 3), (3,)], lambda b, x, y: b.where(b.greater(x, y), x, y)),
    ("softmax", [(2, 3)], lambda b, x: b.softmax(x, axis=0)),
    ("log_softmax", [(2, 3)], lambda b, x: b.log_softmax(x, axis=-1)),
    ("sum_all", [(2, 3)], lambda b, x: b.sum(x)),
    ("mean_ax", [(2, 3)], lambda b, x: b.mean(x, axis=-1, keepdims=True)),
    ("max_ax", [(2, 3)], lambda b, x: b.max(x, axis=(0,))),
    ("lse", [(2, 3)], lambda b, x: b.logsumexp(x, axis=1)),
    ("prod", [(2, 3)], lambda b, x: b.prod(x, axis=0)),
    ("reshape", [(2, 3)], lambda b, x: b.reshape(x, shape=(3, -1))),
    ("transpose", [(2, 3, 4)], lambda b, x: b.transpose(x, perm=(2, 0, 1))),
    ("transpose_none", [(2, 3)], lambda b, x: b.transpose(x)),
    ("broadcast_to", [(3,)], lambda b, x: b.broadcast_to(x, shape=(2, 3))),
    ("reduce_to", [(2, 3)], lambda b, x: b.reduce_to(x, shape=(3,))),
    ("reduce_to_keep", [(2, 3)], lambda b, x: b.reduce_to(x, shape=(1, 3))),
    ("expand_dims", [(2, 3)], lambda b, x: b.expand_dims(x, axis=-1)),
    ("squeeze", [(2, 1, 3)], lambda b, x: b.squeeze(x)),
    ("concat", [(2, 3), (1, 3)], lambda b, x, y: b.concat(x, y, axis=0)),
    ("stack", [(3,), (3,)], lambda b, x, y: b.stack(x, y, axis=-1)),
    ("split", [(4, 2)], lambda b, x: b.emit("split", [x], {"sections": 2, "axis": 0})[1]),
    ("tile", [(2, 3)], lambda b, x: b.tile(x, reps=(2, 1, 2))),
    ("index", [(4, 3)], lambda b, x: b.index(x, index=[[1, None, 2], 0])),
    ("index_scatter", [(2,)], lambda b, x: b.index_scatter(x, shape=(4, 3), index=[[1, None, 2], 0])),
    ("matmul", [(2, 3), (3, 4)], lambda b, x, y: b.matmul(x, y)),
    ("matmul_tb", [(2, 3), (4, 3)], lambda b, x, y: b.matmul(x, y, transpose_b=True)),
    ("matmul_ta", [(3, 2), (3, 4)], lambda b, x, y: b.matmul(x, y, transpose_a=True)),
    ("matmul_batch", [(2, 2, 3), (3, 4)], lambda b, x, y: b.matmul(x, y)),
    ("gelu", [(2, 3)], lambda b, x: b.emit("gelu", [x], {"approximate": "tanh"})[0]),
    ("argmax", [(2, 3)], lambda b, x: b.emit("argmax", [x], {"axis": -1})[0]),
    ("cumsum", [(2, 3)], lambda b, x: b.emit("cumsum", [x], {"axis": 0, "reverse": True})[0]),
    ("cumprod", [(2, 3)], lambda b, x: b.emit("cumprod", [x], {"axis": 1})[0]),
    ("flip", [(2, 3)], lambda b, x: b.emit("flip", [x], {"axis": [0, -1]})[0]),
    ("sort", [(2, 3)], lambda b, x: b.emit("sort", [x], {"axis": -1, "descending": True})[0]),
    ("top_k", [(2, 5)], lambda b, x: b.emit("top_k", [x], {"k": 2, "axis": -1})[0]),
    ("clip", [(2, 3)], lambda b, x: b.emit("clip", [x], {"min": -0.5, "max": 0.5})[0]),
    ("pad", [(2, 3)], lambda b, x: b.emit("pad", [x], {"pads": [[1, 0], [0, 2]], "mode": "reflect"})[0]),
    ("einsum", [(2, 3), (3, 4)], lambda b, x, y: b.emit("einsum", [x, y], {"equation": "ij,jk->ki"})[0]),
    ("conv", [(2, 3, 5), (4, 3, 2)], lambda b, x, w: b.emit("conv", [x, w], {"padding": [[1, 0]]})[0]),
    ("max_pool", [(2, 3, 6)], lambda b, x: b.emit("max_pool", [x], {"window": [2], "strides": [2]})[0]),
    ("avg_pool", [(2, 3, 6)], lambda b, x: b.emit("avg_pool", [x], {"window": [3]})[0]),
]


def _subsets(n):
    return [m for m in range(1, 2 ** n)]


def _draw(spec, batch):
    """spec: a float shape, or ("i", lo, hi, shape) for integers in [lo, hi), ("b", shape) for False."""
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        shape = ((B,) if batch else ()) + tuple(spec[-1])
        if spec[0] == "b":
            return np.zeros(shape, bool)
        return rng.integers(spec[1], spec[2], size=shape)
    return rng.normal(size=((B,) + tuple(spec)) if batch else spec)


def _spec_shape(spec):
    return tuple(spec[-1]) if isinstance(spec, tuple) and spec and isinstance(spec[0], str) else tuple(spec)


def _spec_dtype(spec):
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        return "bool" if spec[0] == "b" else "int64"
    return "float64"


def _check_per_example(name, specs, body, per_branch=False):
    """vmap over every subset of the inputs against the op applied per example; and a rule, not the
    unrolled fallback: no op of the function appears more often in the lowered vmapped graph (unrolling
    makes B copies). per_branch (switch_run with a batched index runs each branch once, on all examples):
    the lowered graph is the same size for B and 2B instead."""
    gb = GraphBuilder("f")
    xs = [gb.input(_spec_shape(s), _spec_dtype(s), f"x{i}") for i, s in enumerate(specs)]
    out = body(gb, *xs)
    g = gb.build(tuple(out) if isinstance(out, (list, tuple)) else out)
    base = lower(g)
    counts = {e.op: sum(1 for f in base.eqns if f.op == e.op) for e in base.eqns}
    for mask in _subsets(len(specs)):
        axes = [0 if mask >> i & 1 else None for i in range(len(specs))]
        args = [_draw(s, ax is not None) for s, ax in zip(specs, axes)]
        vg = vmap_graph(g, B, in_axes=axes)
        got = evaluate(vg, *args)
        per = [evaluate(g, *[a[i] if ax is not None else a for a, ax in zip(args, axes)]) for i in range(B)]
        got = got if isinstance(got, tuple) else (got,)
        per = [p if isinstance(p, tuple) else (p,) for p in per]
        for k, v in enumerate(got):
            np.testing.assert_allclose(v, np.stack([p[k] for p in per]), rtol=1e-12, atol=1e-12,
                                       err_msg=f"{name} in_axes={axes} output {k}")
        flat = lower(vg)
        if per_branch:
            assert len(flat.eqns) == len(lower(vmap_graph(g, 2 * B, in_axes=axes)).eqns), f"{name}: unrolled?"
            continue
        more = {op: n for op, n in ((op, sum(1 for f in flat.eqns if f.op == op)) for op in counts)
                if n > counts[op]}
        assert not more, f"{name} in_axes={axes}: {more} (unrolled?)"


@pytest.mark.parametrize("name,shapes,body", CASES, ids=[c[0] for c in CASES])
def test_rule_matches_per_example(name, shapes, body):
    _check_per_example(name, shapes, body)


def _i(lo, hi, *shape):
    return ("i", lo, hi, shape)


_CONV1 = dict(strides=(2,), padding=((1, 2),), groups=2)
_CONV2 = dict(padding=((1, 0), (1, 1)), dilation=(2, 1))
_CT1 = dict(strides=(2,), padding=((1, 1),), output_padding=(1,))
_CT2 = dict(strides=(2, 1), dilation=(1, 2), groups=2, padding=((0, 1), (1, 0)))
_WIN = dict(window=(2, 2), strides=(2, 1), padding=((1, 0), (0, 1)))
# the ops of issue #14 with rules of their own (batch_window.py, batch_index.py)
OP_CASES = [
    ("conv_1d_groups", [(2, 2, 5), (4, 1, 3)], lambda b, x, w: b.conv(x, w, **_CONV1)),
    ("conv_2d", [(2, 3, 5, 4), (2, 3, 2, 3)], lambda b, x, w: b.conv(x, w, **_CONV2)),
    ("conv_3d_groups", [(1, 2, 3, 4, 3), (2, 1, 2, 2, 2)], lambda b, x, w: b.conv(x, w, strides=(1, 2, 1), groups=2)),
    ("conv_transpose_1d", [(2, 2, 3), (2, 2, 3)], lambda b, y, w: b.conv_transpose(y, w, **_CT1)),
    ("conv_transpose_2d_groups", [(1, 4, 3, 2), (4, 1, 2, 3)], lambda b, y, w: b.conv_transpose(y, w, **_CT2)),
    ("im2col", [(1, 2, 4, 3)], lambda b, x: b.im2col(x, **_WIN)),
    ("col2im", [(1, 2, 4, 2, 3)], lambda b, p: b.col2im(p, shape=(4, 3), **_WIN)),
    ("avg_pool", [(2, 2, 5, 4)], lambda b, x: b.avg_pool(x, window=(2, 3), strides=(2, 1),
                                                         padding=((1, 0), (1, 1)), count_include_pad=False)),
    ("max_pool", [(2, 2, 5, 4)], lambda b, x: b.max_pool(x, **_WIN)),
    ("max_pool_mask", [(1, 2, 7)], lambda b, x: b.max_pool_mask(x, window=(3,), strides=(2,), dilation=(2,))),
    ("cumsum", [(2, 4)], lambda b, x: b.cumsum(x, axis=1)),
    ("cumsum_excl_rev", [(3, 2)], lambda b, x: b.cumsum(x, axis=0, exclusive=True, reverse=True)),
    ("linrec", [(2, 4), (2, 4)], lambda b, a, c: b.linrec(a, c, axis=-1)),
    ("linrec_reverse", [(3, 2), (3, 2)], lambda b, a, c: b.linrec(a, c, axis=0, reverse=True)),
    ("argmax", [(2, 5)], lambda b, x: b.argmax(x, axis=-1)),
    ("argmin_keep", [(3, 2)], lambda b, x: b.argmin(x, axis=0, keepdims=True)),
    ("sort", [(2, 5)], lambda b, x: b.emit("sort", [x], {"axis": -1})),
    ("sort_desc_ax0", [(3, 2)], lambda b, x: b.emit("sort", [x], {"axis": 0, "descending": True})),
    ("top_k", [(2, 5)], lambda b, x: b.emit("top_k", [x], {"k": 3})),
    ("top_k_smallest_ax0", [(4, 2)], lambda b, x: b.emit("top_k", [x], {"k": 2, "axis": 0, "largest": False})),
    ("take_along_axis", [(2, 3), _i(-3, 3, 2, 4)], lambda b, x, i: b.take_along_axis(x, i, axis=1)),
    ("take_along_axis_ax0", [(3, 2), _i(0, 3, 4, 2)], lambda b, x, i: b.take_along_axis(x, i, axis=0)),
    ("scatter_add_along", [(2, 4), _i(-3, 3, 2, 4)],
     lambda b, v, i: b.scatter_add_along(v, i, shape=(2, 3), axis=1)),
    ("dynamic_slice", [(4, 3), _i(-1, 5, ), _i(0, 3, )], lambda b, x, r, c: b.dynamic_slice(x, r, c, sizes=(2, 2))),
    ("dynamic_slice_3d", [(3, 4, 5), _i(0, 3, ), _i(-2, 6, ), _i(0, 5, )],
     lambda b, x, i, j, k: b.dynamic_slice(x, i, j, k, sizes=(1, 2, 3))),
    ("dynamic_update_slice", [(4, 3), (2, 2), _i(-1, 5, ), _i(-1, 3, )],
     lambda b, x, u, r, c: b.dynamic_update_slice(x, u, r, c)),
    ("gather_ax1", [(3, 5, 2), _i(-5, 5, 2, 2)], lambda b, x, i: b.gather(x, i, axis=1)),
    ("scatter_add_ax1", [(3, 2, 2, 2), _i(-5, 5, 2, 2)], lambda b, v, i: b.scatter_add(v, i, shape=(3, 5, 2), axis=1)),
    ("scatter_add_ax0", [(4, 3), _i(0, 2, 4)], lambda b, v, i: b.scatter_add(v, i, shape=(2, 3), axis=0)),
    ("check_false", [("b", ()), (2, 3)], lambda b, f, x: b.check_false(f, b.sin(x), message="never")),
    ("segment_reduce_max", [(5, 2), _i(-3, 3, 5)], lambda b, v, i: b.segment_reduce(v, i, num_segments=3, mode="max")),
    ("segment_reduce_prod", [(5,), _i(-4, 4, 5)], lambda b, v, i: b.segment_reduce(v, i, num_segments=4, mode="prod")),
]


def _wc(b, a):
    """a + 6 I: well conditioned (normal draws), so the batched and per-example LAPACK calls agree closely."""
    return b.add(a, b.const(6 * np.eye(a.shape[-1])))


OP_CASES += [  # engine/ops/linalg_solve.py
    ("cholesky", [(3, 3)], lambda b, a: b.cholesky(b.add(b.matmul(a, a, transpose_b=True), b.const(np.eye(3))))),
    ("matrix_inverse", [(2, 3, 3)], lambda b, a: b.matrix_inverse(_wc(b, a))),
    ("slogdet", [(3, 3)], lambda b, a: b.emit("slogdet", [_wc(b, a)], {})),
    ("det", [(2, 3, 3)], lambda b, a: b.emit("det", [a], {})),  # engine/ops/linalg_det.py
    ("det_grad_two_directions", [(3, 3), (3, 3), (3, 3)], lambda b, a, e, f: b.emit("det_grad", [a, e, f], {})),
    ("det_grad_three_directions", [(4, 4)] * 4,  # the general form (order 4: polarization over index sets)
     lambda b, a, e, f, h: b.emit("det_grad", [a, e, f, h], {})),
    ("solve", [(3, 3), (3, 2)], lambda b, a, c: b.solve(_wc(b, a), c)),
    ("triangular_solve_upper_T", [(2, 3, 3), (2, 3, 1)],
     lambda b, a, c: b.triangular_solve(_wc(b, a), c, lower=False, transpose_a=True)),
]


def _gamma_a(b, x):
    """x (normal draws) mapped into a > 0 for the incomplete gamma family."""
    return b.add(b.square(x), b.scalar(0.5, "float64"))


OP_CASES += [  # engine/ops/fft.py: complex operands built from real inputs
    ("fft_inverse_2d", [(2, 3), (2, 3)], lambda b, x, y: b.real(b.fft(b.complex(x, y), axes=(1, 0), inverse=True))),
    ("rfft", [(3, 4)], lambda b, x: b.imag(b.rfft(x, axes=(-1,), norm="ortho"))),
    ("irfft", [(2, 3), (2, 3)], lambda b, x, y: b.irfft(b.complex(x, y), axes=(0, 1), n=5)),
]


OP_CASES += [  # engine/ops/special_gamma.py: both operands batched or one (the elementwise rule's broadcasting)
    ("igamma", [(2, 3), (2, 3)], lambda b, a, x: b.emit("igamma", [_gamma_a(b, a), b.abs(x)], {})),
    ("igammac_row", [(3,), (2, 3)], lambda b, a, x: b.emit("igammac", [_gamma_a(b, a), b.abs(x)], {})),
    ("igamma_dx", [(2, 3), (2, 3)], lambda b, a, x: b.emit("igamma_dx", [_gamma_a(b, a), _gamma_a(b, x)], {})),
]


@pytest.mark.parametrize("name,specs,body", OP_CASES, ids=[c[0] for c in OP_CASES])
def test_op_rule_matches_per_example(name, specs, body):
    _check_per_example(name, specs, body)


def _cond_body(gb, p, x):
    """cond(p > 0, sqrt(|x|) * 2, log(|x|) - x): a branch whose math is wrong for the other's inputs."""
    def branch(make, name):
        g2 = GraphBuilder(name)
        a = g2.input((3,), "float64", "a")
        return gb.function(g2.build(make(g2, a)), name)

    t = branch(lambda g, a: g.mul(g.sqrt(g.abs(a)), g.scalar(2.0, "float64")), "pos")
    f = branch(lambda g, a: g.sub(g.log(g.abs(a)), a), "neg")
    return gb.emit("cond", [gb.greater(p, gb.scalar(0.0, "float64")), x], {"true_fn": t, "false_fn": f})[0]


def test_switch_run_batched():
    """cond / switch lower to switch_run. An unbatched index: one switch_run over the batched branches;
    a batched index: each branch once over all examples (on witnesses' inputs where not chosen)."""
    _check_per_example("switch_run", [(), (3,)], _cond_body, per_branch=True)


def test_switch_run_vmap_of_grad_and_grad_of_vmap():
    gb = GraphBuilder("f")
    p, x = gb.input((), "float64", "p"), gb.input((3,), "float64", "x")
    g = gb.build(gb.sum(_cond_body(gb, p, x)))

    def f(p, x):
        return jnp.sum(jax.lax.cond(p > 0, lambda a: jnp.sqrt(jnp.abs(a)) * 2, lambda a: jnp.log(jnp.abs(a)) - a, x))

    X = rng.normal(size=(5, 3))
    for p0 in (-1.0, 1.0):
        got = evaluate(vmap_graph(transforms.grad(g, 1), 5, in_axes=[None, 0]), np.array(p0), X)
        np.testing.assert_allclose(got, jax.jit(jax.vmap(jax.grad(f, 1), in_axes=(None, 0)))(p0, X), rtol=1e-12)
        gb2 = GraphBuilder("outer")
        pi, Xi = gb2.input((), "float64", "p"), gb2.input((5, 3), "float64", "X")
        vf = gb2.function(vmap_graph(g, 5, in_axes=[None, 0]), "vf")
        total = gb2.build(gb2.sum(gb2.emit("call", [pi, Xi], {"fn": vf})[0]))
        want = jax.jit(jax.grad(lambda X: jnp.sum(jax.vmap(f, in_axes=(None, 0))(p0, X))))(X)
        np.testing.assert_allclose(evaluate(transforms.grad(total, 1), np.array(p0), X), want, rtol=1e-12)


def test_switch_run_batched_index_is_nan_free_at_every_order():
    """cond(x > 0, sqrt(x) w, -x w) with x mapped: the branch index is batched. sqrt never sees the
    negative examples (witness inputs), so vmap of grad, grad of vmap and second derivatives of the
    vmapped graph are finite and equal the per-example ones; per-example weight gradients too."""
    from test_control_flow import cond_graph

    g, _ = cond_graph()
    X = np.array([-2.0, 0.7, 1.5, -0.3])
    d1 = np.where(X > 0, 1.5 / np.sqrt(np.abs(X)), -3.0)  # w = 3
    d2 = np.where(X > 0, -0.75 / np.abs(X) ** 1.5, 0.0)
    gw = transforms.grad(g, 0, weights=["w"])
    got = evaluate(vmap_graph(gw, 4), X)
    np.testing.assert_allclose(got[0], d1, rtol=1e-14)
    np.testing.assert_allclose(got[1][0], [evaluate(gw, x)[1][0] for x in X], rtol=1e-14)
    assert len(lower(vmap_graph(gw, 4)).eqns) == len(lower(vmap_graph(gw, 8)).eqns)  # not unrolled
    gb = GraphBuilder("outer")
    Xi = gb.input((4,), "float64", "X")
    vf = gb.function(vmap_graph(g, 4), "vf")
    total = gb.build(gb.sum(gb.emit("call", [Xi], {"fn": vf})[0]))
    np.testing.assert_allclose(evaluate(transforms.grad(total, 0), X), d1, rtol=1e-14)
    hess = evaluate(transforms.hvp(total, 0), X, np.ones(4))  # diagonal: examples are independent
    np.testing.assert_allclose(hess, d2, rtol=1e-13)
    X[:] = [-1.0, -2.0, -3.0, -4.0]  # no example takes sqrt: that branch does not run at all
    np.testing.assert_allclose(evaluate(transforms.grad(total, 0), X), -3.0 * np.ones(4), rtol=1e-14)


def test_check_false_of_any_example_raises():
    gb = GraphBuilder("f")
    x = gb.input((2,), "float64", "x")
    g = gb.build(gb.check_false(gb.less(gb.sum(x), gb.scalar(-100.0, "float64")), gb.sin(x), message="too small"))
    X = rng.normal(size=(4, 2))
    np.testing.assert_allclose(evaluate(vmap_graph(g, 4), X), np.sin(X), rtol=1e-15)
    X[2] = -200.0  # one example's flag
    with pytest.raises(EngineError, match="too small"):
        evaluate(vmap_graph(g, 4), X)


def _cnn(gb, x, y, w, s, c, v):
    """conv(3x3, pad 1) -> relu -> max_pool 2x2 -> layer_norm over (C, H, W) -> linear -> squared error."""
    h = gb.relu(gb.conv(x, w, padding=((1, 1), (1, 1))))
    h = gb.max_pool(h, window=(2, 2), strides=(2, 2))
    h = gb.emit("layer_norm", [h, s, c], {"axis": 1, "epsilon": 1e-5})[0]
    z = gb.matmul(gb.reshape(h, shape=(1, 27)), v)
    return gb.sum(gb.square(gb.sub(gb.reshape(z, shape=(1,)), y)))


def _cnn_jax(params, x, y):
    w, s, c, v = params
    h = jax.nn.relu(jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1))))
    h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    mu = jnp.mean(h, axis=(1, 2, 3), keepdims=True)
    var = jnp.mean((h - mu) ** 2, axis=(1, 2, 3), keepdims=True)
    h = (h - mu) / jnp.sqrt(var + 1e-5) * s + c
    return jnp.sum(((h.reshape(1, 27) @ v).reshape(1) - y) ** 2)


def test_vmap_of_grad_of_a_cnn_is_per_example_gradients():
    """Per-example weight gradients of a small CNN (conv, max_pool, layer_norm) against JAX's
    jit(vmap(grad)); the lowered graph does not grow with the batch (no op unrolled)."""
    vals = [rng.normal(size=s) * 0.5 for s in ((3, 2, 3, 3), (3, 3, 3), (3, 3, 3), (27, 1))]
    gb = GraphBuilder("cnn")
    x, y = gb.input((1, 2, 6, 6), "float64", "x"), gb.input((1,), "float64", "y")
    ws = [gb.param(n, v) for n, v in zip("wscv", vals)]
    gw = transforms.grad(gb.build(_cnn(gb, x, y, *ws)), None, weights=list("wscv"))
    want_fn = jax.jit(jax.vmap(jax.grad(_cnn_jax), in_axes=(None, 0, 0)))
    sizes = {}
    for n in (4, 16):
        X, Y = rng.normal(size=(n, 1, 2, 6, 6)), rng.normal(size=(n, 1))
        vg = vmap_graph(gw, n)
        got = evaluate(vg, X, Y)
        for gk, wk in zip(got, want_fn(tuple(vals), X, Y)):
            np.testing.assert_allclose(gk, wk, rtol=1e-10, atol=1e-12)
        sizes[n] = len(lower(vg).eqns)
    assert sizes[4] == sizes[16], sizes


def test_bounded_while_per_example_trip_counts():
    """A bounded while (where-masked trips, then check_false) vmapped: each example stops on its own
    trip; one example still running after max_trips fails the batch."""
    gb = GraphBuilder("wh")
    x = gb.input((2,), "float64", "x")

    def fn(make, name):
        g2 = GraphBuilder(name)
        return gb.function(g2.build(make(g2, g2.input((2,), "float64", "a"))))

    cond = fn(lambda g, a: g.less(g.sum(g.abs(a)), g.scalar(10.0, "float64")), "cond")
    body = fn(lambda g, a: g.mul(a, g.scalar(2.0, "float64")), "body")
    g = gb.build(gb.emit("while", [x], {"cond": cond, "body": body, "max_trips": 8})[0])
    X = np.array([[0.1, 0.2], [3.0, 4.0], [-1.0, 2.0]])  # 6, 1 and 2 trips
    want = np.stack([evaluate(g, xi) for xi in X])
    np.testing.assert_allclose(evaluate(vmap_graph(g, 3), X), want, rtol=1e-15)
    assert not any(e.op == "stack" for e in lower(vmap_graph(g, 3)).eqns)  # no example unrolled
    X[0] = [1e-4, 1e-4]  # past 8 doublings
    with pytest.raises(EngineError, match="max_trips"):
        evaluate(vmap_graph(g, 3), X)


def _custom_vjp_body(gb, a, c):
    """out = sin(a) exp(c), with a user rule that is NOT its derivative (2x in a), so the test sees
    which one ran: (2 cos(a) exp(c) dout, sum_rows(out dout))."""
    def fn(make, shapes, name):
        g2 = GraphBuilder(name)
        return gb.function(g2.build(make(g2, *[g2.input(s, "float64", f"a{i}") for i, s in enumerate(shapes)])))

    fwd = fn(lambda g, a, c: g.mul(g.sin(a), g.exp(c)), [(2, 3), (3,)], "fwd")
    rule = fn(lambda g, a, c, out, d: (g.mul(g.mul(g.scalar(2.0, "float64"), g.mul(g.cos(a), g.exp(c))), d),
                                       g.reduce_to(g.mul(out, d), shape=(3,))), [(2, 3), (3,), (2, 3), (2, 3)], "rule")
    raw = gb.emit("call", [a, c], {"fn": fwd})
    return gb.emit("custom_vjp", [a, c] + raw, {"bprop": rule, "n_in": 2, "n_out": 1, "params": []})[0]


def test_custom_vjp_batched_keeps_the_users_rule():
    """Values per example (and no node repeated); the derivative of the vmapped graph and the vmap of
    the derivative both run the user's rule on every example, with a shared (unmapped) c too."""
    _check_per_example("custom_vjp", [(2, 3), (3,)], _custom_vjp_body)
    gb = GraphBuilder("f")
    a, c = gb.input((2, 3), "float64", "a"), gb.input((3,), "float64", "c")
    g = gb.build(gb.sum(_custom_vjp_body(gb, a, c)))
    A, C = rng.normal(size=(B, 2, 3)), rng.normal(size=(B, 3))
    for axes, Cv in (([0, 0], C), ([0, None], C[0])):
        Cb = np.broadcast_to(Cv, (B, 3))
        da = 2 * np.cos(A) * np.exp(Cb)[:, None, :]  # the rule's, not the true derivative
        dc = (np.sin(A) * np.exp(Cb)[:, None, :]).sum(axis=1)
        got = evaluate(vmap_graph(transforms.grad(g, (0, 1)), B, in_axes=axes), A, Cv)
        np.testing.assert_allclose(got[0], da, rtol=1e-12)
        np.testing.assert_allclose(got[1], dc, rtol=1e-12)
        gb2 = GraphBuilder("outer")
        ins = [gb2.input((B, 2, 3), "float64", "A"), gb2.input(np.shape(Cv), "float64", "C")]
        vf = gb2.function(vmap_graph(g, B, in_axes=axes), "vf")
        total = gb2.build(gb2.sum(gb2.emit("call", ins, {"fn": vf})[0]))
        flat = lower(transforms.grad(total, (0, 1)))
        assert sum(e.op == "custom_vjp" for e in lower(vmap_graph(g, B, in_axes=axes)).eqns) <= 1
        got = evaluate(flat, A, Cv)
        np.testing.assert_allclose(got[0], da, rtol=1e-12)
        np.testing.assert_allclose(got[1], dc if axes[1] == 0 else dc.sum(axis=0), rtol=1e-12)


def test_grad_of_vmapped_conv_with_per_example_weights():
    """An ensemble: conv / conv_transpose with a weight per example (the grouped-conv rules), every
    in_axes subset, differentiated after vmap, against JAX's grad of its vmap."""
    dn = ("NCH", "OIH", "NCH")

    def conv_j(x, w):  # conv_1d_groups of OP_CASES
        return jax.lax.conv_general_dilated(x, w, (2,), ((1, 2),), dimension_numbers=dn, feature_group_count=2)

    def conv_t_j(y, w):  # conv_transpose_1d of OP_CASES: the vjp of conv in x (stride 2, pad 1, +1 output pad)
        x0 = jnp.zeros((2, 2, 6))
        return jax.vjp(lambda x: jax.lax.conv_general_dilated(x, w, (2,), ((1, 1),), dimension_numbers=dn),
                       x0)[1](y)[0]

    for name, fj in (("conv_1d_groups", conv_j), ("conv_transpose_1d", conv_t_j)):
        _, shapes, body = next(c for c in OP_CASES if c[0] == name)
        gb = GraphBuilder("f")
        x, w = (gb.input(sh, "float64", f"x{i}") for i, sh in enumerate(shapes))
        g = gb.build(gb.sum(gb.sin(body(gb, x, w))))
        for axes in ([None, 0], [0, 0]):
            args = [rng.normal(size=((B,) + sh) if ax == 0 else sh) for sh, ax in zip(shapes, axes)]
            gb2 = GraphBuilder("outer")
            ins = [gb2.input(a.shape, "float64", f"v{i}") for i, a in enumerate(args)]
            vf = gb2.function(vmap_graph(g, B, in_axes=axes), "vf")
            total = gb2.build(gb2.sum(gb2.emit("call", ins, {"fn": vf})[0]))
            got = evaluate(transforms.grad(total, (0, 1)), *args)
            want = jax.jit(jax.grad(lambda a, c: jnp.sum(jax.vmap(lambda u, v: jnp.sum(jnp.sin(fj(u, v))),
                                                                  in_axes=tuple(axes))(a, c)), (0, 1)))(*args)
            for gk, wk in zip(got, want):
                np.testing.assert_allclose(gk, wk, rtol=1e-11, atol=1e-12, err_msg=f"{name} {axes}")


# Ops vmap still unrolls (one slice per example: right, but the graph grows with the batch): only
# linear_sum_assignment, whose solver takes one cost matrix at a time (custom_vjp falls back per example
# only when a parameter its rule reads is itself batched).
UNROLLED: set[str] = {"linear_sum_assignment"}


def test_vmapped_eig_is_per_example_eig_without_unrolling():
    """eig works on the last two axes, so a batch is one more leading axis (as eigh); expected: NumPy's
    eig per example (eigenvalue order is LAPACK's for each matrix, the same batched or not)."""
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 3, 3))
    gb = GraphBuilder("eig1")
    g = gb.build(list(gb.emit("eig", [gb.input((3, 3), "float64", "a")], {})))
    got_w, got_v = evaluate(vmap_graph(g, 4), A)
    for k in range(4):
        want_w, want_v = np.linalg.eig(A[k])
        np.testing.assert_allclose(got_w[k], want_w, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got_v[k], want_v, rtol=1e-12, atol=1e-12)
    assert len(lower(vmap_graph(g, 4)).eqns) == len(lower(vmap_graph(g, 8)).eqns)  # not unrolled


def test_every_op_with_a_vjp_has_a_batching_rule():
    """Every op has a batching rule, but for the listed ones still unrolled (so the list only shrinks)."""
    from engine.ops.registry import FUNCTION_OPS, OPS

    missing = sorted(op for op in OPS if op not in FUNCTION_OPS and op not in ("fill", "const")
                     and op not in BATCH_RULES)
    assert missing == sorted(UNROLLED)


BASE_OPS = (  # the registry's ops when vmap was written; ops added since fall back to unrolling until
    # they get a rule (correct, large): test_an_op_without_a_rule_is_unrolled_correctly
    "exp log log1p expm1 sqrt rsqrt reciprocal square sin cos tan sinh cosh tanh asin acos atan asinh acosh "
    "atanh sigmoid softplus relu abs erf neg sign add sub mul div pow maximum minimum equal not_equal less "
    "less_equal greater greater_equal logical_and logical_or logical_not where softmax log_softmax logsumexp "
    "gather scatter_add max min prod concat stack split tile zeros_like ones_like identity stop_gradient cast "
    "reshape transpose broadcast_to reduce_to expand_dims squeeze sum mean matmul index index_scatter").split()


def test_the_base_ops_have_batching_rules():
    from engine.ops.registry import OPS

    assert [op for op in BASE_OPS if op in OPS and op not in BATCH_RULES] == []


def test_an_op_without_a_rule_is_unrolled_correctly(monkeypatch):
    monkeypatch.delitem(BATCH_RULES, "cumsum", raising=False)
    gb = GraphBuilder("f")
    x = gb.input((4,), "float64", "x")
    g = gb.build(gb.emit("cumsum", [x], {"axis": 0})[0])
    X = rng.normal(size=(B, 4))
    vg = vmap_graph(g, B)
    np.testing.assert_allclose(evaluate(vg, X), np.cumsum(X, axis=1), rtol=1e-12)
    assert any(e.op == "stack" for e in lower(vg).eqns)  # it was unrolled


@pytest.mark.parametrize("op", ["gather", "scatter_add"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_and_scatter_with_batched_indices(op, axis):
    gb = GraphBuilder("g")
    shape = (5, 4)
    n = shape[axis]
    if op == "gather":
        x = gb.input(shape, "float64", "x")
        i = gb.input((2, 2), "int64", "i")
        g = gb.build(gb.gather(x, i, axis=axis))
        X = rng.normal(size=(B,) + shape)
    else:
        vshape = (2, 2, 4) if axis == 0 else (5, 2, 2)
        x = gb.input(vshape, "float64", "v")
        i = gb.input((2, 2), "int64", "i")
        g = gb.build(gb.scatter_add(x, i, shape=shape, axis=axis))
        X = rng.normal(size=(B,) + vshape)
    Ii = rng.integers(-n, n, size=(B, 2, 2))  # negative indices count from the end of each example
    for axes in ([None, 0], [0, 0], [0, None]):
        args = [X if axes[0] == 0 else X[0], Ii if axes[1] == 0 else Ii[0]]
        vg = vmap_graph(g, B, in_axes=axes)
        got = evaluate(vg, *args)
        want = np.stack([evaluate(g, args[0][k] if axes[0] == 0 else args[0],
                                  args[1][k] if axes[1] == 0 else args[1]) for k in range(B)])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=f"{op} axis={axis} in_axes={axes}")
        assert not any(e.op == "stack" for e in lower(vg).eqns), "unrolled"


def _logp_graph(n=20, d=4):
    X = rng.normal(size=(n, d))
    y = (rng.random(n) > 0.5).astype(np.float64)
    gb = GraphBuilder("logp")
    w = gb.input((d,), "float64", "w")
    z = gb.reshape(gb.matmul(gb.const(X), gb.reshape(w, shape=(d, 1))), shape=(n,))
    lp = gb.sub(gb.sum(gb.sub(gb.mul(gb.const(y), z), gb.softplus(z))),
                gb.mul(gb.sum(gb.mul(w, w)), gb.full((), 0.5, "float64")))

    def f(w):
        z = X @ w
        return jnp.sum(y * z - jax.nn.softplus(z)) - 0.5 * jnp.sum(w * w)

    return gb.build(lp), f


def test_vmap_of_grad_is_per_example_gradients():
    g, f = _logp_graph()
    W = rng.normal(size=(7, 4))
    got = evaluate(vmap_graph(transforms.grad(g, 0), 7), W)
    np.testing.assert_allclose(got, jax.jit(jax.vmap(jax.grad(f)))(W), rtol=1e-12, atol=1e-12)
    # in_axes / out_axes other than 0
    got1 = evaluate(vmap_graph(transforms.grad(g, 0), 7, in_axes=1, out_axes=1), W.T)
    np.testing.assert_allclose(got1, jax.vmap(jax.grad(f))(W).T, rtol=1e-12, atol=1e-12)


def test_grad_of_vmap_and_hvp_of_vmap():
    g, f = _logp_graph()
    W = rng.normal(size=(5, 4))
    vg = vmap_graph(g, 5)
    gb = GraphBuilder("outer")
    Wi = gb.input((5, 4), "float64", "W")
    fname = gb.function(vg, "vf")
    total = gb.build(gb.sum(gb.emit("call", [Wi], {"fn": fname})[0]))
    np.testing.assert_allclose(evaluate(transforms.grad(total, 0), W),
                               jax.grad(lambda W: jnp.sum(jax.vmap(f)(W)))(W), rtol=1e-12, atol=1e-12)
    # vmap of a Hessian-vector product (forward over reverse inside the mapped function)
    V = rng.normal(size=(5, 4))
    got = evaluate(vmap_graph(transforms.hvp(g, 0), 5), W, V)
    want = jax.vmap(lambda w, v: jax.jvp(jax.grad(f), (w,), (v,))[1])(W, V)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_nested_vmap_and_weights():
    gb = GraphBuilder("net")
    x = gb.input((3,), "float64", "x")
    wv = rng.normal(size=(3, 2))
    w = gb.param("w", wv)
    g = gb.build(gb.sum(gb.tanh(gb.matmul(gb.reshape(x, shape=(1, 3)), w))))
    gw = transforms.grad(g, None, weights=["w"])  # per-example weight gradients under vmap
    X = rng.normal(size=(4, 3))
    got = evaluate(vmap_graph(gw, 4), X)
    want = jax.vmap(jax.grad(lambda w, x: jnp.sum(jnp.tanh(x[None] @ w))), in_axes=(None, 0))(wv, X)
    np.testing.assert_allclose(got[0], want, rtol=1e-12, atol=1e-12)
    XX = rng.normal(size=(2, 4, 3))
    got2 = evaluate(vmap_graph(vmap_graph(g, 4), 2), XX)
    want2 = jax.vmap(jax.vmap(lambda x: jnp.sum(jnp.tanh(x[None] @ wv))))(XX)
    np.testing.assert_allclose(got2, want2, rtol=1e-12, atol=1e-12)


def test_wire_form_round_trips_and_bad_axes_are_named():
    g, f = _logp_graph()
    vg = vmap_graph(transforms.grad(g, 0), 6)
    d = json.loads(json.dumps(graph_to_json(vg)))
    W = rng.normal(size=(6, 4))
    np.testing.assert_allclose(evaluate(graph_from_json(d), W), jax.vmap(jax.grad(f))(W), rtol=1e-12)
    node = d["nodes"][0]
    assert node["op"] == "vmap"
    bad = json.loads(json.dumps(d))
    bad["nodes"][0]["attrs"]["in_axes"] = [3]
    with pytest.raises(EngineError, match="in_axes"):
        graph_from_json(bad)
    bad["nodes"][0]["attrs"]["in_axes"] = [None]
    with pytest.raises(EngineError, match=r"in_axes None\), the function expects float64\[4\]"):
        graph_from_json(bad)
    bad["inputs"][0]["shape"] = [4]
    with pytest.raises(EngineError, match="no input is mapped"):
        graph_from_json(bad)
    bad["inputs"][0]["shape"] = [6, 5]
    bad["nodes"][0]["attrs"]["in_axes"] = [0]
    with pytest.raises(EngineError, match="expects"):
        graph_from_json(bad)


def _composite_cases():
    import _optable  # the op table (the #14 cases included)

    return [c for c in _optable.CASES if c.op in COMPOSITES and c.build is None]


@pytest.mark.parametrize("case", _composite_cases(), ids=lambda c: c.id)
def test_composite_ops_batch_through_their_graphs(case):
    """A composite op (gelu, layer_norm, einsum, pad, ...) has no rule of its own: vmap batches the ops
    of its graph. Checked against the op applied per example, with every float input mapped."""
    gb = GraphBuilder("f")
    xs, outs = case.emit(gb)
    g = gb.build(tuple(outs) if len(outs) > 1 else outs[0])
    args = [np.stack([case.draw(seed)[i] for seed in range(B)]) for i in range(len(xs))]
    got = evaluate(vmap_graph(g, B), *args)
    per = [evaluate(g, *[a[i] for a in args]) for i in range(B)]
    got = got if isinstance(got, tuple) else (got,)
    per = [p if isinstance(p, tuple) else (p,) for p in per]
    for k, v in enumerate(got):
        np.testing.assert_allclose(v, np.stack([p[k] for p in per]), rtol=1e-10, atol=1e-12, err_msg=case.id)
    # not unrolled: a few ops per op of the composite's own graph (matrix_exp's holds ~260: its 48 masked squarings)
    size = sum(len(composite_graph(e.op, tuple(x.aval for x in e.inputs), e.attrs).eqns) if e.op in COMPOSITES else 1
               for e in lower(g).eqns)
    assert len(lower(vmap_graph(g, B)).eqns) < 12 + 6 * size, f"{case.id}: unrolled?"
