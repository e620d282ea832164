"""The connectionist temporal classification loss: its forward (alpha) recursion, which nn.CTCLoss uses, and
the primitive ops.CTCLoss (MindSpore's P.CTCLoss: logits, a sparse label list, the blank the last class; it gives
the losses and their gradient w.r.t. the logits). The recursion runs over the T steps in log space, so the lengths
may be traced Tensors and the derivative is that of the recursion's ops."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._late import late
from .._tensor import Tensor

__all__ = ["CTCLoss", "CTCLossV2", "ctc_loss"]

_NEG = -1e30  # log(0) as a finite number: -inf would make 0 * inf = nan in the backward of unreachable states
_INF_AT = 1e29  # a loss this large came from no alignment at all


def _lse3(a, b, c):
    o = late.ops
    m = o.maximum(o.maximum(a, b), c)
    return m + o.log(o.exp(a - m) + o.exp(b - m) + o.exp(c - m))


def ctc_negative_log_likelihood(log_probs, targets, input_lengths, target_lengths, blank: int,
                                history: list | None = None, softmax_grad: bool = False):
    """[N] losses (float32 for float16 inputs, else log_probs' dtype); history, when given, gets the [N, 2S + 1]
    alphas of every step (each carried on past its example's input length). softmax_grad: the gradient w.r.t.
    log_probs is exp(log_probs) - gamma at the steps before each input length (MindSpore's CTCLossV2Grad and
    torch's ctc_loss backward, which take log_probs to be a log-softmax output), not the recursion's -gamma."""
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
    # a state may come from two back where its symbol differs from the one two back (a blank state's is a blank;
    # a target equal to the blank counts as a label here, as in torch's and MindSpore's CTCLossV2)
    prev2 = o.concat([ext[:, :2], ext[:, :-2]], 1)
    skip_ok = o.ne(ext, prev2)
    neg = o.zeros((n, states), _dt.get(dt)) + _NEG
    first = o.cast(o.lt(o.arange(states), 2), "bool")  # states 0 and 1 start
    alpha = o.select(o.broadcast_to(first, (n, states)), o.gather_elements(lp[0], 1, ext), neg)
    lengths = o.cast(input_lengths, "int64")
    if history is not None:
        history.append(alpha)
    for t in range(1, t_steps):
        shift1 = o.concat([neg[:, :1], alpha[:, :-1]], 1)
        shift2 = o.select(skip_ok, o.concat([neg[:, :2], alpha[:, :-2]], 1), neg)
        new = _lse3(alpha, shift1, shift2) + o.gather_elements(lp[t], 1, ext)
        alpha = o.select(o.broadcast_to(o.expand_dims(o.gt(lengths, t), 1), (n, states)), new, alpha)
        if history is not None:
            history.append(alpha)
    end = o.expand_dims(2 * o.cast(target_lengths, "int64"), 1)  # the last blank; the last label before it
    last = o.gather_elements(alpha, 1, end)
    before = o.select(o.gt(end, 0), o.gather_elements(alpha, 1, o.maximum(end - 1, 0)),
                         neg[:, :1])
    m = o.maximum(last, before)
    nll = -o.squeeze(m + o.log(o.exp(last - m) + o.exp(before - m)), 1)
    if not softmax_grad:
        return nll
    return nll + _softmax_term(lp, lengths) + _last_blank_target_term(lp, tg, lengths, target_lengths, blank,
                                                                        o.squeeze(last, 1) + nll)


def _last_blank_target_term(lp, tg, lengths, target_lengths, blank: int, log_end_posterior):
    """[N] zeros whose gradient w.r.t. lp[L - 1, n, blank] (L the input length) is the posterior of ending in the
    final blank state, for an example whose last target equals the blank: torch's and MindSpore's CTCLossV2 backward
    set that step's blank gradient from the last label state alone (they assume the two end states' symbols
    differ), so their gamma there lacks this share (checked against both)."""
    o = late.ops
    tl = o.cast(target_lengths, "int64")
    last_target = o.squeeze(o.gather_elements(tg, 1, o.expand_dims(o.maximum(tl - 1, 0), 1)), 1)
    applies = o.logical_and(o.logical_and(o.gt(tl, 0), o.equal(last_target, blank)), o.gt(lengths, 0))
    at_end = o.equal(o.expand_dims(o.arange(int(lp.shape[0])), 1), o.expand_dims(lengths - 1, 0))  # [T, N]
    blank_lp = lp[:, :, blank]
    end_lp = o.sum(o.select(at_end, blank_lp, o.zeros_like(blank_lp)), 0)
    share = o.stop_gradient(o.exp(log_end_posterior))
    return o.select(applies, share * (end_lp - o.stop_gradient(end_lp)), o.zeros_like(end_lp))


def _softmax_term(lp, lengths):
    """[N] zeros whose gradient w.r.t. lp is exp(lp) at the steps before each example's input length: the
    term MindSpore's and torch's CTC backward add to -gamma (their log-softmax convention)."""
    o = late.ops
    e = o.exp(lp)
    live = o.lt(o.expand_dims(o.arange(int(lp.shape[0])), 1), o.expand_dims(lengths, 0))  # [T, N]
    live = o.broadcast_to(o.expand_dims(live, 2), tuple(lp.shape))
    return o.sum(o.select(live, e - o.stop_gradient(e), o.zeros_like(e)), (0, 2))


def _sparse_targets(where, values, n: int, c: int):
    """P.CTCLoss's sparse labels -> padded [N, S] targets and [N] lengths. As MindSpore's CPU kernel (TensorFlow's
    rule), a label >= C - 1 (the blank) ends its example's sequence: trailing ones are padding and dropped, one
    followed by a real label is an error."""
    if values.size and (values.min() < 0 or values.max() >= c):
        at = int(np.flatnonzero((values < 0) | (values >= c))[0])
        raise ValueError(f"For 'CTCLoss', labels_values[{at}] must be in [0, {c}) (num_classes), got {values[at]}")
    if where.size and (where[:, 0].min() < 0 or where[:, 0].max() >= n):
        raise ValueError(f"For 'CTCLoss', labels_indices' batch column must be in [0, {n}), got {where[:, 0].tolist()}")
    rows: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # (position, value) per example
    for b, pos, value in sorted(zip(where[:, 0].tolist(), where[:, 1].tolist(), values.tolist())):
        rows[b].append((pos, value))
    labels = []
    for b, row in enumerate(rows):
        kept = [v for _, v in row if v < c - 1]
        first_blank = next((i for i, (_, v) in enumerate(row) if v >= c - 1), len(row))
        if len(kept) != first_blank:
            raise ValueError(f"For 'CTCLoss', example {b}'s labels {[v for _, v in row]}: a label equal to the blank "
                             f"({c - 1}) may only pad the end of a sequence, not come before a real label")
        labels.append(kept)
    lengths = np.array([len(k) for k in labels], np.int64)
    targets = np.zeros((n, max(int(lengths.max(initial=0)), 1)), np.int64)
    for b, kept in enumerate(labels):
        targets[b, :len(kept)] = kept
    return targets, lengths


def _empty_label_nll(x, lp, sequence_length, blank: int):
    """[N] losses MindSpore 2.10's CPU P.CTCLoss gives an example whose labels are all blank (empty once the
    padding is dropped), measured on its venv: -log(prod_{t < L-1} p_t(blank) * (1 + p_{L-1}(blank))), L its
    sequence length (the true value has no (1 + ...) factor), and as gradient w.r.t. the logits x its usual
    p - gamma with gamma = one-hot(blank) before L - 1 and p(blank) / (1 + p(blank)) of it at L - 1 (not the
    derivative of that loss, as gamma there does not sum to 1): the value below, plus a zero with that gradient."""
    o = late.ops
    blank_lp = lp[:, :, blank]  # [T, N]
    steps = o.expand_dims(o.arange(int(lp.shape[0])), 1)
    last_step = o.expand_dims(o.cast(sequence_length, "int64"), 0) - 1
    zeros = o.zeros_like(blank_lp)
    before, at_last = o.lt(steps, last_step), o.equal(steps, last_step)
    at_last_lp = o.sum(o.select(at_last, blank_lp, zeros), 0)
    value = -(o.sum(o.select(before, blank_lp, zeros), 0) + o.log(1.0 + o.exp(at_last_lp)))
    weight = o.stop_gradient(o.exp(at_last_lp) / (1.0 + o.exp(at_last_lp)))  # gamma(blank) at L - 1
    lse = o.logsumexp(x, -1)  # [T, N]
    surrogate = o.sum(o.select(before, -blank_lp, zeros), 0) + \
        o.sum(o.select(at_last, lse - weight * x[:, :, blank], zeros), 0)
    return o.stop_gradient(value) + surrogate - o.stop_gradient(surrogate)


class CTCLoss:
    """P.CTCLoss(preprocess_collapse_repeated=False, ctc_merge_repeated=True, ignore_longer_outputs_than_inputs=False)
    (inputs [T, N, C] logits, labels_indices [K, 2] (batch, position), labels_values [K], sequence_length [N]) ->
    (loss [N], gradient [T, N, C] of sum(loss) w.r.t. inputs): the log-softmax of the logits, blank C - 1
    (MindSpore 2.10's; an example no alignment reaches: loss inf, gradient 0). The label list is read as values
    (its layout sets the targets' shape); labels equal to the blank pad the end (see _sparse_targets)."""

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
        targets, lengths = _sparse_targets(where, values, n, c)
        empty = Tensor(lengths == 0)
        if isinstance(sequence_length, Tensor) and not sequence_length.is_symbolic and (lengths == 0).any():
            short = np.flatnonzero((lengths == 0) & (np.asarray(sequence_length._host_copy()).reshape(-1)[:n] < 2))
            if short.size:  # (MindSpore's kernel fails there: "the length of log_beta_b must be greater than 1")
                raise ValueError(f"For 'CTCLoss', example {int(short[0])} has only blank labels and a sequence "
                                 "length under 2, which MindSpore's kernel refuses")

        def loss_of(x):
            lp = o.log_softmax(x, -1)
            nll = ctc_negative_log_likelihood(lp, Tensor(targets), sequence_length, Tensor(lengths), c - 1)
            return o.select(empty, _empty_label_nll(x, lp, sequence_length, c - 1), nll)

        def reachable(x):  # an example no alignment reaches (its loss: _NEG's stand-in) gives 0 (MindSpore 2.10)
            loss = loss_of(x)
            return o.select(o.gt(loss, _INF_AT), o.zeros_like(loss), loss)

        loss = loss_of(inputs)
        loss = o.select(o.gt(loss, _INF_AT), o.zeros_like(loss) + float("inf"), loss)  # (its loss: inf)
        return loss, o.grad(lambda x: o.sum(reachable(x)))(inputs)


def _lengths(value, name: str, n: int):
    """input_lengths / target_lengths: a Tensor or a tuple of N integers (MindSpore's dtype error for others)."""
    if isinstance(value, (tuple, list)):
        value = Tensor(list(value))  # (Python floats: float32, as MindSpore)
    if not isinstance(value, Tensor):
        raise TypeError(f"For 'CTCLossV2', '{name}' must be a Tensor or a tuple, got {type(value).__name__}")
    if value._dtype not in ("int32", "int64"):
        name_of = {"float32": "Float32", "float64": "Float64", "float16": "Float16"}.get(value._dtype, value._dtype)
        raise TypeError(f"For 'CTCLossV2', the type of '{name}' should be Tensor[Int32, Int64], but got {name_of}")
    if tuple(value.shape) != (n,):
        raise ValueError(f"For 'CTCLossV2', '{name}' must have shape ({n},) (the batch size), got {list(value.shape)}")
    return value


class CTCLossV2:
    """P.CTCLossV2(blank=0, reduction='none', zero_infinity=False)(log_probs [T, N, C], targets [N, S],
    input_lengths [N], target_lengths [N]) -> (neg_log_likelihood [N], log_alpha [N, T, 2S + 1]): nn.CTCLoss's
    recursion. Its gradient w.r.t. log_probs is MindSpore's (and torch's): exp(log_probs) - gamma (gamma the
    alignments' posterior of each class at each step) before each input length, 0 after: the derivative when
    log_probs is a log_softmax output, not the true derivative w.r.t. log_probs given as a leaf; log_alpha the log forward variables, -inf past an example's input length, past its 2 * target
    length + 1 states and where no alignment reaches (MindSpore 2.10's CPU kernel, checked in its venv). An
    impossible alignment's loss is inf (0 with zero_infinity)."""

    def __init__(self, blank=0, reduction="none", zero_infinity=False):
        if isinstance(blank, bool) or not isinstance(blank, int):
            raise TypeError(f"For 'CTCLossV2', 'blank' must be an int, got {type(blank).__name__}")
        if not isinstance(reduction, str) or reduction.lower() != "none":
            raise ValueError(f"For 'CTCLossV2', the 'reduction' must be 'none', got {reduction!r}")
        if not isinstance(zero_infinity, bool):
            raise TypeError(f"For 'CTCLossV2', 'zero_infinity' must be a bool, got {type(zero_infinity).__name__}")
        self.blank, self.zero_infinity = blank, zero_infinity

    def __call__(self, log_probs, targets, input_lengths, target_lengths):
        o = late.ops
        if not isinstance(log_probs, Tensor) or log_probs.ndim != 3:
            raise ValueError(f"For 'CTCLossV2', log_probs must be a [T, N, C] Tensor, got "
                             f"{getattr(log_probs, 'shape', type(log_probs).__name__)}")
        t_steps, n, c = (int(d) for d in log_probs.shape)
        if not isinstance(targets, Tensor) or targets.ndim != 2 or targets.shape[0] != n:
            raise ValueError(f"For 'CTCLossV2', targets must be a [N={n}, S] Tensor, got "
                             f"{getattr(targets, 'shape', type(targets).__name__)}")
        if not 0 <= self.blank < c:
            raise ValueError(f"For 'CTCLossV2', blank must be in [0, {c}), got {self.blank}")
        input_lengths = _lengths(input_lengths, "input_lengths", n)
        target_lengths = _lengths(target_lengths, "target_lengths", n)
        steps: list = []
        loss = ctc_negative_log_likelihood(log_probs, targets, input_lengths, target_lengths, self.blank, steps,
                                           softmax_grad=True)
        impossible = o.gt(loss, _INF_AT)
        loss = o.select(impossible, o.zeros_like(loss) + (0.0 if self.zero_infinity else float("inf")), loss)
        if loss._dtype != log_probs._dtype:
            loss = o.cast(loss, log_probs._dtype)
        alpha = o.stack(steps, 1)  # [N, T, 2S + 1]
        states = alpha.shape[2]
        live_t = o.expand_dims(o.lt(o.arange(t_steps), o.expand_dims(o.cast(input_lengths, "int64"), 1)), 2)
        live_s = o.expand_dims(o.lt(o.arange(states), o.expand_dims(2 * o.cast(target_lengths, "int64") + 1, 1)), 1)
        live = o.logical_and(o.logical_and(live_t, live_s), o.gt(alpha, -_INF_AT))
        log_alpha = o.select(live, alpha, o.zeros_like(alpha) - float("inf"))
        if log_alpha._dtype != log_probs._dtype:
            log_alpha = o.cast(log_alpha, log_probs._dtype)
        return loss, log_alpha


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """ops.ctc_loss(...) -> (loss, log_alpha): CTCLossV2's, the loss reduced: 'mean' divides each by its target
    length (at least 1) in float32, then takes the mean; 'sum' sums. Its gradient w.r.t. log_probs is
    CTCLossV2's: exp(log_probs) - gamma (MindSpore's and torch's log-softmax convention)."""
    if not isinstance(reduction, str) or reduction not in ("none", "mean", "sum"):
        raise ValueError(f"For 'ctc_loss', 'reduction' must be 'none', 'mean' or 'sum', got {reduction!r}")
    o = late.ops
    loss, log_alpha = CTCLossV2(blank, "none", zero_infinity)(log_probs, targets, input_lengths, target_lengths)
    if reduction == "sum":
        loss = o.sum(loss)
    elif reduction == "mean":
        lengths = target_lengths if isinstance(target_lengths, Tensor) else Tensor(list(target_lengths))
        per = o.maximum(o.cast(lengths, "float32"), 1.0)
        loss = o.cast(o.mean(o.cast(loss, "float32") / per), loss._dtype)
    return loss, log_alpha
