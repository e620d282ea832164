"""The engine's tests on other array backends: array-api-strict (the standard and nothing
more) and PyTorch CPU. Passing here is what shows kernels are not NumPy-only, so the
CuPy / torch_npu paths run the same code."""
from __future__ import annotations

import numpy as np
import pytest

import test_ops_numeric as numeric
import test_seed as seed
from _optable import CASES, Case, X
from engine import Engine, GraphBuilder, grad, grad_operation, jvp, vjp
from engine.backends import BackendUnavailable, get_backend
from engine.executor import compile_graph, run_numpy
from engine.ir import tree_flatten
from engine.lower import lower

BACKENDS = ["array_api_strict", "torch"]
F32 = np.float32


def _available(name):
    try:
        get_backend(name)
        return True
    except BackendUnavailable:
        return False


@pytest.fixture(params=BACKENDS)
def backend(request):
    if not _available(request.param):
        pytest.skip(f"backend {request.param} is not installed")
    return request.param


def skip_unsupported(case, backend):
    if backend == "array_api_strict" and (case.op in ("erf", "erfinv", "lgamma", "digamma", "polygamma") or case.id == "gelu-erf"):
        pytest.skip("erf and the gamma functions are not in the array API standard; array-api-strict has none "
                    "(CuPy, torch and NumPy+SciPy do)")


# -- seed examples (shared/reference/seed_expected.md) on each backend ------------------------------------------
S = np.array([[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]], F32)
V22 = np.array([[-1, 3], [2, 1]], F32)
ONES22 = np.ones((2, 2), F32)


def _gradsec(make, **kw):
    return lambda: grad_operation(grad_operation(make(), **kw), **kw)


def _sin1():
    gb = GraphBuilder("net")
    return gb.build(gb.sin(gb.input((1,))))


def _xx():
    gb = GraphBuilder("net")
    x = gb.input((3,))
    return gb.build(gb.mul(x, x))


def _xxy():
    gb = GraphBuilder("net")
    x, y = gb.input((1,)), gb.input((1,))
    return gb.build(gb.mul(gb.mul(x, x), y))


def _sec_xxy():
    return grad_operation(grad_operation(_xxy(), get_all=True), get_all=True, sens_param=True)


def _stop(stop):
    def make():
        gb = GraphBuilder("net")
        x, y = gb.input((2, 3)), gb.input((3, 3))
        out2 = gb.matmul(x, y)
        return gb.build(gb.add(gb.matmul(x, y), gb.stop_gradient(out2) if stop else out2))
    return make


ROW = [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]
SEED = {
    "input-derivation": (lambda: grad_operation(seed.matmul_net()), (seed.X, seed.Y), ROW),
    "all-inputs": (lambda: grad_operation(seed.matmul_net(), get_all=True), (seed.X, seed.Y),
                   (ROW, [[2.6] * 3, [1.9] * 3, [1.3] * 3])),
    "weights": (lambda: grad_operation(seed.matmul_net(), get_by_list=True), (seed.X, seed.Y), ([21.536],)),
    "sens": (lambda: grad_operation(seed.matmul_net(), sens_param=True), (seed.X, seed.Y, S),
             [[2.211, 0.51, 1.49], [5.588, 2.68, 4.07]]),
    "one-element": (lambda: grad_operation(seed.matmul_net(index=True)), (seed.X, seed.Y),
                    [[0.11, 1.1, 1.1], [0, 0, 0]]),
    "stop-gradient": (lambda: grad_operation(_stop(True)()), (seed.X, seed.Y), ROW),
    "no-stop-gradient": (lambda: grad_operation(_stop(False)()), (seed.X, seed.Y), [[9.02, 5.4, 7.2]] * 2),
    "2nd-sin": (_gradsec(_sin1), (np.array([1.0], F32),), [-0.841471]),
    "2nd-xx": (_gradsec(_xx), (np.array([0.1, 0.2, 0.3], F32),), [2, 2, 2]),
    "2nd-2in2out-x": (_sec_xxy, (np.array([4], F32), np.array([5], F32), np.array([1], F32), np.array([0], F32)),
                      ([10], [8])),
    "2nd-2in2out-y": (_sec_xxy, (np.array([4], F32), np.array([5], F32), np.array([0], F32), np.array([1], F32)),
                      ([8], [0])),
    "nn-jvp": (lambda: jvp(seed.sin_cos_net()), (seed.XS, seed.YS, seed.V3, seed.V3),
               ([1.482198, 1.485704, 1.154006], [0.052489, 0.435917, 0.684546])),
    "nn-vjp": (lambda: vjp(seed.sin_cos_net()), (seed.XS, seed.YS, seed.V3),
               ([1.482198, 1.485704, 1.154006], ([0.696707, 0.825336, 0.980067], [-0.644218, -0.389418, -0.29552]))),
    "grad-positions": (lambda: grad(seed.xyz_net(), grad_position=(1, 2)), (seed.A, seed.B, seed.C),
                       ([[0, 6], [15, -4]], [[-2, 6], [-3, 8]])),
    "grad-sens": (lambda: grad(seed.xyz_net(True), grad_position=(1, 2), sens_param=True),
                  (seed.A, seed.B, seed.C, V22, V22), ([[4, 36], [26, 0]], [[2, 36], [14, 6]])),
    "functional-jvp": (lambda: jvp(seed.cube_net()), (seed.A, seed.A, ONES22, ONES22),
                       ([[2, 10], [30, 68]], [[4, 13], [28, 49]])),
    "functional-vjp": (lambda: vjp(seed.cube_net()), (seed.A, seed.A, ONES22),
                       ([[2, 10], [30, 68]], ([[3, 12], [27, 48]], [[1, 1], [1, 1]]))),
}


@pytest.mark.parametrize("name", list(SEED))
def test_seed_examples(backend, name):
    make, args, expected = SEED[name]
    g = make()
    out = Engine(backend).run(g, list(args))
    def structure(t):  # MindSpore's return structure: tuples nest, lists are tensor data
        return tuple(structure(s) for s in t) if isinstance(t, tuple) else "T"

    def leaves(t):
        return [x for s in t for x in leaves(s)] if isinstance(t, tuple) else [t]

    assert structure(out) == structure(expected)
    got, want = leaves(out), leaves(expected)
    for a, b in zip(got, want):
        assert isinstance(a, np.ndarray) and a.dtype == F32
        np.testing.assert_allclose(a, np.asarray(b, F32), rtol=1e-6, atol=1e-6)


def test_seed_grad_inside_graph(backend):
    inner = GraphBuilder("energy")
    x = inner.input((3,))
    w = inner.param("w", np.array([0.5, -1.0, 2.0], F32))
    energy = inner.build(inner.sum(inner.mul(w, inner.sin(x))))
    gb = GraphBuilder("loss")
    fname = gb.function(energy)
    (force,) = gb.emit("grad", [gb.input((3,))], {"fn": fname, "positions": (0,)})
    g = grad_operation(gb.build(gb.sum(gb.square(force))), get_by_list=True)
    (dw,) = Engine(backend).run(g, [seed.XS])
    np.testing.assert_allclose(dw, 2 * np.array([0.5, -1.0, 2.0], F32) * np.cos(seed.XS) ** 2, rtol=1e-6)


def test_plan_runs_backend_arrays(backend):
    """compile_graph with a backend: the plan holds backend arrays and runs on them."""
    bk = get_backend(backend)
    plan = compile_graph(lower(grad_operation(seed.matmul_net(), get_all=True)), bk)
    xs = [bk.from_host(seed.X), bk.from_host(seed.Y)]
    dx, dy = plan.run(xs, {"z": bk.from_host(np.array([1.0], F32))})
    assert not isinstance(dx, np.ndarray)  # a backend array, not a host copy
    np.testing.assert_allclose(bk.to_host(dx), ROW, rtol=1e-6)
    dx2, _ = run_numpy(plan, [seed.X, seed.Y])
    np.testing.assert_allclose(dx2, ROW, rtol=1e-6)


# -- the op tests, on each backend (every case: they are cheap) ----------------------------------------------------
# NumPy's orders 1-3 are held to central differences (test_ops_numeric, 1e-5 of scale) at the same points and
# sensitivities, so a backend's tower within REVERSE_RTOL of NumPy's passes those differences too (to 1.01e-5).
# Differences per element on each backend were this file's main cost (about 140 s of CPU for torch and
# array-api-strict together; this comparison: about 40 s). Largest difference seen: 4.7e-10 (lgamma on torch,
# order 2: torch's and SciPy's own lgamma), so REVERSE_RTOL leaves a 200x margin.
REVERSE_RTOL = 1e-7


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ops_reverse(backend, case):
    """F and its reverse-mode derivatives of order 1, 2, 3 on the backend (float64) equal NumPy's."""
    skip_unsupported(case, backend)
    xs, _, run = numeric.reverse_tower(case, backend)
    _, _, reference = numeric.reverse_tower(case, "numpy")
    for k in range(4):
        got, want = run(k, xs), reference(k, xs)
        assert len(got) == len(want), f"{case.id}: order {k}: {len(got)} outputs, NumPy {len(want)}"
        for i, (a, b) in enumerate(zip(got, want)):
            assert a.dtype == np.float64, f"{case.id}: order {k}, output {i}: {a.dtype}"
            numeric.assert_close(a, b, f"{case.id}: reverse order {k}, output {i}, {backend} vs NumPy",
                                 rtol=REVERSE_RTOL)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ops_forward(backend, case):
    skip_unsupported(case, backend)
    numeric.test_forward_orders_1_to_3(case, backend)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ops_dot_identity(backend, case):
    skip_unsupported(case, backend)
    numeric.test_dot_product_identity(case, backend)


@pytest.mark.parametrize("case", CASES[::3], ids=[c.id for c in CASES[::3]])
def test_ops_float32_match_numpy(backend, case):
    """float32 values and first derivatives agree with the NumPy backend and keep their dtype."""
    skip_unsupported(case, backend)
    xs = case.draw(numeric.seed_of(case), "float32")
    pos = tuple(range(len(xs)))
    graphs = [numeric.op_graph(case, "float32"), grad(numeric.scalar_graph(case, "float32"), grad_position=pos)]
    ref, eng = Engine("numpy"), Engine(backend)
    for g in graphs:
        for a, b in zip(tree_flatten(eng.run(g, xs)), tree_flatten(ref.run(g, xs))):
            assert a.dtype == b.dtype == np.float32
            # an element's float32 rounding is relative to the magnitudes summed into it, not to itself: a small
            # entry of det_grad's batch (0.009 beside 5.5) differs by 2.5e-6 between torch's and NumPy's float32 SVDs
            # on some CPUs (this one), each within 1.9e-6 x the largest entry of float64; so atol scales with that entry
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6 * max(1.0, float(np.abs(b).max(initial=0.0))))


# -- what the SDK's median family (ops.median / nanmedian: sort, then take_along_axis) relies on ----------------
@pytest.mark.parametrize("dtype, descending", [("float32", False), ("float32", True), ("int32", True),
                                               ("uint8", True)])
def test_sort_is_stable_with_nan_last_on_each_backend(backend, dtype, descending):
    """Ties keep their order and NaN sorts last (both directions), as numpy.argsort(kind='stable') of the
    order key (NumPy's documented NaN-last order; for descending, of -x); integers descend without -x wrapping."""
    if dtype == "float32":
        x = np.array([[2.0, np.nan, 1.0, 2.0, np.nan, 0.0], [1.0, 1.0, np.nan, -1.0, 1.0, 3.0]], np.float32)
        key = -x if descending else x
    else:
        x = np.array([[3, 0, 255, 3, 7, 1], [1, 1, 0, 2, 1, 5]], dtype)
        key = -x.astype(np.int64)
    want_idx = np.argsort(key, axis=1, kind="stable")
    gb = GraphBuilder("sort")
    values, idx = gb.emit("sort", [gb.input(x.shape, dtype)], {"axis": 1, "descending": descending})
    got_values, got_idx = Engine(backend).run(gb.build([values, idx]), [x])
    np.testing.assert_array_equal(got_idx, want_idx)
    np.testing.assert_array_equal(got_values, np.take_along_axis(x, want_idx, axis=1))


# -- the wide unsigned integers: torch has few kernels for uint16 / uint32 / uint64 ("add_stub" not implemented) --
def _unsigned_draw(shape, dtype, rng):
    """Half small values (0..9: divisors, indices), half anywhere in the dtype's range (wrapping; past 2^63)."""
    big = rng.integers(0, np.iinfo(dtype).max, size=shape, dtype=dtype, endpoint=True)
    return np.where(rng.random(shape) < 0.5, rng.integers(0, 10, size=shape).astype(dtype), big)


@pytest.mark.filterwarnings("ignore:divide by zero")  # x % 0: NumPy's 0, with a warning
@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64"])
def test_wide_unsigned_ops_match_numpy(dtype):
    """Every op-table case the NumPy backend runs on this dtype gives NumPy's exact values and dtype on torch."""
    if not _available("torch"):
        pytest.skip("backend torch is not installed")
    rng = np.random.default_rng(7)
    ref, eng = Engine("numpy"), Engine("torch")
    ran, failed = set(), []
    # the op table's cases, and the integer ops it exempts (no derivative): comparisons, bitwise
    exempt = [Case(op, [X((2, 3)), X((3,))]) for op in ("less", "equal", "greater_equal", "bitwise_and",
                                                         "bitwise_or", "bitwise_xor")]
    for case in CASES + exempt:
        gb = GraphBuilder("u")
        try:
            _, outs = case.emit(gb, dtype)
            g = gb.build(list(outs))
        except Exception:  # noqa: BLE001  (the op refuses this dtype when the graph is built: nothing to compare)
            continue
        xs = [_unsigned_draw(s.shape, dtype, rng) for s in case.float_specs()]
        try:
            want = tree_flatten(ref.run(g, xs))
        except Exception:  # noqa: BLE001  (NumPy's backend refuses it too)
            continue
        try:
            got = tree_flatten(eng.run(g, xs))
        except Exception as e:  # noqa: BLE001
            failed.append(f"{case.id}: {type(e).__name__}: {e}")
            continue
        for a, b in zip(got, want):
            if a.dtype != b.dtype or not np.array_equal(a, b, equal_nan=True):
                failed.append(f"{case.id}: {a.dtype} {a.ravel()[:3]} vs NumPy's {b.dtype} {b.ravel()[:3]}")
        ran.add(case.op)
    assert not failed, "\n".join(failed)
    assert {"add", "sub", "mul", "remainder", "matmul", "max", "sort", "flip", "cumsum", "less", "bitwise_xor"} <= ran, sorted(ran)
