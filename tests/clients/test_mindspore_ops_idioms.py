"""MindSpore functional ops and spellings found by running MindSpore's own test files through the SDK:
NaN gradients of maximum / minimum, functional spellings, narrow and wide integer dtypes, bitwise ops,
cummax / cummin, tensor_split family, fill_diagonal, hinge / lp_pool1d / dropout1d / IOU / UniqueWithPad,
Tensor.new_zeros / new_ones. Expected values come from MindSpore 2.10 (CPU, PyNative) run on the same programs for this task
(/work/wt/_msvenv), or from NumPy / finite differences / by hand where noted."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops
from gradserve.ops import functional as F
from gradserve.ops import operations as P


def close(t, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_give_a_nan_pair_the_whole_gradient(on_real_server, op):  # (NaN in JSON: a real server):
    # MindSpore 2.10 (ops.GradOperation(get_all=True, sens_param=True), either operand order) and PyTorch
    # (torch.maximum / torch.minimum backward) give both operands the whole cotangent where one is NaN
    x = Tensor(np.array([1.7, 9.6, 5.8, 2.0], np.float32))
    y = Tensor(np.array([np.nan, np.nan, 1.0, 2.0], np.float32))
    g = Tensor(np.array([1.43, -1.09, 0.034, 1.0], np.float32))
    f = getattr(ops, op)
    tie_or_win = {"maximum": ([1.0, 0.5], [0.0, 0.5]), "minimum": ([0.0, 0.5], [1.0, 0.5])}[op]
    for a, b, (sa, sb) in ((x, y, tie_or_win), (y, x, tie_or_win[::-1])):
        da, db = ops.GradOperation(get_all=True, sens_param=True)(f)(a, b, g)
        close(da, [1.43, -1.09, 0.034 * sa[0], sa[1]])
        close(db, [1.43, -1.09, 0.034 * sb[0], sb[1]])
    (t,) = [ms.jvp(f, (x, y), (Tensor(np.ones(4, np.float32)), Tensor(np.ones(4, np.float32))))[1]]
    close(t, [2.0, 2.0, 1.0, 1.0])  # the jvp is the vjp's transpose: each tangent in whole at a NaN


A = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)


B = np.array([[1.0, 2.0, 3.0], [0.5, -4.0, 1.0]], np.float32)


def test_functional_spellings_against_mindspore(on_real_server):  # NaN / inf in JSON: a real server
    from gradserve.ops import functional as F
    # MindSpore 2.10 (CPU, PyNative) on the same inputs
    x = Tensor(np.array([[1.5, -2.0, np.inf], [np.nan, 0.25, -np.inf]], np.float32))
    a, b = Tensor(A), Tensor(B)
    assert ops.isnan(x).asnumpy().tolist() == [[False, False, False], [True, False, False]]
    assert ops.isinf(x).asnumpy().tolist() == [[False, False, True], [False, False, True]]
    assert P.IsFinite()(x).asnumpy().tolist() == [[True, True, False], [False, True, False]]
    assert ops.gt(a, b).asnumpy().tolist() == [[False, False, False], [False, True, False]]
    assert ops.ne(a, b).asnumpy().tolist() == [[False, True, False], [False, True, True]]
    close(ops.subtract(a, b, alpha=2), [[-1, -6, -3], [-0.5, 12, -3]])
    close(ops.divide(a, b, rounding_mode="trunc"), [[1, -1, 1], [1, -1, -1]])
    close(ops.log2(ops.abs(a)), [[0.0, 1.0, 1.5849621], [-1.0, 2.0, 0.0]])
    close(ops.softshrink(a, 1.0), [[0, -1, 2], [0, 3, 0]])
    close(ops.hardshrink(a, 1.0), [[0, -2, 3], [0, 4, 0]])
    close(ops.tanhshrink(a), [[0.23840582, -1.0359724, 2.0049443], [0.03788283, 3.0006557, -0.23840582]])
    close(ops.softmin(a, axis=-1), [[0.04712338, 0.9464992, 0.00637745], [0.18142602, 0.00547859, 0.8130953]])
    close(ops.var(a, axis=1, ddof=1), [6.333334, 6.583333])
    close(ops.std(a, axis=0, ddof=0, keepdims=True), [[0.25, 3.0, 2.0]])
    assert ops.argsort(a, axis=1, descending=True).asnumpy().tolist() == [[2, 0, 1], [1, 0, 2]]
    assert ops.isclose(a, ops.add(b, 1e-6)).asnumpy().tolist() == [[True, False, True], [True, False, False]]
    assert ops.numel(a) == 6
    close(ops.mse_loss(a, b), 14.0)
    close(ops.l1_loss(a, b, reduction="none"), [[0, 4, 0], [0, 8, 2]])
    close(ops.cross_entropy(a, Tensor(np.array([2, 0], np.int32))), 1.8345574)
    labels = Tensor(np.array([[0, 0, 1], [0.25, 0.75, 0]], np.float32))
    loss, backprop = P.SoftmaxCrossEntropyWithLogits()(a, labels)
    close(loss, [0.13284527, 0.9112696])
    bp = [[0.11849965, 0.00589975, -0.12439942], [-0.22087824, 0.21438032, 0.00649794]]
    close(backprop, bp)
    gl, glab = ops.GradOperation(get_all=True)(lambda u, v: P.SoftmaxCrossEntropyWithLogits()(u, v)[0])(a, labels)
    close(gl, bp)                                   # MindSpore's bprop: backprop itself
    close(glab, np.zeros((2, 3)))                   # labels take no gradient
    close(ms.grad(lambda u: ops.std(u, axis=1, ddof=1).sum() + ops.softshrink(u, 1.0).sum())(a),
          [[0.06622661, 0.47018707, 1.4635863], [-0.12991396, 1.5521344, -0.42222035]])
    close(F.tensor_add(a, b), [[2, 0, 6], [1, 0, 0]])
    assert F.scalar_cast(8.5, ms.int64) == 8 and F.partial(lambda u, v: u - v, 5)(2) == 3
    with pytest.raises(ValueError, match="ScalarCast"):
        F.scalar_cast(3, ms.float32)


@pytest.mark.parametrize("dt", [np.uint8, np.int8, np.int16])
def test_cumsum_of_narrow_integers_keeps_their_dtype(fake, dt):
    # was a 500 (NumPy's cumsum of uint8 is uint64, a dtype the wire does not carry); MindSpore 2.10 keeps
    # the input's dtype (P.CumSum on uint8), wrapping as NumPy's cumsum(dtype=...) does
    x = np.array([[1, 2, 3], [4, 5, 6]], dt)
    y = P.CumSum()(Tensor(x), 1)
    assert y.dtype == ms.dtype.get(dt)
    np.testing.assert_array_equal(y.asnumpy(), np.cumsum(x, axis=1, dtype=dt))


def test_wide_unsigned_dtypes_are_named_and_kept(fake):
    # MindSpore 2.10's spelling: str(mstype.uint32) is 'UInt32', str(mstype.uint8) 'UInt8'; the whole uint64
    # range is kept (test_mindspore_wide_uints has their arithmetic)
    assert str(ms.uint32) == "UInt32" and str(ms.uint8) == "UInt8" and ms.uint16 != ms.int64
    assert Tensor(np.ones(2), dtype=ms.uint16).dtype == ms.uint16
    assert Tensor(np.array([2 ** 64 - 1], np.uint64)).asnumpy().tolist() == [2 ** 64 - 1]


def test_kl_div_binary_cross_entropy_sigmoid_cross_entropy(fake):
    from gradserve.ops import functional as F
    # MindSpore 2.10 (CPU, PyNative) on the same inputs
    p = Tensor(np.log(np.array([[0.3, 0.7], [0.5, 0.5]], np.float32)))
    t = Tensor(np.array([[-1.0, 1.0], [0.25, 0.75]], np.float32))
    close(P.KLDivLoss("none")(p, t), [[0.0, 0.35667494], [-0.1732868, 0.3040988]])
    close(P.KLDivLoss("mean")(p, t), 0.12187174)
    close(nn.KLDivLoss("batchmean")(p, t), 0.24374348)
    close(ms.grad(lambda a: P.KLDivLoss("sum")(a, t))(p), [[1.0, -1.0], [-0.25, -0.75]])  # -labels, unmasked
    x, y = Tensor(np.array([[0.1, 0.9, 0.5]], np.float32)), Tensor(np.array([[0.0, 1.0, 1.0]], np.float32))
    w = Tensor(np.array([1.0, 2.0, 0.5], np.float32))
    close(P.BinaryCrossEntropy("none")(x, y, w), [[0.10536055, 0.21072109, 0.34657359]])
    close(F.binary_cross_entropy(x, y, w), 0.22088508)
    close(ms.grad(lambda a: P.BinaryCrossEntropy("sum")(a, y, w))(x), [[1.1111112, -2.2222223, -1.0]])
    z = Tensor(np.array([[-2.0, 0.5], [3.0, 0.0]], np.float32))
    lab = Tensor(np.array([[0.0, 1.0], [1.0, 0.3]], np.float32))
    close(P.SigmoidCrossEntropyWithLogits()(z, lab), [[0.126928, 0.474077], [0.04858735, 0.6931472]])
    close(ms.grad(lambda a: P.SigmoidCrossEntropyWithLogits()(a, lab).sum())(z),
          [[0.11920292, -0.37754065], [-0.04742587, 0.2]])


def test_round5_names(on_real_server):
    x = Tensor(np.array([1.0, -2.0, 3.0], np.float32))
    y = Tensor(np.array([0.5, 4.0], np.float32))
    want = np.outer([1.0, -2.0, 3.0], [0.5, 4.0])  # NumPy
    close(P.Ger()(x, y), want)
    close(F.ger(x, y), want)
    close(x.ger(y), want)
    with pytest.raises(ValueError, match="1-D"):
        ops.ger(Tensor(np.ones((2, 2), np.float32)), y)
    a = np.array([[-0.3956, 1.1455, 1.6895], [-0.5849, 1.3672, 0.3599]], np.float32)
    b = np.array([[-0.0257, -1.4725, -1.2251], [-1.1479, -0.7005, -1.9757]], np.float32)
    close(F.cross(Tensor(a), Tensor(b), dim=1), np.cross(a, b), atol=1e-5)  # NumPy
    close(Tensor(a.T).cross(Tensor(b.T)), np.cross(a, b).T, atol=1e-5)  # dim None: the first axis of size 3
    c = F.cumprod(Tensor(np.array([1.0, 2.0, 3.0], np.float32)), 0, ms.int32)  # MindSpore's own test's values
    assert c.dtype == ms.int32
    close(c, [1, 2, 6])
    close(P.CumProd(exclusive=True, reverse=True)(Tensor(np.array([2.0, 3.0, 4.0], np.float32)), 0), [12.0, 4.0, 1.0])
    e = P.EqualCount()(Tensor(np.array([1, 20, 5], np.int32)), Tensor(np.array([2, 20, 5], np.int32)))
    assert e.dtype == ms.int32 and e.shape == (1,)
    close(e, [2])
    col = Tensor(np.array([[1.0], [2.0], [3.0]], np.float32))
    close(F.expand(col, Tensor(np.array([3, 4], np.int32))), np.repeat([[1.0], [2.0], [3.0]], 4, axis=1))
    close(col.expand((2, -1, 2)), np.broadcast_to(col.asnumpy(), (2, 3, 2)))
    assert x.half().dtype == ms.float16 and x.to(ms.int32).dtype == ms.int32
    close(P.ACos()(Tensor(np.array([0.5], np.float32))), np.arccos([0.5]))
    assert ops.gt is ops.greater and F.tensor_add is ops.add  # the alias table: one op object each
    ms.set_context(jit_syntax_level=ms.STRICT)


def test_bitwise_ops_and_integer_operators(on_real_server):
    # NumPy's bitwise_and / or / xor / invert (MindSpore 2.10's own test file compares with them)
    x_np = np.array([[5, -3, 12], [0, 7, -128]], np.int16)
    y_np = np.array([3, -1, 10], np.int16)
    x, y = Tensor(x_np), Tensor(y_np)
    for cls, fn, ref, op in ((P.BitwiseAnd, F.bitwise_and, np.bitwise_and, lambda a, b: a & b),
                             (P.BitwiseOr, F.bitwise_or, np.bitwise_or, lambda a, b: a | b),
                             (P.BitwiseXor, F.bitwise_xor, np.bitwise_xor, lambda a, b: a ^ b)):
        want = ref(x_np, y_np)
        for got in (cls()(x, y), fn(x, y), op(x, y), getattr(x, fn.__name__)(y)):
            assert got.dtype == ms.int16
            np.testing.assert_array_equal(got.asnumpy(), want)
    # ~ of an int tensor is logical_not, a bool tensor, in MindSpore 2.10 (PyNative and jit, run for this
    # review); ops.invert is the bitwise one (NumPy's invert)
    np.testing.assert_array_equal((~x).asnumpy(), [[False, False, False], [True, False, False]])
    np.testing.assert_array_equal(ops.invert(x).asnumpy(), np.invert(x_np))
    b1, b2 = Tensor(np.array([True, False, True])), Tensor(np.array([True, True, False]))
    np.testing.assert_array_equal((b1 & b2).asnumpy(), [True, False, False])  # bool masks stay logical
    np.testing.assert_array_equal((b1 ^ b2).asnumpy(), [False, True, True])
    with pytest.raises(Exception, match="integer or bool"):
        F.bitwise_and(Tensor(np.ones(2, np.float32)), Tensor(np.ones(2, np.float32)))
    batched = ops.vmap(F.bitwise_xor, in_axes=(0, 1))(Tensor(np.array([[1, 2], [3, 4]], np.int32)),
                                                     Tensor(np.array([[5, 6], [7, 8]], np.int32)))
    np.testing.assert_array_equal(batched.asnumpy(), [[1 ^ 5, 2 ^ 7], [3 ^ 6, 4 ^ 8]])


def test_cummax_cummin_carry_the_first_nan_and_its_index(on_real_server):
    # MindSpore 2.10 on this very input (it was a silently wrong number: NaN skipped)
    x = Tensor(np.array([[4, np.inf, np.nan, 1, 7], [2, 1, 3, np.nan, np.nan]], np.float32))
    v, i = ops.cummax(x, 1)
    nan, inf = np.nan, np.inf
    np.testing.assert_array_equal(v.asnumpy(), [[4.0, inf, nan, nan, nan], [2.0, 2.0, 3.0, nan, nan]])
    np.testing.assert_array_equal(i.asnumpy(), [[0, 1, 2, 2, 2], [0, 0, 2, 3, 4]])
    v, i = ops.cummin(x, 1)
    np.testing.assert_array_equal(v.asnumpy(), [[4.0, 4.0, nan, nan, nan], [2.0, 1.0, 1.0, nan, nan]])
    np.testing.assert_array_equal(i.asnumpy(), [[0, 0, 2, 2, 2], [0, 1, 1, 3, 4]])
    assert i.dtype == ms.int32


def test_integer_tensor_scatter_div_rounds_towards_zero(on_real_server):
    # MindSpore 2.10's own test (NumPy's a / b stored back into the integer array: truncation); negatives by hand
    x = Tensor(np.array([1, 2, 3, 4, 5, 6, 7, -8], np.int32))
    out = ops.tensor_scatter_div(x, Tensor(np.array([[4], [3], [1], [7], [7]], np.int32)),
                                 Tensor(np.array([2, 10, 11, 3, 1], np.int32)))
    assert out.dtype == ms.int32
    np.testing.assert_array_equal(out.asnumpy(), [1, 0, 3, 0, 2, 6, 7, -2])


def test_tensor_new_zeros_type_as_floor_divide(on_real_server):
    # by hand / NumPy (MindSpore 2.10's tests/st/tensor files check the same)
    x = Tensor(np.array([7.0, -7.0], np.float32))
    z = x.new_zeros((2, 3))
    assert z.dtype == ms.float32 and z.shape == (2, 3)
    np.testing.assert_array_equal(z.asnumpy(), np.zeros((2, 3)))
    assert x.new_zeros(4, dtype=ms.int32).dtype == ms.int32
    assert x.type_as(Tensor(np.array([1], np.int32))).dtype == ms.int32
    close(x.floor_divide(Tensor(np.array([2.0, 2.0], np.float32))), np.floor_divide([7.0, -7.0], 2.0))


class _Split(nn.Cell):
    def __init__(self, how, axis=None):
        super().__init__()
        self.how, self.axis = how, axis

    def construct(self, x, sections):
        if self.axis is None:
            return getattr(x, self.how)(sections)
        return x.tensor_split(sections, self.axis)


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
def test_tensor_split_family_follows_numpy_array_split(mode, on_real_server):
    ms.set_context(mode=mode)  # the fixture resets the context afterwards
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    for how, axis in (("vsplit", 0), ("hsplit", 1), ("dsplit", 2)):  # (method, the axis numpy splits along)
        for sections in (2, [1, 3], [-2]):
            out = _Split(how)(Tensor(a), sections)
            want = np.array_split(a, sections, axis=axis)
            assert len(out) == len(want), (how, sections)
            for o, w in zip(out, want):
                close(o, w)
    out = _Split("tensor_split", -1)(Tensor(a), 4)  # 5 into 4: the first chunk one longer
    assert [tuple(o.shape) for o in out] == [(3, 4, 2), (3, 4, 1), (3, 4, 1), (3, 4, 1)]


def test_tensor_split_empty_chunks_and_refusals_as_mindspore(on_real_server):
    a = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    # MindSpore 2.10: shapes [(3, 1), (3, 0), (3, 2), (3, 1)] and [(3,1)]*4 + [(3, 0)]
    assert [tuple(o.shape) for o in a.tensor_split([1, 1, 3], 1)] == [(3, 1), (3, 0), (3, 2), (3, 1)]
    assert [tuple(o.shape) for o in ops.tensor_split(a, 5, 1)] == [(3, 1)] * 4 + [(3, 0)]
    with pytest.raises(ValueError, match="dsplit.*at least 3"):
        ops.dsplit(a, 2)
    with pytest.raises(ValueError, match="sections must be positive"):
        a.tensor_split(0)
    with pytest.raises(TypeError, match="indices_or_sections"):
        a.tensor_split(1.5)


def test_fill_diagonal_positions_and_wrap(on_real_server):
    z = np.zeros((6, 3), np.float32)
    for wrap in (False, True):
        want = z.copy()
        np.fill_diagonal(want, 5.0, wrap=wrap)  # NumPy's positions (MindSpore's test expects the same)
        close(Tensor(z).fill_diagonal(5.0, wrap=wrap), want)
    cube = Tensor(np.zeros((3, 3, 3), np.float32)).fill_diagonal(2.0).asnumpy()
    assert [i.tolist() for i in cube.nonzero()] == [[0, 1, 2]] * 3  # MindSpore 2.10's nonzero()
    with pytest.raises(TypeError, match="fill_value must be a float"):  # MindSpore 2.10 refuses an int too
        Tensor(np.ones((2, 4), np.int32)).fill_diagonal(7)
    with pytest.raises(ValueError, match="sizes must be equal"):
        Tensor(np.zeros((2, 3, 3), np.float32)).fill_diagonal(1.0)


def test_hinge_embedding_loss_matches_mindspore(on_real_server):
    x = Tensor(np.array([0.2, 0.7, -0.3, 1.0], np.float32))
    y = Tensor(np.array([-1., -1., 1., -1.], np.float32))
    close(nn.HingeEmbeddingLoss(margin=0.5, reduction="none")(x, y), [0.3, 0.0, -0.3, 0.0])  # MindSpore 2.10
    close(ops.hinge_embedding_loss(x, y, 0.5, "sum"), 0.0)  # by hand: 0.3 + 0 - 0.3 + 0
    close(ops.hinge_embedding_loss(x, y, 2.0, "mean"), (1.8 + 1.3 - 0.3 + 1.0) / 4)  # by hand
    with pytest.raises(ValueError, match="reduction"):
        nn.HingeEmbeddingLoss(reduction="avg")


def test_hinge_embedding_loss_goes_by_the_targets_sign_as_mindspore(fake):
    # MindSpore 2.10 (CPU, PyNative), run for this review: a target > 0 counts as 1, < 0 as -1, and 0 adds
    # nothing (torch's rule would add x + max(0, margin - x) there: 1.0 for x = 0.5)
    x = Tensor(np.array([0.5, -0.3, 2.0, 1.5, 0.25, 0.7, 0.2, -1.0, 3.0], np.float32))
    y = Tensor(np.array([1., -1., 0., 2., 0.5, -1., -2., -3., -1.], np.float32))
    close(ops.hinge_embedding_loss(x, y, 1.0, "none"), [0.5, 1.3, 0.0, 1.5, 0.25, 0.3, 0.8, 2.0, 0.0])
    close(nn.HingeEmbeddingLoss(margin=1.0, reduction="none")(x, y), [0.5, 1.3, 0.0, 1.5, 0.25, 0.3, 0.8, 2.0, 0.0])
    close(ms.grad(lambda a: ops.hinge_embedding_loss(a, y, 1.0, "sum"))(x), [1., -1., 0., 1., 1., -1., -1., -1., 0.])


def test_lp_pool1d_matches_mindspore(on_real_server):
    x = Tensor(np.array([[[1., -2., 3., 0.5, 2.]], [[0.25, 1., -1., 4., 1.5]]], np.float32))
    close(nn.LPPool1d(norm_type=2, kernel_size=2, stride=1)(x),  # MindSpore 2.10
          [[[2.2360680, 3.6055512, 3.0413814, 2.0615528]], [[1.0307764, 1.4142135, 4.1231055, 4.2720017]]])
    close(ops.lp_pool1d(Tensor(np.array([[1., 2., 3., 4., 5.]], np.float32)), 3, 2),  # (C, L) input
          [[2.0800838, 4.4979415]])
    with pytest.raises(ValueError, match="norm_type can not be 0"):
        ops.lp_pool1d(x, 0, 2)


def test_dropout1d_drops_whole_channels(on_real_server):
    ms.set_seed(6)
    d = nn.Dropout1d(0.5)
    x = Tensor(np.ones((8, 16, 5), np.float32))
    close(d(x), np.ones((8, 16, 5)))  # not training: the input unchanged
    d.set_train()
    out = d(x).asnumpy()
    # each channel is all dropped (0) or all kept (scaled by 1 / (1 - p) = 2)
    assert set(np.unique(out).tolist()) == {0.0, 2.0}
    assert (out.min(axis=-1) == out.max(axis=-1)).all()
    kept = (out[..., 0] == 2.0).mean()
    assert 0.25 < kept < 0.75, kept  # 128 channels at p = 0.5
    close(nn.Dropout1d(1.0).set_train()(x), np.zeros((8, 16, 5)))  # MindSpore: p = 1 gives zeros
    with pytest.raises(ValueError, match="2-D .* or 3-D"):
        ops.dropout1d(Tensor(np.ones((2, 3, 4, 5), np.float32)), 0.5)


def test_iou_and_iof_match_mindspore(on_real_server):
    a = Tensor(np.array([[0., 0., 10., 10.], [5., 5., 20., 12.], [30., 30., 31., 31.]], np.float32))
    g = Tensor(np.array([[2., 3., 8., 15.], [0., 0., 4., 4.]], np.float32))
    # MindSpore 2.10: [gt, anchor], sides counted with both ends (+1), boxes apart give 0
    close(ops.IOU(mode="iou")(a, g), [[0.35897437, 0.171123, 0.0], [0.20661157, 0.0, 0.0]])
    close(ops.IOU(mode="iof")(a, g), [[0.61538464, 0.35164836, 0.0], [1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"gt_boxes must be \[n, 4\]"):
        ops.IOU()(a, Tensor(np.zeros((2, 3), np.float32)))


def test_unique_with_pad_matches_mindspore_eager_graph_and_vmap(on_real_server):
    x = np.array([3, 1, 3, 7, 1, 2], np.int32)
    want_y, want_idx = [3, 1, 7, 2, -1, -1], [0, 1, 0, 2, 1, 3]  # MindSpore 2.10: first-appearance order
    y, idx = ops.UniqueWithPad()(Tensor(x), -1)
    assert y.asnumpy().tolist() == want_y and idx.asnumpy().tolist() == want_idx
    assert str(idx.dtype) == "Int32"
    ys, idxs = ops.vmap(lambda v: ops.UniqueWithPad()(v, -1))(Tensor(np.stack([x, x[::-1].copy()])))
    assert ys.asnumpy().tolist() == [want_y, [2, 1, 7, 3, -1, -1]]  # the second row by hand
    assert idxs.asnumpy().tolist() == [want_idx, [0, 1, 2, 3, 1, 3]]

    class Net(nn.Cell):
        def construct(self, v):
            return ops.UniqueWithPad()(v, 0.0)

    ms.set_context(mode=ms.GRAPH_MODE)
    y, idx = Net()(Tensor(np.array([1, 2, 5, 2], np.float32)))
    assert y.asnumpy().tolist() == [1.0, 2.0, 5.0, 0.0] and idx.asnumpy().tolist() == [0, 1, 2, 1]


def test_tensor_new_ones_as_mindspore(on_real_server):
    x = Tensor(np.array([1, 2], np.int32))
    a, b = x.new_ones((2, 3)), x.new_ones(3, ms.float16)  # MindSpore 2.10: Int32 ones, Float16 ones
    assert a.asnumpy().tolist() == [[1, 1, 1], [1, 1, 1]] and a.dtype == ms.int32
    assert b.asnumpy().tolist() == [1.0, 1.0, 1.0] and b.dtype == ms.float16


def test_functional_switch(fake):
    from gradserve.ops import functional as F
    x, y = Tensor(np.array([1.0, 2.0])), Tensor(np.array([3.0, 4.0]))
    pick = ms.jit(lambda c, a, b: F.switch(c, a, b))
    np.testing.assert_array_equal(pick(Tensor(np.array(True)), x, y).asnumpy(), [1.0, 2.0])
    np.testing.assert_array_equal(pick(Tensor(np.array(False)), x, y).asnumpy(), [3.0, 4.0])
    with pytest.raises(ValueError, match="more than one element is ambiguous"):  # MindSpore 2.10's class and words
        pick(x > y, x, y)
