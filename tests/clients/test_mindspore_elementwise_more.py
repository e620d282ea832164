"""MindSpore 2.10 names added for its own test files: sinc / frac / fmax / heaviside / Eps / nan_to_num,
diagonal_scatter, the grad primitives MinimumGrad / MaximumGrad / HSigmoidGrad, Tensor methods that are ops,
nn.OneHot, JitConfig, and str() of a traced Tensor inside a jit (its value, as MindSpore's JIT Fallback).

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv (every list below)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import JitConfig, Tensor, nn, ops

X = np.array([-2.5, 0.0, 0.5, 3.0], np.float32)


def test_elementwise_values_and_sinc_gradient(on_real_server):
    x = Tensor(X)
    np.testing.assert_allclose(ops.sinc(x).asnumpy(), [0.12732396, 1.0, 0.63661975, -2.5305382e-09], atol=1e-7)
    # the gradient at 0 is sinc's derivative there (0), not the 0 / 0 of the quotient
    np.testing.assert_allclose(ops.grad(lambda t: ops.sinc(t).sum())(x).asnumpy(),
                               [0.0509297177, 0.0, -1.2732396126, -0.3333333433], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(x.sinc().asnumpy(), ops.sinc(x).asnumpy())
    np.testing.assert_array_equal(x.frac().asnumpy(), [-0.5, 0.0, 0.5, 0.0])
    y = Tensor(np.array([np.nan, 1.0, np.nan, 1.0], np.float32))
    np.testing.assert_array_equal(x.fmax(y).asnumpy(), [-2.5, 1.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.heaviside(Tensor([7.0], ms.float32)).asnumpy(), [0.0, 7.0, 1.0, 1.0])
    np.testing.assert_array_equal(ops.Eps()(Tensor([1.0], ms.float16)).asnumpy(), [0.0009765625])
    np.testing.assert_array_equal(ops.Eps()(x).asnumpy(), [1.1920928955078125e-07] * 4)
    inf = Tensor(np.array([np.nan, np.inf, -np.inf, 1.0], np.float32))
    np.testing.assert_array_equal(inf.nan_to_num(nan=2.0).asnumpy(), [2.0, 3.4028234663852886e+38,
                                                                     -3.4028234663852886e+38, 1.0])
    xr = Tensor(np.array([-30, -17, -3, 61, 17, 30], np.float32))
    np.testing.assert_array_equal(xr.remainder(divisor=-1.5).asnumpy(), [0.0, -0.5, 0.0, -0.5, -1.0, 0.0])
    np.testing.assert_array_equal(xr.remainder(other=-1.5).asnumpy(), xr.remainder(-1.5).asnumpy())
    assert Tensor(np.zeros((2, 3, 4), np.float32)).permute(2, 0, 1).shape == (4, 2, 3)
    one, two = Tensor(np.array([1, 2], np.float32)), Tensor(np.array([3, 5], np.float32))
    np.testing.assert_array_equal(one.sub(two, alpha=2).asnumpy(), [-5, -8])
    np.testing.assert_array_equal(one.add(two, alpha=0.5).asnumpy(), [2.5, 4.5])
    from gradserve.ops.auto_generate.gen_ops_def import add_ext, sub_ext  # MindSpore's generated names
    np.testing.assert_array_equal(sub_ext(one, two, 2).asnumpy(), [-5, -8])
    np.testing.assert_array_equal(add_ext(Tensor(np.array([1, 2])), 3, 2).asnumpy(), [7, 8])


def test_bfloat16_is_named():
    # MindSpore's test harness compares each result's dtype with ms.bfloat16 (its Tensors:
    # tests/clients/test_mindspore_bfloat16.py)
    assert Tensor(X).dtype != ms.bfloat16 and str(ms.bfloat16) == "BFloat16"
    assert Tensor(X, ms.bfloat16).dtype == ms.bfloat16


def test_diagonal_scatter_and_its_gradient(on_real_server):
    a = Tensor(np.arange(12).reshape(3, 4).astype(np.float32))
    np.testing.assert_array_equal(ops.diagonal_scatter(a, Tensor([10., 20., 30.], ms.float32), 1).asnumpy(),
                                  [[0, 10, 2, 3], [4, 5, 20, 7], [8, 9, 10, 30]])
    np.testing.assert_array_equal(ops.diagonal_scatter(a, Tensor([10., 20.], ms.float32), -1).asnumpy(),
                                  [[0, 1, 2, 3], [10, 5, 6, 7], [8, 20, 10, 11]])
    # d/da: 1 off the diagonal, 0 on it; d/dsrc: 1 (the function is linear in both)
    ga, gs = ops.grad(lambda u, s: ops.diagonal_scatter(u, s, 1).sum(), grad_position=(0, 1))(
        a, Tensor([1., 2., 3.], ms.float32))
    np.testing.assert_array_equal(ga.asnumpy(), [[1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]])
    np.testing.assert_array_equal(gs.asnumpy(), [1, 1, 1])
    with pytest.raises(ValueError, match="diagonal's shape"):
        ops.diagonal_scatter(a, Tensor([1., 2.], ms.float32), 1)


def test_grad_primitives_split_ties_and_reduce_broadcasts(on_real_server):
    x1, x2 = Tensor(np.array([1, 2, 3, 4], np.float32)), Tensor(np.array([2, 2, 1, 4], np.float32))
    g = Tensor(np.array([1, 2, 3, 4], np.float32))
    auto = ops.auto_generate
    assert [t.asnumpy().tolist() for t in auto.MinimumGrad()(x1, x2, g)] == [[1, 1, 0, 2], [0, 1, 3, 2]]
    assert [t.asnumpy().tolist() for t in auto.MaximumGrad()(x1, x2, g)] == [[0, 1, 3, 2], [1, 1, 0, 2]]
    ones = Tensor(np.ones((2, 3), np.float32))
    d1, d2 = auto.MinimumGrad()(ones, Tensor(np.array([0, 1, 2], np.float32)), ones)
    assert d1.asnumpy().tolist() == [[0, 0.5, 1], [0, 0.5, 1]] and d2.asnumpy().tolist() == [2, 1, 0]
    hs = auto.HSigmoidGrad()(Tensor(np.ones(6, np.float32)), Tensor(np.array([-4, -3, -1, 0, 3, 4], np.float32)))
    np.testing.assert_allclose(hs.asnumpy(), [0, 0, 1 / 6, 1 / 6, 0, 0], rtol=1e-7)
    np.testing.assert_array_equal(nn.OneHot(axis=0, depth=3)(Tensor([0, 2], ms.int32)).asnumpy(),
                                  [[1, 0], [0, 0], [0, 1]])


def test_str_of_a_traced_tensor_is_its_value_and_jit_config(on_real_server):
    @ms.jit
    def fmt(t):
        return "value {}".format(t * 2)

    assert fmt(Tensor(np.array([1, 2], np.int64))) == "value [2 4]"  # MindSpore 2.10: 'value [2 4]'
    cell = nn.Dense(2, 1)
    cell.set_jit_config(JitConfig(jit_level="O0"))
    cell.set_jit_config(JitConfig(jit_level="O1"))  # a second setting is ignored, as MindSpore's
    assert cell._jit_config_dict["jit_level"] == "O0"
    with pytest.raises(ValueError, match="jit_level"):
        JitConfig(jit_level="O3")
