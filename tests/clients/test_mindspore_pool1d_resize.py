"""nn.MaxPool1d / AvgPool1d, nn.BatchNorm3d, ops.ResizeBilinearV2 and ops.ApplyAdamWithAmsgrad(V2): expected values
printed by MindSpore 2.10 on CPU (its venv, /work/wt/_msvenv) for the same inputs."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, context, nn, ops

X = np.array([[[1, 5, 2, 8, 3, 7, 4]], [[9, 0, 6, 1, 5, 2, 3]]], np.float32)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_max_pool1d_values_and_indices(on_real_server, mode):
    context.set_context(mode=mode)
    x = Tensor(X)
    assert nn.MaxPool1d(3, 2)(x).asnumpy().tolist() == [[[5.0, 8.0, 7.0]], [[9.0, 6.0, 5.0]]]
    v, i = nn.MaxPool1d(2, 1, pad_mode="pad", padding=1, return_indices=True)(x)
    assert v.asnumpy().tolist() == [[[1, 5, 5, 8, 8, 7, 7, 4]], [[9, 9, 6, 6, 5, 5, 3, 3]]]
    assert i.asnumpy().tolist() == [[[0, 1, 1, 3, 3, 5, 5, 6]], [[0, 0, 2, 2, 4, 4, 6, 6]]]
    assert nn.MaxPool1d(3, 2, pad_mode="same")(x).asnumpy().tolist() == [[[5, 8, 8, 7]], [[9, 6, 5, 3]]]
    assert nn.MaxPool1d(3, 2)(Tensor(X[0])).asnumpy().tolist() == [[5.0, 8.0, 7.0]]  # [C, L] input


def test_avg_pool1d_padding_forms(on_real_server):
    x = Tensor(X)
    cases = [(nn.AvgPool1d(3, 2), [[[2.6666667, 4.3333335, 4.6666665]], [[5.0, 4.0, 3.3333333]]]),
             (nn.AvgPool1d(3, 2, pad_mode="same"), [[[3.0, 5.0, 6.0, 5.5]], [[4.5, 2.3333333, 2.6666667, 2.5]]]),
             (nn.AvgPool1d(3, 2, pad_mode="pad", padding=1),
              [[[2.0, 5.0, 6.0, 3.6666667]], [[3.0, 2.3333333, 2.6666667, 1.6666666]]]),
             (nn.AvgPool1d(3, 2, pad_mode="pad", padding=1, count_include_pad=False),
              [[[3.0, 5.0, 6.0, 5.5]], [[4.5, 2.3333333, 2.6666667, 2.5]]])]
    for cell, want in cases:
        np.testing.assert_allclose(cell(x).asnumpy(), want, rtol=1e-6)


def test_batchnorm3d_train_then_eval(on_real_server):
    xb = np.arange(2 * 2 * 2 * 2 * 3, dtype=np.float32).reshape(2, 2, 2, 2, 3) ** 1.3
    bn = nn.BatchNorm3d(2)
    bn.set_train(True)
    y = bn(Tensor(xb)).asnumpy()
    np.testing.assert_allclose(y[0, 0, 0, 0], [-1.229447, -1.202604, -1.163351], rtol=1e-5)
    np.testing.assert_allclose(y[1, 1, 1, 1], [1.274356, 1.366293, 1.458832], rtol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), [4.5800996, 8.4343605], rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.asnumpy(), [145.71495, 207.0514], rtol=1e-5)
    bn.set_train(False)
    y = bn(Tensor(xb)).asnumpy()
    np.testing.assert_allclose(y[0, 0, 0, 0], [-0.379422, -0.296581, -0.175443], rtol=1e-5)
    np.testing.assert_allclose(y[1, 1, 1, 1], [9.211837, 9.495830, 9.781678], rtol=1e-5)
    with pytest.raises(ValueError, match="rank 4"):
        bn(Tensor(xb[0]))


@pytest.mark.parametrize("flags, first_row, corner", [
    ((False, False), [0.0, 1.60948, 4.40691], 22.62742),
    ((True, False), [0.0, 1.91421, 5.19615], 22.62742),
    ((False, True), [0.16667, 1.91421, 4.80153], 23.35618),
])
def test_resize_bilinear_v2_coordinate_rules(on_real_server, flags, first_row, corner):
    x = Tensor(np.arange(2 * 1 * 3 * 4, dtype=np.float32).reshape(2, 1, 3, 4) ** 1.5)
    out = ops.ResizeBilinearV2(align_corners=flags[0], half_pixel_centers=flags[1])(x, (5, 3)).asnumpy()
    assert out.shape == (2, 1, 5, 3)
    np.testing.assert_allclose(out[0, 0, 0], first_row, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[0, 0, 4, 0], corner, rtol=1e-5)
    assert ops.ResizeBilinearV2()(x, Tensor(np.array([2, 6], np.int32))).shape == (2, 1, 2, 6)


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_apply_adam_with_amsgrad_updates_in_place(on_real_server, version):
    def p(v, name):
        return Parameter(Tensor(np.array(v, np.float32)), name=name)

    var, m = p([[0.2, 0.2], [0.2, 0.2]], "var"), p([[0.1, 0.2], [0.4, 0.3]], "m")
    v, vhat = p([[0.2, 0.1], [0.3, 0.4]], "v"), p([[0.1, 0.2], [0.6, 0.2]], "vhat")
    g = Tensor(np.array([[0.4, 0.2], [0.2, 0.3]], np.float32))
    f32 = np.float32
    if version == "V1":
        out = ops.ApplyAdamWithAmsgrad(beta1=0.8, beta2=0.99, epsilon=1e-6)(var, m, v, vhat, Tensor(f32(0.9)),
                                                                          Tensor(f32(0.999)), Tensor(f32(0.01)), g)
    else:
        out = ops.ApplyAdamWithAmsgradV2()(var, m, v, vhat, Tensor(f32(0.9)), Tensor(f32(0.999)), Tensor(f32(0.01)),
                                           Tensor(f32(0.8)), Tensor(f32(0.99)), Tensor(f32(1e-6)), g)
    want_var = [[0.19886751, 0.19858581], [0.19853032, 0.19849417]]
    want_vhat = [[0.1996, 0.2], [0.6, 0.3969]]
    np.testing.assert_allclose(out[0].asnumpy(), want_var, rtol=1e-6)
    np.testing.assert_allclose(out[2].asnumpy(), [[0.1996, 0.0994], [0.2974, 0.3969]], rtol=1e-5)
    np.testing.assert_allclose(var.asnumpy(), want_var, rtol=1e-6)
    np.testing.assert_allclose(vhat.asnumpy(), want_vhat, rtol=1e-5)
    np.testing.assert_allclose(m.asnumpy(), [[0.16, 0.2], [0.36, 0.3]], rtol=1e-6)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_apply_adam_with_amsgrad_v2_takes_python_numbers_in_a_construct(on_real_server, mode):
    context.set_context(mode=mode)

    class Net(nn.Cell):  # MindSpore's own test's form: the scalars are Python floats
        def __init__(self):
            super().__init__()
            self.op = ops.ApplyAdamWithAmsgradV2()
            self.var = Parameter(Tensor(np.full((2, 2), 0.2, np.float32)), name="var")
            self.m = Parameter(Tensor(np.array([[0.1, 0.2], [0.4, 0.3]], np.float32)), name="m")
            self.v = Parameter(Tensor(np.array([[0.2, 0.1], [0.3, 0.4]], np.float32)), name="v")
            self.vhat = Parameter(Tensor(np.array([[0.1, 0.2], [0.6, 0.2]], np.float32)), name="vhat")

        def construct(self, grad):
            return self.op(self.var, self.m, self.v, self.vhat, 0.9, 0.999, 0.01, 0.8, 0.999, 1e-8, grad)

    net = Net()
    net(Tensor(np.array([[0.4, 0.2], [0.2, 0.3]], np.float32)))
    np.testing.assert_allclose(net.var.asnumpy(), [[0.19886853, 0.1985858], [0.19853032, 0.19849943]], rtol=1e-6)


def test_linear_resizes_refuse_integer_input(fake):
    # MindSpore 2.10 (its venv): ResizeBilinearV2 and nn.Upsample('bilinear' / 'area') of an int32 / uint8
    # image are TypeErrors (no kernel); here the weights were cast to the integer dtype, truncated to 0 / 1:
    # [[0, 0, 0, 0, 0, 0, 3], [0, ...], ...] for arange(12) resized to 5 x 7
    img = np.arange(12).reshape(1, 1, 3, 4)
    for dt in (np.int32, np.uint8):
        with pytest.raises(TypeError, match="float"):
            ops.ResizeBilinearV2()(Tensor(img.astype(dt)), (5, 7))
        with pytest.raises(TypeError, match="float"):
            nn.Upsample(size=(5, 7), mode="bilinear")(Tensor(img.astype(dt)))
