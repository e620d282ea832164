"""ops.FillDiagonal(fill_value, wrap=False)(input_x) (mindspore.ops.operations.array_ops): the primitive
spelling of ops.fill_diagonal (numpy.fill_diagonal's positions; ops/_index_ms.py has the rule)."""
from __future__ import annotations

from ._index_ms import fill_diagonal

__all__ = ["FillDiagonal"]


class FillDiagonal:
    """See the module's doc. set_inputs (dynamic-shape placeholders) is accepted: gradserve traces each call
    at its actual shape."""

    def __init__(self, fill_value, wrap=False):
        if not isinstance(fill_value, float):  # MindSpore 2.10's FillDiagonal takes a float only
            raise TypeError(f"FillDiagonal: fill_value must be a float, got {type(fill_value).__name__}")
        self.fill_value, self.wrap = fill_value, bool(wrap)

    def set_inputs(self, *inputs):
        return self

    def __call__(self, input_x):
        return fill_diagonal(input_x, self.fill_value, self.wrap)
