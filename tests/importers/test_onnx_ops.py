"""Each ONNX op mapping against onnx's own reference implementation (onnx.reference), forward;
derivatives of the composites (conv, pooling, norms) against central finite differences."""
import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from engine import evaluate, vjp
from engine.importers import onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json

F = TensorProto.FLOAT
RNG = np.random.default_rng(0)


def _model(node, inputs: dict, inits: dict | None = None, opset=17):
    vi = [helper.make_tensor_value_info(k, F, list(v.shape)) for k, v in inputs.items()]
    init = [helper.make_tensor(k, TensorProto.INT64 if v.dtype == np.int64 else F, list(v.shape), v.reshape(-1).tolist())
            for k, v in (inits or {}).items()]
    out = [helper.make_tensor_value_info(o, F, None) for o in node.output]
    g = helper.make_graph([node], "g", vi, out, initializer=init)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _convert(m):
    return graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))


def check(node, inputs: dict, inits: dict | None = None, opset=17):
    m = _model(node, inputs, inits, opset)
    want = ReferenceEvaluator(m).run(None, inputs)
    got = evaluate(_convert(m), *inputs.values())
    got = got if isinstance(got, tuple) else (got,)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-5, atol=1e-5)
    return m


def x(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


CASES = [
    ("conv 2d pads strides dilation groups", helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 0, 2, 1],
                                                              strides=[2, 1], dilations=[1, 2], group=2),
     {"x": x(2, 4, 9, 8)}, {"w": x(6, 2, 3, 2), "b": x(6)}),
    ("conv 1d same_upper", helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[2]),
     {"x": x(1, 3, 10)}, {"w": x(2, 3, 4)}),
    ("conv 3d", helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1, 1, 1]), {"x": x(1, 2, 4, 5, 3)},
     {"w": x(3, 2, 2, 3, 2)}),
    ("maxpool ceil pads", helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                                           pads=[1, 1, 1, 1], ceil_mode=1), {"x": x(1, 2, 8, 7)}, None),
    ("maxpool dilation", helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2]),
     {"x": x(1, 1, 6, 6)}, None),
    ("avgpool exclude pad", helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
     {"x": x(1, 2, 5, 6)}, None),
    ("avgpool include pad", helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 3], strides=[2, 2],
                                             pads=[1, 1, 0, 1], count_include_pad=1), {"x": x(2, 1, 6, 7)}, None),
    ("global average pool", helper.make_node("GlobalAveragePool", ["x"], ["y"]), {"x": x(2, 3, 4, 5)}, None),
    ("batchnorm", helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3),
     {"x": x(2, 3, 4)}, {"s": x(3), "b": x(3), "m": x(3), "v": np.abs(x(3)) + 0.5}),
    ("layernorm", helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-2), {"x": x(2, 3, 4)},
     {"s": x(3, 4), "b": x(3, 4)}),
    ("gemm trans alpha beta", helper.make_node("Gemm", ["a", "b", "c"], ["y"], transA=1, transB=1, alpha=0.5, beta=2.0),
     {"a": x(4, 3)}, {"b": x(5, 4), "c": x(5)}),
    ("matmul vector", helper.make_node("MatMul", ["a", "b"], ["y"]), {"a": x(4)}, {"b": x(2, 4, 3)}),
    ("slice negative step", helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"]), {"x": x(5, 6)},
     {"s": np.array([-1, 1], np.int64), "e": np.array([-100, 5], np.int64), "a": np.array([0, 1], np.int64),
      "st": np.array([-2, 2], np.int64)}),
    ("gather constant indices", helper.make_node("Gather", ["x", "i"], ["y"], axis=1), {"x": x(3, 5)},
     {"i": np.array([[4, 0], [-1, 2]], np.int64)}),
    ("pad constant value", helper.make_node("Pad", ["x", "p", "v"], ["y"]), {"x": x(2, 3)},
     {"p": np.array([1, 0, 0, 2], np.int64), "v": np.array(1.5, np.float32)}),
    ("clip", helper.make_node("Clip", ["x", "lo", "hi"], ["y"]), {"x": x(4, 4)},
     {"lo": np.array(-0.5, np.float32), "hi": np.array(0.7, np.float32)}),
    ("split uneven", helper.make_node("Split", ["x", "s"], ["y0", "y1"], axis=1), {"x": x(2, 5)},
     {"s": np.array([2, 3], np.int64)}),
    ("softmax axis", helper.make_node("Softmax", ["x"], ["y"], axis=1), {"x": x(2, 3, 4)}, None),
    ("reduce mean axes input", helper.make_node("ReduceMean", ["x", "a"], ["y"], keepdims=0), {"x": x(2, 3, 4)},
     {"a": np.array([0, 2], np.int64)}),
    ("gelu tanh", helper.make_node("Gelu", ["x"], ["y"], approximate="tanh"), {"x": x(3, 4)}, None),
    ("leaky relu", helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.2), {"x": x(3, 4)}, None),
    ("expand", helper.make_node("Expand", ["x", "s"], ["y"]), {"x": x(3, 1)}, {"s": np.array([2, 3, 4], np.int64)}),
    ("flatten", helper.make_node("Flatten", ["x"], ["y"], axis=2), {"x": x(2, 3, 4, 5)}, None),
    ("transpose", helper.make_node("Transpose", ["x"], ["y"], perm=[2, 0, 1]), {"x": x(2, 3, 4)}, None),
    ("conv transpose", helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 1], pads=[1, 0, 0, 1],
                                        output_padding=[1, 0]), {"x": x(1, 4, 3, 5)},
     {"w": x(4, 3, 3, 2), "b": x(3)}),  # onnx.reference has no grouped ConvTranspose
    ("einsum attention", helper.make_node("Einsum", ["q", "k"], ["y"], equation="bhid,bhjd->bhij"),
     {"q": x(2, 2, 3, 4), "k": x(2, 2, 5, 4)}, None),
    ("cumsum exclusive reverse", helper.make_node("CumSum", ["x", "a"], ["y"], exclusive=1, reverse=1),
     {"x": x(3, 4)}, {"a": np.array(1, np.int64)}),
    ("topk", helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1), {"x": x(3, 6)}, {"k": np.array([2], np.int64)}),
    ("argmax", helper.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=0), {"x": x(3, 6)}, None),
    ("pad reflect", helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect"), {"x": x(3, 4)},
     {"p": np.array([1, 2, 2, 1], np.int64)}),
]


@pytest.mark.parametrize("name,node,inputs,inits", CASES, ids=[c[0] for c in CASES])
def test_forward_matches_onnx_reference(name, node, inputs, inits):
    opset = 20 if node.op_type == "Gelu" else 18 if node.op_type == "ReduceMean" else 17
    check(node, inputs, inits, opset)


@pytest.mark.parametrize("case", ["conv 2d pads strides dilation groups", "maxpool ceil pads", "avgpool include pad",
                                  "batchnorm", "layernorm"])
def test_composite_gradients_match_finite_differences(case):
    """<J^T w, d> (the engine's vjp of the imported graph) against a central difference of <w, f>."""
    _, node, inputs, inits = next(c for c in CASES if c[0] == case)
    g = _convert(_model(node, inputs, inits))
    shape = next(iter(inputs.values())).shape
    # distinct values 0.05 apart: no max-pool window changes its argmax within the step
    x0 = (RNG.permutation(int(np.prod(shape))).reshape(shape) * 0.05 - 1.0).astype(np.float32)
    w = RNG.standard_normal(np.asarray(evaluate(g, x0)).shape)
    d = RNG.standard_normal(x0.shape)

    def f(z):
        return float(np.sum(w * np.asarray(evaluate(g, z.astype(np.float32)), dtype=np.float64)))

    eps = 3e-3
    fd = (f(x0 + eps * d) - f(x0 - eps * d)) / (2 * eps)
    _, (ct,) = evaluate(vjp(g), x0, w.astype(np.float32))
    got = float(np.sum(np.asarray(ct, dtype=np.float64) * d))
    assert abs(got - fd) <= 1e-2 * max(1.0, abs(fd)), (got, fd)


def _two_inputs(node, inputs, dtype=F):
    vi = [helper.make_tensor_value_info(k, dtype, list(v.shape)) for k, v in inputs.items()]
    g = helper.make_graph([node], "g", vi, [helper.make_tensor_value_info("y", dtype, None)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("op", ["Floor", "Ceil", "Round"])
def test_rounding_ops_match_the_reference_and_have_zero_derivative(op):
    v = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.2, 0.7, 3.49], np.float32)  # ties: Round is half to even
    m = check(helper.make_node(op, ["x"], ["y"]), {"x": v})
    _, (ct,) = evaluate(vjp(_convert(m)), v + 0.01, np.ones_like(v))
    assert np.array_equal(np.asarray(ct), np.zeros_like(v))


def test_mod_fmod_takes_the_dividends_sign_with_torchs_gradients():
    import torch

    a = np.array([[5.3, -5.3, 2.2], [-0.4, 7.9, -3.1]], np.float32)
    b = np.array([[2.0, 2.0, -1.5], [0.9, -2.5, -0.7]], np.float32)
    m = _two_inputs(helper.make_node("Mod", ["a", "b"], ["y"], fmod=1), {"a": a, "b": b})
    want = ReferenceEvaluator(m).run(None, {"a": a, "b": b})[0]
    g = _convert(m)
    np.testing.assert_allclose(np.asarray(evaluate(g, a, b)), want, rtol=1e-6)
    w = RNG.standard_normal(a.shape).astype(np.float32)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    torch.fmod(ta, tb).backward(torch.tensor(w))
    _, cts = evaluate(vjp(g), a, b, w)
    np.testing.assert_allclose(np.asarray(cts[0]), ta.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(cts[1]), tb.grad.numpy(), rtol=1e-6)  # -trunc(a / b) * w


def test_integer_mod_both_conventions_and_float_fmod0_refused():
    from engine.importers import UnsupportedModel

    a, b = np.array([7, -7, 7, -7, 0], np.int64), np.array([3, 3, -3, -3, 2], np.int64)
    for fmod in (0, 1):
        m = _two_inputs(helper.make_node("Mod", ["a", "b"], ["y"], fmod=fmod), {"a": a, "b": b}, TensorProto.INT64)
        got = np.asarray(evaluate(_convert(m), a, b))
        assert np.array_equal(got, (np.fmod if fmod else np.mod)(a, b)), (fmod, got)
    f = np.ones(3, np.float32)
    m = _two_inputs(helper.make_node("Mod", ["a", "b"], ["y"], fmod=0, name="m0"), {"a": f, "b": f})
    with pytest.raises(UnsupportedModel, match="fmod=0 on floating-point"):
        _convert(m)


@pytest.mark.parametrize("batch_dims", [1, 2])
def test_gather_nd_batch_dims_matches_the_reference_and_torchs_gradient(batch_dims):
    import torch

    xv = x(2, 3, 4, 5)
    if batch_dims == 1:  # idx [2, 2 (q), 2 (k)]: x[b, i0, i1, :]; one index negative
        idx = np.array([[[0, 1], [2, -1]], [[1, 3], [0, 0]]], np.int64)
        ref = lambda t: t[torch.arange(2)[:, None], idx[..., 0], idx[..., 1] % 4]  # noqa: E731
    else:  # idx [2, 3, 1 (k)]: x[b0, b1, i0, :]
        idx = np.array([[[3], [0], [-2]], [[1], [1], [2]]], np.int64)
        ref = lambda t: t[torch.arange(2)[:, None], torch.arange(3)[None, :], idx[..., 0] % 4]  # noqa: E731
    m = check(helper.make_node("GatherND", ["x", "i"], ["y"], batch_dims=batch_dims), {"x": xv}, {"i": idx})
    g = _convert(m)
    want = ref(torch.tensor(xv, requires_grad=True))
    ct = RNG.standard_normal(tuple(want.shape)).astype(np.float32)
    t = torch.tensor(xv, requires_grad=True)
    ref(t).backward(torch.tensor(ct))
    _, (gx,) = evaluate(vjp(g), xv, ct)
    np.testing.assert_allclose(np.asarray(gx), t.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", ["mul", "min", "max"])
def test_scatter_elements_mul_min_max_match_torch_scatter_reduce(reduction):
    """Since round 4 through a dense hit mask (composites.scatter_reduce_along): value and the gradient
    w.r.t. x and the updates against torch's scatter_reduce (include_self, as ONNX)."""
    import torch

    node = helper.make_node("ScatterElements", ["x", "u"], ["y"], axis=1, reduction=reduction, name="sc")
    node.input.insert(1, "i")
    idx = np.array([[0, 2], [1, 1]], np.int64)
    xv, uv = x(2, 4), x(2, 2)
    g = _convert(_model(node, {"x": xv, "u": uv}, {"i": idx}, opset=18))
    tx, tu = torch.tensor(xv, requires_grad=True), torch.tensor(uv, requires_grad=True)
    ty = tx.scatter_reduce(1, torch.tensor(idx), tu, {"mul": "prod", "min": "amin", "max": "amax"}[reduction])
    ct = x(2, 4)
    (ty * torch.tensor(ct)).sum().backward()
    np.testing.assert_allclose(np.asarray(evaluate(g, xv, uv)), ty.detach().numpy(), rtol=1e-6)
    _, (gx, gu) = evaluate(vjp(g), xv, uv, ct)
    np.testing.assert_allclose(np.asarray(gx), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(gu), tu.grad.numpy(), rtol=1e-5, atol=1e-6)
