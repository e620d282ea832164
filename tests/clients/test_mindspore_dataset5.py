"""mindspore.dataset names MindSpore's own dataset tests use (benchmarks/mindspore_suite/README.md, "dataset CSV and
apply, round 5"): Dataset.apply and CSVDataset. Expected values and texts: MindSpore 2.10 CPU runs over the same
files (/work/ms_suite_dataset5/probe/c1.py - c3.py; the files are the ones written here), written here; none is
gradserve's own output."""
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
