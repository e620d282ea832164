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

__all__ = ["EmbeddingLookup", "MultiFieldEmbeddingLookup"]


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


_OPERATORS = ("SUM", "MAX", "MEAN")
_LOWEST = -3.402823466e38  # MindSpore's padding mark for MAX: a zero weight's row never wins


def _check_2d(t, name: str) -> None:
    if len(t.shape) != 2:
        raise ValueError(f"For 'MultiFieldEmbeddingLookup', the dimension of '{name}' must be 2d, but got {len(t.shape)}")


def _check_dtype(t, name: str, allowed: tuple, shown: str) -> None:
    if t._dtype not in allowed:
        raise TypeError(f"For 'MultiFieldEmbeddingLookup', the '{name}' should be {shown}, but got "
                        f"'mindspore.{t._dtype}'.")


class MultiFieldEmbeddingLookup(EmbeddingLookup):
    """nn.MultiFieldEmbeddingLookup(vocab_size, embedding_size, field_size, ..., operator='SUM')(input_indices,
    input_values, field_ids) -> [batch, field_size, embedding_size]: each looked-up row times its value, merged per
    (batch row, field id) by SUM, MAX (zero-valued entries left out; a field with none is 0) or MEAN (divided by the
    sum of |values|, 0 where that is 0). MindSpore 2.10's layer: a field id is offset by batch row * field_size, so
    an id >= field_size lands in the next row's fields as there; its checks and texts."""

    def __init__(self, vocab_size, embedding_size, field_size, param_init="normal", target="CPU",
                 slice_mode="batch_slice", feature_num_list=None, max_norm=None, sparse=True, operator="SUM",
                 dtype=_dt.float32):
        super().__init__(vocab_size, embedding_size, param_init, target, slice_mode, feature_num_list, max_norm,
                         sparse, dtype)
        if isinstance(field_size, bool) or not isinstance(field_size, int) or field_size <= 0:
            raise ValueError(f"For 'MultiFieldEmbeddingLookup', the 'field_size' must be int and must > 0, but got "
                             f"'{field_size}' with type '{type(field_size).__name__}'.")
        if operator not in _OPERATORS:
            raise ValueError(f"For 'MultiFieldEmbeddingLookup', the 'operator' must be str and must be in "
                             f"'{list(_OPERATORS)}', but got '{operator}'.")
        self.field_size, self.operator = field_size, operator

    def construct(self, input_indices, input_values, field_ids):  # type: ignore[override]  # (MindSpore subclasses it too)
        for t, name in ((input_indices, "input_indices"), (input_values, "input_values"), (field_ids, "field_ids")):
            _check_2d(t, name)
        _check_dtype(input_indices, "input_indices", ("int32", "int64"), "one of [mindspore.int32, mindspore.int64]")
        _check_dtype(input_values, "input_values", ("float32",), "Float32")
        _check_dtype(field_ids, "field_ids", ("int32",), "Int32")
        batch, count = input_indices.shape[0], input_indices.shape[1]
        segments = batch * self.field_size
        offset = _ops.reshape(_ops.arange(0, segments, self.field_size, dtype=_dt.int32), (batch, 1))
        ids = _ops.reshape(field_ids + offset, (-1,))
        weights = _ops.reshape(input_values, (batch, count, 1))
        rows = _ops.reshape(weights * super().construct(input_indices), (-1, self.embedding_size))
        if self.operator == "MAX":
            rows = rows + _ops.reshape(_ops.cast(_ops.equal(weights, 0), _dt.float32) * _LOWEST, (-1, 1))
            merged = _ops.unsorted_segment_max(rows, ids, segments)
            seen = _ops.unsorted_segment_sum(_ops.abs(_ops.reshape(input_values, (-1,))), ids, segments)
            merged = merged * _ops.expand_dims(_ops.cast(_ops.ne(seen, 0.0), _dt.float32), -1)
        else:
            merged = _ops.unsorted_segment_sum(rows, ids, segments)
            if self.operator == "MEAN":
                seen = _ops.unsorted_segment_sum(_ops.abs(_ops.reshape(input_values, (-1,))), ids, segments)
                merged = _ops.div_no_nan(merged, _ops.expand_dims(seen, -1))
        return _ops.reshape(merged, (batch, self.field_size, -1))
