"""nn.Conv2dTranspose / nn.Conv1dTranspose against torch's conv_transpose (values and gradients), with
MindSpore's output lengths: 'same' in * stride (the crop dk - stride split low = half, as Conv2D's 'same'),
'valid' (in - 1) * stride + dk or in * stride when the kernel is shorter than a stride, 'pad' explicit crops,
and output_padding as zeros appended to the result (MindSpore pads, it does not extend the convolution)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradserve import Tensor, nn, ops


def _torch_ref(x, w, b, stride, dil, crop, extra, out_pad, group):
    """torch's full transposed convolution, then crop / zero-extend to MindSpore's lengths."""
    y = F.conv_transpose2d(x, w, b, stride=stride, dilation=dil, groups=group)
    (t, bo), (l, r) = crop
    y = y[:, :, t:y.shape[2] - bo, l:y.shape[3] - r]
    return F.pad(y, (0, extra[1] + out_pad[1], 0, extra[0] + out_pad[0]))


@pytest.mark.parametrize("kw, crop, extra, out_pad", [
    (dict(kernel_size=3, stride=2, pad_mode="same"), [(0, 1), (0, 1)], (0, 0), (0, 0)),
    (dict(kernel_size=(4, 3), stride=1, pad_mode="same", has_bias=True), [(1, 2), (1, 1)], (0, 0), (0, 0)),
    (dict(kernel_size=3, stride=2, pad_mode="valid", dilation=2), [(0, 0), (0, 0)], (0, 0), (0, 0)),
    (dict(kernel_size=2, stride=3, pad_mode="valid"), [(0, 0), (0, 0)], (1, 1), (0, 0)),
    (dict(kernel_size=3, stride=2, pad_mode="pad", padding=(1, 0, 2, 1), output_padding=1, has_bias=True),
     [(1, 0), (2, 1)], (0, 0), (1, 1)),
    (dict(kernel_size=3, stride=2, pad_mode="same", group=2), [(0, 1), (0, 1)], (0, 0), (0, 0)),
])
def test_conv2d_transpose_matches_torch(fake, kw, crop, extra, out_pad):
    rng = np.random.default_rng(4)
    net = nn.Conv2dTranspose(4, 6, **kw)
    x = rng.standard_normal((2, 4, 5, 4)).astype(np.float32)
    w = net.weight.asnumpy()
    assert w.shape[:2] == (4, 6 // kw.get("group", 1))  # MindSpore's [in, out / group, kh, kw]
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = torch.tensor(net.bias.asnumpy()) if kw.get("has_bias") else None
    ty = _torch_ref(tx, tw, tb, net.stride if isinstance(net.stride, int) else tuple(net.stride),
                    kw.get("dilation", 1), crop, extra, out_pad, kw.get("group", 1))
    y = net(Tensor(x))
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    s, d, h = kw["stride"], kw.get("dilation", 1), x.shape[2]
    k = kw["kernel_size"] if isinstance(kw["kernel_size"], int) else kw["kernel_size"][0]
    if kw["pad_mode"] == "same":
        assert y.shape[2] == h * s
    elif kw["pad_mode"] == "valid":
        assert y.shape[2] == max((h - 1) * s + d * (k - 1) + 1, h * s)
    g = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    (ty * torch.tensor(g)).sum().backward()
    gx, gw = ops.grad(lambda a: (net(a) * Tensor(g)).sum(), 0, net.trainable_params())(Tensor(x))
    np.testing.assert_allclose(gx.asnumpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw[0].asnumpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv1d_transpose_matches_torch(fake):
    rng = np.random.default_rng(5)
    net = nn.Conv1dTranspose(3, 2, 3, stride=2, pad_mode="pad", padding=1)
    x = rng.standard_normal((2, 3, 6)).astype(np.float32)
    w = net.weight.asnumpy()
    assert w.shape == (3, 2, 1, 3)
    ref = F.conv_transpose1d(torch.tensor(x), torch.tensor(w[:, :, 0]), stride=2, padding=1)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


def test_conv_transpose_bad_arguments(fake):
    with pytest.raises(ValueError, match="pad_mode must be 'same', 'valid' or 'pad'"):
        nn.Conv2dTranspose(2, 2, 3, pad_mode="full")
    with pytest.raises(ValueError, match="pad_mode must be 'pad'"):
        nn.Conv2dTranspose(2, 2, 3, stride=2, output_padding=1)(Tensor(np.zeros((1, 2, 3, 3), np.float32)))
    with pytest.raises(ValueError, match=r"output_padding must be in \[0, max\(stride, dilation\)\)"):
        nn.Conv2dTranspose(2, 2, 3, pad_mode="pad", output_padding=1)(Tensor(np.zeros((1, 2, 3, 3), np.float32)))
