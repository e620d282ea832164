"""MindSpore 2.10's P.EmbeddingLookup()(input_params, input_indices, offset): rows input_indices - offset of
input_params, zeros for an index outside [0, rows) (its CPU kernel's rule), composed from gather and select.
Its gradient here is the dense one (scattered rows); MindSpore's bprop gives the rows as a sparse slice."""
from __future__ import annotations

from .._tensor import Tensor
from ._extra import P
from ._primitives import Primitive

__all__ = ["EmbeddingLookup"]


class EmbeddingLookup(Primitive):
    """See the module's doc."""

    op = "embedding_lookup"  # (no engine op of that name: composed in __call__)

    def __init__(self):
        self.name, self.attrs = "EmbeddingLookup", {}

    def __call__(self, input_params, input_indices, offset):
        if not isinstance(input_params, Tensor) or not isinstance(input_indices, Tensor):
            raise TypeError("For 'EmbeddingLookup', 'input_params' and 'input_indices' must be Tensors")
        if input_indices._dtype not in ("int32", "int64"):
            raise TypeError(f"For 'EmbeddingLookup', 'input_indices' must be int32 or int64, got {input_indices.dtype}")
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise TypeError(f"For 'EmbeddingLookup', 'offset' must be an int, got {type(offset).__name__}")
        rows = int(input_params.shape[0])
        shifted = P.sub(input_indices, offset) if offset else input_indices
        valid = P.logical_and(P.greater_equal(shifted, 0), P.less(shifted, rows))
        picked = P.gather(input_params, P.select(valid, shifted, P.zeros_like(shifted)), 0)
        tail = (1,) * (len(input_params.shape) - 1)
        keep = P.broadcast_to(P.reshape(valid, tuple(valid.shape) + tail), tuple(picked.shape))
        return P.select(keep, picked, P.zeros_like(picked))
