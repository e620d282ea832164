"""The findings of the op fuzz (tests/engine/test_fuzz_ops.py), each fixed at its root, each with its own
check here. Expected values come from NumPy / PyTorch / SciPy, not from the engine."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.special import expit

from engine import DifferentiationError, Engine, GraphBuilder, InvalidGraph, ShapeError, grad, jacobian, jvp, vjp
from engine.ir import MAX_RANK
from engine.serialize import graph_from_json, graph_to_json


def run(g, *xs, backend="numpy"):
    return Engine(backend).run(g, list(xs))


def one(op, x_shape, dtype="float64", **attrs):
    gb = GraphBuilder(op)
    x = gb.input(x_shape, dtype, name="x")
    outs = gb.emit(op, [x], attrs)
    return gb.build(outs[0] if len(outs) == 1 else tuple(outs))


# -- rank: a rank-42 sort's gradient segfaulted NumPy (a worker killed by one request) ----------------------
def test_a_tensor_past_the_rank_limit_is_refused_where_it_is_declared():
    d = graph_to_json(one("sin", (2,)))
    d["inputs"][0]["shape"] = [1] * (MAX_RANK + 1)
    with pytest.raises(ShapeError, match=f"rank {MAX_RANK + 1}") as ei:
        graph_from_json(d)
    assert ei.value.path == "$.inputs[0].shape"


def test_a_derivative_past_the_rank_limit_is_refused_where_it_is_built():
    g = one("sin", (1,) * 17)  # the Jacobian of a rank-17 map has rank 34
    with pytest.raises(ShapeError, match="more than the 32 axes") as ei:
        run(jacobian(g, 0), np.ones((1,) * 17))
    assert ei.value.node


def test_sort_gradient_at_the_rank_limit_runs():
    shape = (1,) * (MAX_RANK - 1) + (4,)
    x = np.array([3.0, -1.0, 2.0, 0.5]).reshape(shape)
    gb = GraphBuilder("s")
    xi = gb.input(shape, "float64", name="x")
    v, _ = gb.emit("sort", [xi], {"axis": -1, "descending": True})
    w = gb.const(np.arange(4.0).reshape(shape))
    g = gb.build(gb.sum(gb.mul(v, w)))
    dx = run(grad(g, 0), x)
    xt = torch.tensor(x, requires_grad=True)
    (torch.sort(xt, dim=-1, descending=True).values * torch.arange(4.0, dtype=torch.float64).reshape(shape)).sum().backward()
    np.testing.assert_array_equal(dx, xt.grad.numpy())


# -- sort / top_k descending on integers: -x wrapped (uint8 1 -> 255, int8 -128 -> -128) ---------------------
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64", "bool"])
def test_descending_sort_and_top_k_of_integers_at_their_extremes(dtype):
    info = np.iinfo(dtype) if dtype != "bool" else None
    vals = [0, 1, 1, 0] if dtype == "bool" else [info.min, 0, info.max, 1, info.min, info.max, 2]
    x = np.array(vals, dtype)
    want_idx = np.array(sorted(range(len(vals)), key=lambda i: (-int(x[i]), i)))  # Python ints: no wrap
    for backend in ("numpy", "torch"):
        v, i = run(one("sort", x.shape, dtype, descending=True), x, backend=backend)
        np.testing.assert_array_equal(i, want_idx)
        np.testing.assert_array_equal(v, x[want_idx])
        v, i = run(one("top_k", x.shape, dtype, k=3), x, backend=backend)
        np.testing.assert_array_equal(i, want_idx[:3])
        np.testing.assert_array_equal(v, np.sort(x)[::-1][:3])


# -- bool operands of ops NumPy refuses them for: a 400 naming the op, not a kernel TypeError ---------------
@pytest.mark.parametrize("op", ["neg", "sign", "sub"])
def test_bool_operands_of_neg_sign_sub_are_refused_naming_the_op(op):
    gb = GraphBuilder("b")
    xs = [gb.input((2,), "bool", name=f"x{i}") for i in range(2 if op == "sub" else 1)]
    with pytest.raises(ShapeError, match=f"{op}: not defined for bool operands") as ei:
        gb.emit(op, xs)
    assert ei.value.node


def test_bool_add_still_runs_as_numpy():
    gb = GraphBuilder("b")
    x, y = gb.input((3,), "bool", name="x"), gb.input((3,), "bool", name="y")
    g = gb.build(gb.add(x, y))
    a, b = np.array([True, False, False]), np.array([True, True, False])
    np.testing.assert_array_equal(run(g, a, b), np.add(a, b))


# -- empty axes: softmax / logsumexp reduce a max over them ---------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_an_empty_axis_gives_torchs_results(backend):
    # torch: softmax / log_softmax over an empty axis are empty, logsumexp over one is -inf (log of an empty sum);
    # MindSpore 2.10 CPU gives the same ((2, 0) float32, axis 1); the max over the axis raised before
    x = torch.zeros((2, 0), dtype=torch.float64)
    for op, ref in (("softmax", torch.softmax(x, 1)), ("log_softmax", torch.log_softmax(x, 1))):
        out = run(one(op, (2, 0), axis=1), np.zeros((2, 0)), backend=backend)
        assert np.asarray(out).shape == tuple(ref.shape) == (2, 0)
    for attrs, ref in (({"axis": (1,)}, torch.logsumexp(x, 1)), ({"axis": (1,), "keepdims": True},
                       torch.logsumexp(x, 1, keepdim=True)), ({}, torch.logsumexp(x.reshape(-1), 0))):
        out = run(one("logsumexp", (2, 0), **attrs), np.zeros((2, 0)), backend=backend)
        np.testing.assert_array_equal(np.asarray(out), ref.numpy())
    gb = GraphBuilder("g")  # its gradient: empty, as torch's
    xi = gb.input((2, 0), "float64", name="x")
    g = gb.build(gb.sum(gb.emit("logsumexp", [xi], {"axis": (1,)})[0]))
    xt = x.clone().requires_grad_(True)
    torch.logsumexp(xt, 1).sum().backward()
    assert np.asarray(run(grad(g, 0), np.zeros((2, 0)), backend=backend)).shape == tuple(xt.grad.shape) == (2, 0)


def test_softmax_of_an_empty_batch_still_runs():
    out = run(one("softmax", (0, 3), axis=-1), np.zeros((0, 3)))
    assert out.shape == (0, 3)


# -- 0-d operands of multi-step kernels (sigmoid, rsqrt) -------------------------------------------------------
@pytest.mark.parametrize("op,ref,dref", [("sigmoid", expit, lambda x: expit(x) * (1 - expit(x))),
                                         ("rsqrt", lambda x: 1 / np.sqrt(x), lambda x: -0.5 * x ** -1.5)])
def test_scalar_sigmoid_and_rsqrt_and_their_gradients(op, ref, dref):
    x = np.float64(0.7)
    g = one(op, ())
    np.testing.assert_allclose(run(g, np.asarray(x)), ref(x), rtol=1e-15)
    dx = run(grad(g, 0), np.asarray(x))
    np.testing.assert_allclose(dx, dref(x), rtol=1e-14)


# -- zero-size operands of derivative rules ----------------------------------------------------------------
def test_mean_gradient_of_an_empty_tensor_is_empty():
    g = one("mean", (0, 3), axis=(0,))
    dx = run(grad(g, 0), np.zeros((0, 3)))
    xt = torch.zeros((0, 3), dtype=torch.float64, requires_grad=True)
    xt.mean(0).sum().backward()
    assert dx.shape == tuple(xt.grad.shape) == (0, 3)


def test_gather_gradient_with_an_empty_leading_axis():
    gb = GraphBuilder("g")
    x = gb.input((0, 3), "float64", name="x")
    idx = gb.const(np.array([2, 0, 2], np.int64))
    g = gb.build(gb.sum(gb.gather(x, idx, axis=1)))
    dx = run(grad(g, 0), np.zeros((0, 3)))
    assert dx.shape == (0, 3)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_lu_of_empty_matrices_matches_torch(backend):
    a = np.zeros((2, 0, 0))
    lu, piv, info = run(one("lu", a.shape), a, backend=backend)
    t_lu, t_piv, t_info = torch.linalg.lu_factor_ex(torch.tensor(a))
    assert lu.shape == tuple(t_lu.shape) and piv.shape == tuple(t_piv.shape) and info.shape == tuple(t_info.shape)
    assert piv.dtype == info.dtype == np.int32 and not info.any()


# -- svd of a NaN matrix: LAPACK's LinAlgError became a 400 naming no node; now NaN, as JAX answers ------------
def test_svd_of_a_batch_with_a_nan_matrix_gives_nan_there_and_exact_factors_elsewhere():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4, 2))
    a[1, 2, 0] = np.nan
    u, s, vh = run(one("svd", a.shape), a)
    assert np.isnan(u[1]).all() and np.isnan(s[1]).all() and np.isnan(vh[1]).all()
    for i in (0, 2):
        np.testing.assert_allclose(s[i], np.linalg.svd(a[i], compute_uv=False), rtol=1e-13)
        np.testing.assert_allclose(u[i] * s[i] @ vh[i], a[i], atol=1e-13)


# -- attribute types the loader met with a TypeError (a 400 naming only $.graph) -------------------------------
@pytest.mark.parametrize("op,key,value", [("index", "index", 3), ("index", "index", 0.5),
                                          ("index_scatter", "index", True), ("vmap", "in_axes", 0.5),
                                          ("vmap", "out_axes", "x")])
def test_attributes_of_the_wrong_type_name_the_node(op, key, value):
    if op == "vmap":
        fn = GraphBuilder("f")
        a = fn.input((3,), "float64", name="a")
        f = fn.build(fn.sin(a))
        gb = GraphBuilder("main")
        x = gb.input((2, 3), "float64", name="x")
        name = gb.function(f)
        d = graph_to_json(gb.build(gb.emit("vmap", [x], {"fn": name, "in_axes": 0, "out_axes": 0})[0]))
    elif op == "index":
        d = graph_to_json(one("index", (2, 3), index=[0]))
    else:
        d = graph_to_json(one("index_scatter", (3,), shape=(2, 3), index=[0]))
    d["nodes"][-1]["attrs"][key] = value
    with pytest.raises((ShapeError, InvalidGraph)) as ei:
        graph_from_json(d)
    assert ei.value.node and key.split("_")[0] in str(ei.value)


def test_index_scatter_to_a_shape_no_array_can_have_is_a_shape_error():
    gb = GraphBuilder("s")
    x = gb.input((3,), "float64", name="x")
    with pytest.raises(ShapeError) as ei:
        gb.emit("index_scatter", [x], {"shape": (1 << 40, 1 << 40), "index": [0]})
    assert ei.value.node


# -- derivative errors say which input ---------------------------------------------------------------------
def test_derivative_errors_name_the_position_or_the_inputs():
    with pytest.raises(DifferentiationError) as ei:
        jvp(one("neg", (2,), "int32"))
    assert ei.value.detail["position"] == 0
    gb = GraphBuilder("c")
    g = gb.build(gb.emit("fill", [], {"shape": (2,), "value": 1.0, "dtype": "float64"})[0])
    with pytest.raises(DifferentiationError) as ei:
        vjp(g)
    assert ei.value.path == "$.inputs"


# -- the cost model: a convolution's window patches (built inside its impl) were not counted, so a conv of a
# long signal with a long kernel (a few MB declared) allocated 8 GB, unrefused ---------------------------
PY_OBJECTS = 64 << 10  # tracemalloc counts the views' and lists' Python objects too: a fixed slack, not data


@pytest.mark.parametrize("op,x_shape,w_shape,attrs", [
    ("conv", (2, 3, 64, 64), (8, 3, 5, 5), {}),
    ("conv", (1, 4, 3000), (4, 2, 50), {"groups": 2, "padding": ((20, 20),)}),
    ("conv_transpose", (2, 8, 30, 30), (8, 3, 5, 5), {"strides": (2, 2)}),
    ("avg_pool", (2, 3, 64, 64), None, {"window": (4, 4)}),
    ("max_pool", (1, 2, 5000), None, {"window": (40,), "padding": ((3, 3),)}),
    ("max_pool_mask", (2, 3, 64, 64), None, {"window": (4, 4)})])
def test_the_estimate_bounds_what_window_ops_allocate(op, x_shape, w_shape, attrs):
    import tracemalloc

    from engine.executor import estimate_bytes
    from engine.lower import lower

    gb = GraphBuilder(op)
    ins = [gb.input(x_shape, "float64", name="x")] + ([gb.input(w_shape, "float64", name="w")] if w_shape else [])
    g = gb.build(gb.emit(op, ins, attrs)[0])
    arrays = [np.ones(x_shape)] + ([np.ones(w_shape)] if w_shape else [])
    eng = Engine()
    eng.run(g, arrays)  # compiled: the measured run allocates only what running takes
    tracemalloc.start()
    try:
        eng.run(g, arrays)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert estimate_bytes(lower(g)) + PY_OBJECTS >= peak + sum(a.nbytes for a in arrays)


def test_a_conv_whose_patches_pass_the_memory_budget_is_refused_before_it_runs():
    from engine import LimitExceeded

    gb = GraphBuilder("c")
    x, w = gb.input((1, 1, 1 << 18), "float32", name="x"), gb.input((1, 1, 1 << 12), "float32", name="w")
    g = gb.build(gb.sum(gb.emit("conv", [x, w], {})[0]))  # 2 MB declared; its patches: 4 GB
    with pytest.raises(LimitExceeded) as ei:
        Engine(max_job_bytes=1 << 30).plan(g)
    assert ei.value.setting == "max_job_bytes" and ei.value.value > 8 * 10 ** 9


# -- a derivative option at fault is named as the request names it ------------------------------------------
@pytest.mark.parametrize("kind,option,value,words", [
    ("grad", "grad_position", [0, 0], "grad_position 0 repeated"),
    ("jacobian", "positions", [0, 0], "positions 0 repeated"),
    ("hessian", "positions", 5, "positions 5 out of range"),
    ("hvp", "positions", [], "positions is an empty tuple"),
    ("jvp", "positions", -3, "positions -3 out of range")])
def test_a_bad_position_names_the_request_option(kind, option, value, words):
    from service.derivation import Deriver
    from service.errors import ServiceError

    g = one("sin", (2,))
    spec = {"grad": {"grad_position": value}}.get(kind, {"positions": value, "mode": None})
    with pytest.raises(ServiceError) as ei:
        Deriver(3, 100_000, 1 << 20, 8).derive(kind, "gid", g, spec)
    assert words in ei.value.message
    assert ei.value.detail["path"] == f"$.{option}" and "option" not in ei.value.detail


# -- a graph's name that is not a string reached derivation ('int' + 'str': a 500) ---------------------------
@pytest.mark.parametrize("name", [1, None, ["a"], {"a": 1}])
def test_a_graph_name_must_be_a_string(name):
    d = graph_to_json(one("sin", (2,)))
    d["name"] = name
    with pytest.raises(InvalidGraph) as ei:
        graph_from_json(d)
    assert ei.value.path == "$.name"


# -- what PyTorch's kernels refuse (the torchcpu pool): a 500 there, a result on NumPy -----------------------
@pytest.mark.parametrize("op", ["abs", "argmax", "argmin", "remainder", "fmod", "matmul", "dot_general"])
def test_bool_operands_torch_has_no_kernel_for_are_refused_on_every_backend(op):
    gb = GraphBuilder("b")
    n = 1 if op in ("abs", "argmax", "argmin") else 2
    xs = [gb.input((2, 2), "bool", name=f"x{i}") for i in range(n)]
    attrs = {"lhs_contracting": (1,), "rhs_contracting": (0,)} if op == "dot_general" else {}
    with pytest.raises(ShapeError, match=f"{op}: .*bool") as ei:
        gb.emit(op, xs, attrs)
    assert ei.value.node


@pytest.mark.parametrize("op", ["remainder", "fmod"])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64"])
def test_an_integer_divided_by_zero_gives_numpys_zero_on_every_backend(op, dtype):
    gb = GraphBuilder("r")
    x, y = gb.input((4,), dtype, name="x"), gb.input((4,), dtype, name="y")
    g = gb.build(gb.emit(op, [x, y])[0])
    a, b = np.array([7, 5, 3, 0], dtype), np.array([2, 0, 3, 0], dtype)
    with np.errstate(divide="ignore"):
        want = (np.remainder if op == "remainder" else np.fmod)(a, b)
    for backend in ("numpy", "torch"):
        np.testing.assert_array_equal(run(g, a, b, backend=backend), want)


@pytest.mark.parametrize("dtype,lo,hi", [("uint8", -0.5, 300.0), ("int8", -1e9, 1e9), ("int32", -2.5, 2.5)])
def test_an_integer_clip_takes_float_bounds_on_every_backend(dtype, lo, hi):
    info = np.iinfo(dtype)
    x = np.array([info.min, -3, 0, 2, 3, info.max], dtype=np.int64).clip(info.min, info.max).astype(dtype)
    want = np.where(x < lo, np.ceil(lo), np.where(x > hi, np.floor(hi), x)).astype(dtype)
    g = one("clip", x.shape, dtype, min=lo, max=hi)
    for backend in ("numpy", "torch"):
        np.testing.assert_array_equal(run(g, x, backend=backend), want)


def test_a_fill_value_an_integer_dtype_cannot_hold_is_refused():
    gb = GraphBuilder("f")
    with pytest.raises(ShapeError, match="does not fit uint8") as ei:
        gb.emit("fill", [], {"shape": (2,), "value": 300.0, "dtype": "uint8"})
    assert ei.value.node
    np.testing.assert_array_equal(run(gb.build(gb.emit("fill", [], {"shape": (2,), "value": 255.0,
                                                                    "dtype": "uint8"})[0])), [255, 255])
