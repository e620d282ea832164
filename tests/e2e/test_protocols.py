"""The jobs of the API over both protocols (the `proto` fixture: HTTP, gRPC) against the real server.

Every example of shared/reference/seed_expected.md on every configured pool (HTTP in its three tensor
encodings), the other job kinds and options, the graph registry, a 4 MiB tensor, and the client mistakes:
each gives the same names, structure, values and bits, or the same error code and status class, over
either protocol, and a mistake never a 5xx.

Expected values are the seed table's (6 decimals, float32 rtol 1e-6) or closed forms; on the cpu pool
(NumPy) every answer is also equal bit for bit to the engine run in-process, so the two protocols agree
bit for bit there; on the other pools they are compared to each other (test_protocols_agree)."""
from __future__ import annotations

import grpc
import numpy as np
import pytest

import engine
from engine import GraphBuilder
from engine.serialize import graph_from_json, graph_to_json
from grpc_health.v1 import health_pb2, health_pb2_grpc
from service.errors import CODES
from service.proto import gradserve_pb2 as pb

from .conftest import devices
from .helpers import (F32, X, Y, cube_net, decode, matmul_net, sin_cos_net, sin_net, slow_net, square_net, stop_net,
                      xxy_net, xyz_net)
from .proto import PROTOCOLS, Proto, same_bytes
from .server import module_server

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


def _flat(t):
    return [x for s in t for x in _flat(s)] if isinstance(t, tuple) else [t]


def _in_process(kind, graph, fields):
    """The same job through the engine's Python API (NumPy backend, as the cpu pool)."""
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
    return [np.asarray(a) for a in _flat(engine.evaluate(g, *ins))]


def _bits(arrays) -> list[bytes]:
    return [a.tobytes() for a in arrays]


# -- the seed -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("device", devices())
@pytest.mark.parametrize("case", list(CASES))
def test_seed_example(proto, case, device):
    kind, graph, fields, expected, names = CASES[case]
    answers = {}
    for enc in ("json", "b64", "binary") if proto.protocol == "http" else ("raw",):
        a = proto.call(kind, graph, device=device, enc=enc, **fields).ok()
        assert a.device.split(":")[0] == device and a.graph_id.startswith("sha256:")
        assert a.names == names and all(x.dtype == F32 for x in a.arrays)  # FP32 on the wire
        if enc == "binary":
            assert a.wire.headers["content-type"] == "application/octet-stream"
            out = decode(a.wire)
            assert all("data" not in o and o["parameters"]["binary_data_size"] == o["array"].nbytes
                       for o in out["outputs"])
        if enc == "raw":
            assert a.wire.timing.total_ms > 0
        _check(a.value(), expected)
        answers[enc] = _bits(a.arrays)
    assert len(set(map(tuple, answers.values()))) == 1, "the encodings disagree"  # JSON carries float32 exactly
    if device == "cpu":
        assert next(iter(answers.values())) == _bits(_in_process(kind, graph, fields))


@pytest.mark.parametrize("device", [d for d in devices() if d != "cpu"])  # cpu: both equal the engine's bits
@pytest.mark.parametrize("case", list(CASES))
def test_protocols_agree(server, case, device):
    kind, graph, fields, _, _ = CASES[case]
    http = Proto("http", server).call(kind, graph, device=device, enc="binary", **fields).ok()
    same_bytes(http, Proto("grpc", server).call(kind, graph, device=device, **fields).ok())


def _sum_sin():
    gb = GraphBuilder("f")
    return graph_to_json(gb.build(gb.sum(gb.sin(gb.input((3,), name="x")))))


# the other kinds and options, each job compared across protocols and encodings
JOBS = {
    "value_and_grad_weights": ("grad", matmul_net(), {"inputs": [X, Y], "value_and_grad": True, "grad_position": None,
                                                     "weights": ["z"]}),
    "params_override": ("grad", matmul_net(), {"inputs": [X, Y], "params": {"z": np.array([2.0], F32)}}),
    "get_all_order_2": ("grad", matmul_net(), {"inputs": [X, Y], "get_all": True, "order": 2}),
    "eval": ("eval", sin_cos_net(), {"inputs": [XS, YS]}),
    "jacobian_rev": ("jacobian", sin_cos_net(), {"inputs": [XS, YS], "positions": [0, 1]}),
    "jacobian_fwd": ("jacobian", sin_cos_net(), {"inputs": [XS, YS], "positions": 1, "mode": "fwd"}),
    "jvp_positions": ("jvp", sin_cos_net(), {"inputs": [XS, YS], "tangents": [V3], "positions": [1]}),
    "hessian": ("hessian", _sum_sin(), {"inputs": [XS]}),
    "hvp": ("hvp", _sum_sin(), {"inputs": [XS], "v": [V3]}),
}


def test_options_agree_across_protocols_and_encodings(server):
    for name, (kind, graph, fields) in JOBS.items():
        ref = Proto("grpc", server).call(kind, graph, **fields).ok()
        for enc in ("json", "binary"):
            same_bytes(ref, Proto("http", server).call(kind, graph, enc=enc, **fields).ok())


def test_value_and_grad_and_params_override(proto):
    kind, g, fields = JOBS["value_and_grad_weights"]
    a = proto.call(kind, g, **fields).ok()
    assert a.names == ["out", "d/dz"] and a.structure == [0, [1]]
    np.testing.assert_allclose(a.outputs["d/dz"], [21.536], rtol=1e-6)
    kind, g, fields = JOBS["params_override"]  # z = 2 doubles d/dx
    np.testing.assert_allclose(proto.call(kind, g, **fields).ok().outputs["d/dx"], 2 * np.asarray(DX, F32), rtol=1e-6)


def test_eval_jacobian_hessian_hvp(proto):
    def run(name):
        kind, g, fields = JOBS[name]
        return proto.call(kind, g, **fields).ok()

    np.testing.assert_allclose(run("eval").arrays[0], OUT_SC, rtol=1e-6)
    jac = run("jacobian_rev")
    assert jac.names == ["d/dx", "d/dy"] and jac.structure == [0, 1]
    np.testing.assert_allclose(jac.outputs["d/dx"], np.diag(np.cos(XS)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(run("jacobian_fwd").arrays[0], np.diag(-np.sin(YS)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(run("hessian").arrays[0], np.diag(-np.sin(XS)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(run("hvp").arrays[0], -np.sin(XS), rtol=1e-6)


def test_registry(proto, server):
    """A registered graph runs by id with the inline graph's answer; an unknown id is graph_not_found."""
    graph = cube_net()
    gid, sig = proto.register(graph)
    other = Proto("grpc" if proto.protocol == "http" else "http", server)
    assert other.register(graph)[0] == gid  # the id is the graph's, whichever protocol registered it
    assert sig == [("x", [2, 2], "FP32"), ("y", [2, 2], "FP32")]
    assert proto.get_graph(gid) == (200, graph, None)
    v = np.ones((2, 2), F32)
    by_id = proto.call("vjp", gid, [A, A], v=v).ok()
    inline = proto.call("vjp", graph, [A, A], v=v).ok()
    assert by_id.structure == [0, [1, 2]] and by_id.graph_id == gid
    same_bytes(by_id, inline)
    proto.call("vjp", "sha256:" + "0" * 64, [A, A], v=v).failed(404, "graph_not_found")
    status, _, err = proto.get_graph("sha256:nope")
    assert (status, err["code"]) == (404, "graph_not_found")


def test_devices_by_index_and_auto(proto):
    assert proto.call("grad", matmul_net(), [X, Y], device="cpu:1").ok().device == "cpu:1"
    assert proto.call("grad", matmul_net(), [X, Y], device="auto").ok().device.split(":")[0] in ("cpu", "gpu",
                                                                                               "ascend")


keyed_server = module_server("keys", name="keyed_server",
                             env={"GRADSERVE_API_KEYS": "k1,k2", "GRADSERVE_DEVICES": "cpu", "GRADSERVE_CPU_WORKERS": "1"})


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_api_keys(keyed_server, protocol):
    """Jobs need one of the keys (401 / UNAUTHENTICATED), over either protocol; probes need none."""
    p = Proto(protocol, keyed_server)
    a = p.call("grad", matmul_net(), [X, Y]).failed(401, "unauthorized")
    p.call("grad", matmul_net(), [X, Y], key="nope").failed(401, "unauthorized")
    assert p.call("grad", matmul_net(), [X, Y], key="k2").ok().names == ["d/dx"]
    assert p.live()
    if protocol == "http":
        assert a.wire.headers["WWW-Authenticate"] == "Bearer"
        assert p.http.get("/v1/devices").status_code == 401
        assert [p.http.get(u).status_code for u in ("/v2/health/ready", "/metrics")] == [200, 200]
    else:
        for rpc, req in ((p.stub.Devices, pb.DevicesRequest()), (p.stub.RegisterGraph,
                                                                  pb.RegisterGraphRequest(graph_json=b"{}"))):
            with pytest.raises(grpc.RpcError) as ei:
                rpc(req, timeout=10)
            assert ei.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert p.stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready
        ch = grpc.insecure_channel(keyed_server.grpc_target)
        st = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10).status
        ch.close()
        assert st == health_pb2.HealthCheckResponse.SERVING


def test_large_tensor_round_trip(proto):
    """4 MiB in and out (gRPC's default message limit; HTTP's binary extension): bit-equal to the engine."""
    gb = GraphBuilder("big")
    x = gb.input((1 << 20,), name="x")
    g = graph_to_json(gb.build(gb.mul(gb.sin(x), gb.scalar(2.0, "float32"))))
    big = np.linspace(-3, 3, 1 << 20, dtype=F32)
    got = proto.call("grad", g, [big], device="cpu", enc="binary").ok().arrays[0]
    np.testing.assert_allclose(got, 2 * np.cos(big), rtol=1e-6, atol=1e-6)
    assert got.tobytes() == np.asarray(engine.evaluate(engine.grad(graph_from_json(g), 0), big)).tobytes()


# -- client mistakes: the same error code and status on both, a 4xx, never a 5xx --------------------------
X3 = [{"name": "x", "shape": [3], "dtype": "float32"}]
ONES = [np.ones(3, F32)]


def _g(nodes, outputs, inputs=X3, params=()) -> dict:
    return {"format": "gradserve.graph/1", "name": "a", "inputs": list(inputs), "params": list(params),
            "nodes": nodes, "outputs": outputs}


def _unknown_op():
    g = matmul_net()
    g["nodes"][1]["op"] = "os_system"
    return g


def _bad_inner_shape():
    g = matmul_net()
    g["inputs"][1]["shape"] = [4, 4]
    return g


def _mm(**fields) -> tuple:
    return ("grad", matmul_net(), {"inputs": [X, Y], **fields})


# name: ((kind, graph, fields), status, error code (None: any of the table's), what the error must say:
# detail items, with a callable for a test of the value, and "message" for a piece of the message)
MISTAKES = {
    "param_without_value": (("eval", _g([{"op": "mul", "inputs": ["x", "z"], "outputs": ["t"], "attrs": {}}], "t",
                                        params=[{"name": "z", "shape": [3], "dtype": "float32"}]),
                             {"inputs": ONES}), 400, "shape_error", {}),
    "gather_out_of_range": (("eval", _g([{"op": "gather", "inputs": ["x", "i"], "outputs": ["t"],
                                          "attrs": {"axis": 0}}], "t", X3 + [{"name": "i", "shape": [2],
                                                                              "dtype": "int32"}]),
                             {"inputs": ONES + [np.array([0, 7], np.int32)]}), None, None, {}),
    "tile_huge_reps": (("eval", _g([{"op": "tile", "inputs": ["x"], "outputs": ["t"], "attrs": {"reps": [10 ** 9]}}],
                                   "t"), {"inputs": ONES}), 413, "limit_exceeded", {}),
    "fill_wraps_int64": (("eval", _g([{"op": "fill", "inputs": [], "outputs": ["f"], "attrs": {
        "shape": [2 ** 32, 2 ** 32], "value": 1.0, "dtype": "float32"}}], "f"), {"inputs": ONES}), None, None, {}),
    "jacobian_of_no_output": (("jacobian", _g([], []), {"inputs": ONES}), 400, "invalid_graph", {"path": "$.outputs"}),
    "hessian_of_no_output": (("hessian", _g([], []), {"inputs": ONES}), 400, "invalid_graph", {"path": "$.outputs"}),
    "deadline_beyond_limit": (_mm(deadline_ms=10 ** 9), 400, "invalid_request", {}),
    "unknown_device": (_mm(device="tpu"), 400, "invalid_request", {"message": "cpu"}),
    "absent_device": (_mm(device="ascend"), 503, "device_unavailable",
                      {"available": lambda v: "cpu" in v, "retryable": False}),  # the SDK does not retry it
    "absent_device_index": (_mm(device="cpu:7"), 503, "device_unavailable", {}),
    "graph_not_found": (("grad", "sha256:" + "0" * 64, {"inputs": [X, Y]}), 404, "graph_not_found", {}),
    "graph_and_another_id": (_mm(graph_id="sha256:" + "1" * 64), 400, "invalid_request", {"path": "$.graph_id"}),
    "wrong_shape": (("grad", matmul_net(), {"inputs": [X.T.copy(), Y]}), 400, "shape_error",
                    {"path": "$.inputs[0]", "expected": [2, 3], "got": [3, 2]}),
    "wrong_shape_both": (("grad", matmul_net(), {"inputs": [Y, Y]}), 400, "shape_error", {}),
    "missing_input": (("grad", matmul_net(), {"inputs": [X]}), 400, "shape_error", {}),
    "wrong_dtype": (("grad", matmul_net(), {"inputs": [X.astype(np.float64), Y]}), 400, "shape_error",
                    {"message": "float32"}),
    "sens_shape": (_mm(sens=np.ones((3, 3), F32)), 400, "shape_error", {"path": "$.sens[0]"}),
    "shape_error_inside_the_graph": (("grad", _bad_inner_shape(), {"inputs": []}), 400, "shape_error",
                                     {"path": "$.nodes[1]", "message": "matmul"}),
    "grad_position_out_of_range": (_mm(grad_position=5), 400, "differentiation_error", {}),
    "unknown_op": (("grad", _unknown_op(), {"inputs": []}), 400, "unknown_op",
                   {"path": "$.nodes[1]", "message": "os_system"}),
    "bad_format": (("grad", {"format": "onnx"}, {"inputs": []}), 400, "invalid_graph", {}),
    "no_graph": (("grad", None, {"inputs": [X, Y]}), 400, "invalid_request", {}),
    "bad_mode": (("jacobian", matmul_net(), {"inputs": [X, Y], "mode": "sideways"}), 400, "invalid_request", {}),
    "order_too_high": (_mm(order=9), 413, "limit_exceeded", {"limit": "max_order"}),
    "max_order": (_mm(order=4), 413, "limit_exceeded", {"limit": "max_order"}),
    "max_nodes": (("eval", slow_net(4, 1600), {"inputs": [np.zeros((4, 4), F32)]}), 413, "limit_exceeded",
                  {"limit": "max_nodes"}),
}


def _mistake(proto: Proto, name: str):
    (kind, graph, fields), *_ = MISTAKES[name]
    return proto.call(kind, graph, **fields)


@pytest.mark.parametrize("name", list(MISTAKES))
def test_client_mistake(proto, name):
    _, status, code, says = MISTAKES[name]
    a = _mistake(proto, name)
    assert a.error is not None, a
    assert CODES[a.code][0] == a.status, (a.status, a.error)
    if status is None:  # some client error: which one is the engine's business
        assert a.status_class == "4xx", (a.status, a.error)
    else:
        a.failed(status, code)
    for k, want in says.items():
        got = a.error["message"] if k == "message" else a.error["detail"].get(k)
        assert (want(got) if callable(want) else (want in got if k == "message" else got == want)), (k, a.error)
    assert a.error["detail"]["request_id"]


@pytest.mark.parametrize("name", list(MISTAKES))
def test_same_error_on_both(server, name):
    """The same code, message and detail over both protocols, each with its own request id."""
    h, g = (_mistake(Proto(p, server), name) for p in ("http", "grpc"))
    assert h.status == g.status
    assert h.error["detail"].pop("request_id") != g.error["detail"].pop("request_id")
    assert h.error == g.error
