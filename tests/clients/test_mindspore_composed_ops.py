"""Invert, IndexAdd, Conv3D / MaxPool3D / AvgPool3D (+ nn cells), Renorm, Lerp and the operations.math_ops /
nn_ops paths, FastGeLU, LpNorm, nn.SmoothL1Loss, nn.Pad, nn.LogSoftmax, nn.WithGradCell, Unique against
MindSpore 2.10 (CPU, PyNative): the literal values below are its output for the same programs, run for this
task (/work/wt/_msvenv); torch.renorm is the second reference for Renorm's gradient."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, ParameterTuple, Tensor, nn, ops
from gradserve.ops import operations as P

X = np.array([[1., -2., 3.], [-4., 5., -6.]], np.float32)
X5 = (np.arange(2 * 1 * 3 * 4 * 4, dtype=np.float32).reshape(2, 1, 3, 4, 4) % 7) - 3
W5 = (np.arange(2 * 1 * 2 * 2 * 2, dtype=np.float32).reshape(2, 1, 2, 2, 2) % 5) * 0.5 - 1


def close(t, want, **kw):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=1e-5,
                               atol=1e-5, **kw)


def test_invert_integers_only(fake):
    assert P.Invert()(Tensor(np.array([0, 1, -3, 7], np.int16))).asnumpy().tolist() == [-1, -2, 2, -8]
    assert ops.invert(Tensor(np.array([0, 5], np.int32))).asnumpy().tolist() == [-1, -6]
    assert ops.bitwise_not(Tensor(np.array([0, 200], np.uint8))).asnumpy().tolist() == [255, 55]  # NumPy's ~
    with pytest.raises(TypeError, match="integer"):
        P.Invert()(Tensor(np.array([1.0], np.float32)))


def test_index_add_function_and_its_gradient(fake):
    x = Tensor(np.ones((3, 3), np.float32))
    idx, y = Tensor(np.array([0, 2, 0], np.int32)), Tensor(np.arange(9, dtype=np.float32).reshape(3, 3))
    close(ops.index_add(x, idx, y, 0), [[7, 9, 11], [1, 1, 1], [4, 5, 6]])
    gx, gy = ms.grad(lambda a, b: (ops.index_add(a, idx, b, 0) * Tensor(np.arange(9, dtype=np.float32)
                                                                        .reshape(3, 3))).sum(), (0, 1))(x, y)
    close(gx, np.arange(9).reshape(3, 3))        # the cotangent itself
    close(gy, [[0, 1, 2], [6, 7, 8], [0, 1, 2]])  # its rows at idx
    with pytest.raises(ValueError, match=r"y has shape \(2, 3\), need \(3, 3\)"):
        ops.index_add(x, idx, Tensor(np.ones((2, 3), np.float32)), 0)


class NetIndexAdd(nn.Cell):  # MindSpore's tests/st/ops/cpu/test_index_add_op.py
    def __init__(self, x, axis):
        super().__init__()
        self.input_x = Parameter(Tensor(x), name="x")
        self.index_add = ops.IndexAdd(axis)

    def construct(self, idx, y):
        return self.index_add(self.input_x, idx, y)


def test_tensor_index_add_and_bitwise_not_methods(fake):
    x = Parameter(Tensor(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.float32)), name="name_x")
    source = Tensor(np.array([[0.5, 1.0], [1.0, 1.5], [2.0, 2.5]], np.float32))
    close(x.index_add(1, Tensor(np.array([0, 2], np.int32)), source), [[1.5, 2, 4], [5, 5, 7.5], [9, 8, 11.5]])
    close(x, [[1.5, 2, 4], [5, 5, 7.5], [9, 8, 11.5]])  # a Parameter is updated, as in MindSpore
    y = Parameter(Tensor(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.float32)), name="y")
    close(y.index_add(1, Tensor(np.array([0, 2], np.int32)), source, alpha=2), [[2, 2, 5], [6, 5, 9], [11, 8, 14]])
    # MindSpore 2.10 has no CPU kernel for Tensor.bitwise_not: NumPy's ~ is the reference
    assert Tensor(np.array([1, -1], np.int64)).bitwise_not().asnumpy().tolist() == np.invert([1, -1]).tolist()


def test_index_add_primitive_updates_its_parameter(fake):
    net = NetIndexAdd(np.arange(15).reshape(5, 3).astype(np.float32), 1)
    idx, y = Tensor(np.array([1, 1], np.int32)), Tensor(np.arange(10).reshape(5, 2).astype(np.float32))
    dout = Tensor(np.arange(15).reshape(5, 3).astype(np.float32) * 2)
    (_, gy), (gp,) = ops.GradOperation(get_all=True, sens_param=True, get_by_list=True)(
        net, ParameterTuple(net.trainable_params()))(idx, y, dout)
    close(gy, [[2, 2], [8, 8], [14, 14], [20, 20], [26, 26]])
    close(gp, dout.asnumpy())
    close(net.input_x, [[0, 2, 2], [3, 9, 5], [6, 16, 8], [9, 23, 11], [12, 30, 14]])  # updated, as MindSpore

    # vmap over input_x and y (MindSpore's test_index_add_op.py vmap_case)
    x = Tensor(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.float32))
    idx = Tensor(np.array([0, 2], np.int32))
    want = [[1.5, 2, 4], [5, 5, 7.5], [9, 8, 11.5]]
    close(ops.vmap(ops.IndexAdd(0), (0, None, 0), 0)(x, idx, Tensor(np.array([[0.5, 1], [1, 1.5], [2, 2.5]],
                                                                             np.float32))), want)
    close(ops.vmap(ops.IndexAdd(0), (0, None, 1), 0)(x, idx, Tensor(np.array([[0.5, 1, 2], [1, 1.5, 2.5]],
                                                                             np.float32))), want)


def test_conv3d_primitive_and_its_gradients(fake):
    x, w = Tensor(X5), Tensor(W5)
    y = P.Conv3D(2, 2, pad_mode="pad", pad=(1, 0, 0, 1, 1, 1), stride=(1, 2, 1))(x, w)
    assert y.shape == (2, 2, 3, 2, 5)
    close(y.sum(), 5.5)
    close(y[0, 0, 0], [[3, -1.5, -2, -2.5, 1.5], [2, -2, -2.5, 0.5, 2]])
    gx, gw = ms.grad(lambda a, b: (P.Conv3D(2, 2, pad_mode="same")(a, b) ** 2).sum(), (0, 1))(x, w)
    close(gx.sum(), -50.5)
    close((gx ** 2).sum(), 66455.25)
    close(gw.reshape(-1), [-865, -314, 330, 334, 461, 2, -261, -294, 607, 778, -928, -487, 139, -39, 296, 142])


def test_pool3d_primitives_and_their_gradients(fake):
    x = Tensor(X5)
    mp = P.MaxPool3D(kernel_size=2, strides=(1, 2, 2), pad_mode="SAME")
    assert mp(x).shape == (2, 1, 3, 2, 2)
    close(mp(x)[0, 0, :, 0], [[3, 3], [3, 3], [2, 3]])
    g = ms.grad(lambda a: (mp(a) * a[:, :, :3, :2, :2]).sum())(x)
    close(g[0, 0, 0], [[3, 3, 0, 0], [3, 3, -2, 0], [0, 0, 0, 0], [0, 1, 0, 0]])
    ap = P.AvgPool3D(kernel_size=2, strides=1, pad_mode="same")
    close(ap(x)[0, 0, 2], [[0, 0.5, 0.125, -0.25], [0.25, -0.125, -0.5, -0.125], [0.5, 0.125, -0.25, 0],
                           [-0.125, 0.125, 0.375, 0.25]])
    close(ms.grad(lambda a: (ap(a) ** 2).sum())(x)[0, 0, 2],
          [[-0.03125, 0.09375, 0.1875, -0.03125], [0.125, 0.125, -0.125, -0.21875],
           [0.28125, 0.21875, -0.25, -0.09375], [-0.09375, -0.0625, 0.1875, 0.375]])
    a = P.AvgPool3D(kernel_size=2, strides=2, pad_mode="pad", pad=1, count_include_pad=False)(x)
    assert a.shape == (2, 1, 2, 3, 3)
    close(a[1, 0, 1], [[-1, 0.5, 2], [-0.25, 0.375, -0.75], [0.5, -1.5, 0]])
    with pytest.raises(ValueError, match=r"MaxPool3D: x must be 5-d \[N, C, D, H, W\]"):
        mp(Tensor(X))


def test_avg_pool1d_and_its_gradient(fake):
    x = Tensor(np.arange(14, dtype=np.float32).reshape(1, 2, 7) - 4)
    close(ops.avg_pool1d(x, 3, 2, 1), [[[-2.3333333, -2, 0, 1], [2.3333333, 5, 7, 5.6666665]]])
    close(ops.avg_pool1d(x, 3, 2, 1, count_include_pad=False), [[[-3.5, -2, 0, 1.5], [3.5, 5, 7, 8.5]]])
    close(ms.grad(lambda t: (ops.avg_pool1d(t, 3, 2, 1) ** 2).sum())(x),
          [[[-1.5555555, -2.8888888, -1.3333334, -1.3333334, 0, 0.6666667, 0.6666667],
            [1.5555555, 4.888889, 3.3333333, 8, 4.6666665, 8.444445, 3.7777777]]])


def test_3d_cells(fake):
    x = Tensor(X5)
    close(nn.MaxPool3d(kernel_size=2, stride=2, pad_mode="pad", padding=1)(x)[0, 0, :, :, 0], [[-3, 1, 2], [1, 3, -1]])
    close(nn.AvgPool3d(kernel_size=2, stride=1)(x)[1, 0, 0], [[0.375, -0.375, -0.25], [0, 0.125, 0.25],
                                                               [-0.375, -0.25, -0.125]])
    net = nn.Conv3d(1, 2, 2, has_bias=True, weight_init=Tensor(W5), bias_init="ones")
    assert net(x).shape == (2, 2, 3, 4, 4)
    close(net(x)[0, 1, 2], [[6, 6, -1, -1.5], [-4.5, -1, 6, 3.5], [6, -1, -4.5, -2], [0.5, 2, 3.5, 2]])


class MeanSquare(nn.Cell):
    def construct(self, out, label):
        return ((out - label) ** 2).mean()


def test_with_grad_cell_with_a_loss_and_with_sens(fake):
    x = Tensor(X5)
    net = nn.Conv3d(1, 2, 2, has_bias=True, weight_init=Tensor(W5), bias_init="ones")
    gw, gb = nn.WithGradCell(net, MeanSquare())(x, Tensor(np.zeros((2, 2, 3, 4, 4), np.float32)))
    close(gw.reshape(-1), [-4.5572915, -1.6458335, 1.6666667, 1.7083335, 2.4010415, 0.0416667, -1.453125,
                           -1.6145835, 3.109375, 4.041667, -4.885417, -2.5677085, 0.7239584, -0.1718751,
                           1.4479167, 0.65625])
    close(gb, [1.0572915, 1.0364583])
    gw, gb = nn.WithGradCell(net, None, Tensor(np.full((2, 2, 3, 4, 4), 0.5, np.float32)))(x)
    close(gw.reshape(-1), [-2.5, -0.5, -2.5, -1.5, 0, 1.5, -4.5, -4, -2.5, -0.5, -2.5, -1.5, 0, 1.5, -4.5, -4])
    close(gb, [48, 48])


def test_renorm_values_and_gradient(fake):
    x = Tensor(X)
    close(P.Renorm(2, 0, 5.0)(x), [[1, -2, 3], [-2.2792115, 2.8490143, -3.4188173]])
    close(ops.renorm(x, 1, 1, 4.0), [[0.8, -1.1428572, 1.3333334], [-3.2, 2.857143, -2.6666667]])
    close(ms.grad(lambda t: (P.Renorm(2, 0, 5.0)(t) * t).sum())(x), [[2, -4, 6], [-2.2792115, 2.8490143, -3.418817]])
    # MindSpore and torch.renorm agree here: the scale's own derivative is kept
    wts = Tensor(np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]], np.float32))
    close(ms.grad(lambda t: (ops.renorm(t, 1, 1, 4.0) * wts).sum())(x),
          [[1.6, 0.40816328, 0], [0.4, 0.16326532, 0]])


def test_renorm_of_complex_scales_by_the_modulus_norm(fake):
    z = np.array([[3 + 4j, 1 - 1j], [0.5j, -0.25]], np.complex64)
    norms = np.sqrt((np.abs(z) ** 2).sum(axis=1, keepdims=True))   # [[5.196], [0.559]]
    want = z * np.where(norms > 2.0, 2.0 / (norms + 1e-7), 1.0)   # NumPy, MindSpore's formula
    close(ops.renorm(Tensor(z), 2, 0, 2.0), want)


def test_lerp_class_and_module_paths(fake):
    from gradserve.ops.operations.math_ops import Lerp
    from gradserve.ops.operations.nn_ops import Dense
    x = Tensor(X)
    close(Lerp()(x, x * 0 + 1, Tensor(np.float32(0.25))), [[1, -1.25, 2.5], [-2.75, 4, -4.25]])
    close(Dense()(x, Tensor(np.ones((4, 3), np.float32)), Tensor(np.arange(4, dtype=np.float32))),
          [[2, 3, 4, 5], [-5, -4, -3, -2]])
    # MindSpore's test_dense_op.py: a 1-d w, and a 3-d x against NumPy
    close(ops.Dense()(Tensor(np.array([1., 2., 3.], np.float32)), Tensor(np.array([1., 2., 3.], np.float32)),
                      Tensor(np.float32(7))), 21)
    x3, w2 = np.arange(24, dtype=np.float32).reshape(2, 4, 3) / 10, np.arange(6, dtype=np.float32).reshape(2, 3)
    close(Dense()(Tensor(x3), Tensor(w2)), x3 @ w2.T)


def test_fast_gelu_and_its_gradient(fake):
    x = Tensor(X)
    want = [[8.4579575e-01, -6.4341374e-02, 2.9819288e+00], [-4.4147237e-03, 4.9989929e+00, -2.2035357e-04]]
    close(P.FastGeLU()(x), want)
    close(nn.FastGelu()(x), want)
    close(ms.grad(lambda t: ops.fast_gelu(t).sum())(x),
          [[1.0677797e+00, -7.3815353e-02, 1.0245483e+00], [-6.4018867e-03, 1.0015122e+00, -3.3830237e-04]])
    close(ops.fast_gelu(Tensor(np.array([-200.0, 200.0], np.float32))), [0, 200])  # no overflow


def test_lp_norm(fake):
    x = Tensor(X)
    close(P.LpNorm(axis=[0, 1], p=2)(x), 9.539392)
    close(P.LpNorm(axis=1, p=1, keep_dims=True)(x), [[6], [15]])
    close(P.LpNorm(axis=0, p=3)(x), [4.0207257, 5.104469, 6.240252])
    close(ms.grad(lambda t: P.LpNorm(axis=1, p=3)(t).sum())(x),
          [[0.09172019, -0.36688077, 0.8254818], [-0.29229176, 0.45670587, -0.65765643]])
    z = Tensor(np.zeros((2, 2), np.float32))
    close(P.LpNorm(axis=0, p=2)(z), [1e-12, 1e-12])
    close(ms.grad(lambda t: P.LpNorm(axis=0, p=2)(t).sum())(z), np.zeros((2, 2)))  # 0, not NaN


def test_smooth_l1_loss_log_softmax(fake):
    x = Tensor(X)
    close(nn.SmoothL1Loss(0.5)(x, Tensor(np.zeros((2, 3), np.float32))), [[0.75, 1.75, 2.75], [3.75, 4.75, 5.75]])
    close(nn.SmoothL1Loss(2.0, "mean")(x * 0.5, x * 0.1), 0.6)
    close(ms.grad(lambda t: nn.SmoothL1Loss(2.0, "sum")(t, x * 0.1))(x * 0.5), [[0.2, -0.4, 0.6], [-0.8, 1, -1]])
    close(nn.LogSoftmax(0)(x), [[-6.7139184e-03, -7.0009098e+00, -1.2194349e-04],
                                [-5.0067139e+00, -9.0998592e-04, -9.0001221e+00]])


def test_pad_cell_modes_and_gradients(fake):
    x = Tensor(X)
    close(nn.Pad(((1, 1), (2, 1)), "REFLECT")(x), [[-6, 5, -4, 5, -6, 5], [3, -2, 1, -2, 3, -2],
                                                   [-6, 5, -4, 5, -6, 5], [3, -2, 1, -2, 3, -2]])
    close(nn.Pad(((1, 0), (2, 1)), "SYMMETRIC")(x), [[-2, 1, 1, -2, 3, 3], [-2, 1, 1, -2, 3, 3],
                                                     [5, -4, -4, 5, -6, -6]])
    close(nn.Pad(((1, 0), (0, 1)))(x), [[0, 0, 0, 0], [1, -2, 3, 0], [-4, 5, -6, 0]])
    close(ms.grad(lambda t: (nn.Pad(((1, 1), (2, 1)), "REFLECT")(t) ** 2).sum())(x), [[4, -24, 24], [-16, 60, -48]])
    close(ms.grad(lambda t: (nn.Pad(((1, 0), (2, 1)), "SYMMETRIC")(t) ** 2).sum())(x), [[8, -16, 24], [-16, 20, -24]])
    with pytest.raises(ValueError, match="axis 0 of size 2 cannot take pads"):
        nn.Pad(((2, 0), (0, 0)), "REFLECT")(x)


def test_unique_needs_the_values(fake):
    y, idx = P.Unique()(Tensor(np.array([3, 1, 3, 2, 1], np.int32)))
    assert y.asnumpy().tolist() == [3, 1, 2] and idx.asnumpy().tolist() == [0, 1, 0, 2, 1]  # first-seen order
    # traced: read at this call's values (tests/clients/test_mindspore_value_reads.py); an exported graph has none
    with pytest.raises(TypeError, match="does not know"):
        ms.trace_graph(lambda t: ops.unique(t)[0].sum(), [np.array([1.0, 1.0, 2.0], np.float32)])
