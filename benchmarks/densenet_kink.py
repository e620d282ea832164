"""densenet121's gradient mismatch (benchmarks/IMPORT_ZOO.md): a ReLU kink or our bug? Decided in float64.

Finds the pre-ReLU unit nearest zero (torch float64, relative to its tensor's scale); then at the zoo's input x
and at x moved along that unit's input gradient so that the unit sits at +1e-4 and at -1e-4 (either side of its
kink) compares central finite differences of torch's and of our float64 forward along a random direction with
torch's and our float64 / float32 gradients. Run with torchvision beside gradserve (benchmarks/model_zoo_sweep.py
says how; ~10 min on a loaded 2-core box):
    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests:/work/impextra python -m benchmarks.densenet_kink
"""
from __future__ import annotations

import copy

import httpx
import numpy as np
import torch

import gradserve as gs
from benchmarks.model_zoo_sweep import _widened, distinct_weights
from benchmarks.zoo_models import tv
from clients._fake_server import FakeServer
from gradserve import Tensor, ops
from importers.sweep import WeightedSumSq

LOSS_WEIGHTS = np.random.default_rng(5).uniform(0.5, 1.5, (1, 1000))
STEP = 1e-6  # finite-difference step along a direction of norm ~55 (the 3x32x32 input)


def pre_relu_values(model) -> dict:
    """Each nn.ReLU's input, recorded on every forward (cloned: densenet's ReLUs work in place)."""
    seen: dict = {}
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.ReLU):
            mod.register_forward_pre_hook(lambda m, inp, name=name: seen.__setitem__(name, inp[0].clone()))
    return seen


def torch_loss(model, z):
    return ((model(z) * torch.from_numpy(LOSS_WEIGHTS).to(z.dtype)) ** 2).sum() / 2


def torch_grad(model, z) -> np.ndarray:
    z = z.clone().requires_grad_(True)
    return torch.autograd.grad(torch_loss(model, z), z)[0].numpy()


def our_grad(net, z) -> np.ndarray:
    c = LOSS_WEIGHTS.astype(z.numpy().dtype)
    return ops.grad(WeightedSumSq(net, [c], 1), grad_position=0)(Tensor(z.numpy())).asnumpy()


def our_loss(net, z) -> float:
    return float(((net(Tensor(z.numpy())).asnumpy() * LOSS_WEIGHTS) ** 2).sum() / 2)


def rel(got, want) -> float:
    return float(np.abs(np.asarray(got, np.float64) - want).max() / np.abs(want).max())


def along(g, v) -> float:
    return float((np.asarray(g, np.float64) * v.numpy()).sum())


def main():
    gs.set_context(server="http://fake", http_transport=httpx.MockTransport(FakeServer()), max_retries=0)
    model, (x,) = tv("densenet121")()
    distinct_weights(model)
    m64, x64 = _widened(copy.deepcopy(model)), x.double()
    pre = pre_relu_values(m64)
    with torch.no_grad():
        m64(x64)
    _, layer, idx = min((float(t.abs().min() / t.abs().max()), n, int(t.abs().argmin())) for n, t in pre.items())
    print(f"nearest pre-ReLU unit: {layer} [{idx}] = {pre[layer].reshape(-1)[idx].item():+.3e} "
          f"(its tensor's scale {float(pre[layer].abs().max()):.2f})")
    xg = x64.clone().requires_grad_(True)
    m64(xg)
    d = torch.autograd.grad(pre[layer].reshape(-1)[idx], xg)[0]
    step = 1e-4 * d / (d * d).sum()  # moves that unit by 1e-4
    net32, net64 = gs.from_torch(model, (x,)), gs.from_torch(m64, (x64,))
    v = torch.from_numpy(np.random.default_rng(7).standard_normal(x.shape))
    at_x = None
    for label, z in (("x", x64), ("x+ (unit at +1e-4)", x64 + step), ("x- (unit at -1e-4)", x64 - step)):
        with torch.no_grad():
            m64(z)
            fd_torch = (torch_loss(m64, z + STEP * v) - torch_loss(m64, z - STEP * v)).item() / (2 * STEP)
        fd_ours = (our_loss(net64, z + STEP * v) - our_loss(net64, z - STEP * v)) / (2 * STEP)
        gt64, go64 = torch_grad(m64, z), our_grad(net64, z)
        gt32, go32 = torch_grad(model, z.float()), our_grad(net32, z.float())
        print(f"== at {label}: the unit {pre[layer].reshape(-1)[idx].item():+.3e}")
        print(f"  along v: finite differences torch f64 {fd_torch:.10e}, ours f64 {fd_ours:.10e}; gradients "
              f"torch f64 {along(gt64, v):.10e}, ours f64 {along(go64, v):.10e}, torch f32 {along(gt32, v):.6e}, "
              f"ours f32 {along(go32, v):.6e}")
        print(f"  input gradient against torch f64 here: ours f64 {rel(go64, gt64):.1e}, ours f32 "
              f"{rel(go32, gt64):.1e}, torch f32 {rel(gt32, gt64):.1e}")
        if at_x is None:
            at_x = (go32, gt32)
        else:
            print(f"  float32 gradients taken at x against torch f64 here: ours {rel(at_x[0], gt64):.1e}, "
                  f"torch {rel(at_x[1], gt64):.1e}")


if __name__ == "__main__":
    main()
