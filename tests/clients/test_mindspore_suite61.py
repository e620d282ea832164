"""Sample seed 61 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 61").

What the sample asked for: `mindspore.dataset.transforms.Slice` (ut/python/dataset/test_slice_op.py, 26 items).
Expected values and texts: MindSpore 2.10 CPU runs of the same calls (/work/ms_suite61/probe/p1.py, p2.py; their
outputs p1.ms.txt, p2.ms.txt)."""
import numpy as np
import pytest

import gradserve.dataset as ds
from gradserve.dataset import transforms


def _sliced(arr, *opts):
    data = ds.NumpySlicesDataset([arr], shuffle=False).map(operations=transforms.Slice(*opts))
    return [d["column_0"] for d in data.create_dict_iterator(num_epochs=1, output_numpy=True)]


A2 = [[1, 2, 3, 4], [5, 6, 7, 8]]


# MindSpore 2.10 (p1.py, p2.py): one option an axis, each axis indexed on its own; an int keeps its axis.
@pytest.mark.parametrize("arr, opts, expected", [
    ([1, 2, 3, 4, 5], (0,), [1]),
    ([1, 2, 3, 4, 5], (-5,), [1]),
    ([1, 2, 3, 4, 5], (True,), [1, 2, 3, 4, 5]),
    ([1, 2, 3, 4, 5], (None,), [1, 2, 3, 4, 5]),
    ([1, 2, 3, 4, 5], (), [1, 2, 3, 4, 5]),
    ([1, 2, 3, 4, 5], ([-5, 4],), [1, 5]),
    ([1, 2, 3, 4, 5], (slice(3, 1),), np.zeros((0,), np.int64)),
    ([1, 2, 3, 4, 5], (slice(None, 3),), [1, 2, 3]),
    ([1, 2, 3, 4, 5], (slice(-100, 100, 3),), [1, 4]),
    (A2, (1,), [[5, 6, 7, 8]]),
    (A2, (None, 1), [[2], [6]]),
    (A2, (Ellipsis, 1), [[2], [6]]),
    (A2, (1, Ellipsis), [[5, 6, 7, 8]]),
    (A2, ([1, 0], [3, 0]), [[8, 5], [4, 1]]),
    (A2, (True, 2), [[3], [7]]),
    (A2, ([0, 0], slice(0, 4, 2)), [[1, 3], [1, 3]]),
    (A2, (slice(0, 2), -1), [[4], [8]]),
    (np.arange(24).reshape(2, 3, 4), (None, [2, 0]), [[[8, 9, 10, 11], [0, 1, 2, 3]], [[20, 21, 22, 23], [12, 13, 14, 15]]]),
    (np.arange(24).reshape(2, 3, 4), (slice(0, 2), 1, [3, 0]), [[[7, 4]], [[19, 16]]]),
    ([b"a", b"b"], (1,), [b"b"]),
    (["ab", "cd"], ([1, 0],), ["cd", "ab"]),
])
def test_slice_values(arr, opts, expected):
    (out,) = _sliced(arr, *opts)
    expected = np.asarray(expected)
    assert out.shape == expected.shape and out.dtype.kind == expected.dtype.kind
    np.testing.assert_array_equal(out, expected)


# MindSpore 2.10 (p1.py): errors at run time, in its pipeline text; an index names itself after adding the axis size.
@pytest.mark.parametrize("arr, opts, text", [
    ([1, 2, 3, 4, 5], (5,), "map operation: [Slice] failed. Index 5 is out of bounds."),
    ([1, 2, 3, 4, 5], ([-6],), "map operation: [Slice] failed. Index -1 is out of bounds."),
    (A2, (0, [4]), "map operation: [Slice] failed. Index 4 is out of bounds."),
    ([1, 2, 3, 4, 5], ([],), "map operation: [Slice] failed. Both indices and slices can not be empty."),
    ([1, 2, 3, 4, 5], (False,), "map operation: [Slice] failed. Both indices and slices can not be empty."),
    (A2, ([], [0]), "map operation: [Slice] failed. Both indices and slices can not be empty."),
    (A2, (0, 0, 0), "map operation: [Slice] failed. Invalid shape, should be greater than slices index."),
])
def test_slice_run_errors(arr, opts, text):
    with pytest.raises(RuntimeError) as info:
        _sliced(arr, *opts)
    assert text in str(info.value)


_TYPES = ("[<class 'int'>, <class 'list'>, <class 'slice'>, <class 'bool'>, <class 'ellipsis'>, "
          "<class 'mindspore.dataset.transforms.transforms._SliceOption'>]")


# MindSpore 2.10 (p1.py, p2.py): the constructor's TypeError texts, and "Wrong slice object" for a slice without a stop.
@pytest.mark.parametrize("opts, cls, text", [
    (([[0, 1]],), TypeError,
     "Argument slice_option[0] with value [0, 1] is not of type [<class 'int'>], but got <class 'list'>."),
    (([slice(3)],), TypeError, "Argument slice_option[0] with value slice(None, 3, None) is not of type "
                               "[<class 'int'>], but got <class 'slice'>."),
    (("a",), TypeError, f"Argument slice with value a is not of type {_TYPES}, but got <class 'str'>."),
    ((1.5,), TypeError, f"Argument slice with value 1.5 is not of type {_TYPES}, but got <class 'float'>."),
    (((0, 1),), TypeError, f"Argument slice with value (0, 1) is not of type {_TYPES}, but got <class 'tuple'>."),
    (([0, 1.5],), TypeError,
     "Argument slice[1] with value 1.5 is not of type [<class 'int'>], but got <class 'float'>."),
    (([True],), TypeError,
     "Argument slice[0] with value True is not of type (<class 'int'>,), but got <class 'bool'>."),
    ((slice(1, None),), RuntimeError, "Wrong slice object"),
    ((slice(0, 5, 0),), RuntimeError, "Wrong slice object"),
])
def test_slice_argument_errors(opts, cls, text):
    with pytest.raises(cls) as info:
        transforms.Slice(*opts)
    assert text in str(info.value)
