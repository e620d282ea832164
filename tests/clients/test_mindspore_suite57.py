"""Sample seed 57 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 57").

What the sample's misses asked for: Dataset.filter and dataset.zip / Dataset.zip (ut/python/dataset/test_filterop.py)
and nn.probability.bijector.Invert (ut/python/nn/probability/bijector/test_invert_bijector.py). Expected values and
texts: MindSpore 2.10 CPU runs of the same programs (/work/ms_suite57/probe/p1.py, p2.py); the Invert values are also
the closed forms of the inner bijector run backwards (checked with NumPy here)."""
import os

import numpy as np
import pytest

import gradserve.dataset as ds
import gradserve.nn.probability.bijector as msb
from gradserve import Tensor


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
