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


def test_apply_visits_the_sub_cells_first_then_the_cell():
    order = []
    net = nn.SequentialCell(nn.Dense(2, 2), nn.SequentialCell(nn.ReLU(), nn.Tanh()))
    assert net.apply(lambda c: order.append(type(c).__name__)) is net
    assert order == ["Dense", "ReLU", "Tanh", "SequentialCell", "SequentialCell"]  # MindSpore 2.10's order


def test_insert_child_and_param_to_cell():
    from gradserve import Parameter
    m = nn.Cell()
    p = Parameter(Tensor(np.ones(2, np.float32)), name="weight")
    m.insert_param_to_cell("weight", p)
    assert [n for n, _ in m.parameters_and_names()] == ["weight"] and m.weight is p
    m.insert_child_to_cell("relu", nn.ReLU())
    m.insert_child_to_cell("none", None)
    assert [n for n, _ in m.cells_and_names()] == ["", "relu"] and m.none is None
    m.insert_param_to_cell("p2", None)
    assert [n for n, _ in m.parameters_and_names()] == ["weight"] and m.p2 is None
    m.insert_param_to_cell("weight", Parameter(Tensor(np.zeros(2, np.float32)), name="other"))
    assert [(n, q.name) for n, q in m.parameters_and_names()] == [("weight", "other")]
    # MindSpore 2.10's refusals (its venv): the kinds and texts
    with pytest.raises(TypeError, match="For 'insert_child_to_cell', the argument 'child_cell' must be 'Cell' if not None"):
        m.insert_child_to_cell("network", p)
    with pytest.raises(TypeError, match="the type of parameter 'child_name' must be str"):
        m.insert_child_to_cell(3, nn.ReLU())
    for name in ("", "a.b"):
        with pytest.raises(KeyError, match="can not be None and can not contain"):
            m.insert_child_to_cell(name, nn.ReLU())
    with pytest.raises(KeyError, match="should not be None"):
        m.insert_param_to_cell("", p)
    with pytest.raises(KeyError, match="should not contain"):
        m.insert_param_to_cell("a.b", p)
    with pytest.raises(TypeError, match="the argument 'param' must be 'Parameter' if not None"):
        m.insert_param_to_cell("w", Tensor(np.ones(2, np.float32)))
    with pytest.raises(KeyError, match="the relu parameter already exists in the network"):
        m.insert_param_to_cell("relu", p)
    with pytest.raises(KeyError, match="the weight child cell already exists in the network"):
        m.insert_child_to_cell("weight", nn.ReLU())


def test_dtype_to_nptype_at_the_top_level():
    import gradserve as ms
    # MindSpore 2.10: ms.dtype_to_nptype(ms.float32) is numpy.float32, of bool_ numpy.bool_
    assert ms.dtype_to_nptype(ms.float32) is np.float32 and ms.dtype_to_nptype(ms.int32) is np.int32
    assert ms.dtype_to_nptype(ms.bool_) is np.bool_


def test_cell_list_refuses_what_is_not_a_cell():
    # MindSpore 2.10's text for init / append / insert
    with pytest.raises(TypeError, match=r"For 'CellList', each cell must be subclass of Cell, but got str"):
        nn.CellList(["test"])
    cl = nn.CellList([nn.ReLU()])
    for bad in (lambda: cl.append(3), lambda: cl.insert(0, 3), lambda: cl.__setitem__(0, 3)):
        with pytest.raises(TypeError, match="each cell must be subclass of Cell, but got int"):
            bad()
    assert len(cl) == 1
