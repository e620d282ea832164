"""Round 6 of the silently-wrong-number hunt: benchmarks/ms_differential.py (random programs run as the same text
in MindSpore 2.10 CPU, /work/msvenv, and in the SDK). The harness's own checks (generation, comparison; fast) and
what it found. Expected values: MindSpore 2.10.0 CPU's output (records of `ms_differential.py side ... ms`,
copied as literals below) or NumPy."""

import numpy as np
import pytest

from gradserve import Tensor, ops

from clients._ms_shim import assert_programs_reproducible
from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (a fixture; puts benchmarks/ on sys.path)
import _ms_differential_gen as gen  # noqa: E402
import ms_differential as msd  # noqa: E402
from grad_diff import classify  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_programs_are_reproducible_compile_and_use_listed_names():
    assert_programs_reproducible(gen.programs, 6, 120, msd._available)


def test_programs_draw_every_feature_the_brief_names():
    progs = gen.programs(6, 600, msd._available)
    text = "\n".join(p["src"] for p in progs)
    for dtype in ("float16", "float32", "int32", "bool"):
        assert f"T('{dtype}'" in text, dtype
    assert ", (), " in text  # a 0-d tensor
    assert ", 0)" in text or ", 0, " in text  # an empty dim ((4, 0), (0, 3), ...)
    assert "keepdim" in text and "axis=-" in text  # keepdims, a negative axis by keyword
    assert any(p["src"].count("T(") == 1 and "ops." in p["src"] and ", 2.0)" in p["src"] for p in progs)  # scalar
    assert {p["mode"] for p in progs} == set(gen.OP_MODES) | set(gen.LAYER_MODES)
    assert sum(p["kind"] == "layer" for p in progs) > 50


def test_compare_names_a_wrong_value_and_a_wrong_gradient():
    ms = {"outcome": "ok", **MS_RECORDS["lit:std_sens"]}
    assert classify(ms, ms) == ("pass", "")
    wrong = {"outcome": "ok", "values": ms["values"], "grads": [dict(ms["grads"][0], data=[0.0] * 6)]}
    assert classify(ms, wrong)[0] == "grad"
    wrong = {"outcome": "ok", "values": [dict(ms["values"][0], data=[0.678, 0.0])], "grads": ms["grads"]}
    assert classify(ms, wrong)[0] == "value"


# ----------------------------------------------------------------------------------------- MindSpore's records
PROGRAMS = {p["name"]: p for p in [
    {"name": "lit:mse_int", "kind": "op", "mode": "get_all", "src": "inputs = [T('int32', (2, 3), 13, 'normal'), "
     "T('int32', (3,), 14, 'normal')]\ndef f(a0, a1):\n    return ops.mse_loss(a0, a1)\n"},
    {"name": "lit:std_sens", "kind": "op", "mode": "sens",
     "src": "inputs = [T('float32', (2, 3), 16, 'normal')]\ndef f(a0):\n    return ops.std(a0, -1, keepdims=True)\n"},
    {"name": "lit:maximum_jvp", "kind": "op", "mode": "jvp", "src": "inputs = [T('float32', (2, 3), 17, 'normal'), "
     "T('float32', (3,), 18, 'normal')]\ndef f(a0, a1):\n    return ops.maximum(a0, a1)\n"},
    {"name": "lit:logsumexp_vjp", "kind": "op", "mode": "vjp",
     "src": "inputs = [T('float32', (2, 3), 19, 'normal')]\ndef f(a0):\n    return ops.logsumexp(a0, -1)\n"},
    {"name": "lit:dense_by_list", "kind": "layer", "mode": "by_list", "param_seed": 31,
     "src": "inputs = [T('float32', (2, 3), 21, 'normal')]\nnet = nn.Dense(3, 2)\nnet.set_train(False)\n"},
]}


def _f32(shape, *data):
    return {"dtype": "float32", "shape": list(shape), "data": list(data)}


MS_RECORDS = {  # MindSpore 2.10.0 CPU: `ms_differential.py side` over PROGRAMS
    "lit:mse_int": {"values": [_f32((), 5.666666507720947)], "grads": None},
    "lit:std_sens": {"values": [_f32((2, 1), 0.6780680418014526, 0.5317507386207581)],
                     "grads": [_f32((2, 3), 0.2820534408092499, -0.3071410357952118, 0.025087589398026466,
                                    0.6169288158416748, -0.5941147208213806, -0.022814035415649414)]},
    "lit:maximum_jvp": {"values": [_f32((2, 3), 0.2762658894062042, 2.190202474594116, 0.6239011287689209,
                                        1.1453112363815308, 2.190202474594116, 1.886638879776001)],
                        "grads": [_f32((2, 3), 1.6905256509780884, 1.0912827253341675, 0.032820165157318115,
                                       0.4075162708759308, 1.0912827253341675, 0.002065572887659073)]},
    "lit:logsumexp_vjp": {"values": [_f32((2,), 0.9242299795150757, 0.692264199256897)],
                          "grads": [_f32((2, 3), 0.38754603266716003, 0.22104498744010925, 0.17435310781002045,
                                         0.3130735754966736, 0.256512850522995, 0.3674611449241638)]},
    "lit:dense_by_list": {"values": [_f32((2, 2), -0.20579124987125397, 0.25401997566223145, -0.21489442884922028,
                                          3.1207473278045654)],
                          "grads": [_f32((2, 3), -1.0709004402160645, 0.5121334791183472, -0.4942205846309662,
                                         -1.442325472831726, 0.7384346723556519, -1.04695463180542),
                                    _f32((2,), 1.6826183795928955, 1.9376335144042969)]},
}


@pytest.mark.parametrize("name", sorted(MS_RECORDS))
def test_program_matches_mindspore(name, mindspore_is_gradserve):
    got = {"outcome": "ok", **msd.evaluate(PROGRAMS[name])}
    assert classify({"outcome": "ok", **MS_RECORDS[name]}, got) == ("pass", "")


# ----------------------------------------------------------------------------------------- the fixes
pytestmark = pytest.mark.usefixtures("on_real_server")


def test_mse_loss_of_integers_is_float32():
    """MindSpore 2.10 CPU: ops.mse_loss(int32 [1, 2], int32 [0, 0]) is Float32 2.5 (sum 5.0, 'none' [1., 4.]);
    it was Int32 2 (the mean truncated)."""
    a, b = Tensor(np.array([1, 2], np.int32)), Tensor(np.array([0, 0], np.int32))
    out = ops.mse_loss(a, b)
    assert str(out.dtype) == "Float32" and out.asnumpy() == np.float32(2.5)
    assert ops.mse_loss(a, b, "sum").asnumpy() == np.float32(5.0)
    np.testing.assert_array_equal(ops.mse_loss(a, b, "none").asnumpy(), np.array([1.0, 4.0], np.float32))


@pytest.mark.parametrize("ddof", [0, 1])
def test_var_and_std_of_integers_are_not_truncated(ddof):
    """ops.var of int32 [[1, 2, 4], [0, 7, 3]] was computed around an integer (truncated) mean: var([1, 2]) was 0.
    Expected: NumPy over the values as float64 (MindSpore's Tensor.var of int32 gives float32 0.5 for [1, 2], ddof
    1; its ops.var refuses integers on CPU)."""
    x = np.array([[1, 2, 4], [0, 7, 3]], np.int32)
    want = np.var(x.astype(np.float64), axis=1, ddof=ddof)
    np.testing.assert_allclose(ops.var(Tensor(x), 1, ddof=ddof).asnumpy(), want, rtol=1e-6)
    np.testing.assert_allclose(ops.std(Tensor(x), 1, ddof=ddof).asnumpy(), np.sqrt(want), rtol=1e-6)
    v, m = ops.var_mean(Tensor(x), 1, ddof=ddof)
    np.testing.assert_allclose(v.asnumpy(), want, rtol=1e-6)
    np.testing.assert_allclose(m.asnumpy(), x.mean(axis=1), rtol=1e-6)
    s, _ = ops.std_mean(Tensor(x), None, ddof=ddof)
    np.testing.assert_allclose(s.asnumpy(), np.std(x.astype(np.float64), ddof=ddof), rtol=1e-6)


def test_tensor_var_with_no_more_elements_than_ddof_is_nan():
    """MindSpore 2.10 CPU: Tensor([2.]).var(ddof=1) and .std(ddof=1) are NaN, an empty (0, 3) tensor's var() is NaN
    (as ops.var gives them); they were a ValueError."""
    one = Tensor(np.array([2.0], np.float32))
    assert np.isnan(one.var(ddof=1).asnumpy()) and np.isnan(one.std(ddof=1).asnumpy())
    assert np.isnan(Tensor(np.zeros((0, 3), np.float32)).var().asnumpy())
    np.testing.assert_allclose(Tensor(np.array([1.0, 2.0, 4.0], np.float32)).var(ddof=1).asnumpy(), 7 / 3, rtol=1e-6)


def test_norm_and_tanhshrink_of_integers_are_float32():
    """MindSpore 2.10 CPU on int32 [[3, -4], [1, 2]]: ops.norm(x, None, 1) Float32 [5., 2.236068], x.norm() Float32
    5.477226, ops.norm(x, inf, 1) stays Int32 [4, 2]; ops.tanhshrink Float32 [2.004944, -3.000656, 0.238406, ...].
    They were an error ('sqrt: needs a floating-point operand')."""
    x = Tensor(np.array([[3, -4], [1, 2]], np.int32))
    out = ops.norm(x, None, 1)
    assert str(out.dtype) == "Float32"
    np.testing.assert_allclose(out.asnumpy(), [5.0, 2.236068], rtol=1e-6)
    np.testing.assert_allclose(x.norm().asnumpy(), 5.4772257, rtol=1e-6)
    assert str(ops.norm(x, float("inf"), 1).dtype) == "Int32"
    np.testing.assert_allclose(ops.tanhshrink(x).asnumpy().ravel()[:3], [2.004944, -3.000656, 0.238406], rtol=1e-5)


def test_mean_of_bool_is_refused_as_mindspore():
    """MindSpore 2.10 CPU: ops.mean / Tensor.mean / ReduceMean of a bool tensor raise "For 'ReduceMean', unsupported
    reduce operation for bool"; the SDK's was a bool (mean of [True, False, False] True)."""
    b = Tensor(np.array([[True, False, False], [True, True, False]]))
    for mean in (lambda: ops.mean(b), lambda: ops.mean(b, 1), lambda: b.mean(), lambda: ops.ReduceMean()(b)):
        with pytest.raises(RuntimeError, match="ReduceMean.*bool"):
            mean()
    np.testing.assert_allclose(ops.mean(b.astype(np.float32), 1).asnumpy(), [1 / 3, 2 / 3], rtol=1e-6)


def test_hardswish_and_hardsigmoid_of_integers_keep_the_dtype_as_mindspore():
    """MindSpore 2.10 CPU on int8 [[1, -2, 4], [0, 7, -3]]: ops.hardswish Int8 [0, 0, 4, 0, 7, 0], ops.hardsigmoid
    Int8 [0, 0, 1, 0, 1, 0] (its integer kernels; the quotient truncated); they were float32 [0.667, -0.333, ...]."""
    x = Tensor(np.array([[1, -2, 4], [0, 7, -3]], np.int8))
    hs, hsig = ops.hardswish(x), ops.hardsigmoid(x)
    assert str(hs.dtype) == "Int8" and str(hsig.dtype) == "Int8"
    np.testing.assert_array_equal(hs.asnumpy().ravel(), [0, 0, 4, 0, 7, 0])
    np.testing.assert_array_equal(hsig.asnumpy().ravel(), [0, 0, 1, 0, 1, 0])
    f = np.array([1.0, -2.0, 4.0], np.float32)  # floats as they were: x * relu6(x + 3) / 6 (NumPy)
    np.testing.assert_allclose(ops.hardswish(Tensor(f)).asnumpy(), f * np.clip(f + 3, 0, 6) / 6, rtol=1e-6)


def test_rounding_an_integer_tensor_gives_it_back():
    """MindSpore 2.10 CPU on int32 [[1, 2, 4], [0, 7, 3]]: ops.round and ops.trunc give it back (Int32), ops.frac gives
    Int32 zeros; they were a dtype error ('needs a floating-point operand')."""
    x = np.array([[1, 2, 4], [0, 7, 3]], np.int32)
    for op in (ops.round, ops.trunc):
        out = op(Tensor(x))
        assert str(out.dtype) == "Int32"
        np.testing.assert_array_equal(out.asnumpy(), x)
    frac = ops.frac(Tensor(x))
    assert str(frac.dtype) == "Int32" and not frac.asnumpy().any()


def test_logit_gradient_at_and_beyond_its_bounds():
    """MindSpore 2.10 CPU, ops.grad of ops.logit(x).sum() at x = [-0.078, 0.3, 1.2, 0, 1] (eps None or -1):
    [nan, 4.7619047, nan, inf, inf] (PyTorch's logit_backward the same); it was [-11.89, 4.76, -4.17, nan, nan]."""
    x = Tensor(np.array([-0.078, 0.3, 1.2, 0.0, 1.0], np.float32))
    for eps in (None, -1.0):
        g = ops.grad(lambda a, e=eps: ops.logit(a, e).sum())(x).asnumpy()
        assert np.isnan(g[[0, 2]]).all() and np.isposinf(g[[3, 4]]).all()
        np.testing.assert_allclose(g[1], 4.7619047, rtol=1e-6)
        v = ops.logit(x, eps).asnumpy()
        assert np.isnan(v[[0, 2]]).all() and v[3] == -np.inf and v[4] == np.inf
        np.testing.assert_allclose(v[1], np.log(0.3 / 0.7), rtol=1e-6)
    g = ops.grad(lambda a: ops.logit(a, 0.1).sum())(x).asnumpy()  # clipped: 0 outside [0.1, 0.9]
    np.testing.assert_allclose(g, [0, 4.7619047, 0, 0, 0], rtol=1e-6)


def test_sinc_gradient_near_zero_in_float32():
    """sinc'(x) = (cos(pi x) pi x - sin(pi x)) / (pi x^2) (NumPy, float64) at float32 x near 0: the quotient's autodiff
    cancelled (0.09% off at x = 0.0037767, found by ms_differential seed 4; MindSpore 2.10 0.03% off)."""
    x = np.array([0.0037767077, -0.02, 0.05, 0.099, 0.1, 0.3, 2.5], np.float32)
    t = np.pi * x.astype(np.float64)
    want = (np.cos(t) * t - np.sin(t)) / (t * x.astype(np.float64))
    got = ops.grad(lambda a: ops.sinc(a).sum())(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(ops.sinc(Tensor(x)).asnumpy(), np.sinc(x.astype(np.float64)), rtol=1e-6)


def test_sqrt_and_reciprocal_of_integers_are_float32():
    """MindSpore 2.10 CPU on int32 [1, 4, 0]: ops.sqrt Float32 [1, 2, 0], ops.reciprocal Float32 [1, 0.25, inf],
    Tensor.sqrt the same; they were a dtype error ('needs a floating-point operand')."""
    x = Tensor(np.array([1, 4, 0], np.int32))
    for out, want in ((ops.sqrt(x), [1.0, 2.0, 0.0]), (x.sqrt(), [1.0, 2.0, 0.0]), (ops.reciprocal(x), [1.0, 0.25, np.inf])):
        assert str(out.dtype) == "Float32"
        np.testing.assert_array_equal(out.asnumpy(), np.array(want, np.float32))
