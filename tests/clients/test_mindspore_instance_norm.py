"""nn.InstanceNorm1d / 2d / 3d (MindSpore 2.x's): values and gradients (x, gamma, beta) against
torch.nn.functional.instance_norm (MindSpore 2.10's CPU build has no InstanceNorm kernel, so it cannot be the
reference here), and MindSpore 2.10's argument errors and parameters (checked in /work/msvenv for this task)."""
import numpy as np
import pytest
import torch

from gradserve import Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

CASES = {"InstanceNorm1d": (2, 3, 5), "InstanceNorm2d": (2, 3, 4, 3), "InstanceNorm3d": (2, 3, 2, 3, 2)}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("train", [True, False])
def test_instance_norm_matches_torch(name, train):
    shape = CASES[name]
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    gamma, beta = np.array([0.5, -1.2, 2.0], np.float32), np.array([0.1, 0.0, -0.3], np.float32)
    wout = rng.standard_normal(shape).astype(np.float32)
    net = getattr(nn, name)(3, eps=1e-3, gamma_init=Tensor(gamma), beta_init=Tensor(beta))
    net.set_train(train)  # instance statistics either way

    def f(x):
        return (net(x) * Tensor(wout)).sum()

    value, (gx, (g_gamma, g_beta)) = ops.value_and_grad(f, 0, net.trainable_params())(Tensor(x))
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    gt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (gamma, beta))
    yt = torch.nn.functional.instance_norm(xt, weight=gt, bias=bt, eps=1e-3)
    (yt * torch.tensor(wout, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(value.asnumpy(), (yt * torch.tensor(wout, dtype=torch.float64)).sum().item(),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gx.asnumpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g_gamma.asnumpy(), gt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g_beta.asnumpy(), bt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(net.moving_mean.asnumpy(), np.zeros(3))


def test_instance_norm_parameters_and_errors_as_mindspore():
    net = nn.InstanceNorm2d(3, affine=False)
    assert [(p.name, p.requires_grad) for p in net.get_parameters()] == \
        [("mean", False), ("variance", False), ("gamma", False), ("beta", False)]
    assert net.trainable_params() == []
    x = np.arange(24, dtype=np.float32).reshape(1, 3, 2, 4) ** 1.5
    mean, var = x.mean((2, 3), keepdims=True), x.var((2, 3), keepdims=True)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="For 'InstanceNorm2d', the in_shape must have 4 dims, but got 3"):
        net(Tensor(np.ones((2, 3, 4), np.float32)))
    with pytest.raises(TypeError, match="the type of 'num_features' should be 'int', but got type 'float'"):
        nn.InstanceNorm2d(3.0)
    with pytest.raises(TypeError, match="'eps' should be 'float'"):
        nn.InstanceNorm1d(3, eps=1)
    with pytest.raises(ValueError, match=r"'momentum' must be a number in range \[0, 1\], but got 1.5"):
        nn.InstanceNorm3d(3, momentum=1.5)
    with pytest.raises(ValueError, match="'num_features' must be at least 1"):
        nn.InstanceNorm2d(0)
    with pytest.raises(TypeError, match="track_running_stats"):
        nn.InstanceNorm2d(3, track_running_stats=True)
