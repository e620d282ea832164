"""mindspore.dataset names MindSpore's own dataset tests use (benchmarks/mindspore_suite/README.md, "dataset CSV,
CLUE, CelebA, Manifest and apply, round 5"): Dataset.apply, CSVDataset, CLUEDataset, CelebADataset, ManifestDataset.
Expected values and texts: MindSpore 2.10 CPU runs over the same files (/work/ms_suite_dataset5/probe/c1.py - c4.py,
k1.py, k2.py, b1.py - b3.py, m1.py: the files written here, or the mirror's), written here; none is gradserve's own
output."""
import json

import numpy as np
import pytest

import gradserve.dataset as ds


def _gen():
    return ds.GeneratorDataset(lambda: iter([(np.array([i]),) for i in range(8)]), ["data"], shuffle=False)


def test_apply_runs_the_function_on_the_dataset():
    # MindSpore 2.10: apply(lambda d: d.batch(4)) over 8 rows gives 2 batches, [0..3] then [4..7]
    rows = [r[0] for r in _gen().apply(lambda d: d.batch(4)).create_tuple_iterator(num_epochs=1, output_numpy=True)]
    assert [r.ravel().tolist() for r in rows] == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize("func, text", [(1, "apply_func must be a function."),
                                        (lambda d: 3, "apply_func must return a dataset.")])
def test_apply_refusals(func, text):
    with pytest.raises(TypeError, match=text):  # MindSpore 2.10's TypeErrors and texts
        _gen().apply(func)


_FILES = {  # (the mirror's testCSV files, as c1.py read them)
    "2.csv": ',"222",3,"4"""\n"5",6,,"8"\n9,10,"1""1",12\n,,"",\n,,,\n\na,b,c,""\na,b,c,d\n',
    "default.csv": ",2,3.0,\na,4,5,b",
    "header.csv": "col1,col2,col3,col4\na,b,c,d",
    "1.csv": "1,2,3,4\n5,6,7,8\n9,10,11,12\n",
    "embedded.csv": '"a,b","c""d","e\nf"," g "\n',
    "size.csv": '1,2,3,4\n"a","b","c\n","d\ne"\n5,6,7,8\n9,10,11,12\na,"b\n",c,"d\ne"\n\n',
    "number.csv": "3,0.3,4,55.5\n",
    "exception.csv": '1,2,3,4\n5,6,7,8\na,"c",d,"e\n',
    "crlf.csv": "1,2\r\n3,4\r\n",
    "sep.csv": "a|b|c|d\n",
}


@pytest.fixture
def csv(tmp_path):
    for name, text in _FILES.items():
        (tmp_path / name).write_bytes(text.encode())
    return lambda name, **kw: ds.CSVDataset(str(tmp_path / name), shuffle=False, **kw)


def _values(data):
    return [[(x.item(), x.dtype.kind) for x in r] for r in data.create_tuple_iterator(num_epochs=1, output_numpy=True)]


_ABCD = list("abcd")


# MindSpore 2.10 (c1.py, c2.py): quotes, empty lines skipped, line ends inside quotes, strings unless a default says
@pytest.mark.parametrize("name, kw, cols, rows", [
    ("2.csv", {"column_defaults": ["x", "y", "z", "w"], "column_names": _ABCD}, _ABCD,
     [["", "222", "3", '4"'], ["5", "6", "", "8"], ["9", "10", '1"1', "12"], [""] * 4, [""] * 4, ["a", "b", "c", ""],
      ["a", "b", "c", "d"]]),
    ("default.csv", {"column_defaults": ["x", 7, 1.5, "w"], "column_names": _ABCD}, _ABCD,
     [["", 2, 3.0, ""], ["a", 4, 5.0, "b"]]),
    ("header.csv", {}, ["col1", "col2", "col3", "col4"], [["a", "b", "c", "d"]]),
    ("1.csv", {}, ["1", "2", "3", "4"], [["5", "6", "7", "8"], ["9", "10", "11", "12"]]),
    ("embedded.csv", {"column_names": _ABCD}, _ABCD, [["a,b", 'c"d', "e\nf", " g "]]),
    ("size.csv", {"column_names": _ABCD}, _ABCD, [["1", "2", "3", "4"], ["a", "b", "c\n", "d\ne"],
                                                  ["5", "6", "7", "8"], ["9", "10", "11", "12"],
                                                  ["a", "b\n", "c", "d\ne"]]),
    ("number.csv", {"column_defaults": [0.0, 0.0, 0, 0.0], "column_names": _ABCD}, _ABCD,
     [[3.0, np.float32(0.3).item(), 4, 55.5]]),
    ("number.csv", {"column_defaults": [0, 0, 0, 0], "column_names": _ABCD}, _ABCD, [[3, 0, 4, 55]]),
    ("1.csv", {"column_defaults": [0, True], "column_names": _ABCD}, _ABCD,
     [[1, 2, "3", "4"], [5, 6, "7", "8"], [9, 10, "11", "12"]]),
    ("1.csv", {"column_names": _ABCD, "num_samples": 2}, _ABCD, [["1", "2", "3", "4"], ["5", "6", "7", "8"]]),
    ("1.csv", {"column_names": _ABCD, "num_samples": 0}, _ABCD,
     [["1", "2", "3", "4"], ["5", "6", "7", "8"], ["9", "10", "11", "12"]]),
    ("crlf.csv", {"column_names": ["a", "b"]}, ["a", "b"], [["1", "2"], ["3", "4"]]),
    ("sep.csv", {"column_names": _ABCD, "field_delim": "|"}, _ABCD, [["a", "b", "c", "d"]]),
])
def test_csv_rows(csv, name, kw, cols, rows):
    data = csv(name, **kw)
    assert data.get_col_names() == cols
    got = _values(data)
    assert [[v for v, _ in r] for r in got] == rows
    kinds = {type(d): k for d, k in [("", "U"), (0, "i"), (0.0, "f"), (True, "i")]}
    defaults = kw.get("column_defaults", [])
    assert all(k == (kinds[type(defaults[i])] if i < len(defaults) else "U")
               for r in got for i, (_, k) in enumerate(r))
    assert data.get_dataset_size() == len(rows)


def test_csv_number_dtypes(csv):
    row = next(csv("number.csv", column_defaults=[0.0, 0.0, 0, 0.0], column_names=_ABCD).create_tuple_iterator(
        num_epochs=1, output_numpy=True))
    assert [str(x.dtype) for x in row] == ["float32", "float32", "int32", "float32"]  # MindSpore 2.10 (c1.py)


# MindSpore 2.10 (c2.py, c3.py): a field read as std::stoi / std::stof read it
@pytest.mark.parametrize("field, default, want", [
    ("12a", 0, 12), (" 7", 0, 7), ("0x10", 0, 0), ("1e3", 0, 1), ("+6", 0, 6), ("3.9", 0, 3),
    ("-2147483648", 0, -2147483648), ('"5"', 0, 5), ("1e3", 0.0, 1000.0), ("inf", 0.0, float("inf")),
    ("0x10", 0.0, 16.0), ("12a", 0.0, 12.0), (" 2.5", 0.0, 2.5), (".5", 0.0, 0.5)])
def test_csv_numbers(tmp_path, field, default, want):
    (tmp_path / "n.csv").write_text(field + ",1\n")
    got = _values(ds.CSVDataset(str(tmp_path / "n.csv"), column_defaults=[default], column_names=["a", "b"],
                                shuffle=False))
    assert got == [[(want, "i" if isinstance(default, int) else "f"), ("1", "U")]]


@pytest.mark.parametrize("field, default, text", [
    ("abc", 0, "Invalid csv, csv file: {p} parse failed at line 1, type does not match."),
    ("", 0, "Invalid csv, csv file: {p} parse failed at line 1, type does not match."),
    ('""', 0.0, "Invalid csv, csv file: {p} parse failed at line 1, type does not match."),
    ("2147483648", 0, "Invalid csv, {p} parse failed at line 1 : value out of range."),
    ("1e50", 0.0, "Invalid csv, {p} parse failed at line 1 : value out of range."),
    ("1e-50", 0.0, "Invalid csv, {p} parse failed at line 1 : value out of range.")])
def test_csv_number_errors(tmp_path, field, default, text):
    path = tmp_path / "n.csv"
    path.write_text(field + ",1\n")
    data = ds.CSVDataset(str(path), column_defaults=[default], column_names=["a", "b"], shuffle=False)
    with pytest.raises(RuntimeError) as err:  # MindSpore 2.10's texts (c2.py, c3.py)
        _values(data)
    assert text.format(p=path) in str(err.value)


def test_csv_parse_errors(csv, tmp_path):
    p = tmp_path / "exception.csv"
    for defaults, text in [(["", "", "", ""], f"Invalid file, failed to parse csv file: {p} at line 3. Error message: "
                            f"Invalid csv file, reach the end of file in quote field, check {p}."),
                           (["", 0, "", ""],
                            f"Invalid csv, csv file: {p} parse failed at line 3, type does not match.")]:
        with pytest.raises(RuntimeError) as err:  # MindSpore 2.10 (c1.py): the type error comes first
            _values(csv("exception.csv", column_defaults=defaults, column_names=_ABCD))
        assert text in str(err.value)
    one = tmp_path / "1.csv"
    for names, got in [(["a", "b"], "2, the size of column_defaults : 2."),
                       (list("abcde"), "4, the size of 'column_defaults': 5.")]:
        with pytest.raises(RuntimeError) as err:
            _values(csv("1.csv", column_names=names))
        assert (f"Invalid file, failed to parse csv file: {one} at line 1. Error message: Invalid columns, the size of "
                f"column_names should be less than the size of 'column_defaults', but got the size of column_names: "
                f"{got}") in str(err.value)


def test_csv_quote_errors(tmp_path):
    for text, want in [('a"b,c\n', "Invalid data, CSVDataset API can't read the data file (interface mismatch or no "
                        "data found). Check csv file path:  {p}."),
                       ('"x"y,z\n', "Invalid file, failed to parse csv file: {p} at line 1. Error message: Invalid "
                        "csv file, receive unquote char in quote field, check {p}."),
                       ('1,2\na"b,c\n', "Invalid file, failed to parse csv file: {p} at line 2. Error message: "
                        "Invalid csv file, unexpected quote in unquote field from {p}."),
                       ("", "Invalid data, CSVDataset API can't read the data file (interface mismatch or no data "
                        "found). Check csv file path:  {p}.")]:
        path = tmp_path / "q.csv"
        path.write_text(text)
        with pytest.raises(RuntimeError) as err:  # MindSpore 2.10's texts (c2.py, c3.py)
            _values(ds.CSVDataset(str(path), column_names=["a", "b"], shuffle=False))
        assert want.format(p=path) in str(err.value)


def test_csv_column_checks(csv):
    with pytest.raises(RuntimeError, match="Invalid parameter, duplicate column names are not allowed: col1"):
        csv("1.csv", column_names=["col1", "col2", "col1", "col4"]).create_dict_iterator(num_epochs=1)
    with pytest.raises(RuntimeError, match="but got  size of 'column_defaults': 5, size of column_names: 4"):
        csv("1.csv", column_defaults=[0] * 5, column_names=_ABCD).get_col_names()


@pytest.mark.parametrize("kw, exc, text", [
    ({"dataset_files": []}, ValueError, "Input dataset_files can not be empty, but got '[]'."),
    ({"dataset_files": "/nonexistent/zz*.csv"}, ValueError,
     "The following patterns did not match any files: ['/nonexistent/zz*.csv']."),
    ({"field_delim": "||"}, ValueError, "field_delim is invalid."),
    ({"field_delim": '"'}, ValueError, "field_delim is invalid."),
    ({"column_defaults": [None]}, TypeError, "column type in column_defaults is invalid."),
    ({"column_defaults": (1,)}, TypeError, "column_defaults should be type of list.")])
def test_csv_argument_checks(tmp_path, kw, exc, text):
    (tmp_path / "1.csv").write_text("1,2\n")
    kw = {"dataset_files": str(tmp_path / "1.csv"), **kw}
    with pytest.raises(exc) as err:  # MindSpore 2.10's classes and texts (c1.py)
        ds.CSVDataset(**kw)
    assert str(err.value) == text


def test_csv_headers_of_several_files(tmp_path):
    (tmp_path / "h1.csv").write_text("p,q\n1,2\n")
    (tmp_path / "h2.csv").write_text("p,q\n3,4\n")
    data = ds.CSVDataset([str(tmp_path / "h2.csv"), str(tmp_path / "h1.csv")], shuffle=False, num_parallel_workers=1)
    assert data.get_col_names() == ["p", "q"]  # MindSpore 2.10 (c3.py): each file's header skipped, files sorted
    assert [[v for v, _ in r] for r in _values(data)] == [["1", "2"], ["3", "4"]]
    (tmp_path / "h2.csv").write_text("r,s\n3,4\n")
    with pytest.raises(RuntimeError, match="Invalid file, failed to obtain column name from input csv file list."):
        data.get_col_names()


# MindSpore 2.10 (c1.py, c2.py): ceil(rows / num_shards) a shard, from shard_id * that on, wrapping around
@pytest.mark.parametrize("name, shards, shard, rows", [
    ("1.csv", 2, 0, [["1", "2", "3", "4"], ["5", "6", "7", "8"]]),
    ("1.csv", 2, 1, [["9", "10", "11", "12"], ["1", "2", "3", "4"]]),
    ("size.csv", 2, 1, [["9", "10", "11", "12"], ["a", "b\n", "c", "d\ne"], ["1", "2", "3", "4"]]),
    ("2.csv", 3, 0, [["", "222", "3", '4"'], ["5", "6", "", "8"], ["9", "10", '1"1', "12"]]),
    ("2.csv", 3, 2, [["a", "b", "c", "d"], ["", "222", "3", '4"'], ["5", "6", "", "8"]])])
def test_csv_shards(csv, name, shards, shard, rows):
    data = csv(name, column_names=_ABCD, num_shards=shards, shard_id=shard)
    assert [[v for v, _ in r] for r in _values(data)] == rows


def test_csv_refusals(csv, tmp_path):
    # MindSpore 2.10 gives this shard's first row "12" (the record before's last field) where the file has "" (c1.py)
    with pytest.raises(NotImplementedError, match="previous record's last field"):
        _values(csv("2.csv", column_names=_ABCD, num_shards=3, shard_id=1))
    with pytest.raises(NotImplementedError, match="num_parallel_workers=1"):  # (MindSpore interleaves the files)
        ds.CSVDataset([str(tmp_path / "1.csv"), str(tmp_path / "2.csv")], column_names=_ABCD, shuffle=False)


def _clue(tmp_path, text, task="AFQMC", usage="train", **kw):
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    data = ds.CLUEDataset(str(path), task=task, usage=usage, shuffle=False, **kw)
    return data, [[(x.tolist(), str(x.dtype)) for x in r] for r in data.create_tuple_iterator(num_epochs=1,
                                                                                               output_numpy=True)]


_WSC = '{"target": {"span1_index": 6, "span1_text": "小张", "span2_index": 8, "span2_text": "你"}, "idx": 2, ' \
       '"text": "等小明回来", "label": "true"}\n'


# MindSpore 2.10 (k1.py, on the mirror's testCLUE files): each task's columns in name order, numbers uint32
@pytest.mark.parametrize("task, usage, line, cols, row", [
    ("AFQMC", "train", '{"sentence1": "蚂蚁花呗", "sentence2": "借呗", "label": "0"}\n',
     ["label", "sentence1", "sentence2"],
     [("0", "<U1"), ("蚂蚁花呗", "<U4"), ("借呗", "<U2")]),
    ("AFQMC", "test", '{"id": 2, "sentence1": "a", "sentence2": "b"}\n', ["id", "sentence1", "sentence2"],
     [(2, "uint32"), ("a", "<U1"), ("b", "<U1")]),
    ("TNEWS", "eval", '{"label": "102", "label_desc": "音乐", "sentence": "s", "keywords": ""}\n',
     ["keywords", "label", "label_desc", "sentence"], [("", "<U1"), ("102", "<U3"), ("音乐", "<U2"), ("s", "<U1")]),
    ("TNEWS", "test", '{"id": 0, "sentence": "s", "keywords": "k"}\n', ["id", "keywords", "sentence"],
     [(0, "uint32"), ("k", "<U1"), ("s", "<U1")]),
    ("IFLYTEK", "train", '{"label": "11", "label_des": "d", "sentence": "s"}\n', ["label", "label_des", "sentence"],
     [("11", "<U2"), ("d", "<U1"), ("s", "<U1")]),
    ("IFLYTEK", "test", '{"id": 1, "sentence": "s"}\n', ["id", "sentence"], [(1, "uint32"), ("s", "<U1")]),
    ("CMNLI", "eval", '{"sentence1": "a", "sentence2": "b", "label": "neutral"}\n', ["label", "sentence1", "sentence2"],
     [("neutral", "<U7"), ("a", "<U1"), ("b", "<U1")]),
    ("WSC", "train", _WSC, ["idx", "label", "span1_index", "span1_text", "span2_index", "span2_text", "text"],
     [(2, "uint32"), ("true", "<U4"), (6, "uint32"), ("小张", "<U2"), (8, "uint32"), ("你", "<U1"),
      ("等小明回来", "<U5")]),
    ("WSC", "test", _WSC, ["idx", "span1_index", "span1_text", "span2_index", "span2_text", "text"],
     [(2, "uint32"), (6, "uint32"), ("小张", "<U2"), (8, "uint32"), ("你", "<U1"), ("等小明回来", "<U5")]),
    ("CSL", "train", '{"id": 3, "abst": "a", "keyword": ["1", "2", "3"], "label": "0"}\n',
     ["abst", "id", "keyword", "label"], [("a", "<U1"), (3, "uint32"), (["1", "2", "3"], "<U1"), ("0", "<U1")]),
    ("CSL", "test", '{"id": 2415, "abst": "a", "keyword": []}\n', ["abst", "id", "keyword"],
     [("a", "<U1"), (2415, "uint32"), ([], "<U1")])])
def test_clue_tasks(tmp_path, task, usage, line, cols, row):
    data, rows = _clue(tmp_path, line, task, usage)
    assert data.get_col_names() == cols
    assert rows == [row]


# MindSpore 2.10 (k2.py): JSON numbers by kind, strings as they are, other keys ignored, empty lines skipped
@pytest.mark.parametrize("value, want", [
    ("0", (0, "uint32")), ("4294967296", (0, "uint32")), ("-5", (-5, "int32")), ("1.5", (1.5, "float32")),
    ('"5"', ("5", "<U1")), ('["a"]', (["a"], "<U1")), ('"\\u4f60\\n"', ("你\n", "<U2"))])
def test_clue_values(tmp_path, value, want):
    text = '{"sentence1": "x", "sentence2": "y", "zz": 1, "label": %s}\r\n\n{"sentence1": "p", "sentence2": "q", ' \
           '"label": "1"}\n' % value
    assert _clue(tmp_path, text)[1] == [[want, ("x", "<U1"), ("y", "<U1")], [("1", "<U1"), ("p", "<U1"), ("q", "<U1")]]


@pytest.mark.parametrize("text, task, exc, want", [
    ('{"sentence1": "x", "label": "0"}\n', "AFQMC", RuntimeError,
     "Invalid json file, in given JSON file, failed to find key: sentence2"),
    ("[1, 2]\n", "AFQMC", RuntimeError, "Invalid json file, in given JSON file, failed to find key: label"),
    ('{"idx": 0, "text": "t", "label": "true"}\n', "WSC", RuntimeError,
     "Invalid json file, in given JSON file, failed to find key: target"),
    ('{"id": 1, "abst": "a", "keyword": [1, 2], "label": "0"}\n', "CSL", RuntimeError,
     "[json.exception.type_error.302] type must be string, but is number"),
    ('{"sentence1": "x", "sentence2": "y", "label": null}\n', "AFQMC", AttributeError,
     "'NoneType' object has no attribute 'type'"),
    ('{"sentence1": "x", "sentence2": "y", "label": "0"}\n{bad\n', "AFQMC", RuntimeError,
     "Invalid json, failed to parse {p}, "),
    ("", "AFQMC", RuntimeError, "Invalid data, 'CLUEDataset' API can't read the data file (interface mismatch or no "
     "data found). Check file path: {p}")])
def test_clue_errors(tmp_path, text, task, exc, want):
    with pytest.raises(exc) as err:  # MindSpore 2.10's classes and texts (k2.py)
        _clue(tmp_path, text, task)
    assert want.format(p=tmp_path / "c.json") in str(err.value)


@pytest.mark.parametrize("kw, text", [({"task": "XX"}, "task should be 'AFQMC', 'TNEWS', 'IFLYTEK', 'CMNLI', 'WSC' or "
                                       "'CSL'."),
                                      ({"usage": "dev"}, "usage should be 'train', 'test' or 'eval'."),
                                      ({"usage": None}, "usage should be 'train', 'test' or 'eval'."),
                                      ({"dataset_files": []}, "Input dataset_files can not be empty, but got '[]'.")])
def test_clue_argument_checks(tmp_path, kw, text):
    (tmp_path / "c.json").write_text("{}\n")
    with pytest.raises(ValueError) as err:  # MindSpore 2.10's texts (k2.py)
        ds.CLUEDataset(**{"dataset_files": str(tmp_path / "c.json"), **kw})
    assert str(err.value) == text


# MindSpore 2.10 (k2.py): 7 rows, 3 shards of 3 (the last wraps around), num_samples 0 all, 2 the first two
@pytest.mark.parametrize("kw, labels", [({"num_shards": 3, "shard_id": 0}, ["0", "1", "2"]),
                                        ({"num_shards": 3, "shard_id": 1}, ["3", "4", "5"]),
                                        ({"num_shards": 3, "shard_id": 2}, ["6", "0", "1"]),
                                        ({"num_samples": 2}, ["0", "1"]),
                                        ({"num_samples": 0}, ["0", "1", "2", "3", "4", "5", "6"])])
def test_clue_shards_and_samples(tmp_path, kw, labels):
    text = "".join('{"sentence1": "s%d", "sentence2": "y", "label": "%d"}\n' % (i, i) for i in range(7))
    assert [r[0][0] for r in _clue(tmp_path, text, **kw)[1]] == labels


# MindSpore 2.10 (c4.py): records counted without reading values (size.csv's "a" in a float column), shards, samples
@pytest.mark.parametrize("kw, size", [({"column_defaults": [0.0, 0.0, 0, 0.0], "column_names": _ABCD}, 5),
                                      ({"column_defaults": [0.0, 0.0, 0, 0.0], "column_names": _ABCD,
                                        "num_shards": 2, "shard_id": 1}, 3),
                                      ({"column_names": _ABCD, "num_samples": 2}, 2),
                                      ({}, 4)])
def test_csv_dataset_size(csv, kw, size):
    assert csv("size.csv", **kw).get_dataset_size() == size


def _fails(x):
    raise ValueError("boom")


def test_map_errors_name_the_file(csv, tmp_path):
    # MindSpore 2.10 (c4.py; test_csv_dataset_exception, test_clue_exception_file_path): the map's error names the file
    with pytest.raises(RuntimeError, match=f"map operation: \\[PyFunc\\] failed. The corresponding data file is: "
                                           f"{tmp_path / '1.csv'}"):
        list(csv("1.csv", column_names=_ABCD).map(operations=_fails, input_columns=["b"], num_parallel_workers=1))
    (tmp_path / "c.json").write_text('{"sentence1": "x", "sentence2": "y", "label": "0"}\n')
    data = ds.CLUEDataset(str(tmp_path / "c.json"), shuffle=False).map(operations=_fails, input_columns=["label"])
    with pytest.raises(RuntimeError, match=f"The corresponding data file is: {tmp_path / 'c.json'}"):
        list(data)


def test_patterns_match_files_only(tmp_path):
    # MindSpore 2.10 (c4.py; test_clue_invalid_files): a folder matches no file; ** goes into folders below
    (tmp_path / "sub" / "deep").mkdir(parents=True)
    (tmp_path / "s.csv").write_text("1,2\n")
    (tmp_path / "sub" / "deep" / "x.csv").write_text("3,4\n")
    with pytest.raises(ValueError, match="The following patterns did not match any files"):
        ds.CSVDataset(str(tmp_path), column_names=["a", "b"])
    data = ds.CSVDataset(str(tmp_path / "**" / "*.csv"), column_names=["a", "b"], shuffle=False,
                         num_parallel_workers=1)
    assert [[v for v, _ in r] for r in _values(data)] == [["1", "2"], ["3", "4"]]


_A = [int(c) for c in "0110000000010000001101001001000110101001"]  # (the mirror's testCelebAData attributes,
_B = [int(c) for c in "0001000100010000000101001000000100000001"]  # as MindSpore 2.10 gives them, b1.py)
_CELEBA = [("1_apple.JPEG", _A, "0"), ("2_banana.jpg", _B, "1"), ("3_lemon.jpg", _B, "2"), ("4_avacado.JPEG", _A, "0")]


@pytest.fixture
def celeba(tmp_path):
    names = " ".join(f"attr{k}" for k in range(40))
    lines = [f"{name}  " + " ".join("1" if v else "-1" for v in attrs) for name, attrs, _ in _CELEBA]
    (tmp_path / "list_attr_celeba.txt").write_text("4\n" + names + "\n" + "\n".join(lines) + "\n")
    (tmp_path / "list_eval_partition.txt").write_text("".join(f"{n} {p}\n" for n, _, p in _CELEBA))
    for name, _, _ in _CELEBA:
        (tmp_path / name).write_bytes(name.encode())
    return str(tmp_path)


# MindSpore 2.10 (b1.py, the mirror's testCelebAData): the attr file's order, -1 as 0 (uint32), usage by partition,
# extensions with case (out of the rows, not out of get_dataset_size), shards every num_shards-th row
@pytest.mark.parametrize("kw, names, size", [
    ({}, ["1_apple.JPEG", "2_banana.jpg", "3_lemon.jpg", "4_avacado.JPEG"], 4),
    ({"usage": "train"}, ["1_apple.JPEG", "4_avacado.JPEG"], 2), ({"usage": "valid"}, ["2_banana.jpg"], 1),
    ({"usage": "test"}, ["3_lemon.jpg"], 1), ({"extensions": [".jpg"]}, ["2_banana.jpg", "3_lemon.jpg"], 4),
    ({"extensions": [".JPEG"]}, ["1_apple.JPEG", "4_avacado.JPEG"], 4), ({"num_samples": 2},
                                                                           ["1_apple.JPEG", "2_banana.jpg"], 2),
    ({"num_shards": 2, "shard_id": 0}, ["1_apple.JPEG", "3_lemon.jpg"], 2),
    ({"num_shards": 2, "shard_id": 1}, ["2_banana.jpg", "4_avacado.JPEG"], 2)])
def test_celeba_rows(celeba, kw, names, size):
    data = ds.CelebADataset(celeba, shuffle=False, **kw)
    assert data.get_col_names() == ["image", "attr"]
    rows = list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert [r[0].tobytes().decode() for r in rows] == names
    want = {n: a for n, a, _ in _CELEBA}
    assert all(r[1].dtype == np.uint32 and r[1].tolist() == want[n] for r, n in zip(rows, names))
    assert data.get_dataset_size() == size


def test_celeba_errors(celeba, tmp_path):
    with pytest.raises(ValueError, match="usage should be 'all', 'train', 'valid' or 'test'."):
        ds.CelebADataset(celeba, usage="xx")  # MindSpore 2.10's texts (b1.py, b2.py)
    (tmp_path / "list_eval_partition.txt").unlink()
    with pytest.raises(RuntimeError, match="Partition file can not be found when usage is not 'all'."):
        ds.CelebADataset(celeba, usage="train")
    (tmp_path / "3_lemon.jpg").unlink()
    with pytest.raises(RuntimeError, match=f"Failed to open file: {tmp_path / '3_lemon.jpg'}"):
        list(ds.CelebADataset(celeba, shuffle=False))
    (tmp_path / "list_attr_celeba.txt").unlink()
    with pytest.raises(RuntimeError, match="Invalid file, get real path failed, path="):
        list(ds.CelebADataset(celeba, shuffle=False))


def test_map_after_map_names_the_file(csv, tmp_path):
    # MindSpore 2.10 (b3.py): a map after another map still names the row's file
    data = csv("1.csv", column_names=_ABCD).map(operations=lambda x: x, input_columns=["a"])
    with pytest.raises(RuntimeError, match=f"The corresponding data file is: {tmp_path / '1.csv'}"):
        list(data.map(operations=_fails, input_columns=["b"]))


def test_str_sampler_refused(celeba):
    with pytest.raises(TypeError, match=r"Unsupported sampler object of type \(<class 'str'>\)"):
        ds.CelebADataset(celeba, sampler="")  # MindSpore 2.10's TypeError and text (b2.py, b3.py)


def _line(src, usage, *names):
    return json.dumps({"source": str(src), "usage": usage, "annotation": [{"name": n} for n in names]}) + "\n"


@pytest.fixture
def manifest(tmp_path):
    """The mirror's test.manifest and test5trainimgs.json lines (m1.py), on images holding their own names."""
    for name in ["t1", "t2", "e1", "e2"]:
        (tmp_path / name).write_bytes(name.encode())
    t1, t2, e1, e2 = (tmp_path / n for n in ["t1", "t2", "e1", "e2"])
    (tmp_path / "test.manifest").write_text(_line(t1, "TRAIN", "dog") + _line(t1, "TRAIN", "cat") +
                                            _line(t1, "TRAIN", "cat") + _line(t1, "TRAIN", "cat", "flower") +
                                            _line(e1, "EVAL", "cat") + _line(e2, "EVAL", "dog"))
    return tmp_path


# MindSpore 2.10 (m1.py, the mirror's test.manifest): the usage's lines, classes sorted over them or class_indexing's,
# one label a scalar and several an array (int32), shards every num_shards-th row
@pytest.mark.parametrize("args, kw, rows, indexing, size", [
    ((), {}, [("t1", 1), ("t1", 0), ("t1", 0), ("t1", [0, 2])], {"cat": 0, "dog": 1, "flower": 2}, 4),
    (("eval",), {}, [("e1", 0), ("e2", 1)], {"cat": 0, "dog": 1}, 2),
    ((), {"class_indexing": {"cat": 2, "dog": 1}}, [("t1", 1), ("t1", 2), ("t1", 2), ("t1", 2)],
     {"cat": 2, "dog": 1}, 4),
    ((), {"class_indexing": {"cat": 2}}, [("t1", 2), ("t1", 2), ("t1", 2)], {"cat": 2}, 3),
    ((), {"num_samples": 2}, [("t1", 1), ("t1", 0)], {"cat": 0, "dog": 1, "flower": 2}, 2),
    ((), {"num_shards": 2, "shard_id": 1}, [("t1", 0), ("t1", [0, 2])], {"cat": 0, "dog": 1, "flower": 2}, 2)])
def test_manifest_rows(manifest, args, kw, rows, indexing, size):
    data = ds.ManifestDataset(str(manifest / "test.manifest"), *args, shuffle=False, **kw)
    assert data.get_col_names() == ["image", "label"]
    got = list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert [(r[0].tobytes().decode(), r[1].tolist()) for r in got] == rows
    assert all(r[1].dtype == np.int32 for r in got)
    assert data.get_class_indexing() == indexing and data.num_classes() == len(indexing)
    assert data.get_dataset_size() == size


def test_manifest_errors(manifest):
    path = manifest / "m.manifest"
    (manifest / "empty").write_bytes(b"")
    for text, want in [  # MindSpore 2.10's texts (m1.py, on the mirror's error files)
            (_line(manifest / "e1", "EVAL", "cat") + _line(manifest / "empty", "EVAL", "cat"),
             f"Invalid manifest file, failed to read {manifest / 'empty'} : the manifest file is damaged or permission "
             "denied."),
            ("just text\n", "Invalid data, ManifestDataset API can't read the data file (interface mismatch or no "
             f"data found). Check file path: {path}"),
            (_line(manifest / "e1", "TRAIN", "cat") + json.dumps({"usage": "TRAIN"}) + "\n",
             f"Invalid manifest file, 'source' is missing in file: {path} at line 2"),
            (json.dumps({"source": str(manifest / "e1")}) + "\n",
             f"Invalid manifest file, 'usage' is missing in file: {path} at line 1")]:
        path.write_text(text)
        with pytest.raises(RuntimeError) as err:
            list(ds.ManifestDataset(str(path), shuffle=False))
        assert want in str(err.value)
    with pytest.raises(RuntimeError, match=r"ManifestDataset: xx does not match any mode in \[ inference eval "
                                           r"train \]"):
        ds.ManifestDataset(str(path), "xx").get_col_names()
