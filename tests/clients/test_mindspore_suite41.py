"""Sample seed 41 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 41").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv; the call that gave each
is stated beside it."""
import numpy as np
import pytest

from gradserve import COOTensor, Tensor, jit, nn, ops
from gradserve import dtype as mstype
from gradserve.ops import auto_generate


# -- a value where MindSpore refuses, before ----------------------------------------------------------------
def test_grid_sampler_refuses_a_grid_of_another_dtype(on_real_server):
    # st/dynamic_shape/test_grid_sampler_3d.py: the grid was cast to x's dtype (0.125 everywhere for ones);
    # MindSpore 2.10 PyNative refuses, with each kernel's own text
    x5, x4 = Tensor(np.ones((2, 3, 3, 3, 3), np.float32)), Tensor(np.ones((2, 3, 3, 3), np.float32))
    for gd in (np.int32, np.float64, np.float16):
        g5 = Tensor(np.ones((2, 3, 3, 3, 3), gd))
        with pytest.raises(TypeError, match=r"^For primitive\[GridSampler3D\], the input type must be same\.$"):
            ops.GridSampler3D(interpolation_mode="bilinear", padding_mode="zeros", align_corners=True)(x5, g5)
        with pytest.raises(TypeError, match=r"For primitive\[GridSampler3D\], the input type must be same\."):
            ops.grid_sample(x5, g5)
    with pytest.raises(TypeError) as err:
        ops.GridSampler2D()(x4, Tensor(np.ones((2, 3, 3, 2), np.int32)))
    assert str(err.value) == ("Input grid must have the same data type with input x! input[x] data type = "
                              "Tensor[Float32] but input[grid] data type = Tensor[Int32]")
    with pytest.raises(TypeError, match=r"input\[x\] data type = Tensor\[Float16\] but input\[grid\] data type = "
                                        r"Tensor\[Float32\]"):
        ops.grid_sample(Tensor(np.ones((2, 3, 3, 3), np.float16)), Tensor(np.ones((2, 3, 3, 2), np.float32)))
    # the same dtype still samples (ones everywhere inside: 1 at the centre, MindSpore 2.10 likewise)
    out = ops.grid_sample(x4, Tensor(np.zeros((2, 3, 3, 2), np.float32)))
    assert out.shape == (2, 3, 3, 3) and np.allclose(out.asnumpy(), 1.0)


def test_grid_sampler_kernels_take_floats_only(on_real_server):
    # beside the sample: an int32 grid to GridSampler2DGrad gave an int32 dgrid; MindSpore 2.10's CPU kernels refuse
    # integer (and bfloat16) inputs at kernel selection, forward and backward
    from gradserve.ops.operations import _grad_ops as G
    i32 = np.int32
    with pytest.raises(TypeError, match=r"^Select CPU operator\[GridSampler2D\] fail! Unsupported data type!$"):
        ops.GridSampler2D()(Tensor(np.ones((1, 1, 2, 2), i32)), Tensor(np.zeros((1, 2, 2, 2), i32)))
    with pytest.raises(TypeError, match=r"^Select CPU operator\[GridSampler3D\] fail! Unsupported data type!$"):
        ops.GridSampler3D()(Tensor(np.ones((1, 1, 2, 2, 2), i32)), Tensor(np.zeros((1, 2, 2, 2, 3), i32)))
    with pytest.raises(TypeError, match=r"^Select CPU operator\[GridSampler2D\] fail! Unsupported data type!$"):
        bf16 = mstype.bfloat16
        ops.GridSampler2D()(Tensor(np.ones((1, 1, 2, 2)), bf16), Tensor(np.zeros((1, 2, 2, 2)), bf16))
    f32 = np.float32
    with pytest.raises(TypeError, match=r"^Select CPU operator\[GridSampler2DGrad\] fail! Unsupported data type!$"):
        ones = Tensor(np.ones((1, 1, 2, 2), f32))
        G.GridSampler2DGrad("bilinear", "zeros", False)(ones, ones, Tensor(np.zeros((1, 2, 2, 2), i32)))


# -- refused before ---------------------------------------------------------------------------------------
def test_diag_of_any_rank(on_real_server):
    # st/dynamic_shape/test_diag.py: ops.diag of a matrix was gradserve's ValueError "expects a vector".
    # MindSpore 2.10: x of shape s on the diagonal of shape s + s; its gradient the diagonal's weights
    x = Tensor(np.arange(6).reshape(2, 3).astype(np.float32) + 1)
    out = ops.diag(x).asnumpy()
    assert out.shape == (2, 3, 2, 3) and out[1, 2, 1, 2] == 6.0 and out[1, 2, 0, 2] == 0.0 and out.sum() == 21.0
    w = Tensor(np.arange(36).reshape(2, 3, 2, 3).astype(np.float32))
    assert ops.grad(lambda a: ops.diag(a) * w)(x).asnumpy().tolist() == [[0, 7, 14], [21, 28, 35]]
    assert ops.grad(ops.diag)(Tensor([[1.3, 2.5, -2.1], [-4.7, 2.5, 1.0]], mstype.float32)).asnumpy().tolist() == \
        [[1, 1, 1], [1, 1, 1]]
    assert ops.diag(Tensor(np.arange(8).reshape(2, 2, 2).astype(np.int32))).shape == (2, 2, 2, 2, 2, 2)
    assert ops.Diag()(Tensor(np.array([1, 2], np.int32))).asnumpy().tolist() == [[1, 0], [0, 2]]
    with pytest.raises(ValueError, match=r"For primitive\[Diag\], the input rank must be greater than or equal to 1, "
                                         r"but got 0\."):
        ops.diag(Tensor(2.0))


def test_relu_grad(on_real_server):
    # st/dynamic_shape/test_relu_grad.py. MindSpore 2.10: dy where x > 0 (0 at x = 0 and -0.0), integers too
    dy = Tensor(np.array([1, 0, 1, -2, 3, 0.5], np.float32))
    x = Tensor(np.array([-1, 0, 1, 2, -0.0, 3], np.float32))
    assert auto_generate.ReluGrad()(dy, x).asnumpy().tolist() == [0, 0, 1, -2, 0, 0.5]
    out = auto_generate.ReluGrad()(Tensor(np.array([-1, 2], np.int32)), Tensor(np.array([3, -1], np.int32)))
    assert out.asnumpy().tolist() == [-1, 0] and out.dtype == mstype.int32


_DY = np.array([[[[0.5, -1.0]], [[2.0, 0.25]]], [[[1.5, 0.75]], [[-0.5, 1.0]]]], np.float32)
_X = np.array([[[[0.1, 0.7]], [[-0.3, 0.9]]], [[[0.4, -0.2]], [[0.6, 0.2]]]], np.float32)
_SCALE, _MEAN, _VAR = [np.array(v, np.float32) for v in ([0.8, 1.5], [0.3, -0.1], [0.5, 0.2])]
# MindSpore 2.10 CPU, ops.auto_generate.BatchNormGrad(is_training, epsilon=1e-5)(_DY, _X, _SCALE, _MEAN, _VAR,
# zeros(2)) -> (dx, dscale, dbias), and ops.grad of dx * 2 + sum(dscale * w) + sum(dbias * w^2), w = [0.7, -1.3],
# in its five inputs (its BatchNormGradGrad: the x-gradient as if the statistics were x's own, none to them)
_BN = {
    True: ([-0.0113119651, -1.4622854, 4.2344561, -0.62892002, 1.2430804, 0.14849506, -3.3959725, 1.2996696],
           [[2.29084301, 7.17831326, 21.1893692, -24.8268528, 4.73457813, -0.152891874, -13.3227978, 2.01594353],
            [-0.114254162, -10.4628325, -46.9038353, -0.355275154, 8.96657848, 0.987143457, 33.5444717, -17.1229973],
            [-0.20505464, 2.0123105]]),
    False: ([0.56567973, -1.13135946, 6.70803642, 0.83850455, 1.69703913, 0.84851956, -1.67700911, 3.35401821],
            [[4.59881544, 9.3505249, 24.8789406, -3.02648926, 6.97467041, 2.22296071, 3.94986725, 13.2516766],
             [3.95975804, -7.91951609, -46.5090485, -5.81363106, 11.8792744, 5.93963718, 11.6272621, -23.2545242],
             [4.9496975, 12.2980652]]),
}


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_grad_and_its_derivative(on_real_server, training):
    # st/dynamic_shape/test_ops_batchnorm_grad.py (it takes the gradient in dout only; here every input's)
    args = [Tensor(a) for a in (_DY, _X, _SCALE, _MEAN, _VAR, np.zeros(2, np.float32))]
    prim = auto_generate.BatchNormGrad(is_training=training, epsilon=1e-5, data_format="NCHW")
    dx, dscale, dbias = prim(*args)
    dx_ms, grads_ms = _BN[training]
    np.testing.assert_allclose(dx.asnumpy().ravel(), dx_ms, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dscale.asnumpy(), [-1.02529454, -0.447202563], rtol=1e-5)
    assert dbias.asnumpy().tolist() == [1.75, 2.75]
    w = Tensor(np.array([0.7, -1.3], np.float32))

    def f(*a):
        o = prim(*a)
        return o[0] * 2 + (o[1] * w).sum() + (o[2] * w * w).sum()
    grads = ops.grad(f, (0, 1, 2, 3, 4))(*args)
    for got, want in zip(grads, grads_ms):
        np.testing.assert_allclose(got.asnumpy().ravel(), want, rtol=1e-5, atol=1e-5)
    assert grads[3].asnumpy().tolist() == [0, 0] and grads[4].asnumpy().tolist() == [0, 0]


# -- an invalid graph before ------------------------------------------------------------------------------
class _OuterInLoop(nn.Cell):
    @jit
    def construct(self, a, b, values):
        x = values * 3
        while a > b:
            x = values
            b = b + 1
        return x, b


class _CooInLoop(nn.Cell):
    @jit
    def construct(self, a, b, indices, values):
        x = COOTensor(indices, values, (3, 4))
        while a > b:
            x = COOTensor(indices, x.values * 2, (3, 4))
            b = b + 1
        return x


class _OuterInLoopGrad(nn.Cell):
    def construct(self, a, b, values, w):
        x = values * 3
        y = w
        while a > b:
            x = values
            y = y * w
            b = b + 1
        return x * y


def test_while_variable_leaving_the_body_as_an_outer_tensor(on_real_server, graph_mode):
    # st/sparse/test_coo.py::test_coo_tensor_in_while: 400 invalid_graph "while body takes n + 1 input(s), given n"
    # (the body took the outer Tensor as an input only when its outputs were named). MindSpore 2.10 @jit:
    i32 = mstype.int32
    values = Tensor([1, 2], mstype.float32)
    x, b = _OuterInLoop()(Tensor(3, i32), Tensor(0, i32), values)
    assert x.asnumpy().tolist() == [1, 2] and int(b) == 3
    x, b = _OuterInLoop()(Tensor(0, i32), Tensor(0, i32), values)
    assert x.asnumpy().tolist() == [3, 6] and int(b) == 0
    out = _CooInLoop()(Tensor(3, i32), Tensor(0, i32), Tensor([[0, 1], [1, 2]]), values)
    assert out.indices.asnumpy().tolist() == [[0, 1], [1, 2]] and out.values.asnumpy().tolist() == [8, 16]
    assert out.shape == (3, 4)
    # its gradient, GRAPH_MODE (MindSpore 2.10: ops.grad(net, (2, 3)) at a = 3 and a = 0, b = 0)
    w = Tensor([1.5, -2.0], mstype.float32)
    dv, dw = ops.grad(_OuterInLoopGrad(), (2, 3))(Tensor(3, i32), Tensor(0, i32), values, w)
    assert dv.asnumpy().tolist() == [5.0625, 16.0] and dw.asnumpy().tolist() == [13.5, -64.0]
    dv, dw = ops.grad(_OuterInLoopGrad(), (2, 3))(Tensor(0, i32), Tensor(0, i32), values, w)
    assert dv.asnumpy().tolist() == [4.5, -6.0] and dw.asnumpy().tolist() == [3.0, 6.0]
