"""complex64 / complex128 over the wire (COMPLEX64 / COMPLEX128, docs/API.md) against the real server:
REST in its three tensor encodings (JSON [re, im] pairs, b64, binary) and gRPC (raw interleaved bytes).

Each answer is bit-equal to the engine run in-process on the cpu pool, and the gradients follow
MindSpore's convention (dL/dRe + i dL/dIm), checked against closed forms."""
from __future__ import annotations

import json

import numpy as np
import pytest

import engine
from engine import GraphBuilder
from engine.serialize import graph_from_json, graph_to_json

from .conftest import devices
from .helpers import body_for, decode

Z = np.array([[1 + 2j, 3 - 1j], [-0.5 + 0.25j, 2j]], np.complex64)
W = np.array([[0.5 - 1j, 2 + 1j], [-1 + 0.5j, 1 + 0j]], np.complex64)
ENCODINGS = ("json", "b64", "binary")


def _net(dtype: str = "complex64") -> dict:
    """(z * w + exp(z), sum |z * w|^2): a complex output beside a real one."""
    gb = GraphBuilder("cnet")
    z, w = gb.input((2, 2), dtype, name="z"), gb.input((2, 2), dtype, name="w")
    y = gb.mul(z, w)
    return graph_to_json(gb.build((gb.add(y, gb.exp(z)), gb.sum(gb.square(gb.abs(y))))))


def _loss_net() -> dict:
    gb = GraphBuilder("closs")
    z, w = gb.input((2, 2), "complex64", name="z"), gb.input((2, 2), "complex64", name="w")
    return graph_to_json(gb.build(gb.sum(gb.square(gb.abs(gb.mul(z, w))))))


@pytest.mark.parametrize("enc", ENCODINGS)
def test_eval_round_trip(proto, enc):
    a = proto.call("eval", _net(), [Z, W], enc=enc, device="cpu").ok()
    out, loss = a.value()
    assert out.dtype == np.complex64 and loss.dtype == np.float32
    want_out, want_loss = engine.evaluate(graph_from_json(_net()), Z, W)
    assert out.tobytes() == want_out.tobytes() and loss.tobytes() == want_loss.tobytes()
    np.testing.assert_allclose(out, Z * W + np.exp(Z), rtol=1e-6)


@pytest.mark.parametrize("enc", ENCODINGS)
def test_grad_follows_mindspore_convention(proto, enc):
    """d/dz sum |z w|^2 = 2 z |w|^2 (dL/dRe + i dL/dIm, as MindSpore and PyTorch give)."""
    a = proto.call("grad", _loss_net(), [Z, W], enc=enc, get_all=True, device="cpu").ok()
    dz, dw = a.value()
    assert a.names == ["d/dz", "d/dw"] and dz.dtype == np.complex64
    np.testing.assert_allclose(dz, 2 * Z * np.abs(W) ** 2, rtol=1e-6)
    np.testing.assert_allclose(dw, 2 * W * np.abs(Z) ** 2, rtol=1e-6)
    want = engine.evaluate(engine.grad(graph_from_json(_loss_net()), (0, 1)), Z, W)
    assert dz.tobytes() == want[0].tobytes() and dw.tobytes() == want[1].tobytes()


def test_vjp_and_jvp_with_complex_cotangents_and_tangents(proto):
    g = _net("complex128")
    z, w = Z.astype(np.complex128), W.astype(np.complex128)
    c = np.array([[1, 1j], [0.5 - 2j, -1]], np.complex128)
    a = proto.call("vjp", g, [z, w], v=[c, np.array(2.0)], device="cpu").ok()
    dz, dw = a.value()[1]
    # y = z w + exp z, L = sum |z w|^2: vjp = c conj(w + exp z) + 2 * 2 z |w|^2, c conj(z) + 2 * 2 w |z|^2
    np.testing.assert_allclose(dz, c * np.conj(w + np.exp(z)) + 4 * z * np.abs(w) ** 2, rtol=1e-12)
    np.testing.assert_allclose(dw, c * np.conj(z) + 4 * w * np.abs(z) ** 2, rtol=1e-12)
    t = np.array([[1j, 1], [2, -1j]], np.complex128)
    jv = proto.call("jvp", g, [z, w], tangents=[t, t], device="cpu").ok().value()[1]
    np.testing.assert_allclose(jv[0], t * w + z * t + np.exp(z) * t, rtol=1e-12)
    # d/de |(z + e t)(w + e t)|^2 = 2 Re(conj(z w) (t w + z t))
    np.testing.assert_allclose(jv[1], np.sum(2 * (np.conj(z * w) * (t * w + z * t)).real), rtol=1e-12)


def test_json_form_is_re_im_pairs(server):
    """The JSON answer holds one [re, im] pair per element, row-major; the request may nest pairs by shape."""
    content, headers = body_for({"graph": _net(), "inputs": [Z, W], "device": "cpu"}, "json")
    sent = json.loads(content)
    assert sent["inputs"][0]["datatype"] == "COMPLEX64" and sent["inputs"][0]["data"][0][0] == [1.0, 2.0]
    with server.client() as c:
        r = c.post("/v1/eval", content=content, headers=headers)
    assert r.status_code == 200, r.text
    first = r.json()["outputs"][0]
    assert first["datatype"] == "COMPLEX64" and first["shape"] == [2, 2]
    want = np.asarray(engine.evaluate(graph_from_json(_net()), Z, W)[0])
    pairs = np.array(first["data"], np.float32)  # float32 parts as their shortest round-tripping decimals
    assert pairs.shape == (4, 2) and np.array_equal(pairs[:, 0] + 1j * pairs[:, 1], want.reshape(-1))
    assert np.array_equal(decode(r)["outputs"][0]["array"], want)


def test_bad_complex_data_is_a_400(server):
    body = {"graph": _loss_net(), "inputs": [{"name": "z", "shape": [2, 2], "datatype": "COMPLEX64",
                                             "data": [1.0, 2.0, 3.0, 4.0, 5.0]},
                                            {"name": "w", "shape": [2, 2], "datatype": "COMPLEX64", "b64": ""}]}
    with server.client() as c:
        r = c.post("/v1/grad", json=body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["detail"]["path"] == "$.inputs[0].data" and "[re, im] pair" in err["message"], err


@pytest.mark.parametrize("op", ["maximum", "less"])
def test_op_without_complex_meaning_is_a_400_naming_it(proto, op):
    gb = GraphBuilder("bad")
    z, w = gb.input((2, 2), "complex64", name="z"), gb.input((2, 2), "complex64", name="w")
    g = graph_to_json(gb.build(gb.emit1("identity", z)))
    g["nodes"] = [{"op": op, "inputs": ["z", "w"], "outputs": ["o"]}]
    g["outputs"] = "o"
    a = proto.call("eval", g, [Z, W], device="cpu")
    a.failed(400, "shape_error")
    assert f"{op}: not defined for complex operands, got complex64[2,2]" in a.error["message"], a.error


@pytest.mark.parametrize("device", [d for d in devices() if d != "cpu"])
def test_other_pools_agree(proto, device):
    """The same jobs on the other configured pools (PyTorch, CuPy): values within float32 rounding."""
    out, loss = proto.call("eval", _net(), [Z, W], device=device).ok().value()
    assert out.dtype == np.complex64
    np.testing.assert_allclose(out, Z * W + np.exp(Z), rtol=1e-6)
    dz, dw = proto.call("grad", _loss_net(), [Z, W], get_all=True, device=device).ok().value()
    np.testing.assert_allclose(dz, 2 * Z * np.abs(W) ** 2, rtol=1e-6)
    np.testing.assert_allclose(dw, 2 * W * np.abs(Z) ** 2, rtol=1e-6)
