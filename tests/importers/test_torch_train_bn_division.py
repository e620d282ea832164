"""torch.export programs that rounds 1-7 refused: a model in train() (batch norm by the batch's statistics;
the running statistics written back to the imported Cell's buffers after each call, as torch writes its own)
and torch.div with a rounding mode / floor_divide (floats as c10's div_floor_floating computes them, integers
exactly). Values, gradients and the buffers against torch; the train-mode model through the TorchScript
exporter with TrainingMode.TRAINING (ONNX BatchNormalization training_mode=1) too."""
import io

import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("fake")


class _Stem(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv, self.bn, self.bn1d = torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3, momentum=0.3), \
            torch.nn.BatchNorm1d(3)
        with torch.no_grad():  # running statistics away from their defaults, affine weights away from 1 / 0
            for bn in (self.bn, self.bn1d):
                bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2)
                bn.weight.uniform_(0.5, 1.5), bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        h = torch.relu(self.bn(self.conv(x)))
        return self.bn1d(h.mean((2, 3))) * h.amax((2, 3))


def _loss_of(net, c):
    return lambda x: ((net(x) * Tensor(c)) ** 2).sum()


def test_train_mode_batch_norm_values_and_running_statistics():
    model, x = _Stem().train(), torch.randn(4, 2, 6, 5, generator=torch.Generator().manual_seed(1))
    net = gs.from_torch(model, (x,))
    # import does not run the model; torch's buffers now are the imported ones
    y = net(Tensor(x.numpy()))
    want = model(x)  # one call: torch updates its buffers once, as the imported Cell just did
    np.testing.assert_allclose(y.asnumpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5)
    params = {p.name: p for p in net.get_parameters()}
    for name, buf in model.named_buffers():
        np.testing.assert_allclose(params[name].asnumpy(), buf.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    assert int(params["bn.num_batches_tracked"].asnumpy()) == 1

    # gradients of a train-mode model: the sweep's resnet_stem_batchnorm_train_mode (test_sweep_torch.py)


def test_train_mode_batch_norm_through_the_torchscript_exporter_in_training_mode():
    """TrainingMode.TRAINING writes BatchNormalization training_mode=1: the batch's statistics."""
    model, x = _Stem().train(), torch.randn(4, 2, 6, 5, generator=torch.Generator().manual_seed(3))
    f = io.BytesIO()
    torch.onnx.export(model, (x,), f, opset_version=17, dynamo=False, training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False)
    net = gs.from_onnx(f.getvalue())
    c = np.random.default_rng(4).uniform(0.5, 1.5, (4, 3)).astype(np.float32)
    gx = ops.grad(_loss_of(net, c), grad_position=0)(Tensor(x.numpy()))
    xt = x.clone().requires_grad_(True)
    out = model(xt)
    np.testing.assert_allclose(net(Tensor(x.numpy())).asnumpy(), out.detach().numpy(), rtol=1e-4, atol=1e-5)
    (tg,) = torch.autograd.grad(((out * torch.from_numpy(c)) ** 2).sum(), [xt])
    np.testing.assert_allclose(gx.asnumpy(), tg.numpy(), rtol=1e-3, atol=1e-4)


class _Div(torch.nn.Module):
    def forward(self, a, b, i, j):
        fl, tr = torch.div(a, b, rounding_mode="floor"), torch.div(a, b, rounding_mode="trunc")
        ints = torch.div(i, j, rounding_mode="floor") * 100 + torch.div(i, j, rounding_mode="trunc")
        return fl + tr * a, ints, i // 3, a // 2.5  # torch has no derivative of floor_divide: kept apart


def test_div_rounding_modes_and_floor_divide_as_torch_computes_them():
    rng = np.random.default_rng(5)
    # 0.3 // 0.1 is 2 in torch (fmod-based), 3 as floor(0.3 / 0.1) in float32: both kinds of element are here
    a = np.r_[rng.normal(size=30) * 5, [0.3, -0.3, 6.0, -6.0, 0.0, 1.0, 1e-3]].astype(np.float32)
    b = np.r_[rng.normal(size=30), [0.1, 0.1, 3.0, 3.0, -2.0, 0.7, -5.0]].astype(np.float32)
    i = rng.integers(-50, 50, 37)
    j = rng.integers(1, 8, 37) * rng.choice([-1, 1], 37)
    args = tuple(torch.tensor(v) for v in (a, b, i, j))
    net = gs.from_torch(_Div(), args)
    got = net(*(Tensor(v) for v in (a, b, i, j)))
    want = _Div()(*args)
    for g, w in zip(got, want):
        assert g.asnumpy().dtype == w.numpy().dtype
        np.testing.assert_array_equal(g.asnumpy(), w.numpy())
    naive = np.floor(a / b)
    assert not np.array_equal(naive, torch.div(args[0], args[1], rounding_mode="floor").numpy())
    # the quotients' derivative is zero (torch's): only tr * a's d/da = tr remains
    ga = ops.grad(lambda p, q: net(p, q, Tensor(i), Tensor(j))[0].sum(), grad_position=0)(Tensor(a), Tensor(b))
    at = args[0].clone().requires_grad_(True)
    (tg,) = torch.autograd.grad(_Div()(at, args[1], args[2], args[3])[0].sum(), [at])
    np.testing.assert_array_equal(ga.asnumpy(), tg.numpy())


class _BigDiv(torch.nn.Module):
    def forward(self, i, j):
        return torch.div(i, j, rounding_mode="floor"), torch.div(i, j, rounding_mode="trunc"), i // j


def test_int64_division_past_two_to_the_53_is_exact():
    """Through float64 alone the quotient rounds ((2^62 + 1) // 1 gave 2^62); torch's integer division is exact."""
    i = torch.tensor([2 ** 62 + 1, -(2 ** 62 + 1), 2 ** 63 - 1, -(2 ** 63) + 1, 9007199254740993, -7, 5, 2 ** 62])
    j = torch.tensor([1, 3, -2, 7, -1, 2, -(2 ** 62), -(2 ** 62) - 3])
    net = gs.from_torch(_BigDiv(), (i, j))
    for g, w in zip(net(Tensor(i.numpy()), Tensor(j.numpy())), _BigDiv()(i, j)):
        assert g.asnumpy().tolist() == w.numpy().tolist()
