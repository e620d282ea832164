"""Sample seed 30 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 30").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv; the call that gave each
is stated beside it."""
import re

import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops


def test_monad_markers_pass_depend():
    # tests/ut/python/fallback/test_graph_fallback.py did not collect (14 items): it imports common._monad.
    # MindSpore 2.10: ops.depend(Tensor([1.0]), _monad.U) -> [1.]; U / IO are UMonad / IOMonad instances
    import gradserve.common._monad as monad
    from gradserve._c_expression import IOMonad, UMonad
    assert isinstance(monad.U, UMonad) and isinstance(monad.IO, IOMonad)
    x = Tensor(np.array([1.0], np.float32))
    assert ops.depend(x, monad.U) is x


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_rank_of_a_non_tensor_is_a_type_error(on_real_server, mode):
    # tests/st/ops/cpu/test_rank_op.py::test_rank_invalid_input (was AttributeError: 'int' has no 'shape').
    # MindSpore 2.10: PyNative Rank()(1) / ops.rank("str") -> TypeError "the input x must be Tensor!" (graph mode's
    # Rank()(1) is also a TypeError, worded "Failed calling Rank with ...")
    ms.set_context(mode=mode)

    class RankNet(nn.Cell):
        def __init__(self):
            super().__init__()
            self.rank = ops.Rank()

        def construct(self, x):
            return self.rank(x)

    for bad in (1, "str", [1, 2]):
        with pytest.raises(TypeError):
            RankNet()(bad)
        with pytest.raises(TypeError, match="the input x must be Tensor!"):
            ops.rank(bad)
    assert RankNet()(Tensor(np.zeros((2, 3, 4), np.float32))) == 3


class _ReturnsMethod(nn.Cell):
    def func(self):
        return 0

    def construct(self):
        return self.func


def test_function_in_graph_output_is_refused(on_real_server):
    # tests/ut/python/pipeline/parse/test_structure_output.py (3 items; was "cannot make a Tensor of dtype object").
    # MindSpore 2.10 GRAPH_MODE: RuntimeError "Function in output is not supported. Please check your code."
    ms.set_context(mode=ms.GRAPH_MODE)

    class GetattrNet(nn.Cell):
        def construct(self, x):
            return x.abs(), getattr(x, "abs")

    for net, args in ((_ReturnsMethod(), ()), (GetattrNet(), (Tensor(np.array([-1, 2], np.int32)),))):
        with pytest.raises(RuntimeError, match="Function in output is not supported"):
            net(*args)


def test_function_in_pynative_output_is_that_function(on_real_server):
    # MindSpore 2.10 PYNATIVE_MODE: _ReturnsMethod()() returns the bound method itself (printed
    # "<bound method A.func of A()>"); before this round gradserve raised a TypeError there too
    ms.set_context(mode=ms.PYNATIVE_MODE)
    net = _ReturnsMethod()
    out = net()
    assert out == net.func and out() == 0


def test_pynative_returned_methods_are_each_cells_own(on_real_server):
    # MindSpore 2.10 PYNATIVE_MODE: two instances of a Cell returning (x * 2, self.func), called twice each: their
    # own methods (1 and 2 each time); a @jit function returning np.sin returns np.sin itself (also in GRAPH_MODE)
    ms.set_context(mode=ms.PYNATIVE_MODE)

    class Scaled(nn.Cell):
        def __init__(self, k):
            super().__init__()
            self.k = k

        def func(self):
            return self.k

        def construct(self, x):
            return x * 2, self.func

    a, b = Scaled(1), Scaled(2)
    x = Tensor(np.ones(2, np.float32))
    for _ in range(2):
        (ya, fa), (_, fb) = a(x), b(x)
        assert (fa(), fb()) == (1, 2) and ya.asnumpy().tolist() == [2.0, 2.0]

    @ms.jit
    def with_ufunc(x):
        return x + 1, np.sin

    for mode in (ms.PYNATIVE_MODE, ms.GRAPH_MODE):
        ms.set_context(mode=mode)
        assert with_ufunc(x)[1] is np.sin


def test_classes_made_inside_a_graph_construct_are_refused(on_real_server):
    # tests/ut/python/graph_syntax/test_invalid_attribute.py (2 items: gradserve made the Parameter, and the
    # MultitypeFuncGraph failed later with its own TypeError). MindSpore 2.10 GRAPH_MODE: ValueError "Failed to
    # compile in GRAPH_MODE because creating class 'mindspore.common.parameter.Parameter' instances is not supported
    # in 'construct' or @jit decorated function. ..."; PyNative makes both
    class MakesParameter(nn.Cell):
        def construct(self, x):
            return Parameter(x, name="weight")

    class MakesMultitype(nn.Cell):
        def construct(self, x):
            add = ops.MultitypeFuncGraph("add")
            return add(x, 1)

    x = Tensor(np.array([1, 2, 3], np.int64))
    ms.set_context(mode=ms.GRAPH_MODE)
    with pytest.raises(ValueError, match="creating class 'mindspore.common.parameter.Parameter' instances is not"):
        MakesParameter()(x)
    with pytest.raises(ValueError, match="creating class 'mindspore.ops.composite.base.MultitypeFuncGraph'"):
        MakesMultitype()(x)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    made = MakesParameter()(x)
    assert isinstance(made, Parameter) and made.name == "weight"


_VOLUME = np.arange(2 * 2 * 3 * 3 * 4, dtype=np.float32).reshape(2, 2, 3, 3, 4)


def test_extract_volume_patches_values_and_layout(on_real_server):
    # tests/st/ops/dynamic_shape/grad/test_extract_volume_patches.py (2 items: the op was missing). MindSpore 2.10,
    # x = arange(144).reshape(2, 2, 3, 3, 4) float32, ExtractVolumePatches([1, 1, 2, 2, 3], [1, 1, 1, 2, 2], pad)(x):
    # VALID (2, 24, 2, 1, 1), SAME (2, 24, 3, 2, 2); y[1, :, 1, 0, -1] as below (window positions outer, channels
    # inner; SAME pads the odd column after)
    x = Tensor(_VOLUME)
    valid = ops.ExtractVolumePatches([1, 1, 2, 2, 3], [1, 1, 1, 2, 2], "VALID")(x)
    assert valid.shape == (2, 24, 2, 1, 1)
    assert valid.asnumpy()[1, :, 1, 0, -1].tolist() == [
        84, 120, 85, 121, 86, 122, 88, 124, 89, 125, 90, 126, 96, 132, 97, 133, 98, 134, 100, 136, 101, 137, 102, 138]
    same = ops.ExtractVolumePatches([1, 1, 2, 2, 3], [1, 1, 1, 2, 2], "SAME")(x)
    assert same.shape == (2, 24, 3, 2, 2)
    assert same.asnumpy()[1, :, 1, 0, -1].tolist() == [
        86, 122, 87, 123, 0, 0, 90, 126, 91, 127, 0, 0, 98, 134, 99, 135, 0, 0, 102, 138, 103, 139, 0, 0]
    # lower-case padding is accepted (MindSpore 2.10: shape (2, 16, 2, 2, 3)); float16 stays float16
    assert ops.ExtractVolumePatches([1, 1, 2, 2, 2], [1, 1, 1, 1, 1], "valid")(x).shape == (2, 16, 2, 2, 3)
    half = ops.ExtractVolumePatches([1, 1, 2, 2, 2], [1, 1, 1, 1, 1], "VALID")(Tensor(_VOLUME[:1, :1, :, :, :3]
                                                                                     .astype(np.float16)))
    assert half.dtype == ms.float16


def test_extract_volume_patches_gradient(on_real_server):
    # MindSpore 2.10: ms.grad(lambda t: (ExtractVolumePatches([1, 1, 2, 2, 3], [1, 1, 1, 2, 2], 'SAME')(t) ** 2)
    # .sum())(x)[0, 0] for the x above (each element 2 x times the number of windows holding it)
    g = ms.grad(lambda t: (ops.ExtractVolumePatches([1, 1, 2, 2, 3], [1, 1, 1, 2, 2], "SAME")(t) ** 2).sum())(
        Tensor(_VOLUME))
    np.testing.assert_array_equal(g.asnumpy()[0, 0], [
        [[0, 2, 8, 6], [8, 10, 24, 14], [16, 18, 40, 22]],
        [[48, 52, 112, 60], [64, 68, 144, 76], [80, 84, 176, 92]],
        [[96, 100, 208, 108], [112, 116, 240, 124], [128, 132, 272, 140]]])


@pytest.mark.parametrize("args, text", [
    (([1, 1, 2, 2], [1, 1, 1, 1, 1], "VALID"), "the parameter 'kernel_size' must be an positive integer or a tuple of "
                                               "three or five positive integer, but got (1, 1, 2, 2)"),
    (([2, 1, 2, 2, 2], [1, 1, 1, 1, 1], "VALID"), "the 'kernel_size[0]' must be int and must = 1, but got '2'"),
    (([1, 1, 2, 2, 2], [1, 1, 1, 1, 1], "FOO"), "the 'padding' must be str and must be in '['VALID', 'SAME']', but "
                                                "got 'FOO'"),
    (([1, 1, 4, 2, 2], [1, 1, 1, 1, 1], "VALID"), "input[2] - kernel_size[2] must be greater than or equal to 0, but "
                                                  "got -1"),
])
def test_extract_volume_patches_argument_errors(on_real_server, args, text):
    # MindSpore 2.10's ValueErrors and texts for these arguments (x of shape (2, 2, 3, 3, 4))
    with pytest.raises(ValueError) as err:
        ops.ExtractVolumePatches(*args)(Tensor(_VOLUME))
    assert text in str(err.value)


_KEY_TEXT = "make_dict evaluator key only supports string, number, type, none, constant tensor and tuple, but got "


def test_graph_mode_dict_displays(on_real_server):
    # tests/ut/python/graph_syntax/dict/test_dictionary.py (4 items). MindSpore 2.10 GRAPH_MODE, @jit:
    # {[1, 2]: 3} -> RuntimeError "make_dict evaluator key only supports ..., but got [1, 2]"; {x: 10} with x a
    # Tensor argument -> the same, "but got ValueAny"; {((3, [1, 2]), 3): 4}.values() -> (4,);
    # {True: -1, 2: 2}.has_key(True), .has_key(3) -> (True, False)
    ms.set_context(mode=ms.GRAPH_MODE)

    @ms.jit
    def list_key():
        x = [1, 2]
        return {x: 3}.values()

    @ms.jit
    def tensor_key(x):
        return {x: 10}.values()

    @ms.jit
    def list_inside_tuple_key():
        x = [1, 2]
        return {((3, x), 3): 4}.values()

    @ms.jit
    def has_key():
        dic = {True: -1, 2: 2}
        return dic.has_key(True), dic.has_key(3)

    with pytest.raises(RuntimeError, match=re.escape(_KEY_TEXT + "[1, 2]")):
        list_key()
    with pytest.raises(RuntimeError, match=_KEY_TEXT + "ValueAny"):
        tensor_key(Tensor(np.array([1, 2], np.int32)))
    assert list_inside_tuple_key() == (4,)
    assert has_key() == (True, False)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_returned_dict_views_are_tuples(on_real_server, mode):
    # MindSpore 2.10, both modes: @jit f(x) returning d.values(), d.keys() of d = {"a": x, "b": 2} gives
    # ((x, 2), ('a', 'b')), tuples (gradserve refused them: "cannot make a Tensor of dtype object")
    ms.set_context(mode=mode)

    @ms.jit
    def views(x):
        d = {"a": x, "b": 2}
        return d.values(), d.keys()

    values, keys = views(Tensor(np.array([1.0], np.float32)))
    assert isinstance(values, tuple) and keys == ("a", "b")
    assert values[0].asnumpy().tolist() == [1.0] and values[1] == 2


def test_pynative_cell_dicts_stay_python_dicts(on_real_server):
    # MindSpore 2.10 PYNATIVE_MODE, a Cell's construct: d = {1: 2}; d.has_key(1) -> AttributeError ('dict' object
    # has no attribute 'has_key'): Python's dict
    ms.set_context(mode=ms.PYNATIVE_MODE)

    class HasKey(nn.Cell):
        def construct(self):
            return {1: 2}.has_key(1)

    with pytest.raises(AttributeError, match="has_key"):
        HasKey()()


def test_cauchy_distribution_matches_mindspore(on_real_server):
    # tests/ut/python/fallback/test_graph_fallback.py::test_probability_cauchy (Cauchy was a placeholder). MindSpore
    # 2.10: c = Cauchy(Tensor([0.5, -1.0]), Tensor([2.0, 0.5])), v = Tensor([1.0, 3.0]), float32 throughout
    from gradserve.nn.probability import distribution as msd
    c = msd.Cauchy(Tensor(np.array([0.5, -1.0], np.float32)), Tensor(np.array([2.0, 0.5], np.float32)))
    v = Tensor(np.array([1.0, 3.0], np.float32))
    expected = {
        "prob": [0.14979280531406403, 0.00979413278400898],
        "log_prob": [-1.8985016345977783, -4.625970363616943],
        "cdf": [0.5779791474342346, 0.9604165554046631],
        "log_cdf": [-0.5482174754142761, -0.04038816690444946],
        "survival_function": [0.4220208525657654, 0.039583444595336914],
        "log_survival": [-0.8627005815505981, -3.229344367980957],
    }
    for method, want in expected.items():
        np.testing.assert_allclose(getattr(c, method)(v).asnumpy(), want, rtol=2e-6, err_msg=method)
    # a call's loc / scale win: log_prob(v, [0.0], [1.0]) -> [-1.8378771543502808, -3.447315216064453]
    one = Tensor(np.array([1.0], np.float32))
    np.testing.assert_allclose(c.log_prob(v, Tensor(np.array([0.0], np.float32)), one).asnumpy(),
                               [-1.8378771543502808, -3.447315216064453], rtol=2e-6)
    np.testing.assert_allclose(c.mode().asnumpy(), [0.5, -1.0])
    np.testing.assert_allclose(c.entropy().asnumpy(), [3.2241714000701904, 1.8378770351409912], rtol=2e-6)
    # kl_loss / cross_entropy against Cauchy(1.0, 3.0) -> [0.0507722, 0.99633336] / [3.2749436, 2.8342104]
    three = Tensor(np.array([3.0], np.float32))
    np.testing.assert_allclose(c.kl_loss("Cauchy", one, three).asnumpy(), [0.05077219009399414, 0.9963333606719971],
                               rtol=2e-6)
    np.testing.assert_allclose(c.cross_entropy("Cauchy", one, three).asnumpy(),
                               [3.2749435901641846, 2.8342103958129883], rtol=2e-6)
    for method, text in (("mean", "mean is undefined"), ("var", "variance is undefined"),
                         ("sd", "standard deviation is undefined")):
        with pytest.raises(ValueError, match=f"{text} for Cauchy distribution."):
            getattr(c, method)()
    with pytest.raises(ValueError, match="scale must be greater than zero."):
        msd.Cauchy(Tensor(np.array([0.0], np.float32)), Tensor(np.array([-1.0], np.float32)))
    with pytest.raises(TypeError, match="the type loc must be subclass of Tensor. It can not be None"):
        msd.Cauchy().prob(v)
    # its gradient: d/dloc log_prob = 2 z / (scale (1 + z^2)), z = (v - loc) / scale (closed form)
    loc, scale = np.array([0.5, -1.0], np.float32), np.array([2.0, 0.5], np.float32)
    z = (np.array([1.0, 3.0]) - loc) / scale
    g = ms.grad(lambda lo: c.log_prob(v, lo).sum())(Tensor(loc))
    np.testing.assert_allclose(g.asnumpy(), 2 * z / (scale * (1 + z * z)), rtol=1e-5)
