"""nn.Embedding, nn.Dropout, nn.SoftmaxCrossEntropyWithLogits, nn.CellDict: MindSpore 2.x's
cells composed from existing ops (values and gradients checked against MindSpore 2.10 on CPU:
tests/clients/test_mindspore_nn_layers.py)."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell, names_prefix
from .._tensor import Parameter, Tensor
from .._training import LossBase
from ..common.initializer import initializer
from ..dtype import float32
from ..ops._dropout import _check_keep
from ..ops._ms_names import softmax_xent_rows


class Embedding(Cell):
    """nn.Embedding(vocab_size, embedding_size, use_one_hot=False, embedding_table='normal', dtype=int32,
    padding_idx=None): ids [...] -> embedding_table[ids] [..., embedding_size]. The padding_idx row starts
    at zero; as in MindSpore 2.10 it still takes a gradient (PyTorch's does not). use_one_hot computes
    one_hot(ids) @ table: the same values and gradients, by a matmul instead of a gather."""

    def __init__(self, vocab_size, embedding_size, use_one_hot=False, embedding_table="normal", dtype=None,
                 padding_idx=None):
        super().__init__()
        for name, v in (("vocab_size", vocab_size), ("embedding_size", embedding_size)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"For 'Embedding', the '{name}' must be a positive int, but got {v!r}.")
        if padding_idx is not None and (isinstance(padding_idx, bool) or not isinstance(padding_idx, int)
                                        or not 0 <= padding_idx < vocab_size):
            raise ValueError(f"For 'Embedding', the 'padding_idx' must be an int in range [0, {vocab_size}), "
                             f"but got {padding_idx!r}.")
        self.vocab_size, self.embedding_size = vocab_size, embedding_size
        self.use_one_hot, self.padding_idx = bool(use_one_hot), padding_idx
        shape = (vocab_size, embedding_size)
        if isinstance(embedding_table, np.ndarray):
            embedding_table = Tensor(embedding_table.astype(np.float32))
        table = initializer(embedding_table, shape, float32)
        if tuple(table.shape) != shape:
            raise ValueError(f"For 'Embedding', the 'embedding_table' has shape {list(table.shape)}, "
                             f"expected {list(shape)}.")
        if padding_idx is not None:
            data = np.array(table._host_copy())
            data[padding_idx] = 0
            table = Tensor(data)
        self.embedding_table = Parameter(table, name="embedding_table")

    def construct(self, ids):
        if not ids._dtype.startswith("int"):
            raise TypeError(f"For 'Embedding', the input ids must be int32 or int64, but got {ids.dtype}.")
        flat = _ops.reshape(ids, (-1,))
        if self.use_one_hot:
            hot = _ops.cast(_ops.expand_dims(flat, -1) == Tensor(np.arange(self.vocab_size, dtype=ids._dtype)),
                            self.embedding_table._dtype)
            rows = _ops.matmul(hot, self.embedding_table)
        else:
            rows = _ops.gather(self.embedding_table, flat, 0)
        return _ops.reshape(rows, tuple(ids.shape) + (self.embedding_size,))


class Dropout(Cell):
    """nn.Dropout(keep_prob=None, p=None, dtype=float32): in training (set_train()) each element is zeroed
    with probability p (default 0.5; keep_prob, deprecated in MindSpore 2.x, is 1 - p) and the rest scaled
    by 1 / (1 - p); the input itself otherwise (a Cell starts in inference mode, as MindSpore's). The
    masks are data drawn anew for each run (ops._dropout)."""

    def __init__(self, keep_prob=None, p=None, dtype=None):
        super().__init__()
        if p is None:
            keep = 0.5 if keep_prob is None else _check_keep(keep_prob, "Dropout")
            p = 1.0 - keep
        elif isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
            raise ValueError(f"For 'Dropout', the 'p' must be a number in range [0, 1), but got {p!r}.")
        self.p = float(p)
        self.keep_prob = 1.0 - self.p

    def construct(self, x):
        return _ops.dropout(x, self.p, training=self.training)


class SoftmaxCrossEntropyWithLogits(LossBase):
    """nn.SoftmaxCrossEntropyWithLogits(sparse=False, reduction='none'): per sample
    -sum(labels * log_softmax(logits)) over the last axis; sparse labels are class indices."""

    def __init__(self, sparse=False, reduction="none"):
        super().__init__(reduction)
        self.sparse = bool(sparse)

    def construct(self, logits, labels):
        if self.sparse:
            if not labels._dtype.startswith("int"):
                raise TypeError(f"For 'SoftmaxCrossEntropyWithLogits', sparse labels must be int32 or int64, "
                                f"but got {labels.dtype}.")
            n_cls = logits.shape[-1]
            labels = _ops.cast(_ops.expand_dims(labels, -1) == Tensor(np.arange(n_cls, dtype=labels._dtype)),
                               logits._dtype)
        if tuple(labels.shape) != tuple(logits.shape):
            raise ValueError(f"For 'SoftmaxCrossEntropyWithLogits', labels of shape {list(labels.shape)} do not "
                             f"match logits of shape {list(logits.shape)}.")
        return self.get_loss(softmax_xent_rows(logits, labels))


class CellDict(Cell):
    """nn.CellDict({name: cell}): cells by name, in insertion order; their Parameters are the network's,
    named '<key>.<name>'. Not callable (MindSpore's)."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self._gs_keys: list[str] = []  # (a "_gs_" name: not a cell, and no prefix)
        if args:
            self.update(args[0])

    def __getitem__(self, key: str) -> Cell:
        if key not in self._gs_keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, cell: Cell) -> None:
        if not isinstance(key, str):
            raise TypeError(f"For 'CellDict', the key must be a str, but got {type(key).__name__}.")
        if not isinstance(cell, Cell):
            raise TypeError(f"For 'CellDict', the value of key {key!r} must be a Cell, but got "
                            f"{type(cell).__name__}.")
        prefix = names_prefix(self)  # the dict's own path once parented (MindSpore's)
        if key not in self._gs_keys:
            self._gs_keys.append(key)
        setattr(self, key, cell)
        if prefix:
            cell.update_parameters_name(f"{prefix}{key}.")

    def __delitem__(self, key: str) -> None:
        self._gs_keys.remove(key)
        object.__delattr__(self, key)

    def __len__(self) -> int:
        return len(self._gs_keys)

    def __iter__(self):
        return iter(list(self._gs_keys))

    def __contains__(self, key) -> bool:
        return key in self._gs_keys

    def keys(self):
        return list(self._gs_keys)

    def values(self):
        return [getattr(self, k) for k in self._gs_keys]

    def items(self):
        return [(k, getattr(self, k)) for k in self._gs_keys]

    def pop(self, key: str) -> Cell:
        cell = self[key]
        del self[key]
        return cell

    def clear(self) -> None:
        for k in list(self._gs_keys):
            del self[k]

    def update(self, cells) -> None:
        pairs = cells.items() if hasattr(cells, "items") else cells
        for k, v in pairs:
            self[k] = v

    def construct(self, *inputs):
        raise TypeError("CellDict is not callable: index it by name")


__all__ = ["Embedding", "Dropout", "SoftmaxCrossEntropyWithLogits", "CellDict"]
