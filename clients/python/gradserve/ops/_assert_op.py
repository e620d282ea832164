"""ops.Assert(summarize=3)(condition, input_data): MindSpore 2.10's Assert. A false condition (its first element, as
MindSpore's CPU kernel reads it) prints "For 'Assert' condition is false." and the first `summarize` elements of each
input, then raises RuntimeError("assert failed"). A traced condition is read in this call (as `if` reads one)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor

__all__ = ["Assert"]


class Assert:
    """See the module's doc."""

    def __init__(self, summarize=3):
        if isinstance(summarize, bool) or not isinstance(summarize, int):
            raise TypeError(f"For 'Assert', the type of 'summarize' should be 'int', but got type "
                            f"'{type(summarize).__name__}'.")
        self.summarize = summarize

    def __call__(self, condition, input_data):
        if isinstance(condition, Tensor):
            value = condition._data if condition._data is not None else late.read_value(condition)
            holds = bool(np.asarray(value).ravel()[0])
        else:
            holds = bool(condition)
        if holds:
            return None
        print("For 'Assert' condition is false.")
        for t in input_data if isinstance(input_data, (list, tuple)) else [input_data]:
            data = np.asarray(t.asnumpy() if isinstance(t, Tensor) else t).ravel()[:self.summarize]
            print(f"input data: {data}")
        raise RuntimeError("assert failed")
