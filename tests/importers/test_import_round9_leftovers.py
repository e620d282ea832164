"""Round 9's leftovers and the silently wrong values the held-out networks found: JAX integer bitwise ops
(`~x` of an int imported as logical_not) and unsigned integers carried as int64 (no wrap-around); a scalar
nn.Parameter through ONNX named as a weight (`scalar_weights`); uint8 ONNX graph inputs; fake quantisation's
straight-through gradient through torch.export and through ONNX Q -> DQ pairs (against torch.autograd)."""
import io

import jax.numpy as jnp
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

from .models import close


@pytest.mark.parametrize("name,fn", [
    ("and", lambda x: (x & 3) * 1.0), ("or", lambda x: (x | 3) * 1.0), ("xor", lambda x: (x ^ 6) * 1.0),
    ("not", lambda x: (~x) * 1.0), ("not_u32", lambda x: (~x.astype(jnp.uint32)) * 1.0),
    # was int64 inside: 2^32 + x - 1 instead of x - 1, and the hash's product not reduced modulo 2^32
    ("u32_wraps", lambda x: (x.astype(jnp.uint32) + jnp.uint32(4294967295)) * 1.0),
    ("u32_hash", lambda x: ((x.astype(jnp.uint32) * jnp.uint32(2654435761)) % jnp.uint32(1000)) * 1.0),
    ("u8_wraps", lambda x: (x.astype(jnp.uint8) * jnp.uint8(100)) * 1.0)])
def test_jax_integer_bits_and_unsigned_wrap_as_jax(fake, name, fn):
    x = np.array([5, 6, 12, 7, -3], np.int32)
    got = gs.from_jax(fn, x)(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(got, np.asarray(fn(jnp.asarray(x))))


def test_jax_float_to_integer_conversion_saturates_as_jax(fake):
    """JAX (XLA) converts a float out of an integer type's range to the type's bound and NaN to 0:
    (img * 255).astype(uint8) of 1.0 + a little is 255 (NumPy's cast wrapped it to 0)."""
    x = np.array([256.0, 255.9, -0.5, -4.5, 3e9, -3e9, np.nan, np.inf, -np.inf, 7.7], np.float32)
    fn = lambda v: tuple(v.astype(t) for t in (jnp.uint8, jnp.int8, jnp.int16, jnp.uint16, jnp.int32, jnp.uint32))
    got = gs.from_jax(fn, x)(Tensor(x))
    for g, want in zip(got, fn(jnp.asarray(x))):
        assert g.asnumpy().dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(g.asnumpy(), np.asarray(want), err_msg=str(want.dtype))


class _Scaled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)
        self.logit_scale = torch.nn.Parameter(torch.tensor(0.7))

    def forward(self, x):
        return self.logit_scale.exp() * self.lin(x) ** 2


def _torchscript(model, xs, opset=17):
    f = io.BytesIO()
    torch.onnx.export(model, xs, f, dynamo=False, do_constant_folding=False, opset_version=opset)
    return f.getvalue()


def test_onnx_scalar_parameter_named_as_weight(fake):
    torch.manual_seed(0)
    m, x = _Scaled(), torch.randn(4, 3)
    blob = _torchscript(m, (x,))
    assert "logit_scale" not in [p.name for p in gs.from_onnx(blob).trainable_params()]  # by default a constant
    net = gs.from_onnx(blob, scalar_weights=["logit_scale"])
    assert sorted(p.name for p in net.trainable_params()) == ["lin.bias", "lin.weight", "logit_scale"]
    y = m(x).sum()
    want = dict(zip(("lin.weight", "lin.bias", "logit_scale"),
                    torch.autograd.grad(y, [m.lin.weight, m.lin.bias, m.logit_scale])))
    got = ops.grad(lambda t: net(t).sum(), grad_position=None, weights=net.trainable_params())(Tensor(x.numpy()))
    for p, g in zip(net.trainable_params(), got):
        close(g.asnumpy(), want[p.name].numpy(), p.name)
    with pytest.raises(UnsupportedModel, match=r"scalar weight 'lin.weight': not a 0-d float initializer.*"
                                               r"logit_scale"):
        gs.from_onnx(blob, scalar_weights=["lin.weight"])


def test_onnx_uint8_image_input(fake):
    import onnx
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("Cast", ["img"], ["f"], to=TensorProto.FLOAT),
         helper.make_node("Mul", ["f", "s"], ["y"]),
         helper.make_node("Sub", ["img", "one"], ["wrapped"])],  # uint8 arithmetic wraps (0 - 1 = 255)
        "u8", [helper.make_tensor_value_info("img", TensorProto.UINT8, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("wrapped", TensorProto.UINT8, [2, 3])],
        [helper.make_tensor("s", TensorProto.FLOAT, [3], [1 / 255, 2 / 255, 3 / 255]),
         helper.make_tensor("one", TensorProto.UINT8, [], [1])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    img = np.array([[0, 128, 255], [7, 1, 200]], np.uint8)
    from onnx.reference import ReferenceEvaluator

    want = ReferenceEvaluator(model).run(None, {"img": img})
    y, wrapped = gs.from_onnx(model.SerializeToString())(Tensor(img))
    close(y.asnumpy(), want[0], "y")
    assert wrapped.asnumpy().dtype == np.uint8
    np.testing.assert_array_equal(wrapped.asnumpy(), want[1])


class _FakeQuant(torch.nn.Module):
    def forward(self, x):
        return torch.fake_quantize_per_tensor_affine(x * 2, 0.05, 10, -128, 127) * 3


@pytest.mark.parametrize("path", ["export", "onnx"])
def test_fake_quantize_straight_through_gradient(fake, path):
    """torch's gradient of fake quantisation: 1 where the quantised value is in range, 0 where it saturates
    (an exact derivative would be 0 everywhere); ONNX writes it as QuantizeLinear -> DequantizeLinear."""
    x = torch.tensor([[-7.0, -0.3, 0.01, 0.4], [1.5, 2.0, 5.9, 9.0]])  # -7, 5.9 and 9 saturate
    m = _FakeQuant()
    net = gs.from_torch(m, (x,)) if path == "export" else gs.from_onnx(_torchscript(m, (x,)))
    xt = x.clone().requires_grad_(True)
    want = torch.autograd.grad(m(xt).sum(), xt)[0].numpy()
    np.testing.assert_array_equal(want, [[0, 6, 6, 6], [6, 6, 0, 0]])
    close(net(Tensor(x.numpy())).asnumpy(), m(x).numpy(), "value")
    close(ops.grad(lambda t: net(t).sum())(Tensor(x.numpy())).asnumpy(), want, "grad")


@pytest.mark.parametrize("path", ["export", "onnx"])
def test_fake_quantize_of_infinities_saturates(fake, path):
    """An infinite input saturates, as torch's fake quantisation gives (-inf -> (qmin - zp) * scale): the
    straight-through term x - stop_gradient(x) is inf - inf there and must not reach the value (it gave NaN)."""
    x = torch.tensor([[-np.inf, -0.3, 0.4, np.inf]])
    m = _FakeQuant()
    net = gs.from_torch(m, (x,)) if path == "export" else gs.from_onnx(_torchscript(m, (x,)))
    xt = x.clone().requires_grad_(True)
    want = torch.autograd.grad(m(xt).sum(), xt)[0].numpy()
    np.testing.assert_array_equal(want, [[0, 6, 6, 0]])
    close(net(Tensor(x.numpy())).asnumpy(), m(x).numpy(), "value")
    close(ops.grad(lambda t: net(t).sum())(Tensor(x.numpy())).asnumpy(), want, "grad")


@pytest.mark.parametrize("same", [True, False])
def test_only_a_q_dq_pair_of_one_scale_is_fake_quantisation(fake, same):
    """Q -> DQ with the same scale and zero point: the straight-through gradient (1 in range, 0 saturated);
    a DequantizeLinear with other parameters is not fake quantisation: the exact derivative (0, rounding)."""
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
         helper.make_node("DequantizeLinear", ["q", "s" if same else "s2", "z"], ["y"])],
        "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        [helper.make_tensor("s", TensorProto.FLOAT, [], [0.1]), helper.make_tensor("s2", TensorProto.FLOAT, [], [0.2]),
         helper.make_tensor("z", TensorProto.UINT8, [], [100])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    x = np.array([-11.0, -0.33, 2.04, 20.0], np.float32)  # -11 / 0.1 + 100 < 0 and 20 / 0.1 + 100 > 255 saturate
    net = gs.from_onnx(model.SerializeToString())
    from onnx.reference import ReferenceEvaluator

    close(net(Tensor(x)).asnumpy(), ReferenceEvaluator(model).run(None, {"x": x})[0], "value")
    grad = ops.grad(lambda t: net(t).sum())(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(grad, [0, 1, 1, 0] if same else [0, 0, 0, 0])
