"""Seed 21 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 21"): values that
differed from MindSpore's and names its files call that gradserve lacked.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv (the literals below are its
outputs), and the NumPy formulas its backward kernels document."""
import numpy as np
import pytest

from gradserve import Tensor
from gradserve.ops.operations import _grad_ops as G

_X = np.array([-0.5 - 0.15j, 0.2 + 0.2j, 0.5 + 0.35j], np.complex128)
_DY = np.array([1 + 0.3j, 0.5 + 0.15j, -1 - 0.3j], np.complex128)

# MindSpore 2.10 CPU: G.<name>()(Tensor(_X), Tensor(_DY)).asnumpy()
_MINDSPORE_COMPLEX = {
    "AtanGrad": [0.7732517 + 0.33889023j, 0.48489666 + 0.18879173j, -0.733629 - 0.49380944j],
    "AsinGrad": [1.15448267 + 0.22869672j, 0.50478169 + 0.12972127j, -1.07133177 - 0.10825984j],
    "ACosGrad": [-1.15448267 - 0.22869672j, -0.50478169 - 0.12972127j, 1.07133177 + 0.10825984j],
    "AsinhGrad": [0.87383526 + 0.33009755j, 0.49334054 + 0.16977854j, -0.87148177 - 0.43022301j],
    "AcoshGrad": [-1.58126925 - 1.09940188j, 0.85322616 + 1.63646354j, -0.9598718 - 1.37107409j],
    "SqrtGrad": [-0.83486239 - 0.55045872j, 0.4375 + 0.8125j, -0.53020134 - 0.67114094j],
    "InvGrad": [-0.1825 - 0.21825j, 0.012 - 0.04j, 0.0225 + 0.38825j],  # no conjugate in this one
}


@pytest.mark.parametrize("name", sorted(_MINDSPORE_COMPLEX))
def test_backward_ops_divide_by_the_conjugate_for_complex_input(on_real_server, name):
    got = getattr(G, name)()(Tensor(_X), Tensor(_DY))
    np.testing.assert_allclose(got.asnumpy(), _MINDSPORE_COMPLEX[name], rtol=1e-7)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_atan_grad_complex_as_mindspore_cpu_test(on_real_server, dtype):
    # tests/st/ops/cpu/test_atan_grad_op.py: expect = dy / conj(1 + x * x)
    x = np.array([-0.5, 0, 0.5]).astype(dtype)
    x = x + 0.5j * x
    dy = np.array([1, 0, -1]).astype(dtype)
    dy = dy + 0.3j * dy
    got = G.AtanGrad()(Tensor(x), Tensor(dy)).asnumpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, dy / np.conjugate(1 + x * x), rtol=1e-6)


def test_backward_ops_real_input_unchanged(on_real_server):
    x = np.array([-0.5, 0.0, 0.5], np.float32)
    dy = np.array([1.0, 2.0, -1.0], np.float32)
    np.testing.assert_allclose(G.AtanGrad()(Tensor(x), Tensor(dy)).asnumpy(), dy / (1 + x * x), rtol=1e-6)
    np.testing.assert_allclose(G.AsinGrad()(Tensor(x), Tensor(dy)).asnumpy(), dy / np.sqrt(1 - x * x), rtol=1e-6)
    y = np.array([0.5, 1.0, 2.0], np.float32)
    np.testing.assert_allclose(G.SqrtGrad()(Tensor(y), Tensor(dy)).asnumpy(), dy / (2 * y), rtol=1e-6)


def _np_hfftn(x, s, axes, norm):  # torch.fft.hfftn's definition: irfftn of the conjugate with the dual norm
    dual = {"backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]
    return np.fft.irfftn(np.conj(x), s, axes, norm=dual)


@pytest.mark.parametrize("norm", [None, "forward", "ortho"])
def test_hfft2_hfftn_ihfft2_ihfftn(on_real_server, norm):
    from gradserve import ops
    rng = np.random.RandomState(21)
    x = rng.randn(2, 3, 4).astype(np.float32)
    z = (rng.randn(2, 3, 4) + 1j * rng.randn(2, 3, 4)).astype(np.complex64)
    n = norm or "backward"
    dual = {"backward": "forward", "forward": "backward", "ortho": "ortho"}[n]
    np.testing.assert_allclose(ops.hfftn(Tensor(z), (3, 5), (0, 2), norm).asnumpy(),
                               _np_hfftn(z, (3, 5), (0, 2), n), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ops.hfft2(Tensor(z), norm=norm).asnumpy(), _np_hfftn(z, None, (-2, -1), n),
                               rtol=1e-4, atol=1e-5)
    assert ops.hfftn(Tensor(x)).shape == (2, 3, 6)
    np.testing.assert_allclose(ops.ihfftn(Tensor(x), (3, 5), (0, 2), norm).asnumpy(),
                               np.conj(np.fft.rfftn(x, (3, 5), (0, 2), norm=dual)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ops.ihfft2(Tensor(x), norm=norm).asnumpy(),
                               np.conj(np.fft.rfftn(x, None, (-2, -1), norm=dual)), rtol=1e-4, atol=1e-5)
    # MindSpore 2.10 CPU: ops.hfftn(x, (3, 5), (0, 2)).asnumpy()[0, 0] for x = RandomState(0).randn(2, 3, 4)
    x0 = np.random.RandomState(0).randn(2, 3, 4).astype(np.float32)
    if norm is None:
        np.testing.assert_allclose(ops.hfftn(Tensor(x0), (3, 5), (0, 2)).asnumpy()[0, 0],
                                   [6.413957, 0.54578304, 2.559964, 2.559964, 0.54578304], rtol=1e-5)


def test_hfftn_gradient_as_mindspore_test(on_real_server):
    # tests/st/ops/test_ops_hfftn.py's expected backward: real(rfft2(dout)) with the non-zero bins doubled
    from gradserve import ops
    rng = np.random.RandomState(3)
    x = rng.randn(2, 3, 4, 5).astype(np.float32)
    dout = rng.randn(5, 3, 7, 5).astype(np.float32)
    g = ops.GradOperation(sens_param=True)(lambda t: ops.hfftn(t, (5, 7), (0, 2)))(Tensor(x), Tensor(dout))
    want = np.real(np.fft.rfft2(dout, (5, 7), (0, 2)))
    want[:, :, 1:, :] *= 2
    np.testing.assert_allclose(g.asnumpy(), want[:2, :, :4, :], rtol=1e-3, atol=1e-4)


_VAR0 = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.2]], np.float32)
_ACC0 = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], np.float32)
_LIN0 = np.array([[0.05, -0.2], [0.1, 0.0], [0.3, -0.4]], np.float32)
_GRAD = np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]], np.float32)
_IDX = np.array([2, 0, 2], np.int32)  # row 2 twice, row 1 not named


def _params(*arrays):
    from gradserve import Parameter
    return [Parameter(Tensor(a.copy()), name=f"p{i}") for i, a in enumerate(arrays)]


def test_fused_sparse_ftrl_sums_repeated_rows(on_real_server):
    from gradserve.ops import operations as P
    var, acc, lin = _params(_VAR0, _ACC0, _LIN0)
    P.FusedSparseFtrl(lr=0.1, l1=0.05, l2=0.02, lr_power=-0.7)(var, acc, lin, Tensor(_GRAD), Tensor(_IDX))
    # MindSpore 2.10 CPU, the same call
    np.testing.assert_allclose(var.asnumpy(), [[0.11430204, -0.2386437], [2.0, 0.3], [-0.06894725, 0.24174975]],
                               rtol=1e-6)
    np.testing.assert_allclose(acc.asnumpy(), [[0.26000002, 0.29000002], [0.3, 0.4], [0.59000003, 0.85]], rtol=1e-7)
    np.testing.assert_allclose(lin.asnumpy(), [[-0.49975178, 1.0628406], [0.1, 0.0], [0.52931327, -2.217212]],
                               rtol=1e-6)


def test_sparse_apply_ftrl_steps_repeated_rows_in_turn(on_real_server):
    from gradserve.ops import operations as P
    var, acc, lin = _params(_VAR0, _ACC0, _LIN0)
    out = P.SparseApplyFtrl(lr=0.1, l1=0.05, l2=0.02, lr_power=-0.5)(var, acc, lin, Tensor(_GRAD), Tensor(_IDX))
    # MindSpore 2.10 CPU, the same call: row 2 takes grad row 0's step, then grad row 2's (accum 0.5 + 0.04 + 0.25)
    want = ([[0.09114016, -0.17751153], [2.0, 0.3], [-0.03118501, 0.00647506]],
            [[0.26000002, 0.29000002], [0.3, 0.4], [0.79, 0.97]],
            [[-0.5183711, 1.0130293], [0.1, 0.0], [0.32842585, -0.11403091]])
    for got, param, w in zip(out, (var, acc, lin), want):
        np.testing.assert_allclose(got.asnumpy(), w, rtol=1e-6)
        np.testing.assert_allclose(param.asnumpy(), w, rtol=1e-6)


def test_fused_sparse_ftrl_bitwise_as_mindspore_cpu_test(on_real_server):
    # tests/st/ops/cpu/test_sparse_apply_ftrl_op.py::test_net compares with ==: 0.291479 (float32)
    from gradserve.ops import operations as P
    var, acc, lin = _params(*(np.ones([3, 3, 3], np.float32),) * 3)
    P.FusedSparseFtrl(lr=0.001, l1=0.0, l2=0.0, lr_power=-0.5)(var, acc, lin, Tensor(np.ones([3, 3, 3], np.float32)),
                                                               Tensor(np.array([0, 1, 2], np.int32)))
    assert np.all(var.asnumpy() == np.float32(0.291479))


def test_fused_sparse_proximal_adagrad(on_real_server):
    import gradserve as ms
    from gradserve.ops import operations as P
    var, acc = _params(_VAR0, _ACC0)
    scalar = [Tensor(v, ms.float32) for v in (0.1, 0.05, 0.02)]
    P.FusedSparseProximalAdagrad()(var, acc, *scalar, Tensor(_GRAD), Tensor(_IDX))
    # MindSpore 2.10 CPU, the same call
    np.testing.assert_allclose(var.asnumpy(), [[0.41013905, -1.0425519], [2.0, 0.3], [-0.65273434, 1.1378758]],
                               rtol=1e-6)
    np.testing.assert_allclose(acc.asnumpy(), [[0.26000002, 0.29000002], [0.3, 0.4], [0.59000003, 0.85]], rtol=1e-7)
    var, acc = _params(*(np.ones([3, 3, 3], np.float32),) * 2)  # its CPU test: == 0.9929289
    P.FusedSparseProximalAdagrad()(var, acc, 0.01, 0.0, 0.0, Tensor(np.ones([3, 3, 3], np.float32)),
                                   Tensor(np.array([0, 1, 2], np.int32)))
    assert np.all(var.asnumpy() == np.float32(0.9929289))


@pytest.mark.parametrize("grad_shape, idx, error, text", [
    ((3, 2), [0, 1], ValueError, r"grad_shape\[0\] 3 must be equal to indices_shape\[0\] 2"),
    ((3, 3), [0, 1, 2], ValueError, r"var_shape\[1:\] \[2\] must be equal to grad_shape\[1:\] \[3\]"),
    ((3, 2), [[0, 1, 2]], ValueError, "indices rank must be equal to 1"),
    # (MindSpore 2.10: FusedSparseFtrl takes int32 indices only, h-left31's p5.py)
    ((3, 2), [0.0, 1.0, 2.0], TypeError, r"indices.*must be a type of \{Tensor\[Int32\]\}, but got Tensor\[Float32\]"),
])
def test_sparse_optimizers_argument_errors(on_real_server, grad_shape, idx, error, text):
    from gradserve.ops import operations as P
    var, acc, lin = _params(_VAR0, _ACC0, _LIN0)
    dtype = np.float32 if isinstance(np.asarray(idx).reshape(-1)[0], float) else np.int32
    with pytest.raises(error, match=r"For primitive\[FusedSparseFtrl\], .*" + text):
        P.FusedSparseFtrl(0.1, 0.0, 0.0, -0.5)(var, acc, lin, Tensor(np.ones(grad_shape, np.float32)),
                                                Tensor(np.array(idx, dtype)))
    with pytest.raises(ValueError, match="var shape \\[3, 2\\] must be equal to accum shape \\[3, 1\\]"):
        P.FusedSparseProximalAdagrad()(var, Tensor(np.ones((3, 1), np.float32)), 0.1, 0.0, 0.0,
                                       Tensor(np.ones((3, 2), np.float32)), Tensor(np.array([0, 1, 2], np.int32)))
    with pytest.raises(ValueError, match="lr_power"):
        P.SparseApplyFtrl(0.1, 0.0, 0.0, 0.5)


@pytest.mark.parametrize("grad_dtype, want_var", [
    (np.float16, [0.031169548630714417, 0.6212356090545654]),
    (np.float32, [0.031175434589385986, 0.621243953704834]),
])
def test_apply_adagrad_v2(on_real_server, grad_dtype, want_var):
    import gradserve as ms
    from gradserve import Parameter
    from gradserve.ops import operations as P
    var = Parameter(np.array([[0.1, 0.7]]), name="v")  # float64, as MindSpore's own vmap test
    acc = Parameter(np.array([[0.1, 0.3]]), name="a")
    out = P.ApplyAdagradV2(1e-6)(var, acc, Tensor(0.1, ms.float32), Tensor(np.array([[0.3, 0.7]], grad_dtype)))
    # MindSpore 2.10 CPU, the same call: Float64 outputs computed in float32
    assert out[0].dtype == ms.float64
    np.testing.assert_allclose(out[0].asnumpy()[0], want_var, rtol=1e-6)
    want_acc = {np.float16: [0.1900292932987213, 0.7902734875679016],
                np.float32: [0.1899999976158142, 0.7899999618530273]}[grad_dtype]
    np.testing.assert_allclose(acc.asnumpy()[0], want_acc, rtol=1e-7)
    var = Parameter(Tensor(np.array([[0.5, 0.25]], np.float32)), name="v2")
    acc = Parameter(Tensor(np.array([[0.5, 0.25]], np.float32)), name="a2")
    out = P.ApplyAdagradV2(1e-6, update_slots=False)(var, acc, 0.1, Tensor(np.array([[1.0, 2.0]], np.float32)))
    np.testing.assert_allclose(out[0].asnumpy(), [[0.35857886, -0.1499992]], rtol=1e-6)  # MindSpore 2.10
    np.testing.assert_array_equal(acc.asnumpy(), [[0.5, 0.25]])


def test_matrix_diag_part_v3_bands_aligns_and_gradient(on_real_server):
    import gradserve as ms
    from gradserve import ops
    from gradserve.ops.operations.array_ops import MatrixDiagPartV3
    x = np.arange(1, 1 + 2 * 4 * 3).reshape(2, 4, 3).astype(np.float32)
    # MindSpore 2.10 CPU, the same calls
    got = MatrixDiagPartV3("LEFT_LEFT")(Tensor(x), Tensor((-2, 1), ms.int32), Tensor(-1.0, ms.float32))
    np.testing.assert_array_equal(got.asnumpy(), [[[2, 6, -1], [1, 5, 9], [4, 8, 12], [7, 11, -1]],
                                                  [[14, 18, -1], [13, 17, 21], [16, 20, 24], [19, 23, -1]]])
    got = MatrixDiagPartV3("RIGHT_RIGHT")(Tensor(x), Tensor(-1, ms.int32), Tensor(0.0, ms.float32))
    np.testing.assert_array_equal(got.asnumpy(), [[4, 8, 12], [16, 20, 24]])
    g = ms.grad(lambda t: (MatrixDiagPartV3()(t, Tensor((-1, 1), ms.int32), Tensor(5.0, ms.float32)) ** 2).sum())(
        Tensor(x))
    np.testing.assert_array_equal(g.asnumpy(), [[[2, 4, 0], [8, 10, 12], [0, 16, 18], [0, 0, 24]],
                                                [[26, 28, 0], [32, 34, 36], [0, 40, 42], [0, 0, 48]]])
    # tests/st/ops/cpu/test_matrix_diag_part_v3_op.py: ops.matrix_diag_part, k = (1, 3), RIGHT_LEFT, padding 9
    m = np.array([[[1, 2, 3, 4], [5, 6, 7, 8], [9, 8, 7, 6]], [[5, 4, 3, 2], [1, 2, 3, 4], [5, 6, 7, 8]]], np.float32)
    got = ops.matrix_diag_part(Tensor(m), Tensor(np.array([1, 3]), ms.int32), Tensor(np.array(9), ms.float32),
                               align="RIGHT_LEFT")
    np.testing.assert_array_equal(got.asnumpy(), [[[9, 9, 4], [9, 3, 8], [2, 7, 6]], [[9, 9, 2], [9, 3, 4], [4, 3, 8]]])
    with pytest.raises(ValueError, match="k must lie in"):
        ops.matrix_diag_part(Tensor(m), Tensor(4, ms.int32), Tensor(0.0, ms.float32))


def _count(*args, **attrs):
    from gradserve.ops.operations import sparse_ops
    out = sparse_ops.SparseCountSparseOutput(**attrs)(*args)
    return [o.asnumpy() for o in out]


def test_sparse_count_sparse_output(on_real_server):
    import gradserve as ms
    ind = Tensor(np.array([[1, 2], [3, 4], [2, 1], [2, 2], [1, 0], [3, 3], [2, 0], [2, 2]]), ms.int64)
    vals = Tensor(np.array([0, 2, 8, 8, 1, 2, 3, 7]), ms.int32)
    shape = Tensor(np.array([5, 5]), ms.int64)
    w = Tensor(np.array([2, 5, 1, 0, 4, 2, 2, 2]), ms.int64)
    full = [[1, 0], [1, 1], [2, 3], [2, 7], [2, 8], [3, 2]]
    # MindSpore 2.10 CPU, the same calls: (indices, values, dense_shape)
    cases = [
        (dict(maxlength=10), (full, [2, 4, 2, 2, 1, 7], [5, 10])),
        (dict(minlength=12), (full, [2, 4, 2, 2, 1, 7], [5, 12])),
        (dict(minlength=12, maxlength=5), ([[1, 0], [1, 1], [2, 3], [3, 2]], [2, 4, 2, 7], [5, 5])),
        (dict(binary_output=True), (full, [1] * 6, [5, 9])),
    ]
    for attrs, want in cases:
        got = _count(ind, vals, shape, w, **attrs)
        for g, x in zip(got, want):
            np.testing.assert_array_equal(g, x)
        assert got[1].dtype == np.int64
    got = _count(ind, vals, shape, Tensor(np.zeros(0, np.float32)))  # no weights: counts of 1, weights' dtype
    np.testing.assert_array_equal(got[1], np.array([1, 1, 1, 1, 2, 2], np.float32))
    assert got[1].dtype == np.float32
    got = _count(Tensor(np.array([[0], [1], [3]]), ms.int64), Tensor(np.array([1, 1, 4]), ms.int64),
                 Tensor(np.array([4]), ms.int64), Tensor(np.array([1.5, 2.0, 1.0], np.float32)))
    for g, x in zip(got, ([[1], [4]], [3.5, 1.0], [5])):
        np.testing.assert_array_equal(g, x)
    with pytest.raises(RuntimeError, match="non-negative"):
        _count(ind, Tensor(np.array([0, 2, 8, -1, 1, 2, 3, 7]), ms.int32), shape, w)
    with pytest.raises(RuntimeError, match="weights"):
        _count(ind, vals, shape, Tensor(np.array([1, 2, 3]), ms.int64))


def test_jit_tensor_in_a_list_argument_holding_it(on_real_server):
    # tests/st/compiler/graph_syntax/test_contains.py::test_tensor_in_list: MindSpore 2.10's jit gives True / False
    import gradserve as ms
    from gradserve._branches import AmbiguousTruth

    @ms.jit
    def jit_in(a, b):
        return a in b

    @ms.jit
    def jit_not_in(a, b):
        return a not in b

    a = Tensor(np.ones((2, 3), np.float32))
    b = Tensor(np.array([[1, 2, 3], [4, 5, 6]], np.float32))
    assert jit_in(a, [a, b]) is True and jit_in(a, (a, b)) is True
    assert jit_not_in(a, [a, b]) is False
    other = Tensor(np.ones((2, 3), np.float32))  # equal values, another object: not the cached trace's answer
    with pytest.raises(AmbiguousTruth):
        jit_in(a, [other, b])
    assert jit_in(a, [a, b]) is True


def test_acosh_gradient_complex_branch_and_real(on_real_server):
    import gradserve as ms
    from gradserve import ops
    x = np.array([0.1 + 1.5j, -0.1 - 1.5j, 1.5 + 0.1j, -1.5 - 0.1j, -2.0 + 0.3j, 0.2 - 0.5j, -0.3 - 0.2j], np.complex64)
    g = ms.grad(lambda t: ops.acosh(t))(Tensor(x)).asnumpy()
    # MindSpore 2.10 CPU, the same call (rounded to 4 places there): conj(1 / sinh(acosh(x)))
    want = [0.0256 + 0.5538j, -0.0256 - 0.5538j, 0.8791 + 0.1048j, -0.8791 - 0.1048j, -0.5529 + 0.1095j,
            0.0739 - 0.9j, -0.0642 - 1.0199j]
    np.testing.assert_allclose(g, want, atol=1e-4)
    np.testing.assert_allclose(g, np.conj(1 / (np.sqrt(x - 1) * np.sqrt(x + 1))), rtol=1e-5)  # the principal branch
    r = np.array([1.5, 2.0, 10.0], np.float64)
    np.testing.assert_allclose(ms.grad(lambda t: ops.acosh(t))(Tensor(r)).asnumpy(), 1 / np.sqrt(r * r - 1),
                               rtol=1e-12)


def test_amp_auto_function_keeps_white_results_low(on_real_server):
    # tests/st/mix_precision/test_mix_precision_auto.py (cpu_linux items) and MindSpore 2.10 CPU on the same calls
    import gradserve as ms
    from gradserve import ops
    from gradserve.train.amp import auto_mixed_precision

    def f(a, b):
        y = ops.matmul(a, b)
        return y, y + 1, ops.exp(y)

    x = Tensor(np.ones([1, 2], np.float32))
    w = Tensor(np.ones([2, 3], np.float32))
    g = auto_mixed_precision(f, amp_level="auto", dtype=ms.float16)
    for out in (g(x, w), ms.jit(g)(x, w)):
        assert [o.dtype for o in out] == [ms.float16, ms.float16, ms.float32]  # MindSpore 2.10: the same
        np.testing.assert_allclose(out[2].asnumpy(), np.exp(2.0) * np.ones((1, 3)), rtol=1e-6)
    assert f(x, w)[0].dtype == ms.float32  # the function itself is not changed
    with pytest.raises(TypeError, match="Cell"):  # MindSpore: "For amp_level 'O2', the network type should be Cell."
        auto_mixed_precision(f, "O2")


def test_amp_auto_cell_values_and_train_amp_module(on_real_server):
    import gradserve as ms
    from gradserve import nn, ops
    from gradserve.train import amp as train_amp
    from gradserve.train.loss_scale_manager import FixedLossScaleManager
    assert train_amp.auto_mixed_precision is ms.amp.auto_mixed_precision
    assert FixedLossScaleManager is ms.amp.FixedLossScaleManager
    W = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 1.1, 1.2]], np.float32) / 3
    B = np.array([0.01, 0.02, 0.03], np.float32)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.d = nn.Dense(4, 3, weight_init=Tensor(W), bias_init=Tensor(B))

        def construct(self, x):
            y = self.d(x)
            return y, y * 3

    net = train_amp.auto_mixed_precision(Net(), "auto", dtype=ms.float16)
    y, y3 = net(Tensor(np.array([[0.3, -0.7, 1.1, 0.123]], np.float32)))
    # MindSpore 2.10 CPU, the same network: Float32 results (MatMul in float16, the bias added in float32)
    assert y.dtype == ms.float32 and y3.dtype == ms.float32
    np.testing.assert_allclose(y.asnumpy(), [[0.09966064244508743, 0.21934081614017487, 0.3390820324420929]],
                               rtol=1e-7)
    np.testing.assert_allclose(y3.asnumpy(), [[0.2989819347858429, 0.6580224633216858, 1.017246127128601]], rtol=1e-7)

    class Half(nn.Cell):
        def construct(self, x):
            return ops.cast(x, ms.float16), ops.cast(x, ms.int32)

    out = train_amp._OutputTo32(Half())(Tensor(np.array([1.5, 2.0], np.float32)))
    assert out[0].dtype == ms.float32 and out[1].dtype == ms.int32


def test_amp_auto_cell_results_as_they_come(on_real_server):
    # test_mix_precision_auto.py::test_auto_mix_precision_with_keyword_arguments (MindSpore 2.10 CPU passes it):
    # at 'auto' a Cell's MatMul result is float16, its Softmax's (auto black list) float32
    import gradserve as ms
    from gradserve import Parameter, nn, ops
    from gradserve.train.amp import auto_mixed_precision

    class SoftmaxNet(nn.Cell):
        def __init__(self, w):
            super().__init__()
            self.weight = Parameter(Tensor(w), name="weight")
            self.matmul = ops.MatMul()
            self.softmax = ops.Softmax(axis=1)

        def construct(self, x):
            out1 = self.matmul(x, self.weight)
            return out1, self.softmax(out1)

    rng = np.random.RandomState(21)
    w, x = rng.randn(4, 4).astype(np.float32), rng.randn(3, 4).astype(np.float32)
    out1, out2 = auto_mixed_precision(SoftmaxNet(w), amp_level="auto", dtype=ms.float16)(Tensor(x))
    assert out1.dtype == ms.float16 and out2.dtype == ms.float32
    want = x.astype(np.float16).astype(np.float32) @ w.astype(np.float16).astype(np.float32)
    np.testing.assert_allclose(out1.asnumpy(), want, rtol=2e-3, atol=2e-3)  # float16 rounding of the result
    e = np.exp(out1.asnumpy().astype(np.float32) - out1.asnumpy().astype(np.float32).max(1, keepdims=True))
    np.testing.assert_allclose(out2.asnumpy(), e / e.sum(1, keepdims=True), rtol=1e-6)
