"""A Cell called with keyword-only and **kwargs arguments (MindSpore binds them to construct's signature):
their values reach construct, inside a trace and at the top level, and gradients flow through them.
Values by hand: x + y + z + w + c with w = x, c = z; d/dx of x * w with w = x is 2x."""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops
from gradserve.ops import GradOperation


class KeyValueArg(nn.Cell):
    def construct(self, x, y, *arg, w, **kwargs):
        return x + y + arg[0] + w + kwargs["c"]


class Outer(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.in_net = net

    def construct(self, x, y, z):
        return self.in_net(x, y, z, w=x, a=x, b=y, c=z) + x


class Scaled(nn.Cell):
    def construct(self, x, *, w, scale=1.0, **kwargs):
        return x * w * scale + kwargs["shift"]


def _t(v, dt=np.float32):
    return Tensor(np.asarray(v, dt))


def test_keyword_only_and_var_keyword_reach_a_nested_construct(fake):
    x, y, z = _t(np.ones([3, 4])), _t(np.zeros([3, 4]), np.int32), _t(np.ones([3, 4]) * 2, np.float64)
    out = Outer(KeyValueArg())(x, y, z)
    np.testing.assert_array_equal(out.asnumpy(), np.full([3, 4], 1 + 0 + 2 + 1 + 2 + 1, np.float64))


def test_keyword_only_at_the_top_level_and_a_new_keyword_set_retraces(fake):
    net = Scaled()
    x = _t([1.0, 2.0])
    np.testing.assert_allclose(net(x, w=_t([3.0, 4.0]), shift=_t(1.0)).asnumpy(), [4.0, 9.0])
    np.testing.assert_allclose(net(x, w=_t([3.0, 4.0]), scale=2.0, shift=_t(0.0)).asnumpy(), [6.0, 16.0])


def test_gradient_flows_through_keyword_arguments(fake):
    inner = Scaled()

    class Net(nn.Cell):
        def construct(self, x):
            return inner(x, w=x, shift=x)

    x = _t([1.5, -2.0])
    g = GradOperation()(Net())(x)
    np.testing.assert_allclose(g.asnumpy(), 2 * x.asnumpy() + 1, rtol=1e-6)
    g2 = ops.grad(lambda a, b: inner(a, w=b, shift=a), grad_position=(0, 1))(x, _t([3.0, 5.0]))
    np.testing.assert_allclose(g2[0].asnumpy(), [4.0, 6.0], rtol=1e-6)
    np.testing.assert_allclose(g2[1].asnumpy(), x.asnumpy(), rtol=1e-6)


class _Mul(nn.Cell):
    def construct(self, x, y=None):
        return x * y


def test_grad_binds_a_keyword_argument_to_its_positional_parameter(fake):
    # MindSpore 2.10 (its venv): GradOperation(get_all=True)(net)(x, y=t) gives (t, x), y being construct's second input
    x, t = _t([1.0, 2.0]), _t([3.0, 4.0])
    gx, gy = GradOperation(get_all=True)(_Mul())(x, y=t)
    np.testing.assert_allclose(gx.asnumpy(), [3.0, 4.0])
    np.testing.assert_allclose(gy.asnumpy(), [1.0, 2.0])
    gx, gy = ops.grad(_Mul(), (0, 1))(x, y=t)
    np.testing.assert_allclose(gy.asnumpy(), [1.0, 2.0])
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        ops.grad(_Mul(), 0)(x, z=t)


def test_grad_keywords_mixing_tensors_constants_and_sens(fake):
    # a Tensor keyword is the input at its position; a constant keyword goes to the function; sens= is the
    # sens: d(x * y * scale)/dx = y * scale * s, d/dy = x * scale * s (by hand)
    def f(x, y, scale=1.0):
        return x * y * scale

    x, t, s = _t([1.0, 2.0]), _t([3.0, 4.0]), _t([0.5, -1.0])
    gx, gy = GradOperation(get_all=True)(f)(x, y=t, scale=2.0)
    np.testing.assert_allclose(gx.asnumpy(), [6.0, 8.0])
    np.testing.assert_allclose(gy.asnumpy(), [2.0, 4.0])
    gx, gy = GradOperation(get_all=True, sens_param=True)(f)(x, y=t, sens=s)
    np.testing.assert_allclose(gx.asnumpy(), [1.5, -4.0])
    np.testing.assert_allclose(gy.asnumpy(), [0.5, -2.0])
    with pytest.raises(TypeError, match="sens_param=True"):
        GradOperation(sens_param=True)(f)(x, s, y=t)
