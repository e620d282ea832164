"""nn.Conv3dTranspose (MindSpore 2.x's, weight [in, out / group, kd, kh, kw]): values and gradients (x, weight,
bias) against torch.nn.functional.conv_transpose3d in float64, with MindSpore's output lengths; the value and
bias gradient literals are MindSpore 2.10's (CPU, /work/msvenv, ops.value_and_grad in PyNative) for the same
weights. Its 3-d output_padding extends the convolution as torch's does (bias included), unlike
nn.Conv2dTranspose's appended zeros: checked in MindSpore 2.10 for this task."""
import numpy as np
import pytest
import torch

from gradserve import Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

BIAS = np.array([0.1, -0.2, 0.3, 0.05], np.float32)
CASES = {  # name -> MindSpore kwargs, torch kwargs, torch output slice, MindSpore's shape, value, bias gradient
    "same-s2": (dict(pad_mode="same", stride=2), dict(stride=2), np.s_[:, :, 0:6, 0:6, 0:4], (2, 4, 6, 6, 4),
                0.34051722288131714, [-0.7200370, 6.5692134, 5.7742305, -2.1266556]),
    "pad-output_padding": (dict(pad_mode="pad", padding=1, stride=2, output_padding=(1, 0, 1)),
                           dict(stride=2, padding=1, output_padding=(1, 0, 1)), np.s_[...], (2, 4, 6, 5, 3),
                           10.686259269714355, [0.0101049, 0.0342297, 0.0582682, 0.0821565]),
    "valid-dilation-group": (dict(pad_mode="valid", stride=(2, 1, 1), dilation=(1, 2, 1), group=2),
                             dict(stride=(2, 1, 1), dilation=(1, 2, 1), groups=2), np.s_[...], (2, 4, 7, 7, 3),
                             19.062984466552734, [2.3586831, 2.1399302, 1.2990851, 0.0805826]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_conv3d_transpose_matches_torch_and_mindspore(name):
    ms_kw, torch_kw, crop, shape_ms, value_ms, gb_ms = CASES[name]
    group = ms_kw.get("group", 1)
    x = np.cos(np.arange(2 * 2 * 3 * 3 * 2) * 0.3).reshape(2, 2, 3, 3, 2).astype(np.float32)
    w = (np.sin(np.arange(2 * (4 // group) * 3 * 3 * 2) * 0.37) * 0.5).reshape(2, 4 // group, 3, 3, 2) \
        .astype(np.float32)
    net = nn.Conv3dTranspose(2, 4, (3, 3, 2), has_bias=True, weight_init=Tensor(w), bias_init=Tensor(BIAS),
                             **ms_kw)
    wout = np.sin(np.arange(int(np.prod(shape_ms))) * 0.21).reshape(shape_ms).astype(np.float32)

    def f(x):
        return (net(x) * Tensor(wout)).sum()

    value, (gx, (gw, gb)) = ops.value_and_grad(f, 0, net.trainable_params())(Tensor(x))
    xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, BIAS))
    yt = torch.nn.functional.conv_transpose3d(xt, wt, bt, **torch_kw)[crop]
    assert tuple(yt.shape) == shape_ms
    (yt * torch.tensor(wout, dtype=torch.float64)).sum().backward()
    y = net(Tensor(x)).asnumpy()
    assert y.shape == shape_ms
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(value.asnumpy(), value_ms, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gx.asnumpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw.asnumpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gb.asnumpy(), gb_ms, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gb.asnumpy(), bt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv3d_transpose_argument_errors_as_mindspore():
    with pytest.raises(ValueError, match="the depth of parameter 'dilation' must be 1, but got 2"):
        nn.Conv3dTranspose(2, 4, 3, dilation=(2, 1, 1))
    x = Tensor(np.ones((1, 2, 3, 3, 2), np.float32))
    with pytest.raises(ValueError, match="output_padding"):
        nn.Conv3dTranspose(2, 4, 3, stride=2, pad_mode="same", output_padding=1)(x)
    with pytest.raises(ValueError, match="output_padding"):
        nn.Conv3dTranspose(2, 4, 3, stride=1, pad_mode="pad", output_padding=1)(x)
    with pytest.raises(ValueError, match="5-d"):
        nn.Conv3dTranspose(2, 4, 3)(Tensor(np.ones((1, 2, 3, 3), np.float32)))
    assert nn.Conv3dTranspose(2, 4, (3, 3, 2), group=2).weight.shape == (2, 2, 3, 3, 2)
