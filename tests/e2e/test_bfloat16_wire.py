"""bfloat16 over /v1 (BF16, docs/API.md) against the real server: REST in its three tensor encodings (JSON numbers,
b64 and binary raw 2-byte little-endian) and gRPC (raw bytes), on every pool of the e2e server (NumPy computes each
node in float32 and rounds once; the torch pool natively). Expected values: PyTorch's autograd in bfloat16."""
from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .conftest import devices

torch = pytest.importorskip("torch")
BF16 = np.dtype(ml_dtypes.bfloat16)
X = np.array([[0.5, -1.25, 2.0], [0.3, 1.7, -0.9]], np.float32).astype(BF16)
W = np.array([[1.5, 0.25, -3.0], [0.7, -0.1, 1.1]], np.float32).astype(BF16)


def _net() -> dict:
    """sum(exp(x) * w)."""
    gb = GraphBuilder("bnet")
    x, w = gb.input((2, 3), "bfloat16", name="x"), gb.input((2, 3), "bfloat16", name="w")
    return graph_to_json(gb.build(gb.sum(gb.mul(gb.exp(x), w))))


def _torch_grads():
    x, w = (torch.tensor(a.astype(np.float32)).to(torch.bfloat16).requires_grad_() for a in (X, W))
    loss = (torch.exp(x) * w).sum()
    loss.backward()
    return [t.to(torch.float32).detach().numpy() for t in (loss, x.grad, w.grad)]


@pytest.mark.parametrize("device", devices())
@pytest.mark.parametrize("enc", ("json", "b64", "binary"))
def test_value_and_grad_in_bfloat16(proto, enc, device):
    if proto.protocol == "grpc" and enc != "json":
        pytest.skip("gRPC has one encoding (raw bytes)")
    loss, dx, dw = _torch_grads()
    a = proto.call("grad", _net(), [X, W], enc=enc, get_all=True, device=device).ok()
    gx, gw = a.value()
    assert gx.dtype == gw.dtype == BF16
    np.testing.assert_array_equal(gx.astype(np.float32), dx)
    np.testing.assert_array_equal(gw.astype(np.float32), dw)
    (v,) = proto.call("eval", _net(), [X, W], enc=enc, device=device).ok().arrays
    assert v.dtype == BF16 and v.shape == ()
    # the sum of six products: float32 inside on both sides, one rounding; only the order of the float32
    # additions may differ (at most one bfloat16 ulp)
    np.testing.assert_allclose(v.astype(np.float32), loss, rtol=2 ** -8)
