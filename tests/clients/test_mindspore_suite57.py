"""Sample seed 57 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 57").

What the sample's misses asked for: Dataset.filter / rename and dataset.zip / Dataset.zip (ut/python/dataset/
test_filterop.py),
dataset.Schema (test_schema.py) and nn.probability.bijector.Invert (ut/python/nn/probability/bijector/
test_invert_bijector.py). Expected values and texts: MindSpore 2.10 CPU runs of the same programs
(/work/ms_suite57/probe/p1.py .. p7.py); the Invert values are also the closed forms of the inner bijector run
backwards (checked with NumPy here)."""
import json
import os

import numpy as np
import pytest

import gradserve.dataset as ds
import gradserve.nn.probability.bijector as msb
from gradserve import Tensor, bool_, bfloat16, int32, string


def _gen(n, base=0):
    def source():
        for i in range(n):
            yield (np.array([i + base]), np.array([[i, i + 1]]))
    return source


def _a():
    return ds.GeneratorDataset(_gen(5), ["a", "b"])


def _b():
    return ds.GeneratorDataset(_gen(3, 100), ["c", "d"])


def _rows(d):
    return [{k: v.tolist() for k, v in r.items()} for r in d.create_dict_iterator(num_epochs=1, output_numpy=True)]


# MindSpore 2.10: the columns joined in order, rows until the shortest dataset ends (3 of 5)
@pytest.mark.parametrize("build", [lambda: ds.zip((_a(), _b())), lambda: _a().zip(_b()), lambda: _a().zip((_b(),))])
def test_zip_joins_columns_until_the_shortest_ends(build):
    d = build()
    assert d.get_col_names() == ["a", "b", "c", "d"]
    assert _rows(d) == [{"a": [i], "b": [[i, i + 1]], "c": [100 + i], "d": [[i, i + 1]]} for i in range(3)]
    assert d.get_dataset_size() == 3


# MindSpore 2.10's classes and first lines
@pytest.mark.parametrize("build, exc, text", [
    (lambda: ds.zip((_a(),)), ValueError, "Can't zip empty or just one dataset!"),
    (lambda: ds.zip((_a(), 1)), TypeError, "Invalid dataset, expected Dataset object, but got <class 'int'>!"),
    (lambda: ds.zip([_a(), _b()]), TypeError, "is not of type [<class 'tuple'>], but got <class 'list'>."),
    (lambda: _a().zip(3), TypeError, "but got <class 'int'>."),
])
def test_zip_argument_checks(build, exc, text):
    with pytest.raises(exc) as info:
        build()
    assert text in str(info.value)


def test_zip_of_a_repeated_column_name_raises_when_it_iterates():
    d = ds.zip((_a(), ds.GeneratorDataset(_gen(2), ["a", "x"])))  # (MindSpore 2.10: no error until it iterates)
    with pytest.raises(RuntimeError, match="Exception thrown from dataset pipeline"):
        _rows(d)


def test_filter_keeps_the_rows_the_predicate_accepts():
    d = _a().filter(predicate=lambda x: x[0] % 2 == 0, input_columns=["a"], num_parallel_workers=1)
    assert _rows(d) == [{"a": [0], "b": [[0, 1]]}, {"a": [2], "b": [[2, 3]]}, {"a": [4], "b": [[4, 5]]}]
    assert d.get_dataset_size() == 3
    # no input_columns: every column, in order; a str names one column
    assert [r["a"] for r in _rows(_a().filter(lambda x, y: x[0] > 2))] == [[3], [4]]
    assert [r["a"] for r in _rows(_a().filter(lambda x: x[0] > 2, input_columns="a"))] == [[3], [4]]


# MindSpore 2.10: the predicate's Python truth (1 and [True] keep a row, None drops it)
@pytest.mark.parametrize("pred, kept", [(lambda x, y: 1, 5), (lambda x, y: np.array([True]), 5),
                                        (lambda x, y: None, 0), (lambda x, y: np.bool_(x[0] == 1), 1)])
def test_filter_takes_the_predicates_truth(pred, kept):
    assert len(_rows(_a().filter(pred))) == kept


@pytest.mark.parametrize("pred", [lambda x, y: np.array([True, False]), lambda x: True, lambda x, y: 1 / 0])
def test_filter_predicate_errors_are_runtime_errors(pred):
    with pytest.raises(RuntimeError, match="Exception thrown from user defined Python function in dataset"):
        _rows(_a().filter(pred))


def test_filter_argument_checks():
    with pytest.raises(TypeError, match="Predicate should be a Python function or a callable Python object."):
        _a().filter(3)
    cpus = os.cpu_count() or 1  # (MindSpore's bound is this machine's CPU count)
    for workers in (0, cpus + 1):
        with pytest.raises(ValueError, match=f"num_parallel_workers exceeds the boundary between 1 and {cpus}!"):
            _a().filter(lambda x, y: True, num_parallel_workers=workers)
    with pytest.raises(RuntimeError, match="Exception thrown from dataset pipeline"):
        _rows(_a().filter(lambda x: True, input_columns=["zz"]))


def test_filter_then_zip_then_map():
    # test_filterop.py's Partial2, MindSpore 2.10 passes it: ret1[0] == 400, ret1[6] == 408, ret3[6] == 708
    def source(base):
        return lambda: ((np.array([i + base]), np.array([i + base + 100])) for i in range(12))
    d1 = ds.GeneratorDataset(source(0), ["col1", "col2"]).filter(lambda x: x not in [3, 7, 9], ["col1"])
    d2 = ds.GeneratorDataset(source(200), ["col3", "col4"]).filter(lambda x: x not in [203, 207, 209], ["col3"])
    d = ds.zip((d1, d2)).map(lambda x1, x3: (x1 + 400, x3 + 500), ["col1", "col3"], ["out1", "out3"])
    rows = _rows(d)
    assert [r["out1"][0] for r in rows] == [400, 401, 402, 404, 405, 406, 408, 410, 411]
    assert rows[6]["out3"] == [708]



def _abc():
    return ds.GeneratorDataset(lambda: ((np.array([i]), np.array([10 * i]), np.array([100 * i])) for i in range(3)),
                               ["a", "b", "c"])


# MindSpore 2.10: the columns renamed in place, the rows unchanged
@pytest.mark.parametrize("ins, outs, names", [("a", "x", ["x", "b", "c"]), (["a", "c"], ["x", "y"], ["x", "b", "y"]),
                                              (["a", "b"], ["b", "a"], ["b", "a", "c"])])
def test_rename(ins, outs, names):
    d = _abc().rename(ins, outs)
    assert d.get_col_names() == names
    assert [[v.tolist() for v in r] for r in d.create_tuple_iterator(output_numpy=True, num_epochs=1)] == [
        [[i], [10 * i], [100 * i]] for i in range(3)]


@pytest.mark.parametrize("ins, outs, exc, text", [
    (["a"], ["b"], RuntimeError, "does not support rename one column name into another already exist column name, "
                                 "existing column name is: b."),
    (["zz"], ["x"], RuntimeError, "Invalid column, column to be renamed does not exist."),
    (["a", "b"], ["x"], ValueError, "Number of column in input_columns and output_columns is not equal."),
    ([1], ["x"], TypeError,
     "Argument input_columns[0] with value 1 is not of type [<class 'str'>], but got <class 'int'>."),
    ([], [], ValueError, "input_columns should not be empty."),
])
def test_rename_checks(ins, outs, exc, text):
    with pytest.raises(exc) as info:
        _abc().rename(ins, outs).get_col_names()
    assert text in str(info.value)

def test_invert_names_and_checks():
    b = msb.Invert(msb.ScalarAffine(scale=2.0, shift=1.0))
    assert isinstance(b, msb.Bijector)  # MindSpore 2.10: InvertScalarAffine, constant Jacobian, injective
    assert (b.name, b.is_constant_jacobian, b.is_injective) == ("InvertScalarAffine", True, True)
    assert type(b.bijector).__name__ == "ScalarAffine"
    assert msb.Invert(msb.Exp()).name == "InvertExp" and not msb.Invert(msb.Exp()).is_constant_jacobian
    assert msb.Invert(msb.Exp(), name="foo").name == "foo"
    assert msb.Invert(msb.Exp(), name="").name == "InvertExp"
    with pytest.raises(TypeError, match="For 'Invert', the type of 'name' should be 'str', but got type 'float'."):
        msb.Invert(msb.Exp(), name=0.1)
    with pytest.raises(TypeError, match="For 'Invert', the type of 'bijector' should be 'Bijector', but got type "
                                        "'float'."):
        msb.Invert(0.1)


def test_invert_runs_the_bijector_backwards(on_real_server):
    x = np.array([2.0, 3.0, 4.0], np.float32)
    b = msb.Invert(msb.ScalarAffine(scale=2.0, shift=1.0))
    # MindSpore 2.10: forward [0.5 1 1.5], inverse [5 7 9], log-Jacobians -log 2 / log 2
    np.testing.assert_allclose(b.forward(Tensor(x)).asnumpy(), (x - 1) / 2, rtol=1e-6)
    np.testing.assert_allclose(b("inverse", Tensor(x)).asnumpy(), 2 * x + 1, rtol=1e-6)
    np.testing.assert_allclose(b.forward_log_jacobian(Tensor(x)).asnumpy(), -np.log(2), rtol=1e-6)
    np.testing.assert_allclose(b.inverse_log_jacobian(Tensor(x)).asnumpy(), np.log(2), rtol=1e-6)
    e = msb.Invert(msb.Exp())  # MindSpore 2.10: forward log x, inverse exp x, forward_log_jacobian -log x
    np.testing.assert_allclose(e.forward(Tensor(x)).asnumpy(), np.log(x), rtol=1e-6)
    np.testing.assert_allclose(e.inverse(Tensor(x)).asnumpy(), np.exp(x), rtol=1e-6)
    np.testing.assert_allclose(e.forward_log_jacobian(Tensor(x)).asnumpy(), -np.log(x), rtol=1e-6)
    np.testing.assert_allclose(e.inverse_log_jacobian(Tensor(x)).asnumpy(), x, rtol=1e-6)
    with pytest.raises(TypeError, match="the type must be or be subclass of Float, but got Int32"):
        b.forward(Tensor(np.array([1, 2], np.int32)))


def _schema_rows(text):
    return [(c["name"], c["rank"], c.get("shape"), c["type"]) for c in json.loads(text)["columns"]]


def test_schema_file_round_trip(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"datasetType": "TF", "numRows": 12, "columns": {
        "col_sint16": {"type": "int16", "rank": 1, "shape": [1]},
        "col_2d": {"type": "int64", "rank": 2, "shape": [2, 2]},
        "col_binary": {"type": "uint8", "rank": 1}}}))
    # MindSpore 2.10's text: columns by name, a column without shape rank 0 / [], keys sorted, 2-space indent
    assert ds.Schema(str(path)).to_json() == (
        '{\n  "columns": [\n    {\n      "name": "col_2d",\n      "rank": 2,\n      "shape": [\n        2,\n        2\n'
        '      ],\n      "type": "int64"\n    },\n    {\n      "name": "col_binary",\n      "rank": 0,\n'
        '      "shape": [],\n      "type": "uint8"\n    },\n    {\n      "name": "col_sint16",\n'
        '      "rank": 1,\n'
        '      "shape": [\n        1\n      ],\n      "type": "int16"\n    }\n  ],\n  "datasetType": "TF",\n'
        '  "numRows": 12\n}')
    assert str(ds.Schema(str(path))) == ds.Schema(str(path)).to_json()


def test_schema_columns_added_and_parsed():
    s = ds.Schema()
    assert s.to_json() == '{\n  "columns": null\n}'  # MindSpore 2.10
    s.add_column("x", de_type=int32, shape=[2])
    s.add_column("y", de_type="float32")
    s.add_column("s", de_type=string)
    s.add_column("b", de_type=bool_, shape=[-1, 2])
    # MindSpore 2.10: in the order added; no shape: rank 1 and no "shape" key
    assert _schema_rows(s.to_json()) == [("x", 1, [2], "int32"), ("y", 1, None, "float32"), ("s", 1, None, "string"),
                                         ("b", 2, [-1, 2], "bool")]
    s.parse_columns({"b": {"type": "int8", "shape": [3]}, "a": {"type": "uint8"}})  # (replaces them; by name)
    assert _schema_rows(s.to_json()) == [("a", 0, [], "uint8"), ("b", 1, [3], "int8")]
    s.parse_columns([{"name": "z", "type": "int8"}, {"name": "c", "type": "string", "shape": [1]}])
    assert _schema_rows(s.to_json()) == [("z", 0, [], "int8"), ("c", 1, [1], "string")]
    s.from_json({"numRows": 3, "datasetType": "TF", "columns": {"q": {"type": "int8", "rank": 2}}})
    assert json.loads(s.to_json()) == {"columns": [{"name": "q", "rank": 0, "shape": [], "type": "int8"}],
                                       "datasetType": "TF", "numRows": 3}


# MindSpore 2.10's classes and texts
@pytest.mark.parametrize("build, exc, text", [
    (lambda: ds.Schema(1), TypeError, "path: 1 is not string"),
    (lambda: ds.Schema("/nope.json"), ValueError, "The file /nope.json does not exist or permission denied!"),
    (lambda: ds.Schema().parse_columns([{"type": "int8", "shape": [3, 3]}]), RuntimeError, "Column's name is missing"),
    (lambda: ds.Schema().parse_columns([{"name": "a"}]), RuntimeError, "Column's type is missing"),
    (lambda: ds.Schema().parse_columns([{"name": "a", "type": "nope"}]), RuntimeError, "Type is unknown."),
    (lambda: ds.Schema().parse_columns(5), RuntimeError, "columns must be dict or list"),
    (lambda: ds.Schema().from_json({"x": 1}), RuntimeError, '"columns" node is required in the schema json JSON.'),
    (lambda: ds.Schema().add_column("z", de_type="bytes"), TypeError, "Unknown column type."),
    (lambda: ds.Schema().add_column("z", de_type=bfloat16), KeyError, "mindspore.bfloat16"),
    (lambda: ds.Schema().add_column(3, de_type="int32"), TypeError,
     "Argument name with value 3 is not of type [<class 'str'>], but got <class 'int'>."),
    (lambda: ds.Schema().add_column("q", de_type="int8", shape=3), TypeError,
     "Argument shape with value 3 is not of type [<class 'list'>], but got <class 'int'>."),
])
def test_schema_checks(build, exc, text):
    with pytest.raises(exc) as info:
        build()
    assert text in str(info.value)
