"""MindSpore's layout and box ops: pixel_shuffle / pixel_unshuffle, space_to_batch_nd / batch_to_space_nd,
max_unpool1d / 2d / 3d, bounding_box_encode / decode, bidense, BroadcastTo with -1. Expected values come from
MindSpore 2.10 (CPU, PyNative): the same calls run there, their results recorded here."""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops


def test_pixel_shuffle_and_its_inverse(fake):
    a = np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2)
    got = ops.pixel_shuffle(Tensor(a), 2)
    np.testing.assert_array_equal(got.asnumpy(), [[[[0, 4, 1, 5], [8, 12, 9, 13], [2, 6, 3, 7], [10, 14, 11, 15]]]])
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(got).asnumpy(), a)
    with pytest.raises(ValueError, match="divisible"):
        ops.pixel_shuffle(Tensor(np.zeros((3, 2, 2), np.float32)), 2)


def test_space_to_batch_nd_and_back(fake):
    x = np.arange(12, dtype=np.float32).reshape(1, 1, 2, 6)
    got = ops.space_to_batch_nd(Tensor(x), [1, 2], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(got.asnumpy(), [[[[0, 1, 3, 5], [0, 7, 9, 11]]], [[[0, 2, 4, 0], [6, 8, 10, 0]]]])
    back = ops.BatchToSpaceND([1, 2], [[0, 0], [1, 1]])(got)
    np.testing.assert_array_equal(back.asnumpy(), x)


def test_space_to_batch_nd_gradient_is_the_inverse_layout(fake):
    x = Tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    w = np.arange(16, dtype=np.float32).reshape(4, 1, 2, 2)
    g = ops.grad(lambda v: ops.sum(ops.SpaceToBatchND(2, [[0, 0], [0, 0]])(v) * Tensor(w)))(x)
    np.testing.assert_array_equal(g.asnumpy(), ops.batch_to_space_nd(Tensor(w), 2, [[0, 0], [0, 0]]).asnumpy())


def test_max_unpool(fake):
    got = ops.max_unpool2d(Tensor(np.array([[[[5., 7.]]]], np.float32)), Tensor(np.array([[[[1, 6]]]], np.int64)),
                           kernel_size=2, stride=2)
    np.testing.assert_array_equal(got.asnumpy(), [[[[0, 5, 0, 0], [0, 0, 7, 0]]]])  # MindSpore 2.10
    x = Tensor(np.array([[[[[7.]]]], [[[[15.]]]]], np.float32))
    out = nn.MaxUnpool3d(2, 1)(x, Tensor(np.array([[[[[7]]]], [[[[7]]]]], np.int64)), (2, 1, 2, 2, 2))
    assert out.shape == (2, 1, 2, 2, 2)
    np.testing.assert_array_equal(out.asnumpy().reshape(2, 8)[:, 7], [7, 15])
    with pytest.raises(ValueError, match="indices must lie"):
        ops.max_unpool1d(Tensor(np.ones((1, 1, 2), np.float32)), Tensor(np.array([[[0, 4]]], np.int64)), 2)


def test_bounding_boxes(fake):
    dec = ops.BoundingBoxDecode((768, 1280), means=(0.1, 0.1, 0.2, 0.2), stds=(2., 2., 3., 3.))(
        Tensor(np.array([[4, 1, 2, 1], [2, 2, 2, 3]], np.float32)), Tensor(np.array([[3, 1, 2, 2], [1, 2, 1, 4]],
                                                                                     np.float32)))
    np.testing.assert_allclose(dec.asnumpy(), [[28.65, 0, 0, 33.85], [0, 0, 15.866266, 72.7]], rtol=1e-5)
    enc = ops.bounding_box_encode(Tensor(np.array([[0, 0, 4, 4], [2, 2, 6, 8]], np.float32)),
                                  Tensor(np.array([[1, 1, 5, 6], [2, 3, 7, 7]], np.float32)),
                                  means=(0., 0.1, 0., 0.1), stds=(1., 2., 1., 2.))
    np.testing.assert_allclose(enc.asnumpy(), [[0.2, 0.1, 0.0, 0.04116080], [0.1, -0.05, 0.18232159, -0.21823610]],
                               rtol=1e-5, atol=1e-7)


def test_bidense_and_broadcast_to_minus_one(fake):
    got = ops.bidense(Tensor(np.array([[1., 2.]], np.float32)), Tensor(np.array([[3., -1., 2.]], np.float32)),
                      Tensor(np.arange(12, dtype=np.float32).reshape(2, 2, 3)), Tensor(np.array([0.5, -0.5], np.float32)))
    np.testing.assert_allclose(got.asnumpy(), [[33.5, 104.5]])  # MindSpore 2.10
    b = ops.BroadcastTo((2, -1, 3))(Tensor(np.array([[1.], [2.]], np.float32)))
    np.testing.assert_array_equal(b.asnumpy(), [[[1, 1, 1], [2, 2, 2]]] * 2)


def test_pool3d_indices_and_divisor_override(fake):
    x = np.arange(36, dtype=np.float32).reshape(1, 1, 6, 3, 2) % 7
    y = nn.AvgPool3d(kernel_size=2, stride=2, pad_mode="pad", padding=(0, 1, 0), divisor_override=3)(Tensor(x))
    np.testing.assert_allclose(y.asnumpy().ravel(), [7 / 3, 8, 20 / 3, 5, 4, 9], rtol=1e-6)  # MindSpore 2.10
    v, i = nn.MaxPool3d(kernel_size=2, stride=2, pad_mode="pad", return_indices=True)(Tensor(x))
    np.testing.assert_array_equal(v.asnumpy().ravel(), [6, 6, 6])
    np.testing.assert_array_equal(i.asnumpy().ravel(), [6, 13, 27])  # MindSpore 2.10
    with pytest.raises(ValueError, match="pad_mode must be 'pad'"):
        nn.MaxPool3d(kernel_size=2, return_indices=True)


def test_crop_and_resize(fake):
    # MindSpore 2.10's CropAndResize on the same inputs: a flipped box with samples outside (extrapolated),
    # a zero-size box, bilinear and nearest
    img = (np.arange(2 * 4 * 5 * 2) % 11).astype(np.float32).reshape(2, 4, 5, 2)
    boxes = Tensor(np.array([[0.1, 0.2, 0.9, 0.7], [0.8, 0.9, 0.0, -0.2], [0.3, 0.3, 0.3, 0.3]], np.float32))
    bi = Tensor(np.array([1, 0, 1], np.int32))
    bil = ops.CropAndResize("bilinear", 1.5)(Tensor(img), boxes, bi, (3, 2)).asnumpy()
    np.testing.assert_allclose(bil[:2].ravel(), [8.3, 9.3, 1.96, 2.3, 7.1, 8.1, 2.3, 2.2, 5.9, 6.9, 7.26, 2.1,
                                                 4.8, 5.8, 1.5, 1.5, 6.0, 7.0, 1.5, 1.5, 7.2, 8.2, 1.5, 1.5], rtol=1e-5)
    np.testing.assert_allclose(bil[2].reshape(-1, 2), [[8.28, 7.3]] * 6, rtol=1e-5)
    near = ops.crop_and_resize(Tensor(img), boxes, bi, (3, 2), method="nearest", extrapolation_value=1.5).asnumpy()
    np.testing.assert_array_equal(near[:2].ravel(), [9, 10, 2, 3, 7, 8, 0, 1, 6, 7, 10, 0,
                                                     6, 7, 1.5, 1.5, 7, 8, 1.5, 1.5, 8, 9, 1.5, 1.5])
    one = ops.crop_and_resize(Tensor(img.astype(np.uint8)), boxes, bi, (1, 3))
    assert one.dtype == np.float32 or str(one.dtype) == "Float32"
    np.testing.assert_allclose(one.asnumpy()[0].ravel(), [7.1, 8.1, 9.1, 5.7, 2.3, 2.2], rtol=1e-5)
