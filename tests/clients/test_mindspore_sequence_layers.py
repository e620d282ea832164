"""numpy.correlate, ops.searchsorted / SearchSorted, ops.fftshift / ifftshift, ops.batch_dot, ops.gaussian_nll_loss,
adaptive 1-D pools, nn.TimeDistributed, nn.EmbeddingLookup, nn.MultiheadAttention and gradserve.tensor.

Expected values: NumPy (correlate, searchsorted, fftshift, tensordot), PyTorch (adaptive pools, Gaussian NLL,
MultiheadAttention with the same weights, its gradients), or by hand, as each test says; gradients also by
central finite differences where no reference library has the op.
"""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, context, nn, ops
from gradserve import numpy as gnp

RNG = np.random.default_rng(8)


@pytest.mark.parametrize("n, m", [(5, 7), (7, 5), (6, 6), (1, 3), (4, 1)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_correlate_matches_numpy(on_real_server, n, m, mode):
    a, v = RNG.standard_normal(n).astype(np.float32), RNG.standard_normal(m).astype(np.float32)
    np.testing.assert_allclose(gnp.correlate(Tensor(a), Tensor(v), mode).asnumpy(), np.correlate(a, v, mode),
                               rtol=1e-5, atol=1e-6)


def test_correlate_gradient_is_numpys_adjoint(on_real_server):
    a, v = RNG.standard_normal(10).astype(np.float32), RNG.standard_normal(7).astype(np.float32)
    dout = RNG.standard_normal(16).astype(np.float32)
    ga, gv = gs.grad(lambda a, v: ops.sum(gnp.correlate(a, v, "full") * Tensor(dout)), (0, 1))(Tensor(a), Tensor(v))
    # by hand: c[k] = sum_n a[n + k] v[n], so dc/da is correlate(dout, v) over valid overlaps, dc/dv its mirror
    np.testing.assert_allclose(ga.asnumpy(), np.correlate(dout, v[::-1]), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gv.asnumpy(), np.correlate(dout, a)[::-1], rtol=1e-4, atol=1e-5)


def test_correlate_refuses_bad_input(on_real_server):
    with pytest.raises(ValueError, match="mode"):
        gnp.correlate(Tensor(np.ones(3, np.float32)), Tensor(np.ones(2, np.float32)), "middle")
    with pytest.raises(ValueError, match="1-D"):
        gnp.correlate(Tensor(np.ones((2, 3), np.float32)), Tensor(np.ones(2, np.float32)))


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_matches_numpy(on_real_server, right):
    seq = np.sort(RNG.integers(0, 10, (2, 3, 9)), -1).astype(np.float32)
    vals = RNG.integers(-1, 11, (2, 3, 4)).astype(np.float32)
    out = ops.SearchSorted(dtype=gs.int32, right=right)(Tensor(seq), Tensor(vals)).asnumpy()
    want = np.stack([np.stack([np.searchsorted(s, v, "right" if right else "left") for s, v in zip(rs, rv)])
                     for rs, rv in zip(seq, vals)])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, want)
    flat = ops.searchsorted(Tensor(seq[0, 0]), Tensor(vals), right=right).asnumpy()  # 1-D sequence: all values
    assert flat.dtype == np.int64
    np.testing.assert_array_equal(flat, np.searchsorted(seq[0, 0], vals, "right" if right else "left"))
    # side='right' wins over right=False (MindSpore 2.10); side='left' with right=True is its ValueError
    by_side = ops.searchsorted(Tensor(seq[0, 0]), Tensor(vals), right=right, side="right").asnumpy()
    np.testing.assert_array_equal(by_side, np.searchsorted(seq[0, 0], vals, "right"))
    if right:
        with pytest.raises(ValueError, match="opposites"):
            ops.searchsorted(Tensor(seq[0, 0]), Tensor(vals), right=True, side="left")


@pytest.mark.parametrize("dim", [None, 0, (1, 2), -1])
def test_fftshift_and_ifftshift_match_numpy_and_are_each_others_gradient(on_real_server, dim):
    x = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(ops.fftshift(Tensor(x), dim).asnumpy(), np.fft.fftshift(x, dim))
    np.testing.assert_array_equal(ops.ifftshift(Tensor(x), dim).asnumpy(), np.fft.ifftshift(x, dim))
    dout = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    g = gs.grad(lambda x: ops.sum(ops.ifftshift(x, dim) * Tensor(dout)))(Tensor(x))
    np.testing.assert_allclose(g.asnumpy(), np.fft.fftshift(dout, dim), rtol=1e-6)


@pytest.mark.parametrize("sx, sy, axes", [((3, 12, 5, 2, 3), (3, 1, 7, 3, 2), (-1, -2)), ((4, 3, 7, 5), (4, 1, 7, 1), 2),
                                          ((2, 5), (2, 5), None), ((2, 3, 4), (2, 4), None)])
def test_batch_dot_matches_per_example_tensordot(on_real_server, sx, sy, axes):
    x, y = RNG.standard_normal(sx).astype(np.float32), RNG.standard_normal(sy).astype(np.float32)
    ax = (axes, axes) if isinstance(axes, int) else axes or (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    ax = (ax[0] % x.ndim - 1, ax[1] % y.ndim - 1)
    want = np.array([np.tensordot(a, b, (ax[0], ax[1])) for a, b in zip(x, y)])  # NumPy, per example
    want = want[:, None] if want.ndim == 1 else want
    np.testing.assert_allclose(ops.batch_dot(Tensor(x), Tensor(y), axes).asnumpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gaussian_nll_loss_matches_torch(on_real_server, full, reduction):
    x, t = RNG.standard_normal((4, 3)).astype(np.float32), RNG.standard_normal((4, 3)).astype(np.float32)
    var = RNG.uniform(0.2, 2, (4, 1)).astype(np.float32)
    got = ops.gaussian_nll_loss(Tensor(x), Tensor(t), Tensor(var), full=full, reduction=reduction)
    want = torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(t), torch.tensor(var), full=full,
                                                 reduction=reduction)
    np.testing.assert_allclose(got.asnumpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    # MindSpore 2.10's documented example (its test's numbers): x = 0..7, target below, var 1 -> mean 1.4375
    a = Tensor(np.arange(8, dtype=np.float32).reshape(4, 2))
    b = Tensor(np.array([2, 3, 1, 4, 6, 4, 4, 9], np.float32).reshape(4, 2))
    mean = ops.gaussian_nll_loss(a, b, Tensor(np.ones((4, 1), np.float32)))
    np.testing.assert_allclose(mean.asnumpy(), 1.4375, rtol=1e-6)


def test_gaussian_nll_loss_gradient_matches_torch(on_real_server):
    x, t = RNG.standard_normal((5, 2)).astype(np.float32), RNG.standard_normal((5, 2)).astype(np.float32)
    var = RNG.uniform(0.2, 2, (5,)).astype(np.float32)  # one variance per row, without the last axis
    gx, gv = gs.grad(lambda x, v: ops.gaussian_nll_loss(x, Tensor(t), v), (0, 1))(Tensor(x), Tensor(var))
    tx, tv = torch.tensor(x, requires_grad=True), torch.tensor(var, requires_grad=True)
    torch.nn.functional.gaussian_nll_loss(tx, torch.tensor(t), tv).backward()
    np.testing.assert_allclose(gx.asnumpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gv.asnumpy(), tv.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("out", [1, 3, 4, 7])
def test_adaptive_pools_1d_match_torch(on_real_server, out):
    x = RNG.standard_normal((2, 3, 7)).astype(np.float32)
    v, i = nn.AdaptiveMaxPool1d(out, return_indices=True)(Tensor(x))
    tv, ti = torch.nn.functional.adaptive_max_pool1d(torch.tensor(x), out, return_indices=True)
    np.testing.assert_array_equal(v.asnumpy(), tv.numpy())
    np.testing.assert_array_equal(i.asnumpy(), ti.numpy())
    avg = nn.AdaptiveAvgPool1d(out)(Tensor(x))
    np.testing.assert_allclose(avg.asnumpy(), torch.nn.functional.adaptive_avg_pool1d(torch.tensor(x), out).numpy(),
                               rtol=1e-6, atol=1e-7)
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.adaptive_max_pool1d(tx, out).sum().backward()
    g = gs.grad(lambda x: ops.sum(ops.adaptive_max_pool1d(x, out)))(Tensor(x))
    np.testing.assert_array_equal(g.asnumpy(), tx.grad.numpy())  # no ties in normal draws


class Wrapped(nn.Cell):
    def __init__(self, layer, time_axis, reshape_with_axis=None):
        super().__init__()
        self.td = nn.TimeDistributed(layer, time_axis, reshape_with_axis)

    def construct(self, x):
        return self.td(x)


@pytest.mark.parametrize("time_axis, reshape_with_axis", [(1, 0), (0, 1), (1, None), (0, None)])
def test_time_distributed_applies_the_layer_to_every_step(on_real_server, time_axis, reshape_with_axis):
    context.set_context(mode=context.GRAPH_MODE)
    dense = nn.Dense(4, 3)
    x = RNG.standard_normal((5, 6, 4)).astype(np.float32)
    out = Wrapped(dense, time_axis, reshape_with_axis)(Tensor(x)).asnumpy()
    steps = np.moveaxis(x, time_axis, 0)
    w, b = dense.weight.asnumpy(), dense.bias.asnumpy()
    want = np.moveaxis(np.stack([s @ w.T + b for s in steps]), 0, time_axis)  # NumPy, one step at a time
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)


def test_time_distributed_of_an_op_that_drops_an_axis(on_real_server):
    x = RNG.standard_normal((3, 6, 4)).astype(np.float32)
    out = nn.TimeDistributed(ops.Argmax(axis=1, output_type=gs.int32), 1, 0)(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(out, np.argmax(x, -1))


def test_embedding_lookup_rows_zeros_out_of_range_and_max_norm(on_real_server):
    e = nn.EmbeddingLookup(4, 3, max_norm=0.5)
    table = e.embedding_table.asnumpy()
    idx = np.array([[1, 0], [5, -1]], np.int32)
    out = e(Tensor(idx)).asnumpy()
    rows = np.where(((idx >= 0) & (idx < 4))[..., None], table[np.clip(idx, 0, 3)], 0)  # NumPy, by the rule
    norm = np.linalg.norm(rows, axis=-1, keepdims=True)
    want = rows * 0.5 / np.maximum(norm, 0.5)
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-7)
    lookup = nn.EmbeddingLookup(4, 2)
    table_grad = gs.grad(lambda i: ops.sum(lookup(i)), None, lookup.trainable_params())(Tensor(idx))[0].asnumpy()
    np.testing.assert_array_equal(table_grad, [[1, 1], [1, 1], [0, 0], [0, 0]])  # rows 0, 1 read once; 5, -1 none


def _torch_mha(m, kd):
    t = torch.nn.MultiheadAttention(m.embed_dim, m.num_heads, kdim=kd, vdim=kd)
    with torch.no_grad():
        if kd is None:
            t.in_proj_weight.copy_(torch.tensor(m.in_proj_weight.asnumpy()))
        else:
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                getattr(t, name).copy_(torch.tensor(getattr(m, name).asnumpy()))
        t.in_proj_bias.copy_(torch.tensor(m.in_proj_bias.asnumpy()))
        t.out_proj.weight.copy_(torch.tensor(m.out_proj.weight.asnumpy()))
        t.out_proj.bias.copy_(torch.tensor(m.out_proj.bias.asnumpy()))
    return t


@pytest.mark.parametrize("kd", [None, 8])
def test_multihead_attention_matches_torch_with_masks_and_gradients(on_real_server, kd):
    m = nn.MultiheadAttention(16, 4, kdim=kd, vdim=kd)
    m.in_proj_bias.set_data(Tensor(RNG.standard_normal(48).astype(np.float32)))
    m.out_proj.bias.set_data(Tensor(RNG.standard_normal(16).astype(np.float32)))
    t = _torch_mha(m, kd)
    q = RNG.standard_normal((5, 3, 16)).astype(np.float32)
    k, v = (RNG.standard_normal((6, 3, kd or 16)).astype(np.float32) for _ in range(2))
    pad = np.zeros((3, 6), bool)
    pad[0, 2] = True
    attn = np.triu(np.ones((5, 6), bool), 2)
    out, w = m(Tensor(q), Tensor(k), Tensor(v), key_padding_mask=Tensor(pad), attn_mask=Tensor(attn))
    tout, tw = t(torch.tensor(q), torch.tensor(k), torch.tensor(v), key_padding_mask=torch.tensor(pad),
                 attn_mask=torch.tensor(attn))
    assert out.shape == (5, 3, 16) and w.shape == (3, 5, 6)
    np.testing.assert_allclose(out.asnumpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(w.asnumpy(), tw.detach().numpy(), rtol=1e-4, atol=1e-6)
    gq = gs.grad(lambda a: ops.sum(m(a, Tensor(k), Tensor(v))[0]))(Tensor(q))
    tq = torch.tensor(q, requires_grad=True)
    t(tq, torch.tensor(k), torch.tensor(v))[0].sum().backward()
    np.testing.assert_allclose(gq.asnumpy(), tq.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_multihead_attention_batch_first_and_per_head_weights(on_real_server):
    m = nn.MultiheadAttention(8, 2, batch_first=True)
    t = _torch_mha(m, None)
    x = RNG.standard_normal((2, 4, 8)).astype(np.float32)
    out, w = m(Tensor(x), Tensor(x), Tensor(x), average_attn_weights=False)
    tout, tw = t(*(torch.tensor(x.transpose(1, 0, 2)),) * 3, average_attn_weights=False)
    np.testing.assert_allclose(out.asnumpy(), tout.detach().numpy().transpose(1, 0, 2), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(w.asnumpy(), tw.detach().numpy(), rtol=1e-4, atol=1e-6)
    with pytest.raises(NotImplementedError, match="add_bias_kv"):
        nn.MultiheadAttention(8, 2, add_bias_kv=True)


def test_tensor_function_is_the_constructor(on_real_server):
    t = gs.tensor([[1, 2], [3, 4]], gs.float32)
    assert isinstance(t, Tensor) and t.dtype == gs.float32
    np.testing.assert_array_equal(t.asnumpy(), [[1, 2], [3, 4]])


@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal_primitive_matches_numpy(on_real_server, wrap):
    from gradserve.ops.operations import array_ops
    a = np.zeros((7, 3), np.float32)
    want = a.copy()
    np.fill_diagonal(want, 5.0, wrap=wrap)  # NumPy's positions
    np.testing.assert_array_equal(array_ops.FillDiagonal(5.0, wrap)(Tensor(a)).asnumpy(), want)
    with pytest.raises(TypeError, match="float"):
        array_ops.FillDiagonal(5)


@pytest.mark.parametrize("k, s, p, d", [(2, 1, 1, 1), (3, 2, 1, 1), (2, 2, 0, 2)])
def test_max_pool2d_indices_match_torch_on_ties(on_real_server, k, s, p, d):
    x = RNG.integers(0, 5, (2, 3, 5, 6)).astype(np.float32)  # small integers: many tied maxima
    v, i = ops.max_pool2d(Tensor(x), k, s, p, d, return_indices=True)
    tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, return_indices=True)
    np.testing.assert_array_equal(v.asnumpy(), tv.numpy())
    assert i.asnumpy().dtype == np.int64
    np.testing.assert_array_equal(i.asnumpy(), ti.numpy())  # the first max of each window, flat over H * W
    out, idx = nn.MaxPool2d(kernel_size=k, stride=s, pad_mode="pad", padding=p, dilation=d, return_indices=True)(
        Tensor(x))
    np.testing.assert_array_equal(idx.asnumpy(), ti.numpy())


def test_max_pool3d_indices_match_torch(on_real_server):
    x = RNG.integers(0, 4, (1, 2, 4, 5, 3)).astype(np.float32)
    v, i = ops.max_pool3d(Tensor(x), 2, 1, 1, return_indices=True)
    tv, ti = torch.nn.functional.max_pool3d(torch.tensor(x), 2, 1, 1, return_indices=True)
    np.testing.assert_array_equal(v.asnumpy(), tv.numpy())
    np.testing.assert_array_equal(i.asnumpy(), ti.numpy())
    v, i = ops.max_pool3d(Tensor(x), 2, 2, 0, ceil_mode=True, return_indices=True)  # a last partial window
    tv, ti = torch.nn.functional.max_pool3d(torch.tensor(x), 2, 2, 0, ceil_mode=True, return_indices=True)
    assert v.shape == (1, 2, 2, 3, 2)
    np.testing.assert_array_equal(v.asnumpy(), tv.numpy())
    np.testing.assert_array_equal(i.asnumpy(), ti.numpy())


def _ctc_case():
    rng = np.random.default_rng(0)
    t, n, c, s = 12, 3, 5, 4
    logits = rng.standard_normal((t, n, c)).astype(np.float32)
    targets = rng.integers(1, c, (n, s)).astype(np.int32)
    return logits, targets, np.array([12, 9, 7], np.int32), np.array([4, 2, 0], np.int32)  # an empty target too


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss_matches_torch_values_and_logit_gradients(on_real_server, reduction):
    logits, tg, il, tl = _ctc_case()
    lt = torch.tensor(logits, requires_grad=True)
    want = torch.nn.functional.ctc_loss(torch.log_softmax(lt, -1), torch.tensor(tg, dtype=torch.long),
                                        torch.tensor(il), torch.tensor(tl), blank=0, reduction=reduction)
    loss = nn.CTCLoss(0, reduction)
    got = loss(ops.log_softmax(Tensor(logits), -1), Tensor(tg), Tensor(il), Tensor(tl))
    np.testing.assert_allclose(got.asnumpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)
    want.sum().backward()
    # through log_softmax (torch's ctc_loss backward is only the true derivative composed with it)
    g = gs.grad(lambda z: ops.sum(loss(ops.log_softmax(z, -1), Tensor(tg), Tensor(il), Tensor(tl))))(Tensor(logits))
    np.testing.assert_allclose(g.asnumpy(), lt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_ctc_loss_gradient_in_log_probs_is_torchs_convention(on_real_server):
    """The gradient w.r.t. log_probs given as a leaf: MindSpore's CTCLossV2Grad and torch's ctc_loss backward
    give exp(log_probs) - gamma before each input length (0 after), the true derivative (-gamma, finite
    differences) plus exp(log_probs): the derivative through the log_softmax they take to have made log_probs."""
    logits, tg, il, tl = _ctc_case()
    lp = torch.log_softmax(torch.tensor(logits, dtype=torch.float64), -1).numpy()
    loss = nn.CTCLoss(0, "sum")

    def f(a):
        return float(loss(Tensor(a), Tensor(tg), Tensor(il), Tensor(tl)).asnumpy())

    g = gs.grad(lambda a: loss(a, Tensor(tg), Tensor(il), Tensor(tl)))(Tensor(lp)).asnumpy()
    for idx in [(0, 0, 0), (3, 1, 2), (6, 2, 0), (8, 2, 0), (11, 0, 4)]:  # (8, 2, 0): past sample 2's length
        up, down = lp.copy(), lp.copy()
        up[idx] += 1e-5
        down[idx] -= 1e-5
        live = idx[0] < il[idx[1]]
        assert abs((f(up) - f(down)) / 2e-5 + (np.exp(lp[idx]) if live else 0.0) - g[idx]) < 1e-6
    # against torch, at normalised and at unnormalised log_probs, every reduction, nn.CTCLoss and ops.ctc_loss
    for a in (lp, logits.astype(np.float64)):
        for reduction in ("none", "mean", "sum"):
            x = torch.tensor(a, requires_grad=True)
            torch.nn.functional.ctc_loss(x, torch.tensor(tg, dtype=torch.long), torch.tensor(il), torch.tensor(tl),
                                         blank=0, reduction=reduction).sum().backward()
            net = nn.CTCLoss(0, reduction)
            g = gs.grad(lambda z: ops.sum(net(z, Tensor(tg), Tensor(il), Tensor(tl))))(Tensor(a))
            np.testing.assert_allclose(g.asnumpy(), x.grad.numpy(), rtol=1e-9, atol=1e-12)
            g = gs.grad(lambda z: ops.sum(ops.ctc_loss(z, Tensor(tg), Tensor(il), Tensor(tl), 0, reduction)[0]))(Tensor(a))
            # ('mean' divides in float32, as MindSpore's ctc_loss does)
            np.testing.assert_allclose(g.asnumpy(), x.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_ctc_loss_impossible_alignment_is_inf_or_zero(on_real_server):
    lp = np.log(np.full((3, 1, 3), 1 / 3, np.float32))
    args = (Tensor(lp), Tensor(np.array([[1, 1, 1, 1]], np.int32)), Tensor(np.array([3], np.int32)),
            Tensor(np.array([4], np.int32)))  # 4 labels (3 repeats need blanks between) in 3 steps
    assert np.isinf(nn.CTCLoss(reduction="none")(*args).asnumpy()).all()
    assert (nn.CTCLoss(reduction="none", zero_infinity=True)(*args).asnumpy() == 0).all()
