"""ops.dropout, ops.Dropout, nn.Dropout: MindSpore 2.x's rules (out = x * mask / keep_prob; (out, mask) from
the primitive, the mask 1/0 in x's dtype as MindSpore 2.10 on CPU gives it; identity outside training).
The mask is per-run data: the same in the forward and backward of one call, new on each call, repeated
after the same set_seed, and never a new graph (the compile cache holds). MindSpore's own bits are not
reproduced (another generator): the tests check the rules and the keep rate, not MindSpore's draws."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, context, nn, ops
from gradserve import _lane

X = np.arange(1, 401, dtype=np.float32).reshape(20, 20) / 7   # no zeros: a zero of the output is a dropped element


class TwoDrops(nn.Cell):
    def __init__(self, p=0.5):
        super().__init__()
        self.drop = nn.Dropout(p=p)

    def construct(self, x):
        return self.drop(x), self.drop(x)   # two dropouts in one run: two masks


def test_primitive_gives_output_and_mask(on_real_server):
    gs.set_seed(11)
    out, mask = ops.Dropout(keep_prob=0.8)(Tensor(X))
    out, mask = out.asnumpy(), mask.asnumpy()
    assert mask.dtype == np.float32 and set(np.unique(mask)) <= {0.0, 1.0}
    np.testing.assert_allclose(out, X * mask / 0.8, rtol=1e-6)
    assert abs(mask.mean() - 0.8) < 0.08   # 400 Bernoulli(0.8) draws: sd 0.02


def test_mask_is_shared_by_forward_and_backward(on_real_server):
    wt = Tensor(np.linspace(-1, 1, 400, dtype=np.float32).reshape(20, 20))

    def loss(x):
        y = ops.dropout(x, p=0.3)
        return ops.sum(y * wt), y

    (value, y), g = ops.value_and_grad(loss, has_aux=True)(Tensor(X))
    kept = (y.asnumpy() != 0).astype(np.float32)
    assert 0.5 < kept.mean() < 0.9
    np.testing.assert_allclose(y.asnumpy(), X * kept / np.float32(0.7), rtol=1e-6)
    np.testing.assert_allclose(g.asnumpy(), kept * wt.asnumpy() / np.float32(0.7), rtol=1e-6)
    np.testing.assert_allclose(value.asnumpy(), (y.asnumpy() * wt.asnumpy()).sum(), rtol=1e-5)


def test_new_mask_each_call_one_graph(on_real_server, monkeypatch):
    seen = []
    real_eval = _lane.eval_program  # (every traced program's job goes through it, lane or general path)

    def spy(client, graph, *a, **kw):
        seen.append(graph.__gradserve_graph__().hash)
        return real_eval(client, graph, *a, **kw)

    monkeypatch.setattr(_lane, "eval_program", spy)
    context.set_context(mode=context.GRAPH_MODE)
    net = TwoDrops().set_train()
    runs = [tuple(o.asnumpy() != 0 for o in net(Tensor(X))) for _ in range(3)]
    assert len(net._gs_programs) == 1   # graph mode: traced once
    masks = [m for run in runs for m in run]
    assert all(not np.array_equal(a, b) for i, a in enumerate(masks) for b in masks[i + 1:])
    context.set_context(mode=context.PYNATIVE_MODE)   # traced on every call: the same graph each time
    net(Tensor(X))
    net(Tensor(X))
    assert len(set(seen)) == 1 and len(seen) == 5


def test_set_seed_repeats_the_masks(on_real_server):
    net = TwoDrops(p=0.4).set_train()

    def masks():
        return [o.asnumpy() != 0 for _ in range(2) for o in net(Tensor(X))]

    gs.set_seed(2024)
    first = masks()
    gs.set_seed(2024)
    again = masks()
    gs.set_seed(7)
    other = masks()
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])


def test_eval_mode_and_p_zero_are_identity(on_real_server):
    drop = nn.Dropout(keep_prob=0.5)
    assert drop.p == 0.5
    np.testing.assert_array_equal(drop(Tensor(X)).asnumpy(), X)   # a Cell starts in inference mode
    drop.set_train()
    assert (drop(Tensor(X)).asnumpy() == 0).any()
    drop.set_train(False)
    np.testing.assert_array_equal(drop(Tensor(X)).asnumpy(), X)
    np.testing.assert_array_equal(ops.dropout(Tensor(X), p=0.0).asnumpy(), X)
    np.testing.assert_array_equal(ops.dropout(Tensor(X), training=False).asnumpy(), X)


def test_eager_dropout_outside_a_trace():
    gs.set_seed(1)
    y = ops.dropout(Tensor(X), p=0.5).asnumpy()   # computed in the client (no service needed)
    kept = y != 0
    np.testing.assert_allclose(y[kept], X[kept] * 2, rtol=1e-6)
    assert 0.3 < kept.mean() < 0.7


def test_bad_arguments():
    with pytest.raises(ValueError, match="'p' must be a number in range"):
        nn.Dropout(p=1.0)
    with pytest.raises(ValueError, match="'keep_prob' must be a number in range"):
        nn.Dropout(keep_prob=0.0)
    with pytest.raises(ValueError, match="'keep_prob' must be a number in range"):
        ops.Dropout(keep_prob=1.5)
    with pytest.raises(ValueError, match="'p' must be a number in range"):
        ops.dropout(Tensor(X), p=-0.1)
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        ops.dropout(Tensor(np.ones(3, np.int32)))


def test_vmap_refuses_jacobian_shares_one_mask(on_real_server):
    def f(x):
        return ops.dropout(x, p=0.5)

    with pytest.raises(NotImplementedError, match="dropout inside vmap"):
        ops.vmap(f)(Tensor(X[:4, :3]))
    with pytest.raises(NotImplementedError, match="dropout inside vmap"):
        ops.vmap(ops.grad(lambda x: ops.sum(f(x))))(Tensor(X[:4, :3]))
    # a Jacobian's vmap runs over the basis, not over examples: one mask for all its rows
    jac = ops.jacrev(f)(Tensor(X[0, :8])).asnumpy()
    diag = np.diag(jac)
    np.testing.assert_array_equal(jac, np.diag(diag))
    assert set(np.unique(diag)) <= {0.0, 2.0}


def test_set_train_after_a_cached_trace_takes_effect(on_real_server):
    """A grad function or an outer cell traced while the network was in inference mode is traced again after
    set_train (the traces cached anywhere are stale once any cell's mode changes)."""
    net = nn.SequentialCell([nn.Dense(20, 20, weight_init=np.eye(20), bias_init=np.zeros(20)), nn.Dropout(p=0.5)])
    outer = nn.WithLossCell(net, nn.MSELoss())
    value_and_grad = ops.value_and_grad(net, None, net.trainable_params())
    x = Tensor(X[:2])
    np.testing.assert_allclose(value_and_grad(x)[0].asnumpy(), X[:2], rtol=1e-6)   # inference: no dropout
    assert outer(x, x).asnumpy() == 0
    net.set_train()
    assert (value_and_grad(x)[0].asnumpy() == 0).any()
    assert outer(x, x).asnumpy() > 0
    net.set_train(False)
    np.testing.assert_allclose(value_and_grad(x)[0].asnumpy(), X[:2], rtol=1e-6)
