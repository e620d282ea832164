"""Whole model blocks built from the new ops, against PyTorch's own autodiff (float64): a small CNN
(conv, batch_norm in training mode, relu, max_pool, grouped conv, avg_pool, linear) and a transformer
encoder block (layer_norm, einsum attention, softmax, gelu MLP, residuals). Gradients w.r.t. the
input and every weight, a jvp, and a Hessian-vector product (second order) each agree with
torch.autograd / torch.func."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder, grad, hvp, jvp

torch = pytest.importorskip("torch")
F = torch.nn.functional
F64 = "float64"
RNG = np.random.default_rng(3)


def cnn_weights():
    return {"c1": RNG.normal(size=(4, 2, 3, 3)) * 0.4, "g1": RNG.uniform(0.5, 1.5, 4), "b1": RNG.normal(size=4) * 0.1,
            "c2": RNG.normal(size=(6, 2, 2, 2)) * 0.4, "fc": RNG.normal(size=(6, 3)) * 0.4}


def cnn_graph(w):
    gb = GraphBuilder("cnn")
    x = gb.input((2, 2, 8, 8), F64, name="x")
    p = {k: gb.param(k, v) for k, v in w.items()}
    h = gb.conv(x, p["c1"], padding=((1, 1), (1, 1)))
    h = gb.batch_norm(h, p["g1"], p["b1"], gb.full((4,), 0.0, F64), gb.full((4,), 1.0, F64), training=True)
    h = gb.max_pool(gb.relu(h), window=(2, 2), strides=(2, 2))
    h = gb.conv(h, p["c2"], strides=(1, 1), groups=2)
    h = gb.avg_pool(gb.tanh(h), window=(3, 3), strides=(1, 1))  # [2, 6, 1, 1]
    out = gb.matmul(gb.reshape(h, shape=(2, 6)), p["fc"])
    return gb.build(gb.sum(gb.square(gb.sin(out))))


def cnn_torch(x, w):
    h = F.conv2d(x, w["c1"], padding=1)
    h = F.batch_norm(h, None, None, w["g1"], w["b1"], training=True)
    h = F.max_pool2d(F.relu(h), 2, 2)
    h = F.conv2d(h, w["c2"], groups=2)
    h = F.avg_pool2d(torch.tanh(h), 3, 1)
    return torch.sum(torch.sin(h.reshape(2, 6) @ w["fc"]) ** 2)


def block_weights(d=8, hidden=16):
    return {"ln1_g": RNG.uniform(0.5, 1.5, d), "ln1_b": RNG.normal(size=d) * 0.1,
            "wq": RNG.normal(size=(d, d)) * 0.3, "wk": RNG.normal(size=(d, d)) * 0.3,
            "wv": RNG.normal(size=(d, d)) * 0.3, "wo": RNG.normal(size=(d, d)) * 0.3,
            "ln2_g": RNG.uniform(0.5, 1.5, d), "ln2_b": RNG.normal(size=d) * 0.1,
            "w1": RNG.normal(size=(d, hidden)) * 0.3, "w2": RNG.normal(size=(hidden, d)) * 0.3}


def block_graph(w, b=2, t=5, d=8, heads=2):
    gb = GraphBuilder("block")
    x = gb.input((b, t, d), F64, name="x")
    p = {k: gb.param(k, v) for k, v in w.items()}
    hd = d // heads

    def split(v):  # [b, t, d] -> [b, h, t, hd]
        return gb.transpose(gb.reshape(v, shape=(b, t, heads, hd)), perm=(0, 2, 1, 3))

    h = gb.layer_norm(x, p["ln1_g"], p["ln1_b"])
    q, k, v = (split(gb.matmul(h, p[n])) for n in ("wq", "wk", "wv"))
    s = gb.mul(gb.einsum(q, k, equation="bhqd,bhkd->bhqk"), gb.scalar(1 / np.sqrt(hd), F64))
    a = gb.einsum(gb.softmax(s, axis=-1), v, equation="bhqk,bhkd->bqhd")
    x = gb.add(x, gb.matmul(gb.reshape(a, shape=(b, t, d)), p["wo"]))
    h = gb.layer_norm(x, p["ln2_g"], p["ln2_b"])
    x = gb.add(x, gb.matmul(gb.gelu(gb.matmul(h, p["w1"]), approximate="tanh"), p["w2"]))
    return gb.build(gb.sum(gb.square(x)))


def block_torch(x, w, b=2, t=5, d=8, heads=2):
    hd = d // heads

    def split(v):
        return v.reshape(b, t, heads, hd).transpose(1, 2)

    h = F.layer_norm(x, (d,), w["ln1_g"], w["ln1_b"])
    q, k, v = (split(h @ w[n]) for n in ("wq", "wk", "wv"))
    a = torch.softmax(q @ k.transpose(-1, -2) / np.sqrt(hd), -1) @ v
    x = x + a.transpose(1, 2).reshape(b, t, d) @ w["wo"]
    h = F.layer_norm(x, (d,), w["ln2_g"], w["ln2_b"])
    return torch.sum((x + F.gelu(h @ w["w1"], approximate="tanh") @ w["w2"]) ** 2)


@pytest.mark.parametrize("model", ["cnn", "transformer_block"])
def test_block_derivatives_match_torch(model):
    make_w, make_g, ref, shape = {"cnn": (cnn_weights, cnn_graph, cnn_torch, (2, 2, 8, 8)),
                                  "transformer_block": (block_weights, block_graph, block_torch, (2, 5, 8))}[model]
    w = make_w()
    g = make_g(w)
    x = RNG.normal(size=shape)
    u = RNG.normal(size=shape)
    eng = Engine()
    tw = {k: torch.tensor(v, requires_grad=True) for k, v in w.items()}
    tx = torch.tensor(x, requires_grad=True)
    val = ref(tx, tw)
    val.backward()
    np.testing.assert_allclose(eng.run(g, [x]), val.item(), rtol=1e-12)
    dx, dws = eng.run(grad(g, grad_position=0, weights=list(w)), [x])
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, dw in zip(w, dws):
        np.testing.assert_allclose(dw, tw[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    tw0 = {k: torch.tensor(v) for k, v in w.items()}
    _, tan = torch.func.jvp(lambda a: ref(a, tw0), (torch.tensor(x),), (torch.tensor(u),))
    np.testing.assert_allclose(eng.run(jvp(g), [x, u])[1], tan.item(), rtol=1e-10)
    _, hv = torch.func.jvp(torch.func.grad(lambda a: ref(a, tw0)), (torch.tensor(x),), (torch.tensor(u),))
    np.testing.assert_allclose(eng.run(hvp(g), [x, u]), hv.numpy(), rtol=1e-8, atol=1e-10)


def test_blocks_round_trip_through_json_and_the_schema():
    """Attributes of the new ops (padding pairs, equations, control-flow function names) survive JSON:
    the loaded graph validates against the published schema and computes the same gradients."""
    import json
    from pathlib import Path

    import jsonschema

    import engine
    from engine.serialize import graph_from_json, graph_to_json

    schema = json.loads((Path(engine.__file__).parent / "graph.schema.json").read_text())
    w = cnn_weights()
    for g, shape in ((cnn_graph(w), (2, 2, 8, 8)), (block_graph(block_weights()), (2, 5, 8))):
        d = json.loads(json.dumps(graph_to_json(g)))
        jsonschema.Draft202012Validator(schema).validate(d)
        x = RNG.normal(size=shape)
        want = Engine().run(grad(g), [x])
        np.testing.assert_array_equal(Engine().run(grad(graph_from_json(d)), [x]), want)
