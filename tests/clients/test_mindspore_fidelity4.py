"""MindSpore idioms found by running MindSpore's own test files through the SDK (round 4). Expected values
come from MindSpore 2.10 (CPU, PyNative) run on the same programs for this task (/work/wt/_msvenv), or from
NumPy / finite differences where noted."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops
from gradserve.ops import operations as P


def close(t, want, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=rtol, atol=atol)


def test_jit_passes_var_keyword_and_keyword_only_arguments(fake):
    @ms.jit
    def foo(x, **kwargs):
        return x + kwargs.get('y')

    @ms.jit
    def bar(x, *, scale=2.0):
        return x * scale

    x = Tensor(np.array([3.0, 4.0], np.float32))
    close(foo(x, y=1), [4.0, 5.0])                   # MindSpore 2.10: [4. 5.]
    close(foo(x, y=Tensor(np.array([1.0, 2.0], np.float32))), [4.0, 6.0])
    close(bar(x), [6.0, 8.0])
    close(bar(x, scale=3.0), [9.0, 12.0])            # a second keyword value: a second trace, not the first's
    close(ms.grad(lambda a: foo(a, y=a).sum())(x), [2.0, 2.0])


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


class _Mul3(ms._Function):
    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.k = k
        return x * x * y * k, x + y

    @staticmethod
    def backward(ctx, dz, dw):
        x, y = ctx.saved_tensors
        return 2 * x * y * ctx.k * dz + dw, x * x * ctx.k * dz + dw, None


class _BroadcastGrad(ms._Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, d):
        g = Tensor(np.array([[1, 2, 3], [4, 5, 6]], np.int64))
        return g, g


class _NonDiff(ms._Function):
    @staticmethod
    def forward(ctx, x):
        z = x * 2
        ctx.mark_non_differentiable(z)
        return z

    @staticmethod
    def backward(ctx, dz):
        return dz + 1


class _WrongCount(ms._Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, d):
        return d


def test_custom_function_forward_backward_ctx(fake):
    # MindSpore 2.10 (mindspore._Function, ops.GradOperation(get_all=True)) on the same classes
    x, y = Tensor(np.array([1.0, 2.0, 3.0], np.float32)), Tensor(np.array([0.5, -1.0, 2.0], np.float32))
    z, w = _Mul3.apply(x, y, 2.0)                       # outside a gradient: forward alone
    close(z, [1.0, -8.0, 36.0])
    close(w, [1.5, 1.0, 5.0])
    gx, gy = ops.GradOperation(get_all=True)(lambda a, b: _Mul3.apply(a, b, 2.0))(x, y)
    close(gx, [3.0, -7.0, 25.0])                        # backward's rule (saved tensors, ctx.k), not autodiff's
    close(gy, [3.0, 9.0, 19.0])
    gx, gy = ops.GradOperation(get_all=True)(_BroadcastGrad.apply)(x, Tensor(np.ones((2, 3), np.float32)))
    assert gx.dtype == ms.float32 and gy.dtype == ms.float32   # int64 gradients cast to the inputs' dtype
    close(gx, [5.0, 7.0, 9.0])                          # summed down to x's broadcast shape
    close(gy, [[1, 2, 3], [4, 5, 6]])
    (g,) = ops.GradOperation(get_all=True)(_NonDiff.apply)(x)
    close(g, [0.0, 0.0, 0.0])                           # only a non-differentiable output: backward not called
    with pytest.raises(RuntimeError, match="wrong number of gradients"):
        ops.GradOperation(get_all=True)(_WrongCount.apply)(x, y)


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


class _ExtraGrads(nn.Cell):
    def construct(self, x, y):
        return x * y * y

    def bprop(self, x, y, out, dout):
        return x + y, x * y, out, dout


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
def test_bprop_returning_more_gradients_than_inputs_keeps_the_first(fake, mode):
    ms.set_context(mode=mode)
    # MindSpore 2.10, both modes: (3, 2) -- the extras (out, dout) are ignored
    gx, gy = ops.GradOperation(get_all=True)(_ExtraGrads())(Tensor(1, ms.float32), Tensor(2, ms.float32))
    close(gx, 3.0)
    close(gy, 2.0)


def test_dynamic_rank_placeholder_in_set_inputs(fake):
    # Tensor(dtype=...) is MindSpore's dynamic-rank placeholder (shape [-2]): set_inputs accepts any shape
    net = nn.Dense(3, 2)
    net.set_inputs(Tensor(dtype=ms.float32))
    assert Tensor(dtype=ms.float32).shape == (-2,)
    x = Tensor(np.ones((4, 3), np.float32))
    close(net(x), ops.matmul(x, net.weight.T) + net.bias)
    with pytest.raises(ValueError, match="input_data or shape"):
        Tensor()


def test_pool_cells_with_explicit_padding_prelu_groupnorm_margin_ranking(fake):
    # MindSpore 2.10 (CPU, PyNative) on the same programs
    x = Tensor(np.arange(2 * 1 * 5 * 5, dtype=np.float32).reshape(2, 1, 5, 5) % 7)
    pool = nn.AvgPool2d(kernel_size=3, stride=2, pad_mode='pad', padding=1, divisor_override=5)
    close(pool(x)[0, 0], [[2.4, 2.6, 2.0], [4.2, 6.2, 3.6], [1.8, 2.4, 2.8]])
    close(ms.grad(lambda u: (pool(u) ** 2).sum())(x)[1, 0],
          [[1.12, 2.96, 1.84, 2.8, 0.96], [2.48, 6.32, 3.84, 6.48, 2.64], [1.36, 3.36, 2.0, 3.68, 1.68],
           [2.8, 6.56, 3.76, 6.16, 2.4], [1.44, 3.2, 1.76, 2.48, 0.72]])
    y = nn.AvgPool2d(kernel_size=2, stride=1, pad_mode='pad', padding=1, count_include_pad=False)(x)
    close(y[0, 0, 0], [0.0, 0.5, 1.5, 2.5, 3.5, 4.0])
    close(nn.MaxPool2d(kernel_size=3, stride=2, pad_mode='pad', padding=1)(x)[1, 0], [[5, 6, 6], [6, 6, 6], [6, 6, 6]])
    with pytest.raises(ValueError, match="padding must be 0"):
        nn.MaxPool2d(kernel_size=3, padding=1)
    p = nn.PReLU(channel=2, w=-0.25)
    z = Tensor(np.array([[[0.9, -0.1], [-0.4, -0.6]], [[0.4, -0.6], [-0.6, -0.5]]], np.float32))
    close(p(z), [[[0.9, 0.025], [0.1, 0.15]], [[0.4, 0.15], [0.15, 0.125]]])
    close(ops.GradOperation(get_by_list=True)(p, p.trainable_params())(z)[0], [-0.7, -2.1])
    gn = nn.GroupNorm(2, 4)
    w = Tensor((np.arange(2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3) % 5) - 2)
    close(gn(w)[1], [[0.0, 0.77459, 1.54919], [-1.54919, -0.77459, 0.0], [0.62017, 1.36438, -1.61245],
                     [-0.86824, -0.12403, 0.62017]])
    close(ms.grad(lambda u: (gn(u) * u).sum())(w)[0], [[-1.11804, -0.44721, 0.22361], [0.89443, 1.56525, -1.11804],
                                                       [-0.62018, 0.12404, 0.86825], [1.61246, -1.36439, -0.62018]])
    a, b = Tensor(np.array([1.0, -2.0, 3.0], np.float32)), Tensor(np.array([2.0, 0.5, 3.5], np.float32))
    t = Tensor(np.array([1.0, -1.0, 1.0], np.float32))
    close(nn.MarginRankingLoss(margin=0.5)(a, b, t), 0.8333333)
    close(nn.MarginRankingLoss(reduction='none')(a, b, t), [1.0, 0.0, 0.5])
    assert a.dim() == 1


def test_train_one_step_cell_returns_named_gradients(fake):
    net = nn.Dense(3, 1, weight_init="ones", bias_init="zeros")
    opt = nn.SGD(net.trainable_params(), learning_rate=0.1)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt, return_grad=True)
    x, y = Tensor(np.array([[1.0, 2.0, 3.0]], np.float32)), Tensor(np.array([[4.0]], np.float32))
    loss, grads = step(x, y)
    close(loss, 4.0)                                        # (6 - 4)^2, before the update
    assert sorted(grads) == sorted(p.name for p in net.trainable_params())
    close(grads[net.weight.name], [[4.0, 8.0, 12.0]])       # 2 (w.x + b - y) x, by hand
    close(grads[net.bias.name], [4.0])


def test_random_draws_are_eager_and_seeded(fake):
    a = ops.randn(2, 3, seed=7)
    assert a.shape == (2, 3) and a.dtype == ms.float32
    close(ops.randn((2, 3), seed=7), a.asnumpy())          # one seed, one draw
    assert ops.randint(0, 5, (4,)).dtype == ms.int64 and ops.rand_like(a).shape == (2, 3)
    with pytest.raises(TypeError, match="outside grad"):
        ms.grad(lambda u: (u * ops.randn(2, 3)).sum())(a)


def test_lstm_weight_lists_can_be_replaced(fake):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.LSTM(4, 3, num_layers=1)  # PyTorch's gate order (i, f, g, o) is MindSpore's
    net = nn.LSTM(4, 3, num_layers=1)
    w = {k: Parameter(Tensor(v.detach().numpy()), name=k) for k, v in ref.named_parameters()}
    net.w_ih_list = [w["weight_ih_l0"]]                   # MindSpore's ParameterTuples: assigning replaces them
    net.w_hh_list = [w["weight_hh_l0"]]
    net.b_ih_list, net.b_hh_list = [w["bias_ih_l0"]], [w["bias_hh_l0"]]
    assert net.w_ih_list[0] is w["weight_ih_l0"]
    x = np.random.default_rng(1).standard_normal((5, 2, 4)).astype(np.float32)
    h0, c0 = np.zeros((1, 2, 3), np.float32), np.zeros((1, 2, 3), np.float32)
    out, _ = net(Tensor(x), (Tensor(h0), Tensor(c0)))
    want, _ = ref(torch.from_numpy(x), (torch.from_numpy(h0), torch.from_numpy(c0)))
    close(out, want.detach().numpy())
    assert sorted(p.name for p in net.trainable_params()) == sorted(w)


@pytest.mark.parametrize("dt", [np.uint8, np.int8, np.int16])
def test_cumsum_of_narrow_integers_keeps_their_dtype(fake, dt):
    # was a 500 (NumPy's cumsum of uint8 is uint64, a dtype the wire does not carry); MindSpore 2.10 keeps
    # the input's dtype (P.CumSum on uint8), wrapping as NumPy's cumsum(dtype=...) does
    x = np.array([[1, 2, 3], [4, 5, 6]], dt)
    y = P.CumSum()(Tensor(x), 1)
    assert y.dtype == ms.dtype.get(dt)
    np.testing.assert_array_equal(y.asnumpy(), np.cumsum(x, axis=1, dtype=dt))


def test_wide_unsigned_dtypes_are_named_and_refused_clearly(fake):
    # mstype.uint16 / uint32 / uint64 exist in MindSpore; gradserve names them and refuses Tensors of them
    # (it holds unsigned integers wider than 8 bits as int64), and never wraps a uint64 value silently
    assert str(ms.uint32) == "Uint32" and ms.uint16 != ms.int64
    with pytest.raises(TypeError, match="Uint16 is not supported"):
        Tensor(np.ones(2), dtype=ms.uint16)
    with pytest.raises(TypeError, match="above 2\\*\\*63"):
        Tensor(np.array([2 ** 64 - 1], np.uint64))
    assert Tensor(np.array([7], np.uint64)).asnumpy().tolist() == [7]   # representable: kept (as int64)


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


class _Applies(nn.Cell):
    def __init__(self, prim, n):
        super().__init__()
        self.prim, self.n = prim, n
        for i, v in enumerate([1.0, 0.5, 0.25][:n]):
            setattr(self, f"p{i}", Parameter(Tensor(np.full((2, 2), v, np.float32)), name=f"p{i}"))

    def construct(self, *a):
        ps = [getattr(self, f"p{i}") for i in range(self.n)]
        self.prim(*ps, *a)
        return tuple(ps)


_G = np.array([[0.1, -0.2], [0.3, 0.4]], np.float32)


def _f(v):
    return Tensor(v, ms.float32)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("prim, n, args, want", [
    # MindSpore 2.10 (CPU), both modes: the Parameters after one call
    (P.ApplyGradientDescent(), 1, (_f(0.1), Tensor(_G)), [[[0.99, 1.02], [0.97, 0.96]]]),
    (P.ApplyMomentum(), 2, (_f(0.1), Tensor(_G), _f(0.9)),
     [[[0.945, 0.975], [0.925, 0.915]], [[0.55, 0.25], [0.75, 0.85]]]),
    (P.ApplyAdagrad(), 2, (_f(0.1), Tensor(_G)),
     [[[0.985997, 1.027217], [0.960943, 0.950763]], [[0.51, 0.54], [0.59, 0.66]]]),
    (P.ApplyRMSProp(), 3, (_f(0.1), Tensor(_G), 0.9, 0.8, 1e-6),
     [[[0.785109, 0.829683], [0.755719, 0.741404]], [[0.451, 0.454], [0.459, 0.466]],
      [[0.214891, 0.170317], [0.244281, 0.258596]]]),
    (P.Adam(), 3, (_f(0.9), _f(0.999), _f(0.01), _f(0.9), _f(0.999), _f(1e-8), Tensor(_G)),
     [[[0.997089, 0.997279], [0.996963, 0.9969]], [[0.46, 0.43], [0.48, 0.49]],
      [[0.24976, 0.24979], [0.24984, 0.24991]]]),
])
def test_optimizer_primitives_update_parameters(fake, mode, prim, n, args, want):
    ms.set_context(mode=mode)
    net = _Applies(prim, n)
    out = net(*args)
    for o, p, w in zip(out, [getattr(net, f"p{i}") for i in range(n)], want):
        close(o, w)
        close(p, w)          # the Parameters themselves hold the update


def test_apply_momentum_nesterov_follows_the_documented_rule(fake):
    # MindSpore's documented Nesterov rule: var -= lr * (grad + momentum * accum_new), by hand
    # (MindSpore 2.10's CPU kernel ignores use_nesterov; the documented rule is the one kept here)
    net = _Applies(P.ApplyMomentum(use_nesterov=True), 2)
    net(_f(0.1), Tensor(_G), _f(0.9))
    acc = 0.5 * 0.9 + _G
    close(net.p1, acc)
    close(net.p0, 1.0 - 0.1 * (_G + 0.9 * acc))


class _Stack(nn.Cell):
    def __init__(self):
        super().__init__()
        self.layers = nn.CellList([nn.Dense(2, 3, weight_init="ones", bias_init="zeros"),
                                   nn.Dense(3, 1, weight_init="ones", bias_init="zeros")])

    def construct(self, x):
        for layer in self.layers:
            x = layer(x)
        return x.sum()


def test_cell_list_parameters_belong_to_the_network(fake):
    # a CellList's cells' Parameters were invisible to trainable_params (so to grad-by-weights and the
    # optimizers): MindSpore lists all four here; expected gradients by hand (NumPy)
    net = _Stack()
    params = net.trainable_params()
    assert len(params) == 4 and len({p.name for p in params}) == 4
    x = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    grads = ops.GradOperation(get_by_list=True)(net, ms.ParameterTuple(params))(Tensor(x))
    h = x @ np.ones((2, 3), np.float32)                  # first layer's output
    close(grads[0], np.ones((3, 1)) @ x.sum(0, keepdims=True))   # d/dW1 = W2^T 1 x
    close(grads[1], [2.0, 2.0, 2.0])
    close(grads[2], h.sum(0, keepdims=True))
    close(grads[3], [2.0])
    before = net.layers[1].weight.asnumpy().copy()
    nn.TrainOneStepCell(net, nn.SGD(params, learning_rate=0.1))(Tensor(x))
    close(net.layers[1].weight, before - 0.1 * h.sum(0, keepdims=True))   # the optimizer reached it


class _Lin(nn.Cell):
    def __init__(self, k):
        super().__init__()
        self.w = Parameter(Tensor(np.full((3,), k, np.float32)), name="w")

    def construct(self, x, y):
        return x * self.w + y


def test_vmap_over_a_cell_list_is_model_ensembling(fake):
    from gradserve.ops import functional as F
    cells = nn.CellList([_Lin(1.0), _Lin(2.0), _Lin(3.0)])
    x = Tensor(np.arange(9, dtype=np.float32).reshape(3, 3))
    y = Tensor(np.array([1.0, -1.0, 0.5], np.float32))
    # MindSpore 2.10 (F.vmap of a CellList): cell i on row i / on the same inputs, stacked on out_axes
    close(F.vmap(cells, (0, None), 0)(x, y), [[1.0, 0.0, 2.5], [7.0, 7.0, 10.5], [19.0, 20.0, 24.5]])
    close(F.vmap(cells, (None, None), 1)(x[0], y), [[1.0, 1.0, 1.0], [0.0, 1.0, 2.0], [2.5, 4.5, 6.5]])
    gx, gy = ops.GradOperation(get_all=True)(lambda a, b: F.vmap(cells, (0, None), 0)(a, b))(x, y)
    close(gx, [[1, 1, 1], [2, 2, 2], [3, 3, 3]])      # MindSpore 2.10
    close(gy, [3, 3, 3])
    # each cell's own weight gets the derivative of its row: d/dw_i sum(x_i * w_i + y) = x_i (by hand;
    # MindSpore 2.10 returns zeros here, its ensembling differentiates stacked copies of the weights)
    gw = ops.GradOperation(get_by_list=True)(lambda a, b: F.vmap(cells, (0, None), 0)(a, b),
                                             ms.ParameterTuple(cells.trainable_params()))(x, y)
    close(np.stack([g.asnumpy() for g in gw]), x.asnumpy())
    with pytest.raises(ms.errors.ShapeError, match="CellList of 3 cells"):
        F.vmap(cells, (0, None), 0)(x[:2], y)
