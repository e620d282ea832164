"""Sample seed 71 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 71").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (/work/ms_suite71/probe/p4.py, printed on
both sides and diffed, PyNative); the literals below are its outputs. ops.clip_by_norm with an odd norm_type is
checked against NumPy instead (MindSpore's is wrong math there: see the test)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops

_W = np.arange(6, dtype=np.float32).reshape(2, 3)


@pytest.fixture(params=["graph", "pynative"])
def mode(fake, request):
    ms.set_context(mode=ms.GRAPH_MODE if request.param == "graph" else ms.PYNATIVE_MODE)
    yield request.param
    ms.set_context(mode=ms.PYNATIVE_MODE)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, float("inf")])
def test_clip_by_norm_of_zeros_has_the_identity_gradient(mode, norm_type):
    # MindSpore 2.10: the norm is 0, so clip_coef (1 / 1e-6) is above 1 and x comes back as it is; its gradient
    # is the identity (w itself), where the root of a zero sum used to give 0 * inf = NaN
    x = Tensor(np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(ops.clip_by_norm(x, 1.0, norm_type).asnumpy(), np.zeros((2, 3)))
    g = ms.grad(lambda t: (ops.clip_by_norm(t, 1.0, norm_type) * Tensor(_W)).sum())(x)
    np.testing.assert_array_equal(g.asnumpy(), _W)


def test_clip_by_norm_of_a_list_with_a_zero_tensor(mode):
    # MindSpore 2.10: [3, 3, 3] | [3, 3] (total norm 0.2236 below 1: both unchanged); all zeros: ones
    def f(a, b):
        out = ops.clip_by_norm([a, b], 1.0)
        return (out[0] * 3).sum() + (out[1] * 3).sum()
    ga, gb = ms.grad(f, (0, 1))(Tensor(np.array([0.2, 0.1, 0], np.float32)), Tensor(np.zeros(2, np.float32)))
    np.testing.assert_array_equal(ga.asnumpy(), [3, 3, 3])
    np.testing.assert_array_equal(gb.asnumpy(), [3, 3])

    def h(a, b):
        out = ops.clip_by_norm([a, b], 1.0)
        return out[0].sum() + out[1].sum()
    ga, gb = ms.grad(h, (0, 1))(Tensor(np.zeros(3, np.float32)), Tensor(np.zeros(2, np.float32)))
    np.testing.assert_array_equal(ga.asnumpy(), [1, 1, 1])
    np.testing.assert_array_equal(gb.asnumpy(), [1, 1])


def test_clip_by_norm_above_the_norm_matches_mindspore(mode):
    # MindSpore 2.10: x [[1.5, -2, 0], [0.5, 3, -1]] (2-norm 4.0620), max_norm 1; its value and gradient under w
    x = Tensor(np.array([[1.5, -2.0, 0.0], [0.5, 3.0, -1.0]], np.float32))
    np.testing.assert_allclose(ops.clip_by_norm(x, 1.0).asnumpy(),
                               [[0.369274377822876, -0.49236583709716797, 0.0],
                                [0.12309145927429199, 0.738548755645752, -0.24618291854858398]], rtol=1e-5)
    g = ms.grad(lambda t: (ops.clip_by_norm(t, 1.0) * Tensor(_W)).sum())(x)
    np.testing.assert_allclose(g.asnumpy(), [[-0.14547167718410492, 0.4401451349258423, 0.49236583709716797],
                                             [0.690058171749115, 0.6937882900238037, 1.3278957605361938]],
                               rtol=1e-5)


@pytest.mark.parametrize("norm_type", [1, 3.0])
def test_clip_by_norm_odd_norm_type_is_the_norm_of_magnitudes(mode, norm_type):
    # MindSpore 2.10 sums x ** p without abs(x) (clip_func._old_norm): for p = 1 this x's "norm" is 2 (1.5 - 2 + ...),
    # giving [[0.75, -1, 0], [0.25, 1.5, -0.5]], an L1 norm of 4 above max_norm 1: wrong math, not copied.
    # gradserve: the p-norm of |x| (NumPy's), so the result's p-norm is max_norm.
    xn = np.array([[1.5, -2.0, 0.0], [0.5, 3.0, -1.0]], np.float32)
    got = ops.clip_by_norm(Tensor(xn), 1.0, norm_type).asnumpy()
    total = np.linalg.norm(xn.ravel().astype(np.float64), ord=norm_type)
    np.testing.assert_allclose(got, xn / (total + 1e-6), rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got.ravel().astype(np.float64), ord=norm_type), 1.0, rtol=1e-5)


class _WeightNet(ms.nn.Cell):
    def __init__(self):
        super().__init__()
        self.weight = ms.Parameter(np.arange(6).reshape((2, 3)).astype(np.float32), requires_grad=True)

    def construct(self, x, y):
        return x * y * self.weight


@pytest.fixture
def loaded(fake, tmp_path):
    pytest.importorskip("google.protobuf")
    a = Tensor(np.full((2, 3), 3.0, np.float32))
    ms.export(_WeightNet(), a, a, file_name=str(tmp_path / "net"), file_format="MINDIR")
    return str(tmp_path / "net.mindir")


_A = Tensor(np.full((2, 3), 3.0, np.float32))
_B = Tensor(np.full((2, 3), 4.0, np.float32))


@pytest.mark.parametrize("bad", [np.ones((2, 3), np.float32), [1, 2]])
def test_graph_cell_params_init_must_be_a_dict(loaded, bad):
    # MindSpore 2.10's class and text (p7.py)
    with pytest.raises(TypeError, match=r"For 'GraphCell', the argument 'params_init' must be a dict, but got "
                                        rf"{type(bad)!r}".replace("(", r"\(").replace(")", r"\)")):
        ms.nn.GraphCell(ms.load(loaded), params_init=bad)


@pytest.mark.parametrize("bad", [{"weight": np.ones((2, 3), np.float32)}, {1: Tensor(np.ones((2, 3), np.float32))},
                                 {"weight": 1.5}, {"weight": None}, {"zzz": 1.0}])
def test_graph_cell_params_init_items_are_str_to_tensor(loaded, bad):
    key, value = next(iter(bad.items()))
    with pytest.raises(TypeError) as err:
        ms.nn.GraphCell(ms.load(loaded), params_init=bad)
    assert str(err.value) == ("For 'GraphCell', the key of the 'params_init' must be str, and the value must be "
                              f"Tensor or Parameter, but got the key type: {type(key)}, and the value type: "
                              f"{type(value)}")


@pytest.mark.parametrize("value, got", [
    (ms.Parameter(np.ones((2, 3, 4), np.float32)), "{2, 3, 4} and dtype Float32"),
    (Tensor(np.ones((3, 2), np.float32)), "{3, 2} and dtype Float32"),
    (Tensor(np.ones((2, 3), np.float64)), "{2, 3} and dtype Float64"),
    (Tensor(np.ones((2, 3), np.bool_)), "{2, 3} and dtype Bool")])
def test_graph_cell_params_init_needs_the_parameters_shape_and_dtype(loaded, value, got):
    # MindSpore 2.10 casts nothing: a float64 value for a float32 parameter is refused like a wrong shape
    with pytest.raises(ValueError) as err:
        ms.nn.GraphCell(ms.load(loaded), params_init={"weight": value})
    assert str(err.value) == ("Only support update parameter by Tensor or Parameter with same shape and dtype as it. "
                              "The parameter 'weight' has shape [const vector]{2, 3} and dtype Float32, but got the "
                              f"update value with shape [const vector]{got}.")


def test_graph_cell_params_init_is_written_into_the_loaded_graph(loaded):
    # MindSpore 2.10 (p8.py): the update stays in the `load` result (a later GraphCell over it starts from it; a
    # fresh load does not), names the graph lacks are ignored, the given Parameter is copied (set_data after: no effect)
    graph = ms.load(loaded)
    np.testing.assert_array_equal(ms.nn.GraphCell(graph)(_A, _B).asnumpy(), [[0, 12, 24], [36, 48, 60]])
    two = ms.nn.GraphCell(graph, params_init={"weight": Tensor(np.full((2, 3), 2.0, np.float32)),
                                              "zzz": Tensor(1.0)})
    np.testing.assert_array_equal(two(_A, _B).asnumpy(), np.full((2, 3), 24.0))
    np.testing.assert_array_equal(ms.nn.GraphCell(graph)(_A, _B).asnumpy(), np.full((2, 3), 24.0))
    np.testing.assert_array_equal(ms.nn.GraphCell(ms.load(loaded))(_A, _B).asnumpy(), [[0, 12, 24], [36, 48, 60]])
    p = ms.Parameter(np.full((2, 3), 5.0, np.float32), name="w")
    five = ms.nn.GraphCell(ms.load(loaded), params_init={"weight": p})
    p.set_data(Tensor(np.full((2, 3), 7.0, np.float32)))
    np.testing.assert_array_equal(five(_A, _B).asnumpy(), np.full((2, 3), 60.0))


class _UpdatingNet(ms.nn.Cell):
    def __init__(self):
        super().__init__()
        self.weight = ms.Parameter(np.arange(6).reshape((2, 3)).astype(np.float32), requires_grad=True)

    def construct(self, x, y):
        ret = x * y * self.weight
        self.weight += 1.0
        return ret


def test_graph_cells_over_one_load_share_its_parameters(fake, tmp_path):
    # MindSpore 2.10 (p10.py, GRAPH_MODE then PyNative): the Parameters belong to the loaded graph, so every
    # GraphCell over it sees the others' updates (the graph's own `self.weight += 1` and params_init alike)
    pytest.importorskip("google.protobuf")
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        ms.export(_UpdatingNet(), _A, _B, file_name=str(tmp_path / "upd"), file_format="MINDIR")
        graph = ms.load(str(tmp_path / "upd.mindir"))
        c = ms.nn.GraphCell(graph)
        np.testing.assert_array_equal(c(_A, _B).asnumpy(), [[0, 12, 24], [36, 48, 60]])
        np.testing.assert_array_equal(c(_A, _B).asnumpy(), [[12, 24, 36], [48, 60, 72]])
        np.testing.assert_array_equal(ms.nn.GraphCell(graph)(_A, _B).asnumpy(), [[24, 36, 48], [60, 72, 84]])
        c3 = ms.nn.GraphCell(graph, params_init={"weight": Tensor(np.zeros((2, 3), np.float32))})
        np.testing.assert_array_equal(c3(_A, _B).asnumpy(), np.zeros((2, 3)))
        np.testing.assert_array_equal(c(_A, _B).asnumpy(), np.full((2, 3), 12.0))
        np.testing.assert_array_equal([q.asnumpy() for q in c3.get_parameters()], [np.full((2, 3), 2.0)])
        ms.set_context(mode=ms.PYNATIVE_MODE)
        np.testing.assert_array_equal(c(_A, _B).asnumpy(), np.full((2, 3), 24.0))
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
