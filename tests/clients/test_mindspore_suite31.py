"""Sample seed 31 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 31").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (GRAPH_MODE, @jit); the
call that gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, jit, nn
from gradserve.common import mutable
from gradserve.ops import functional as F
from gradserve.ops.function.array_func import new_ones, new_zeros


def _unknown(seq):
    return F.is_sequence_value_unknown(seq), F.is_sequence_shape_unknown(seq)


def test_lists_holding_traced_values_are_value_unknown(on_real_server, graph_mode):
    # tests/ut/python/dynamic_sequence/test_dynamic_sequence_mul.py (all False before).
    # MindSpore 2.10, jit with x = Tensor([1]): [x, x + 1] -> (True, False); [x, 1] True; (x, x) True;
    # [1, 2] False; [x, x + 1, x + 2] + [1] -> (True, False); its slice [0:2] value-unknown True
    @jit
    def f(x):
        a = [x, x + 1, x + 2]
        return (_unknown([x, x + 1]), F.is_sequence_value_unknown([x, 1]), F.is_sequence_value_unknown((x, x)),
                F.is_sequence_value_unknown([1, 2]), _unknown(a + [1]), F.is_sequence_value_unknown(a[0:2]))

    assert f(Tensor([1])) == ((True, False), True, True, False, (True, False), True)


def test_mutable_sequence_arithmetic_keeps_it_unknown(on_real_server, graph_mode):
    # MindSpore 2.10, jit: mutable([1, 2, 3, 4], True) * 5 -> (True, True), len 20; 2 * mutable([1, 2], True)
    # (True, True); mutable([1, 2]) * 2 (True, False); mutable((1, 2), True) * 2 (True, True), value (1, 2, 1, 2);
    # mutable([1, 2], True) + [3] (True, True) and its slice [0:1] shape-unknown True
    @jit
    def f():
        d = mutable([1, 2, 3, 4], True)
        r = d * 5
        t = mutable((1, 2), True) * 2
        return (_unknown(r), len(r), _unknown(2 * mutable([1, 2], True)), _unknown(mutable([1, 2]) * 2),
                _unknown(t), t, _unknown(mutable([1, 2], True) + [3]),
                F.is_sequence_shape_unknown(mutable([1, 2], True)[0:1]))

    got = f()
    assert got[:4] == ((True, True), 20, (True, True), (True, False))
    assert got[4] == (True, True) and tuple(got[5]) == (1, 2, 1, 2)
    assert got[6:] == ((True, True), True)


def test_mutable_count_makes_the_product_dynamic_length(on_real_server, graph_mode):
    # MindSpore 2.10, jit: mutable([1, 2, 3, 4], True) * x with x = mutable(5) -> (True, True)
    @jit
    def f(x):
        return _unknown(mutable([1, 2, 3, 4], True) * x)

    assert f(mutable(5)) == (True, True)


def test_pynative_knows_every_sequence(on_real_server):
    # outside a trace nothing is unknown (and the plain result is kept)
    r = mutable([1, 2], True) * 2
    assert _unknown(r) == (False, False) and list(r) == [1, 2, 1, 2]


def test_mutable_index_out_of_range_is_a_value_error(on_real_server, graph_mode):
    # MindSpore 2.10, jit m[index] with m = mutable([1, 2]), index = mutable(5):
    # ValueError "For RealTupleGetItem, index is out of range: [-2, 2), but got 5." (was IndexError)
    @jit
    def f(m, index):
        return m[index]

    with pytest.raises(ValueError, match=r"index is out of range: \[-2, 2\), but got 5"):
        f(mutable([1, 2]), mutable(5))


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_array_func_new_ones_and_grad(on_real_server, mode):
    # tests/st/ops/test_ops_new_ones.py (13 items: not implemented before). MindSpore 2.10:
    # new_ones(x, 3) -> [1. 1. 1.]; new_ones(x, (2, 2), dtype=int32) -> int32 ones; grad wrt x: zeros of x's shape;
    # new_zeros(float16 x, (1, 2)) -> [[0. 0.]] float16
    context.set_context(mode=mode)
    x = Tensor(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(new_ones(x, 3).asnumpy(), np.ones(3, np.float32))
    out = new_ones(x, (2, 2), dtype=ms.int32)
    assert out.dtype == ms.int32 and out.asnumpy().tolist() == [[1, 1], [1, 1]]
    g = ms.grad(lambda t: new_ones(t, (2,)), (0,))(x)
    np.testing.assert_array_equal(g.asnumpy(), np.zeros((2, 3), np.float32))
    z = new_zeros(Tensor(np.ones(2, np.float16)), (1, 2))
    assert z.dtype == ms.float16 and z.asnumpy().tolist() == [[0.0, 0.0]]
    with pytest.raises(TypeError, match="new_ones"):
        new_ones(np.ones(2), 2)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_tensor_bitwise_shift_methods(on_real_server, mode):
    # tests/st/tensor/test_bitwise_left_right_shift.py (AttributeError before). MindSpore 2.10:
    # Tensor([1, -3, 200], int32).bitwise_left_shift([2, 1, 30]) -> [4 -6 0]; .bitwise_right_shift(2) -> [0 -1 50]
    context.set_context(mode=mode)

    class Shifts(nn.Cell):
        def construct(self, x, y):
            return x.bitwise_left_shift(y), x.bitwise_right_shift(2)

    x = Tensor(np.array([1, -3, 200], np.int32))
    left, right = Shifts()(x, Tensor(np.array([2, 1, 30], np.int32)))
    assert left.dtype == ms.int32 and right.dtype == ms.int32
    assert left.asnumpy().tolist() == [4, -6, 0] and right.asnumpy().tolist() == [0, -1, 50]


# MindSpore 2.10 (CPU) of var, accum, grad, indices = _SAG_IN, lr 0.37: outputs (var, accum)
# (a repeated index's rows summed first)
_SAG_IN = ([[0.5, -1.0], [2.0, 0.25], [1.5, 3.0]], [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],
           [[0.7, -0.2], [0.1, 0.9], [-0.4, 0.3]], [2, 0, 2])
_SAG_OUT = {
    "v1": ([[0.3884407877922058, -1.3313473463058472], [2.0, 0.25], [1.3554903268814087, 2.9526262283325195]],
           [[0.10999999940395355, 1.0099999904632568], [0.30000001192092896, 0.4000000059604645],
            [0.5899999737739563, 0.6100000143051147]]),
    "v1n": ([[0.38299572467803955, -1.7446106672286987], [2.0, 0.25], [1.343022346496582, 2.95223331451416]],
            _SAG_IN[1]),
}


@pytest.mark.parametrize("case", ["v1", "v1n"])
def test_sparse_apply_adagrad_matches_mindspore_bits(on_real_server, case):
    # tests/st/ops/cpu/test_sparse_apply_adagrad{,_v2}.py (9 items: not implemented before)
    from gradserve import Parameter
    from gradserve.ops import operations as P
    op = {"v1": P.SparseApplyAdagrad(lr=0.37), "v1n": P.SparseApplyAdagrad(lr=0.37, update_slots=False)}[case]
    var = Parameter(Tensor(np.array(_SAG_IN[0], np.float32)), name="var")
    accum = Parameter(Tensor(np.array(_SAG_IN[1], np.float32)), name="accum")
    out_var, out_accum = op(var, accum, Tensor(np.array(_SAG_IN[2], np.float32)), Tensor(np.array(_SAG_IN[3], np.int32)))
    want_var, want_accum = (np.array(v, np.float32) for v in _SAG_OUT[case])
    np.testing.assert_array_equal(out_var.asnumpy(), want_var)
    np.testing.assert_array_equal(out_accum.asnumpy(), want_accum)
    np.testing.assert_array_equal(var.asnumpy(), want_var)  # written into the Parameters
    np.testing.assert_array_equal(accum.asnumpy(), want_accum)


def test_sparse_apply_adagrad_argument_errors():
    # MindSpore 2.10: SparseApplyAdagrad(lr=1) TypeError "the type of 'lr' must be 'float', but got 'int'";
    # update_slots=1 TypeError; float64 var / accum: TypeError "must be a type of {Tensor[Float16], Tensor[Float32]}"
    from gradserve import Parameter
    from gradserve.ops import operations as P
    with pytest.raises(TypeError, match="'lr' must be 'float', but got 'int'"):
        P.SparseApplyAdagrad(lr=1)
    with pytest.raises(TypeError, match="'update_slots' should be 'bool'"):
        P.SparseApplyAdagrad(lr=0.1, update_slots=1)
    f64 = np.ones((2, 1), np.float64)
    with pytest.raises(TypeError, match=r"Tensor\[Float16\], Tensor\[Float32\]"):
        P.SparseApplyAdagrad(lr=0.1)(Parameter(Tensor(f64), name="v"), Parameter(Tensor(f64), name="a"),
                                     Tensor(f64[:1]), Tensor(np.array([0], np.int32)))

_V2_VAR = [[0.3931902050971985, -1.329719066619873], [2.0, 0.25], [1.2409999370574951, 3.0917856693267822]]
_V2_ACCUM = [[0.10999999940395355, 1.0099999904632568], [0.30000001192092896, 0.4000000059604645],
             [0.9900000095367432, 0.64000004529953]]


def test_sparse_apply_adagrad_v2_values_and_repeated_index_refusal(on_real_server):
    # MindSpore 2.10: SparseApplyAdagradV2(lr=0.37, epsilon=0.01) with indices [2, 0] of _SAG_IN's first two grad
    # rows -> _V2_VAR, _V2_ACCUM;
    # indices [2, 2, 2] gave two different vars in three runs there (a race in its CPU kernel): refused here
    from gradserve import Parameter
    from gradserve.ops import operations as P
    op = P.SparseApplyAdagradV2(lr=0.37, epsilon=0.01)
    var = Parameter(Tensor(np.array(_SAG_IN[0], np.float32)), name="var")
    accum = Parameter(Tensor(np.array(_SAG_IN[1], np.float32)), name="accum")
    grad = Tensor(np.array(_SAG_IN[2][:2], np.float32))
    out_var, out_accum = op(var, accum, grad, Tensor(np.array([2, 0], np.int32)))
    np.testing.assert_array_equal(out_var.asnumpy(), np.array(_V2_VAR, np.float32))
    np.testing.assert_array_equal(out_accum.asnumpy(), np.array(_V2_ACCUM, np.float32))
    with pytest.raises(ValueError, match="repeated index"):
        op(var, accum, Tensor(np.array(_SAG_IN[2], np.float32)), Tensor(np.array([2, 2, 2], np.int32)))


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_slice_grad(on_real_server, mode):
    # tests/st/ops/cpu/test_slice_grad_op.py (4 items: not implemented before). MindSpore 2.10:
    # G.SliceGrad()(dy [[1, 2], [3, 4]], zeros (3, 4), (1, 2), (2, 2)) -> dy at rows 1..2, columns 2..3;
    # a size of -1: RuntimeError "For 'SliceGrad', the value of size can not be negative."
    from gradserve.ops.operations import _grad_ops as G
    context.set_context(mode=mode)
    dy = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    x = Tensor(np.zeros((3, 4), np.float32))
    out = G.SliceGrad()(dy, x, (1, 2), (2, 2))
    assert out.asnumpy().tolist() == [[0, 0, 0, 0], [0, 0, 1, 2], [0, 0, 3, 4]]
    with pytest.raises(RuntimeError, match="size can not be negative"):
        G.SliceGrad()(dy, x, (1, 2), (2, -1))


@pytest.mark.parametrize("align_corners, want", [
    (False, [[-12.0, -3.0, -1.0], [6.0, 4.5, 5.5]]),
    (True, [[-5.5, -8.0, -2.5], [1.0, 8.0, 7.0]])])
def test_resize_nearest_neighbor_grad(on_real_server, align_corners, want):
    # tests/st/dynamic_shape/test_resize_nearest_neighbor_grad.py (2 items: not implemented before). MindSpore 2.10:
    # ops.auto_generate.ResizeNearestNeighborGrad(align_corners)(arange(12).reshape(1, 1, 3, 4) - 5.5, (2, 3))
    from gradserve import ops
    g = Tensor(np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4) - 5.5)
    out = ops.auto_generate.ResizeNearestNeighborGrad(align_corners)(g, (2, 3))
    np.testing.assert_allclose(out.asnumpy(), np.array([[want]], np.float32), rtol=1e-6)


def test_ssim_argument_types_and_image_mismatch():
    # tests/ut/python/nn/test_ssim.py (3 items: no error / ValueError before). MindSpore 2.10: SSIM(max_val=True),
    # SSIM(filter_size=1.1), SSIM(filter_sigma=1), SSIM(k1=1) TypeError (SSIM(max_val=2) accepted); images of
    # float32 and float16: TypeError "For 'SameTypeShape', the x dtype should be = y dtype: Float16, but got
    # Float32."; of shapes (1, 3, 16, 16) and (..., 17): ValueError "... the x shape should be = y shape ..."
    for bad in (dict(max_val=True), dict(filter_size=1.1), dict(filter_size=True), dict(filter_sigma=1),
                dict(k1=1)):
        with pytest.raises(TypeError, match="For 'SSIM'"):
            nn.SSIM(**bad)
    nn.SSIM(max_val=2)
    a = Tensor(np.zeros((1, 3, 16, 16), np.float32))
    with pytest.raises(TypeError, match="x dtype should be = y dtype: Float16, but got Float32"):
        nn.SSIM()(a, Tensor(np.zeros((1, 3, 16, 16), np.float16)))
    with pytest.raises(ValueError, match=r"x shape should be = y shape: \(1, 3, 16, 17\)"):
        nn.SSIM()(a, Tensor(np.zeros((1, 3, 16, 17), np.float32)))


def test_rprop_argument_errors_and_empty_parameters():
    # tests/ut/python/nn/optim/test_rprop.py (3 items). MindSpore 2.10: etas / step_sizes as lists TypeError
    # ("must be a tuple"); three etas ValueError "must be a tuple with the size of 2, but got 3."; Rprop([]) /
    # nn.Adam([]): ValueError "For 'Optimizer', the argument parameters must not be empty."
    params = nn.Dense(2, 2).trainable_params()
    with pytest.raises(TypeError, match="etas must be a tuple"):
        nn.Rprop(params, etas=[0.5, 1.2], learning_rate=0.1)
    with pytest.raises(TypeError, match="step_sizes must be a tuple"):
        nn.Rprop(params, step_sizes=[1e-6, 50.0], learning_rate=0.1)
    with pytest.raises(ValueError, match="size of 2, but got 3"):
        nn.Rprop(params, etas=(0.5, 1.2, 3.0))
    for make in (lambda: nn.Rprop([]), lambda: nn.Adam([]), lambda: nn.Rprop(nn.Flatten().get_parameters())):
        with pytest.raises(ValueError, match="For 'Optimizer', the argument parameters must not be empty."):
            make()


_DO_DX = [0.034, -0.356, -0.244, 0.072, -0.336, -0.296, 0.048, -0.258, -0.18]
_DO_DOFF = [-0.28, 0.0, -0.083333, -0.046667, 0.05, -0.25, -0.1, -0.116667, -0.186667, 0.0, -0.25, -0.1, 0.15, -0.75,
            -0.3, -0.35, 0.56, 0.68, 1.333333, 0.116667, 0.033333, 0.916667, -0.3, -0.466667]


@pytest.mark.parametrize("fmt", ["NCHW", "NHWC"])
def test_deformable_offsets_grad(on_real_server, fmt):
    # tests/st/ops/cpu/test_deformable_offsets_grad.py (6 items: not implemented before). MindSpore 2.10:
    # G.DeformableOffsetsGrad((1, 1, 1, 1), (0, 0, 0, 0), (2, 2), data_format=fmt)(dout, x, offsets) with the
    # inputs below (offsets of 1 x 2 output pixels where x gives 2 x 2: its kernel takes the offsets' pixels),
    # rounded to 6 places there
    from gradserve.ops.operations import _grad_ops as G
    x = (np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3) - 4) / 3
    off = ((np.arange(24, dtype=np.float32) % 7 - 3) / 5).reshape(1, 12, 1, 2)
    dout = (np.arange(8, dtype=np.float32).reshape(1, 1, 2, 4) - 3.5) / 2
    if fmt == "NHWC":
        dout, x, off = (t.transpose(0, 2, 3, 1) for t in (dout, x, off))
    dx, doff = G.DeformableOffsetsGrad((1, 1, 1, 1), (0, 0, 0, 0), (2, 2), data_format=fmt)(
        Tensor(dout), Tensor(x), Tensor(off))
    want_doff = np.array(_DO_DOFF, np.float32).reshape(1, 12, 1, 2)
    if fmt == "NHWC":
        want_doff = want_doff.transpose(0, 2, 3, 1)
    assert dx.shape == x.shape and doff.shape == off.shape
    np.testing.assert_allclose(dx.asnumpy().ravel(), _DO_DX, atol=1e-6)
    np.testing.assert_allclose(doff.asnumpy(), want_doff, atol=1e-6)


def test_model_predict_backend(on_real_server):
    # tests/ut/python/train/test_model_predict.py (no error before). MindSpore 2.10: backend 'gpu' / 0 / 'Lite':
    # ValueError "For Model.predict, `backend` should be 'lite' or None, but got gpu"; 'lite' runs
    from gradserve.train import Model
    model = Model(nn.Dense(1, 1))
    x = Tensor(np.ones((1, 1), np.float32))
    for bad in ("gpu", 0, "Lite"):
        with pytest.raises(ValueError, match="`backend` should be 'lite' or None"):
            model.predict(x, backend=bad)
    np.testing.assert_array_equal(model.predict(x, backend="lite").asnumpy(), model.predict(x).asnumpy())


def test_fractional_max_pool3d_with_fixed_ksize_and_its_window_rule(on_real_server):
    # tests/st/ops/test_fractionalmaxpool3dwithfixedksize.py (not implemented before). MindSpore 2.10:
    # nn_ops.FractionalMaxPool3DWithFixedKsize((2, 2, 2), (2, 3, 4))(x below, samples [[[0.3, 0.6, 0.9]]]) -> y, argmax
    # (int64) below; ops.fractional_max_pool3d with out + k - 1 >= the input on an axis: its ValueError "out(): pool
    # depth ,1too large relative to input depth4." (gradserve pooled such inputs before)
    from gradserve import ops
    from gradserve.ops.operations import nn_ops
    x = Tensor((np.arange(120) * 7 % 13).astype(np.float32).reshape(1, 1, 4, 5, 6))
    samples = Tensor(np.array([[[0.3, 0.6, 0.9]]], np.float32))
    y, argmax = nn_ops.FractionalMaxPool3DWithFixedKsize((2, 2, 2), (2, 3, 4))(x, samples)
    assert y.asnumpy().astype(int).tolist() == [[[[[12, 12, 11, 12], [11, 12, 12, 11], [12, 12, 12, 11]],
                                                  [[11, 11, 12, 11], [12, 11, 11, 12], [12, 12, 11, 12]]]]]
    assert argmax.dtype == ms.int64
    assert argmax.asnumpy().tolist() == [[[[[37, 37, 9, 11], [48, 50, 50, 22], [24, 50, 50, 22]],
                                           [[61, 61, 63, 100], [102, 74, 74, 76], [115, 115, 87, 89]]]]]
    ones = Tensor(np.ones((1, 1, 4, 6, 6), np.float32))
    with pytest.raises(ValueError, match="pool depth ,1too large relative to input depth4"):
        ops.fractional_max_pool3d(ones, 1, output_size=(4, 2, 2), _random_samples=samples)
    assert ops.fractional_max_pool3d(ones, 2, output_size=(2, 2, 2), _random_samples=samples).shape == (1, 1, 2, 2, 2)
