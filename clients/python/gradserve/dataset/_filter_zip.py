"""Dataset.filter / rename and mindspore.dataset.zip / Dataset.zip, as MindSpore 2.10 runs them (its checks and
texts)."""
from __future__ import annotations

from builtins import zip as _pyzip  # (this module defines MindSpore's `zip`)
from typing import Iterator

from . import Dataset, Row, _Step, _checks
from .audio import _pipeline_error


class _Filter(_Step):
    """The rows for which predicate(*input columns) is true (Python truth, as MindSpore's: None drops a row)."""

    def __init__(self, child, predicate, input_columns, num_parallel_workers):
        super().__init__(child)
        if not callable(predicate):
            raise TypeError("Predicate should be a Python function or a callable Python object.")
        _checks.workers(num_parallel_workers)
        ins = [input_columns] if isinstance(input_columns, str) else input_columns
        self._pred, self._names = predicate, None if ins is None else list(ins)

    def _rows(self) -> Iterator[Row]:
        idx = None
        if self._names is not None:
            missing = [c for c in self._names if c not in self._cols]
            if missing:  # (MindSpore 2.10 raises when it iterates)
                raise _pipeline_error(f"Invalid parameter, column name: {missing[0]} does not exist in the "
                                      "dataset columns.")
            idx = [self._cols.index(c) for c in self._names]
        for r in self._child._rows():
            if self._keep(r if idx is None else tuple(r[i] for i in idx)):
                yield r

    def _keep(self, args: Row) -> bool:
        try:
            return bool(self._pred(*args))
        except Exception as e:  # (MindSpore 2.10's RuntimeError; its first line)
            raise RuntimeError(f"Exception thrown from user defined Python function in dataset. \n"
                               f"{type(e).__name__}: {e}") from e


class _Rename(_Step):
    """The same rows, columns renamed (MindSpore 2.10's checks; it raises its RuntimeErrors when it builds the
    pipeline, gradserve here)."""

    def __init__(self, child, input_columns, output_columns):
        super().__init__(child)
        ins, outs = ([c] if isinstance(c, str) else list(c) for c in (input_columns, output_columns))
        for name, cols in (("input_columns", ins), ("output_columns", outs)):
            if not cols:
                raise ValueError(f"{name} should not be empty.")
            for k, c in enumerate(cols):
                _checks.typed(f"{name}[{k}]", c, (str,))
        if len(ins) != len(outs):
            raise ValueError("Number of column in input_columns and output_columns is not equal.")
        if any(c not in child._cols for c in ins):
            raise _pipeline_error("Invalid column, column to be renamed does not exist.")
        new: dict[str, str] = dict(_pyzip(ins, outs))
        self._cols = [new[c] if c in new else c for c in child._cols]
        taken = [c for c in outs if c in child._cols and c not in ins]
        if taken:
            raise _pipeline_error("Invalid column, rename operation does not support rename one column name into "
                                  f"another already exist column name, existing column name is: {taken[0]}.")

    def _rows(self) -> Iterator[Row]:
        return self._child._rows()


class _Zip(Dataset):
    """Rows side by side, their columns joined in order, until the shortest dataset ends."""

    def __init__(self, datasets: tuple):
        if len(datasets) < 2:
            raise ValueError("Can't zip empty or just one dataset!")
        for d in datasets:
            if not isinstance(d, Dataset):
                raise TypeError(f"Invalid dataset, expected Dataset object, but got {type(d)}!")
        self._children = list(datasets)
        self._cols = [c for d in datasets for c in d._cols]

    def _rows(self) -> Iterator[Row]:
        seen = set()
        for c in self._cols:
            if c in seen:  # (MindSpore 2.10 raises when it iterates)
                raise _pipeline_error(f"Invalid column, duplicate column name found in zip: {c}.")
            seen.add(c)
        for rows in _pyzip(*(d._rows() for d in self._children)):
            yield tuple(v for r in rows for v in r)

    def get_batch_size(self) -> int:
        return self._children[0].get_batch_size()


def zip(datasets) -> Dataset:  # noqa: A001  (MindSpore's name)
    """mindspore.dataset.zip: a tuple of datasets (MindSpore 2.10's TypeError for anything else)."""
    _checks.typed("datasets", datasets, (tuple,))
    return _Zip(datasets)
