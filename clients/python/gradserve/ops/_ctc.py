"""The connectionist temporal classification loss: its forward (alpha) recursion, which nn.CTCLoss uses, and
the primitive ops.CTCLoss (MindSpore's P.CTCLoss: logits, a sparse label list, the blank the last class; it gives
the losses and their gradient w.r.t. the logits). The recursion runs over the T steps in log space, so the lengths
may be traced Tensors and the derivative is that of the recursion's ops."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor

__all__ = ["CTCLoss"]

_NEG = -1e30  # log(0) as a finite number: -inf would make 0 * inf = nan in the backward of unreachable states
_INF_AT = 1e29  # a loss this large came from no alignment at all


def _lse3(a, b, c):
    o = late.ops
    m = o.maximum(o.maximum(a, b), c)
    return m + o.log(o.exp(a - m) + o.exp(b - m) + o.exp(c - m))


def ctc_negative_log_likelihood(log_probs, targets, input_lengths, target_lengths, blank: int):
    """[N] losses (float32 for float16 inputs, else log_probs' dtype)."""
    o = late.ops
    t_steps, n, _ = log_probs.shape
    s = targets.shape[1]
    lp = o.cast(log_probs, "float32") if log_probs._dtype == "float16" else log_probs
    dt = lp._dtype
    tg = o.cast(targets, "int64")
    # the extended labels [blank, y1, blank, y2, ..., blank]: [N, 2S + 1]
    blanks = o.zeros((n, s), _dt.int64) + blank
    ext = o.concat([o.reshape(o.stack([blanks, tg], 2), (n, 2 * s)), blanks[:, :1]], 1)
    states = 2 * s + 1
    # a state may come from two back where it is a label differing from the label two back
    prev2 = o.concat([ext[:, :2], ext[:, :-2]], 1)
    skip_ok = o.logical_and(o.ne(ext, blank), o.ne(ext, prev2))
    neg = o.zeros((n, states), _dt.get(dt)) + _NEG
    first = o.cast(o.lt(o.arange(states), 2), "bool")  # states 0 and 1 start
    alpha = o.select(o.broadcast_to(first, (n, states)), o.gather_elements(lp[0], 1, ext), neg)
    lengths = o.cast(input_lengths, "int64")
    for t in range(1, t_steps):
        shift1 = o.concat([neg[:, :1], alpha[:, :-1]], 1)
        shift2 = o.select(skip_ok, o.concat([neg[:, :2], alpha[:, :-2]], 1), neg)
        new = _lse3(alpha, shift1, shift2) + o.gather_elements(lp[t], 1, ext)
        alpha = o.select(o.broadcast_to(o.expand_dims(o.gt(lengths, t), 1), (n, states)), new, alpha)
    end = o.expand_dims(2 * o.cast(target_lengths, "int64"), 1)  # the last blank; the last label before it
    last = o.gather_elements(alpha, 1, end)
    before = o.select(o.gt(end, 0), o.gather_elements(alpha, 1, o.maximum(end - 1, 0)),
                         neg[:, :1])
    m = o.maximum(last, before)
    return -o.squeeze(m + o.log(o.exp(last - m) + o.exp(before - m)), 1)


class CTCLoss:
    """P.CTCLoss(preprocess_collapse_repeated=False, ctc_merge_repeated=True, ignore_longer_outputs_than_inputs=False)
    (inputs [T, N, C] logits, labels_indices [K, 2] (batch, position), labels_values [K], sequence_length [N]) ->
    (loss [N], gradient [T, N, C] of sum(loss) w.r.t. inputs): the log-softmax of the logits, blank C - 1
    (MindSpore 2.10's; an example no alignment reaches: loss inf, gradient 0). The label list is read as values
    (its layout sets the targets' shape)."""

    def __init__(self, preprocess_collapse_repeated=False, ctc_merge_repeated=True,
                 ignore_longer_outputs_than_inputs=False):
        if preprocess_collapse_repeated or not ctc_merge_repeated or ignore_longer_outputs_than_inputs:
            raise NotImplementedError("CTCLoss: gradserve implements the default rule only "
                                      "(preprocess_collapse_repeated=False, ctc_merge_repeated=True, "
                                      "ignore_longer_outputs_than_inputs=False)")

    def __call__(self, inputs, labels_indices, labels_values, sequence_length):
        o = late.ops
        if inputs.ndim != 3:
            raise ValueError(f"For 'CTCLoss', inputs must be [max_time, batch_size, num_classes], got {list(inputs.shape)}")
        n, c = int(inputs.shape[1]), int(inputs.shape[2])
        where = np.asarray(labels_indices._concrete("CTCLoss's labels_indices"), np.int64).reshape(-1, 2)
        values = np.asarray(labels_values._concrete("CTCLoss's labels_values"), np.int64).reshape(-1)
        lengths = np.bincount(where[:, 0], minlength=n)[:n]
        targets = np.zeros((n, max(int(lengths.max(initial=0)), 1)), np.int64)
        targets[where[:, 0], where[:, 1]] = values

        def loss_of(x):
            return ctc_negative_log_likelihood(o.log_softmax(x, -1), Tensor(targets), sequence_length,
                                               Tensor(lengths.astype(np.int64)), c - 1)

        def reachable(x):  # an example no alignment reaches (its loss: _NEG's stand-in) gives 0 (MindSpore 2.10)
            loss = loss_of(x)
            return o.select(o.gt(loss, _INF_AT), o.zeros_like(loss), loss)

        loss = loss_of(inputs)
        loss = o.select(o.gt(loss, _INF_AT), o.zeros_like(loss) + float("inf"), loss)  # (its loss: inf)
        return loss, o.grad(lambda x: o.sum(reachable(x)))(inputs)
