"""nn.EmbeddingLookup(vocab_size, embedding_size, param_init='normal', target='CPU', slice_mode='batch_slice',
manual_shapes=None, max_norm=None, sparse=True, dtype=float32)(indices) (MindSpore 2.10's order; MindSpore 1.x's
vocab_cache_size, before dtype there, is taken by keyword after it): rows of the
`embedding_table` Parameter [vocab_size, embedding_size] (MindSpore 2.10's documented layer). An index
outside [0, vocab_size) gives a row of zeros (the CPU EmbeddingLookup's rule); max_norm scales each looked-up
row whose L2 norm exceeds it down to it. The slicing / cache arguments (parallel training) are accepted and
change nothing on one device. The derivative is that of gather (to the table)."""
from __future__ import annotations

from .. import dtype as _dt
from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter, Tensor
from ..common.initializer import initializer

__all__ = ["EmbeddingLookup"]


class EmbeddingLookup(Cell):
    """See the module's doc."""

    def __init__(self, vocab_size, embedding_size, param_init="normal", target="CPU", slice_mode="batch_slice",
                 manual_shapes=None, max_norm=None, sparse=True, dtype=_dt.float32, vocab_cache_size=0):
        super().__init__()
        for name, v in (("vocab_size", vocab_size), ("embedding_size", embedding_size)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"EmbeddingLookup: '{name}' must be an int >= 1, got {v!r}")
        if target not in ("CPU", "DEVICE"):
            raise ValueError(f"EmbeddingLookup: 'target' must be 'CPU' or 'DEVICE', got {target!r}")
        if max_norm is not None and not float(max_norm) > 0:
            raise ValueError(f"EmbeddingLookup: 'max_norm' must be > 0, got {max_norm!r}")
        self.vocab_size, self.embedding_size = vocab_size, embedding_size
        self.max_norm = None if max_norm is None else float(max_norm)
        self.embedding_table = Parameter(initializer(param_init, (vocab_size, embedding_size), dtype),
                                         name="embedding_table")

    def construct(self, indices):
        if not isinstance(indices, Tensor) or not indices._dtype.startswith("int"):
            raise TypeError("EmbeddingLookup: indices must be an integer Tensor, got "
                            f"{getattr(indices, 'dtype', type(indices).__name__)}")
        valid = _ops.logical_and(_ops.ge(indices, 0), _ops.lt(indices, self.vocab_size))
        rows = _ops.gather(self.embedding_table, _ops.select(valid, indices, _ops.zeros_like(indices)), 0)
        rows = rows * _ops.cast(_ops.expand_dims(valid, -1), rows._dtype)  # out of range: zeros
        if self.max_norm is not None:
            norm = _ops.sqrt(_ops.sum(rows * rows, -1, keepdim=True))
            rows = rows * (self.max_norm / _ops.maximum(norm, self.max_norm))  # 1 up to max_norm (no 0 / 0)
        return rows
