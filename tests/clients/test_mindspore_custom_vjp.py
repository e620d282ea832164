"""`custom_vjp` (mindspore.ops.function.grad.grad_func): `@custom_vjp def f`, `f.defbwd(bwd)` with
`bwd(*inputs, out, dout)`; every derivative of f then uses bwd. The rules below are deliberately not
f's true derivative, so the expected values (by hand from each rule) tell the two apart."""
import numpy as np
import pytest

from gradserve import Tensor, jit, nn, ops
from gradserve.ops.function.grad.grad_func import custom_vjp, grad, vjp

X = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
Y = np.array([[2.0, 1.0], [-1.0, 4.0]], np.float32)


def _scaled():
    @custom_vjp
    def f(x, y):
        return x * y          # true: (dout * y, dout * x)

    @f.defbwd
    def _(x, y, out, dout):
        return 3 * dout, dout * out   # the rule: (3 dout, dout * x * y)
    return f


def test_forward_is_the_function(on_real_server):
    f = _scaled()
    np.testing.assert_allclose(f(Tensor(X), Tensor(Y)).asnumpy(), X * Y)


def test_vjp_uses_the_rule(on_real_server):
    f = _scaled()
    v = np.array([[1.0, 2.0], [0.5, -1.0]], np.float32)
    out, fn = vjp(f, Tensor(X), Tensor(Y))
    gx, gy = fn(Tensor(v))
    np.testing.assert_allclose(out.asnumpy(), X * Y)
    np.testing.assert_allclose(gx.asnumpy(), 3 * v)
    np.testing.assert_allclose(gy.asnumpy(), v * X * Y)


def test_rule_inside_a_larger_function_and_jit(on_real_server):
    f = _scaled()

    @jit
    def g(x, y):
        return f(x, y) + x * x   # d/dx = 3 + 2x (the rule's 3, plus x^2's own derivative)

    gx, gy = grad(g, grad_position=(0, 1))(Tensor(X), Tensor(Y))
    np.testing.assert_allclose(gx.asnumpy(), 3 + 2 * X)
    np.testing.assert_allclose(gy.asnumpy(), X * Y)


def test_second_order_differentiates_the_rule(on_real_server):
    @custom_vjp
    def cube(x):
        return x * x * x

    cube.defbwd(lambda x, out, dout: (dout * 2 * x * x,))   # rule 2x^2 (true 3x^2): second derivative 4x
    np.testing.assert_allclose(grad(grad(cube))(Tensor(X)).asnumpy(), 4 * X, rtol=1e-6)


def test_integer_inputs(on_real_server):
    @custom_vjp
    def f(x, y):
        return 2 * x + y

    f.defbwd(lambda x, y, out, dout: (4 * dout, x * dout))
    _, fn = vjp(f, Tensor(3, dtype="int32"), Tensor(5, dtype="int32"))
    gx, gy = fn(Tensor(2, dtype="int32"))
    assert (int(gx.asnumpy()), int(gy.asnumpy())) == (8, 6)
    assert str(gx.dtype).lower().startswith("int32")


def test_forward_holding_a_cell(on_real_server):
    class Scale(nn.Cell):
        def construct(self, x):
            return ops.relu(x) * 2

    @custom_vjp
    def f(x):
        return Scale()(x)

    f.defbwd(lambda x, out, dout: (dout * 7,))
    np.testing.assert_allclose(grad(f)(Tensor(X)).asnumpy(), np.full_like(X, 7))


def test_no_rule_is_a_clear_error(on_real_server):
    @custom_vjp
    def f(x):
        return x * 2

    with pytest.raises(Exception, match="defbwd"):
        grad(f)(Tensor(X))


def test_check_bprop_refuses_a_gradient_of_another_dtype(on_real_server):
    """set_context(check_bprop=True): a rule's gradient of another dtype than its input's is a
    TypeError; unchecked it is cast to the input's dtype."""
    import gradserve as gs

    class Half(nn.Cell):
        def construct(self, x):
            return x * 2

        def bprop(self, x, out, dout):
            return (ops.cast(dout, gs.float16) * 3,)

    gs.set_context(check_bprop=True)
    try:
        with pytest.raises(TypeError, match="dtype"):
            grad(Half())(Tensor(X))
    finally:
        gs.set_context(check_bprop=False)
    g = grad(Half())(Tensor(X))
    assert g.dtype == gs.float32
    np.testing.assert_allclose(g.asnumpy(), np.full_like(X, 3.0))
