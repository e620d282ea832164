"""What batch / padded_batch do to one batch's rows beyond stacking them, as MindSpore 2.10 (probe b.py): pad_info's
columns padded (or cut) to a shape with a value (None: the batch's largest), per_batch_map given the input columns'
lists and a BatchInfo, and batch_size a callable of the BatchInfo."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


class BatchInfo:
    """The iterator's epoch (from 0) and the batch's number in this pass of the batch step (from 0)."""

    def __init__(self, epoch: int, batch: int):
        self._epoch, self._batch = epoch, batch

    def get_epoch_num(self) -> int:
        return self._epoch

    def get_batch_num(self) -> int:
        return self._batch


def size_of(batch_size: int | Callable, info: BatchInfo) -> int:
    n = batch_size(info) if callable(batch_size) else batch_size
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"Dataset.batch: batch_size must be a positive int, got {n!r}")
    return int(n)


def _fit(v: np.ndarray, shape, value) -> np.ndarray:
    """v cut to shape where it is longer, padded with value where shorter."""
    v = v[tuple(slice(0, s) for s in shape)]
    out = np.full(shape, value, dtype=v.dtype)
    out[tuple(slice(0, s) for s in v.shape)] = v
    return out


def pad(rows: list, pad_info: dict[int, tuple]) -> list:
    """rows with each column of pad_info (index: (shape or None, value)) brought to one shape."""
    cols: list[list[Any]] = [list(c) for c in zip(*rows)]
    for i, (shape, value) in pad_info.items():
        vals = cols[i]
        if value is None and vals[0].dtype.kind in "USO":  # (no default of MindSpore's for text: left to stacking)
            continue
        most = np.max([np.shape(v) for v in vals], axis=0) if vals[0].ndim else ()
        want = tuple(int(m) if s is None else int(s) for s, m in
                     zip(shape if shape is not None else [None] * len(most), most))
        cols[i] = [_fit(v, want, 0 if value is None else value) for v in vals]
    return [tuple(r) for r in zip(*cols)]


def per_batch(fn: Callable, rows: list, ins: list[int], info: BatchInfo) -> list[list]:
    """The columns (lists of rows' values) after per_batch_map: fn(*input columns' lists, info) -> a tuple of lists."""
    cols: list[list[Any]] = [list(c) for c in zip(*rows)]
    out = fn(*[cols[i] for i in ins], info)
    out = out if isinstance(out, tuple) else (out,)
    if len(out) != len(ins):
        raise RuntimeError(f"Dataset.batch: per_batch_map gave {len(out)} column(s) for {len(ins)} input column(s)")
    for i, vals in zip(ins, out):
        cols[i] = [np.asarray(v) for v in vals]
    return cols
