"""nn.Conv1d / Conv2d / Conv3d (and the transposes) check their arguments when built, with MindSpore's error classes
(mindspore/nn/layer/conv.py's _Conv and its Validator, as MindSpore's tests/ut/python/nn/test_conv.py checks):
a value out of range is a ValueError, a non-int a TypeError."""
import numpy as np
import pytest
import torch

from gradserve import Tensor, nn

LAYERS = [(nn.Conv1d, 3), (nn.Conv2d, 3), (nn.Conv3d, 3), (nn.Conv2dTranspose, 3), (nn.Conv1dTranspose, 3)]


@pytest.mark.parametrize("layer,k", LAYERS, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("bad,what", [
    ({"pad_mode": "sane"}, "pad_mode"),
    ({"out_channels": 0}, "out_channels"),
    ({"in_channels": -2}, "in_channels"),
    ({"group": -1}, "group"),
    ({"group": 0}, "group"),
    ({"dilation": -1}, "dilation"),
    ({"stride": 0}, "stride"),
    ({"padding": -1, "pad_mode": "pad"}, "padding"),
    ({"padding": 1, "pad_mode": "same"}, "padding"),
    ({"group": 2}, "divisible"),  # in_channels 3
], ids=lambda v: str(v))
def test_bad_argument_is_a_value_error(layer, k, bad, what):
    args = dict(in_channels=3, out_channels=4, kernel_size=k)
    args.update(bad)
    with pytest.raises(ValueError, match=what):
        layer(**args)


@pytest.mark.parametrize("bad", [{"out_channels": 2.0}, {"group": True}, {"kernel_size": 1.5}])
def test_a_non_int_is_a_type_error(bad):
    args = dict(in_channels=3, out_channels=4, kernel_size=3)
    args.update(bad)
    with pytest.raises(TypeError):
        nn.Conv2d(**args)


def test_valid_arguments_still_build_and_run(fake):
    x = np.random.default_rng(0).standard_normal((1, 4, 6, 6)).astype(np.float32)
    conv = nn.Conv2d(4, 6, 3, stride=1, pad_mode="pad", padding=1, dilation=1, group=2)
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(conv.weight.asnumpy()), padding=1, groups=2)
    np.testing.assert_allclose(conv(Tensor(x)).asnumpy(), ref.numpy(), rtol=1e-5, atol=1e-5)
