"""Sample seed 29 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 29").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the literals below are its outputs,
the call that gave each stated beside it), or NumPy where said."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops

from clients.test_mindspore_probability_refused import refuses_bad_construction_as_mindspore


def test_checkparam_expand_tuple_and_checks():
    # tests/ut/python/pynative_mode/nn/test_checkparameter.py (17 items did not collect: _expand_tuple missing);
    # MindSpore 2.10's _checkparam: twice(3) == (3, 3), a tuple of 2 ints passes, other kinds are TypeErrors
    from gradserve._checkparam import _expand_tuple, check_input_format, check_is_int
    twice = _expand_tuple(2)
    assert twice(3) == (3, 3) and twice((3, 4)) == (3, 4) and _expand_tuple(3)(5) == (5, 5, 5)
    for bad in (0.5, "str", (1, 2, 3), (3.3, 4), True, (True, 1)):
        with pytest.raises(TypeError, match="expanding an int number to tuple"):
            twice(bad)
    assert check_is_int(3) == 3
    for bad in (3.3, "str", True):
        with pytest.raises(TypeError, match="The type of input value must be 'int', but got"):
            check_is_int(bad)
    assert check_input_format("NCHW") == "NCHW"
    with pytest.raises(ValueError, match="must be NCHW, but got rt"):
        check_input_format("rt")


def test_ms_len_and_core_flag():
    # tests/ut/python/pynative_mode/test_parse_method.py (21 items did not collect): standard_method.ms_len is
    # len (MindSpore 2.10: ms_len([1, 2, 3]) == 3), composite.base.core sets MindSpore's _func_graph_flags
    from gradserve._extends.parse.standard_method import ms_len
    from gradserve.ops.composite.base import core
    assert ms_len([1, 2, 3]) == 3 and ms_len((4,)) == 1

    @core(tg=True)
    def set_flag(x):
        return x + 1
    assert set_flag._func_graph_flags == {"core": True, "tg": True} and set_flag(2) == 3
    assert core(lambda: 7)._func_graph_flags == {"core": True}


_X3D = np.array([[[[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], [[0.7, 0.8, 0.9], [1.0, 1.1, 1.2]]]]], np.float32)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_interpolate_ext_trilinear_and_its_grad(on_real_server, mode):
    # tests/st/ops/test_ops_upsample_trilinear3d.py (12 items: ops.function.nn_func and UpsampleTrilinear3DGrad
    # were missing). Literals: MindSpore 2.10's outputs (mint.nn.functional.interpolate is interpolate_ext there)
    ms.set_context(mode=mode)
    f = ops.function.nn_func.interpolate_ext
    assert ms.mint.nn.functional.interpolate is f
    out = f(Tensor(_X3D), None, [1.5, 2.0, 2.5], "trilinear", False)
    assert out.shape == (1, 1, 3, 4, 7)
    np.testing.assert_allclose(out.asnumpy()[0, 0, 1, 1], [0.475, 0.485, 0.525, 0.565, 0.605, 0.645, 0.675], atol=1e-6)
    dx = ms.grad(lambda x: f(x, None, [1.5, 2.0, 2.5], "trilinear", False))(Tensor(_X3D))
    np.testing.assert_allclose(dx.asnumpy(), np.tile([7.5, 7.5, 6.0], (1, 1, 2, 2, 1)), atol=1e-5)
    dx = ms.grad(lambda x: f(x, (3, 3, 2), None, "trilinear", True))(Tensor(_X3D))
    np.testing.assert_allclose(dx.asnumpy(), np.tile([2.25, 0.0, 2.25], (1, 1, 2, 2, 1)), atol=1e-6)
    # nearest with a scale factor in 4-D (ops.interpolate refuses it; interpolate_ext takes it)
    near = f(Tensor(np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)), scale_factor=1.5)
    assert near.asnumpy().tolist() == [[[[0, 0, 1], [0, 0, 1], [2, 2, 3]]]]


def test_upsample_trilinear3d_grad_primitive(on_real_server):
    # UpsampleTrilinear3DGrad(align_corners)(dy, input_size, output_size, scales): MindSpore 2.10's outputs
    op = ops.auto_generate.UpsampleTrilinear3DGrad(False)
    dy = Tensor(np.arange(0, 1.8, 0.1).reshape(1, 1, 2, 3, 3).astype(np.float32))
    np.testing.assert_allclose(op(dy, (1, 1, 2, 2, 2), (2, 3, 3), None).asnumpy().ravel(),
                               [0.3, 0.6, 1.2, 1.5, 2.325, 2.625, 3.225, 3.525], atol=1e-5)
    np.testing.assert_allclose(op(dy, (1, 1, 2, 2, 2), None, [1.0, 1.6, 1.6]).asnumpy().ravel(),
                               [0.3515625, 0.6234375, 1.2234375, 1.4015625, 2.548828, 2.644922, 3.244922, 3.261328],
                               atol=1e-5)
    # vmap over a leading axis of dy (the test's test_vmap_upsample_trilinear_3d_grad; its expected first block)
    grad_out = Tensor(np.arange(0, 5.4, 0.1).reshape((3, 1, 1, 2, 3, 3)).astype(np.float32))
    out = ops.vmap(lambda g: op(g, (1, 1, 2, 2, 2), (2, 3, 3), None), in_axes=0)(grad_out)
    assert out.shape == (3, 1, 1, 2, 2, 2)
    np.testing.assert_allclose(out.asnumpy()[2].ravel(), [8.4, 8.7, 9.3, 9.6, 10.425, 10.725, 11.325, 11.625],
                               atol=1e-4)


def test_interpolate_scale_factor_must_be_float(on_real_server):
    # MindSpore 2.10: ops.interpolate / interpolate_ext take only float scale factors (TypeError; the texts
    # below are ops.interpolate's); gradserve resized with int and bool ones
    x = Tensor(np.ones((1, 1, 2, 2, 2), np.float32))
    with pytest.raises(TypeError, match="the 'scale_factor' must be float, but got 'int'"):
        ops.interpolate(x, scale_factor=2, mode="trilinear")
    with pytest.raises(TypeError, match=r"the 'scale_factor\[0\]' must be float, but got 'bool'"):
        ops.interpolate(x, scale_factor=(True, 2.0, 2.0), mode="trilinear")
    with pytest.raises(TypeError):
        ops.function.nn_func.interpolate_ext(x, None, [1, 2, 3], "trilinear")
    assert ops.interpolate(x, scale_factor=2.0, mode="trilinear").shape == (1, 1, 4, 4, 4)
    for kwargs in (dict(size=[3, 4]), dict(scale_factor=[1.0, 2.0, 3.0, 4.0]), dict(size=[3, 4, 5], scale_factor=[1.0, 2.0, 3.0])):
        with pytest.raises(ValueError):
            ops.function.nn_func.interpolate_ext(x, mode="trilinear", **kwargs)
    with pytest.raises(ValueError, match="'mode' must be in"):
        ops.function.nn_func.interpolate_ext(x, size=3, mode="area")


def _msssim_images():
    rng = np.random.default_rng(0)
    a = rng.random((2, 3, 48, 48)).astype(np.float32)
    return a, np.clip(a + 0.1 * rng.standard_normal(a.shape), 0, 1).astype(np.float32)


def test_msssim_values_and_checks(on_real_server):
    # tests/ut/python/nn/test_msssim.py (13 items: nn.MSSSIM was missing). Values: MindSpore 2.10 in GRAPH_MODE
    # (its PyNative MSSSIM fails in ScalarCast) on these images (numpy default_rng(0))
    ms.set_context(mode=ms.GRAPH_MODE)
    a, b = _msssim_images()
    out = nn.MSSSIM(power_factors=(0.3, 0.3, 0.4))(Tensor(a), Tensor(b))
    np.testing.assert_allclose(out.asnumpy(), [0.94126958, 0.94121057], rtol=2e-5)
    u8 = nn.MSSSIM(max_val=255, power_factors=(0.5, 0.5))(Tensor((a * 255).astype(np.uint8)),
                                                          Tensor((b * 255).astype(np.uint8)))
    np.testing.assert_allclose(u8.asnumpy(), [0.94366646, 0.94627935], rtol=2e-5)
    f64 = nn.MSSSIM(power_factors=(0.2, 0.8), filter_size=7, filter_sigma=1.0)(Tensor(a.astype(np.float64)),
                                                                              Tensor(b.astype(np.float64)))
    np.testing.assert_allclose(f64.asnumpy(), [0.93937224, 0.94191796], rtol=2e-5)
    for kwargs, error in ((dict(max_val=True), TypeError), (dict(max_val=0), ValueError),
                          (dict(power_factors={0.5, 0.5}), TypeError), (dict(filter_size=1.1), TypeError),
                          (dict(filter_size=0), ValueError), (dict(filter_sigma=-0.1), ValueError)):
        with pytest.raises(error, match="For 'MSSSIM'"):
            nn.MSSSIM(**kwargs)
    net = nn.MSSSIM(power_factors=(0.5, 0.5))
    with pytest.raises(TypeError, match="one dtype"):
        net(Tensor(a), Tensor(b.astype(np.float16)))
    with pytest.raises(ValueError, match="one shape"):
        net(Tensor(a), Tensor(b[:, :, :40]))
    with pytest.raises(ValueError, match="must be 4d"):
        net(Tensor(a[..., None]), Tensor(b))


def test_normal_distribution_matches_mindspore(on_real_server):
    # tests/ut/python/nn/probability/distribution/test_normal.py (6 items: Normal was refused). Values: MindSpore
    # 2.10's (its venv, CPU) for Normal(3, 4) and Normal() with parameters at the call
    from gradserve.nn.probability import distribution as msd
    n = msd.Normal(3.0, 4.0, dtype=ms.float32)
    assert isinstance(n, msd.Distribution) and (n.name, n.seed) == ("Normal", 0)
    v = Tensor(np.array([0.5, 1.0, 7.0], np.float32))
    want = {"prob": [0.08204014, 0.08801612, 0.06049263], "log_prob": [-2.5005455, -2.430233, -2.805233],
            "cdf": [0.26598555, 0.30853754, 0.8413447], "log_cdf": [-1.3243133, -1.1759118, -0.17275381],
            "survival_function": [0.73401445, 0.69146246, 0.15865529],
            "log_survival": [-0.30922657, -0.36894643, -1.8410214]}
    from scipy import stats
    ref = stats.norm(3.0, 4.0)
    scipy_values = {"prob": ref.pdf, "log_prob": ref.logpdf, "cdf": ref.cdf, "log_cdf": ref.logcdf,
                    "survival_function": ref.sf, "log_survival": ref.logsf}
    for m, w in want.items():
        # (MindSpore's prob at 1.0, 0.08801612, is 2.2e-6 below scipy's 0.08801633: its float32 exp, not ours)
        got = getattr(n, m)(v).asnumpy()
        np.testing.assert_allclose(got, w, rtol=5e-6, err_msg=m)
        np.testing.assert_allclose(got, scipy_values[m](v.asnumpy().astype(np.float64)), rtol=2e-6, err_msg=m)
    got = [float(getattr(n, m)().asnumpy()) for m in ("mean", "mode", "sd", "var", "entropy")]
    np.testing.assert_allclose(got, [3.0, 3.0, 4.0, 16.0, 2.805233], rtol=1e-6)
    n2 = msd.Normal(dtype=ms.float32)
    mb, sb, ma, sa = (Tensor(np.array([x], np.float32)) for x in (1.0, 1.0, 2.0, 3.0))
    np.testing.assert_allclose(n2.kl_loss("Normal", mb, sb, ma, sa).asnumpy(), [3.4013877], rtol=1e-6)
    np.testing.assert_allclose(n.kl_loss("Normal", mb, sb).asnumpy(), [8.113706], rtol=1e-6)
    np.testing.assert_allclose(n2.cross_entropy("Normal", mb, sb, ma, sa).asnumpy(), [5.9189386], rtol=1e-6)
    np.testing.assert_allclose(n2.log_prob(v, Tensor([0.0, 1.0, 2.0]), Tensor([1.0])).asnumpy(),
                               [-1.0439385, -0.9189385, -13.418939], rtol=1e-6)
    # d/dmean of sum log_prob = sum (x - mean) / sd^2 (MindSpore 2.10: 1.375)
    g = ms.grad(lambda m: n2.log_prob(v, m, Tensor([2.0])).sum())(Tensor([1.0]))
    np.testing.assert_allclose(g.asnumpy(), [1.375], rtol=1e-6)
    refuses_bad_construction_as_mindspore("Normal")
    with pytest.raises(TypeError, match="the type mean must be subclass of Tensor"):
        n2.prob(v)
    with pytest.raises(ValueError, match="Expected dist input is Normal, but got LogNormal."):
        n.kl_loss("LogNormal", mb, sb)


def test_dynamic_length_mutable_sequences_in_graph_mode(on_real_server):
    # tests/ut/python/mutable/test_mutable_variable_length.py (18 items). MindSpore 2.10 in GRAPH_MODE (@jit, its
    # venv): the texts below are its errors; gradserve made any mutable(seq, True) and checked nothing
    from gradserve import jit
    from gradserve.ops import functional as F
    ms.set_context(mode=ms.GRAPH_MODE)

    def run(body):
        return jit(body)()
    with pytest.raises(TypeError, match="when the variable_len is True, the first input should be list or tuple"):
        run(lambda: ms.mutable(Tensor([1, 2, 3, 4]), True))
    for items, kinds in (((1, Tensor([1, 2, 3]), 2.0), "int. The 1th element type is: Tensor"),
                         ((1, 2.0), "int. The 1th element type is: float"),
                         ([True, 2], "Bool. The 1th element type is: int")):
        with pytest.raises(ValueError, match=f"The element type do not match.*The 0th element type is: {kinds}"):
            run(lambda: ms.mutable(items, True))
    assert run(lambda: ms.mutable(((1, 2, 3), (1, 2)), True)) == ((1, 2, 3), (1, 2))  # tuples of any length

    def bad_setitem():
        x = ms.mutable([1, 2, 3, 4], True)
        x[3] = 10.0
        return x
    with pytest.raises(TypeError, match="For list_setitem, when the queue is dynamic length"):
        run(bad_setitem)

    def bad_appends():
        x = ms.mutable([Tensor([1.0]), Tensor([2.0])], True)
        x.append(Tensor([1]))
        return x
    with pytest.raises(TypeError, match="For ListAppend, the mutable list existing item abstract"):
        run(bad_appends)

    def tuple_append():
        x = ms.mutable([(1, 2, 3), (4, 5, 6)], True)
        x.append((1, 2, 3))
        return x
    with pytest.raises(TypeError, match="target must be scalar or tensor"):
        run(tuple_append)
    with pytest.raises(RuntimeError, match="can not convert a dynamic length sequence to constant length"):
        run(lambda: ms.mutable(ms.mutable((1, 2, 3), True)))
    with pytest.raises(TypeError, match="should be variable length sequence"):
        run(lambda: F.is_dynamic_sequence_element_unknown([]))

    def queries():  # MindSpore 2.10: ([1, 2, 3, 4], False, True, True, True, False, True, False)
        x = ms.mutable([1, 2, 3], True)
        x.append(4)
        y = ms.mutable((Tensor([1]), Tensor([2])))
        return (x, F.isconstant(x[0]), F.is_sequence_value_unknown(x), F.is_sequence_shape_unknown(x),
                F.is_sequence_value_unknown(y), F.is_sequence_shape_unknown(y),
                F.is_dynamic_sequence_element_unknown(ms.mutable([], True)),
                F.is_dynamic_sequence_element_unknown(ms.mutable([1], True)))
    got = run(queries)
    assert list(got[0]) == [1, 2, 3, 4] and list(got[1:]) == [False, True, True, True, False, True, False]

    def tensor_item():  # MindSpore 2.10: (False, True, [5])
        x = ms.mutable([Tensor([1]), Tensor([2])], True)
        x[0] = Tensor([5])
        return F.isconstant(x[0]), F.isconstant(Tensor([3])), x[0]
    const_item, const_tensor, first = run(tensor_item)
    assert (const_item, const_tensor) == (False, True) and first.asnumpy().tolist() == [5]
    # PyNative checks none of this (MindSpore 2.10 makes them all)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    assert tuple(ms.mutable((1, 2.0), True)) == (1, 2.0) and F.is_sequence_shape_unknown(ms.mutable([1], True)) is False


def test_wrong_arguments_get_mindspore_errors(on_real_server):
    # MindSpore 2.10's errors (its venv): Tensor.flatten(order=123) a TypeError (was ValueError), nn.Dense with a
    # channel count <= 0 a ValueError (was built, or a numpy error), a bool margin of OcclusionSensitivity a
    # TypeError (tests/ut/python/{graph_syntax/tensor/tensor_methods/test_tensor_flatten, pynative_mode/nn/test_dense,
    # metrics/test_occlusion_sensitivity}); Tensor.diagflat (tests/st/tensor/test_diagflat: MindSpore's values)
    x = Tensor(np.array([[1, 2, 3], [4, 5, 6]], np.float32))
    with pytest.raises(TypeError, match="Failed calling flatten"):
        x.flatten(order=123)
    with pytest.raises(ValueError, match="the parameter 'order' must be 'C' or 'F', but got 'X'"):
        x.flatten(order="X")
    assert x.flatten(order="F").asnumpy().tolist() == [1, 4, 2, 5, 3, 6]
    with pytest.raises(ValueError, match="For 'Dense', the 'out_channels' must be int and must > 0, but got '0'"):
        nn.Dense(3, 0)
    with pytest.raises(ValueError, match="the 'in_channels' must be int and must > 0, but got '-1'"):
        nn.Dense(-1, 2)
    with pytest.raises(TypeError, match="the 'in_channels' must be int, but got 'float'"):
        nn.Dense(3.0, 2)
    from gradserve.train import OcclusionSensitivity
    with pytest.raises(TypeError, match="OcclusionSensitivity"):
        OcclusionSensitivity(pad_val=0.0, margin=True, n_batch=128, b_box=None)
    d = Tensor(np.array([-0.5, 0.5, 3], np.float32)).diagflat(1)
    np.testing.assert_array_equal(d.asnumpy(), [[0, -0.5, 0, 0], [0, 0, 0.5, 0], [0, 0, 0, 3], [0, 0, 0, 0]])


@pytest.mark.parametrize("pad_mode, pad_list, stride, dilation, out_hw, first, total", [
    ("valid", (0, 0, 0, 0), 1, 1, (5, 4), [29.1232, 15.0215, -17.3859, -1.1145, 4.0814], 6.6674166),
    ("pad", (1, 0, 2, 1), 2, 1, (3, 4), [-9.0235, 7.0857, 6.5102, 18.9159, -12.8071], -63.742905),
    ("same", (0, 0, 0, 0), 2, 2, (4, 3), [0.2091, -10.612, -2.8031, -0.2455, 7.6406], -72.85633),
    ("valid", (0, 0, 0, 0), 2, 1, (3, 2), [-4.7843, 2.7559, -1.8017, 4.9333, 19.4577], -4.2539759)])
def test_conv2d_backprop_filter(on_real_server, pad_mode, pad_list, stride, dilation, out_hw, first, total):
    # tests/st/ops/dynamic_shape/grad/test_conv2d_back_prop_filter.py (2 items: _grad_ops.Conv2DBackpropFilter was
    # missing). Values: MindSpore 2.10's for these inputs (numpy default_rng(3), drawn in this order)
    from gradserve.ops.operations import _grad_ops as G
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(0, 2, (2, 3, 7, 6)).astype(np.float32))
    # (MindSpore's run drew a [2, 4, 4, 4] dout second; the pad case takes its first 96 values, as its rerun did)
    douts = [rng.normal(0, 1, (2, 4) + hw).astype(np.float32) for hw in ((5, 4), (4, 4), (4, 3), (3, 2))]
    douts[1] = douts[1].ravel()[:96].reshape(2, 4, 3, 4)
    dout = Tensor(douts[[(5, 4), (3, 4), (4, 3), (3, 2)].index(out_hw)])
    op = G.Conv2DBackpropFilter(4, 3, pad_mode=pad_mode, pad_list=pad_list, mode=1, stride=stride,
                                dilation=(1, 1, dilation, dilation), group=1)
    dw = op(dout, x, (4, 3, 3, 3)).asnumpy()
    assert dw.shape == (4, 3, 3, 3)
    np.testing.assert_allclose(dw.ravel()[:5], first, atol=2e-4)
    np.testing.assert_allclose(dw.sum(), total, rtol=1e-5, atol=1e-4)


def test_assert_primitive(on_real_server, capsys):
    # tests/st/ops/cpu/test_assert_op.py (ops.Assert was missing). MindSpore 2.10: a true condition passes, a false
    # one prints "For 'Assert' condition is false." and the inputs' first `summarize` elements, then raises
    # RuntimeError "assert failed"; a float summarize is its TypeError
    from gradserve.ops import operations as P
    a = P.Assert(2)
    a(True, [Tensor(np.array([1.0, 2.0, 3.0], np.float32))])
    a(Tensor(np.array([True, False])), [Tensor(np.array([1.0], np.float32))])  # its first element decides
    with pytest.raises(RuntimeError, match="assert failed"):
        a(False, [Tensor(np.array([1.0, 2.0, 3.0], np.float32)), Tensor(np.array([4, 5], np.int32))])
    out = capsys.readouterr().out
    assert "For 'Assert' condition is false." in out and out.count("input data:") == 2 and "3" not in out
    with pytest.raises(TypeError, match="the type of 'summarize' should be 'int', but got type 'float'"):
        P.Assert(1.5)
