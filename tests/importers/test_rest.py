"""POST /v1/graphs with an ONNX body on a real gradserve-server: the registered model gives the
numbers PyTorch gives (value, vjp and gradients w.r.t. every weight, jvp, Hessian-vector product),
and untrusted bodies get clear 4xx answers."""
import numpy as np
import pytest
import torch
from onnx import TensorProto, helper

import gradserve as gs

from .models import close, cnn, cnn_input, to_onnx

ONNX = {"content-type": "application/onnx"}


class Loss(torch.nn.Module):
    """A scalar of the CNN (what a Hessian-vector product needs)."""

    def __init__(self, m, c):
        super().__init__()
        self.m, self.c = m, c

    def forward(self, x):
        return ((self.m(x) * self.c) ** 2).sum() / 2


def _register(server, body: bytes) -> dict:
    with server.client() as h:
        r = h.post("/v1/graphs", content=body, headers=ONNX)
    assert r.status_code == 201, r.text
    return r.json()


def test_registered_onnx_cnn_matches_torch(server):
    m, x = cnn(), cnn_input()
    reg = _register(server, to_onnx(m, x))
    sig = reg["signature"]
    assert [i["name"] for i in sig["inputs"]] == ["x"] and [i["shape"] for i in sig["inputs"]] == [[2, 3, 12, 12]]
    names = [p["name"] for p in sig["params"]]
    weights = [n for n in names if "running" not in n]
    assert sorted(weights) == sorted(dict(m.named_parameters()))
    c = gs.Client(server.url)
    xn = x.numpy()
    close(c.eval(reg["graph_id"], [xn]).value, m(x).detach().numpy(), "value over REST")

    v = np.random.default_rng(1).standard_normal((2, 5)).astype(np.float32)
    xt = x.clone().requires_grad_(True)
    params = dict(m.named_parameters())
    want = torch.autograd.grad(m(xt), [xt] + [params[n] for n in weights], grad_outputs=torch.from_numpy(v))
    got = c.grad(reg["graph_id"], [xn], grad_position=0, weights=weights, sens=v).value
    close(got[0], want[0].numpy(), "grad x over REST")
    for n, g, w in zip(weights, got[1], want[1:]):
        close(g, w.numpy(), f"grad {n} over REST")

    t = np.random.default_rng(2).standard_normal(xn.shape).astype(np.float32)
    out, tan = c.jvp(reg["graph_id"], [xn], [t]).value
    wout, wtan = torch.func.jvp(m, (x,), (torch.from_numpy(t),))
    close(tan, wtan.detach().numpy(), "jvp over REST")


def test_registered_onnx_scalar_hvp_matches_torch(server):
    m, x = cnn(), cnn_input()
    cw = torch.from_numpy(np.random.default_rng(3).uniform(0.5, 1.5, (2, 5)).astype(np.float32))
    loss = Loss(m, cw).eval()  # eval: exporting restores the top module's mode on every submodule
    reg = _register(server, to_onnx(loss, x))
    t = np.random.default_rng(4).standard_normal(x.shape).astype(np.float32)
    got = gs.Client(server.url).hvp(reg["graph_id"], [x.numpy()], [t]).value
    xt = x.clone().requires_grad_(True)
    g = torch.autograd.grad(loss(xt), xt, create_graph=True)[0]
    want = torch.autograd.grad((g * torch.from_numpy(t)).sum(), xt)[0]
    close(got[0] if isinstance(got, (tuple, list)) else got, want.numpy(), "hvp over REST")
    assert np.abs(want.numpy()).max() > 1e-3


def _graph(nodes, inputs, outputs, inits=(), domains=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)] +
                             [helper.make_opsetid(d, 1) for d in domains]).SerializeToString()


X = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])


def _post(server, body):
    with server.client() as h:
        return h.post("/v1/graphs", content=body, headers=ONNX)


def test_untrusted_bodies_get_clear_4xx(server):
    r = _post(server, b"\x0a\xff\xff definitely not onnx")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_graph", r.text
    r = _post(server, _graph([helper.make_node("Op", ["x"], ["y"], domain="com.vendor", name="n0")], [X],
                             [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], domains=["com.vendor"]))
    assert r.status_code == 400 and "com.vendor" in r.json()["error"]["message"]
    r = _post(server, _graph([helper.make_node("Det", ["x"], ["y"], name="det")], [X],
                             [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])]))
    err = r.json()["error"]
    detail = {k: v for k, v in err["detail"].items() if k != "request_id"}  # every error body carries its request id
    assert r.status_code == 400 and detail == {"op": "Det", "node": "det", "opset": 17, "model": "g"}, r.text
    r = _post(server, _graph([helper.make_node("Add", ["x"], ["y"], name="a1")], [X],
                             [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])]))
    assert r.status_code == 400 and "malformed" in r.json()["error"]["message"], r.text
    # every limit of the server applies: nodes (GRADSERVE_MAX_NODES=3000 in the e2e environment) ...
    nodes = [helper.make_node("Relu", [f"t{i}" if i else "x"], [f"t{i + 1}"]) for i in range(3001)]
    r = _post(server, _graph(nodes, [X], [helper.make_tensor_value_info("t3001", TensorProto.FLOAT, [4])]))
    assert r.status_code == 413 and r.json()["error"]["detail"]["limit"] == "max_nodes", r.text
    # ... and body size: a model upload's own limit (GRADSERVE_MAX_MODEL_BYTES=8 MiB in the e2e environment)
    r = _post(server, bytes(9 * 1024 * 1024))
    assert r.status_code == 413 and r.json()["error"]["detail"]["limit"] == "max_model_bytes", r.text
    # JSON registrations on the same path are untouched
    with server.client() as h:
        r = h.post("/v1/graphs", json={"graph": {"format": "gradserve.graph/1", "nodes": [], "outputs": "x",
                                                 "inputs": [{"name": "x", "shape": [2], "dtype": "float32"}]}})
    assert r.status_code == 201, r.text


def test_without_onnx_the_server_answers_415(monkeypatch):
    import sys

    from service import onnx_graphs
    from service.settings import Settings

    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(onnx_graphs.UnsupportedMediaType, match="onnx package is not installed"):
        onnx_graphs.convert(b"", Settings())


def test_registered_onnx_control_flow(server):
    """An ONNX If and a Loop registered over REST: value and gradients (input and weight) as JAX's."""
    jax = pytest.importorskip("jax")
    from .test_control_flow_import import W0, if_model, loop_model

    jnp, lax = jax.numpy, jax.lax

    def if_ref(x, w):
        return jnp.sum(lax.cond(jnp.sum(x) > 0, lambda: jnp.sin(x) * w, lambda: x * x + w) ** 2)

    def loop_ref(x, w):
        v, ys = lax.scan(lambda v, i: ((jnp.sin(v) * w + i),) * 2, x, jnp.arange(3.0))
        return jnp.sum(v ** 2) + jnp.sum((ys * ys) ** 2)

    c = gs.Client(server.url)
    with jax.enable_x64(True):
        for body, ref in ((if_model(), if_ref), (loop_model(), loop_ref)):
            gid = _register(server, body)["graph_id"]
            for x in (np.array([0.3, 0.5, -0.1]), np.array([-0.3, 0.2, -0.6])):
                np.testing.assert_allclose(c.eval(gid, [x]).value, ref(x, W0), rtol=1e-10)
                dx, dw = c.grad(gid, [x], grad_position=0, weights=["W"]).value
                np.testing.assert_allclose(dx, jax.grad(ref)(x, W0), rtol=1e-10)
                np.testing.assert_allclose(dw[0], jax.grad(ref, argnums=1)(x, W0), rtol=1e-10)


def test_untrusted_subgraphs_meet_the_limits_over_rest(server):
    """Sub-graphs nested past max_subgraph_depth, and a Loop of M = INT64_MAX: 413 naming the limit."""
    from .test_control_flow_import import _nested_ifs, while_model

    r = _post(server, _nested_ifs(9))
    assert r.status_code == 413 and r.json()["error"]["detail"]["limit"] == "max_subgraph_depth", r.text
    r = _post(server, while_model(np.iinfo(np.int64).max))
    assert r.status_code == 413 and r.json()["error"]["detail"]["limit"] == "max_nodes", r.text


def test_onnx_registration_options_scalar_weight_input_shape(server):
    import io

    from .test_import_round9_leftovers import _Scaled  # (a scalar nn.Parameter; the export leaves the batch dynamic)

    torch.manual_seed(0)
    m, x = _Scaled(), torch.randn(4, 3)
    f = io.BytesIO()
    torch.onnx.export(m, (x,), f, dynamo=False, do_constant_folding=False, opset_version=17,
                      input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    with server.client() as h:
        r = h.post("/v1/graphs", content=f.getvalue(), headers=ONNX)
        assert r.status_code == 400 and "input_shapes" in r.json()["error"]["message"], r.text  # dynamic batch
        r = h.post("/v1/graphs?input_shape=x=4,3&scalar_weight=logit_scale", content=f.getvalue(), headers=ONNX)
        assert r.status_code == 201, r.text
        reg = r.json()
        for query, needle in (("input_shpe=x=4,3", "input_shpe"), ("input_shape=x=4,a", "input_shape"),
                              ("input_shape=x=4,3&scalar_weight=lin.weight", "lin.weight")):
            bad = h.post(f"/v1/graphs?{query}", content=f.getvalue(), headers=ONNX)
            assert bad.status_code == 400 and needle in bad.json()["error"]["message"], (query, bad.text)
    assert "warnings" not in reg
    assert [i["shape"] for i in reg["signature"]["inputs"]] == [[4, 3]]
    assert "logit_scale" in [p["name"] for p in reg["signature"]["params"]]
    v = np.random.default_rng(1).standard_normal((4, 2)).astype(np.float32)
    got = gs.Client(server.url).grad(reg["graph_id"], [x.numpy()], grad_position=None, weights=["logit_scale"],
                                     sens=v).value
    want = torch.autograd.grad(m(x), m.logit_scale, grad_outputs=torch.from_numpy(v))[0]
    close(np.asarray(got[0] if isinstance(got, (tuple, list)) else got), want.numpy(), "grad logit_scale over REST")


def test_onnx_registration_warns_of_weights_the_exporter_folded(server):
    """The dynamo exporter's form (test_import_round10_leftovers.py exports it for real): an initializer named
    after the FX node that computed it, referenced as `%mul` by the remaining nodes' metadata."""
    node = helper.make_node("MatMul", ["x", "mul"], ["y"], name="node_linear")
    node.metadata_props.add(key="pkg.torch.onnx.fx_node",
                            value="%linear : [num_users=1] = call_function[target=torch.ops.aten.linear.default]"
                                  "(args = (%x, %mul), kwargs = {})")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])],
                          initializer=[helper.make_tensor("mul", TensorProto.FLOAT, [3, 2], [0.5] * 6)])
    reg = _register(server, helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString())
    assert len(reg["warnings"]) == 1 and "['mul']" in reg["warnings"][0] and "optimize=False" in reg["warnings"][0]
