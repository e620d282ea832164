"""User-defined primitives: `class MyOp(ops.PrimitiveWithInfer)` with prim_attr_register, add_prim_attr, a
`__call__` composing existing ops, and a derivative rule registered with `bprop_getters.register(MyOp)` (MindSpore's
unit-test idioms). References: PyTorch autograd for the composition's values and derivatives; the registered rule
itself (applied in NumPy) where the rule replaces the derivative, as MindSpore documents."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, context, nn, ops
from gradserve.ops import GradOperation, PrimitiveWithInfer, prim_attr_register
from gradserve.ops._grad_experimental.grad_base import bprop_getters
from gradserve.ops.vm_impl_registry import vm_impl_registry


def t(v):
    return Tensor(np.asarray(v, np.float32))


X = np.array([[0.5, -1.0, 2.0]], np.float32)
Y = np.array([[3.0, 0.25, -0.5]], np.float32)


class ScaledMulAdd(PrimitiveWithInfer):
    """alpha * x * y + x: its own composition, no registered rule."""

    @prim_attr_register
    def __init__(self, alpha=2.0):
        self.init_prim_io_names(inputs=["x", "y"], outputs=["output"])

    def infer_shape(self, x_shape, y_shape):
        return x_shape

    def infer_dtype(self, x_dtype, y_dtype):
        return x_dtype

    def __call__(self, x, y):
        return self.alpha * x * y + ops.sin(x)


class RuledMul(PrimitiveWithInfer):
    """x * y forward; its registered rule (2 * dout, 3 * dout * y) is deliberately not the product's derivative."""

    @prim_attr_register
    def __init__(self):
        pass

    def __call__(self, x, y):
        return ops.mul(x, y)


@bprop_getters.register(RuledMul)
def _get_ruled_mul_bprop(self):
    def bprop(x, y, out, dout):
        return 2 * dout, 3 * dout * y
    return bprop


class NoImpl(ops.Primitive):
    @prim_attr_register
    def __init__(self):
        pass


class UsesPrim(nn.Cell):
    def __init__(self, prim):
        super().__init__()
        self.prim = prim

    def construct(self, x, y):
        return ops.reduce_sum(self.prim(x, y) * x)


def _torch_scaled_mul_add(alpha):
    x, y = torch.tensor(X, requires_grad=True), torch.tensor(Y, requires_grad=True)
    out = alpha * x * y + torch.sin(x)
    (out * x).sum().backward()
    return out.detach().numpy(), x.grad.numpy(), y.grad.numpy()


def test_prim_attr_register_records_the_arguments(fake):
    p = ScaledMulAdd(alpha=0.5)
    assert p.alpha == 0.5 and p.attrs["alpha"] == 0.5 and p.init_attrs == {"alpha": 0.5}
    assert p.name == "ScaledMulAdd" and ScaledMulAdd().alpha == 2.0  # (the default applied)
    assert p.add_prim_attr("primitive_target", "CPU") is p and p.primitive_target == "CPU"
    assert p.attrs["primitive_target"] == "CPU"


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_call_composing_ops_runs_and_differentiates(fake, mode):
    gs.set_context(mode=mode)
    out_ref, gx_ref, gy_ref = _torch_scaled_mul_add(0.5)
    np.testing.assert_allclose(ScaledMulAdd(alpha=0.5)(t(X), t(Y)).asnumpy(), out_ref, rtol=1e-6)
    gx, gy = GradOperation(get_all=True)(UsesPrim(ScaledMulAdd(alpha=0.5)))(t(X), t(Y))
    np.testing.assert_allclose(gx.asnumpy(), gx_ref, rtol=1e-5)
    np.testing.assert_allclose(gy.asnumpy(), gy_ref, rtol=1e-5)


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_registered_bprop_replaces_the_derivative(fake, mode):
    gs.set_context(mode=mode)
    np.testing.assert_allclose(RuledMul()(t(X), t(Y)).asnumpy(), X * Y)
    gx, gy = GradOperation(get_all=True)(UsesPrim(RuledMul()))(t(X), t(Y))
    # loss = sum(m * x), m = RuledMul(x, y): dL/dm = x (dout), dL/dx = m + rule_x(dout), dL/dy = rule_y(dout)
    dout = X
    np.testing.assert_allclose(gx.asnumpy(), X * Y + 2 * dout, rtol=1e-6)
    np.testing.assert_allclose(gy.asnumpy(), 3 * dout * Y, rtol=1e-6)  # the product's rule would give x * x


def test_cell_bprop_around_a_user_prim(fake):
    class Wrapped(nn.Cell):
        def __init__(self):
            super().__init__()
            self.prim = ScaledMulAdd()

        def construct(self, x, y):
            return self.prim(x, y)

        def bprop(self, x, y, out, dout):
            return dout * 4, dout * y

    gx, gy = GradOperation(get_all=True)(Wrapped())(t(X), t(Y))
    np.testing.assert_allclose(gx.asnumpy(), np.full_like(X, 4.0))
    np.testing.assert_allclose(gy.asnumpy(), Y)


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_a_primitive_without_implementation_is_a_clear_error(fake, mode):
    gs.set_context(mode=mode)
    with pytest.raises(NotImplementedError, match=r"NoImpl: a user-defined Primitive with no implementation"):
        NoImpl()(t(X), t(Y))
    with pytest.raises(NotImplementedError, match=r"define NoImpl.__call__|Define NoImpl.__call__"):
        GradOperation(get_all=True)(UsesPrim(NoImpl()))(t(X), t(Y))


def test_engine_ops_keep_their_attribute_check(fake):
    with pytest.raises(TypeError, match="unknown attribute"):
        ops.MatMul.__mro__[1](bogus=1)  # the generated Matmul class
    m = ops.MatMul(transpose_b=True)
    assert m.add_prim_attr("primitive_target", "CPU") is m and m.primitive_target == "CPU"
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(m(t(a), t(a)).asnumpy(), a @ a.T)  # (the added attribute is not the engine's)


class Hypot(PrimitiveWithInfer):
    """No __call__: its implementation registered in vm_impl_registry (MindSpore's debug-VM idiom, NumPy)."""

    @prim_attr_register
    def __init__(self):
        pass


@vm_impl_registry.register(Hypot)
def _vm_impl_hypot(self):
    def vm_impl(x, y):
        return Tensor(np.sqrt(x.asnumpy() ** 2 + y.asnumpy() ** 2))
    return vm_impl


def test_a_registered_vm_impl_runs_a_pynative_call(fake):
    np.testing.assert_allclose(Hypot()(t(X), t(Y)).asnumpy(), np.hypot(X, Y), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="Hypot: .*vm_impl reads values"):
        GradOperation(get_all=True)(UsesPrim(Hypot()))(t(X), t(Y))
