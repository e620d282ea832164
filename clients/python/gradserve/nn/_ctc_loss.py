"""nn.CTCLoss(blank=0, reduction='mean', zero_infinity=False)(log_probs [T, N, C], targets [N, S],
input_lengths [N], target_lengths [N]): the connectionist temporal classification loss, -log of the summed
probability of every alignment of each target to its input (MindSpore 2.10's documented layer; its numbers
are torch.nn.functional.ctc_loss's). 'mean' divides each loss by its target length (at least 1) before the
mean. The forward (alpha) recursion runs over the T steps in log space, so the lengths may be traced Tensors
and the derivative is that of the recursion's ops. An impossible alignment gives inf (0 with zero_infinity).
Padded 2-D targets only (the concatenated 1-D form is refused by name)."""
from __future__ import annotations

from .. import dtype as _dt
from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Tensor

__all__ = ["CTCLoss"]

_NEG = -1e30  # log(0) as a finite number: -inf would make 0 * inf = nan in the backward of unreachable states
_INF_AT = 1e29  # a loss this large came from no alignment at all


def _lse3(a, b, c):
    m = _ops.maximum(_ops.maximum(a, b), c)
    return m + _ops.log(_ops.exp(a - m) + _ops.exp(b - m) + _ops.exp(c - m))


def ctc_negative_log_likelihood(log_probs, targets, input_lengths, target_lengths, blank: int):
    """[N] losses (float32 for float16 inputs, else log_probs' dtype)."""
    t_steps, n, _ = log_probs.shape
    s = targets.shape[1]
    lp = _ops.cast(log_probs, "float32") if log_probs._dtype == "float16" else log_probs
    dt = lp._dtype
    tg = _ops.cast(targets, "int64")
    # the extended labels [blank, y1, blank, y2, ..., blank]: [N, 2S + 1]
    blanks = _ops.zeros((n, s), _dt.int64) + blank
    ext = _ops.concat([_ops.reshape(_ops.stack([blanks, tg], 2), (n, 2 * s)), blanks[:, :1]], 1)
    states = 2 * s + 1
    # a state may come from two back where it is a label differing from the label two back
    prev2 = _ops.concat([ext[:, :2], ext[:, :-2]], 1)
    skip_ok = _ops.logical_and(_ops.ne(ext, blank), _ops.ne(ext, prev2))
    neg = _ops.zeros((n, states), _dt.get(dt)) + _NEG
    first = _ops.cast(_ops.lt(_ops.arange(states), 2), "bool")  # states 0 and 1 start
    alpha = _ops.select(_ops.broadcast_to(first, (n, states)), _ops.gather_elements(lp[0], 1, ext), neg)
    lengths = _ops.cast(input_lengths, "int64")
    for t in range(1, t_steps):
        shift1 = _ops.concat([neg[:, :1], alpha[:, :-1]], 1)
        shift2 = _ops.select(skip_ok, _ops.concat([neg[:, :2], alpha[:, :-2]], 1), neg)
        new = _lse3(alpha, shift1, shift2) + _ops.gather_elements(lp[t], 1, ext)
        alpha = _ops.select(_ops.broadcast_to(_ops.expand_dims(_ops.gt(lengths, t), 1), (n, states)), new, alpha)
    end = _ops.expand_dims(2 * _ops.cast(target_lengths, "int64"), 1)  # the last blank; the last label before it
    last = _ops.gather_elements(alpha, 1, end)
    before = _ops.select(_ops.gt(end, 0), _ops.gather_elements(alpha, 1, _ops.maximum(end - 1, 0)),
                         neg[:, :1])
    m = _ops.maximum(last, before)
    return -_ops.squeeze(m + _ops.log(_ops.exp(last - m) + _ops.exp(before - m)), 1)


class CTCLoss(Cell):
    """See the module's doc."""

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__()
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"CTCLoss: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
        if isinstance(blank, bool) or not isinstance(blank, int) or blank < 0:
            raise ValueError(f"CTCLoss: blank must be an int >= 0, got {blank!r}")
        self.blank, self.reduction, self.zero_infinity = blank, reduction, bool(zero_infinity)

    def construct(self, log_probs, targets, input_lengths, target_lengths):
        if not isinstance(log_probs, Tensor) or log_probs.ndim != 3:
            raise ValueError("CTCLoss: log_probs must be [T, N, C] (the unbatched [T, C] form is not supported by "
                             f"gradserve), got {getattr(log_probs, 'shape', type(log_probs).__name__)}")
        if not isinstance(targets, Tensor) or targets.ndim != 2 or targets.shape[0] != log_probs.shape[1]:
            raise ValueError(f"CTCLoss: targets must be padded [N={log_probs.shape[1]}, S] (the concatenated 1-D form "
                             f"is not supported by gradserve), got {getattr(targets, 'shape', type(targets).__name__)}")
        loss = ctc_negative_log_likelihood(log_probs, targets, input_lengths, target_lengths, self.blank)
        impossible = _ops.gt(loss, _INF_AT)
        loss = _ops.select(impossible, _ops.zeros_like(loss) if self.zero_infinity else
                           _ops.zeros_like(loss) + float("inf"), loss)
        if loss._dtype != log_probs._dtype:
            loss = _ops.cast(loss, log_probs._dtype)
        if self.reduction == "sum":
            return _ops.sum(loss)
        if self.reduction == "mean":
            per = _ops.maximum(_ops.cast(target_lengths, loss._dtype), 1.0)
            return _ops.mean(loss / per)
        return loss
