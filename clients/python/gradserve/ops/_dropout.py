"""`ops.dropout`, `ops.Dropout`: MindSpore 2.x dropout, out = x * mask / keep_prob.

The engine has no random op, and a mask drawn at trace time would be a constant of the graph (a new
graph id, and a new compile, on every call). So the mask is data: a `MaskParameter`, one per dropout
in a trace, that the program draws anew before each run (`_trace.Program.random_draws`). One run
computes forward and backward, so both see the same mask; each run has a new one; the draws come from
the generator `set_seed` seeds (`_misc.random_ops_generator`), so a seeded program repeats its masks.
MindSpore's own bits are not reproduced (a different generator), only its distribution and its rules.
"""
from __future__ import annotations

import numpy as np

from .._misc import random_ops_generator
from .._tensor import Parameter, Tensor
from .._trace import current
from . import _primitives as P

__all__ = ["dropout", "Dropout"]


class MaskParameter(Parameter):
    """A keep-mask (1 kept, 0 dropped, in x's dtype) that each run draws anew. It is data from the
    start (its value never enters the graph: `_trace._frozen`) and takes no gradient. Drawn from the
    generator `set_seed` seeds."""

    def __init__(self, shape, dtype: str, keep_prob: float):
        super().__init__(Tensor(np.ones(shape, dtype)), name="dropout_mask", requires_grad=False)
        self.keep_prob = float(keep_prob)
        self._bump()  # data, not graph identity

    def gs_draw(self) -> None:
        keep = random_ops_generator().random(self._shape) < self.keep_prob
        self._data = keep.astype(self._dtype)
        self._bump()


def _check_keep(keep_prob, where: str) -> float:
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float)) or not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"For '{where}', the 'keep_prob' must be a number in range (0, 1], but got {keep_prob!r}.")
    return float(keep_prob)


def _mask(x: Tensor, keep_prob: float, shape: tuple | None = None) -> Tensor:
    """The keep-mask for one dropout of x (of x's shape, or `shape` that broadcasts to it: one draw per
    channel for dropout1d): a MaskParameter inside a trace, drawn here when run eagerly."""
    if not isinstance(x, Tensor):
        raise TypeError(f"dropout: the input must be a Tensor, got {type(x).__name__}")
    if not x._dtype.startswith("float"):
        raise TypeError(f"dropout: the input must be float16, float32 or float64, got {x.dtype}")
    tr = current()
    while tr is not None:
        if tr.user_vmaps:
            raise NotImplementedError("dropout inside vmap is not supported: each example needs its own mask, and a "
                                      "mask is drawn per call (MindSpore 2.10's vmap of dropout fails too); apply "
                                      "dropout to the whole batch outside vmap")
        tr = tr.parent
    m = MaskParameter(x.shape if shape is None else shape, x._dtype, keep_prob)
    if current() is None:
        m.gs_draw()
        return Tensor(m._data)
    return m


def _apply(x: Tensor, keep_prob: float) -> tuple[Tensor, Tensor]:
    mask = _mask(x, keep_prob)
    return P.div(P.mul(x, mask), keep_prob), mask


def dropout(input, p=0.5, training=True, seed=None):  # noqa: A002 - MindSpore's names
    """ops.dropout(input, p=0.5, training=True, seed=None): each element zeroed with probability p, the
    rest scaled by 1 / (1 - p); the input itself when training is False or p is 0. `seed` is accepted
    and not used: `set_seed` alone decides the draws."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise ValueError(f"For 'dropout', the 'p' must be a number in range [0, 1), but got {p!r}.")
    if not training or p == 0:
        return input
    return _apply(input, 1.0 - float(p))[0]


class Dropout(P.Primitive):
    """ops.Dropout(keep_prob=0.5, Seed0=0, Seed1=0)(x) -> (output, mask): mask holds 1 where x was kept and
    0 where dropped, in x's dtype (MindSpore 2.10 on CPU). Seed0 / Seed1 are accepted and not used."""

    def __init__(self, keep_prob=0.5, Seed0=0, Seed1=0):  # noqa: N803 - MindSpore's names
        self.keep_prob = _check_keep(keep_prob, "Dropout")
        self.seed0, self.seed1 = Seed0, Seed1

    def __call__(self, x):
        return _apply(x, self.keep_prob)
