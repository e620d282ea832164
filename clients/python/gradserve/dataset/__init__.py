"""`mindspore.dataset`, the in-memory part: GeneratorDataset / NumpySlicesDataset and the pipeline steps
batch / repeat / shuffle / map / take / skip, read with create_tuple_iterator / create_dict_iterator (what
Model.train / fit / eval consume). Rows are NumPy arrays in the client; an iterator gives Tensors (or the
arrays, output_numpy=True). MindSpore's file formats (but TextFileDataset, _csv.py's CSV, _clue.py's CLUE, the
speech folders of _audio_files.py, _stl10.py's STL-10, _lfw.py's LFW, _celeba.py's CelebA, _manifest.py's
manifests), samplers (but _samplers.py's, for those folders), parallel workers and data sinks are not here.

Shuffling (a random-access source's default, as MindSpore's) draws from `config.set_seed`'s generator, or
from NumPy's global one: an order of its own, not MindSpore's.
"""
from __future__ import annotations

import glob
import math
import os
from builtins import zip as _pyzip  # (this module's `zip` is MindSpore's dataset zip)
from typing import Any, Callable, Iterator

import numpy as np

from .._tensor import Tensor
from . import _batching, _checks, _ds_events, callback, config
from .engine import iterators as _iterators
from ._batching import BatchInfo

Row = tuple  # one sample: a tuple of NumPy arrays, one per column


def _row(item, ncols: int | None) -> Row:
    vals = tuple(item) if isinstance(item, (tuple, list)) else (item,)
    if ncols is not None and len(vals) != ncols:
        raise RuntimeError(f"GeneratorDataset: a row has {len(vals)} column(s), column_names names {ncols}")
    return tuple(v._host_copy() if isinstance(v, Tensor) else np.asarray(v) for v in vals)


class Dataset:
    """A pipeline step: `_rows()` yields one epoch's rows; `_cols` names the columns."""

    _cols: list[str]
    _init_step = 0

    def _rows(self) -> Iterator[Row]:
        raise NotImplementedError

    def batch(self, batch_size, drop_remainder: bool = False, **kwargs) -> "Dataset":
        """batch_size: an int or a callable of a BatchInfo; per_batch_map / input_columns as MindSpore's."""
        return _Batch(self, batch_size, drop_remainder, kwargs)

    def padded_batch(self, batch_size, drop_remainder: bool = False, num_parallel_workers=None,
                     pad_info=None) -> "Dataset":
        """batch, with pad_info's columns ({name: (shape or None, value)}) padded or cut to one shape."""
        return _Batch(self, batch_size, drop_remainder, {"pad_info": pad_info})

    def repeat(self, count: int | None = None) -> "Dataset":
        return _Repeat(self, count)

    def save(self, file_name, num_files=1, file_type="mindrecord") -> None:
        """The rows as MindRecord files MindDataset reads (MindSpore 2.10's SaveToDisk: _save.py)."""
        from ._save import save

        save(self, file_name, num_files, file_type)

    def shuffle(self, buffer_size: int) -> "Dataset":
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size < 2:
            raise ValueError(f"Dataset.shuffle: buffer_size must be an int >= 2, got {buffer_size!r}")
        return _Shuffle(self, buffer_size)

    def map(self, operations=None, input_columns=None, output_columns=None, **kwargs) -> "Dataset":
        unknown = sorted(set(kwargs) - _MAP_KWARGS)
        if unknown:  # (MindSpore 2.10's TypeError and text: `column_order` is gone since 2.0, `project` orders)
            raise TypeError(f"MapDataset.__init__() got an unexpected keyword argument '{unknown[0]}'")
        return _Map(self, operations, input_columns, output_columns, kwargs.get("callbacks"))

    def project(self, columns) -> "Dataset":
        """Only the named columns, in that order (MindSpore 2.10's checks and texts)."""
        return _Project(self, columns)

    def concat(self, datasets) -> "Dataset":
        """This dataset's rows, then each other's (MindSpore's `concat`; `a + b` too)."""
        return _Concat([self, *(datasets if isinstance(datasets, (list, tuple)) else [datasets])])

    def filter(self, predicate, input_columns=None, num_parallel_workers=None) -> "Dataset":
        """The rows for which predicate(*input_columns' values; all columns if None) is true."""
        return _Filter(self, predicate, input_columns, num_parallel_workers)

    def rename(self, input_columns, output_columns) -> "Dataset":
        return _Rename(self, input_columns, output_columns)

    def zip(self, datasets) -> "Dataset":
        """This dataset's columns, then each other's, row by row until the shortest ends."""
        _checks.typed("datasets", datasets, (tuple, Dataset))
        return _Zip((self, *(datasets if isinstance(datasets, tuple) else (datasets,))))

    def apply(self, apply_func) -> "Dataset":
        """apply_func(self), which must be a Dataset (MindSpore 2.10's TypeErrors and texts)."""
        if not callable(apply_func):
            raise TypeError("apply_func must be a function.")
        dataset = apply_func(self)
        if not isinstance(dataset, Dataset):
            raise TypeError("apply_func must return a dataset.")
        return dataset

    def __add__(self, other) -> "Dataset":
        return self.concat(other)

    def flat_map(self, func) -> "Dataset":
        """MindSpore 2.10's: func(*row) of every row (a pass over the rows now) joined with +; its checks and texts."""
        if not callable(func):
            raise TypeError("func must be a function.")
        dataset: Any = None
        for row in self.create_tuple_iterator(num_epochs=1, output_numpy=True):
            dataset = func(*row) if dataset is None else dataset + func(*row)
        if not isinstance(dataset, Dataset):
            raise TypeError("flat_map must return a Dataset object.")
        return dataset

    def take(self, count: int = -1) -> "Dataset":
        if _int_count(count) != -1 and not 0 < count <= _COUNT_MAX:  # (MindSpore 2.10's text; 0 and -2 refused)
            raise ValueError(f"count should be either -1 or within the required interval of (0, {_COUNT_MAX}], "
                             f"got {count}.")
        return _Slice(self, 0, None if count == -1 else count)

    def skip(self, count: int) -> "Dataset":
        if not 0 <= _int_count(count) <= _COUNT_MAX:  # (MindSpore 2.10's text; a negative count was taken as 0)
            raise ValueError(f"Input count is not within the required interval of [0, {_COUNT_MAX}].")
        return _Slice(self, count, None)

    def split(self, sizes, randomize: bool = True) -> list["Dataset"]:
        """Consecutive parts of the rows, sizes as MindSpore 2.10 counts them (_checks.split_sizes); its randomize=True
        draws the rows' assignment from its own generator: refused (no order of ours would be its)."""
        counts = _checks.split_sizes(sizes, self.get_dataset_size())
        if randomize:
            raise NotImplementedError("Dataset.split: randomize=True (MindSpore's own random assignment of the rows) "
                                      "is not supported by gradserve; pass randomize=False")
        starts = [sum(counts[:i]) for i in range(len(counts))]
        return [_Slice(self, start, n) for start, n in _pyzip(starts, counts)]

    def set_init_step(self, init_step: int) -> None:
        """The step (row or batch, counted over epochs) the next iterator starts at, as MindSpore's for resuming
        training: the rows before it are drawn and dropped, so that a seeded shuffle gives the orders it gave."""
        if isinstance(init_step, bool) or not isinstance(init_step, int) or init_step < 0:
            raise ValueError(f"Dataset.set_init_step: init_step must be an int >= 0, got {init_step!r}")
        self._init_step = init_step

    def get_col_names(self) -> list[str]:
        return list(self._cols)

    def get_dataset_size(self) -> int:
        """Rows (batches after batch) in one epoch; a pass over the data counts them."""
        return sum(1 for _ in self._rows())

    def output_shapes(self) -> list[list[int]]:
        """Each column's shape in the first row (a pass that fires no map callbacks, as MindSpore's)."""
        return [list(np.shape(v)) for v in next(iter(self._rows()))]

    def output_types(self) -> list[np.dtype]:
        """Each column's dtype in the first row; strings and bytes without their size (dtype('<U'), dtype('S')), as
        MindSpore 2.10's."""
        return [np.dtype(d.kind) if d.kind in "SU" else d for d in (np.asarray(v).dtype for v in next(iter(self._rows())))]

    def get_batch_size(self) -> int:
        return 1

    def __len__(self) -> int:
        return self.get_dataset_size()

    def num_classes(self) -> int | None:
        """The classes of the source under the steps (ImageFolderDataset's); None where it has none."""
        return None

    def get_class_indexing(self) -> dict:
        """The class names' numbers of the source under the steps (ImageFolder, Manifest, VOC datasets')."""
        raise NotImplementedError(f"{type(self).__name__}.get_class_indexing: gradserve gives it for "
                                  "ImageFolderDataset, ManifestDataset and VOCDataset only")

    def get_repeat_count(self) -> int:
        """The outermost repeat's count (-1: without end); 1 without one."""
        return 1

    def create_tuple_iterator(self, columns=None, num_epochs: int = -1, output_numpy: bool = False,
                              do_copy: bool = True) -> Iterator[list]:
        idx = [self._col(c) for c in columns] if columns else self._shown()
        return _Epochs(self, num_epochs, lambda r: [_out(r[i], output_numpy) for i in idx])

    def create_dict_iterator(self, num_epochs: int = -1, output_numpy: bool = False,
                             do_copy: bool = True) -> Iterator[dict]:
        idx = self._shown()
        return _Epochs(self, num_epochs, lambda r: {self._cols[i]: _out(r[i], output_numpy) for i in idx})

    def _shown(self) -> list[int]:
        """The columns an iterator gives: not a source's "_meta-" ones (VOCDataset's extra_metadata) until renamed."""
        return [i for i, c in enumerate(self._cols) if not c.startswith("_meta-")]

    def __iter__(self):
        return iter(self.create_tuple_iterator(num_epochs=1))

    def _col(self, name: str) -> int:
        if name not in self._cols:
            raise ValueError(f"column {name!r} is not in the dataset's columns {self._cols}")
        return self._cols.index(name)


_COUNT_MAX = 2147483647


def _int_count(count) -> int:
    _checks.typed("count", count, (int,))
    return count


def _out(v: np.ndarray, output_numpy: bool):
    return v if output_numpy or v.dtype.kind in "USO" else Tensor(v)  # (strings stay arrays, as MindSpore's)


class _Epochs:
    """An iterator over at most num_epochs passes (-1: no limit); a `for` over it starts the next pass. Its random
    steps draw from a generator of its own (config._for_iterator); the dataset's set_init_step rows are drawn and
    dropped first, over pass ends (the next pass then starts: those passes do not count in num_epochs)."""

    def __init__(self, ds: Dataset, num_epochs: int, conv: Callable):
        self._ds, self._conv, self._left = ds, conv, num_epochs
        self._it: Iterator | None = None
        self._gen, self._skip, self._epoch = config._for_iterator(), ds._init_step, -1
        self._runs = [(m, _ds_events.Run(m._cbs)) for m in _maps_with_callbacks(ds)]
        self._stopped = False
        for _, run in self._runs:
            run.begin()
        _iterators.register(self)

    def _stop(self) -> None:
        """engine.iterators._cleanup: this iterator gives no more rows."""
        self._stopped, self._it = True, None

    def stop(self) -> None:  # (MindSpore's iterator method: the same as its clean-up)
        self._stop()

    def __iter__(self):
        return self

    def __next__(self):
        if self._stopped:  # (MindSpore 2.10's error: a stopped iterator's runtime context is deleted)
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '_runtime_context'")
        saved, saved_epoch = config._activate(self._gen), _running["epoch"]
        try:
            return self._next()
        finally:
            config._activate(saved)
            _running["epoch"] = saved_epoch

    def _next(self):
        if self._it is None:
            if self._left == 0:
                raise StopIteration
            self._left -= self._left > 0
            self._epoch += 1
            _running["epoch"] = self._epoch
            it, first = self._ds._rows(), None
            if self._skip:
                it, first = self._fast_forward(it)
            self._it, self._skip = it, 0
            for m, run in self._runs:  # (the map steps fire events only while an iterator's epoch runs)
                m._run = run
                run.epoch_begin()
            if first is not None:
                return self._conv(first)
        _running["epoch"] = self._epoch
        try:
            return self._conv(next(self._it))
        except StopIteration:
            self._it = None
            for m, run in self._runs:
                m._run = None
                run.epoch_end()
            raise

    def _fast_forward(self, it: Iterator) -> tuple[Iterator, Row | None]:
        """Drops the set_init_step rows: the pass it ends in and the row after them (None: no rows at all)."""
        emptied = False
        while True:
            try:
                row = next(it)
            except StopIteration:
                if emptied:  # two pass ends in a row: the dataset has no rows
                    return it, None
                it, emptied = self._ds._rows(), True
                continue
            emptied = False
            if self._skip == 0:
                return it, row
            self._skip -= 1


def _maps_with_callbacks(ds: Dataset) -> list:
    steps = []
    while isinstance(ds, _Step):
        if isinstance(ds, _Map) and ds._cbs:
            steps.append(ds)
        ds = ds._child
    return steps[::-1]  # (the source's side first)


def _rng():
    return config._generator() or np.random


_running = {"epoch": 0}  # the running iterator's epoch (from 0), for batch's BatchInfo


class GeneratorDataset(Dataset):
    """Rows of a Python source: a callable returning a generator (called once an epoch), a random-access
    object (`__getitem__` and `__len__`: shuffled by default) or an iterable."""

    def __init__(self, source, column_names=None, column_types=None, schema=None, num_samples=None,
                 num_parallel_workers=1, shuffle=None, sampler=None, num_shards=None, shard_id=None, **kwargs):
        if isinstance(column_names, str):
            column_names = [column_names]
        if column_names is None or not column_names:
            raise ValueError("GeneratorDataset: column_names must name the source's columns")
        self._source, self._cols = source, list(column_names)
        random_access = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        self._shuffle = random_access and shuffle is not False
        self._num = _checks.row_limit(num_samples)
        if not (callable(source) or random_access or hasattr(source, "__iter__")):
            raise TypeError(f"GeneratorDataset: source must be callable, random-accessible or iterable, "
                            f"got {type(source).__name__}")
        self._sampler = in_memory_sampler(random_access, num_samples, shuffle, sampler, num_shards, shard_id)

    def _items(self) -> Iterator[Any]:
        src = self._source
        if hasattr(src, "__getitem__") and hasattr(src, "__len__"):
            n = len(src)
            order = _order(self, n)
            return (src[int(i)] for i in order)
        gen: Any = src() if callable(src) else src
        return iter(gen)

    def _rows(self) -> Iterator[Row]:
        n = len(self._cols)
        for k, item in enumerate(self._items()):
            if self._num is not None and k >= self._num:
                return
            yield _row(item, n)


class NumpySlicesDataset(Dataset):
    """Rows sliced along the first axis of `data`: an array or list (one column), a tuple of them (one
    column each) or a dict (its keys the column names). Shuffled by default."""

    def __init__(self, data, column_names=None, num_samples=None, num_parallel_workers=1, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None):
        if isinstance(data, dict):
            names, cols = list(data), [np.asarray(v) for v in data.values()]
        elif isinstance(data, tuple):
            names, cols = [f"column_{i}" for i in range(len(data))], [np.asarray(v) for v in data]
        else:
            names, cols = ["column_0"], [np.asarray(data)]
        if column_names is not None:
            names = [column_names] if isinstance(column_names, str) else list(column_names)
            if len(names) != len(cols):
                raise ValueError(f"NumpySlicesDataset: {len(names)} column name(s) for {len(cols)} column(s)")
        if any(c.ndim == 0 for c in cols) or len({len(c) for c in cols}) != 1:
            raise ValueError("NumpySlicesDataset: every column needs one first axis of the same length")
        self._cols, self._data = names, cols
        self._shuffle, self._num = shuffle is not False, _checks.row_limit(num_samples)
        self._sampler = in_memory_sampler(True, num_samples, shuffle, sampler, num_shards, shard_id)

    def _rows(self) -> Iterator[Row]:
        order = _order(self, len(self._data[0]))
        for i in order[: self._num] if self._num is not None else order:
            yield tuple(c[i] for c in self._data)


def _order(source, n: int):
    """A random-access source's row order: its sampler's (shards too), else shuffled or not (_shuffle)."""
    if source._sampler is not None:
        return source._sampler._indices(n, _rng())
    return _rng().permutation(n) if source._shuffle else np.arange(n)


class TextFileDataset(Dataset):
    """The lines of text files (the user's own, read here in the program) as one string column "text", empty lines
    left out, as MindSpore 2.10 reads them. Shuffled by default (an order of its own); several files only with
    num_parallel_workers=1 (read one after the other, in name order): MindSpore interleaves its workers' rows."""

    def __init__(self, dataset_files, num_samples=None, num_parallel_workers=None, shuffle=True, num_shards=None,
                 shard_id=None, cache=None):
        self._files = matched_files("TextFileDataset", dataset_files, num_parallel_workers, unique=True)
        if cache is not None:
            raise NotImplementedError("TextFileDataset: cache is not supported")
        if isinstance(num_shards, int) and not 1 <= num_shards <= 2147483647:  # (MindSpore 2.10's text)
            raise ValueError("Input num_shards is not within the required interval of [1, 2147483647].")
        check_source_args(None, None, None, None, num_shards, shard_id)
        self._cols, self._num = ["text"], _checks.row_limit(num_samples)
        self._shuffle = shuffle is not False and getattr(shuffle, "value", shuffle) != "files"
        if num_shards is not None and shuffle is not False and len(self._files) > 1:  # (one file: the shard's rows
            # are the unshuffled shard's, shuffled; several: MindSpore shuffles the files first, in an order of its own)
            raise NotImplementedError("TextFileDataset: num_shards over several files with shuffle: MindSpore's shards "
                                      "then hold rows of its own file order, which gradserve does not follow; pass "
                                      "shuffle=False")
        self._shard = None if num_shards is None or shard_id is None else (int(num_shards), int(shard_id))

    def _rows(self) -> Iterator[Row]:
        lines = [ln for f in self._files for ln in _read_text(f).split("\n") if ln]
        for line in pick_rows(lines, self._shard, self._shuffle, self._num):
            yield (np.array(line),)


def shard_rows(rows: list, shard: tuple[int, int]) -> list:
    """A text file source's shard (num_shards, shard_id) as MindSpore 2.10 cuts it: the files' rows in one run,
    ceil(T / n) a shard, from s * ceil(T / n) on, wrapping around to the first row (TextFileDataset probe p5.py,
    190 cases; CSVDataset /work/ms_suite_dataset5/probe/c1.py, c2.py)."""
    n, s = shard
    size = math.ceil(len(rows) / n)
    return [rows[(s * size + i) % len(rows)] for i in range(size)]


def pick_rows(rows: list, shard: tuple[int, int] | None, shuffle: bool, num: int | None) -> list:
    """A text file source's rows in one epoch: its shard's (shard_rows), shuffled (an order of its own), the first
    num (None: all)."""
    if shard is not None and rows:
        rows = shard_rows(rows, shard)
    order = _rng().permutation(len(rows)) if shuffle else range(len(rows))
    return [rows[int(i)] for i in order][:num]


def matched_files(kind: str, dataset_files, num_parallel_workers, unique: bool) -> list[str]:
    """The files (not folders; `**` matches folders below) a pattern or a list of patterns names, as MindSpore 2.10's
    glob finds them, sorted (MindSpore 2.10 sorts even a list); several only with
    num_parallel_workers=1: MindSpore's workers interleave their files' rows."""
    patterns = [dataset_files] if isinstance(dataset_files, str) else list(dataset_files)
    found = {p: sorted(f for f in glob.glob(p, recursive=True) if os.path.isfile(f)) for p in patterns}
    missing = [p for p, files in found.items() if not files]
    if missing:  # (MindSpore 2.10's ValueError and text)
        raise ValueError(f"The following patterns did not match any files: {missing}.")
    every = [f for p in patterns for f in found[p]]
    files = sorted(set(every) if unique else every)
    if len(files) > 1 and num_parallel_workers != 1:
        raise NotImplementedError(f"{kind}: several files are read in MindSpore's workers' interleaved order, which "
                                  "gradserve does not follow; pass num_parallel_workers=1")
    return files


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


class _Step(Dataset):
    def __init__(self, child: Dataset):
        self._child, self._cols = child, child._cols

    def get_batch_size(self) -> int:
        return self._child.get_batch_size()

    def num_classes(self) -> int | None:
        return self._child.num_classes()

    def get_class_indexing(self) -> dict:
        return self._child.get_class_indexing()

    def get_repeat_count(self) -> int:
        return self._child.get_repeat_count()


class _Batch(_Step):
    def __init__(self, child, batch_size, drop_remainder, kwargs):
        super().__init__(child)
        if not callable(batch_size) and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                         or batch_size < 1):
            raise ValueError(f"Dataset.batch: batch_size must be a positive int, got {batch_size!r}")
        known = {"num_parallel_workers", "python_multiprocessing", "per_batch_map", "input_columns", "pad_info"}
        unknown = {k for k, v in kwargs.items() if v is not None and k not in known}
        if unknown:
            raise NotImplementedError(f"Dataset.batch: {sorted(unknown)} not supported")
        self._n, self._drop, self._map = batch_size, bool(drop_remainder), kwargs.get("per_batch_map")
        ins = kwargs.get("input_columns")
        ins = [ins] if isinstance(ins, str) else list(ins or self._cols)
        self._in = [child._col(c) for c in ins]
        pad_info = kwargs.get("pad_info")  # ({}: every column to the batch's largest shape, with 0: MindSpore 2.10)
        self._pad = ({i: (None, None) for i in range(len(self._cols))} if pad_info == {} else
                     {child._col(c): spec for c, spec in (pad_info or {}).items()})

    def get_batch_size(self) -> int:
        if callable(self._n):
            raise NotImplementedError("Dataset.get_batch_size: the batch size is a callable (per batch)")
        return self._n

    def get_dataset_size(self) -> int:
        """The batches, counted from the child's rows without making them (MindSpore's count: no stacking)."""
        if callable(self._n):
            return super().get_dataset_size()
        rows = self._child.get_dataset_size()
        return rows // self._n if self._drop else -(-rows // self._n)

    def _rows(self):
        epoch, k, buf = _running["epoch"], 0, []
        size = _batching.size_of(self._n, _batching.BatchInfo(epoch, k))
        for r in self._child._rows():
            buf.append(r)
            if len(buf) == size:
                yield self._stack(buf, _batching.BatchInfo(epoch, k))
                buf, k = [], k + 1
                size = _batching.size_of(self._n, _batching.BatchInfo(epoch, k))
        if buf and not self._drop:
            yield self._stack(buf, _batching.BatchInfo(epoch, k))

    def _stack(self, rows, info):
        rows = _batching.pad(rows, self._pad) if self._pad else rows
        cols = (_batching.per_batch(self._map, rows, self._in, info) if self._map is not None
                else [list(c) for c in _pyzip(*rows)])
        try:
            return tuple(np.stack(col) for col in cols)
        except ValueError as e:
            raise RuntimeError(f"Dataset.batch: rows of a batch differ in shape ({e}); pad them first") from None


class _Repeat(_Step):
    def __init__(self, child, count):
        super().__init__(child)
        self._count = -1 if count is None else count

    def _rows(self):
        k = 0
        while self._count == -1 or k < self._count:
            yield from self._child._rows()
            k += 1

    def get_dataset_size(self) -> int:
        if self._count == -1:
            raise RuntimeError("Dataset.get_dataset_size: the dataset repeats without end")
        return self._child.get_dataset_size() * self._count

    def get_repeat_count(self) -> int:
        return self._count  # (the outermost repeat's: MindSpore 2.10's repeat(2).repeat(3) is 3)


class _Shuffle(_Step):
    def __init__(self, child, buffer_size):
        super().__init__(child)
        self._size = buffer_size

    def _rows(self):
        rng, buf = _rng(), []
        for r in self._child._rows():
            buf.append(r)
            if len(buf) >= self._size:
                yield buf.pop(int(rng.randint(len(buf))))
        order = rng.permutation(len(buf))
        yield from (buf[int(i)] for i in order)


class _Map(_Step):
    def __init__(self, child, operations, input_columns, output_columns, callbacks=None):
        super().__init__(child)
        self._cbs = [] if callbacks is None else _ds_events.checked(callbacks)
        self._run: _ds_events.Run | None = None  # (set by an iterator while its epoch runs)
        ops = operations if isinstance(operations, (list, tuple)) else [operations]
        if not ops or not all(callable(f) for f in ops):
            raise TypeError("Dataset.map: operations must be callables")
        # (no input_columns: the first column, as MindSpore 2.10's)
        ins = [input_columns] if isinstance(input_columns, str) else list(input_columns or self._cols[:1])
        self._ops, self._in = ops, [child._col(c) for c in ins]
        outs = [output_columns] if isinstance(output_columns, str) else list(output_columns or ins)
        self._nout, (self._cols, self._pick) = len(outs), _map_columns(child._cols, ins, outs)

    def _rows(self):
        for r in self._child._rows():
            run = self._run
            yield self._named_row(r) if run is None else run.step(lambda: self._named_row(r))

    def _named_row(self, r):
        """_row, naming the file a file dataset's row came from when it fails (MindSpore 2.10's RuntimeError)."""
        if not hasattr(r, "file"):
            return self._row(r)
        try:
            out = FileRow(self._row(r))
        except Exception as e:
            raise RuntimeError(f"Exception thrown from user defined Python function in dataset. map operation: "
                               f"[PyFunc] failed. The corresponding data file is: {r.file}. Error description:\n"
                               f"{type(e).__name__}: {e}") from e
        out.file = r.file  # (a later map names it too: MindSpore 2.10, a PyFunc after Decode; test_celeba_dataset_exception_file_path)
        return out

    def _row(self, r):
        vals: Any = tuple(r[i] for i in self._in)
        for f in self._ops:
            vals = f(*vals)
            vals = vals if isinstance(vals, tuple) else (vals,)
        if len(vals) != self._nout:  # (MindSpore 2.10's text)
            raise RuntimeError(f"Invalid columns, the number of columns returned in 'map' operations should match "
                               f"the number of 'output_columns', but got the number of columns returned in 'map' "
                               f"operations: {len(vals)}, the number of 'output_columns': {self._nout}.")
        vals = tuple(v._host_copy() if isinstance(v, Tensor) else np.asarray(v) for v in vals)
        if len(vals) == len(self._in):  # (the outputs take the inputs' places)
            row = list(r)
            for i, v in _pyzip(self._in, vals):
                row[i] = v
        else:  # (the outputs first, then the columns that were no input)
            row = [*vals, *(v for k, v in enumerate(r) if k not in self._in)]
        return tuple(row[k] for k in self._pick)


_MAP_KWARGS = {"num_parallel_workers", "python_multiprocessing", "cache", "callbacks", "max_rowsize", "offload"}


def _map_columns(cols: list, ins: list, outs: list) -> tuple[list, list]:
    """A map's output columns and, for each, its place in the row the map builds: as MindSpore 2.10 names them. The
    same count in and out: each output takes its input's place; else the outputs come first, then the columns that
    were no input. A name given twice keeps its last place (MindSpore's name-to-place table; the other is dropped)."""
    if len(ins) == len(outs):
        places = {c: k for k, c in enumerate(cols) if c not in ins}
        places.update({o: cols.index(i) for i, o in _pyzip(ins, outs)})
    else:
        places = {o: k for k, o in enumerate(outs)}
        places.update({c: len(outs) + k for k, c in enumerate(c for c in cols if c not in ins)})
    names = sorted(places, key=places.__getitem__)
    return names, [places[c] for c in names]


class _Project(_Step):
    def __init__(self, child, columns):
        super().__init__(child)
        columns = [columns] if isinstance(columns, str) else list(columns)
        if not columns:
            raise ValueError("columns should not be empty.")
        for k, c in enumerate(columns):
            if not isinstance(c, str):
                raise TypeError(f"Argument columns[{k}] with value {c!r} is not of type [<class 'str'>], "
                                f"but got {type(c)}.")
        if len(set(columns)) != len(columns):
            raise ValueError("Every column name should not be same with others in column_names.")
        missing = [c for c in columns if c not in child._cols]
        if missing:  # (MindSpore 2.10's text; it raises when it iterates)
            raise RuntimeError(f"Invalid column, column name: {missing[0]} does not exist.")
        self._pick, self._cols = [child._cols.index(c) for c in columns], columns

    def _rows(self):
        for r in self._child._rows():
            yield tuple(r[k] for k in self._pick)


class _Concat(Dataset):
    def __init__(self, children: list):
        if not all(isinstance(c, Dataset) for c in children):
            raise TypeError("Dataset.concat: datasets must be Datasets")
        cols = [c._cols for c in children]
        if any(c != cols[0] for c in cols):  # (MindSpore 2.10's RuntimeError and text, raised when it iterates)
            raise RuntimeError(f"Invalid columns, 'column name' or 'column order' of concat datasets should be the "
                               f"same. (Dataset.concat: {cols})")
        if any(_maps_with_callbacks(c) for c in children):  # (their events are fired from the top step's chain)
            raise NotImplementedError("Dataset.concat: a map with callbacks below a concat is not supported")
        self._children, self._cols = children, list(cols[0])

    def _rows(self):
        for c in self._children:
            yield from c._rows()

    def get_batch_size(self) -> int:
        return self._children[0].get_batch_size()

    def get_dataset_size(self) -> int:
        return sum(c.get_dataset_size() for c in self._children)


class _Slice(_Step):
    def __init__(self, child, start, count):
        super().__init__(child)
        self._start, self._count = start, count

    def _rows(self):
        for k, r in enumerate(self._child._rows()):
            if k < self._start:
                continue
            if self._count is not None and k >= self._start + self._count:
                return
            yield r


from ._audio_files import LibriTTSDataset, LJSpeechDataset  # noqa: E402
from ._stl10 import STL10Dataset  # noqa: E402
from ._lfw import LFWDataset  # noqa: E402
from ._image_files import ImageFolderDataset, MnistDataset  # noqa: E402
from ._voc import VOCDataset  # noqa: E402
from ._tedlium import TedliumDataset  # noqa: E402
from ._minddataset import MindDataset  # noqa: E402
from ._cifar import Cifar10Dataset, Cifar100Dataset  # noqa: E402
from ._file_source import FileRow  # noqa: E402
from ._tfrecord import Shuffle, TFRecordDataset  # noqa: E402
from ._csv import CSVDataset  # noqa: E402
from ._clue import CLUEDataset  # noqa: E402
from ._celeba import CelebADataset  # noqa: E402
from ._manifest import ManifestDataset  # noqa: E402
from ._samplers import (DistributedSampler, PKSampler, RandomSampler, SequentialSampler, check_source_args,  # noqa: E402
                        in_memory_sampler)
from ._filter_zip import _Filter, _Rename, _Zip, zip  # noqa: E402,A004
from ._schema import Schema  # noqa: E402

__all__ = ["Dataset", "GeneratorDataset", "NumpySlicesDataset", "TextFileDataset", "BatchInfo", "config",
           "LibriTTSDataset", "LJSpeechDataset", "ImageFolderDataset", "MnistDataset", "DistributedSampler",
           "PKSampler", "RandomSampler", "SequentialSampler", "Schema", "Shuffle", "TFRecordDataset", "zip",
           "STL10Dataset", "LFWDataset", "VOCDataset", "TedliumDataset", "CSVDataset", "CLUEDataset", "CelebADataset",
           "ManifestDataset", "MindDataset", "Cifar10Dataset", "Cifar100Dataset"]
