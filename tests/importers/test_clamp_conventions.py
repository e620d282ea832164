"""Imported clamps keep their source framework's derivative on the bounds (checked against that
framework's own autodiff): PyTorch's clamp passes it (1), its hardtanh / relu6 do not (0); JAX's
lax.clamp gives it to nobody, jnp.maximum / jnp.minimum split ties (0.5), as the engine's ops do."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

X = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 6.0, 7.0], np.float32)


def _grad(net):
    return ops.grad(lambda t: ops.sum(net(t)))(Tensor(X)).asnumpy()


@pytest.mark.parametrize("name", ["clamp", "hardtanh", "relu6"])
def test_torch_bounds(fake, name):
    torch = pytest.importorskip("torch")
    fn = {"clamp": lambda x: torch.clamp(x, -1.0, 1.0), "hardtanh": torch.nn.functional.hardtanh,
          "relu6": torch.nn.functional.relu6}[name]

    class M(torch.nn.Module):
        def forward(self, x):
            return fn(x)

    xt = torch.tensor(X, requires_grad=True)
    fn(xt).sum().backward()
    net = gs.from_torch(M(), (torch.tensor(X),))
    np.testing.assert_allclose(net(Tensor(X)).asnumpy(), fn(torch.tensor(X)).numpy())
    np.testing.assert_array_equal(_grad(net), xt.grad.numpy())


@pytest.mark.parametrize("name", ["lax.clamp", "jnp.clip", "maximum"])
def test_jax_bounds(fake, name):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    # float32 bounds: lax.clamp wants one dtype, and under jax_enable_x64 (a Python
    # float is then float64)
    lo, hi = np.float32(-1.0), np.float32(1.0)
    fn = {"lax.clamp": lambda x: jax.lax.clamp(lo, x, hi), "jnp.clip": lambda x: jnp.clip(x, -1.0, 1.0),
          "maximum": lambda x: jnp.maximum(x, 0.0)}[name]
    want = np.asarray(jax.grad(lambda x: fn(x).sum())(jnp.asarray(X)))
    assert (0.5 in want) != (name == "lax.clamp")  # a tie is on the grid: split, or (lax.clamp) dropped
    net = gs.from_jax(fn, jnp.asarray(X))
    np.testing.assert_allclose(net(Tensor(X)).asnumpy(), np.asarray(fn(jnp.asarray(X))))
    np.testing.assert_array_equal(_grad(net), want)


def test_jax_clamp_bound_gradients(fake):
    jax = pytest.importorskip("jax")
    lo, hi = np.full(X.shape, -1.0, np.float32), np.full(X.shape, 1.0, np.float32)  # JAX grads need full bounds
    want = jax.grad(lambda x, a, b: jax.lax.clamp(a, x, b).sum(), (0, 1, 2))(X, lo, hi)
    net = gs.from_jax(lambda x, a, b: jax.lax.clamp(a, x, b), X, lo, hi)
    got = ops.grad(lambda x, a, b: ops.sum(net(x, a, b)), (0, 1, 2))(Tensor(X), Tensor(lo), Tensor(hi))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.asnumpy(), np.asarray(w))


def test_onnx_max_min_split_ties_and_clip_passes_on_the_bounds():
    """ONNX defines no derivatives; the importer takes the engine's (and MindSpore 2.10's, JAX's, PyTorch's)
    for Max / Min (ties split) and PyTorch's clamp rule (ONNX's usual source) for Clip (1 on the bounds)."""
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    from engine import evaluate, vjp
    from engine.importers import onnx_to_graph
    from engine.serialize import graph_from_json, tensor_to_json

    def run(node, inputs, inits=()):
        vi = [helper.make_tensor_value_info(k, TensorProto.FLOAT, [3]) for k in inputs]
        init = [helper.make_tensor(k, TensorProto.FLOAT, [], [v]) for k, v in inits]
        g = helper.make_graph([node], "g", vi, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=init)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
        graph = graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))
        return evaluate(vjp(graph), *inputs.values(), np.ones(3, np.float32))[1]

    a, b = np.array([1, 2, 3], np.float32), np.array([1, 1, 4], np.float32)
    ga, gb = run(helper.make_node("Max", ["a", "b"], ["y"]), {"a": a, "b": b})
    np.testing.assert_array_equal(ga, [0.5, 1, 0])
    np.testing.assert_array_equal(gb, [0.5, 0, 1])
    ga, gb = run(helper.make_node("Min", ["a", "b"], ["y"]), {"a": a, "b": b})
    np.testing.assert_array_equal(ga, [0.5, 0, 1])
    (gx,) = run(helper.make_node("Clip", ["x", "lo", "hi"], ["y"]), {"x": np.array([0, 1, 3], np.float32)},
                [("lo", 1.0), ("hi", 3.0)])
    np.testing.assert_array_equal(gx, [0, 1, 1])
