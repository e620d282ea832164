"""Channel dropout (ops.Dropout2D / Dropout3D, ops.dropout2d / dropout3d) and ops.UniformCandidateSampler.

Randomness: MindSpore's own bits are not reproduced (another generator), so these tests check the rules (whole
channels kept or dropped, the kept ones scaled by 1 / keep_prob, the mask's dtype and shape, integer inputs
truncated, a new draw on every run of one compiled graph, one seed drawing alike) and the rates. The fixed
numbers are MindSpore 2.10's (CPU), run for this task: Dropout2D(0.4) of int32 3s gives 7 (3 / 0.4 truncated)
and a bool mask; UniformCandidateSampler's expected counts are num_sampled / range_max when no draw repeated
(3 of 4 unique: 0.75; 5 of 4 with repeats allowed: 1.25).

Also ops.randn / randn_like / rand / randint inside a traced function (a VAE's reparameterisation): drawn anew on
each run, not refused. MindSpore 2.10 (its venv, GRAPH_MODE, run for this task): value_and_grad(has_aux) of
sum(m + exp(v / 2) * randn_like(m)) gives a new eps each call and d/dv = eps / 2 at v = 0; a construct's rand(4)
and randint(0, 3, (4,)) differ between two calls, int64.
"""
import math

import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, context, nn, ops


def _channels(a, spatial):
    return a.reshape(int(np.prod(a.shape[:-spatial])), -1)


@pytest.mark.parametrize("op, shape, spatial", [(ops.Dropout2D, (40, 8, 3, 4), 2), (ops.Dropout3D, (40, 8, 2, 3, 2), 3)])
def test_channel_dropout_keeps_whole_channels_at_the_rate(on_real_server, op, shape, spatial):
    gs.set_seed(3)
    x = np.random.default_rng(0).uniform(1, 2, shape).astype(np.float32)  # no zeros
    out, mask = op(keep_prob=0.7)(Tensor(x))
    out, mask = out.asnumpy(), mask.asnumpy()
    assert mask.dtype == np.bool_ and mask.shape == x.shape
    per_channel = _channels(mask, spatial)
    assert (per_channel.all(1) | ~per_channel.any(1)).all()  # each channel all kept or all dropped
    np.testing.assert_allclose(out, np.where(mask, x / 0.7, 0), rtol=1e-6)
    assert abs(per_channel[:, 0].mean() - 0.7) < 0.1  # 320 Bernoulli(0.7) channels: sd 0.026


def test_channel_dropout_of_integers_truncates_the_scaling(on_real_server):
    out, mask = ops.Dropout2D(0.4)(Tensor(np.full((6, 5, 1, 2), 3, np.int32)))
    out, mask = out.asnumpy(), mask.asnumpy()
    assert out.dtype == np.int32
    assert set(np.unique(out[mask])) <= {7} and (out[~mask] == 0).all()  # MindSpore 2.10: 3 / 0.4 -> 7


@pytest.mark.parametrize("keep, want", [(0.0, 0.0), (1.0, 1.0)])
def test_channel_dropout_edges(on_real_server, keep, want):
    out, mask = ops.Dropout3D(keep)(Tensor(np.ones((2, 3, 1, 1, 2), np.float32)))
    assert (out.asnumpy() == want).all() and (mask.asnumpy() == bool(want)).all()


def test_channel_dropout_checks_rank_and_keep_prob(on_real_server):
    with pytest.raises(ValueError, match="rank of input must be equal to 4"):
        ops.Dropout2D(0.5)(Tensor(np.ones((2, 3, 2), np.float32)))
    with pytest.raises(ValueError, match="keep_prob"):
        ops.Dropout2D(1.5)


class ChannelDrop(nn.Cell):
    def construct(self, x):
        return ops.dropout2d(x, p=0.5)


def test_functional_dropout2d_draws_anew_each_run_and_its_gradient_uses_the_run_mask(on_real_server):
    context.set_context(mode=context.GRAPH_MODE)
    net = ChannelDrop()
    x = Tensor(np.ones((16, 8, 2, 2), np.float32))
    first, second = net(x).asnumpy(), net(x).asnumpy()
    assert not np.array_equal(first, second)  # 128 channels: equal masks have probability 2**-128
    gx = gs.grad(lambda x: ops.sum(ops.dropout2d(x, p=0.5) * x))(x).asnumpy()
    assert set(np.unique(gx)) <= {0.0, 4.0}  # d/dx (x * m / 0.5 * x) = 4 x m at x = 1
    assert ops.dropout2d(x, p=0.5, training=False) is x


class Sampler(nn.Cell):
    def __init__(self, *args, **kw):
        super().__init__()
        self.op = ops.UniformCandidateSampler(*args, **kw)

    def construct(self, x):
        return self.op(x)


TRUE = Tensor(np.array([[1, 2], [3, 2], [0, 2]], np.int32))


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_candidate_sampler_shapes_dtypes_and_unique_draws(on_real_server, mode):
    context.set_context(mode=mode)
    net = Sampler(2, 5, True, 8)
    for _ in range(20):
        cand, true_count, sampled_count = net(TRUE)
        c = cand.asnumpy()
        assert c.dtype == np.int32 and c.shape == (5,) and len(set(c.tolist())) == 5
        assert ((0 <= c) & (c < 8)).all()
        assert true_count.shape == (3, 2) and sampled_count.shape == (5,)
        counts = np.concatenate([true_count.asnumpy().ravel(), sampled_count.asnumpy()])
        assert (counts == counts[0]).all()  # one number: p n (no repeat) or 1 - (1 - p)^tries (tries > n)
        assert any(abs(counts[0] - v) < 1e-6 for v in [5 / 8] + [-math.expm1(k * math.log1p(-1 / 8))
                                                               for k in range(6, 400)])


def test_candidate_sampler_expected_counts_without_repeats(on_real_server):
    # MindSpore 2.10: no repeated draw (or repeats allowed) -> num_sampled / range_max
    _, t, s = Sampler(1, 5, False, 4)(Tensor(np.array([[1]], np.int64)))
    np.testing.assert_allclose(s.asnumpy(), np.full(5, 1.25, np.float32))
    _, t, s = Sampler(1, 4, True, 4, seed=3)(Tensor(np.array([[1]], np.int64)))
    # unique 4 of 4 needs tries >= 4: p n when exactly 4, else 1 - (3/4)^tries (MindSpore 2.10: 0.96832365 at 12)
    tries_values = {round(-math.expm1(k * math.log1p(-0.25)), 6) for k in range(5, 200)} | {1.0}
    assert round(float(s.asnumpy()[0]), 6) in tries_values


def test_candidate_sampler_draws_anew_per_run_and_a_seed_repeats(on_real_server):
    context.set_context(mode=context.GRAPH_MODE)
    net = Sampler(2, 6, True, 1000)
    draws = {tuple(net(TRUE)[0].asnumpy().tolist()) for _ in range(5)}
    assert len(draws) == 5  # a new draw on each run of the one compiled graph
    a = Sampler(2, 6, True, 1000, seed=7)(TRUE)[0].asnumpy()
    b = Sampler(2, 6, True, 1000, seed=7)(TRUE)[0].asnumpy()
    np.testing.assert_array_equal(a, b)


def test_candidate_sampler_is_uniform(on_real_server):
    gs.set_seed(5)
    hits = np.zeros(10)
    for _ in range(60):
        hits[np.asarray(ops.UniformCandidateSampler(2, 5, False, 10)(TRUE)[0].asnumpy())] += 1
    # 300 uniform draws over 10 classes: 30 each, sd ~5.2; chi-square with 9 dof below 27.9 (p = 0.001)
    assert ((hits - 30) ** 2 / 30).sum() < 27.9


def test_candidate_sampler_checks_its_arguments(on_real_server):
    with pytest.raises(ValueError, match="num_sampled should be <= value of range_max"):
        ops.UniformCandidateSampler(1, 5, True, 4)
    with pytest.raises(ValueError, match="num_true=3"):
        ops.UniformCandidateSampler(3, 2, False, 4)(TRUE)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_randn_like_inside_value_and_grad_draws_anew_each_call_with_its_gradient(on_real_server, mode):
    """z = mu + exp(logvar / 2) * ops.randn_like(mu) (the reparameterisation trick): each call its own eps (returned
    as the aux), the value and d/dlogvar = exp(logvar / 2) eps / 2 of that eps (by hand), no trace after the first
    call, set_seed repeating the draws; a seeded draw inside the trace draws what the eager call would, each run."""
    context.set_context(mode=mode)
    mu, lv = np.array([0.5, -1.0, 2.0], np.float32), np.array([0.2, -0.4, 1.0], np.float32)

    def f(m, v):
        eps = ops.randn_like(m)
        return ops.sum(m + ops.exp(0.5 * v) * eps), eps

    vg = ops.value_and_grad(f, (0, 1), has_aux=True)
    gs.set_seed(5)
    runs = [vg(Tensor(mu), Tensor(lv)) for _ in range(3)]
    traces = gs._trace.trace_stats()["traces"]
    runs.append(vg(Tensor(mu), Tensor(lv)))
    assert gs._trace.trace_stats()["traces"] == traces
    eps = [r[0][1].asnumpy() for r in runs]
    assert all(not np.array_equal(eps[i], eps[i + 1]) for i in range(3))
    for (value, e), (gm, gv) in runs:
        e = e.asnumpy()
        np.testing.assert_allclose(value.asnumpy(), np.sum(mu + np.exp(0.5 * lv) * e), rtol=1e-6)
        np.testing.assert_allclose(gm.asnumpy(), np.ones(3), rtol=1e-6)
        np.testing.assert_allclose(gv.asnumpy(), 0.5 * np.exp(0.5 * lv) * e, rtol=1e-6)
    gs.set_seed(5)
    np.testing.assert_array_equal(vg(Tensor(mu), Tensor(lv))[0][1].asnumpy(), eps[0])
    # a seeded draw inside the trace: MindSpore 2.10 keeps one generator per (op, seed) and advances it at each call
    # (randn(3, seed=1) twice: two different draws, its venv), so each run of the reused trace draws the next values
    # of that sequence, those the eager calls draw after the same set_seed
    seeded = ops.grad(lambda m: ops.sum(m * ops.randn(3, seed=1)))
    gs.set_seed(2)
    want = [ops.randn(3, seed=1).asnumpy() for _ in range(3)]
    gs.set_seed(2)
    grads = [seeded(Tensor(mu)).asnumpy() for _ in range(2)]
    traces = gs._trace.trace_stats()["traces"]
    grads.append(seeded(Tensor(mu)).asnumpy())
    assert gs._trace.trace_stats()["traces"] == traces
    for g, w in zip(grads, want):
        np.testing.assert_array_equal(g, w)
    assert not np.array_equal(want[0], want[1])


class Draws(nn.Cell):
    def construct(self, x):
        return x + ops.rand(64), ops.randint(0, 3, (64,))


def test_rand_and_randint_in_a_construct_draw_each_run(on_real_server):
    context.set_context(mode=context.GRAPH_MODE)
    net, x = Draws(), Tensor(np.zeros(64, np.float32))
    (u1, k1), (u2, k2) = [(a.asnumpy(), b.asnumpy()) for a, b in (net(x), net(x))]
    assert not np.array_equal(u1, u2) and not np.array_equal(k1, k2)  # equal draws: probability < 3**-64
    assert ((u1 >= 0) & (u1 < 1)).all() and set(np.unique(k1)) <= {0, 1, 2} and k1.dtype == np.int64


def test_a_pynative_step_with_dropout_reuses_its_trace_and_draws_each_call(on_real_server):
    """PyNative training with nn.Dropout: the trace is kept after its second call (a trace a step before: 6 in 6
    steps), each call draws a new mask (the gradients differ at the same weights), set_seed repeats them."""
    context.set_context(mode=context.PYNATIVE_MODE)
    w = np.random.default_rng(0).normal(size=(1, 32)).astype(np.float32)
    net = nn.SequentialCell([nn.Dropout(p=0.5), nn.Dense(32, 1, weight_init=Tensor(w), bias_init="zeros")])
    net.set_train(True)
    vg = ops.value_and_grad(lambda x: ops.sum(net(x)), None, net.trainable_params())
    x = Tensor(np.ones((1, 32), np.float32))
    vg(x), vg(x)
    traces = gs._trace.trace_stats()["traces"]
    gs.set_seed(9)
    grads = [vg(x)[1][0].asnumpy() for _ in range(4)]
    assert gs._trace.trace_stats()["traces"] == traces
    assert all(set(np.unique(g)) <= {0.0, 2.0} for g in grads)  # d/dW sum(W (x m / 0.5)) = 2 m at x = 1
    assert not np.array_equal(grads[0], grads[1])  # 32 elements: equal masks have probability 2**-32
    gs.set_seed(9)
    np.testing.assert_array_equal(vg(x)[1][0].asnumpy(), grads[0])
