"""CSVDataset: CSV files (the user's own, read here in the program) as MindSpore 2.10 reads them (its runs,
/work/ms_suite_dataset5/probe/c1.py - c3.py): RFC-4180 quoting ("" a quote, delimiters and line ends kept inside
quotes), empty lines skipped; column_defaults give each column's type only (int: int32 as std::stoi reads the
field's start, "3.9" is 3; float: float32 as std::stof; str: the field; an empty numeric field is a type error);
columns without a default are strings. Without column_names, each file's first line names the columns (split at
the delimiter, quotes kept). Shuffled by default (an order of its own, not MindSpore's)."""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy as np

from . import Row, _checks
from ._file_source import FileRow, TextFilesSource, check_files
from .audio import _pipeline_error
from .text._seq import _INT, _WS, _float_prefix

_INT32 = (-(2**31), 2**31 - 1)


def _check_args(dataset_files, field_delim, column_defaults, column_names) -> None:
    """MindSpore 2.10's checks, in its order and with its texts."""
    check_files(dataset_files)
    if field_delim is not None:
        _checks.typed("field delim", field_delim, (str,))
        if field_delim in ['"', "\r", "\n"] or len(field_delim) > 1:
            raise ValueError("field_delim is invalid.")
    if column_defaults is not None:
        if not isinstance(column_defaults, list):
            raise TypeError("column_defaults should be type of list.")
        if not all(isinstance(item, (str, int, float)) for item in column_defaults):
            raise TypeError("column type in column_defaults is invalid.")
    if column_names is not None and (not isinstance(column_names, list)
                                     or not all(isinstance(n, str) for n in column_names)):
        raise TypeError("column_names should be a list of str.")


class _QuoteError(RuntimeError):
    """A quote where MindSpore 2.10's parser fails: its text, and the line the record starts on."""

    def __init__(self, text: str, line: int):
        super().__init__(text)
        self.line = line


def _records(text: str, delim: str, convert: Callable[[int, str, int], Any]) -> Iterator[tuple[int, list]]:
    """(the line it starts on, convert(k, field k, that line) of each field) of each record, empty lines skipped;
    each field is converted as it ends, as MindSpore 2.10's parser does (a type error before a later quote error)."""
    values: list = []
    buf: list[str] = []
    i, n, line, start = 0, len(text), 1, 1
    quoted = was_quoted = False
    while i < n:
        c = text[i]
        i += 1
        if quoted:
            if c != '"':
                line += c == "\n"
                buf.append(c)
            elif text[i:i + 1] == '"':
                buf.append('"')
                i += 1
            else:
                quoted = False
                if i < n and text[i] not in (delim, "\n", "\r"):
                    raise _QuoteError("receive unquote char in quote field", start)
        elif c == '"':
            if buf or was_quoted:
                raise _QuoteError("unexpected quote in unquote field", start)
            quoted = was_quoted = True
        elif c == delim:
            values.append(convert(len(values), "".join(buf), start))
            buf, was_quoted = [], False
        elif c in "\r\n":
            i += c == "\r" and text[i:i + 1] == "\n"
            if values or buf or was_quoted:
                yield start, values + [convert(len(values), "".join(buf), start)]
            values, buf, was_quoted = [], [], False
            line += 1
            start = line
        else:
            buf.append(c)
    if quoted:
        raise _QuoteError("reach the end of file in quote field", start)
    if values or buf or was_quoted:
        yield start, values + [convert(len(values), "".join(buf), start)]


def _header(text: str, delim: str) -> list[str]:
    """The first line's names: split at the delimiter, quotes kept (as MindSpore 2.10 splits it)."""
    return text.split("\n", 1)[0].rstrip("\r").split(delim)


def _number(field: str, kind: type, where: str):
    """The field as std::stoi / std::stof read it, or MindSpore 2.10's error."""
    if kind is int:
        m = _INT.match(field.lstrip(_WS))
        if m is None:
            raise _pipeline_error(f"Invalid csv, csv file: {where}, type does not match.")
        if not _INT32[0] <= int(m.group()) <= _INT32[1]:
            raise _pipeline_error(f"Invalid csv, {where} : value out of range.")
        return np.array(int(m.group()), np.int32)
    got = _float_prefix(field)
    if got is None:
        raise _pipeline_error(f"Invalid csv, csv file: {where}, type does not match.")
    val, nonzero = got
    literal_inf = field.lstrip(_WS).lstrip("+-")[:3].lower() == "inf"
    with np.errstate(over="ignore"):
        over = not literal_inf and (math.isinf(val) or bool(np.isinf(np.float32(val))))
    if over or (nonzero and abs(float(np.float32(val))) < float(np.finfo(np.float32).tiny)):
        raise _pipeline_error(f"Invalid csv, {where} : value out of range.")
    return np.array(val, np.float32)


class CSVDataset(TextFilesSource):
    """Each record a row of scalar columns (int32, float32 or str). Several files only with num_parallel_workers=1
    (read one after the other, in name order): MindSpore interleaves its workers' rows."""

    def __init__(self, dataset_files, field_delim=",", column_defaults=None, column_names=None, num_samples=None,
                 num_parallel_workers=None, shuffle=True, num_shards=None, shard_id=None, cache=None):
        _check_args(dataset_files, field_delim, column_defaults, column_names)
        super().__init__(dataset_files, num_samples, num_parallel_workers, shuffle, num_shards, shard_id, cache)
        self._delim = "," if field_delim is None else field_delim
        self._defaults, self._names = list(column_defaults or []), column_names

    @property
    def _cols(self) -> list[str]:  # type: ignore[override]
        """The column names (MindSpore 2.10's checks: a file's header, duplicates, more defaults than names)."""
        if self._names:
            names = list(self._names)
        else:
            headers = {tuple(_header(_read(f), self._delim)) for f in self._files}
            if len(headers) > 1:
                raise _pipeline_error("Invalid file, failed to obtain column name from input csv file list.")
            names = list(headers.pop())
        dup = next((c for k, c in enumerate(names) if c in names[:k]), None)
        if dup is not None:
            raise RuntimeError("Syntax error. \n\n- Dataset Pipeline Error Message: \n[ERROR] CSVDataset: "
                               f"'column_names' : Invalid parameter, duplicate column names are not allowed: {dup}\n")
        if len(self._defaults) > len(names):
            raise _pipeline_error("Invalid parameter, the size of column_names should be equal to the size of "
                                  f"'column_defaults', but got  size of 'column_defaults': {len(self._defaults)}, "
                                  f"size of column_names: {len(names)}")
        return names

    def create_tuple_iterator(self, columns=None, num_epochs=-1, output_numpy=False, do_copy=True):
        self._cols  # (MindSpore 2.10 checks the columns as the iterator is made)
        return super().create_tuple_iterator(columns, num_epochs, output_numpy, do_copy)

    def create_dict_iterator(self, num_epochs=-1, output_numpy=False, do_copy=True):
        self._cols
        return super().create_dict_iterator(num_epochs, output_numpy, do_copy)

    def _file_rows(self, path: str, ncols: int, convert: bool = True) -> Iterator[tuple[str, int, list]]:
        """(path, line, [(field, value)] of each column) of each record, converted as they are read (or not
        converted nor checked: values None)."""
        text, first = _read(path), 1
        if not self._names:  # (each file's first line is its header)
            text, first = (text.split("\n", 1) + [""])[1], 2
        try:
            converter = self._converter(path, ncols, first - 1) if convert else lambda k, field, line: (field, None)
            for line, fields in _records(text, self._delim, converter):
                if convert and len(fields) < ncols:
                    raise _columns_error(path, line, f"{len(fields)}, the size of 'column_defaults': {ncols}")
                yield path, line, fields
        except _QuoteError as err:
            line = err.line + first - 1
            unexpected = str(err).startswith("unexpected")
            if unexpected and line == 1:  # (MindSpore 2.10 reads no row at all then)
                raise self._no_rows(path) from None
            raise _pipeline_error(f"Invalid file, failed to parse csv file: {path} at line {line}. Error message: "
                                  f"Invalid csv file, {err}{' from ' if unexpected else ', check '}{path}.") from None

    def _converter(self, path: str, ncols: int, skipped: int) -> Callable[[int, str, int], tuple]:
        """Field k of a record as (its text, its column's value), or MindSpore 2.10's error."""
        def convert(k: int, field: str, line: int) -> tuple:
            line += skipped
            if k >= ncols:
                raise _columns_error(path, line, f"{ncols}, the size of column_defaults : {ncols}")
            kind = type(self._defaults[k]) if k < len(self._defaults) else str
            if kind is str:
                return field, np.array(field)
            return field, _number(field, float if kind is float else int, f"{path} parse failed at line {line}")
        return convert

    def _no_rows(self, path: str) -> RuntimeError:
        return _pipeline_error("Invalid data, CSVDataset API can't read the data file (interface mismatch or no data "
                               f"found). Check csv file path:  {path}.")

    def _rows(self) -> Iterator[Row]:
        ncols = len(self._cols)
        recs = (r for f in self._files for r in self._file_rows(f, ncols))
        if self._shard is None and not self._shuffle:  # (read as they are yielded: an error after the rows before)
            count = 0
            for count, (path, _, fields) in enumerate(recs, 1):
                if self._num is not None and count > self._num:
                    return
                yield _file_row(path, fields)
            if not count:
                raise self._no_rows(self._files[0])
            return
        every = list(recs)
        if not every:
            raise self._no_rows(self._files[0])
        if self._shard is not None:
            _check_shard_start(every, *self._shard)
        for path, _, fields in self._pick(every):
            yield _file_row(path, fields)

    def get_dataset_size(self) -> int:
        """The records, counted without reading their values (MindSpore 2.10 counts size.csv's 5 where its fields
        fail their float columns), a shard's share of them, at most num_samples."""
        ncols = len(self._cols)
        total = sum(1 for f in self._files for _ in self._file_rows(f, ncols, convert=False))
        size = math.ceil(total / self._shard[0]) if self._shard is not None else total
        return size if self._num is None else min(size, self._num)


def _file_row(path: str, fields: list) -> FileRow:
    """The record's values, with its file (a failing map names it, as MindSpore's does)."""
    row = FileRow(v for _, v in fields)
    row.file = path
    return row


def _columns_error(path: str, line: int, got: str) -> RuntimeError:
    """MindSpore 2.10's error for a record with fewer or more fields than columns (its text, sizes as it gives them)."""
    return _pipeline_error(f"Invalid file, failed to parse csv file: {path} at line {line}. Error message: Invalid "
                           "columns, the size of column_names should be less than the size of 'column_defaults', but "
                           f"got the size of column_names: {got}.")


def _check_shard_start(recs: list, num_shards: int, shard_id: int) -> None:
    """MindSpore 2.10 gives a shard's first row, when its first field is empty, the last field of the record
    before it (2.csv, 3 shards, shard 1: "12" where the file has ""): refused rather than copied."""
    start = shard_id * math.ceil(len(recs) / num_shards) % len(recs)
    if start and recs[start][2][0][0] == "" and recs[start - 1][2][-1][0] != "":
        raise NotImplementedError(f"CSVDataset: shard {shard_id}'s first row (line {recs[start][1]}) starts with an "
                                  "empty field, which MindSpore 2.10 fills with the previous record's last field; "
                                  "gradserve does not copy that")


def _read(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()
