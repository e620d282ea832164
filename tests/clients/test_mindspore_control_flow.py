"""`if` on traced values inside construct (MindSpore's graph mode compiles it): values and
gradients by hand for each branch taken; a `while` on a traced value is an error."""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops
from gradserve._branches import ControlFlowError


def t(v):
    return Tensor(np.asarray(v, np.float32))


class Branchy(nn.Cell):
    def construct(self, x, y):
        if ops.sum(x) > ops.sum(y):
            out = x * y * 2
        else:
            out = x + y * 3
        return out


class Nested(nn.Cell):
    def construct(self, x):
        s = ops.sum(x)
        if s > 0:
            if s > 10:
                return x * 3
            return x * x
        return -x


def test_if_picks_the_branch_of_the_values(fake):
    net = Branchy()
    x, y = t([2.0, 3.0]), t([1.0, 1.0])
    np.testing.assert_allclose(net(x, y).asnumpy(), [4.0, 6.0])
    gx, gy = ops.GradOperation(get_all=True)(net)(x, y)
    np.testing.assert_allclose(gx.asnumpy(), [2.0, 2.0])  # 2 y
    np.testing.assert_allclose(gy.asnumpy(), [4.0, 6.0])  # 2 x
    x2 = t([0.0, 0.5])  # the same cached trace, the other branch
    np.testing.assert_allclose(net(x2, y).asnumpy(), [3.0, 3.5])
    gx, gy = ops.GradOperation(get_all=True)(net)(x2, y)
    np.testing.assert_allclose(gx.asnumpy(), [1.0, 1.0])
    np.testing.assert_allclose(gy.asnumpy(), [3.0, 3.0])


@pytest.mark.parametrize("x, value, grad", [([1.0, 2.0], [1.0, 4.0], [2.0, 4.0]),
                                            ([5.0, 6.0], [15.0, 18.0], [3.0, 3.0]),
                                            ([-1.0, -2.0], [1.0, 2.0], [-1.0, -1.0])])
def test_nested_ifs(fake, x, value, grad):
    np.testing.assert_allclose(Nested()(t(x)).asnumpy(), value)
    np.testing.assert_allclose(ops.grad(Nested())(t(x)).asnumpy(), grad)


def test_while_on_a_traced_value_is_an_error(fake):
    class Loop(nn.Cell):
        def construct(self, x):
            while ops.sum(x) < 100:
                x = x * 2
            return x

    with pytest.raises(ControlFlowError, match="while"):
        Loop()(t([1.0]))


def test_a_multi_element_condition_is_an_error(fake):
    class Bad(nn.Cell):
        def construct(self, x):
            return x * 2 if x > 0 else x

    with pytest.raises(ControlFlowError, match="ambiguous"):
        Bad()(t([1.0, 2.0]))


def test_branch_giving_a_python_number_inside_a_gradient_hook(fake):
    def clip_gradient(dx):
        ret = dx
        if ret > 1.0:
            ret = 1.0
        if ret < 0.2:
            ret = 0.2
        return ret

    clip = ops.InsertGradientOf(clip_gradient)

    def f(x, y):
        return clip(x) * clip(y)

    gx, gy = ops.GradOperation(get_all=True)(f)(t(1.1), t(0.1))
    # dx = y = 0.1 -> clipped up to 0.2; dy = x = 1.1 -> clipped down to 1.0
    np.testing.assert_allclose([float(gx), float(gy)], [0.2, 1.0], rtol=1e-6)
