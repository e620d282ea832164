"""MindSpore activations composed in the SDK (ops.hardswish, hardsigmoid, silu, mish, softplus(beta,
threshold), celu, selu, logsigmoid, gelu and their nn cells), values and derivatives at the kinks.

Expected values are MindSpore 2.10's (CPU, PyNative, ops.grad of the sum), run for this task, unless a line
says otherwise. P holds the kinks -3 and 3 (hardswish / hardsigmoid), 0 (celu / selu) and 25 (softplus's
threshold 20).
"""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops

P = np.array([-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 4.0, 25.0], np.float32)



def _mish_grad(x):
    x = x.astype(np.float64)
    t, sig = np.tanh(np.log1p(np.exp(x))), 1 / (1 + np.exp(-x))
    return t + x * (1 - t * t) * sig


# name -> (MindSpore 2.10's values, its derivatives)
MS = {
    "hardswish": ([0, 0, -1 / 3, 0, 2 / 3, 3, 4, 25], [0, -0.5, 1 / 6, 0.5, 5 / 6, 1.5, 1, 1]),
    "hardsigmoid": ([0, 0, 1 / 3, 0.5, 2 / 3, 1, 1, 1], [0, 0, 1 / 6, 1 / 6, 1 / 6, 0, 0, 0]),
    "silu": ([-0.07194477, -0.14227754, -0.26894155, 0, 0.7310589, 2.8577223, 3.928055, 25],
             [-0.05266456, -0.08810405, 0.07232955, 0.5, 0.9276707, 1.0881041, 1.0526648, 1]),
    # mish's derivative: the analytic one in float64 (MindSpore 2.10's CPU kernel is off by up to 1e-4
    # for x >= 3: 1.0043265 at 4 where tanh(sp) + x sech^2(sp) sigmoid(x) = 1.0044329)
    "mish": ([-0.07259187, -0.14564738, -0.30340102, 0, 0.86509824, 2.986535, 3.997413, 25], _mish_grad(P)),
    "softplus": ([1.8149959e-02, 4.8587330e-02, 0.31326121, 0.693147, 1.313261, 3.0485871, 4.0181499, 25],
                 [0.01798619, 0.04742585, 0.26894155, 0.5, 0.7310589, 0.95257413, 0.98201376, 1]),
    "celu": ([-0.9816844, -0.95021296, -0.63212055, 0, 1, 3, 4, 25],
             [0.01831561, 0.04978704, 0.36787945, 1, 1, 1, 1, 1]),
    "logsigmoid": ([-4.01815, -3.048587, -1.3132608, -0.693147, -0.31326106, -0.0485872, -0.01814979, 0],
                   [0.9820138, 0.95257413, 0.7310585, 0.5, 0.2689411, 0.04742587, 0.01798624, 0]),
    "gelu": ([-1.2671947e-04, -4.0496886e-03, -0.15865526, 0, 0.84134471, 2.9959502, 3.9998732, 25],
             [-5.0363963e-04, -1.1945590e-02, -8.3315432e-02, 0.5, 1.0833154, 1.0119456, 1.0005037, 1]),
}
CELLS = {"hardswish": nn.HSwish, "hardsigmoid": nn.HSigmoid, "silu": nn.SiLU, "mish": nn.Mish,
         "logsigmoid": nn.LogSigmoid, "celu": nn.CELU, "gelu": lambda: nn.GELU(False)}


def value_and_grad(fn):
    x = Tensor(P)
    return fn(x).asnumpy(), ops.grad(lambda a: fn(a).sum())(x).asnumpy()


@pytest.mark.parametrize("name", sorted(MS))
def test_activation_matches_mindspore(fake, name):
    want_v, want_g = MS[name]
    for fn in (getattr(ops, name), CELLS[name]()) if name in CELLS else (getattr(ops, name),):
        v, g = value_and_grad(fn)
        np.testing.assert_allclose(v, want_v, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(g, want_g, rtol=1e-5, atol=2e-6)  # logsigmoid(25)'s 1.4e-11 vs MS's 0


def test_softplus_beta_threshold_and_celu_alpha(fake):
    v, g = value_and_grad(lambda a: ops.softplus(a, 2.0, 1.0))  # beta * x > 1: x itself, derivative 1
    x = P.astype(np.float64)  # the values in float64 (MindSpore 2.10's float32 kernel is 2e-5 off at x = -4)
    np.testing.assert_allclose(v, np.where(2 * x > 1, x, np.log1p(np.exp(2 * x)) / 2), rtol=1e-6)
    np.testing.assert_allclose(g, [3.3535005e-04, 2.4726200e-03, 0.11920287, 0.5, 1, 1, 1, 1], rtol=1e-5)
    _, g = value_and_grad(lambda a: ops.celu(a, 2.0))
    np.testing.assert_allclose(g, [0.13533527, 0.22313017, 0.60653067, 1, 1, 1, 1, 1], rtol=1e-5)
    _, g = value_and_grad(nn.GELU())  # approximate=True: the tanh form
    np.testing.assert_allclose(g, [-3.3497825e-04, -1.1584243e-02, -8.2964078e-02, 0.5, 1.0829641, 1.0115843,
                                   1.000335, 1], rtol=5e-5, atol=1e-7)  # float32: 1 - tanh^2 cancels near -3


def test_selu_values_match_and_derivative_is_the_true_one(fake):
    """MindSpore 2.10's CPU SeLU bprop gives scale * (out + 1) for x < 0 (-0.7627 at x = -4), which is
    not the derivative of its own forward: gradserve keeps the true one, scale * alpha * exp(x), checked
    here against finite differences. At 0 it gives MindSpore's 1.0507 (the linear branch)."""
    scale, alpha = 1.0507009873554805, 1.6732632423543772
    v, g = value_and_grad(ops.selu)
    np.testing.assert_allclose(v, [-1.7258986, -1.6705687, -1.1113307, 0, 1.050701, 3.152103, 4.202804, 26.267525],
                               rtol=1e-5)
    x = P.astype(np.float64)
    fd = [(scale * alpha * (np.exp(t + 1e-6) - np.exp(t - 1e-6)) / 2e-6) if t < 0 else scale for t in x]
    np.testing.assert_allclose(g, fd, rtol=1e-5)
    np.testing.assert_allclose(value_and_grad(nn.SeLU())[1], g)


def test_primitive_classes(fake):
    """ops.HSwish()(x) / ops.HSigmoid()(x) at the kinks: MindSpore 2.10 gives [-0.5, 1.5] and [0, 0]."""
    k = Tensor(np.array([-3.0, 3.0], np.float32))
    np.testing.assert_allclose(ops.grad(lambda a: ops.HSwish()(a).sum())(k).asnumpy(), [-0.5, 1.5], rtol=1e-6)
    np.testing.assert_allclose(ops.grad(lambda a: ops.HSigmoid()(a).sum())(k).asnumpy(), [0, 0])
    x = Tensor(P)
    np.testing.assert_allclose(ops.Mish()(x).asnumpy(), MS["mish"][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.SeLU()(x).asnumpy(), ops.selu(x).asnumpy())
    np.testing.assert_allclose(ops.CeLU(2.0)(x).asnumpy(), ops.celu(x, 2.0).asnumpy())


def test_softplus_threshold_in_both_precisions(fake):
    """Past threshold (beta * x > 20) softplus is x with derivative 1 (MindSpore 2.10, PyTorch); float32's
    default call runs the engine op alone, which rounds to exactly that; float64 takes the branch."""
    for dt in (np.float32, np.float64):
        p = np.array([19.0, 20.0, 20.5, 90.0], dt)
        v, g = ops.softplus(Tensor(p)).asnumpy(), ops.grad(lambda a: ops.softplus(a).sum())(Tensor(p)).asnumpy()
        np.testing.assert_array_equal(v[2:], p[2:])
        np.testing.assert_array_equal(g[2:], [1, 1])
        np.testing.assert_allclose(v[:2], np.log1p(np.exp(p[:2])), rtol=1e-7 if dt == np.float32 else 1e-15)
