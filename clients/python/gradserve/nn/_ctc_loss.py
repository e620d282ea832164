"""nn.CTCLoss(blank=0, reduction='mean', zero_infinity=False)(log_probs [T, N, C], targets [N, S],
input_lengths [N], target_lengths [N]): the connectionist temporal classification loss, -log of the summed
probability of every alignment of each target to its input (MindSpore 2.10's documented layer; its numbers
are torch.nn.functional.ctc_loss's). 'mean' divides each loss by its target length (at least 1) before the
mean. The forward (alpha) recursion runs over the T steps in log space, so the lengths may be traced Tensors.
The gradient w.r.t. log_probs is MindSpore's and torch's: exp(log_probs) - gamma (gamma the alignments' posterior
of each class at each step) before each input length, 0 after; that is the derivative through a log_softmax
that made log_probs, not the true derivative w.r.t. log_probs given as a leaf (-gamma). An impossible alignment gives inf (0 with zero_infinity).
Padded 2-D targets only (the concatenated 1-D form is refused by name)."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Tensor
from ..ops._ctc import _INF_AT, ctc_negative_log_likelihood

__all__ = ["CTCLoss"]

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
        loss = ctc_negative_log_likelihood(log_probs, targets, input_lengths, target_lengths, self.blank,
                                           softmax_grad=True)
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
