"""Sample seed 40 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 40").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the call that gave each is stated beside
it), or JAX where said."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, nn, ops
from gradserve.common._pijit_context import PIJitCaptureContext
from gradserve.ops import operations as P
from gradserve.ops._primitive_cache import _get_cache_prim


@pytest.fixture(params=["pynative", "graph_mode"])
def mode(request, on_real_server):
    request.getfixturevalue(request.param)
    return request.param


def _bn_inputs():
    rng = np.random.RandomState(3)
    return [Tensor(rng.rand(2, 3, 2, 2).astype(np.float32)), Tensor(rng.rand(2, 3, 2, 2).astype(np.float32))] + \
        [Tensor(rng.rand(3).astype(np.float32)) for _ in range(4)]


# MindSpore 2.10: ops.auto_generate.BatchNormGrad(is_training, epsilon=1e-5, data_format="NCHW")(*_bn_inputs()) and
# ops.grad(lambda *a: BatchNormGrad(...)(*a)[0], (0, 1, 2, 3, 4, 5)) (its BatchNormGradGrad), the first 3 values each
_BN_EXPECTED = {
    True: ([[-0.033427, 0.001344, -0.108875], [1.661059, 0.287984, 1.520279], [4.255428, 3.379258, 2.552971]],
           [[-0.072358, -0.122035, -0.02213], [0.060836, 0.072164, 0.070628], [-0.875931, -0.029514, -0.995942]]),
    False: ([[0.220171, 0.283069, 0.116284], [1.661059, 0.287984, 1.520279], [4.255428, 3.379258, 2.552971]],
            [[0.399732, 0.399732, 0.399732], [0.0, 0.0, 0.0], [6.119304, 5.615072, 3.034746]]),
}


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_grad_and_its_gradient(mode, training):
    # st/dynamic_shape/test_ops_batchnorm_grad: ops.auto_generate.BatchNormGrad was not in gradserve (4 items)
    make = ops.auto_generate.BatchNormGrad(is_training=training, epsilon=1e-5, data_format="NCHW")
    outs, grads = _BN_EXPECTED[training]
    for got, want in zip(make(*_bn_inputs()), outs):
        np.testing.assert_allclose(got.asnumpy().ravel()[:3], want, rtol=1e-5, atol=1e-6)
    g = ops.grad(lambda *a: make(*a)[0], (0, 1, 2, 3, 4, 5))(*_bn_inputs())
    for got, want in zip(g, grads + [[0.0] * 3] * 3):  # MindSpore: zeros for the saved mean, variance and reserve
        np.testing.assert_allclose(got.asnumpy().ravel()[:3], want, rtol=1e-5, atol=1e-6)


def test_batch_norm_grad_two_dimensional_and_nhwc(on_real_server):
    # MindSpore 2.10 (CPU): BatchNormGrad(is_training, epsilon=1e-3) of (N, C) inputs (RandomState(5): dy, x (4, 3),
    # then scale, mean, variance, reserve (3,)); data_format "NHWC" stops its CPU kernel
    # (RuntimeError "Memcpy_s error.")
    rng = np.random.RandomState(5)
    args = [Tensor(rng.rand(4, 3).astype(np.float32)) for _ in range(2)] + \
        [Tensor(rng.rand(3).astype(np.float32)) for _ in range(4)]
    sums = [[-7.15019, -2.68354, 0.45281], [2.09423, 1.9583, 1.8537]]
    dxs = {True: [-12.71323, -0.25612, -0.06928, -15.14797], False: [0.45711, 0.27687, 0.04089, 1.89152]}
    for training, dx in dxs.items():
        out = ops.auto_generate.BatchNormGrad(is_training=training, epsilon=1e-3)(*args)
        for got, want in zip(out, [dx] + sums):
            np.testing.assert_allclose(got.asnumpy().ravel()[:4], want, rtol=1e-5, atol=1e-5)
    with pytest.raises(NotImplementedError, match="data_format 'NCHW' only"):
        ops.auto_generate.BatchNormGrad(is_training=True, data_format="NHWC")


@pytest.mark.parametrize("shapes", [((4, 2), (4, 3)), ((2, 3, 6), (2, 3, 7))])
def test_lstsq_v2_grad_is_the_vjp_of_pinv_a_b(on_real_server, shapes):
    # st/scipy_st/test_ops_lstsqv2_grad (4 items); expected: JAX's vjp of pinv(a) @ b (float32)
    jax = pytest.importorskip("jax")
    rng = np.random.RandomState(0)
    a, b = (rng.randn(*s).astype(np.float32) for s in shapes)
    dx = rng.randn(*a.shape[:-2], a.shape[-1], b.shape[-1]).astype(np.float32)
    _, back = jax.vjp(lambda a_, b_: jax.numpy.linalg.pinv(a_) @ b_, a, b)
    want = back(dx)
    got = ops.auto_generate.lstsq_v2_grad_op(Tensor(dx), Tensor(a), Tensor(b))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), np.asarray(w), rtol=1e-4, atol=1e-5)


def test_cell_dynamic_shape_inputs(on_real_server):
    # st/pi_jit/share/grad.py reads Cell._dynamic_shape_inputs (16 items: AttributeError before). MindSpore 2.10:
    # None before set_inputs, then the declared tuple (the object get_inputs returns)
    net = nn.Dense(2, 3)
    assert net._dynamic_shape_inputs is None
    net.set_inputs(Tensor(shape=[None, 2], dtype=ms.float32))
    assert net._dynamic_shape_inputs is net.get_inputs()
    assert net._dynamic_shape_inputs[0].shape == (-1, 2)


def test_get_cache_prim(on_real_server):
    # st/ops/cpu/test_primitive_cache (3 items: the module was missing). MindSpore 2.10 (PyNative): the same object
    # for the same class and arguments, another for other arguments; Pow [1, 8, 64]; ReduceSum(True) [[3.]]
    context.set_context(mode=context.PYNATIVE_MODE)
    assert _get_cache_prim(P.Pow)() is _get_cache_prim(P.Pow)()
    keep, drop = _get_cache_prim(P.ReduceSum)(True), _get_cache_prim(P.ReduceSum)(False)
    assert keep is not drop
    np.testing.assert_array_equal(_get_cache_prim(P.Pow)()(Tensor([1.0, 2.0, 4.0]), 3).asnumpy(), [1.0, 8.0, 64.0])
    np.testing.assert_array_equal(keep(Tensor([[1.0, 2.0]]), 1).asnumpy(), [[3.0]])
    np.testing.assert_array_equal(drop(Tensor([[1.0, 2.0]]), 1).asnumpy(), [3.0])


class _BoolConditions(nn.Cell):
    def __init__(self):
        super().__init__()
        self.a, self.b = Tensor([True], ms.bool_), Tensor([False], ms.bool_)

    def construct(self, x):
        out = x
        if self.a:
            out = out * x
        while self.b:
            out = out + x
        if self.a and self.b:
            out = 2 * out
        elif self.a or self.b:
            out = out - x
        return out


def test_pijit_capture_context_is_jit(on_real_server, pynative):
    # st/pi_jit/control_flow/test_control_flow_bool_tensor (1 item). MindSpore 2.10 (PyNative), x below:
    # PIJitCaptureContext(jit_config={"loop_unrolling": True})(construct)(net, x) = x * x - x, ops.grad(net)(x) = 2x - 1
    net, x = _BoolConditions(), Tensor(np.array([[0.5, -1.0], [2.0, 3.0]], np.float32))
    out = PIJitCaptureContext(jit_config={"loop_unrolling": True})(_BoolConditions.construct)(net, x)
    np.testing.assert_array_equal(out.asnumpy(), [[-0.25, 2.0], [2.0, 6.0]])
    np.testing.assert_array_equal(ops.grad(net)(x).asnumpy(), [[0.0, -3.0], [3.0, 5.0]])
