"""MindSpore 2.10 ctc_greedy_decoder (CTCGreedyDecoder) and MatrixSolveLs from its documented examples. The decoder's
output sizes depend on the values (computed on them, in the client); MatrixSolveLs is a composition (the regularized
normal equations), so differentiable."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["ctc_greedy_decoder", "CTCGreedyDecoder", "MatrixSolveLs"]


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True):
    """Greedy CTC decoding of (T, N, C) logits: per batch, each step's best class over its first sequence_length
    steps, repeats merged (merge_repeated), the blank (class C - 1) dropped. (decoded_indices [K, 2] of (batch,
    position), decoded_values [K], decoded_shape [N, longest], log_probability [N, 1]: minus the sum of the steps'
    best logits), all int64 but the last."""
    x = inputs._host_copy()
    lengths = sequence_length._host_copy().astype(np.int64)
    if x.ndim != 3 or lengths.shape != (x.shape[1],) or (lengths > x.shape[0]).any() or (lengths < 0).any():
        raise ValueError(f"For 'ctc_greedy_decoder', inputs must be (T, N, C) and sequence_length N lengths up to T, "
                         f"but got {x.shape} and {lengths.tolist()}.")
    blank = x.shape[2] - 1
    indices, values, longest, log_prob = [], [], 0, np.zeros((x.shape[1], 1), x.dtype)
    for b, n in enumerate(lengths):
        best = x[:n, b].argmax(axis=1)
        log_prob[b, 0] = -x[:n, b].max(axis=1).sum() if n else 0
        keep = best != blank
        if merge_repeated and n:
            keep &= np.concatenate([[True], best[1:] != best[:-1]])
        decoded = best[keep]
        indices += [[b, i] for i in range(len(decoded))]
        values += decoded.tolist()
        longest = max(longest, len(decoded))
    return (Tensor(np.array(indices, np.int64).reshape(-1, 2)), Tensor(np.array(values, np.int64)),
            Tensor(np.array([x.shape[1], longest], np.int64)), Tensor(log_prob))


class CTCGreedyDecoder:
    """ops.CTCGreedyDecoder(merge_repeated=True)(inputs, sequence_length)."""

    def __init__(self, merge_repeated=True):
        self.merge_repeated = merge_repeated

    def __call__(self, inputs, sequence_length):
        return ctc_greedy_decoder(inputs, sequence_length, self.merge_repeated)


class MatrixSolveLs:
    """ops.MatrixSolveLs(fast=True)(matrix, rhs, l2): argmin_X |matrix X - rhs|^2 + l2 |X|^2 for each matrix,
    from the normal equations (matrix^T matrix + l2 I) X = matrix^T rhs."""

    def __init__(self, fast=True):
        self.fast = fast

    def __call__(self, matrix, rhs, l2):
        ops = late.ops
        l2 = float(l2._host_copy()) if isinstance(l2, Tensor) else float(l2)
        n = int(matrix.shape[-1])
        gram = ops.matmul(ops.swapaxes(matrix, -1, -2), matrix)
        if l2:
            gram = ops.add(gram, Tensor(np.eye(n, dtype=np.dtype(matrix._dtype)) * l2))
        return ops.matmul(ops.inverse(gram), ops.matmul(ops.swapaxes(matrix, -1, -2), rhs))
