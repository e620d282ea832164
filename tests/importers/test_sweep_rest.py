"""The sweep over REST: zoo models exported by torch.onnx, registered with POST /v1/graphs on a
real gradserve-server, give torch's value and vjp w.r.t. the input and every weight named."""
import numpy as np
import pytest
import torch

import gradserve as gs

from .sweep import close, to_onnx
from .zoo import CASES

# one-input, one-output models covering the op families the importers map by composition
REST_CASES = ["mlp_gelu_tanh", "mlp_mish", "mlp_hardswish", "mlp_selu", "mlp_prelu", "conv1d_stride_pad_dilation",
              "conv_transpose2d", "pools", "batchnorm_layernorm_groupnorm_dropout", "lstm_2layer_batch_first",
              "gru_1layer", "multihead_attention", "resnet_basic_block", "where_masked_fill",
              "cumsum_softmax_logsoftmax", "transformer_encoder_postnorm_padding_mask", "mobilenet_inverted_residual_se",
              # round 6
              "convnext_block_layer_scale", "neural_ode_rk4_fixed_steps", "alibi_attention_bias"]


@pytest.mark.parametrize("name", REST_CASES)
def test_registered_model_matches_torch(server, name):
    model, (x,) = CASES[name]()
    with server.client() as h:
        r = h.post("/v1/graphs", content=to_onnx(model, (x,)), headers={"content-type": "application/onnx"})
    assert r.status_code == 201, r.text
    reg = r.json()
    tparams = dict(model.named_parameters())
    weights = [p["name"] for p in reg["signature"]["params"] if p["name"] in tparams]
    if not name.startswith(("lstm", "gru")):  # the exporter re-packs recurrent weights under new names
        assert sorted(weights) == sorted(tparams)
    c = gs.Client(server.url)
    xn = x.numpy()
    want_y = model(x).detach()
    close(c.eval(reg["graph_id"], [xn]).value, want_y.numpy(), "value over REST")
    v = np.random.default_rng(1).standard_normal(want_y.shape).astype(np.float32)
    xt = x.clone().requires_grad_(True)
    want = torch.autograd.grad(model(xt), [xt] + [tparams[n] for n in weights], grad_outputs=torch.from_numpy(v))
    got = c.grad(reg["graph_id"], [xn], grad_position=0, weights=weights or None, sens=v).value
    gx, gw = (got[0], got[1]) if weights else (got, [])  # no weights: the input's gradient alone
    close(gx, want[0].numpy(), "grad x over REST")
    assert len(gw) == len(weights)
    for n, g, w in zip(weights, gw, want[1:]):
        close(g, w.numpy(), f"grad {n} over REST")


def test_an_unsupported_op_is_a_400_naming_op_node_and_model(server):
    class Coins(torch.nn.Module):  # a random op: no mapping, by design
        def forward(self, x):
            return torch.bernoulli(torch.sigmoid(x)) * 2

    with server.client() as h:
        r = h.post("/v1/graphs", content=to_onnx(Coins(), (torch.randn(2, 3, 3),)),
                   headers={"content-type": "application/onnx"})
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == "invalid_graph", r.text
    assert err["detail"]["op"] == "Bernoulli" and err["detail"]["model"] == "main_graph", r.text
    assert "op Bernoulli (node '/Bernoulli'" in err["message"] and "model 'main_graph'" in err["message"], r.text
