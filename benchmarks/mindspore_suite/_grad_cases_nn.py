"""grad_diff.py's nn.functional-style cases: softmax family, losses (at their kinks: smooth_l1 at beta,
hinge at the margin), normalisations, linear algebra, indexing and layout ops."""
from __future__ import annotations

import numpy as np

from mindspore import Tensor, mint, ops

from _grad_cases import F64, Case, arr, call, randn, reseed

LABELS = np.array([0, 2], np.int32)


def _softmax_cases() -> list[Case]:
    reseed("_softmax_cases")
    x, ties = randn(2, 3), arr([[1.0, 1.0, 1.0], [0.0, 0.0, 5.0]])
    c = []
    for label, v in (("normal", x), ("ties", ties), ("f64", randn(2, 3, dtype=F64))):
        c += [Case(f"ops.softmax[{label}]", call(ops, "softmax"), (v,), ("pynative", "second", "graph")),
              Case(f"ops.log_softmax[{label}]", lambda x: ops.log_softmax(x), (v,)),
              Case(f"ops.softmax[{label},axis0]", lambda x: ops.softmax(x, 0), (v,)),
              Case(f"mint.softmax[{label}]", lambda x: mint.softmax(x, -1), (v,)),
              Case(f"ops.softmin[{label}]", lambda x: ops.softmin(x), (v,)),
              Case(f"ops.glu[{label}]", lambda x: ops.glu(x[:, :2]), (v,)),
              Case(f"ops.log_softmax[{label},axis0]", lambda x: ops.log_softmax(x, 0), (v,))]
    return c


def _loss_cases() -> list[Case]:
    reseed("_loss_cases")
    p, t = arr([0.0, 0.5, 1.0, 2.0, -1.0, 3.0]), arr([0.0, 1.5, 0.0, 1.0, -1.0, 1.0])  # |p - t| = 0, 1, 1, 1, 0, 2
    probs, target01 = arr([0.2, 0.5, 0.9, 0.0001]), arr([0.0, 1.0, 1.0, 0.0])
    logits = randn(2, 3)
    return [Case("ops.mse_loss[kinks]", lambda a, b: ops.mse_loss(a, b), (p, t)),
            Case("ops.l1_loss[kinks]", lambda a, b: ops.l1_loss(a, b), (p, t)),
            Case("ops.smooth_l1_loss[at_beta]", lambda a, b: ops.smooth_l1_loss(a, b, 1.0), (p, t)),
            Case("ops.smooth_l1_loss[beta0.5,sum]", lambda a, b: ops.smooth_l1_loss(a, b, 0.5, "sum"), (p, t)),
            Case("ops.huber_loss[at_delta]", lambda a, b: ops.huber_loss(a, b, "mean", 1.0), (p, t)),
            Case("ops.soft_margin_loss[normal]", lambda a, b: ops.soft_margin_loss(a, b), (p, np.sign(t) + (t == 0))),
            Case("ops.binary_cross_entropy[probs]", lambda a, b: ops.binary_cross_entropy(a, b), (probs, target01)),
            Case("ops.binary_cross_entropy_with_logits[normal]",
                 lambda a, b: ops.binary_cross_entropy_with_logits(a, b, None, None), (p, target01[[0, 1, 2, 3, 0, 1]])),
            Case("ops.cross_entropy[int_labels]", lambda a: ops.cross_entropy(a, tensor(LABELS)), (logits,)),
            Case("ops.cross_entropy[smoothing]", lambda a: ops.cross_entropy(a, tensor(LABELS), label_smoothing=0.1),
                 (logits,)),
            Case("ops.cross_entropy[prob_target]", lambda a, b: ops.cross_entropy(a, b), (logits, _probs(2, 3))),
            Case("ops.nll_loss[normal]", lambda a: ops.nll_loss(ops.log_softmax(a), tensor(LABELS)), (logits,)),
            Case("ops.kl_div[batchmean]", lambda a, b: ops.kl_div(a, b, "batchmean"),
                 (np.log(_probs(2, 3)), _probs(2, 3))),
            Case("ops.kl_div[zero_target]", lambda a, b: ops.kl_div(a, b, "sum"),
                 (np.log(_probs(1, 3)), arr([[0.0, 0.5, 0.5]]))),
            Case("ops.hinge_embedding_loss[at_margin]", lambda a, b: ops.hinge_embedding_loss(a, b, 1.0),
                 (arr([0.0, 1.0, 2.0, 0.5]), arr([1.0, -1.0, -1.0, -1.0]))),
            Case("ops.margin_ranking_loss[at_margin]", lambda a, b, y: ops.margin_ranking_loss(a, b, y, 0.0),
                 (arr([1.0, 2.0, 0.0]), arr([1.0, 1.0, 0.5]), arr([1.0, -1.0, 1.0]))),
            Case("mint.nn.functional.l1_loss[kinks]", lambda a, b: mint.nn.functional.l1_loss(a, b), (p, t)),
            Case("mint.nn.functional.smooth_l1_loss[at_beta]",
                 lambda a, b: mint.nn.functional.smooth_l1_loss(a, b), (p, t))]


def tensor(a: np.ndarray):
    return Tensor(a)


def _probs(*shape) -> np.ndarray:
    e = np.exp(randn(*shape, dtype=F64))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


def _linalg_cases() -> list[Case]:
    reseed("_linalg_cases")
    a, b = randn(3, 3), randn(3, 2)
    spd = (a @ a.T + 3 * np.eye(3)).astype(np.float32)
    return [Case("ops.matmul[normal]", call(ops, "matmul"), (a, b), ("pynative", "graph")),
            Case("ops.matmul[vector]", lambda x, y: ops.matmul(x, y), (randn(3), a)),
            Case("ops.bmm[normal]", lambda x, y: ops.bmm(x, y), (randn(2, 2, 3), randn(2, 3, 2))),
            Case("ops.det[normal]", lambda x: ops.det(x), (a,), ("pynative", "second")),
            Case("ops.det[singular]", lambda x: ops.det(x), (arr([[1.0, 2.0], [2.0, 4.0]]),)),
            Case("ops.inverse[normal]", lambda x: ops.inverse(x), (spd,)),
            Case("ops.slogdet[spd]", lambda x: ops.slogdet(x), (spd,)),
            Case("ops.trace[normal]", lambda x: ops.trace(x), (a,)),
            Case("ops.outer[normal]", lambda x, y: ops.outer(x, y), (randn(3), randn(2))),
            Case("ops.inner[normal]", lambda x, y: ops.inner(x, y), (randn(2, 3), randn(3))),
            Case("ops.tensor_dot[normal]", lambda x, y: ops.tensor_dot(x, y, ((1,), (0,))), (a, b)),
            Case("ops.baddbmm[normal]", lambda c, x, y: ops.baddbmm(c, x, y, 0.5, 2.0),
                 (randn(2, 2, 2), randn(2, 2, 3), randn(2, 3, 2))),
            Case("ops.addmm[normal]", lambda c, x, y: ops.addmm(c, x, y, beta=0.5, alpha=2.0), (randn(3, 2), a, b)),
            Case("ops.cholesky[spd]", lambda x: ops.cholesky(x), (spd,)),
            Case("ops.matrix_power[3]", lambda x: ops.matrix_power(x, 3), (a,)),
            Case("ops.kron[normal]", lambda x, y: ops.kron(x, y), (randn(2, 2), randn(2, 1))),
            Case("ops.cross[normal]", lambda x, y: ops.cross(x, y, 1), (randn(2, 3), randn(2, 3))),
            Case("mint.matmul[normal]", lambda x, y: mint.matmul(x, y), (a, b))]


def _layout_cases() -> list[Case]:
    reseed("_layout_cases")
    x = randn(3, 4)
    idx = np.array([0, 2, 0], np.int32)  # a repeated index: its gradients add up
    return [Case("ops.gather[repeated]", lambda v: ops.gather(v, tensor(idx), 0), (x,)),
            Case("ops.gather_elements[repeated]",
                 lambda v: ops.gather_elements(v, 1, tensor(np.array([[0, 0], [1, 3], [2, 2]], np.int32))), (x,)),
            Case("ops.index_select[repeated]", lambda v: ops.index_select(v, 1, tensor(idx)), (x,)),
            Case("Tensor.__getitem__[repeated]", lambda v: v[tensor(idx)], (x,)),
            Case("Tensor.__getitem__[slice_step]", lambda v: v[::2, 1::2], (x,)),
            Case("Tensor.__getitem__[negative]", lambda v: v[-1, ::-1], (x,)),
            Case("Tensor.__getitem__[bool_mask]", lambda v, m: v[m], (x, x > 0)),
            Case("ops.masked_select[normal]", lambda v, m: ops.masked_select(v, m), (x, x > 0)),
            Case("ops.cat[normal]", lambda a, b: ops.cat((a, b), 1), (x, randn(3, 2))),
            Case("ops.stack[normal]", lambda a, b: ops.stack((a, b), 0), (x, randn(3, 4))),
            Case("ops.split[uneven]", lambda a: ops.split(a, 3, 1), (x,)),
            Case("ops.roll[normal]", lambda a: ops.roll(a, 1, 1), (x,)),
            Case("ops.flip[normal]", lambda a: ops.flip(a, (0, 1)), (x,)),
            Case("ops.tile[normal]", lambda a: ops.tile(a, (2, 1)), (x,)),
            Case("ops.broadcast_to[normal]", lambda a: ops.broadcast_to(a, (2, 3, 4)), (x,)),
            Case("ops.pad[reflect]", lambda a: ops.pad(a, (1, 1), "reflect"), (x,)),
            Case("ops.pad[replicate]", lambda a: ops.pad(a[None], (2, 1), "replicate"), (x,)),
            Case("ops.repeat_interleave[normal]", lambda a: ops.repeat_interleave(a, 2, 0), (x,)),
            Case("ops.scatter_add[repeated]", lambda a, u: ops.tensor_scatter_add(a, tensor(idx[:, None]), u),
                 (x, randn(3, 4))),
            Case("ops.tensor_scatter_update[repeated_free]",
                 lambda a, u: ops.tensor_scatter_update(a, tensor(np.array([[0], [2]], np.int32)), u),
                 (x, randn(2, 4))),
            Case("ops.tril[normal]", lambda a: ops.tril(a), (x,)),
            Case("ops.diagonal[offset]", lambda a: ops.diagonal(a, 1), (x,)),
            Case("ops.narrow[normal]", lambda a: ops.narrow(a, 1, 1, 2), (x,)),
            Case("ops.squeeze[expand_dims]", lambda a: ops.squeeze(ops.expand_dims(a, 0), 0), (x,))]


def _norm_layer_cases() -> list[Case]:
    reseed("_norm_layer_cases")
    x = randn(2, 3, 4)
    const = np.ones((2, 3, 4), np.float32)  # zero variance
    c = []
    for label, v in (("normal", x), ("constant", const)):
        c += [Case(f"ops.layer_norm[{label}]", lambda a, g, b: ops.layer_norm(a, (4,), g, b),
                   (v, randn(4), randn(4))),
              Case(f"mint.nn.functional.layer_norm[{label}]",
                   lambda a, g, b: mint.nn.functional.layer_norm(a, (4,), g, b), (v, randn(4), randn(4))),
              Case(f"ops.normalize[{label}]", lambda a: ops.normalize(a) if hasattr(ops, "normalize") else
                   mint.nn.functional.normalize(a), (v,)),
              Case(f"ops.batch_norm[{label},training]",
                   lambda a, g, b: ops.batch_norm(a, ms_zeros(3), ms_ones(3), g, b, True), (v, randn(3), randn(3))),
              Case(f"ops.std[{label},last_axis]", lambda a: ops.std(a, -1), (v,)),
              Case(f"ops.group_norm[{label}]", lambda a, g, b: ops.group_norm(a, 1, g, b), (v, randn(3), randn(3)))]
    return c


def ms_zeros(n):
    return tensor(np.zeros(n, np.float32))


def ms_ones(n):
    return tensor(np.ones(n, np.float32))


def cases() -> list[Case]:
    return _softmax_cases() + _loss_cases() + _linalg_cases() + _layout_cases() + _norm_layer_cases()
