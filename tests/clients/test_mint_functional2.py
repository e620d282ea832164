"""mint.nn.functional's convolutions, norms, embedding, pad and losses, mint.norm and Tensor.sum_to_size.

Expected values and gradients: torch.nn.functional / torch.norm / Tensor.sum_to_size (torch 2.x CPU) run live
on the same inputs: MindSpore 2.10 documents these mint forms as PyTorch's, and its CPU build has no kernel for
several of them (KLDiv, Embedding, LinalgVectorNorm: "unregistered"; sum_to_size was checked there and agrees).
Signatures: inspect.signature of MindSpore 2.10's mindspore.mint.nn.functional (its venv, printed)."""
import inspect

import numpy as np
import pytest

from gradserve import Tensor, grad, mint
from gradserve.mint.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(7)


def _rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _check(ours, theirs, arrays, positions, rtol=1e-5, atol=1e-5):
    """ours(*Tensors) against theirs(*torch tensors): the value, then the gradient of sum(out * w) for each
    position in positions (w random, so each output element's gradient counts)."""
    out = ours(*[Tensor(a) for a in arrays])
    ref_in = [torch.tensor(a, requires_grad=i in positions) for i, a in enumerate(arrays)]
    ref = theirs(*ref_in)
    np.testing.assert_allclose(out.asnumpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    w = _rand(*ref.shape)
    (ref * torch.tensor(w)).sum().backward()
    grads = grad(lambda *xs: (ours(*xs) * Tensor(w)).sum(), grad_position=tuple(positions))(
        *[Tensor(a) for a in arrays])
    grads = grads if isinstance(grads, tuple) else (grads,)
    for g, i in zip(grads, positions):
        np.testing.assert_allclose(g.asnumpy(), ref_in[i].grad.numpy(), rtol=rtol, atol=atol)


MINDSPORE_SIGNATURES = {  # MindSpore 2.10 CPU: inspect.signature(mint.nn.functional.<name>)
    "conv2d": "(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)",
    "layer_norm": "(input, normalized_shape, weight=None, bias=None, eps=1e-05)",
    "group_norm": "(input, num_groups, weight=None, bias=None, eps=1e-05)",
    "embedding": "(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False)",
    "pad": "(input, pad, mode='constant', value=None)",
    "normalize": "(input, p=2.0, dim=1, eps=1e-12)",
    "kl_div": "(input, target, reduction='mean', log_target=False)",
    "nll_loss": "(input, target, weight=None, ignore_index=-100, reduction='mean')",
    "threshold": "(input, threshold, value, inplace=False)",
    "cosine_embedding_loss": "(input1, input2, target, margin=0.0, reduction='mean')",
    "soft_margin_loss": "(input, target, reduction='mean')",
    "adaptive_avg_pool2d": "(input, output_size)",
    "softplus": "(input, beta=1, threshold=20)",
    "dropout": "(input, p=0.5, training=True, inplace=False)",
}


@pytest.mark.parametrize("name", sorted(MINDSPORE_SIGNATURES))
def test_signatures_are_mindspores(name):
    assert str(inspect.signature(getattr(F, name))) == MINDSPORE_SIGNATURES[name]


def test_conv1d_conv2d_paddings_match_torch(on_real_server):
    x1, w1, b1 = _rand(2, 4, 9), _rand(6, 2, 3), _rand(6)
    _check(lambda x, w, b: F.conv1d(x, w, b, 2, 1, 1, 2), lambda x, w, b: TF.conv1d(x, w, b, 2, 1, 1, 2),
           [x1, w1, b1], (0, 1, 2))
    x2, w2 = _rand(1, 3, 7, 6), _rand(4, 3, 3, 2)
    _check(lambda x, w: F.conv2d(x, w, padding=(1, 2), dilation=(2, 1)),
           lambda x, w: TF.conv2d(x, w, padding=(1, 2), dilation=(2, 1)), [x2, w2], (0, 1))
    _check(lambda x, w: F.conv2d(x, w, padding="same"), lambda x, w: TF.conv2d(x, w, padding="same"),
           [x2, w2], (0, 1))


def test_norm_layers_match_torch(on_real_server):
    x, w, b = _rand(2, 6, 5), _rand(6, 5), _rand(6, 5)
    _check(lambda *t: F.layer_norm(t[0], (6, 5), t[1], t[2]), lambda *t: TF.layer_norm(t[0], (6, 5), t[1], t[2]),
           [x, w, b], (0, 1, 2), atol=1e-4)
    gw, gb = _rand(6), _rand(6)
    _check(lambda *t: F.group_norm(t[0], 3, t[1], t[2]), lambda *t: TF.group_norm(t[0], 3, t[1], t[2]),
           [x, gw, gb], (0, 1, 2), atol=1e-4)
    _check(lambda t: F.normalize(t, 3.0, 1), lambda t: TF.normalize(t, 3.0, 1), [x], (0,))
    _check(lambda t: F.normalize(t, dim=-1), lambda t: TF.normalize(t, dim=-1), [x], (0,))


def test_pad_threshold_pool_match_torch(on_real_server):
    x = _rand(1, 2, 4, 5)
    _check(lambda t: F.pad(t, (1, 2, 0, 1), value=0.5), lambda t: TF.pad(t, (1, 2, 0, 1), value=0.5), [x], (0,))
    _check(lambda t: F.pad(t, (2, 1, 1, 2), "reflect"), lambda t: TF.pad(t, (2, 1, 1, 2), "reflect"), [x], (0,))
    _check(lambda t: F.pad(t, (1, 2), "replicate"), lambda t: TF.pad(t, (1, 2), "replicate"), [x[0]], (0,))
    _check(lambda t: F.threshold(t, 0.1, -2.0), lambda t: TF.threshold(t, 0.1, -2.0), [x], (0,))
    _check(lambda t: F.adaptive_avg_pool2d(t, (3, 2)), lambda t: TF.adaptive_avg_pool2d(t, (3, 2)), [x], (0,))


def test_embedding_match_torch(on_real_server):
    weight = _rand(5, 3) * 2
    idx = np.array([[0, 2, 4], [2, 2, 1]], np.int64)
    ti = torch.tensor(idx)
    _check(lambda w: F.embedding(Tensor(idx), w), lambda w: TF.embedding(ti, w), [weight], (0,))
    _check(lambda w: F.embedding(Tensor(idx), w, padding_idx=2), lambda w: TF.embedding(ti, w, padding_idx=2),
           [weight], (0,))
    _check(lambda w: F.embedding(Tensor(idx), w, scale_grad_by_freq=True),
           lambda w: TF.embedding(ti, w, scale_grad_by_freq=True), [weight], (0,))
    # max_norm: torch renorms its weight in place (under no_grad) first, so its copy is passed
    _check(lambda w: F.embedding(Tensor(idx), w, max_norm=1.0, norm_type=1.0),
           lambda w: TF.embedding(ti, w, max_norm=1.0, norm_type=1.0), [weight], (0,))


def test_losses_match_torch(on_real_server):
    logp = np.log(np.abs(_rand(3, 4)) + 0.1).astype(np.float32)
    target = np.abs(_rand(3, 4))
    target[0, 1] = 0.0  # 0 * log 0 counts as 0
    for reduction in ("none", "sum", "mean", "batchmean"):  # (d/d target at target 0 is -inf: not compared)
        _check(lambda i, t: F.kl_div(i, t, reduction), lambda i, t: TF.kl_div(i, t, reduction=reduction),
               [logp, target], (0,))
    _check(lambda i, t: F.kl_div(i, t), lambda i, t: TF.kl_div(i, t), [logp, np.abs(_rand(3, 4)) + 0.1], (0, 1))
    _check(lambda i, t: F.kl_div(i, t, "sum", True), lambda i, t: TF.kl_div(i, t, reduction="sum", log_target=True),
           [logp, _rand(3, 4)], (0, 1))
    labels = np.array([1, 3, 0], np.int64)
    w = np.abs(_rand(4)) + 0.5
    _check(lambda i, wt: F.nll_loss(i, Tensor(labels), wt, ignore_index=0),
           lambda i, wt: TF.nll_loss(i, torch.tensor(labels), wt, ignore_index=0), [logp, w], (0,))
    a, b, y = _rand(4, 5), _rand(4, 5), np.array([1, -1, 1, -1], np.float32)
    _check(lambda *t: F.cosine_embedding_loss(*t, margin=0.2),
           lambda *t: TF.cosine_embedding_loss(*t, margin=0.2), [a, b, y], (0, 1))
    _check(lambda i, t: F.soft_margin_loss(i, t, "sum"), lambda i, t: TF.soft_margin_loss(i, t, reduction="sum"),
           [a, np.sign(b)], (0,))


def test_kl_div_refuses_an_unknown_reduction(on_real_server):
    with pytest.raises(ValueError, match="'reduction' must be one of"):
        F.kl_div(Tensor(_rand(2)), Tensor(_rand(2)), "avg")


def test_mint_norm_matches_torch(on_real_server):
    x = _rand(3, 4)
    _check(lambda t: mint.norm(t), lambda t: torch.norm(t), [x], (0,))
    _check(lambda t: mint.norm(t, 3, 1, True), lambda t: torch.norm(t, 3, 1, True), [x], (0,))
    _check(lambda t: mint.norm(t, 1.0), lambda t: torch.norm(t, 1.0), [x], (0,))
    _check(lambda t: mint.norm(t, "fro", (0, 1)), lambda t: torch.norm(t, "fro", (0, 1)), [x], (0,))
    y = _rand(2, 3, 4)
    _check(lambda t: mint.norm(t, 2, (0, 2), True), lambda t: torch.norm(t, 2, (0, 2), True), [y], (0,))
    _check(lambda t: mint.norm(t, 1, (2, 0)), lambda t: torch.norm(t, 1, (2, 0)), [y], (0,))
    _check(lambda t: mint.norm(t, "nuc"), lambda t: torch.norm(t, "nuc"), [x], (0,), atol=1e-4)
    with pytest.raises(ValueError, match="at most 2 axes"):
        mint.norm(Tensor(_rand(2, 2, 2)), "fro", (0, 1, 2))


def test_sum_to_size_matches_torch(on_real_server):
    x = _rand(2, 3, 4)
    _check(lambda t: t.sum_to_size(3, 1), lambda t: t.sum_to_size(3, 1), [x], (0,))
    _check(lambda t: t.sum_to_size((1, 3, 4)), lambda t: t.sum_to_size((1, 3, 4)), [x], (0,))
    assert Tensor(x).sum_to_size(2, 3, 4).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="not expandable"):
        Tensor(x).sum_to_size(2, 4)


def test_ops_vector_norm_over_an_axis_pair_is_a_vector_norm(on_real_server):
    from gradserve import ops  # (an axis pair used to give ops.norm's matrix 2-norm: the largest singular value)
    x = _rand(3, 4, 2)
    _check(lambda t: ops.vector_norm(t, 2, (0, 1)), lambda t: torch.linalg.vector_norm(t, 2, (0, 1)), [x], (0,))
    _check(lambda t: ops.vector_norm(t, 1, (-1, 0), True),
           lambda t: torch.linalg.vector_norm(t, 1, (-1, 0), True), [x], (0,))
