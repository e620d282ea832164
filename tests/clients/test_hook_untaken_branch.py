"""A gradient hook on an argument that only the branch not taken uses (a Python `if` on a Tensor, traced as a
cond) is not called, as for an argument the function never uses (MindSpore 2.10 PyNative runs the `if` in Python:
the argument takes no part in the pass). Its gradient is zeros either way; a hook on one the taken branch uses is
called with its gradient. Expected values: NumPy by hand (d/dx sum(x^2) = 2x, d/du sum(x u) = x)."""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")
X = np.array([1.0, 2.0, 3.0], np.float32)
U = np.array([4.0, 5.0, 6.0], np.float32)


class Branchy(nn.Cell):
    def construct(self, x, u):
        if x.sum() > 0:
            out = (x * x).sum()
        else:
            out = (x * u).sum()
        return out


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_hook_is_called_only_when_the_branch_taken_uses_its_argument(pynative, sign):
    calls = []
    x, u = Tensor(X * sign), Tensor(U)
    u.register_hook(lambda g: calls.append(g.asnumpy()))
    gx, gu = ops.grad(Branchy(), grad_position=(0, 1))(x, u)
    if sign > 0:  # sum(x^2): u unused
        np.testing.assert_allclose(gx.asnumpy(), 2 * X)
        np.testing.assert_array_equal(gu.asnumpy(), np.zeros(3))
        assert calls == []
    else:  # sum(x u)
        np.testing.assert_allclose(gx.asnumpy(), U)
        np.testing.assert_allclose(gu.asnumpy(), -X)
        assert len(calls) == 1
        np.testing.assert_allclose(calls[0], -X)


class Loopy(nn.Cell):
    def construct(self, x, u):
        out = x * 1.0
        while out.sum() < 0:
            out = out + u
        return (out * out).sum()


@pytest.mark.parametrize("start, trips", [(X, 0), (-X, 1), (-3 * X, 2)])
def test_a_hook_on_what_a_while_body_uses_is_called_only_when_it_runs(pynative, start, trips):
    """x = [1, 2, 3] (or its negative), u = [4, 5, 6]: sum(x) >= 0 runs no trip (u unused: no call); -x takes
    one (sum -6, then 9), -3x two (-18, -3, 12): out = start + trips u, d/du sum(out^2) = 2 trips out."""
    calls = []
    u = Tensor(U)
    u.register_hook(lambda g: calls.append(g.asnumpy()))
    gx, gu = ops.grad(Loopy(), grad_position=(0, 1))(Tensor(start), u)
    out = start + trips * U
    np.testing.assert_allclose(gx.asnumpy(), 2 * out, rtol=1e-6)
    np.testing.assert_allclose(gu.asnumpy(), 2 * trips * out, rtol=1e-6)
    assert len(calls) == (1 if trips else 0)
    if trips:
        np.testing.assert_allclose(calls[0], 2 * trips * out, rtol=1e-6)
