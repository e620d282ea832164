"""ops.fractional_max_pool2d / nn.FractionalMaxPool2d / ops.FractionalMaxPoolWithFixedKsize against PyTorch's
fractional_max_pool2d given the same random samples: values, indices and the input gradient (torch autograd)."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, context, nn, ops
from gradserve.ops import GradOperation

RNG = np.random.default_rng(0)


def _torch(x, k, out, ratio, samples, dy):
    xt = torch.tensor(x, requires_grad=True)
    y, ind = torch.nn.functional.fractional_max_pool2d(xt, k, output_size=out, output_ratio=ratio,
                                                       return_indices=True, _random_samples=torch.tensor(samples))
    (y * torch.tensor(dy)).sum().backward()
    return y.detach().numpy(), ind.numpy(), xt.grad.numpy()


@pytest.mark.parametrize("shape,k,out,ratio", [
    ((2, 3, 9, 11), 3, (4, 5), None),  # overlapping windows
    ((1, 2, 10, 10), 2, None, (0.5, 0.5)),
    ((2, 1, 7, 12), (2, 3), (6, 5), None),
    ((1, 2, 5, 6), 2, 1, None),  # one output: the last window only
])
@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_values_indices_and_gradient_match_torch(fake, shape, k, out, ratio, mode):
    gs.set_context(mode=mode)
    x = RNG.standard_normal(shape).astype(np.float32)
    samples = RNG.random((shape[0], shape[1], 2)).astype(np.float32)
    y_shape = _torch(x, k, out, ratio, samples, np.float32(1))[0].shape
    dy = RNG.standard_normal(y_shape).astype(np.float32)  # (an upstream gradient that is not all ones)
    y_ref, ind_ref, gx_ref = _torch(x, k, out, ratio, samples, dy)
    pool = nn.FractionalMaxPool2d(k, output_size=out, output_ratio=ratio, return_indices=True,
                                  _random_samples=Tensor(samples))
    y, ind = pool(Tensor(x))
    np.testing.assert_array_equal(y.asnumpy(), y_ref)
    np.testing.assert_array_equal(ind.asnumpy(), ind_ref)
    assert ind.dtype == gs.int64

    class Loss(nn.Cell):
        def __init__(self):
            super().__init__()
            self.pool = nn.FractionalMaxPool2d(k, output_size=out, output_ratio=ratio, _random_samples=Tensor(samples))

        def construct(self, v):
            return (self.pool(v) * Tensor(dy)).sum()

    np.testing.assert_allclose(GradOperation()(Loss())(Tensor(x)).asnumpy(), gx_ref, rtol=1e-6, atol=1e-6)


def test_unbatched_input_and_the_fixed_ksize_primitive(fake):
    x = RNG.standard_normal((3, 8, 8)).astype(np.float32)
    samples = RNG.random((1, 3, 2)).astype(np.float32)
    yt, it = torch.nn.functional.fractional_max_pool2d(torch.tensor(x), 2, output_size=(5, 4), return_indices=True,
                                                       _random_samples=torch.tensor(samples))
    y = ops.fractional_max_pool2d(Tensor(x), 2, output_size=(5, 4), _random_samples=Tensor(samples))
    np.testing.assert_array_equal(y.asnumpy(), yt.numpy())
    y4, i4 = ops.FractionalMaxPoolWithFixedKsize(2, (5, 4))(Tensor(x[None]), Tensor(samples))
    np.testing.assert_array_equal(y4.asnumpy(), yt.numpy()[None])
    np.testing.assert_array_equal(i4.asnumpy(), it.numpy()[None])


def test_drawn_samples_give_a_valid_pooling(fake):
    x = RNG.standard_normal((1, 1, 9, 9)).astype(np.float32)
    y = ops.fractional_max_pool2d(Tensor(x), 2, output_size=(4, 4)).asnumpy()
    assert y.shape == (1, 1, 4, 4)
    assert set(y.ravel()) <= set(x.ravel())  # each output one of the input's values


@pytest.mark.parametrize("kwargs,match", [
    ({"output_size": (9, 4)}, "output height"),
    ({}, "output_size' or 'output_ratio"),
    ({"output_ratio": 1.5}, "output_ratio"),
    ({"output_size": 4, "_random_samples": Tensor(np.zeros((1, 2, 2), np.float32))}, r"shape \[1, 1, 2\]"),
    ({"output_size": 4, "_random_samples": Tensor(np.ones((1, 1, 2), np.float32))}, r"\[0, 1\)"),
])
def test_bad_arguments_are_named(fake, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ops.fractional_max_pool2d(Tensor(np.zeros((1, 1, 8, 8), np.float32)), 2, **kwargs)


def regions_ref(x, rows, cols, overlapping, reduce=np.max):
    """NumPy: y[n, i, j, c] = max (or `reduce`) of x over the rows rows[i]..rows[i+1] (inclusive when
    overlapping) and the columns likewise, clipped to the input (MindSpore's documented FractionalMaxPool /
    FractionalAvgPool)."""
    n, h, w, c = x.shape
    e = 1 if overlapping else 0
    y = np.empty((n, len(rows) - 1, len(cols) - 1, c), x.dtype)
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            y[:, i, j] = reduce(x[:, rows[i]:min(rows[i + 1] + e, h), cols[j]:min(cols[j + 1] + e, w)], axis=(1, 2))
    return y


@pytest.mark.parametrize("pseudo_random", [False, True])
@pytest.mark.parametrize("overlapping", [False, True])
def test_fractional_max_pool_regions_and_gradient(fake, pseudo_random, overlapping):
    x = RNG.standard_normal((2, 10, 13, 3)).astype(np.float32)
    pool = ops.FractionalMaxPool([1.0, 1.5, 1.7, 1.0], pseudo_random, overlapping, deterministic=True, seed=7)
    y, rows, cols = pool(Tensor(x))
    rows, cols = rows.asnumpy(), cols.asnumpy()
    assert rows.dtype == np.int64 and len(rows) == int(10 / 1.5) + 1 and len(cols) == int(13 / 1.7) + 1
    assert rows[0] == 0 and rows[-1] == 10 and cols[0] == 0 and cols[-1] == 13
    assert np.all(np.diff(rows) >= 1) and np.all(np.diff(cols) >= 1)
    if not pseudo_random:  # each region size // out or one more
        assert set(np.diff(rows)) <= {10 // 6, 10 // 6 + 1} and set(np.diff(cols)) <= {13 // 7, 13 // 7 + 1}
    np.testing.assert_array_equal(y.asnumpy(), regions_ref(x, rows, cols, overlapping))

    # the gradient: the upstream value of each region at its maximum (x has no ties), added where regions overlap
    dy = RNG.standard_normal(y.shape).astype(np.float32)

    class Loss(nn.Cell):
        def __init__(self):
            super().__init__()
            self.pool = ops.FractionalMaxPool([1.0, 1.5, 1.7, 1.0], pseudo_random, overlapping, deterministic=True,
                                              seed=7)

        def construct(self, v):
            out, r, c = self.pool(v)
            return (out * Tensor(dy)).sum(), r, c

    _, r2, c2 = Loss()(Tensor(x))  # (deterministic: every call draws the boundaries the gradient's draw has)
    g = GradOperation()(Loss())(Tensor(x)).asnumpy()
    r2, c2 = r2.asnumpy(), c2.asnumpy()
    want = np.zeros_like(x)
    e = 1 if overlapping else 0
    for b in range(2):
        for ch in range(3):
            for i in range(len(r2) - 1):
                for j in range(len(c2) - 1):
                    r0, r1, q0, q1 = r2[i], min(r2[i + 1] + e, 10), c2[j], min(c2[j + 1] + e, 13)
                    blk = x[b, r0:r1, q0:q1, ch]
                    a, bb = np.unravel_index(np.argmax(blk), blk.shape)
                    want[b, r0 + a, q0 + bb, ch] += dy[b, i, j, ch]
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-6)


def test_fractional_max_pool_bad_ratio(fake):
    with pytest.raises(ValueError, match="pooling_ratio"):
        ops.FractionalMaxPool([1.0, 0.5, 2.0, 1.0])


@pytest.mark.parametrize("name", ["FractionalMaxPool", "FractionalAvgPool"])
def test_fractional_pool_seed_rule_follows_mindspore(fake, name):
    # MindSpore 2.10: deterministic draws the same boundaries at every call; a seed without it is refused
    x = Tensor(RNG.standard_normal((1, 20, 20, 1)).astype(np.float32))
    pool = getattr(ops, name)([1.0, 1.5, 1.7, 1.0], deterministic=True, seed=3, seed2=4)
    first = pool(x)[1].asnumpy()
    for _ in range(2):
        np.testing.assert_array_equal(pool(x)[1].asnumpy(), first)
    with pytest.raises(ValueError, match="both 'seed' and 'seed2' must be 0 if 'deterministic' is false"):
        getattr(ops, name)([1.0, 1.5, 1.7, 1.0], seed=3)(x)
