"""Gradient conventions at kinks, ties, zeros and bounds, as MindSpore 2.10 (CPU, PyNative) gives them: the
regressions benchmarks/mindspore_suite/grad_diff.py found (its README section "Gradient conventions vs
MindSpore (h-msdiff)").

Expected values: MindSpore 2.10.0's own output on these inputs (run for this task with /work/msvenv), each
checked against PyTorch 2.x or NumPy / JAX where the comment says so."""
import math

import numpy as np
import pytest

from gradserve import Tensor, ops

X = np.array([-2.0, -1.0, 0.0, 0.25, 4.0], np.float32)


def _grad(f, *args, pos=0):
    return ops.grad(f, grad_position=pos)(*(Tensor(np.asarray(a, np.float32)) for a in args))


def _np(t):
    return t.asnumpy() if hasattr(t, "asnumpy") else np.asarray(t)


@pytest.mark.parametrize("name, f, want", [
    # an infinite cotangent (sqrt'(0)) meets a masked-off derivative: MindSpore's grad kernels select, so 0 there
    # (PyTorch the same for relu: threshold_backward); inf * 0 gave NaN
    ("relu", lambda a: ops.sqrt(ops.relu(a)).sum(), [0, 0, 0, 1, 0.25]),
    ("relu6", lambda a: ops.sqrt(ops.relu6(a)).sum(), [0, 0, 0, 1, 0.25]),
    ("maximum", lambda a: ops.sqrt(ops.maximum(a, Tensor(np.float32(0)))).sum(), [0, 0, math.inf, 1, 0.25]),
    ("minimum", lambda a: ops.sqrt(-ops.minimum(a, Tensor(np.float32(0)))).sum(),
     [-0.35355338, -0.5, math.inf, 0, 0]),
    ("hardtanh", lambda a: ops.sqrt(ops.hardtanh(a) + 1).sum(), [0, math.inf, 0.5, 0.4472136, 0]),
    ("where_guard", lambda a: ops.where(a > 0, ops.sqrt(ops.relu(a)), a).sum(), [1, 1, 1, 1, 0.25]),
])
def test_masked_derivative_stops_an_infinite_cotangent(on_real_server, name, f, want):
    np.testing.assert_allclose(_np(_grad(f, X)), want, rtol=1e-6)


@pytest.mark.parametrize("p, want", [
    (2.0, [[-1.2, -3.6], [2.6142137, 3.0142136], [-1.4142137, 0.58578634]]),
    (3.0, [[-0.8897027, -3.5816936], [2.1496239, 2.8416147], [-1.2599211, 0.7400789]]),
])
def test_cdist_of_a_set_with_itself(on_real_server, p, want):
    # each point's distance to itself contributes 0 (MindSpore 2.10 and PyTorch agree on these numbers); NaN before
    pts = [[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]
    np.testing.assert_allclose(_np(_grad(lambda a: ops.cdist(a, a, p).sum(), pts)), want, rtol=1e-5)


def test_fmax_and_fmin_give_ties_to_the_first_operand(on_real_server):
    a, b = [1.0, 2.0, -1.0, 0.0], [1.0, 1.0, -1.0, 3.0]
    ga, gb = _grad(lambda u, v: ops.fmax(u, v).sum(), a, b, pos=(0, 1))
    np.testing.assert_array_equal(_np(ga), [1, 1, 1, 0])  # MindSpore 2.10 and PyTorch
    np.testing.assert_array_equal(_np(gb), [0, 0, 0, 1])
    ga, gb = _grad(lambda u, v: ops.fmin(u, v).sum(), a, b, pos=(0, 1))
    np.testing.assert_array_equal(_np(ga), [1, 0, 1, 1])  # PyTorch (MindSpore 2.10 has no CPU Fmin kernel)
    np.testing.assert_array_equal(_np(gb), [0, 1, 0, 0])
    nan = np.float32("nan")
    out = ops.fmax(Tensor(np.array([nan, 1.0, nan], np.float32)), Tensor(np.array([2.0, nan, nan], np.float32)))
    np.testing.assert_array_equal(_np(out), np.fmax([nan, 1.0, nan], [2.0, nan, nan]))


def test_clamp_with_min_above_max_passes_no_gradient_to_input(on_real_server):
    xs = [-2.0, -1.0, 0.0, 1.0, 2.0]
    np.testing.assert_array_equal(_np(_grad(lambda u: ops.clamp(u, 1.0, -1.0).sum(), xs)), [0] * 5)
    gx, glo, ghi = _grad(lambda u, lo, hi: ops.clamp(u, lo, hi).sum(), xs, [1.0] * 5, [-1.0] * 5, pos=(0, 1, 2))
    np.testing.assert_array_equal(_np(gx), [0] * 5)  # MindSpore 2.10: all of it to the upper bound
    np.testing.assert_array_equal(_np(glo), [0] * 5)
    np.testing.assert_array_equal(_np(ghi), [1] * 5)


def test_sinc_derivatives_at_zero_and_in_float16(on_real_server):
    second = _grad(lambda u: _grad_t(lambda v: ops.sinc(v).sum(), u).sum(), [0.0, 0.5])
    t = math.pi * 0.5  # sinc'' at 0.5 in closed form; at 0 it is -pi^2 / 3 (JAX's jax.grad(jax.grad(jnp.sinc)))
    at_half = (-(t * t) * math.sin(t) - 2 * t * math.cos(t) + 2 * math.sin(t)) / (t ** 3) * math.pi ** 2
    np.testing.assert_allclose(_np(second), [-math.pi ** 2 / 3, at_half], rtol=1e-5)
    x16 = np.float16(0.0237274169921875)
    g16 = ops.grad(lambda v: ops.sinc(v).sum())(Tensor(np.array([x16], np.float16)))
    tx = math.pi * float(x16)
    exact = (math.cos(tx) * tx - math.sin(tx)) / (math.pi * float(x16) ** 2)  # -0.078; float16 math gave -0.101
    np.testing.assert_allclose(_np(g16).astype(np.float64), [exact], rtol=2e-3)


def _grad_t(f, t):
    return ops.grad(f)(t)


def test_celu_second_derivative_at_zero_is_the_linear_branch(on_real_server):
    got = _grad(lambda u: _grad_t(lambda v: ops.celu(v, 2.0).sum(), u).sum(), [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(_np(got), [0.30326533, 0, 0], rtol=1e-6)  # MindSpore 2.10; exp(-1/2) / 2


def test_std_and_var_over_empty_axes_reduce_every_axis(on_real_server):
    m = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]], np.float32)
    t = Tensor(m)
    np.testing.assert_allclose(_np(t.std(())), m.std(), rtol=1e-6)  # MindSpore 2.10: 1.6435903 for both
    np.testing.assert_allclose(_np(ops.std(t, ())), m.std(), rtol=1e-6)
    np.testing.assert_allclose(_np(ops.var(t, (), 1)), m.var(ddof=1), rtol=1e-6)  # 3.2416668


def test_stack_of_one_tensor_and_resize_without_a_shape(on_real_server):
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert ops.stack(x).shape == (1, 2, 3)  # MindSpore 2.10: the Tensor is one item, not its rows
    np.testing.assert_array_equal(ops.stack(x).asnumpy()[0], x.asnumpy())
    assert x.resize().shape == (2, 3)  # MindSpore 2.10 and NumPy's ndarray.resize(): the shape kept
    np.testing.assert_array_equal(x.resize().asnumpy(), x.asnumpy())
