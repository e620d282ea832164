"""MindSpore idioms found by running MindSpore's own test files through the SDK (round 5). Expected values
come from MindSpore 2.10 (CPU, PyNative) run on the same programs for this task (/work/wt/_msvenv), or from
NumPy / by hand where noted."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops
from gradserve.ops import functional as F
from gradserve.ops import operations as P

# the gradient sequence each optimizer below is fed (4 steps; signs flip for Rprop), w's then b's = 2 * w's[:2]
_GRADS = [np.array([0.5, -1.0, 2.0], np.float32), np.array([0.25, 1.0, 2.0], np.float32),
          np.array([-0.5, 1.0, 0.0], np.float32), np.array([1.0, -2.0, 1.5], np.float32)]


def _four_steps(make):
    w = Parameter(Tensor(np.array([1.0, -2.0, 3.0], np.float32)), name="w")
    b = Parameter(Tensor(np.array([0.5, 0.25], np.float32)), name="b")
    opt = make([w, b])
    for g in _GRADS:
        opt((Tensor(g), Tensor(g[:2] * 2)))
    return w.asnumpy(), b.asnumpy(), opt


def close(t, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=rtol, atol=atol)


def test_rprop_asgd_adamax_follow_mindspore_step_by_step():
    # MindSpore 2.10 (PyNative) on this very program, printed to 8 digits
    w, b, opt = _four_steps(lambda p: nn.Rprop(p, learning_rate=0.1, etas=(0.5, 1.2), step_sizes=(1e-3, 0.15)))
    close(w, [0.71999997, -1.9499999, 2.6600003])
    close(b, [0.22, 0.29999998])
    close(opt.prev[0], [1.0, 0.0, 1.5])  # a flipped sign's gradient is remembered as 0
    close(opt.step_size[0], [0.06, 0.025, 0.12])
    w, b, opt = _four_steps(lambda p: nn.ASGD(p, learning_rate=0.1, lambd=0.01, alpha=0.75, t0=1.0,
                                              weight_decay=0.1))
    close(w, [0.8335638, -1.813742, 2.331674])
    close(b, [0.23197497, 0.43878204])
    close(opt.ax[0], [0.8886303, -1.9246886, 2.4202738])  # the average, once mu < 1
    close(opt.eta[0], 0.09970105)
    close(opt.mu[0], 0.33333334)
    w, b, opt = _four_steps(lambda p: nn.optim.AdaMax(p, learning_rate=0.01, beta1=0.9, beta2=0.98, eps=1e-6))
    close(w, [0.9782738, -1.9930669, 2.966631])
    close(b, [0.47827378, 0.25693306])
    close(opt.moment1[0], [0.11170002, -0.10190003, 0.4578001])
    close(opt.moment2[0], [1.0, 2.0, 1.9208001])


def test_optimizer_arguments_are_checked_as_mindspore_does():
    p = [Parameter(Tensor(np.ones(2, np.float32)), name="p")]
    with pytest.raises(ValueError, match="etaplus|etas"):
        nn.Rprop(p, etas=(0.5, 0.9))
    with pytest.raises(TypeError, match="lambd"):
        nn.ASGD(p, lambd=1)  # MindSpore: a float, not an int
    with pytest.raises(ValueError, match="beta1"):
        nn.AdaMax(p, beta1=1.0)


class _Scale(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([4.0, 5.0, 6.0], np.float32)), name="w")

    def construct(self, x):
        return (self.w * x).sum()


def test_parameter_hooks_act_in_graph_mode_and_recompile(on_real_server):
    # by hand, as MindSpore 2.10's tests/st/compiler/tensor_hook assert: d/dw sum(w * x) = x, through the hooks
    ms.set_context(mode=ms.GRAPH_MODE)
    net = _Scale()
    grad_net = ops.GradOperation(get_by_list=True)(net, net.trainable_params())
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    close(grad_net(x)[0], [1.0, 2.0, 3.0])
    h2 = net.w.register_hook(lambda g: g * 2)
    close(grad_net(x)[0], [2.0, 4.0, 6.0])  # the cached trace is not reused: the hook applies
    h3 = net.w.register_hook(lambda g: g * 3)
    close(grad_net(x)[0], [6.0, 12.0, 18.0])
    h2.remove()
    close(grad_net(x)[0], [3.0, 6.0, 9.0])
    h3.remove()
    close(grad_net(x)[0], [1.0, 2.0, 3.0])


def test_an_input_hook_is_not_carried_to_another_input_in_graph_mode(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)
    net = _Scale()
    grad_x = ops.GradOperation()(net)
    x1 = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    x1.register_hook(lambda g: g * 2)
    close(grad_x(x1), [8.0, 10.0, 12.0])  # d/dx = w, doubled by x1's hook
    x2 = Tensor(np.array([7.0, 8.0, 9.0], np.float32))
    close(grad_x(x2), [4.0, 5.0, 6.0])  # same signature, no hook: not the hooked trace


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
    np.testing.assert_array_equal((~x).asnumpy(), np.invert(x_np))  # was logical_not: a bool tensor
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


class _ThreeParams(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p1 = Parameter(Tensor(np.array([1.0], np.float32)), name="p1", requires_grad=False)
        self.p2 = Parameter(Tensor(np.array([1.0], np.float32)), name="p2")
        self.p2.requires_grad = False

    def construct(self, x):
        return self.p1 * x * self.p2 + x


def test_a_parameter_without_requires_grad_gets_zeros_when_asked_for(on_real_server):
    # MindSpore 2.10's tests/st/pynative/grad/test_common_grad (test_pynative_requires_grad_use_grad_operation)
    net = _ThreeParams()
    x = Tensor(np.array([3.0], np.float32))
    gx, (g1, g2) = ops.GradOperation(get_all=True, get_by_list=True)(net, [net.p1, net.p2])(x)
    close(g1, [0.0])
    close(g2, [0.0])
    close(gx[0], [2.0])  # d/dx (p1 p2 x + x): the inputs' gradients are unchanged


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
