"""auto_generate.lstsq_v2_grad_op(dx, a, b) -> (da, db): the backward of LstsqV2, whose solution is X = pinv(A) B
(batched over leading axes): the cotangents of A and B for X's cotangent dx, taken as gradserve's own vjp of that
composition (pinv's closed-form rule), so one definition of pinv's derivative serves both."""
from __future__ import annotations

from typing import Any

__all__ = ["LstsqV2Grad", "lstsq_v2_grad_op"]


class LstsqV2Grad:
    """See the module's doc."""

    def __call__(self, dx, a, b):
        from .. import ops

        vjp: Any = ops.vjp  # (its annotation is the general one: outputs, a function, maybe aux)
        _, back = vjp(lambda a_, b_: ops.matmul(ops.pinv(a_), b_), a, b)
        return back(dx)


lstsq_v2_grad_op = LstsqV2Grad()
