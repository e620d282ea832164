"""dtypes are preserved (float16/32/64 in, same out, no silent upcast), plans are cached,
and a plan frees every intermediate buffer after its last use."""
from __future__ import annotations

import numpy as np
import pytest

import test_ops_numeric as numeric
from _optable import CASES
from engine import Engine, GraphBuilder, grad, grad_operation, jvp, value_and_grad, vjp
from engine.backends import BackendUnavailable, get_backend
from engine.executor import compile_graph, run_numpy
from engine.ir import tree_flatten
from engine.lower import lower

FLOATS = ["float16", "float32", "float64"]


def _backends():
    out = []
    for name in ("numpy", "array_api_strict", "torch"):
        try:
            get_backend(name)
            out.append(name)
        except BackendUnavailable:
            pass
    return out


def _skip(case, backend, dtype):
    if backend == "array_api_strict" and dtype == "float16":
        pytest.skip("float16 is not in the array API standard; array-api-strict rejects it")
    if dtype == "float16" and "complex" in case.id:
        pytest.skip("no complex dtype has float16 parts (complex(re, im) takes float32 or float64)")
    if dtype == "float16" and case.id.startswith(("fft-", "rfft-", "irfft-")):
        pytest.skip("the FFT family works on complex64/128 spectra: float16 is refused by its shape rule (checked "
                    "in tests/engine/test_fft.py)")
    if backend == "array_api_strict" and (case.op in ("erf", "erfinv", "lgamma", "digamma", "polygamma") or case.id == "gelu-erf"):
        pytest.skip("erf is not in the array API standard")


@pytest.mark.parametrize("backend", _backends())
@pytest.mark.parametrize("dtype", ["float16", "float32"])  # float64: asserted by test_ops_numeric / test_backends
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_op_keeps_dtype(case, dtype, backend):
    """Values, reverse and forward derivatives of every op come back in the input dtype."""
    _skip(case, backend, dtype)
    xs = case.draw(numeric.seed_of(case), dtype)
    pos = tuple(range(len(xs)))
    g = numeric.op_graph(case, dtype)
    gs = [(g, xs), (grad(numeric.scalar_graph(case, dtype), grad_position=pos), xs), (jvp(g), xs + xs)]
    eng = Engine(backend)
    for graph, args in gs:
        for out in tree_flatten(eng.run(graph, args)):
            assert out.dtype == np.dtype(dtype), f"{case.id} on {backend}: {dtype} in, {out.dtype} out"


def _mlp(dtype):
    gb = GraphBuilder("mlp")
    x = gb.input((4, 3), dtype, name="x")
    w = gb.param("w", np.linspace(-1, 1, 6).reshape(3, 2).astype(dtype))
    b = gb.param("b", np.array([0.1, -0.2], dtype))
    h = gb.tanh(gb.add(gb.matmul(x, w), b))
    # python-level constants (fill / scalar) must take the graph's dtype, not float64
    return gb.build(gb.mean(gb.mul(gb.square(h), gb.scalar(0.5, dtype))))


@pytest.mark.parametrize("dtype", FLOATS)
def test_transforms_keep_dtype(dtype):
    g = _mlp(dtype)
    x = np.linspace(-1, 1, 12).reshape(4, 3).astype(dtype)
    eng = Engine()
    graphs = [
        (grad_operation(g, get_all=True, get_by_list=True), [x]),
        (grad_operation(grad_operation(g), sens_param=True), [x, np.ones((4, 3), dtype)]),
        (value_and_grad(g, 0, weights=["w", "b"]), [x]),
        (jvp(grad(g, 0)), [x, np.ones((4, 3), dtype)]),
        (vjp(g), [x, np.array(1.0, dtype)]),
    ]
    for graph, args in graphs:
        for out in tree_flatten(eng.run(graph, args)):
            assert out.dtype == np.dtype(dtype)


def test_float16_values_close_to_float64():
    g16, g64 = _mlp("float16"), _mlp("float64")
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    eng = Engine()
    a = eng.run(grad(g16, 0, weights=["w"]), [x.astype(np.float16)])
    b = eng.run(grad(g64, 0, weights=["w"]), [x])
    for u, v in zip(tree_flatten(a), tree_flatten(b)):
        assert u.dtype == np.float16
        np.testing.assert_allclose(u.astype(np.float64), v, atol=5e-3, rtol=1e-2)


def test_mixed_precision_cast_inside():
    """float32 in, computed in float64 inside, float32 out; the gradient is float32 too."""
    gb = GraphBuilder("mixed")
    x = gb.input((3,), "float32", name="x")
    y = gb.cast(gb.exp(gb.cast(x, dtype="float64")), dtype="float32")
    g = gb.build(gb.sum(y))
    xv = np.array([0.1, 0.2, 0.3], np.float32)
    eng = Engine()
    assert eng.run(g, [xv]).dtype == np.float32
    d = eng.run(grad(g, 0), [xv])
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, np.exp(xv), rtol=1e-6)


def test_wrong_input_dtype_is_an_error_not_a_cast():
    from engine import ShapeError

    g = _mlp("float32")
    with pytest.raises(ShapeError, match="float32"):
        Engine().run(g, [np.zeros((4, 3), np.float64)])


# -- plan cache ----------------------------------------------------------------------------------------------------
def test_plan_cache_hits_and_misses():
    eng = Engine()
    g = grad(_mlp("float32"), 0)
    x = np.ones((4, 3), np.float32)
    first = eng.run(g, [x])
    assert (eng.misses, eng.hits) == (1, 0)
    for _ in range(3):
        np.testing.assert_array_equal(eng.run(g, [x]), first)
    assert (eng.misses, eng.hits) == (1, 3)
    g2 = grad(_mlp("float32"), 0)
    eng.run(g2, [x])
    assert (eng.misses, eng.hits) == (2, 3)
    # an explicit key (e.g. the graph hash + transform) shares a plan between equal graphs
    eng.run(g, [x], key="k")
    eng.run(g2, [x], key="k")
    assert (eng.misses, eng.hits) == (3, 4)


def test_plan_cache_evicts_least_recently_used():
    eng = Engine(cache_size=2)
    x = np.ones((4, 3), np.float32)
    graphs = [grad(_mlp("float32"), 0) for _ in range(3)]
    for k in ("a", "b", "a", "c"):  # c evicts b (a was used more recently)
        eng.run(graphs["abc".index(k)], [x], key=k)
    assert (eng.misses, eng.hits) == (3, 1)
    eng.run(graphs[0], [x], key="a")
    assert (eng.misses, eng.hits) == (3, 2)
    eng.run(graphs[1], [x], key="b")
    assert (eng.misses, eng.hits) == (4, 2)


def test_cached_plan_serves_new_param_values():
    eng = Engine()
    g = grad(_mlp("float64"), 0)
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    a = eng.run(g, [x])
    b = eng.run(g, [x], params={"w": np.zeros((3, 2))})
    assert eng.hits == 1
    np.testing.assert_array_equal(b, np.zeros_like(b))  # w = 0: no path from x
    assert not np.allclose(a, 0)


# -- buffers freed after last use ---------------------------------------------------------------------------------------
def _chain(n=6):
    gb = GraphBuilder("chain")
    x = gb.input((8,), "float64", name="x")
    h = x
    for i in range(n):
        h = [gb.sin, gb.cos, gb.tanh][i % 3](h)
    return gb.build(h)


def _check_frees(plan):
    """Simulate a run's buffer table: every read slot is live, every freed slot is dead afterwards,
    outputs are never freed; returns the peak number of live runtime buffers."""
    live = set(plan.input_slots) | {i for _, i in plan.param_slots}
    consts = {i for i, v in enumerate(plan.env0) if v is not None}
    outputs = set(plan.output_slots)
    freed = set()
    peak = len(live)
    for fn, ins, out, frees in plan.steps:
        for i in ins:
            assert i in live or i in consts, f"slot {i} read after it was freed"
        live.update([out] if isinstance(out, int) else out)
        peak = max(peak, len(live))
        for i in frees:
            assert i not in outputs, "an output buffer was freed"
            assert i not in consts, "a compile-time constant was freed"
            assert i not in freed, f"slot {i} freed twice"
            freed.add(i)
            live.discard(i)
    # everything left alive is an output: nothing leaks past its last use
    assert live <= outputs, f"slots never freed: {sorted(live - outputs)}"
    return peak


def test_chain_frees_each_buffer_after_last_use():
    plan = compile_graph(lower(_chain(12)))
    assert len(plan.steps) == 12
    assert _check_frees(plan) <= 2  # a chain needs at most the value being read and the one being written
    expected = np.ones(8)
    for i in range(12):
        expected = [np.sin, np.cos, np.tanh][i % 3](expected)
    np.testing.assert_allclose(run_numpy(plan, [np.ones(8)]), expected, rtol=1e-15)


@pytest.mark.parametrize("backend", _backends())
def test_derivative_plans_free_buffers(backend):
    for g in (grad_operation(grad_operation(_mlp("float32")), sens_param=True),
              jvp(grad(_mlp("float32"), 0, weights=["w"])), grad(_chain(9), 0)):
        plan = compile_graph(lower(g), backend)
        _check_frees(plan)


@pytest.mark.parametrize("backend", _backends())
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64"])
def test_integer_sums_and_means_keep_the_declared_dtype(dtype, backend):
    """The shape rule says sum / mean keep x's dtype (MindSpore 2.10's ReduceSum / ReduceMean: int32 in,
    int32 out; ReduceSum of bools is their any); NumPy alone widens to int64 / float64."""
    x = (np.arange(20).reshape(4, 5) % 3).astype(dtype)
    for op in ("sum", "mean"):
        if op == "mean" and dtype == "bool":
            continue
        gb = GraphBuilder("n")
        g = gb.build((getattr(gb, op)(gb.input((4, 5), dtype), axis=1),))
        assert g.outputs[0].aval.dtype == dtype
        (out,) = tree_flatten(Engine(backend=backend).run(g, [x]))
        out = np.asarray(out)
        assert out.dtype == np.dtype(dtype), (op, out.dtype)
        ref = x.sum(axis=1) if op == "sum" else np.trunc(x.mean(axis=1))  # MindSpore: [5,5] for ones(4,5)
        np.testing.assert_array_equal(out, ref.astype(dtype))
