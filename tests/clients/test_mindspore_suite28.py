"""Sample seed 28 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 28").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the literals below are its outputs,
the call that gave each stated beside it), or NumPy where said."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, mint, nn, ops
from gradserve.ops.composite import GradOperation

_X_INT = np.array([[1, 2], [3, 4]], np.int32)


class _Padded(nn.Cell):
    def __init__(self):
        super().__init__()
        self.pad = nn.Pad(mode="CONSTANT", paddings=((0, 1), (1, 0)))

    def construct(self, x):
        return self.pad(x)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_int_gradient_through_pad(on_real_server, mode):
    # tests/st/ops/cpu/test_pad.py::test_pad_3d_backprop (int32 part): MindSpore 2.10 passes an int32 cotangent
    # back through nn.Pad / ops.pad to an int32 input (the cotangent's slice); gradserve gave zeros
    ms.set_context(mode=mode)
    grad = GradOperation(get_all=True, sens_param=True)
    sens = Tensor(np.arange(1, 10, dtype=np.int32).reshape(3, 3))
    dx = grad(_Padded())(Tensor(_X_INT), sens)[0]
    assert dx.dtype == ms.int32
    np.testing.assert_array_equal(dx.asnumpy(), [[2, 3], [5, 6]])  # MindSpore 2.10, both modes
    dx = grad(lambda a: ops.pad(a, (1, 0)))(Tensor(_X_INT), Tensor(np.arange(6, dtype=np.int32).reshape(2, 3)))[0]
    np.testing.assert_array_equal(dx.asnumpy(), [[1, 2], [4, 5]])  # MindSpore 2.10
    dx = grad(lambda a: ops.clamp(a, 2, 3))(Tensor(_X_INT), Tensor(np.array([[5, 6], [7, 8]], np.int32)))[0]
    np.testing.assert_array_equal(dx.asnumpy(), [[0, 6], [7, 0]])  # MindSpore 2.10
    # composites with integer index operands beside integer data (MindSpore 2.10's values)
    grads = GradOperation(get_all=True)(lambda a, i, s: ops.scatter(a, 1, i, s))(
        Tensor(np.arange(6, dtype=np.int32).reshape(2, 3)), Tensor(np.array([[0, 2], [1, 0]], np.int32)),
        Tensor(np.array([[5, 6], [7, 8]], np.int32)))
    assert [g.asnumpy().tolist() for g in grads] == [[[0, 1, 0], [0, 0, 1]], [[0, 0], [0, 0]], [[1, 1], [1, 1]]]
    # cumprod of a row without zeros: MindSpore 2.10's [25, 18, 12]; a row with a 0 gives the product of the others
    # here (1 + x1 + x1 x2 = 4 for [0, 1, 2]: d/dx0 of the sums), where MindSpore's kernel gives 0
    dx = GradOperation(get_all=True)(lambda a: ops.cumprod(a, 1))(Tensor(np.arange(6, dtype=np.int32).reshape(2, 3)))[0]
    np.testing.assert_array_equal(dx.asnumpy(), [[4, 0, 0], [25, 18, 12]])


def test_sum_dtype_keeps_it(on_real_server):
    # tests/st/tensor/overload/test_sum.py::test_method_sum_python: x.sum(axis, None, keepdims, initial) is the
    # NumPy-style form; dtype= gives the sum in that dtype (int32 stayed int64 here, bool gave 16 not True).
    # MindSpore 2.10's outputs (dtype, value) for each call
    x = Tensor(np.array([[1.5, 2.5], [-0.5, 3.7]], np.float32))
    cases = [(lambda: x.sum(dtype=ms.int32), ms.int32, 6), (lambda: x.sum(1, ms.int32), ms.int32, [3, 3]),
             (lambda: x.sum(dtype=ms.int32, initial=2.5), ms.float32, 8.5),
             (lambda: x.sum(dtype=ms.bool_, initial=12), ms.bool_, True),
             (lambda: Tensor(np.array([True, False, True])).sum(dtype=ms.bool_), ms.bool_, True),
             (lambda: Tensor(np.array([True, False, True])).sum(initial=2), ms.int64, 4),
             (lambda: x.sum(0, None, False, 1), ms.float32, [2.0, 7.2]),
             (lambda: x.sum(1, True, dtype=ms.int32), ms.int32, [[3], [3]]),
             (lambda: mint.sum(x, dtype=ms.int32), ms.int32, 6), (lambda: mint.sum(x, dtype=ms.bool_), ms.bool_, True),
             (lambda: Tensor(np.array([100, 100], np.int8)).sum(dtype=ms.int16), ms.int16, 200)]
    for i, (call, dtype, want) in enumerate(cases):
        out = call()
        assert out.dtype == dtype, (i, out.dtype)
        np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-6, err_msg=str(i))


class _MeanNet(nn.Cell):
    def construct(self, x, dim=None, keepdim=False, *, dtype=None):
        return x.mean(dim, keepdim, dtype=dtype)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_mean_and_min_argument_errors(on_real_server, mode):
    # tests/st/tensor/overload/test_mean.py / test_min.py: MindSpore 2.10's TypeErrors (texts from its run);
    # gradserve took a float dim and an int keepdim, where=None and return_indices=1
    ms.set_context(mode=mode)
    x = Tensor(np.ones((3, 3, 6), np.float32))
    with pytest.raises(TypeError, match=r"mean\(\): argument 'dim' \(position 1\) must be tuple of int, not float"):
        _MeanNet()(x, dim=2.0, keepdim=True)
    with pytest.raises(TypeError, match=r"mean\(\): argument 'keepdim' \(position 2\) must be bool, not int"):
        _MeanNet()(x, dim=1, keepdim=1)
    assert _MeanNet()(x, dim=1, keepdim=ms.mutable(True)).shape == (3, 1, 6)
    m = Tensor(np.arange(4).reshape((2, 2)).astype(np.float32))
    with pytest.raises(TypeError, match="where"):
        m.min(0, False, initial=9, where=None)
    with pytest.raises(TypeError, match="return_indices"):
        m.min(0, False, initial=9, where=Tensor([False, True]), return_indices=1)
    # several axes with initial / where: the values alone, 1.0 (MindSpore 2.10)
    np.testing.assert_allclose(m.min((0, 1), False, initial=9, where=Tensor([False, True])).asnumpy(), 1.0)
    np.testing.assert_allclose(m.min(0, False, initial=9, where=False).asnumpy(), [9.0, 9.0])


def test_pad_checks_as_mindspore(on_real_server):
    # tests/st/ops/cpu/test_pad.py::test_pad_error_cases: MindSpore 2.10 builds nn.Pad / ops.Pad with a negative
    # pad and refuses it when run (texts from its run); a pair that is not a pair is a TypeError, 5 pairs a
    # ValueError, both when built
    pad = nn.Pad(paddings=((0, 0), (-1, -1)), mode="CONSTANT")
    with pytest.raises(ValueError, match=r"paddings\[1\]\[0\] = -1, paddings\[1\]\[1\] = -1"):
        pad(Tensor(np.ones((3, 3), np.float32)))
    prim = ops.Pad(((0, 0), (-1, 0)))
    with pytest.raises(ValueError, match=r"must be >= 0, but got paddings\[1\]\[0\] = -1"):
        prim(Tensor(np.ones((3, 3), np.float32)))
    with pytest.raises(TypeError):
        nn.Pad(paddings=((0, 2)), mode="CONSTANT")
    with pytest.raises(ValueError, match="only 'paddings' up to 4 dims is supported, but got 5"):
        nn.Pad(paddings=((0, 0),) * 4 + ((1, 0),), mode="CONSTANT")


def test_tensor_nanmean_isreal_lstsq_and_row_stack(on_real_server):
    # tests/st/tensor/test_nanmean.py, test_isreal.py, tests/st/ops/test_func_row_stack.py, cpu/test_lstsq_op.py:
    # Tensor methods and ops.row_stack MindSpore 2.10 has (values: its tests' expectations, NumPy for lstsq)
    x = Tensor(np.array([[np.nan, 128.1, -256.9], [np.nan, np.nan, 128]], np.float32))
    np.testing.assert_allclose(x.nanmean(axis=0, keepdims=True).asnumpy(), [[np.nan, 128.1, -64.45]], rtol=1e-6)
    assert x.isreal().asnumpy().tolist() == [[True] * 3] * 2
    assert Tensor(np.array([1, 1 + 1j, 2 + 0j])).isreal().asnumpy().tolist() == [True, False, True]
    np.testing.assert_array_equal(ops.row_stack((Tensor([1, 2, 3]), Tensor([4, 5, 6]))).asnumpy(), [[1, 2, 3], [4, 5, 6]])
    a = np.array([[2, 1], [1, 3], [0, 1]], np.float32)
    b = np.array([[1], [2], [3]], np.float32)
    np.testing.assert_allclose(Tensor(a).lstsq(Tensor(b)).asnumpy(), np.linalg.lstsq(a, b, rcond=None)[0], rtol=1e-4,
                               atol=1e-5)


def test_primitive_set_device(on_real_server):
    # tests/st/ops/cpu/test_embedding_look_up_op.py: `P.EmbeddingLookup().set_device("CPU")` returns the primitive
    # (MindSpore 2.10's Primitive.set_device, its primitive_target attribute); the test's expectation for the lookup
    from gradserve.ops import operations as P
    prim = P.EmbeddingLookup().set_device("CPU")
    assert isinstance(prim, P.EmbeddingLookup) and prim.primitive_target == "CPU"
    params = Tensor(np.array([[8, 9], [10, 11], [12, 13], [14, 15]], np.float32))
    out = prim(params, Tensor(np.array([5, 2, 8, 5], np.int32)), 4)
    np.testing.assert_array_equal(out.asnumpy(), [[10, 11], [0, 0], [0, 0], [10, 11]])
    assert ops.Sin().set_device("CPU")(Tensor(np.zeros(2, np.float32))).asnumpy().tolist() == [0.0, 0.0]


class _AdaFactorNet(nn.Cell):
    def __init__(self, shape, flags, with_norm):
        super().__init__()
        self.opt = (ops.FusedAdaFactorWithGlobalNorm if with_norm else ops.FusedAdaFactor)(*flags)
        self.with_norm = with_norm
        n = int(np.prod(shape))
        self.param = ms.Parameter(Tensor((np.arange(n).reshape(shape) * 0.3 - 0.7).astype(np.float32)), name="param")
        self.exp_avg = ms.Parameter(Tensor(np.full(shape, 0.05, np.float32)), name="exp_avg")
        self.exp_avg_sq = ms.Parameter(Tensor(np.full(shape, 0.2, np.float32)), name="exp_avg_sq")
        self.row = ms.Parameter(Tensor(np.full(shape[:-1] if len(shape) > 1 else (1,), 0.1, np.float32)), name="row")
        self.col = ms.Parameter(Tensor(np.full(shape[:-2] + shape[-1:] if len(shape) > 1 else (1,), 0.3, np.float32)),
                                name="col")

    def construct(self, grad):
        args = ((1e-30, 1e-3), 1.0, 0.9, 0.8, 1e-2, 0.03, grad, self.param, self.exp_avg, self.row, self.col,
                self.exp_avg_sq)
        return self.opt(*args, 2.5) if self.with_norm else self.opt(*args)


# MindSpore 2.10 (GRAPH_MODE, CPU): param, exp_avg, row, col, exp_avg_sq after two steps with grads 2 cos(i + step)
_ADA_CASES = [
    ((2, 3), (True, True, True), False,
     [-0.78993523, -0.48678455, -0.18077265, 0.11928001, 0.4167087, 0.71046174],
     [0.04329625, 0.04050799, 0.037157364, 0.037496667, 0.039835133, 0.043386262],
     [0.76193964, 0.7626349], [1.1132978, 0.5235935, 1.0339704], [0.2] * 6),
    ((3,), (True, True, True), True, [-0.78999954, -0.48660392, -0.18149282], [0.04334276, 0.040508255, 0.037507046],
     [0.1], [0.3], [0.2677666, 0.18006009, 0.27118436]),
    ((2, 3), (False, False, False), True,
     [-0.7619603, -0.4041086, -0.038661405, 0.26609161, 0.5155326, 0.7462642], [0.05] * 6,
     [0.17567036, 0.17578156], [0.33940765, 0.24505498, 0.32671526], [0.2] * 6)]


@pytest.mark.parametrize("case", range(len(_ADA_CASES)))
def test_fused_ada_factor_steps(on_real_server, case):
    # tests/st/ops/cpu/test_fused_ada_factor_op.py: ops.FusedAdaFactor(WithGlobalNorm) was missing; factored
    # (rank 2) and vector params, every flag on and off, against MindSpore 2.10's own two steps
    shape, flags, with_norm, *want = _ADA_CASES[case]
    ms.set_context(mode=ms.GRAPH_MODE)
    net = _AdaFactorNet(shape, flags, with_norm)
    n = int(np.prod(shape))
    for step in range(2):
        net(Tensor((np.cos(np.arange(n) + step) * 2).reshape(shape).astype(np.float32)))
    for name, expect in zip(("param", "exp_avg", "row", "col", "exp_avg_sq"), want):
        got = getattr(net, name).asnumpy().ravel()
        np.testing.assert_allclose(got, np.array(expect, np.float32), rtol=2e-6, atol=1e-7, err_msg=name)


def test_sparse_segment_sqrt_n(on_real_server):
    # tests/st/ops/dynamic_shape/grad/test_sparse_segment_sqrt_n.py: sparse_ops.SparseSegmentSqrtN was missing;
    # values, gradient and the two ValueErrors are MindSpore 2.10's (PyNative, CPU)
    from gradserve.ops.operations import sparse_ops as S
    x = Tensor(np.arange(12, dtype=np.float32).reshape(4, 3) - 4)
    idx = Tensor(np.array([0, 2, 3, 1, 1], np.int32))
    seg = Tensor(np.array([0, 0, 0, 1, 1], np.int32))
    np.testing.assert_allclose(S.SparseSegmentSqrtN()(x, idx, seg).asnumpy(),
                               [[1.7320509, 3.4641018, 5.1961527], [-1.4142135, 0, 1.4142135]], rtol=1e-6)
    out = S.SparseSegmentSqrtNWithNumSegments()(x, idx, seg, Tensor(np.array([4], np.int32)))
    np.testing.assert_allclose(out.asnumpy()[2:], np.zeros((2, 3)))
    w = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    dx = ms.grad(lambda a: (S.SparseSegmentSqrtN()(a, idx, seg) * w).sum())(x)
    row = [0, 0.57735026, 1.1547005]
    np.testing.assert_allclose(dx.asnumpy(), [row, [4.242641, 5.656854, 7.071068], row, row], rtol=1e-6)
    with pytest.raises(ValueError, match="should be start from 0"):
        S.SparseSegmentSqrtN()(x, idx, Tensor(np.array([1, 1, 1, 2, 2], np.int32)))
    with pytest.raises(ValueError, match="sorted and contiguous"):
        S.SparseSegmentSqrtN()(x, idx, Tensor(np.array([0, 0, 2, 2, 2], np.int32)))


@pytest.mark.parametrize("overlapping", [False, True])
def test_fractional_max_pool_grad(on_real_server, overlapping):
    # tests/st/ops/cpu/test_fractionalmaxpool_op.py: _grad_ops.FractionalMaxPoolGrad was missing; with ties
    # (the 9s), regions of widths 1 / 2 / 3, MindSpore 2.10's outputs (CPU) for both overlapping settings
    from gradserve.ops.operations import _grad_ops as G
    x = np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8], [9, 7, 9, 3, 2, 3], [8, 4, 6, 2, 6, 4],
                  [3, 3, 8, 3, 2, 7]], np.float32).reshape(1, 5, 6, 1)
    rows, cols = Tensor(np.array([0, 2, 5], np.int64)), Tensor(np.array([0, 1, 3, 6], np.int64))
    dy = Tensor((np.arange(6, dtype=np.float32) + 1).reshape(1, 2, 3, 1))
    out = G.FractionalMaxPoolGrad(overlapping=overlapping)(Tensor(x), Tensor(np.zeros((1, 2, 3, 1), np.float32)), dy,
                                                           rows, cols)
    want = np.zeros((5, 6), np.float32)
    hits = {(0, 5): 3, (2, 0): 5, (2, 2): 7, (4, 5): 6} if overlapping else \
        {(0, 0): 1, (0, 5): 3, (1, 1): 2, (2, 0): 4, (2, 2): 5, (4, 5): 6}
    for at, v in hits.items():
        want[at] = v
    np.testing.assert_array_equal(out.asnumpy().reshape(5, 6), want)


class _MatmulNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = ms.Parameter(Tensor(np.arange(15, dtype=np.float32).reshape(5, 3)), name="w")

    def construct(self, x):
        return ops.matmul(x, self.w) * 2


def test_cell_compile_traces_without_running(on_real_server):
    # tests/st/ops/cpu/test_print_op.py::test_print_op_string_twice: model.compile(x) then model(x); MindSpore 2.10
    # returns None from compile and [60, 70, 80] from the call (NumPy: 2 * ones(5) @ w); a shape that cannot
    # compile fails at compile
    ms.set_context(mode=ms.GRAPH_MODE)
    net = _MatmulNet()
    assert net.compile(ops.ones(5, ms.float32)) is None
    assert "_gs_programs" in net.__dict__  # the traced program, kept for the call
    np.testing.assert_array_equal(net(ops.ones(5, ms.float32)).asnumpy(), 2 * np.ones(5) @ np.arange(15).reshape(5, 3))
    with pytest.raises(Exception, match="matmul"):
        _MatmulNet().compile(ops.ones(4, ms.float32))


def test_no_repeat_ngram_traced_and_vmapped(on_real_server):
    # tests/st/ops/cpu/test_no_repeat_ngram.py::test_vmap_cpu: NoRepeatNGram read its inputs' values on the host,
    # so vmap / jit could not trace it. Banned [batch, beam, token] cells: MindSpore 2.10's (PyNative), for n = 2, 3
    from gradserve.ops import operations as P
    seq = Tensor(np.array([[[1, 2, 1, 2, 5, 1, 2], [9, 3, 9, 5, 4, 9, 3]],
                           [[7, 7, 7, 7, 7, 7, 7], [1, 12, 3, 1, 12, 0, 1]]], np.int32))
    lp = Tensor(np.linspace(-1, 1, 2 * 2 * 13).reshape(2, 2, 13).astype(np.float32))
    want = {2: [[0, 0, 1], [0, 0, 5], [0, 1, 9], [1, 0, 7], [1, 1, 12]], 3: [[0, 0, 1], [0, 0, 5], [0, 1, 9], [1, 0, 7]]}
    for n, cells in want.items():
        plain = P.NoRepeatNGram(n)(seq, lp).asnumpy()
        assert np.argwhere(plain < -1e30).tolist() == cells
        assert (plain[plain > -1e30] == lp.asnumpy()[plain > -1e30]).all()
        mapped = ms.vmap(lambda a, b, n=n: P.NoRepeatNGram(n)(a, b), (0, 0), 0)(seq, lp)
        np.testing.assert_array_equal(mapped.asnumpy(), plain)
        np.testing.assert_array_equal(ms.jit(lambda a, b, n=n: P.NoRepeatNGram(n)(a, b))(seq, lp).asnumpy(), plain)
