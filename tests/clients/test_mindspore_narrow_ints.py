"""mindspore.int8 / int16 / uint8 (images arrive as uint8): tensors keep their dtype end to end, arithmetic
wraps and promotes as MindSpore 2.10's, and gradients follow the project's integer rule (test_mindspore_ints):
the values recorded here came from MindSpore 2.10 (CPU, PyNative) running the same programs."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

NARROW = [(np.int8, gs.int8), (np.int16, gs.int16), (np.uint8, gs.uint8)]
MS_NAMES = {np.int8: "Int8", np.int16: "Int16", np.uint8: "UInt8"}  # str(mindspore.int8) ... in MindSpore 2.10


@pytest.mark.parametrize("npt, mst", NARROW)
def test_narrow_ints_keep_their_dtype(fake, npt, mst):
    t = Tensor(np.array([1, 2, 3], npt))
    assert t.dtype == mst and str(mst) == MS_NAMES[npt]
    assert Tensor([1, 2], mst).asnumpy().dtype == npt
    out = ops.cast(Tensor(np.array([1.7, 2.2], np.float32)), mst)
    assert out.dtype == mst
    np.testing.assert_array_equal(out.asnumpy(), [1, 2])
    # MindSpore 2.10: d sum(cast(x, float32)^2) / dx = [2, 4] for every integer dtype
    g = ops.grad(lambda x: ops.sum(ops.cast(x, gs.float32) ** 2))(Tensor(np.array([1, 2], npt)))
    assert g.dtype == mst
    np.testing.assert_array_equal(g.asnumpy(), [2, 4])


def test_uint8_image_normalised_in_the_program(fake):
    img = (np.arange(24) * 10).astype(np.uint8).reshape(2, 3, 4)
    w = Tensor(np.float32(0.5))
    gi, gw = ops.grad(lambda x, v: ops.sum(ops.cast(x, gs.float32) / 255.0 * v), (0, 1))(Tensor(img), w)
    assert gi.dtype == gs.uint8
    np.testing.assert_array_equal(gi.asnumpy(), np.zeros_like(img))  # MindSpore 2.10: 0.5 / 255 truncated
    np.testing.assert_allclose(float(gw.asnumpy()), img.astype(np.float64).sum() / 255, rtol=1e-6)


def test_wrapping_and_promotion(fake):
    a = Tensor(np.array([200], np.uint8))
    np.testing.assert_array_equal((a + Tensor(np.array([100], np.uint8))).asnumpy(), [44])  # MindSpore 2.10
    mixed = a + Tensor(np.array([100], np.int8))
    assert mixed.dtype == gs.int16
    np.testing.assert_array_equal(mixed.asnumpy(), [300])  # MindSpore 2.10


def test_narrow_ints_on_the_server(on_real_server_each_transport):
    """UINT8 / INT8 / INT16 through the real codecs (REST binary and JSON, gRPC contents)."""
    img = Tensor((np.arange(6) * 40).astype(np.uint8).reshape(2, 3))
    out = ops.cast(img, gs.float32) / 255.0
    np.testing.assert_allclose(out.asnumpy(), (np.arange(6) * 40).reshape(2, 3) / 255.0, rtol=1e-6)
    for npt in (np.int8, np.int16, np.uint8):
        g = gs.grad(lambda x: ops.sum(ops.cast(x, gs.float32) ** 2))(Tensor(np.array([1, 2], npt)))
        assert g.asnumpy().dtype == npt
        np.testing.assert_array_equal(g.asnumpy(), [2, 4])
