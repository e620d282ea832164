"""MindSpore leftovers, round 21 (h-left21; benchmarks/mindspore_suite/README.md, "Leftovers, round 21").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv); the mode
that gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn

_NAMES = ['softmin', 'softmax', 'softmax2d', 'logsoftmax', 'logsoftmaxExt', 'relu', 'relu6', 'rrelu', 'silu', 'tanh',
          'tanhshrink', 'hardtanh', 'gelu', 'fast_gelu', 'elu', 'sigmoid', 'softsign', 'prelu', 'preluExt',
          'leakyrelu', 'hswish', 'hsigmoid', 'logsigmoid', 'softshrink', 'hshrink', 'threshold', 'mish']


# -- nn.Dense(activation=...) / nn.get_activation: MindSpore 2.10's names only, case-sensitive ---------------------
@pytest.mark.parametrize("name", ["softplus", "selu", "swish", "celu", "Relu", "ReLU", "LeakyReLU", "hardswish"])
def test_activation_names_mindspore_lacks_are_its_key_error(name):
    # MindSpore 2.10: KeyError, for nn.Dense(3, 2, activation=name) and nn.get_activation(name) alike
    text = f"The 'name' must be in {_NAMES}, but got {name}."
    with pytest.raises(KeyError) as info:
        nn.Dense(3, 2, activation=name)
    assert info.value.args[0] == text
    with pytest.raises(KeyError) as info:
        nn.get_activation(name)
    assert info.value.args[0] == text


@pytest.mark.parametrize("name", [n for n in _NAMES if n not in ("threshold", "logsoftmaxExt")])
def test_activation_names_mindspore_accepts_build(name):
    # MindSpore 2.10 builds nn.Dense(3, 2, activation=name) for each of these
    assert isinstance(nn.Dense(3, 2, activation=name).activation, nn.Cell)


def test_threshold_activation_needs_its_arguments():
    # MindSpore 2.10: TypeError "Threshold.__init__() missing 2 required positional arguments: 'threshold' and 'value'"
    with pytest.raises(TypeError, match="missing 2 required positional arguments: 'threshold' and 'value'"):
        nn.Dense(3, 2, activation="threshold")


def test_dense_softsign_value(on_real_server):
    net = nn.Dense(2, 1, weight_init=Tensor(np.array([[1.0, -2.0]], np.float32)), bias_init="zeros",
                   activation="softsign")
    out = net(Tensor(np.array([[3.0, 1.0]], np.float32))).asnumpy()
    np.testing.assert_allclose(out, [[0.5]], rtol=1e-6)  # softsign(1) = 1 / 2, by hand


# -- eager x[index] = v with v of more dims than the region (NumPy drops the leading 1s; MindSpore refuses) ------
_BROADCAST_TEXT = "For primitive [BroadcastTo]: input's rank should be less equal to the number of proposed_shape, but got "


@pytest.mark.parametrize("index, value_shape, ranks", [
    (slice(1, None), (1, 2, 4, 5), "4 and 3"), (0, (1, 4, 5), "3 and 2"), (0, (1, 1, 5), "3 and 2"),
    ((0, 1), (1, 5), "2 and 1"), ((0, 1), (1, 1, 5), "3 and 1"), ((slice(None), 0), (1, 3, 5), "3 and 2"),
    ([0, 1], (1, 2, 4, 5), "4 and 3"), ((Ellipsis, 0), (1, 3, 4), "3 and 2"), ((None, 0), (1, 1, 4, 5), "4 and 3"),
    ((0, None), (1, 1, 1, 4, 5), "5 and 3")])
def test_eager_item_assignment_of_a_higher_rank_value_is_mindspores_value_error(pynative, index, value_shape, ranks):
    # MindSpore 2.10 PyNative: ValueError, the ranks as given (value's and the indexed region's)
    x = Tensor(np.zeros((3, 4, 5), np.float32))
    with pytest.raises(ValueError) as info:
        x[index] = Tensor(np.ones(value_shape, np.float32))
    assert str(info.value) == _BROADCAST_TEXT + ranks
    assert float(x.asnumpy().sum()) == 0.0


def test_eager_item_assignment_into_a_scalar_region(pynative):
    # MindSpore 2.10 PyNative: x[0] = (1,) writes; (1, 1) is its SetItem ValueError
    x = Tensor(np.zeros((3,), np.float32))
    x[0] = Tensor(np.array([2.0], np.float32))
    np.testing.assert_array_equal(x.asnumpy(), [2.0, 0.0, 0.0])
    with pytest.raises(ValueError) as info:
        x[1] = Tensor(np.ones((1, 1), np.float32))
    assert str(info.value) == ("For SetItem, the shape of right value must be () or (1, ) when shape of left value "
                               "is 0, but got[const vector]{1, 1}")


@pytest.mark.parametrize("index, value_shape, total", [
    (slice(1, None), (1, 4, 5), 40.0), (Ellipsis, (1, 3, 4, 5), 60.0), (None, (1, 1, 3, 4, 5), 60.0),
    (Ellipsis, (1, 1, 3, 4, 5), 60.0), (None, (1, 1, 1, 3, 4, 5), 60.0), ([0, 1], (2, 4, 5), 40.0),
    (slice(1, None), (), 40.0)])
def test_eager_item_assignments_mindspore_writes(pynative, index, value_shape, total):
    # MindSpore 2.10 PyNative writes each of these: the sum of x afterwards as given
    x = Tensor(np.zeros((3, 4, 5), np.float32))
    x[index] = Tensor(np.ones(value_shape, np.float32))
    assert float(x.asnumpy().sum()) == total


# -- Tensor.index_put / ops.IndexPut: the values a 1-D Tensor --------------------------------------------------------
@pytest.mark.parametrize("indices, value_shape", [
    ((np.array([0, 1]), np.array([1, 2])), (2, 1)), ((np.array([0, 1]), np.array([1, 2])), ()),
    ((np.array([0, 1]), np.array([1, 2])), (1, 1)), ((np.array([0, 1]),), (2, 4))])
def test_index_put_values_of_rank_other_than_one_are_mindspores_value_error(indices, value_shape):
    # MindSpore 2.10 (PyNative): ValueError "For primitive[IndexPut], the rank of x2 must be equal to 1, but got N."
    x = Tensor(np.zeros((3, 4), np.float32))
    where = tuple(Tensor(i.astype(np.int32)) for i in indices)
    text = f"For primitive[IndexPut], the rank of x2 must be equal to 1, but got {len(value_shape)}."
    with pytest.raises(ValueError) as info:
        x.index_put(where, Tensor(np.ones(value_shape, np.float32)))
    assert str(info.value) == text
    with pytest.raises(ValueError) as info:
        ms.ops.IndexPut()(x, Tensor(np.ones(value_shape, np.float32)), where)
    assert str(info.value) == text


def test_index_put_one_value_broadcasts(fake):
    # MindSpore 2.10: values of shape (1,) or (2,) at [0, 1] x [1, 2] of zeros (3, 4): the sum 2.0
    x = Tensor(np.zeros((3, 4), np.float32))
    where = (Tensor(np.array([0, 1], np.int32)), Tensor(np.array([1, 2], np.int32)))
    for shape in ((1,), (2,)):
        assert float(x.index_put(where, Tensor(np.ones(shape, np.float32))).asnumpy().sum()) == 2.0


# -- `self.p = x` (p a Parameter) then `return self.p`: PyNative the Parameter, GRAPH_MODE a Tensor ------------------
class _SetThenReturn(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p = Parameter(Tensor(np.ones(3, np.float32)), name="p")

    def construct(self, x):
        self.p = x
        return self.p


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
def test_a_parameter_attribute_assigned_then_returned(on_real_server, mode):
    # MindSpore 2.10: PyNative returns the Parameter p (value [1, 2, 3]); GRAPH_MODE a Tensor [1, 2, 3]; in both
    # net.p stays a Parameter holding [1, 2, 3]
    ms.set_context(mode=mode)
    net = _SetThenReturn()
    out = net(Tensor(np.array([1.0, 2.0, 3.0], np.float32)))
    if mode == ms.PYNATIVE_MODE:
        assert isinstance(out, Parameter) and out.name == "p"
    else:
        assert type(out) is Tensor
    np.testing.assert_array_equal(out.asnumpy(), [1.0, 2.0, 3.0])
    assert isinstance(net.p, Parameter)
    np.testing.assert_array_equal(net.p.asnumpy(), [1.0, 2.0, 3.0])


# -- `self.x[0] = 9` in construct with self.x never set ------------------------------------------------------------
class _NeverSet(nn.Cell):
    def construct(self, x):
        self.x[0] = 9
        return x


def test_item_assignment_into_an_unset_attribute(on_real_server):
    # MindSpore 2.10: GRAPH_MODE TypeError, PyNative AttributeError, these texts
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    ms.set_context(mode=ms.GRAPH_MODE)
    with pytest.raises(TypeError) as info:
        _NeverSet()(x)
    assert str(info.value) == "'self.x' should be initialized in the '__init__' function before subscript."
    ms.set_context(mode=ms.PYNATIVE_MODE)
    with pytest.raises(AttributeError) as info:
        _NeverSet()(x)
    assert str(info.value) == "The '_NeverSet' object has no attribute 'x'."


class _ListAttribute(nn.Cell):
    def __init__(self):
        super().__init__()
        self.x = [0, 0]

    def construct(self, y):
        self.x[0] = 9
        return y * 2


def test_item_assignment_into_a_set_attribute_runs(on_real_server, pynative):
    net = _ListAttribute()
    out = net(Tensor(np.array([1.0, 2.0], np.float32)))
    np.testing.assert_array_equal(out.asnumpy(), [2.0, 4.0])  # by hand
    assert net.x == [9, 0]  # Python's list write (PyNative runs construct's Python)


# -- a return inside a loop in GRAPH_MODE: MindSpore 2.10 refuses only where the returned dtypes / kinds differ ------
class _ReturnsAnotherDtype(nn.Cell):
    def construct(self, x):
        i = 0
        while i < 3:
            if x.sum() > 5:
                return x.astype(ms.int32)
            x = x + 1
            i += 1
        return x


class _ReturnsANumber(nn.Cell):
    def construct(self, x):
        for _ in range(3):
            if x.sum() > 5:
                return x
        return 0


class _ReturnsAnotherShape(nn.Cell):
    def construct(self, x):
        while x.sum() < 10:
            if x.sum() > 5:
                return x.sum()
            x = x + 1
        return x


@pytest.mark.parametrize("cls", [_ReturnsAnotherDtype, _ReturnsANumber])
def test_loop_returns_of_different_kinds_are_refused(on_real_server, graph_mode, cls):
    # MindSpore 2.10 GRAPH_MODE: TypeError, for x = [1, 1] and [3, 3] alike
    for v in ([1.0, 1.0], [3.0, 3.0]):
        with pytest.raises(TypeError, match="^Cannot join the return values of different branches, perhaps you need "
                                            "to make them equal."):
            cls()(Tensor(np.array(v, np.float32)))


def test_loop_returns_of_different_shapes_run(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE: 6.0 (a scalar) for x = [1, 1] and [3, 3]
    for v in ([1.0, 1.0], [3.0, 3.0]):
        assert float(_ReturnsAnotherShape()(Tensor(np.array(v, np.float32))).asnumpy()) == 6.0
