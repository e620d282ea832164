"""Every example of shared/reference/seed_expected.md through REST against a real server:
JSON, base64 and binary tensor encodings, on every configured pool.

Expected values are the table's (6 decimals, float32 rtol 1e-6). On top of that, the JSON
and binary answers of one device must be the same float32 bits, and equal bit for bit to the
engine run in-process with the same backend (cpu pool = NumPy)."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.serialize import graph_from_json

from .conftest import devices
from .helpers import (F32, X, Y, call, cube_net, decode, matmul_net, rebuild, sin_cos_net, sin_net, square_net,
                      stop_net, xxy_net, xyz_net)

S = np.array([[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]], F32)
XS, YS, V3 = np.array([0.8, 0.6, 0.2], F32), np.array([0.7, 0.4, 0.3], F32), np.ones(3, F32)
A = np.array([[1, 2], [3, 4]], F32)
B = np.array([[-2, 3], [-1, 2]], F32)
C = np.array([[0, 3], [5, -1]], F32)
V = np.array([[-1, 3], [2, 1]], F32)
ONE, ZERO = np.array([1], F32), np.array([0], F32)
DX = [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]
OUT_SC = [1.482198, 1.485704, 1.154006]
OUT_CUBE = [[2, 10], [30, 68]]

# id: (endpoint, graph, request fields, expected structure with expected values at the leaves, names)
CASES = {
    "input_derivation": ("grad", matmul_net(), {"inputs": [X, Y]}, DX, ["d/dx"]),
    "all_inputs": ("grad", matmul_net(), {"inputs": [X, Y], "get_all": True},
                   (DX, [[2.6] * 3, [1.9] * 3, [1.3] * 3]), ["d/dx", "d/dy"]),
    "weight_derivation": ("grad", matmul_net(), {"inputs": [X, Y], "get_by_list": True}, ([21.536],), ["d/dz"]),
    "sens_scaling": ("grad", matmul_net(), {"inputs": [X, Y], "sens": S},
                     [[2.211, 0.51, 1.49], [5.588, 2.68, 4.07]], ["d/dx"]),
    "one_output_element": ("grad", matmul_net(index=True), {"inputs": [X, Y]}, [[0.11, 1.1, 1.1], [0, 0, 0]],
                           ["d/dx"]),
    "stop_gradient": ("grad", stop_net(True), {"inputs": [X, Y]}, DX, ["d/dx"]),
    "without_stop_gradient": ("grad", stop_net(False), {"inputs": [X, Y]}, [[9.02, 5.4, 7.2]] * 2, ["d/dx"]),
    "second_order_sin": ("grad", sin_net(), {"inputs": [np.array([1.0], F32)], "order": 2}, [-0.841471], ["d/dx"]),
    "second_order_x_times_x": ("grad", square_net(), {"inputs": [np.array([0.1, 0.2, 0.3], F32)], "order": 2},
                               [2, 2, 2], ["d/dx"]),
    "second_order_2in2out_dx": ("grad", xxy_net(), {"inputs": [np.array([4], F32), np.array([5], F32)],
                                                     "get_all": True, "order": 2, "sens": [ONE, ZERO]},
                                ([10], [8]), ["d/dx", "d/dy"]),
    "second_order_2in2out_dy": ("grad", xxy_net(), {"inputs": [np.array([4], F32), np.array([5], F32)],
                                                     "get_all": True, "order": 2, "sens": [ZERO, ONE]},
                                ([8], [0]), ["d/dx", "d/dy"]),
    "nn_jvp": ("jvp", sin_cos_net(), {"inputs": [XS, YS], "tangents": [V3, V3]},
               (OUT_SC, [0.052489, 0.435917, 0.684546]), ["out", "jvp"]),
    "nn_vjp": ("vjp", sin_cos_net(), {"inputs": [XS, YS], "v": V3},
               (OUT_SC, ([0.696707, 0.825336, 0.980067], [-0.644218, -0.389418, -0.29552])), ["out", "d/dx", "d/dy"]),
    "functional_grad_positions": ("grad", xyz_net(), {"inputs": [A, B, C], "grad_position": [1, 2]},
                                  ([[0, 6], [15, -4]], [[-2, 6], [-3, 8]]), ["d/dy", "d/dz"]),
    "functional_grad_sens": ("grad", xyz_net(True), {"inputs": [A, B, C], "grad_position": [1, 2], "sens": [V, V]},
                             ([[4, 36], [26, 0]], [[2, 36], [14, 6]]), ["d/dy", "d/dz"]),
    "functional_jvp": ("jvp", cube_net(), {"inputs": [A, A], "tangents": [np.ones((2, 2), F32)] * 2},
                       (OUT_CUBE, [[4, 13], [28, 49]]), ["out", "jvp"]),
    "functional_vjp": ("vjp", cube_net(), {"inputs": [A, A], "v": np.ones((2, 2), F32)},
                       (OUT_CUBE, ([[3, 12], [27, 48]], [[1, 1], [1, 1]])), ["out", "d/dx", "d/dy"]),
}


def _check(got, expected):
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), (got, expected)
        for g, e in zip(got, expected):
            _check(g, e)
        return
    assert isinstance(got, np.ndarray) and got.dtype == F32, got
    e = np.asarray(expected, F32)
    assert got.shape == e.shape
    np.testing.assert_allclose(got, e, rtol=1e-6, atol=1e-6)


def _in_process(kind, graph, fields):
    """The same job through the engine's Python API (NumPy backend)."""
    g = graph_from_json(graph)
    ins = list(fields["inputs"])
    if kind == "grad":
        opts = {k: fields[k] for k in ("get_all", "get_by_list") if k in fields}
        sens = fields.get("sens")
        order = fields.get("order", 1)
        for i in range(order):
            s = sens is not None and i == order - 1
            if opts:
                g = engine.grad_operation(g, sens_param=s, **opts)
            else:
                g = engine.grad(g, fields.get("grad_position", 0), sens_param=s)
        if sens is not None:
            ins += sens if isinstance(sens, list) else [sens]
    elif kind == "jvp":
        g = engine.jvp(g)
        ins += fields["tangents"]
    else:
        g = engine.vjp(g)
        ins += [fields["v"]]
    return engine.tree_flatten(engine.evaluate(g, *ins)) if hasattr(engine, "tree_flatten") else _flat(
        engine.evaluate(g, *ins))


def _flat(t):
    return [x for s in t for x in _flat(s)] if isinstance(t, tuple) else [t]


@pytest.mark.parametrize("device", devices())
@pytest.mark.parametrize("case", list(CASES))
def test_seed_example(client, case, device):
    kind, graph, fields, expected, names = CASES[case]
    answers = {}
    for enc in ("json", "b64", "binary"):
        r = call(client, kind, {"graph": graph, "device": device, **fields}, enc)
        out = decode(r)
        assert out["device"].split(":")[0] == device
        assert [o["name"] for o in out["outputs"]] == names
        assert all(o["datatype"] == "FP32" for o in out["outputs"])
        if enc == "binary":
            assert r.headers["content-type"] == "application/octet-stream"
            assert all("data" not in o and o["parameters"]["binary_data_size"] == o["array"].nbytes
                       for o in out["outputs"])
        _check(rebuild(out), expected)
        answers[enc] = [o["array"] for o in out["outputs"]]
    for enc in ("b64", "binary"):  # JSON floats carry float32 exactly
        for a, b in zip(answers["json"], answers[enc]):
            assert a.tobytes() == b.tobytes()
    if device == "cpu":
        for a, b in zip(answers["json"], _in_process(kind, graph, fields)):
            assert a.tobytes() == np.asarray(b).tobytes(), (a, b)


def test_structure_and_registry(client):
    """vjp's structure is [out, [d/dx, d/dy]]; a registered graph runs by id with the same result."""
    graph = cube_net()
    r = client.post("/v1/graphs", json={"graph": graph})
    assert r.status_code == 201, r.text
    gid = r.json()["graph_id"]
    sig = r.json()["signature"]
    assert sig["inputs"] == [{"name": "x", "shape": [2, 2], "datatype": "FP32"},
                             {"name": "y", "shape": [2, 2], "datatype": "FP32"}]
    got = client.get(f"/v1/graphs/{gid}").json()
    assert got["graph"] == graph and got["graph_id"] == gid
    by_id = decode(call(client, "vjp", {"graph_id": gid, "inputs": [A, A], "v": np.ones((2, 2), F32)}))
    inline = decode(call(client, "vjp", {"graph": graph, "inputs": [A, A], "v": np.ones((2, 2), F32)}))
    assert by_id["structure"] == inline["structure"] == [0, [1, 2]]
    assert by_id["graph_id"] == inline["graph_id"] == gid
    for a, b in zip(by_id["outputs"], inline["outputs"]):
        assert a["array"].tobytes() == b["array"].tobytes()


def test_value_and_grad_and_params_override(client):
    g = matmul_net()
    out = decode(call(client, "grad", {"graph": g, "inputs": [X, Y], "value_and_grad": True,
                                       "grad_position": None, "weights": ["z"]}))
    assert [o["name"] for o in out["outputs"]] == ["out", "d/dz"]
    assert out["structure"] == [0, [1]]
    np.testing.assert_allclose(out["outputs"][1]["array"], [21.536], rtol=1e-6)
    # z = 2 doubles d/dx
    out = decode(call(client, "grad", {"graph": g, "inputs": [X, Y], "params": {"z": np.array([2.0], F32)}}))
    np.testing.assert_allclose(out["outputs"][0]["array"], 2 * np.asarray(DX, F32), rtol=1e-6)


def test_eval_jacobian_hessian_hvp(client):
    g = sin_cos_net()
    out = decode(call(client, "eval", {"graph": g, "inputs": [XS, YS]}))
    np.testing.assert_allclose(out["outputs"][0]["array"], OUT_SC, rtol=1e-6)
    jac = decode(call(client, "jacobian", {"graph": g, "inputs": [XS, YS], "positions": [0, 1]}))
    assert [o["name"] for o in jac["outputs"]] == ["d/dx", "d/dy"] and jac["structure"] == [0, 1]
    np.testing.assert_allclose(jac["outputs"][0]["array"], np.diag(np.cos(XS)), rtol=1e-6, atol=1e-7)
    fwd = decode(call(client, "jacobian", {"graph": g, "inputs": [XS, YS], "positions": 1, "mode": "fwd"}))
    np.testing.assert_allclose(fwd["outputs"][0]["array"], np.diag(-np.sin(YS)), rtol=1e-6, atol=1e-7)
    from .helpers import GraphBuilder, graph_to_json  # noqa: F401  (scalar output for the Hessian)

    gb = GraphBuilder("f")
    x = gb.input((3,), name="x")
    f = graph_to_json(gb.build(gb.sum(gb.sin(x))))
    h = decode(call(client, "hessian", {"graph": f, "inputs": [XS]}))
    np.testing.assert_allclose(h["outputs"][0]["array"], np.diag(-np.sin(XS)), rtol=1e-6, atol=1e-7)
    hv = decode(call(client, "hvp", {"graph": f, "inputs": [XS], "v": [V3]}))
    np.testing.assert_allclose(hv["outputs"][0]["array"], -np.sin(XS), rtol=1e-6)
