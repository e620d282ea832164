"""Sample seed 51 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 51").

The sample's one miss: `test_upsample_nearest_2d_scale_factor_dynamic` passes its scales through a float32
Tensor, and the output size floor(30 * 2.8) came out 83 there and 84 from the Python float. MindSpore 2.10
sizes a scale its kernel takes in float32 (floor(100 * 1.13) = 113, floor(195 * 2.6) = 506) and a recomputed
one in double (112, 507). Expected values: MindSpore 2.10 CPU, PyNative (/work/ms_suite51/probe/p1.py,
p3b.py, p4.py, p5.py, p6.py hold the same programs), and for Mod's divisor gradient PyTorch's fmod gradient
(MindSpore's Mod primitive gives -floor(x / y) there; its ops.fmod / TruncateMod give -trunc(x / y))."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, nn, ops
from gradserve.ops.operations.math_ops import Mod
from gradserve.ops import operations as P

_ext = ops.function.nn_func.interpolate_ext


@pytest.fixture
def pynative(on_real_server):
    context.set_context(mode=context.PYNATIVE_MODE)
    yield


@pytest.mark.parametrize("n, s, kernel, recomputed", [(100, 1.13, 113, 112), (195, 2.6, 506, 507)])
def test_scale_factor_output_size_rounding(pynative, n, s, kernel, recomputed):  # MindSpore 2.10 (p5.py, p6.py)
    x1 = Tensor(np.ones((1, 1, n), np.float32))
    assert _ext(x1, None, (s,), "nearest").shape[-1] == kernel
    assert _ext(x1, None, (s,), "nearest", None, True).shape[-1] == recomputed
    x5 = Tensor(np.ones((1, 1, 1, 2, n), np.float32))
    assert ops.interpolate(x5, scale_factor=(1.0, 1.0, s), mode="trilinear").shape[-1] == kernel
    assert ops.interpolate(x5, scale_factor=(1.0, 1.0, s), mode="nearest",
                           recompute_scale_factor=True).shape[-1] == recomputed


def test_scale_factor_from_a_float32_tensor(pynative):  # the suite's dynamic item; MindSpore 2.10 (p3b.py)
    x = Tensor(np.ones((1, 1, 15, 30), np.float32))
    scales = tuple(Tensor(np.array([2.1, 2.8], np.float32)).asnumpy().tolist())  # 2.799999952316284
    assert _ext(x, None, scales, "nearest").shape == (1, 1, 31, 84)
    g = ms.grad(lambda t: _ext(t, None, (2.1, 2.8), "nearest"))(x).asnumpy()[0, 0]
    assert g[0].tolist() == [9.0, 9.0, 9.0, 9.0, 6.0] * 6
    assert g[:, 0].tolist() == [9.0] + [6.0] * 9 + [9.0, 6.0, 6.0, 6.0, 3.0]


class _Mod(nn.Cell):
    def __init__(self):
        super().__init__()
        self.mod = Mod()

    def construct(self, a, b):
        return self.mod(a, b)


def test_mod_grads(pynative):  # forward: MindSpore 2.10 (p1.py); dy: torch.fmod's gradient, -trunc(x / y)
    x = Tensor(np.array([-4.0, 5.0, 6.0, 7.5], np.float32))
    y = Tensor(np.array([3.0, 2.0, 3.0, -2.0], np.float32))
    assert _Mod()(x, y).asnumpy().tolist() == [-1.0, 1.0, 0.0, 1.5]
    dx, dy = ops.GradOperation(get_all=True)(_Mod())(x, y)
    assert dx.asnumpy().tolist() == [1.0] * 4 and dy.asnumpy().tolist() == [1.0, -2.0, -2.0, 3.0]


def test_second_grad_of_two_outputs(pynative):  # test_second_grad's net at other points; MindSpore 2.10 (p1.py)
    def f(a, b):
        return ops.sin(a) - ops.cos(b), ops.cos(a) - ops.sin(b)
    g2 = ops.grad(ops.grad(f, grad_position=(0, 1)), grad_position=(0, 1))
    da, db = g2(Tensor(np.array([0.5, 1.0], np.float32)), Tensor(np.array([2.0, -1.0], np.float32)))
    np.testing.assert_allclose(da.asnumpy(), [-1.3570080995559692, -1.3817732334136963], rtol=1e-6)
    np.testing.assert_allclose(db.asnumpy(), [0.4931505620479584, -0.30116868019104004], rtol=1e-6)


def test_byte_passes_the_gradient_through(pynative):  # MindSpore 2.10 (p1.py)
    x = Tensor(np.array([0.5, 2.7, -1.0], np.float32))
    assert ms.grad(lambda a: a.byte())(x).asnumpy().tolist() == [1.0, 1.0, 1.0]
    x2 = Tensor(np.array([0.5, 2.7], np.float32))
    assert ms.grad(lambda a: (a.byte() * 3).sum())(x2).asnumpy().tolist() == [3.0, 3.0]


def test_reduce_all_any_grads_are_false(pynative):  # MindSpore 2.10 (p1.py): a bool zero of the input's shape
    x = Tensor(np.array([[True, False], [True, True]]))
    grad_all = ops.GradOperation(get_all=True)
    assert grad_all(lambda t: P.ReduceAll(keep_dims=False)(t, 1))(x)[0].asnumpy().tolist() == [[False] * 2] * 2
    assert grad_all(lambda t: P.ReduceAny(keep_dims=True)(t, 0))(x)[0].asnumpy().tolist() == [[False] * 2] * 2
