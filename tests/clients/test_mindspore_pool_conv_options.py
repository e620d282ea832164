"""Conv* / MaxPool* / AvgPool* options as MindSpore 2.10 (CPU, /work/msvenv) takes them: data_format (its
default, never None), pad_mode's case (any for the pools and 3-D convolutions, lower case only under Conv2D),
ceil_mode, count_include_pad, divisor_override, dilation, the 1-D / 3-D cells, nn.AvgPool1d with pad_mode 'pad'.
Expected values: MindSpore 2.10's outputs for the same inputs (printed by its run, copied here as literals)."""
import inspect

import numpy as np
import pytest

from gradserve import Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

X1 = np.arange(10, dtype=np.float32).reshape(1, 2, 5)
X2 = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4)
X3 = np.arange(54, dtype=np.float32).reshape(1, 2, 3, 3, 3)


@pytest.mark.parametrize("make", [
    lambda: ops.MaxPool(2, 2, data_format=None), lambda: ops.AvgPool(2, 2, data_format=None),
    lambda: ops.Conv2D(3, 2, data_format=None), lambda: ops.Conv3D(1, 2, data_format=None),
    lambda: ops.MaxPool3D(2, 1, data_format=None), lambda: ops.AvgPool3D(2, 1, data_format=None),
    lambda: ops.MaxPool(2, 2, data_format="nchw"), lambda: nn.Conv2d(2, 1, 2, data_format="nchw"),
    lambda: nn.Conv2d(2, 3, 2, data_format=None), lambda: nn.Conv3d(2, 1, 2, data_format=None),
    lambda: nn.MaxPool2d(2, 2, data_format=None), lambda: nn.AvgPool2d(2, 2, data_format=None),
    lambda: nn.AvgPool2d(2, 2, pad_mode="pad", padding=1, data_format=None)])
def test_data_format_none_is_a_value_error(make):
    """MindSpore: "For 'MaxPool', the 'format' must be str and must be in '['NCHW', 'NHWC']', but got 'None'."
    (a ValueError for each of these; ops.AvgPool's is a TypeError there, its argument parser's)."""
    with pytest.raises((ValueError, TypeError), match="format"):
        make()


def test_data_format_defaults_are_mindspores():
    for cls, fmt in ((ops.Conv2D, "NCHW"), (ops.Conv3D, "NCDHW"), (ops.MaxPool, "NCHW"), (ops.AvgPool, "NCHW"),
                     (ops.MaxPool3D, "NCDHW"), (ops.AvgPool3D, "NCDHW"), (nn.Conv2d, "NCHW"), (nn.Conv3d, "NCDHW"),
                     (nn.MaxPool2d, "NCHW"), (nn.AvgPool2d, "NCHW")):
        assert inspect.signature(cls.__init__).parameters["data_format"].default == fmt, cls


@pytest.mark.parametrize("make", [
    lambda: ops.Conv2D(3, 2, pad_mode="VALID"), lambda: ops.Conv2D(3, 2, pad_mode="Same"),
    lambda: nn.Conv2d(2, 3, 2, pad_mode="VALID"), lambda: nn.Conv2d(2, 1, 2, pad_mode="Pad", padding=1),
    lambda: nn.Conv1d(2, 1, 2, pad_mode="VALID"), lambda: nn.Conv2dTranspose(2, 1, 2, pad_mode="VALID"),
    lambda: nn.Conv1dTranspose(2, 1, 2, pad_mode="VALID")])
def test_conv2d_family_takes_lower_case_pad_mode_only(make):
    """MindSpore: "For 'Conv2D', the 'pad_mode' must be str and must be in '['valid', 'same', 'pad']', but got
    'VALID'." (ValueError)."""
    with pytest.raises(ValueError, match="pad_mode"):
        make()


def test_functional_conv2d_and_conv1d_take_lower_case_pad_mode_only():
    with pytest.raises(ValueError, match="pad_mode"):
        ops.conv2d(Tensor(X2), Tensor(np.ones((3, 2, 2, 2), np.float32)), pad_mode="VALID")
    with pytest.raises(ValueError, match="pad_mode"):
        ops.conv1d(Tensor(X1), Tensor(np.ones((3, 2, 2), np.float32)), pad_mode="VALID")


def test_3d_convolutions_and_pools_take_any_case():
    w3 = Tensor(np.ones((1, 2, 2, 2, 2), np.float32))
    conv3 = [[[[[320.0, 336.0], [368.0, 384.0]], [[464.0, 480.0], [512.0, 528.0]]]]]  # MindSpore's
    np.testing.assert_allclose(ops.conv3d(Tensor(X3), w3, pad_mode="VALID").asnumpy(), conv3)
    np.testing.assert_allclose(ops.Conv3D(1, 2, pad_mode="VALID")(Tensor(X3), w3).asnumpy(), conv3)
    np.testing.assert_allclose(nn.Conv3d(2, 1, 2, pad_mode="VALID", weight_init="ones")(Tensor(X3)).asnumpy(), conv3)
    assert nn.Conv3d(2, 1, 2, pad_mode="Same")(Tensor(X3)).shape == (1, 1, 3, 3, 3)
    np.testing.assert_allclose(ops.MaxPool(2, 2, pad_mode="VALID")(Tensor(X2)).asnumpy(),
                               [[[[5, 7], [13, 15]], [[21, 23], [29, 31]]]])
    np.testing.assert_allclose(ops.MaxPool(3, 2, pad_mode="Same")(Tensor(X2)).asnumpy(),
                               [[[[10, 11], [14, 15]], [[26, 27], [30, 31]]]])
    np.testing.assert_allclose(nn.AvgPool2d(3, 2, pad_mode="Same")(Tensor(X2)).asnumpy(),
                               [[[[5, 6.5], [11, 12.5]], [[21, 22.5], [27, 28.5]]]])
    np.testing.assert_allclose(ops.AvgPool3D(2, 1, pad_mode="VALID")(Tensor(X3)).asnumpy(),
                               [[[[[6.5, 7.5], [9.5, 10.5]], [[15.5, 16.5], [18.5, 19.5]]],
                                 [[[33.5, 34.5], [36.5, 37.5]], [[42.5, 43.5], [45.5, 46.5]]]]])
    np.testing.assert_allclose(nn.MaxPool1d(2, 1, pad_mode="VALID")(Tensor(X1)).asnumpy(),
                               [[[1, 2, 3, 4], [6, 7, 8, 9]]])


def test_avg_pool1d_pad_mode_pad():
    """nn.AvgPool1d(3, 2, pad_mode='pad', padding=1) and its count_include_pad / ceil_mode; 'PAD' as 'pad'."""
    x = Tensor(X1)
    third = 1 / 3
    np.testing.assert_allclose(nn.AvgPool1d(3, 2, pad_mode="pad", padding=1)(x).asnumpy(),
                               [[[third, 2, 7 * third], [11 * third, 7, 17 * third]]], rtol=1e-6)
    np.testing.assert_allclose(nn.AvgPool1d(3, 2, pad_mode="pad", padding=1, count_include_pad=False)(x).asnumpy(),
                               [[[0.5, 2, 3.5], [5.5, 7, 8.5]]], rtol=1e-6)
    np.testing.assert_allclose(nn.AvgPool1d(3, 2, pad_mode="pad", padding=1, ceil_mode=True)(x).asnumpy(),
                               [[[third, 2, 7 * third], [11 * third, 7, 17 * third]]], rtol=1e-6)
    np.testing.assert_allclose(nn.AvgPool1d(3, 2, pad_mode="VALID")(x).asnumpy(), [[[1, 3], [6, 8]]])
    np.testing.assert_allclose(nn.AvgPool1d(3, 2, pad_mode="same")(x).asnumpy(), [[[0.5, 2, 3.5], [5.5, 7, 8.5]]])
    # MindSpore: nn.AvgPool1d(2, 1, pad_mode="PAD", padding=1) -> shape (1, 2, 6) (the padding is used)
    np.testing.assert_allclose(nn.AvgPool1d(2, 1, pad_mode="PAD", padding=1)(x).asnumpy(),
                               [[[0, 0.5, 1.5, 2.5, 3.5, 2], [2.5, 5.5, 6.5, 7.5, 8.5, 4.5]]])


def test_pool_dilation_ceil_mode_and_divisor():
    x1, x2, x3 = Tensor(X1), Tensor(X2), Tensor(X3)
    np.testing.assert_allclose(nn.MaxPool1d(2, 1, pad_mode="pad", padding=1, dilation=2)(x1).asnumpy(),
                               [[[1, 2, 3, 4, 3], [6, 7, 8, 9, 8]]])
    np.testing.assert_allclose(nn.MaxPool1d(2, 2, pad_mode="pad", padding=0, ceil_mode=True)(x1).asnumpy(),
                               [[[1, 3, 4], [6, 8, 9]]])
    np.testing.assert_allclose(nn.MaxPool2d(2, 1, pad_mode="pad", padding=1, dilation=2)(x2).asnumpy(),
                               [[[[5, 6, 7, 6], [9, 10, 11, 10], [13, 14, 15, 14], [9, 10, 11, 10]],
                                 [[21, 22, 23, 22], [25, 26, 27, 26], [29, 30, 31, 30], [25, 26, 27, 26]]]])
    np.testing.assert_allclose(nn.AvgPool2d(2, 2, pad_mode="pad", padding=1, divisor_override=3)(x2).asnumpy(),
                               [[[[0, 1, 1], [4, 10, 6], [4, 9, 5]],
                                 [[16 / 3, 35 / 3, 19 / 3], [44 / 3, 94 / 3, 50 / 3], [28 / 3, 59 / 3, 31 / 3]]]],
                               rtol=1e-5)
    np.testing.assert_allclose(
        nn.AvgPool2d(3, 2, pad_mode="pad", padding=1, ceil_mode=True, count_include_pad=False)(x2).asnumpy(),
        [[[[2.5, 4, 5], [8.5, 10, 11], [12.5, 14, 15]], [[18.5, 20, 21], [24.5, 26, 27], [28.5, 30, 31]]]])
    np.testing.assert_allclose(nn.AvgPool3d(2, 1, divisor_override=3)(x3).asnumpy(),
                               [[[[[52 / 3, 20], [76 / 3, 28]], [[124 / 3, 44], [148 / 3, 52]]],
                                 [[[268 / 3, 92], [292 / 3, 100]], [[340 / 3, 116], [364 / 3, 124]]]]], rtol=1e-5)
    pooled = nn.MaxPool3d(2, 1, pad_mode="pad", padding=1, dilation=2)(x3).asnumpy()
    np.testing.assert_allclose(pooled[0, 0, 0], [[13, 14, 13], [16, 17, 16], [13, 14, 13]])
    np.testing.assert_allclose(pooled[0, 1, 1], [[49, 50, 49], [52, 53, 52], [49, 50, 49]])
    avg3 = nn.AvgPool3d(2, 1, pad_mode="pad", padding=1, count_include_pad=False)(x3).asnumpy()
    assert avg3.shape == (1, 2, 4, 4, 4)
    np.testing.assert_allclose(avg3[0, 0, 0], [[0, 0.5, 1.5, 2], [1.5, 2, 3, 3.5], [4.5, 5, 6, 6.5], [6, 6.5, 7.5, 8]])


@pytest.mark.parametrize("make", [
    lambda: nn.MaxPool2d(2, 2, pad_mode="same", ceil_mode=True), lambda: nn.MaxPool2d(2, 1, dilation=2),
    lambda: nn.MaxPool2d(2, 1, return_indices=True), lambda: nn.MaxPool1d(2, 2, ceil_mode=True),
    lambda: nn.MaxPool1d(2, 1, dilation=2), lambda: nn.AvgPool1d(2, 1, pad_mode="valid", padding=1),
    lambda: nn.MaxPool3d(2, 1, pad_mode="valid", padding=1)])
def test_max_pool_options_need_pad_mode_pad(make):
    """MindSpore: "For MaxPool2d, the parameter 'padding', 'dilation', 'return_indices', 'ceil_mode' can not be
    set to non-default value when pad_mode is not 'pad'" (ValueError); a padding without 'pad' likewise."""
    with pytest.raises(ValueError, match="pad"):
        make()


def test_upper_case_pad_mode_pad_in_the_pools():
    """MindSpore takes 'PAD' as 'pad' in the pools: MaxPool3d(2, 1, 'PAD', padding=1, dilation=2) -> shape
    (1, 2, 3, 3, 3) summing to 1665; AvgPool3d(2, 1, 'PAD', padding=1) -> (1, 2, 4, 4, 4) summing to 1431;
    MaxPool1d(2, 1, 'PAD', padding=1, dilation=2) -> (1, 2, 5) summing to 51."""
    out = nn.MaxPool3d(2, 1, pad_mode="PAD", padding=1, dilation=2)(Tensor(X3)).asnumpy()
    assert out.shape == (1, 2, 3, 3, 3) and out.sum() == 1665
    out = nn.AvgPool3d(2, 1, pad_mode="PAD", padding=1)(Tensor(X3)).asnumpy()
    assert out.shape == (1, 2, 4, 4, 4)
    np.testing.assert_allclose(out.sum(), 1431, rtol=1e-6)
    out = nn.MaxPool1d(2, 1, pad_mode="PAD", padding=1, dilation=2)(Tensor(X1)).asnumpy()
    assert out.shape == (1, 2, 5) and out.sum() == 51
    out = nn.AvgPool1d(2, 2, ceil_mode=True)(Tensor(X1)).asnumpy()  # (ceil_mode without 'pad': AvgPool's is taken)
    np.testing.assert_allclose(out, [[[0.5, 2.5, 4], [5.5, 7.5, 9]]])
