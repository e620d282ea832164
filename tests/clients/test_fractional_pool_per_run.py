"""Fractional pooling whose windows are drawn (no _random_samples given; FractionalMaxPool / FractionalAvgPool not
deterministic) inside a step: the draw is per-run data, so the step is traced once (no trace after the first two
calls) and each run draws new windows. Each run's output and input gradient equal PyTorch's fractional_max_pool2d /
3d given the samples that run drew: after the same set_seed, the k-th run draws what the k-th eager ops.rand call
draws (the one shared generator)."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, nn, ops
from gradserve.ops import GradOperation

STEPS = 10
RNG = np.random.default_rng(3)


class Pool(nn.Cell):
    """(pool(x) * dy).sum() and the pool's indices: the loss the gradient is taken of."""

    def __init__(self, pool, dy):
        super().__init__()
        self.pool, self.dy = pool, Tensor(dy)

    def construct(self, x):
        y, ind = self.pool(x)
        return (y * self.dy).sum(), ind


class Grad(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net, self.grad = net, GradOperation()

    def construct(self, x):
        return self.grad(lambda v: self.net(v)[0])(x)


def _torch(fn, x, k, out, samples, dy):
    xt = torch.tensor(x, requires_grad=True)
    y, ind = fn(xt, k, output_size=out, return_indices=True, _random_samples=torch.tensor(samples))
    loss = (y * torch.tensor(dy)).sum()
    loss.backward()
    return float(loss.detach()), ind.numpy(), xt.grad.numpy()


CASES = {  # name -> (the Cell pool, torch's function, input shape, kernel, output size)
    "2d": (nn.FractionalMaxPool2d, torch.nn.functional.fractional_max_pool2d, (2, 3, 10, 12), 3, (4, 5)),  # (alpha 7/3, 9/4: windows that move with u)
    "3d": (nn.FractionalMaxPool3d, torch.nn.functional.fractional_max_pool3d, (1, 2, 7, 9, 11), 2, (3, 4, 5)),
}


@pytest.mark.parametrize("mode", ["graph", "pynative"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_drawn_windows_are_per_run_and_match_torch(on_real_server, name, mode):
    gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
    cell, fn, shape, k, out = CASES[name]
    x = RNG.standard_normal(shape).astype(np.float32)
    dy = RNG.standard_normal(shape[:2] + out).astype(np.float32)
    net = Pool(cell(k, output_size=out, return_indices=True), dy)
    grad = Grad(net)
    for _ in range(2):
        net(Tensor(x)), grad(Tensor(x))
    gs.set_seed(21)
    traces = gs._trace.trace_stats()["traces"]
    runs = [(net(Tensor(x)), grad(Tensor(x)).asnumpy()) for _ in range(STEPS)]
    assert gs._trace.trace_stats()["traces"] == traces
    gs.set_seed(21)
    seen = set()
    for (loss, ind), gx in runs:
        for got in ((loss, ind), gx):  # (the forward's draw, then the gradient's own)
            samples = ops.rand(shape[0], shape[1], len(out)).asnumpy()
            ref_loss, ref_ind, ref_gx = _torch(fn, x, k, out, samples, dy)
            if got is gx:
                np.testing.assert_allclose(gx, ref_gx, rtol=1e-6, atol=1e-6)
            else:
                np.testing.assert_array_equal(ind.asnumpy(), ref_ind)
                np.testing.assert_allclose(float(loss.asnumpy()), ref_loss, rtol=1e-5)
                seen.add(ind.asnumpy().tobytes())
    assert len(seen) > STEPS // 2  # new windows drawn run by run (not one draw replayed)
