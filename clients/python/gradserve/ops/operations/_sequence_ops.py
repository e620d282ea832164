"""`mindspore.ops.operations._sequence_ops`: MindSpore's op classes over tuples and lists (seq.SequenceMul,
TupleToTensor...). The ones gradserve implements are here; any other name raises a clear error when used
(see _missing.py)."""
from __future__ import annotations

import numpy as np

from ... import dtype as _dt
from ... import ops as _ops
from ..._late import late
from ..._tensor import Tensor
from ._missing import module_getattr

__all__ = ["TupleToTensor", "ListToTensor", "SequenceMul", "SequenceStack"]


class _SeqToTensor:
    """A tuple / list of numbers (or of 0-d Tensors, stacked: differentiable) as a 1-D Tensor of dtype."""
    _name = "TupleToTensor"
    _kind: type = tuple

    def __call__(self, input_x, dtype=_dt.float32):
        if not isinstance(input_x, self._kind):
            raise TypeError(f"For '{self._name}', the input must be a {self._kind.__name__}, "
                            f"got {type(input_x).__name__}")
        if any(isinstance(e, Tensor) for e in input_x):
            return late.ops.stack([late.ops.cast(e if isinstance(e, Tensor) else Tensor(e), dtype)
                                   for e in input_x])
        return Tensor(np.asarray(input_x), dtype)


class TupleToTensor(_SeqToTensor):
    """TupleToTensor()(x, dtype=float32): the tuple x as a 1-D Tensor."""


class ListToTensor(_SeqToTensor):
    """ListToTensor()(x, dtype=float32): the list x as a 1-D Tensor."""
    _name = "ListToTensor"
    _kind = list


class SequenceMul:
    """SequenceMul()(seq, n): the tuple / list seq repeated n times (Python's seq * n)."""

    def __call__(self, input_1, input_2):
        if not isinstance(input_1, (tuple, list)) or isinstance(input_2, bool) or not isinstance(input_2, int):
            raise TypeError("For 'SequenceMul', the inputs must be a tuple or list and an int, got "
                            f"{type(input_1).__name__} and {type(input_2).__name__}")
        return input_1 * input_2


class SequenceStack:
    """SequenceStack(axis=0)(seq): the tuple / list of same-shaped Tensors seq stacked along a new axis (ops.stack),
    with MindSpore 2.10's checks and texts. MindSpore 2.10 runs it in GRAPH_MODE only (PyNative CPU: a TypeError
    without text) and has no bprop for it; gradserve runs it in both modes and differentiates it as ops.stack."""

    def __init__(self, axis=0):
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"For 'SequenceStack', the type of 'axis' should be 'int', but got type "
                            f"'{type(axis).__name__}'.")
        self.axis = axis

    def __call__(self, seq):
        if not isinstance(seq, (tuple, list)):
            raise TypeError(f"For SequenceStack, input[0] must be sequence, but got {type(seq).__name__}")
        if not seq:
            raise ValueError("For primitive[SequenceStack], the stack element num must be greater than or equal to 1, "
                             "but got 0.")
        first = tuple(seq[0].shape)
        for t in seq[1:]:
            if tuple(t.shape) != first:
                raise ValueError(f"All input shape must be the same! [const vector]{{{', '.join(map(str, t.shape))}}} "
                                 f"And [const vector]{{{', '.join(map(str, first))}}}")
        rank = len(first) + 1
        if not -rank <= self.axis < rank:
            raise ValueError(f"For primitive[SequenceStack], the Stack axis must be in [{-rank},{rank - 1}], but got "
                             f"{self.axis}.")
        return late.ops.stack(list(seq), self.axis)


__getattr__ = module_getattr("mindspore.ops.operations._sequence_ops", _ops)
