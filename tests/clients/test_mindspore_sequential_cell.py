"""nn.SequentialCell as a container, against MindSpore 2.10 (CPU, run for this task): len, indexing, slicing,
item assignment and deletion, append, an OrderedDict's names, and its errors' texts. (MindSpore 2.10's
SequentialCell has no public insert / extend.)"""
from collections import OrderedDict

import numpy as np
import pytest

from gradserve import Tensor, nn


def _names(seq):
    return list(seq.name_cells().keys())


def test_an_ordered_dict_names_the_cells_and_append_numbers_the_next():
    r, t, s = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    m = nn.SequentialCell(OrderedDict([("a", r), ("b", t)]))
    assert len(m) == 2 and _names(m) == ["a", "b"] and m[0] is r and m[-1] is t
    assert type(m[0:2]).__name__ == "SequentialCell" and m[:2][1] is t and len(m[1:]) == 1
    m.append(s)
    assert len(m) == 3 and _names(m) == ["a", "b", "2"] and [type(c).__name__ for c in m] == ["ReLU", "Tanh", "Sigmoid"]
    del m[0]
    assert _names(m) == ["b", "1"]  # (numbered names follow their position)
    del m[:]
    assert len(m) == 0


def test_item_assignment_keeps_the_name():
    r, t, s = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    m = nn.SequentialCell([r, t])
    m[0] = s
    assert _names(m) == ["0", "1"] and m[0] is s


def test_errors_name_the_index_and_the_cell():
    m = nn.SequentialCell([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])
    with pytest.raises(TypeError, match=r"For 'SequentialCell', the type of 'index' must be int, but got float"):
        m[1.0] = nn.ReLU()
    with pytest.raises(TypeError, match=r"For 'SequentialCell', each cell must be subclass of Cell, but got int"):
        m.append(3)
    with pytest.raises(IndexError, match=r"must be a number in range \[-3, 3\), but got 100"):
        m[100]


def test_appended_cells_run_and_their_parameters_are_named_by_position(on_real_server):
    x = Tensor(np.array([[-1.0, 2.0]], np.float32))
    q = nn.SequentialCell([nn.ReLU()])
    q.append(nn.Tanh())
    np.testing.assert_allclose(q(x).asnumpy(), [[0.0, np.tanh(2.0)]], rtol=1e-6)
    w = nn.SequentialCell([nn.Dense(2, 3), nn.Dense(3, 1)])
    w.append(nn.Dense(1, 1))
    assert [p.name for p in w.trainable_params()] == ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]
    assert w(x).shape == (1, 1)
