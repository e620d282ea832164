"""ops.ScaleAndTranslate against MindSpore 2.10 CPU (/work/msvenv: ops.ScaleAndTranslate and mindspore.grad on the
same input): every kernel, with and without antialias, an upscale-and-downscale and a downscale-and-upscale with
translations: the output's sum and sum of squares and the sum of squares of the gradient of its sum w.r.t. the
images (every element compared, during the port, to 2e-6). Plus properties any resampler has (identity at scale 1;
constant images stay constant inside) and MindSpore's errors."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

CONFIGS = [((7, 4), (1.4, 0.7), (0.3, -0.5)), ((3, 9), (0.5, 1.6), (0.0, 0.25))]
MINDSPORE = {  # (kernel, antialias, config): (sum y, sum y^2, sum dx^2)
    ("lanczos1", True, 0): (1.03283, 76.7772, 184.85), ("lanczos1", True, 1): (-6.28776, 62.348, 166.533),
    ("lanczos1", False, 0): (2.50835, 110.176, 213.144), ("lanczos1", False, 1): (-6.67938, 75.452, 170.256),
    ("lanczos3", True, 0): (0.68481, 80.8588, 183.156), ("lanczos3", True, 1): (-7.0962, 72.5043, 174.217),
    ("lanczos3", False, 0): (1.10546, 135.472, 189.907), ("lanczos3", False, 1): (-8.34809, 136.576, 184.075),
    ("lanczos5", True, 0): (0.714966, 87.4675, 186.719), ("lanczos5", True, 1): (-7.28121, 80.4718, 174.542),
    ("lanczos5", False, 0): (1.53784, 143.443, 190.568), ("lanczos5", False, 1): (-8.87277, 160.292, 186.83),
    ("gaussian", True, 0): (0.138706, 40.5656, 175.609), ("gaussian", True, 1): (-5.48292, 33.3755, 160.957),
    ("gaussian", False, 0): (1.24849, 60.8718, 184.867), ("gaussian", False, 1): (-6.62491, 57.1213, 170.132),
    ("box", True, 0): (2.57672, 128.978, 220.5), ("box", True, 1): (-6.50277, 87.9478, 180),
    ("box", False, 0): (2.33238, 136.242, 252), ("box", False, 1): (-6.50277, 87.9478, 180),
    ("triangle", True, 0): (0.255393, 50.601, 176.126), ("triangle", True, 1): (-5.96018, 42.0302, 164.725),
    ("triangle", False, 0): (1.88494, 81.5961, 192.285), ("triangle", False, 1): (-6.95892, 66.3164, 172.078),
    ("keyscubic", True, 0): (0.72722, 70.4039, 180.718), ("keyscubic", True, 1): (-6.657, 60.9519, 170.908),
    ("keyscubic", False, 0): (1.80135, 116.608, 196.355), ("keyscubic", False, 1): (-7.67639, 100.342, 178.747),
    ("mitchellcubic", True, 0): (0.405272, 53.0947, 177.684), ("mitchellcubic", True, 1): (-6.0869, 45.1331, 165.595),
    ("mitchellcubic", False, 0): (1.44214, 84.6558, 189.224), ("mitchellcubic", False, 1): (-7.21581, 77.2777, 174.671),
}


def _args(size, scale, tr):
    return (Tensor(np.array(size, np.int32)), Tensor(np.array(scale, np.float32)), Tensor(np.array(tr, np.float32)))


def test_every_kernel_matches_mindspore(fake):
    x = Tensor(np.random.default_rng(2).standard_normal((2, 5, 6, 3)).astype(np.float32))  # (MindSpore's input)
    for (kernel, antialias, config), want in MINDSPORE.items():
        op, args = ops.ScaleAndTranslate(kernel, antialias), _args(*CONFIGS[config])
        y = op(x, *args).asnumpy()
        g = gs.grad(lambda t: op(t, *args).sum())(x).asnumpy()
        assert y.dtype == np.float32 and y.shape == (2, *CONFIGS[config][0], 3)
        np.testing.assert_allclose([y.sum(), (y * y).sum(), (g * g).sum()], want, rtol=2e-5, atol=2e-5,
                                   err_msg=f"{kernel} antialias={antialias} config {config}")


@pytest.mark.parametrize("kernel", ["triangle", "keyscubic", "lanczos3", "box"])
def test_resampler_properties(fake, kernel):
    x = np.random.default_rng(4).standard_normal((1, 4, 5, 2)).astype(np.float32)
    same = ops.ScaleAndTranslate(kernel)(Tensor(x), *_args((4, 5), (1.0, 1.0), (0.0, 0.0))).asnumpy()
    np.testing.assert_allclose(same, x, atol=1e-6)  # at scale 1 every output pixel sits on an input pixel
    flat = ops.ScaleAndTranslate(kernel)(Tensor(np.full((1, 4, 5, 1), 2.5, np.float32)),
                                         *_args((6, 3), (1.5, 0.6), (0.0, 0.0))).asnumpy()
    np.testing.assert_allclose(flat, 2.5, rtol=1e-6)  # normalized weights: a constant image stays constant


def test_errors_follow_mindspore(fake):
    x = Tensor(np.zeros((1, 3, 3, 1), np.float32))
    with pytest.raises(ValueError, match="'kernel_type' must be str and must be in.*but got 'cubic'"):
        ops.ScaleAndTranslate("cubic")
    with pytest.raises(ValueError, match=r"attribute\[size\] should be a vector with all positive item"):
        ops.ScaleAndTranslate()(x, *_args((0, 3), (1.0, 1.0), (0.0, 0.0)))
    with pytest.raises(ValueError, match=r"attribute\[scale\] should be a vector with all positive item"):
        ops.ScaleAndTranslate()(x, *_args((3, 3), (0.0, 1.0), (0.0, 0.0)))
    with pytest.raises(ValueError, match="rank' must be equal to 4, but got 3"):
        ops.ScaleAndTranslate()(Tensor(np.zeros((3, 3, 1), np.float32)), *_args((3, 3), (1.0, 1.0), (0.0, 0.0)))
    with pytest.raises(TypeError, match=r"argument\[images\].*UInt8|uint8"):
        ops.ScaleAndTranslate()(Tensor(np.zeros((1, 3, 3, 1), np.uint8)), *_args((3, 3), (1.0, 1.0), (0.0, 0.0)))


@pytest.mark.parametrize("antialias, size, scale, translation, want", [  # MindSpore 2.10 CPU (/work/msvenv)
    (True, 3, 0.6, 0.3, [[1, 0, 0, 0, 0, 0], [0, 0.5, 0.5, 0, 0, 0], [0, 0, 0, 2 / 3, 1 / 3, 0]]),
    (False, 8, 1.7, -0.2, [[1, 0, 0, 0, 0, 0], [2 / 3, 1 / 3, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0],
                           [0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0]]),
])
def test_box_kernel_edge_within_float32_rounding_is_a_half(fake, antialias, size, scale, translation, want):
    """A tap whose float32 distance lands within one float32 epsilon of the box's edge 0.5 (0.5000001 here) weighs
    0.5 in MindSpore's kernel, as exactly 0.5 does (300 random float32 scales / translations: all agree with a
    tolerance of eps, 14-32 differ with none). Read off one-hot rows: channel j holds input row j."""
    img = np.eye(6, dtype=np.float32).reshape(1, 6, 1, 6)
    y = ops.ScaleAndTranslate("box", antialias)(Tensor(img), Tensor(np.array([size, 1], np.int32)),
                                                Tensor(np.array([scale, 1], np.float32)),
                                                Tensor(np.array([translation, 0], np.float32)))
    np.testing.assert_allclose(y.asnumpy()[0, :, 0, :], want, atol=1e-6)
