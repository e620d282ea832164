"""An imported model's weights by content hash (service.tensor_store, gradserve._weights_by_hash): a model whose
graph JSON (base64 weights) is above max_body_bytes registers through the SDK as small JSON plus raw weight
uploads, over HTTP and gRPC; each weight is stored once (gradserve_tensors_stored), whatever the traces and
clients that use it; gradients w.r.t. every weight equal torch's autograd. Limits set low so a ~1 MiB model
shows what a real ViT-B/16 does at the defaults (benchmarks/IMPORT_ZOO.md, "Real-size models")."""
from __future__ import annotations

import base64
import copy
import json

import numpy as np
import pytest

from .helpers import metric
from .server import Server, module_server

torch = pytest.importorskip("torch")
gs = pytest.importorskip("gradserve")

MIB = 1 << 20
ENV = {"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_BODY_BYTES": str(2 * MIB), "GRADSERVE_MAX_MODEL_BYTES": str(4 * MIB),
       "GRADSERVE_GRAPH_CACHE_BYTES": str(64 * MIB), "GRADSERVE_TENSOR_STORE_BYTES": str(32 * MIB)}
BY_HASH = str(256 * 1024)  # the SDK's GRADSERVE_WEIGHTS_BY_HASH_BYTES here (its default, 8 MiB, spares small models)
STORED = "gradserve_tensors_stored_total"


srv = module_server("weights_by_hash", env=ENV, devices="cpu")


@pytest.fixture
def http(srv):
    with srv.client(timeout=120) as c:
        yield c


@pytest.fixture
def sdk(srv, monkeypatch):
    """Point the SDK at the server: sdk("http") or sdk("grpc"), weights by hash from BY_HASH bytes."""
    monkeypatch.setenv("GRADSERVE_DEVICE", "cpu")
    monkeypatch.setenv("GRADSERVE_WEIGHTS_BY_HASH_BYTES", BY_HASH)

    def point(transport: str) -> None:
        monkeypatch.setenv("GRADSERVE_SERVER", srv.url if transport == "http" else f"grpc://{srv.grpc_target}")
        gs.reset_context()

    yield point
    gs.reset_context()


class Mlp(torch.nn.Module):
    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.fc1 = torch.nn.Linear(256, 2560)  # a 2.5 MiB weight: its base64 JSON alone is above max_body_bytes
        self.fc2 = torch.nn.Linear(2560, 16)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


def _x(batch: int = 4) -> np.ndarray:
    return np.random.default_rng(batch).standard_normal((batch, 256)).astype(np.float32)


def _weight_grads(m: Mlp, x: np.ndarray) -> dict:
    """torch's autograd of sum(m(x) ** 2) w.r.t. each weight, by name, in float64 (the float32 answer's sums of
    2560 terms differ from any other float32 order by ~1e-6 of their magnitude: compared on that scale, _close)."""
    m64 = copy.deepcopy(m).double()
    (m64(torch.from_numpy(x.astype(np.float64))) ** 2).sum().backward()
    return {k: p.grad.numpy() for k, p in m64.named_parameters()}


def _close(got, want, name: str = "") -> None:
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max(), err_msg=name)


def _sdk_grads(net, x: np.ndarray) -> list:
    params = net.trainable_params()
    return params, gs.ops.grad(lambda t: (net(t) ** 2).sum(), grad_position=None, weights=params)(gs.Tensor(x))


def _stored(http, unit: str = "tensors") -> float:
    return metric(http, STORED, unit=unit)


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_a_model_above_max_body_bytes_registers_by_hash_and_its_weight_gradients_are_torchs(
        transport, sdk, http):
    m = Mlp(seed=1 if transport == "http" else 2)  # (other weights per transport: each is uploaded)
    x = _x()
    net = gs.from_torch(m, (torch.from_numpy(x),))
    as_json = json.dumps(net.to_graph()).encode()
    assert len(as_json) > 2 * MIB  # what the SDK sent before: refused, 413 naming max_body_bytes
    r = http.post("/v1/graphs", content=b'{"graph":' + as_json + b"}", headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "max_body_bytes" in r.text, r.text[:300]
    before, before_bytes = _stored(http), _stored(http, "bytes")
    sdk(transport)
    params, grads = _sdk_grads(net, x)
    want = _weight_grads(m, x)
    assert len(grads) == len(want) == 4
    for name, g in zip(want, grads):  # (trainable_params follow the module's order: fc1.weight, fc1.bias, ...)
        _close(g.asnumpy(), want[name], name)
    # each weight stored once, its bytes as they are (the values the JSON held as base64: fc2's 16-element bias,
    # a few numbers, stays in the JSON)
    big = [p for p in net.to_graph()["params"] if "b64" in p["value"]]
    assert len(big) == 3
    # (in pieces of at most 1 MiB: fc1's weight in three, each within a gRPC message's max_body_bytes)
    assert _stored(http) - before == sum(-(-4 * int(np.prod(p["shape"])) // MIB) for p in big) == 5
    assert _stored(http, "bytes") - before_bytes == sum(4 * int(np.prod(p["shape"])) for p in big)


def test_weights_go_once_across_traces_clients_and_transports(sdk, http):
    m = Mlp(seed=3)
    net = gs.from_torch(m, (torch.from_numpy(_x()),))
    sdk("http")
    _sdk_grads(net, _x())
    stored = _stored(http)
    # another trace (a forward alone: another graph, registered again) and a fresh client (nothing known), then
    # gRPC: the structure registers again, no weight is sent again
    np.testing.assert_allclose(net(gs.Tensor(_x())).asnumpy(), m(torch.from_numpy(_x())).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    sdk("http")
    _sdk_grads(net, _x())
    sdk("grpc")
    _, grads = _sdk_grads(net, _x())
    _close(grads[0].asnumpy(), _weight_grads(m, _x())["fc1.weight"])
    assert _stored(http) == stored


def test_a_model_sharing_weights_uploads_only_the_new_ones(sdk, http):
    a = Mlp(seed=4)
    sdk("http")
    _sdk_grads(gs.from_torch(a, (torch.from_numpy(_x()),)), _x())
    stored = _stored(http)
    b = copy.deepcopy(a)
    torch.nn.init.normal_(b.fc2.weight)  # a new head on the same backbone: fc2's weight differs, the rest is a's
    _, grads = _sdk_grads(gs.from_torch(b, (torch.from_numpy(_x()),)), _x())
    _close(grads[2].asnumpy(), _weight_grads(b, _x())["fc2.weight"])
    assert _stored(http) - stored == 1


def test_small_models_register_as_json_as_before(sdk, http, monkeypatch):
    monkeypatch.delenv("GRADSERVE_WEIGHTS_BY_HASH_BYTES")  # the default: 8 MiB of weights
    small = torch.nn.Linear(8, 3)
    x = np.ones((2, 8), np.float32)
    stored = _stored(http)
    sdk("http")
    net = gs.from_torch(small, (torch.from_numpy(x),))
    np.testing.assert_allclose(net(gs.Tensor(x)).asnumpy(), small(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)
    assert _stored(http) == stored


def _by_hash_graph(key: str) -> dict:
    return {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [2], "dtype": "float32"}],
            "params": [{"name": "w", "shape": [2], "dtype": "float32",
                        "value": {"shape": [2], "dtype": "float32", "sha256": [key]}}],
            "nodes": [{"op": "mul", "inputs": ["x", "w"], "outputs": ["y"], "attrs": {}}], "outputs": "y"}


def test_a_graph_naming_a_hash_not_uploaded_is_refused_naming_it(http):
    r = http.post("/v1/graphs", json={"graph": _by_hash_graph("ab" * 32)})
    assert r.status_code == 404, r.text
    err = r.json()["error"]
    assert err["code"] == "tensor_not_found" and err["detail"]["path"] == "$.graph.params[0].value"
    assert "ab" * 32 in err["message"]


def test_raw_uploads_by_hash_register_and_run(http):
    """The API without the SDK: upload, ask what is missing, register, run (values as numpy would hash them)."""
    import hashlib

    w = np.array([3.0, -2.0], np.float32)
    key = hashlib.sha256(w.tobytes()).hexdigest()
    head = json.dumps({"tensors": [{"name": "w", "shape": [2], "datatype": "FP32",
                                    "parameters": {"binary_data_size": 8}}]}).encode()
    r = http.post("/v1/tensors", content=head + w.tobytes(), headers={
        "Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))})
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == [key]
    assert http.post("/v1/tensors/missing", json={"sha256": [key, "cd" * 32]}).json()["missing"] == ["cd" * 32]
    bad = http.post("/v1/tensors/missing", json={"sha256": ["nothex"]})
    assert bad.status_code == 400 and bad.json()["error"]["detail"]["path"] == "$.sha256[0]"
    gid = http.post("/v1/graphs", json={"graph": _by_hash_graph(key)}).json()["graph_id"]
    out = http.post("/v1/eval", json={"graph_id": gid, "inputs": [{"name": "x", "shape": [2], "datatype": "FP32",
                                                                  "data": [0.5, 4.0]}]}).json()
    np.testing.assert_allclose(out["outputs"][0]["data"], [1.5, -8.0])


def test_a_replica_without_the_graph_gets_it_registered_by_hash_not_inline(srv, http, monkeypatch):
    """A job by id answered graph_not_found (another replica, an evicted graph): the SDK registers the graph there
    by hash (what it lacks uploaded) and runs the job by id; inline, its JSON would be above max_body_bytes."""
    monkeypatch.setenv("GRADSERVE_WEIGHTS_BY_HASH_BYTES", BY_HASH)
    m = Mlp(seed=5)
    x = _x()
    doc = gs.from_torch(m, (torch.from_numpy(x),)).to_graph()
    with gs.Client(srv.url) as c:
        ref = gs.GraphRef(doc)
        c._known[ref.hash] = "sha256:" + "0" * 64  # (what this client learnt from a replica that is gone)
        out = c.eval(ref, [x]).outputs[0]
    np.testing.assert_allclose(out, m(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def _small_doc() -> tuple[dict, np.ndarray]:
    w = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)
    doc = {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [64, 1], "dtype": "float32"}],
           "params": [{"name": "w", "shape": [64, 64], "dtype": "float32",
                       "value": {"shape": [64, 64], "dtype": "float32", "b64": base64.b64encode(w.tobytes()).decode()}}],
           "nodes": [{"op": "matmul", "inputs": ["w", "x"], "outputs": ["y"], "attrs": {}}], "outputs": "y"}
    return doc, w


def _server_with_0(tmp_path_factory, setting: str):
    """A server of this module's ENV with `setting` (GRADSERVE_<setting>) 0, as an operator may run one."""
    s = Server(tmp_path_factory.mktemp(setting.lower()) / "server.log", devices="cpu",
               env={**ENV, f"GRADSERVE_{setting}": "0"})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def store_off(tmp_path_factory):
    """A server whose tensor store is switched off (tensor_store_bytes=0)."""
    yield from _server_with_0(tmp_path_factory, "TENSOR_STORE_BYTES")


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_a_server_with_its_store_off_gets_the_graph_whole(store_off, transport, monkeypatch):
    """The SDK asks which pieces to send, is told the store is off (501 / UNIMPLEMENTED naming
    tensor_store_bytes=0) and registers the graph with its values, as with a server older than the store."""
    monkeypatch.setenv("GRADSERVE_WEIGHTS_BY_HASH_BYTES", "1024")
    doc, w = _small_doc()
    x = np.ones((64, 1), np.float32)
    with store_off.client(timeout=120) as c:
        r = c.post("/v1/tensors/missing", json={"sha256": ["0" * 64]})
        assert r.status_code == 501 and "tensor_store_bytes=0" in r.text, r.text[:300]
        before = _stored(c)
        target = store_off.url if transport == "http" else f"grpc://{store_off.grpc_target}"
        with gs.Client(target, max_retries=0) as sdk:
            np.testing.assert_allclose(sdk.eval(doc, [x]).outputs[0], w @ x, rtol=1e-5, atol=1e-5)
        assert _stored(c) == before == 0
        r = c.post("/v1/tensors", content=b"x" * 64, headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 501 and "tensor_store_bytes" in r.text, r.text[:300]


def test_the_missing_tensors_answer_names_what_the_store_keeps(srv, http):
    """In all (tensor_store_bytes) and for one client (half of it, as the setting's documentation says), over
    HTTP and gRPC: the SDK reads the latter (gradserve._weights_by_hash)."""
    want = {"store_bytes": 32 * MIB, "client_bytes": 16 * MIB}
    r = http.post("/v1/tensors/missing", json={"sha256": ["0" * 64]})
    assert r.status_code == 200 and r.json() == {"missing": ["0" * 64], **want}
    import grpc

    from service.proto import gradserve_pb2 as pb
    from service.proto import gradserve_pb2_grpc as pb_grpc
    with grpc.insecure_channel(srv.grpc_target) as ch:
        got = pb_grpc.GradserveStub(ch).MissingTensors(pb.MissingTensorsRequest(sha256=["0" * 64]), timeout=60)
    assert (list(got.missing), got.store_bytes, got.client_bytes) == (["0" * 64], *want.values())


def test_the_async_client_registers_by_hash_too(srv, http, monkeypatch):
    import asyncio

    monkeypatch.setenv("GRADSERVE_WEIGHTS_BY_HASH_BYTES", BY_HASH)
    m = Mlp(seed=6)
    x = _x()
    doc = gs.from_torch(m, (torch.from_numpy(x),)).to_graph()
    stored = _stored(http)

    async def run():
        async with gs.AsyncClient(srv.url) as c:
            return (await c.eval(doc, [x])).outputs[0]

    np.testing.assert_allclose(asyncio.run(run()), m(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
    assert _stored(http) - stored == 5  # (fc1's weight in three pieces, its bias, fc2's weight: as above)


@pytest.fixture(scope="module")
def plans_off(tmp_path_factory):
    """A server keeping no plans (plan_cache_bytes=0): nothing kept past the job at hand, weights included."""
    yield from _server_with_0(tmp_path_factory, "PLAN_CACHE_BYTES")


def _weight_memfds(pid: int) -> int:
    """The server's open memfds holding weights by hash (service.weight_shm)."""
    import os

    fds = f"/proc/{pid}/fd"
    names = []
    for fd in os.listdir(fds):
        try:
            names.append(os.readlink(f"{fds}/{fd}"))
        except OSError:  # closed meanwhile
            pass
    return sum(n.startswith("/memfd:gradserve-weight") for n in names)


def test_plan_cache_bytes_0_keeps_no_weights_past_the_job_at_hand(plans_off):
    """Three graphs, each with its own 64 KiB weight by hash, run in turn and again: every answer is w @ x, and the
    server holds the shared copy (a memfd) of the latest job's weight only (0 left them unbounded: 3 here)."""
    import hashlib

    x = np.ones((128, 1), np.float32)
    with plans_off.client(timeout=120) as c:
        gids, ws = [], []
        for seed in range(3):
            w = np.random.default_rng(seed).standard_normal((128, 128)).astype(np.float32)
            head = json.dumps({"tensors": [{"name": "w", "shape": [128, 128], "datatype": "FP32",
                                            "parameters": {"binary_data_size": w.nbytes}}]}).encode()
            r = c.post("/v1/tensors", content=head + w.tobytes(), headers={
                "Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))})
            assert r.status_code == 201, r.text
            key = hashlib.sha256(w.tobytes()).hexdigest()
            doc = {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [128, 1], "dtype": "float32"}],
                   "params": [{"name": "w", "shape": [128, 128], "dtype": "float32",
                               "value": {"shape": [128, 128], "dtype": "float32", "sha256": [key]}}],
                   "nodes": [{"op": "matmul", "inputs": ["w", "x"], "outputs": ["y"], "attrs": {}}], "outputs": "y"}
            r = c.post("/v1/graphs", json={"graph": doc})
            assert r.status_code in (200, 201), r.text
            gids.append(r.json()["graph_id"])
            ws.append(w)
        for _ in range(2):
            for gid, w in zip(gids, ws):
                r = c.post("/v1/eval", json={"graph_id": gid, "inputs": [
                    {"name": "x", "shape": [128, 1], "datatype": "FP32", "data": x.ravel().tolist()}]})
                assert r.status_code == 200, r.text
                np.testing.assert_allclose(np.reshape(r.json()["outputs"][0]["data"], (128, 1)), w @ x,
                                           rtol=1e-4, atol=1e-4)
                assert _weight_memfds(plans_off.proc.pid) <= 1
