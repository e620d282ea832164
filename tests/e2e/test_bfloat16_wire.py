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


def test_a_bfloat16_job_is_held_to_max_job_bytes_with_its_float32_copies(tmp_path_factory):
    """Each bfloat16 node computes on float32 copies of its operands and result (engine/executor.py _widened).
    sum(tanh(x * y)) over n elements holds, while the product runs: x and y (4n bytes), their float32
    copies (8n), the float32 product (4n) and its bfloat16 rounding (2n), 18n in all (measured in
    tests/engine/test_limits.py). The estimate counted the avals only (8n), so a server with max_job_bytes 12n
    ran it: a client could make a worker hold ~2-3x the limit in bfloat16. Refused before it runs now,
    naming the setting; a quarter of it runs and its value is PyTorch's."""
    from .helpers import call, decode, error_of
    from .server import server_in

    n = 1 << 20
    gb = GraphBuilder("bmem")
    x, y = gb.input((n,), "bfloat16", name="x"), gb.input((n,), "bfloat16", name="y")
    big = graph_to_json(gb.build(gb.sum(gb.tanh(gb.mul(x, y)))))
    env = {"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_JOB_BYTES": str(12 * n)}
    with server_in(tmp_path_factory, "bf16_job_bytes", devices="cpu", env=env) as s:
        with s.client() as c:
            xs = np.full(n, 0.5, BF16)
            r = call(c, "eval", {"graph": big, "inputs": [xs, xs]}, enc="binary")
            assert r.status_code == 413, r.text[:300]
            assert error_of(r)["detail"]["limit"] == "max_job_bytes", r.text[:300]
            m = n // 4
            gb = GraphBuilder("bsmall")
            x, y = gb.input((m,), "bfloat16", name="x"), gb.input((m,), "bfloat16", name="y")
            small = graph_to_json(gb.build(gb.sum(gb.tanh(gb.mul(x, y)))))
            xs = (np.random.default_rng(0).random(m, dtype=np.float32) - 0.5).astype(BF16)
            (v,) = [o["array"] for o in decode(call(c, "eval", {"graph": small, "inputs": [xs, xs]},
                                                    enc="binary"))["outputs"]]
            t = torch.tensor(xs.astype(np.float32)).to(torch.bfloat16)
            want = torch.tanh(t * t).float().sum().item()  # (float32 sum of the rounded tanh values)
            np.testing.assert_allclose(float(v.astype(np.float32)), want, rtol=2 ** -7)
