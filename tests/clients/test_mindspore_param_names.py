"""Parameter names of cells put inside other cells, as MindSpore 2.10 names them (checkpoints, parameters_dict,
optimizer groups go by these names). Every expected name below was printed by MindSpore 2.10 (CPU,
/work/wt/_msvenv) running the same classes with `mindspore` in place of `gradserve`.

The rules: a Parameter set as a Cell attribute is named after the attribute unless it was given a name; a cell
assigned to an attribute `a` of a cell built with auto_prefix=True (the default) renames every Parameter inside
it, given name or not, to `a.` + its path inside that cell (update_parameters_name('a.')), each time it is
assigned; a ParameterTuple's items enter that path under the names they had when the tuple was set; cells built
with auto_prefix=False (WithLossCell, TrainOneStepCell) rename nothing; CellList / SequentialCell name their
cells by index, and insert renames the cells it shifts."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, ParameterTuple, Tensor, nn


def names(c):
    return [p.name for p in c.get_parameters()]


def paths(c):
    return [n for n, _ in c.parameters_and_names()]


def param(name=None):
    return Parameter(Tensor(np.ones(2, np.float32)), name=name)


class SimpleNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(2, 3)

    def construct(self, x):
        return self.dense(x)


class Holder(nn.Cell):
    def __init__(self, value, attr="a", auto_prefix=True):
        super().__init__(auto_prefix=auto_prefix)
        setattr(self, attr, value)


class Named(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = param("myw")
        self.v = param()


def test_a_cell_built_in_one_cell_then_assigned_into_another_is_renamed():
    class ComplexNet(nn.Cell):
        def __init__(self):
            super().__init__()
            self.sub_net = SimpleNet().dense
            self.other = SimpleNet()

    assert names(SimpleNet()) == ["dense.weight", "dense.bias"]
    net = ComplexNet()
    assert names(net) == ["sub_net.weight", "sub_net.bias", "other.dense.weight", "other.dense.bias"]
    assert list(net.parameters_dict()) == names(net)
    assert [p.name for p in net.trainable_params()] == names(net)


def test_the_last_parent_names_a_cell_held_by_two():
    s = SimpleNet()
    p1 = Holder(s, "a")
    Holder(s, "b")
    assert names(p1) == ["b.dense.weight", "b.dense.bias"]
    assert paths(p1) == ["a.dense.weight", "a.dense.bias"]


def test_given_names_are_kept_alone_and_replaced_by_the_path_once_parented():
    e = Named()
    assert names(e) == ["myw", "v"] and paths(e) == ["w", "v"]
    assert names(Holder(Holder(e, "a"), "g")) == ["g.a.w", "g.a.v"]


def test_auto_prefix_false_wrappers_rename_nothing_but_a_prefixing_parent_renames_through_them():
    net = SimpleNet()
    loss = nn.WithLossCell(net, nn.MSELoss())
    assert names(loss) == ["dense.weight", "dense.bias"]
    assert paths(loss) == ["_backbone.dense.weight", "_backbone.dense.bias"]
    nn.TrainOneStepCell(loss, nn.Momentum(net.trainable_params(), 0.1, 0.9))
    assert names(net) == ["dense.weight", "dense.bias"]
    wrapped = Holder(Holder(SimpleNet(), "net", auto_prefix=False), "w")
    assert names(wrapped) == ["w.net.dense.weight", "w.net.dense.bias"]


def test_an_optimizers_state_is_parameters():
    net = SimpleNet()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    assert names(step) == ["dense.weight", "dense.bias", "global_step", "learning_rate", "momentum",
                           "moments.dense.weight", "moments.dense.bias"]


def test_an_optimizer_inside_a_prefixing_cell_renames_the_networks_parameters():
    class Train(nn.Cell):
        def __init__(self, net, opt):
            super().__init__()
            self.network = net
            self.optimizer = opt

    net = SimpleNet()
    Train(net, nn.Momentum(net.trainable_params(), 0.1, 0.9))
    assert names(net) == ["optimizer.dense.weight", "optimizer.dense.bias"]


def test_parameter_tuple_items_keep_the_names_they_had_when_set():
    class Tup(nn.Cell):
        def __init__(self):
            super().__init__()
            self.ws = ParameterTuple([param("x0")])

    assert names(Holder(Holder(Tup(), "a"), "g")) == ["g.a.x0"]


def test_cell_list_and_sequential_cell_name_by_index():
    cl = nn.CellList([nn.Dense(2, 2), SimpleNet()])
    assert names(cl) == ["0.weight", "0.bias", "1.dense.weight", "1.dense.bias"]
    assert names(Holder(nn.SequentialCell([nn.Dense(2, 2), SimpleNet()]), "seq")) == [
        "seq.0.weight", "seq.0.bias", "seq.1.dense.weight", "seq.1.dense.bias"]

    class H(nn.Cell):
        def __init__(self):
            super().__init__()
            self.layers = nn.CellList([nn.Dense(2, 2)])

    h = H()
    h.layers.append(nn.Dense(2, 2))
    assert names(h) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    h.layers.insert(0, nn.Dense(2, 2))
    assert names(h) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                        "layers.2.weight", "layers.2.bias"]

    class D(nn.Cell):
        def __init__(self):
            super().__init__()
            self.layers = nn.CellDict({"a": nn.Dense(2, 2)})

    d = D()
    d.layers["c"] = nn.Dense(2, 2)
    assert names(d) == ["layers.a.weight", "layers.a.bias", "layers.c.weight", "layers.c.bias"]


def test_a_shared_parameter_takes_the_last_rename():
    w = param("shared")
    a, b = Holder(w, "p"), Holder(w, "q")
    assert w.name == "shared"

    class Two(nn.Cell):
        def __init__(self):
            super().__init__()
            self.b = b
            self.a = a

    two = Two()
    assert names(two) == ["a.p"] and paths(two) == ["b.q"]


def test_update_parameters_name():
    class M(nn.Cell):
        def __init__(self):
            super().__init__()
            self.c = SimpleNet()
            self.own = param("mine")

    m = M()
    assert names(m) == ["mine", "c.dense.weight", "c.dense.bias"]
    m.update_parameters_name("z.", recurse=False)
    assert names(m) == ["z.own", "c.dense.weight", "c.dense.bias"]
    m.update_parameters_name("net.")
    assert names(m) == ["net.own", "net.c.dense.weight", "net.c.dense.bias"]
    s = SimpleNet()
    s.late = param()
    assert names(Holder(s, "_net")) == ["_net.late", "_net.dense.weight", "_net.dense.bias"]


def test_a_mindspore_named_checkpoint_loads_into_a_reparented_net(tmp_path):
    class ComplexNet(nn.Cell):
        def __init__(self):
            super().__init__()
            self.sub_net = SimpleNet()

    src = ComplexNet()
    for p in src.get_parameters():
        p.set_data(Tensor(np.full(p.shape, 7.0, np.float32)))
    ms.save_checkpoint(src, str(tmp_path / "n.ckpt"))
    ckpt = ms.load_checkpoint(str(tmp_path / "n.ckpt"))
    assert list(ckpt) == ["sub_net.dense.weight", "sub_net.dense.bias"]
    dst = ComplexNet()
    assert ms.load_param_into_net(dst, ckpt, strict_load=True) == ([], [])
    assert all((p.asnumpy() == 7.0).all() for p in dst.get_parameters())
    assert list(ms.load_checkpoint(str(_saved(tmp_path, nn.WithLossCell(SimpleNet(), nn.MSELoss()))))) == [
        "dense.weight", "dense.bias"]


def _saved(tmp_path, cell):
    ms.save_checkpoint(cell, str(tmp_path / "w.ckpt"))
    return tmp_path / "w.ckpt"


def test_parameters_in_plain_lists_keep_their_names():
    # MindSpore registers no Parameter or Cell held in a plain list or tuple, so it renames none; gradserve lists
    # them (an imported model keeps its weights so) and, like MindSpore, leaves their names alone
    class Plain(nn.Cell):
        def __init__(self):
            super().__init__()
            self.ws = [param("y0")]
            self.layers = (nn.Dense(2, 2),)

    assert names(Holder(Plain(), "a")) == ["y0", "weight", "bias"]
