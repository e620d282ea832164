"""MindSpore leftovers, round 20 (h-left20; benchmarks/mindspore_suite/README.md, "Leftovers, round 20").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left20/p*.py); the mode that gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn

_JOIN = "Cannot join the return values of different branches, perhaps you need to make them equal."
_LOW, _HIGH = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)  # sum > 3: False, True


# -- 1. numbers of other kinds joined by a traced `if` (a bool against an int, an int against a float) -------------
def _bool_int_returned(x):
    if x.sum() > 3:
        y = True
    else:
        y = 2
    return y


def _bool_int_in_tuple(x):
    if x.sum() > 3:
        y = True
    else:
        y = 2
    return x, y


def _bool_int_early(x):
    if x.sum() > 3:
        return True
    return 2


def _int_float_plus_one(x):
    if x.sum() > 3:
        y = 1
    else:
        y = 2.5
    return y + 1


def _bool_float_plus_one(x):
    if x.sum() > 3:
        y = True
    else:
        y = 2.5
    return y + 1


@pytest.mark.parametrize("f, dtypes", [(_bool_int_returned, "Bool, dtype2 = Int64"),
                                       (_bool_int_in_tuple, "Bool, dtype2 = Int64"),
                                       (_bool_int_early, "Bool, dtype2 = Int64"),
                                       (_int_float_plus_one, "Int64, dtype2 = Float32"),
                                       (_bool_float_plus_one, "Int64, dtype2 = Float32")])
def test_a_returned_number_whose_type_differs_by_path_is_the_join_type_error(on_real_server, f, dtypes):
    # the first three gave an Int64 Tensor (2 or 1); MindSpore 2.10 (ms.jit) refuses each whatever the data
    for x in (_LOW, _HIGH):
        with pytest.raises(TypeError) as err:
            ms.jit(f)(Tensor(x))
        assert _JOIN in str(err.value) and f"Type Join Failed: dtype1 = {dtypes}." in str(err.value)


def test_a_bool_int_join_returned_from_a_graph_mode_construct_is_refused(on_real_server):
    class Net(nn.Cell):
        def construct(self, x):
            return _bool_int_returned(x)

    ms.set_context(mode=ms.GRAPH_MODE)
    with pytest.raises(TypeError, match="Type Join Failed: dtype1 = Bool, dtype2 = Int64"):
        Net()(Tensor(_LOW))  # MindSpore 2.10 GRAPH_MODE: the same TypeError


def _int_float_times_x(x):
    if x.sum() > 3:
        y = 1
    else:
        y = 2.5
    return x * y


def _int_float_in_arithmetic(x):
    if x.sum() > 3:
        y = 1
    else:
        y = 2.5
    return x + y * 2


def _bool_int_used(x):
    if x.sum() > 3:
        y = True
    else:
        y = 2
    return x * y, y + 1, y * 2, y > 1


def _bool_float_over_two(x):
    if x.sum() > 3:
        y = True
    else:
        y = 2.5
    return x * y, y * 1.0


def test_numbers_of_other_kinds_used_in_arithmetic_run_as_mindspores(on_real_server):
    # MindSpore 2.10 (ms.jit) compiles each path's continuation with its own type: these run (int against float
    # was our refusal, bool against int a value); the numbers come back Python numbers, as its graph gives them
    f = ms.jit(_int_float_times_x)
    np.testing.assert_array_equal(f(Tensor(_LOW)).asnumpy(), [2.5, 5.0])
    np.testing.assert_array_equal(f(Tensor(_HIGH)).asnumpy(), [3.0, 4.0])
    np.testing.assert_array_equal(ms.jit(_int_float_in_arithmetic)(Tensor(_LOW)).asnumpy(), [6.0, 7.0])
    np.testing.assert_array_equal(ms.jit(_int_float_in_arithmetic)(Tensor(_HIGH)).asnumpy(), [5.0, 6.0])
    t, plus, twice, more = ms.jit(_bool_int_used)(Tensor(_LOW))
    np.testing.assert_array_equal(t.asnumpy(), [2.0, 4.0])
    assert (plus, twice, more) == (3, 4, True) and type(plus) is int and type(more) is bool
    t, plus, twice, more = ms.jit(_bool_int_used)(Tensor(_HIGH))
    np.testing.assert_array_equal(t.asnumpy(), [3.0, 4.0])
    assert (plus, twice, more) == (2, 2, False) and type(twice) is int
    t, one = ms.jit(_bool_float_over_two)(Tensor(_HIGH))
    np.testing.assert_array_equal(t.asnumpy(), [3.0, 4.0])
    assert one == 1.0 and type(one) is float


def test_the_gradient_through_an_int_float_join(on_real_server):
    # MindSpore 2.10 ms.grad of x * y: 2.5 per element on the float path, 1 on the int path
    np.testing.assert_array_equal(ms.grad(_int_float_times_x)(Tensor(_LOW)).asnumpy(), [2.5, 2.5])
    np.testing.assert_array_equal(ms.grad(_int_float_times_x)(Tensor(_HIGH)).asnumpy(), [1.0, 1.0])


def _neg_bool_int(x):
    if x.sum() > 3:
        y = True
    else:
        y = 2
    return -y


def test_negating_a_join_with_a_bool_path_is_mindspores_type_error(on_real_server):
    with pytest.raises(TypeError, match=r"For 'ScalarUsub, \[bool\] is not a valid input dtype\."):
        ms.jit(_neg_bool_int)(Tensor(_LOW))  # MindSpore 2.10 ms.jit's text


# -- 3. CumulativeLogsumexp's axis Tensor -------------------------------------------------------------------------
_CLS_DTYPES = "must be a type of {Tensor[Int16], Tensor[Int32], Tensor[Int64]}, but got Tensor[%s]."


@pytest.mark.parametrize("axis, dtype", [(0.0, "float32"), (0.0, "float64"), (False, "bool"), (0, "int8"),
                                         (0, "uint8")])
def test_cumulative_logsumexp_refuses_an_axis_of_another_dtype_with_mindspores_text(axis, dtype):
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    with pytest.raises(TypeError) as err:  # MindSpore 2.10 PyNative's text (int8 / uint8 were answered)
        ms.ops.CumulativeLogsumexp()(x, Tensor(np.array(axis, dtype)))
    assert str(err.value) == "For primitive[CumulativeLogsumexp], the input argument[axis] " + \
        _CLS_DTYPES % Tensor(np.array(axis, dtype)).dtype


@pytest.mark.parametrize("shape, axis, text", [((3,), 5, "[-1, 1), but got: 5"), ((3,), -2, "[-1, 1), but got: -2"),
                                               ((2, 3), 2, "[-2, 2), but got: 2")])
def test_cumulative_logsumexp_refuses_an_axis_out_of_range(shape, axis, text):
    # each answered along axis % ndim before; MindSpore 2.10 PyNative refuses with this RuntimeError
    x = Tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))
    with pytest.raises(RuntimeError) as err:
        ms.ops.CumulativeLogsumexp()(x, Tensor(axis))
    assert str(err.value) == "For 'CumulativeLogsumexp, 'axis' must be in range " + text


def test_cumulative_logsumexp_takes_int16_and_a_negative_axis_and_refuses_a_1d_axis():
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    out = ms.ops.CumulativeLogsumexp()(x, Tensor(np.array(-1, np.int16))).asnumpy()
    # MindSpore 2.10 PyNative (axis -1): [[0, 1.3132616, 2.4076059], [3, 4.3132615, 5.407606]]
    np.testing.assert_allclose(out, [[0.0, 1.31326163, 2.40760589], [3.0, 4.31326151, 5.40760612]], rtol=1e-6)
    with pytest.raises(ValueError, match=r"^For primitive\[CumulativeLogsumexp\], the axis dimension must be equal to "
                                         r"0, but got 1\.$"):
        ms.ops.CumulativeLogsumexp()(x, Tensor(np.array([1, 0])))


# -- 4. grid samplers: 'bicubic' is no mode of MindSpore 2.10's ------------------------------------------------------
_X4 = np.random.RandomState(0).rand(1, 2, 4, 5).astype(np.float32)
_G4 = np.random.RandomState(1).uniform(-1.6, 1.6, (1, 3, 4, 2)).astype(np.float32)


@pytest.mark.parametrize("call, text", [
    (lambda: ms.ops.grid_sample(Tensor(_X4), Tensor(_G4), mode="bicubic", padding_mode="border"),
     'Failed to convert the value "bicubic" of input \'interpolation_mode\' of \'grid_sampler_2d\' to enum.'),
    (lambda: ms.ops.grid_sample(Tensor(_X4[:, :, None]), Tensor(np.zeros((1, 1, 3, 4, 3), np.float32)),
                                mode="bicubic"),
     'Failed to convert the value "bicubic" of input \'interpolation_mode\' of \'grid_sampler_3d\' to enum.'),
    (lambda: ms.ops.grid_sample(Tensor(_X4), Tensor(_G4), padding_mode="foo"),
     'Failed to convert the value "foo" of input \'padding_mode\' of \'grid_sampler_2d\' to enum.'),
    (lambda: ms.ops.GridSampler2D("bicubic", "reflection", False),
     'Failed to convert the value "bicubic" of input \'interpolation_mode\' of \'GridSampler2D\' to enum.'),
    (lambda: ms.ops.GridSampler3D("bilinear", "foo", False),
     'Failed to convert the value "foo" of input \'padding_mode\' of \'GridSampler3D\' to enum.')])
def test_grid_samplers_refuse_bicubic_and_unknown_paddings_with_mindspores_text(call, text):
    with pytest.raises(ValueError) as err:  # MindSpore 2.10 PyNative's texts (the primitives refuse when made)
        call()
    assert str(err.value) == text


# -- 2. a user primitive with no Python forward ----------------------------------------------------------------------
class _InferOnly(ms.ops.PrimitiveWithInfer):
    @ms.ops.prim_attr_register
    def __init__(self):
        self.init_prim_io_names(inputs=["x"], outputs=["y"])

    def infer_shape(self, s):
        return s

    def infer_dtype(self, t):
        return t


class _Bare(ms.ops.Primitive):
    @ms.ops.prim_attr_register
    def __init__(self):
        pass


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_a_user_primitive_with_no_forward_is_mindspores_runtime_error(on_real_server, mode):
    ms.set_context(mode=mode)
    x = Tensor(np.array([1.0, 2.0], np.float32))
    with pytest.raises(RuntimeError) as err:  # MindSpore 2.10, both modes: its kernel-select RuntimeError
        _InferOnly()(x)
    assert "Kernel select failed:\nUnsupported op [_InferOnly] on CPU, Please confirm whether the device target " \
           "setting is correct" in str(err.value)
    with pytest.raises(RuntimeError) as err:  # MindSpore 2.10: no evaluator in a graph, no __infer__ in PyNative
        ms.jit(lambda t: _Bare()(t))(x) if mode == ms.GRAPH_MODE else _Bare()(x)
    text = "Operator '_Bare' is invalid, or no matching evaluator could be found." if mode == ms.GRAPH_MODE else \
        "prim:_Bare has no attr:__infer__"
    assert str(err.value).startswith(text)


# -- 5. mindspore.rewrite: refused by name -----------------------------------------------------------------------------
def test_rewrite_names_import_and_work():
    # MindSpore 2.10's mindspore.rewrite.__all__ (h-rewrite1 built SymbolTree: tests/clients/test_mindspore_rewrite.py)
    from gradserve.rewrite import Node, NodeType, ScopedValue, SymbolTree, ValueType  # noqa: F401 - importable
    assert str(NodeType.CallCell) == "NodeType.CallCell" and str(ScopedValue.create_naming_value("x")) == "x"
    # a Cell of the SDK itself has no user source to parse: refused by name (MindSpore parses its own Cells' source)
    with pytest.raises(NotImplementedError, match=r"a Cell of the SDK itself"):
        SymbolTree.create(nn.ReLU())


class _JoinsInPyNative(nn.Cell):
    def construct(self, x):
        if x.sum() > 3:
            y, z = True, 1
        else:
            y, z = 2, 2.5
        return x * z, y, z


def test_pynative_gives_the_taken_sides_number_of_other_kinds(on_real_server):
    # MindSpore 2.10 PyNative runs the side taken: (x * 2.5, 2, 2.5) and (x, True, 1), Python numbers; gradserve
    # gave 0-d Tensors of the joined dtype (Int64 1 for True, Float32 1 for the int 1)
    net = _JoinsInPyNative()
    t, y, z = net(Tensor(_LOW))
    np.testing.assert_array_equal(t.asnumpy(), [2.5, 5.0])
    assert (y, z) == (2, 2.5) and type(y) is int and type(z) is float
    t, y, z = net(Tensor(_HIGH))
    np.testing.assert_array_equal(t.asnumpy(), [3.0, 4.0])
    assert y is True and z == 1 and type(z) is int


def test_mint_grid_sample_is_ops_grid_sample(on_real_server):
    # missing before; MindSpore 2.10's mint.nn.functional.grid_sample(input, grid, mode, padding_mode, align_corners)
    # gives ops.grid_sample's values (PyNative, the inputs of /work/ms_suite_left20/p4.py)
    rng = np.random.RandomState(0)
    x = Tensor(rng.rand(1, 2, 4, 5).astype(np.float32))
    g = Tensor(rng.rand(1, 3, 4, 2).astype(np.float32) * 3.2 - 1.6)
    f = ms.mint.nn.functional.grid_sample
    np.testing.assert_allclose(f(x, g).asnumpy().ravel()[:6],
                               [0.47291684, 0.0, 0.7399966, 0.04690719, 0.57372785, 0.91466236], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(f(x, g, mode="nearest", padding_mode="reflection", align_corners=True).asnumpy()
                               .ravel()[:6], [0.4375872, 0.96366274, 0.92559665, 0.5488135, 0.4375872, 0.891773])
    dg = ms.grad(lambda a, b: f(a, b, padding_mode="border").sum(), (0, 1))(x, g)[1]
    np.testing.assert_allclose(dg.asnumpy().ravel()[:6], [-1.5313834, 1.2084694, -1.9587078, 0.0, -1.683742,
                                                          1.280478], rtol=1e-5, atol=1e-6)


# -- 3. a reduction's axis out of range ------------------------------------------------------------------------------
@pytest.mark.parametrize("call, text", [
    (lambda: ms.ops.std(Tensor(np.array(2.5, np.float32)), 1), "[-0, 0), but got 1."),
    (lambda: ms.ops.var(Tensor(np.array(2.5, np.float32)), 0), "[-0, 0), but got 0."),
    (lambda: ms.ops.var(Tensor(np.ones((2, 3), np.float32)), 2), "[-2, 2), but got 2."),
    (lambda: ms.ops.var_mean(Tensor(np.ones((2, 3), np.float32)), -3), "[-2, 2), but got -3."),
    (lambda: ms.ops.std(Tensor(np.ones((2, 3), np.float32)), (0, 2)), "[-2, 2), but got 2."),
    (lambda: Tensor(np.ones((2, 3), np.float32)).std(2), "[-2, 2), but got 2.")])
def test_var_and_std_refuse_an_axis_out_of_range_with_mindspores_value_error(call, text):
    with pytest.raises(ValueError) as err:  # MindSpore 2.10 PyNative's (gradserve's was an IndexError)
        call()
    assert str(err.value) == "The 'axis' must be in the range of " + text


def test_mean_of_a_0d_tensor_over_axis_1_is_a_value_error():
    # MindSpore 2.10: ValueError "For primitive[ReduceMean], the axis value must be in [-1,1), but got 1." (the
    # class matches; the text is gradserve's)
    with pytest.raises(ValueError):
        ms.ops.mean(Tensor(np.array(2.5, np.float32)), 1)


def _int_tensor_times_int_float(x, n):
    if x.sum() > 3:
        y = 1
    else:
        y = 2.5
    return n * y


def test_an_int_tensor_times_an_int_float_join_returned_is_the_join_error(on_real_server):
    # MindSpore 2.10 ms.jit: Int32 on one path, Float32 on the other: its join TypeError, whatever the data
    n = Tensor(np.array([1, 2], np.int32))
    for x in (_LOW, _HIGH):
        with pytest.raises(TypeError, match="Type Join Failed: dtype1 = Int32, dtype2 = Float32."):
            ms.jit(_int_tensor_times_int_float)(Tensor(x), n)
