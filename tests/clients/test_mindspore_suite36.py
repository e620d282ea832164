"""Sample seed 36 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 36").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (PyNative); the call that
gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, mint, nn, ops
from gradserve.nn.probability import distribution as msd

V = np.array([0.3, 1.5], np.float32)
X16 = np.array([[1.5, 2.7, -3.2], [4.9, 5.1, 6.0]], np.float16)


# -- silently different before -----------------------------------------------------------------------------
def test_mint_prod_computes_in_its_integer_dtype(on_real_server):
    # st/ops/test_ops_reduce_extend.py: mint.prod(x, dim, dtype=int8 / uint8 / int32) gave int64 and the unwrapped
    # product (int8 over all: -720). MindSpore 2.10, x = X16: the input cast to dtype, the product wrapped in it
    x = Tensor(X16)
    for dt, dim, want in ((ms.int8, -1, [-6, 120]), (ms.int8, None, 48), (ms.uint8, -1, [250, 120]),
                          (ms.uint8, None, 48), (ms.int32, -1, [-6, 120]), (ms.int32, None, -720)):
        out = mint.prod(x, dim, False, dtype=dt)
        assert out.dtype == dt and out.asnumpy().tolist() == want, (dt, dim)
    out = mint.prod(Tensor(np.array([[100, 3], [-7, 50]], np.int32)), 1, dtype=ms.int8)
    assert out.dtype == ms.int8 and out.asnumpy().tolist() == [44, -94]
    # unchanged: no dtype widens narrow integers to int64; float32 of float16; the gradient is float16
    assert mint.prod(Tensor(np.array([1, 2], np.int8))).dtype == ms.int64
    np.testing.assert_allclose(mint.prod(x, -1, dtype=ms.float32).asnumpy(), [-12.953086853027344, 149.9381103515625],
                               rtol=1e-6)
    g = ops.GradOperation()(lambda a: mint.prod(a, -1, False, dtype=ms.int8))(x)
    assert g.dtype == ms.float16 and g.asnumpy().tolist() == [[-6.0, -3.0, 2.0], [30.0, 24.0, 20.0]]


class _OneGradient(nn.Cell):
    def construct(self, x, y):
        return x * y

    def bprop(self, x, y, out, dout):
        return (dout,)


class _LoneTensor(nn.Cell):
    def construct(self, x):
        return x * 2

    def bprop(self, x, out, dout):
        return dout * 3


class _NoneRule(nn.Cell):
    def construct(self, x):
        return x * 2

    def bprop(self, x, out, dout):
        return None


def test_what_a_bprop_returns_checked_by_mode(on_real_server):
    # ut/python/optimizer/test_bprop_exception.py: a GRAPH_MODE bprop returning a Tensor ran; a None was zeros.
    # MindSpore 2.10, GradOperation(get_all=True) at x = [1] (y = [2]):
    x, y = Tensor([1.0], ms.float32), Tensor([2.0], ms.float32)
    grad = ops.GradOperation(get_all=True)
    # PyNative: a lone Tensor is the gradient ([3]); too few: RuntimeError; None: TypeError
    assert grad(_LoneTensor())(x)[0].asnumpy().tolist() == [3.0]
    with pytest.raises(RuntimeError, match="Grad size should lager than forward inputs, but got 1 vs 2"):
        grad(_OneGradient())(x, y)
    with pytest.raises(TypeError, match="The python function output is none."):
        grad(_NoneRule())(x)
    # @jit in PyNative and GRAPH_MODE: anything but a tuple is TypeError; too few: RuntimeError
    with pytest.raises(TypeError, match="For bprop function, output should be a tuple, but got"):
        ms.jit(lambda a: grad(_LoneTensor())(a))(x)
    context.set_context(mode=context.GRAPH_MODE)
    for cell in (_LoneTensor(), _NoneRule()):
        with pytest.raises(TypeError, match="For bprop function, output should be a tuple, but got"):
            grad(cell)(x)
    with pytest.raises(RuntimeError, match=r"The output size of the 'bprop' must match the number of parameters in "
                                           r"its corresponding primal function '_OneGradient\(\)' : 1 vs. 2."):
        grad(_OneGradient())(x, y)


def test_transpose_of_a_float_axis_is_refused(on_real_server):
    # ut/python/graph_syntax/tensor/tensor_methods/test_tensor_transpose.py: x.transpose(1.0, 0) truncated 1.0 and
    # transposed; MindSpore 2.10 (PyNative) TypeError "transpose(): argument 'dim0' (position 1) must be int, not
    # float." (GRAPH_MODE: its TypeError 'Failed calling transpose with "transpose(float, int)"...')
    x = Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    with pytest.raises(TypeError, match=r"transpose\(\): argument 'dim0' \(position 1\) must be int, not float."):
        x.transpose(1.0, 0)
    with pytest.raises(TypeError, match=r"transpose\(\): argument 'dim0' \(position 1\) must be int, not bool."):
        x.transpose(True, 0)
    # three ints on a 2-D Tensor stay the permutation's ValueError (MindSpore 2.10's class)
    with pytest.raises(ValueError):
        Tensor(np.ones((2, 3), np.float32)).transpose(0, 2, 1)
    context.set_context(mode=context.GRAPH_MODE)
    with pytest.raises(TypeError):
        ms.jit(lambda a: a.transpose(1.0, 0))(x)
    # ints as before: (2, 0, 1) / ((2, 0, 1),) -> (4, 2, 3); (0, 2) -> (4, 3, 2); () -> (4, 3, 2); np.int64(1), 0
    for args, shape in (((2, 0, 1), (4, 2, 3)), (((2, 0, 1),), (4, 2, 3)), ((0, 2), (4, 3, 2)), ((), (4, 3, 2)),
                        ((np.int64(1), 0), (3, 2, 4))):
        assert x.transpose(*args).shape == shape


# -- missing names -------------------------------------------------------------------------------------------
def test_exponential_closed_forms(on_real_server):
    # ut/python/nn/probability/distribution/test_exponential.py: Exponential was NotImplementedError. MindSpore 2.10,
    # msd.Exponential([0.5, 2.0], dtype=float32) at value [0.3, 1.5], rate made / rate [1.5] at the call:
    e = msd.Exponential([0.5, 2.0], dtype=ms.float32)
    assert isinstance(e, msd.Distribution) and repr(e) == "Exponential(batch_shape = (2,))"
    assert repr(msd.Exponential(0.5)) == "Exponential(rate = 0.5)" and repr(msd.Exponential()) == "Exponential(rate = None)"
    v, r = Tensor(V), Tensor([1.5], ms.float32)
    want = {"prob": ([0.43035390973091125, 0.09957405924797058], [0.9564421772956848, 0.1580987274646759]),
            "log_prob": ([-0.8431471586227417, -2.3068528175354004], [-0.044534921646118164, -1.8445348739624023]),
            "cdf": ([0.13929206132888794, 0.9502129554748535], [0.36237210035324097, 0.8946008682250977]),
            "log_cdf": ([-1.9711823463439941, -0.05106915533542633], [-1.01508367061615, -0.11137761920690536]),
            "survival_function": ([0.8607079386711121, 0.049787022173404694], [0.637627899646759, 0.10539916157722473]),
            "log_survival": ([-0.15000000596046448, -3.0], [-0.45000001788139343, -2.25])}
    for method, (made, given) in want.items():
        # (MindSpore's CPU exp is up to 3 float32 ulps from the float64 value (its cdf at 1.5, rate 1.5: 0.89460087,
        # true 0.894600775, ours 0.89460075), and log_cdf near 0 carries that as 1.3e-7 absolute: float32 precision)
        np.testing.assert_allclose(getattr(e, method)(v).asnumpy(), made, rtol=1e-6, atol=2e-7, err_msg=method)
        np.testing.assert_allclose(getattr(e, method)(v, r).asnumpy(), given, rtol=1e-6, atol=2e-7, err_msg=method)
    # outside the support: prob [0, 2.0000005] (2 in NumPy's exp), cdf [0, 0], log_prob [-inf, log 2], sf [1, 1]
    out = Tensor([-1.0, 0.0], ms.float32)
    np.testing.assert_allclose(e.prob(out).asnumpy(), [0.0, 2.0], rtol=1e-6)
    assert e.cdf(out).asnumpy().tolist() == [0.0, 0.0] and e.survival_function(out).asnumpy().tolist() == [1.0, 1.0]
    lp = e.log_prob(out).asnumpy()
    assert lp[0] == -np.inf and lp[1] == pytest.approx(0.6931471824645996)
    for method, expect in (("mean", [2.0, 0.5]), ("mode", [0.0, 0.0]), ("sd", [2.0, 0.5]), ("var", [4.0, 0.25]),
                           ("entropy", [1.6931471824645996, 0.3068528175354004])):
        np.testing.assert_allclose(getattr(e, method)().asnumpy(), expect, rtol=1e-6, err_msg=method)
    b = Tensor([1.0, 3.0], ms.float32)
    np.testing.assert_allclose(e.kl_loss("Exponential", b).asnumpy(), [0.3068528175354004, 0.09453487396240234], rtol=1e-6)
    np.testing.assert_allclose(e.cross_entropy("Exponential", b).asnumpy(), [2.0, 0.40138769149780273], rtol=1e-6)
    # a call's first argument names the method: e("mean") of rate 0.5 -> 2.0; mean(rate [4]) -> [0.25]
    assert msd.Exponential(0.5)("mean").asnumpy() == pytest.approx(2.0)
    assert msd.Exponential(0.5).mean(Tensor([4.0], ms.float32)).asnumpy().tolist() == [0.25]
    # d/d rate of sum(log_prob(value, rate)) at rate [0.5, 2] -> [1.7, -1.0]
    g = ms.grad(lambda rate: e.log_prob(v, rate).sum())(Tensor([0.5, 2.0], ms.float32))
    np.testing.assert_allclose(g.asnumpy(), [1.7000000476837158, -1.0], rtol=1e-6)


def test_exponential_checks(on_real_server):
    # MindSpore 2.10's classes and texts, each from a call of msd.Exponential as written
    with pytest.raises(TypeError, match=r"For 'Exponential', the 'dtype' should be one of \[mindspore.float16, .*"
                                        r"but got 'mindspore.int32'."):
        msd.Exponential([0.1], dtype=ms.int32)
    with pytest.raises(TypeError, match="For 'Exponential', the type of 'name' should be 'str', but got type 'float'."):
        msd.Exponential([0.1], name=1.0)
    with pytest.raises(TypeError, match="For 'Exponential', the 'seed' must be int, but got 'str'"):
        msd.Exponential([0.1], seed="seed")
    for rate in ([-0.1], [0.0]):
        with pytest.raises(ValueError, match="rate must be greater than zero."):
            msd.Exponential(rate, dtype=ms.float32)
    with pytest.raises(TypeError, match="the type rate must be subclass of Tensor. It can not be None since it is not "
                                        "specified during initialization."):
        msd.Exponential(dtype=ms.float32).prob(Tensor(V))
    with pytest.raises(ValueError, match="Expected dist input is Exponential, but got Normal."):
        msd.Exponential(0.5).kl_loss("Normal", Tensor([1.0], ms.float32))


def test_apply_adadelta(on_real_server):
    # st/ops/cpu/test_apply_adadelta_op.py: ApplyAdadelta was NotImplementedError. MindSpore 2.10, P.ApplyAdadelta()
    # of Parameters var [1, -2, 0.5], accum [0.1, 0, 2], accum_update [0, 0.3, 1], lr 0.1, rho 0.9, epsilon 1e-4,
    # grad [0.7, -1.2, 0.05] (float32): the three outputs, each also written into its Parameter
    from gradserve import Parameter
    from gradserve.ops import operations as P
    var = Parameter(Tensor(np.array([1.0, -2.0, 0.5], np.float32)), name="var")
    acc = Parameter(Tensor(np.array([0.1, 0.0, 2.0], np.float32)), name="acc")
    au = Parameter(Tensor(np.array([0.0, 0.3, 1.0], np.float32)), name="au")
    out = P.ApplyAdadelta()(var, acc, au, Tensor(0.1, ms.float32), Tensor(0.9, ms.float32), Tensor(1e-4, ms.float32),
                            Tensor(np.array([0.7, -1.2, 0.05], np.float32)))
    want = ([0.9981231093406677, -1.8268262147903442, 0.496273398399353],
            [0.13899999856948853, 0.14400003850460052, 1.8002499341964722],
            [3.5226461477577686e-05, 0.5698916912078857, 0.9001388549804688])
    for got, param, expect in zip(out, (var, acc, au), want):
        np.testing.assert_allclose(got.asnumpy(), expect, rtol=1e-6)
        np.testing.assert_allclose(param.asnumpy(), expect, rtol=1e-6)


def test_coo_tensor_of_narrow_indices_in_a_graph(on_real_server):
    # ut/python/ir/test_sparse_tensor.py: MindSpore 2.10, COOTensor(indices [[0, 0], [0, 1]], values, shape) made in a
    # GRAPH_MODE construct: shape (2, 2, 2) -> TypeError "For COOTensor, `indices.shape[...]` must be equal to the
    # second dimension of `indices`: 3 but got 2"; indices wider than the shape's rank: ValueError; (3, 4): made
    from gradserve import COOTensor

    class Make(nn.Cell):
        def __init__(self, shape):
            super().__init__()
            self.shape = shape

        def construct(self, i, v):
            return COOTensor(i, v, self.shape)

    i2 = Tensor(np.array([[0, 0], [0, 1]], np.int32))
    i3 = Tensor(np.array([[0, 0, 0], [0, 0, 1]], np.int32))
    v = Tensor(np.array([100, 200], np.float32))
    context.set_context(mode=context.GRAPH_MODE)
    with pytest.raises(TypeError, match="must be equal to the second dimension of `indices`: 3 but got 2"):
        Make((2, 2, 2))(i2, v)
    with pytest.raises(ValueError):
        Make((2, 2))(i3, v)
    assert Make((3, 4))(i2, v).shape == (3, 4)
