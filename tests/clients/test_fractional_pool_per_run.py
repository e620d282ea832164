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


# name -> (the Cell pool, torch's function, input shape, kernel, output size); alpha = (in - k) / (out - 1) not
# whole (7/3, 9/4; 5/2, 7/3, 9/4): the windows move with the samples
CASES = {
    "2d": (nn.FractionalMaxPool2d, torch.nn.functional.fractional_max_pool2d, (2, 3, 10, 12), 3, (4, 5)),
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


def _regions(bounds, size, overlapping):
    """Each region's positions from its boundaries (overlapping: with its right boundary), by their definition."""
    return [list(range(a, min(b + overlapping, size))) for a, b in zip(bounds[:-1], bounds[1:])]


def _numpy_pool(x, rows, cols, overlapping, avg, dy):
    """NumPy's pool of x (NHWC) over the regions and its input gradient for the upstream dy: the mean spread
    evenly, or the max's to the region's first maximum (row-major)."""
    n, h, w, c = x.shape
    ri, ci = _regions(rows, h, overlapping), _regions(cols, w, overlapping)
    y, gx = np.zeros((n, len(ri), len(ci), c)), np.zeros(x.shape)
    for i, r in enumerate(ri):
        for j, q in enumerate(ci):
            block = x[:, r][:, :, q].reshape(n, -1, c)
            if avg:
                y[:, i, j] = block.mean(1)
                gx[:, r[0]:r[-1] + 1, q[0]:q[-1] + 1] += (dy[:, i, j] / block.shape[1])[:, None, None]
            else:
                y[:, i, j] = block.max(1)
                first = block.argmax(1)  # [n, c]
                for b in range(n):
                    for ch in range(c):
                        gx[b, r[first[b, ch] // len(q)], q[first[b, ch] % len(q)], ch] += dy[b, i, j, ch]
    return y, gx


@pytest.mark.parametrize("mode", ["graph", "pynative"])
@pytest.mark.parametrize("op,pseudo,overlapping", [
    (ops.FractionalMaxPool, False, False), (ops.FractionalMaxPool, True, True),
    (ops.FractionalAvgPool, False, True), (ops.FractionalAvgPool, True, False)])
def test_drawn_boundaries_are_per_run_and_pool_as_numpy(on_real_server, op, pseudo, overlapping, mode):
    gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
    x = RNG.standard_normal((2, 11, 13, 3)).astype(np.float32)
    pool = op([1.0, 1.6, 2.3, 1.0], pseudo_random=pseudo, overlapping=overlapping)
    y0 = pool(Tensor(x))[0]
    dy = RNG.standard_normal(y0.shape).astype(np.float32)

    class Step(nn.Cell):
        def __init__(self):
            super().__init__()
            self.pool, self.dy = pool, Tensor(dy)

        def construct(self, v):
            y, rows, cols = self.pool(v)
            return (y * self.dy).sum(), rows, cols

    class StepGrad(nn.Cell):  # (the loss, the boundaries it drew and the input's gradient from one run)
        def __init__(self):
            super().__init__()
            self.step = Step()

        def construct(self, v):
            return ops.value_and_grad(self.step, has_aux=True)(v)

    net = StepGrad()
    for _ in range(2):
        net(Tensor(x))
    traces = gs._trace.trace_stats()["traces"]
    seen = set()
    for _ in range(STEPS):
        (loss, rows, cols), gx = net(Tensor(x))
        rows, cols = rows.asnumpy(), cols.asnumpy()
        y_ref, gx_ref = _numpy_pool(x.astype(np.float64), rows, cols, overlapping, op is ops.FractionalAvgPool, dy)
        np.testing.assert_allclose(float(loss.asnumpy()), (y_ref * dy).sum(), rtol=1e-5)
        np.testing.assert_allclose(gx.asnumpy(), gx_ref, rtol=1e-5, atol=1e-6)
        seen.add(rows.tobytes() + cols.tobytes())
    assert gs._trace.trace_stats()["traces"] == traces
    assert len(seen) > STEPS // 2


@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_deterministic_boundaries_repeat_in_a_reused_trace_as_eagerly(on_real_server, mode):
    gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
    x = Tensor(RNG.standard_normal((1, 10, 12, 2)).astype(np.float32))
    pool = ops.FractionalAvgPool([1.0, 1.5, 1.7, 1.0], deterministic=True, seed=5, seed2=9)
    eager = [t.asnumpy() for t in pool(x)]

    class Step(nn.Cell):
        def __init__(self):
            super().__init__()
            self.pool = pool

        def construct(self, v):
            return self.pool(v)

    net = Step()
    for _ in range(2):
        net(x)
    traces = gs._trace.trace_stats()["traces"]
    for _ in range(4):
        for got, want in zip(net(x), eager):
            np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)
    assert gs._trace.trace_stats()["traces"] == traces
