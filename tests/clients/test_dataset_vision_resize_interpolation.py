"""dataset.vision.Resize's interpolation: MindSpore 2.10's Inter.NEAREST is OpenCV's INTER_NEAREST (source index
floor(dst * in / out)); the literal row is MindSpore 2.10's output (run in /work/msvenv for this test). An
interpolation not implemented here is refused, not replaced by bilinear; a non-Inter value is MindSpore's
TypeError."""
import numpy as np
import pytest

from gradserve.dataset import vision
from gradserve.dataset.vision import Inter

IMG = np.arange(7 * 9 * 3, dtype=np.uint8).reshape(7, 9, 3)


def test_resize_nearest_is_opencvs_inter_nearest():
    out = vision.Resize((4, 13), Inter.NEAREST)(IMG)
    rows, cols = np.floor(np.arange(4) * 7 / 4).astype(int), np.floor(np.arange(13) * 9 / 13).astype(int)
    np.testing.assert_array_equal(out, IMG[rows][:, cols])
    assert out[0, :, 0].tolist() == [0, 0, 3, 6, 6, 9, 12, 12, 15, 18, 18, 21, 24]  # MindSpore 2.10
    assert out.dtype == np.uint8


def test_resize_linear_names_and_default_agree():
    want = vision.Resize((4, 13))(IMG)
    # MindSpore 2.10's row (OpenCV's fixed-point uint8 arithmetic; here float then rounded: within 1)
    assert np.abs(want[0, :, 0].astype(int) - [10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34]).max() <= 1
    for inter in (Inter.LINEAR, Inter.BILINEAR):
        np.testing.assert_array_equal(vision.Resize((4, 13), inter)(IMG), want)


def test_resize_refuses_what_it_does_not_implement():
    with pytest.raises(ValueError, match="BICUBIC"):
        vision.Resize((4, 13), Inter.BICUBIC)
    with pytest.raises(TypeError, match="interpolation"):
        vision.Resize((4, 13), "nearest")
