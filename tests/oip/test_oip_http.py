"""The Open Inference Protocol model API over HTTP, through the unmodified `tritonclient.http` and raw
requests, against a real server with a model repository. Expected values: shared/reference/seed_expected.md."""
from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import numpy as np
import pytest

from e2e.helpers import X, Y, slow_input
from e2e.server import server_binary, server_in

from .models import simple_net, write_model
from .test_triton_client_calls import seed_inputs

import tritonclient.http as httpclient  # the test extra: fail, never skip
from tritonclient.utils import InferenceServerException

F32 = np.float32
S = np.array([[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]], F32)
DX = [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]
DY = [[2.6] * 3, [1.9] * 3, [1.3] * 3]


@pytest.fixture(scope="module")
def triton(server):
    c = httpclient.InferenceServerClient(server.url.removeprefix("http://"))
    yield c
    c.close()


def infer(c, model, arrays: dict, outputs=None, binary=True):
    ins = []
    for name, a in arrays.items():
        i = httpclient.InferInput(name, list(a.shape), "FP32" if a.dtype == F32 else "FP64")
        i.set_data_from_numpy(a, binary_data=binary)
        ins.append(i)
    outs = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in outputs] if outputs else None
    return c.infer(model, ins, outputs=outs)


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_tritonclient_gets_the_seeds_gradient(triton, binary):
    r = infer(triton, "seed_grad", {"x": X, "y": Y}, binary=binary)
    np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
    assert r.as_numpy("d/dx").dtype == F32


def test_all_inputs_weights_and_sens(triton):
    r = infer(triton, "seed_grad_all", {"x": X, "y": Y})
    np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
    np.testing.assert_allclose(r.as_numpy("d/dy"), DY, rtol=1e-6)
    np.testing.assert_allclose(infer(triton, "seed_weights", {"x": X, "y": Y}).as_numpy("d/dz"), [21.536], rtol=1e-6)
    r = infer(triton, "seed_sens", {"x": X, "y": Y, "sens": S})
    np.testing.assert_allclose(r.as_numpy("d/dx"), [[2.211, 0.51, 1.49], [5.588, 2.68, 4.07]], rtol=1e-6)


def test_jvp_vjp_and_requested_outputs(triton):
    xs, ys, v = np.array([0.8, 0.6, 0.2], F32), np.array([0.7, 0.4, 0.3], F32), np.ones(3, F32)
    r = infer(triton, "seed_jvp", {"x": xs, "y": ys, "t0": v, "t1": v}, outputs=["jvp"])
    np.testing.assert_allclose(r.as_numpy("jvp"), [0.052489, 0.435917, 0.684546], rtol=1e-5)
    assert r.as_numpy("out") is None  # only what was asked for
    r = infer(triton, "seed_vjp", {"x": xs, "y": ys, "v": v})
    np.testing.assert_allclose(r.as_numpy("d/dx"), [0.696707, 0.825336, 0.980067], rtol=1e-5)
    np.testing.assert_allclose(r.as_numpy("d/dy"), [-0.644218, -0.389418, -0.29552], rtol=1e-5)


def test_metadata_lists_every_input_the_kind_needs(triton):
    md = triton.get_model_metadata("seed_sens")
    assert [(t["name"], t["datatype"], t["shape"]) for t in md["inputs"]] == [
        ("x", "FP32", [2, 3]), ("y", "FP32", [3, 3]), ("sens", "FP32", [2, 3])]
    assert md["outputs"] == [{"name": "d/dx", "datatype": "FP32", "shape": [2, 3]}]
    md = triton.get_model_metadata("seed_jvp")
    assert [t["name"] for t in md["inputs"]] == ["x", "y", "t0", "t1"]
    assert [t["name"] for t in md["outputs"]] == ["out", "jvp"]
    assert triton.is_server_live() and triton.is_server_ready()
    assert triton.is_model_ready("seed_grad") and not triton.is_model_ready("nope")
    assert triton.get_server_metadata()["name"] == "gradserve"


def test_an_unknown_models_readiness_is_a_4xx_with_an_error_body(server):
    """The Open Inference Protocol: "a 200 status code indicates true and a 4xx status code indicates false"
    (model ready), and an error is {"error": <message>}. Triton's HTTP frontend answers 400 here, KServe's
    server 404 (ModelNotFound), and tritonclient's is_model_ready reads status == 200: ours stays 404, as for
    every other route of an unknown model, naming it."""
    for route in ("/v2/models/nope/ready", "/v2/models/nope/versions/1/ready"):
        r = httpx.get(server.url + route)
        assert r.status_code == 404 and list(r.json()) == ["error"] and "nope" in r.json()["error"], (route, r.text)


def test_errors_are_v2_bodies_that_the_client_prints(triton, server):
    with pytest.raises(InferenceServerException, match="missing input"):
        infer(triton, "seed_grad", {"x": X})
    with pytest.raises(InferenceServerException, match=r"input 'y': expected FP32\[3, 3\], got FP64"):
        infer(triton, "seed_grad", {"x": X, "y": Y.astype(np.float64)})
    with pytest.raises(InferenceServerException, match="is not found"):
        infer(triton, "nope", {"x": X})
    r = httpx.post(server.url + "/v2/models/seed_grad/infer", content=b"{not json")
    assert r.status_code == 400 and isinstance(r.json()["error"], str)
    r = httpx.post(server.url + "/v2/models/seed_grad/infer", json={"inputs": [], "outputs": [{"name": "zz"}]})
    assert r.status_code == 400 and "missing input" in r.json()["error"]


def test_raw_json_request_with_id_and_binary_output(server):
    body = {"id": "req-7", "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.ravel().tolist()},
                                      {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": Y.tolist()}],
            "outputs": [{"name": "d/dx", "parameters": {"binary_data": True}}]}
    r = httpx.post(server.url + "/v2/models/seed_grad/infer", json=body)
    assert r.status_code == 200, r.text
    n = int(r.headers["inference-header-content-length"])
    head = json.loads(r.content[:n])
    assert head["id"] == "req-7" and head["model_name"] == "seed_grad"
    assert head["outputs"][0]["parameters"]["binary_data_size"] == 24
    np.testing.assert_allclose(np.frombuffer(r.content[n:], "<f4").reshape(2, 3), DX, rtol=1e-6)


def test_an_empty_outputs_list_asks_for_every_output_as_on_grpc(server):
    """"outputs": [] as a codec client (KServe / MLServer types: a list by default) sends it: no output named, so
    every output, as gRPC (and Triton) answer an empty list; HTTP answered none at all."""
    body = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.tolist(),
                        "parameters": {"content_type": "np"}},
                       {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": Y.ravel().tolist()}],
            "outputs": [], "parameters": {"content_type": "np"}}
    r = httpx.post(server.url + "/v2/models/seed_grad_all/infer", json=body)
    assert r.status_code == 200, r.text
    outs = {o["name"]: np.reshape(o["data"], o["shape"]) for o in r.json()["outputs"]}
    assert list(outs) == ["d/dx", "d/dy"]
    np.testing.assert_allclose(outs["d/dx"], DX, rtol=1e-6)
    np.testing.assert_allclose(outs["d/dy"], X.sum(0)[:, None] * np.ones((1, 3)), rtol=1e-6)  # d sum(x@y)/dy


def test_a_parameter_given_as_null_is_not_given(server):
    """A codec client that writes its model's unset optional fields as null (pydantic's dump without
    exclude_none: {"content_type": "np", "headers": null}) is answered; a value, where nothing reads one, is still
    refused by name."""
    nulls = {"content_type": "np", "headers": None}
    body = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.ravel().tolist(),
                        "parameters": {**nulls, "shared_memory_region": None}},
                       {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": Y.ravel().tolist(),
                        "parameters": nulls}],
            "outputs": [{"name": "d/dx", "parameters": nulls}], "parameters": nulls, "id": None}
    r = httpx.post(server.url + "/v2/models/seed_grad/infer", json=body)
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(np.reshape(r.json()["outputs"][0]["data"], (2, 3)), DX, rtol=1e-6)
    r = httpx.post(server.url + "/v2/models/seed_grad/infer", json=dict(body, parameters={"my_setting": [1]}))
    assert r.status_code == 400 and "parameter 'my_setting' has invalid type" in r.json()["error"], r.text


def test_headers_in_the_request_parameters_are_taken_as_information(triton, server):
    """`"headers": {...}` among the request's parameters (MLServer's Parameters.headers: the HTTP headers a request
    came with, which its server writes there and a forwarded request carries on; a key Triton reserves) promises
    nothing a model here reads: the request is answered (it was refused as an unknown parameter). Only an object
    is headers: another value is a 400 naming it. The server reads its real headers (an Authorization inside is
    no key)."""
    r = triton.infer("seed_grad", seed_inputs(httpclient),
                     parameters={"headers": {"x-request-id": "r1", "content-type": "application/json"}})
    np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
    body = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.ravel().tolist()},
                       {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": Y.ravel().tolist()}]}
    for bad in ("x-request-id: r1", ["x-request-id", "r1"], 1):
        r = httpx.post(server.url + "/v2/models/seed_grad/infer", json=dict(body, parameters={"headers": bad}))
        assert r.status_code == 400 and "$.parameters.headers must be an object" in r.json()["error"], r.text


def test_repository_index_unload_load(triton, server):
    names = {m["name"]: m["state"] for m in triton.get_model_repository_index()}
    assert names["seed_grad"] == "READY" and len(names) >= 9
    triton.unload_model("seed_cube_eval")
    assert not triton.is_model_ready("seed_cube_eval")
    with pytest.raises(InferenceServerException, match="has no available versions"):  # (Triton's, unloaded)
        infer(triton, "seed_cube_eval", {"x": np.ones((2, 2), F32), "y": np.ones((2, 2), F32)})
    triton.load_model("seed_cube_eval")
    a = np.array([[1, 2], [3, 4]], F32)
    np.testing.assert_allclose(infer(triton, "seed_cube_eval", {"x": a, "y": a}).as_numpy("out"),
                               [[2, 10], [30, 68]], rtol=1e-6)


def test_load_of_a_bad_model_is_a_400_naming_the_problem(triton, repo_dir):
    folder = write_model(repo_dir, "bad_kind", {"version": 1}, {"kind": "integrate"})
    try:  # the folder goes again: other servers of the session load this repository at start
        with pytest.raises(InferenceServerException, match="kind must be one of"):
            triton.load_model("bad_kind")
        index = {m["name"]: m for m in triton.get_model_repository_index()}
        assert index["bad_kind"]["state"] == "UNAVAILABLE" and "kind" in index["bad_kind"]["reason"]
    finally:
        shutil.rmtree(folder)


def test_output_names_in_the_config_name_the_outputs(triton, server, repo_dir):
    """config.json's output_names (Triton's OUTPUT0 / OUTPUT1 of its `simple` example model): metadata,
    configuration, HTTP and gRPC inference all use them. Expected: NumPy's a + b, a - b."""
    import tritonclient.grpc as grpcclient

    folder = write_model(repo_dir, "named_outputs", simple_net(),
                         {"kind": "eval", "output_names": ["OUTPUT0", "OUTPUT1"]})
    a, b = np.arange(16, dtype=np.int32).reshape(1, 16), np.full((1, 16), 3, np.int32)
    try:
        triton.load_model("named_outputs")
        assert [o["name"] for o in triton.get_model_metadata("named_outputs")["outputs"]] == ["OUTPUT0", "OUTPUT1"]
        assert [o["name"] for o in triton.get_model_config("named_outputs")["output"]] == ["OUTPUT0", "OUTPUT1"]
        g = grpcclient.InferenceServerClient(server.grpc_target)
        for c, mod in ((triton, httpclient), (g, grpcclient)):
            ins = [mod.InferInput("INPUT0", [1, 16], "INT32"), mod.InferInput("INPUT1", [1, 16], "INT32")]
            ins[0].set_data_from_numpy(a)
            ins[1].set_data_from_numpy(b)
            r = c.infer("named_outputs", ins, outputs=[mod.InferRequestedOutput("OUTPUT1")])
            np.testing.assert_array_equal(r.as_numpy("OUTPUT1"), a - b)
            assert r.as_numpy("OUTPUT0") is None
            np.testing.assert_array_equal(c.infer("named_outputs", ins).as_numpy("OUTPUT0"), a + b)
        g.close()
    finally:
        triton.unload_model("named_outputs")
        shutil.rmtree(folder)


@pytest.mark.parametrize("names, message", [
    (["OUTPUT0"], "output_names has 1 name(s); the model has 2 output(s) (out0, out1)"),
    (["A", "A"], "output_names names an output twice"),
    ("OUTPUT0", "output_names must be a list of names"),
    (["A", ""], "output_names must be a list of names"),
])
def test_bad_output_names_fail_the_load_naming_the_problem(triton, repo_dir, names, message):
    folder = write_model(repo_dir, "bad_names", simple_net(), {"kind": "eval", "output_names": names})
    try:
        with pytest.raises(InferenceServerException) as e:
            triton.load_model("bad_names")
        assert e.value.status() == "400" and message in e.value.message(), e.value.message()
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("graph, config, message", [
    ("{oops", {"kind": "grad"}, "graph.json is not valid JSON"),
    (None, {"kind": "grad", "sens": [1]}, "'sens' cannot be set here"),
    (None, {"kind": "jvp", "sens_param": True}, "sens_param goes with kind grad"),
    (None, {"kind": "grad", "grad_position": "x"}, "grad_position"),
    ({"version": "gradserve.graph/1", "nodes": [{"op": "frobnicate"}]}, {"kind": "grad"}, "graph.json"),
])
def test_a_bad_model_fails_the_start_naming_folder_and_problem(tmp_path, graph, config, message):
    from e2e.helpers import matmul_net
    root = tmp_path / "repo"
    folder = write_model(root, "broken", matmul_net() if graph is None else graph, config)
    p = subprocess.run([server_binary(), "--model-repository", str(root), "--port", "0", "--no-grpc"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert str(folder) in p.stderr and message in p.stderr, p.stderr


def test_api_keys_guard_the_model_protocols(tmp_path_factory, repo_dir):
    """With API keys configured, /v2/models, /umbridge and inference.GRPCInferenceService need one."""
    import grpc
    import tritonclient.grpc as grpcclient

    with server_in(tmp_path_factory, "oip_api_keys", devices="cpu",
                   env={"GRADSERVE_MODEL_REPOSITORY": str(repo_dir), "GRADSERVE_CPU_WORKERS": "1",
                        "GRADSERVE_API_KEYS": "k1"}) as s:
        r = httpx.get(s.url + "/v2/models/seed_grad")  # in each protocol's error form (the clients print it)
        assert r.status_code == 401 and "missing or wrong API key" in r.json()["error"]
        r = httpx.get(s.url + "/umbridge/Info")
        assert r.status_code == 401 and r.json()["error"]["type"] == "InvalidInput"
        r = httpx.post(s.url + "/v1/models/seed_grad:predict", json={"instances": []})  # (KServe V1)
        assert r.status_code == 401 and "missing or wrong API key" in r.json()["error"]
        c = httpclient.InferenceServerClient(s.url.removeprefix("http://"))
        with pytest.raises(InferenceServerException, match="missing or wrong API key"):  # a key in parameters is none
            c.infer("seed_grad", seed_inputs(httpclient), parameters={"headers": {"Authorization": "Bearer k1"}})
        r = infer_with_headers(c, {"Authorization": "Bearer k1"})
        np.testing.assert_allclose(r.as_numpy("d/dx"), DX, rtol=1e-6)
        with pytest.raises(InferenceServerException, match="missing or wrong API key"):
            infer_with_headers(c, {"Authorization": "Bearer wrong"})
        with pytest.raises(InferenceServerException, match="missing or wrong API key"):
            c.get_model_metadata("seed_grad")  # (a 401 from the route's dependency, not its handler)
        g = grpcclient.InferenceServerClient(s.grpc_target)
        with pytest.raises(InferenceServerException) as e:
            g.get_model_metadata("seed_grad")
        assert e.value.status() == str(grpc.StatusCode.UNAUTHENTICATED)
        assert g.get_model_metadata("seed_grad", headers={"authorization": "Bearer k1"}).name == "seed_grad"
        # CUDA shared memory's answers too (service.cuda_shm: routes and methods beside the proto's)
        with pytest.raises(InferenceServerException, match="missing or wrong API key"):
            c.unregister_cuda_shared_memory()
        with pytest.raises(InferenceServerException) as e:
            g.unregister_cuda_shared_memory()
        assert e.value.status() == str(grpc.StatusCode.UNAUTHENTICATED)
        g.unregister_cuda_shared_memory(headers={"authorization": "Bearer k1"})
        c.unregister_cuda_shared_memory(headers={"Authorization": "Bearer k1"})


def infer_with_headers(c, headers):
    ins = [httpclient.InferInput("x", [2, 3], "FP32"), httpclient.InferInput("y", [3, 3], "FP32")]
    ins[0].set_data_from_numpy(X)
    ins[1].set_data_from_numpy(Y)
    return c.infer("seed_grad", ins, headers=headers)


def test_output_parameters_and_the_timeout_parameter(server):
    base = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.ravel().tolist()},
                       {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": Y.ravel().tolist()}]}
    r = httpx.post(server.url + "/v2/models/seed_grad/infer",
                   json={**base, "outputs": [{"name": "d/dx", "parameters": {"classification": -2}}]})
    assert r.status_code == 400 and "classification" in r.json()["error"]
    r = httpx.post(server.url + "/v2/models/seed_grad/infer",
                   json={**base, "outputs": [{"name": "d/dx", "parameters": {"colour": 2}}]})
    assert r.status_code == 200, r.text  # (a name not read is skipped, as Triton's CheckBinaryOutputData: round 29)
    r = httpx.post(server.url + "/v2/models/seed_grad/infer", json={**base, "parameters": {"timeout": -5}})
    assert r.status_code == 400 and "timeout" in r.json()["error"]
    r = httpx.post(server.url + "/v2/models/seed_grad/infer", json={**base, "parameters": {"timeout": 20_000_000}})
    assert r.status_code == 200, r.text
    x = slow_input(256)
    slow = {"inputs": [{"name": "x", "shape": [256, 256], "datatype": "FP32",
                        "parameters": {"binary_data_size": x.nbytes}}],
            "parameters": {"timeout": 1000}}  # 1 ms: Triton's queue timeout, which never stops a running job
    head = json.dumps(slow).encode()
    r = httpx.post(server.url + "/v2/models/slow/infer", content=head + x.tobytes(),
                   headers={"Inference-Header-Content-Length": str(len(head))}, timeout=60)
    assert r.status_code == 200, r.text  # (one expired in the queue: test_stock_round20.py)


@pytest.mark.parametrize("method, path", [("POST", "/v1/models/seed_grad:explain"), ("GET", "/v1/models/seed_grad"),
                                          ("GET", "/v1/models")])
def test_kserve_v1_errors_in_kserves_form(server, method, path):
    """KServe's V1 routes (served: tests/oip/test_stock_round22.py) answer in KServe's error form {"error": ...}:
    explain (no model has an explainer) 501, another method 405 (it was a bare "Not Found" in gradserve's /v1
    form)."""
    if method == "POST":
        r = httpx.post(server.url + path, json={"instances": [X.tolist()]})
        assert r.status_code == 501 and "explain is not supported" in r.json()["error"], r.text
    r = httpx.request("DELETE", server.url + path)  # another method: the same form
    assert r.status_code == 405 and r.json() == {"error": "Method Not Allowed"}, r.text


def test_kserve_v2_list_of_models(triton, server):
    """KServe's V2 server answers GET /v2/models with {"models": [<name>, ...]}, which its users call to find the
    models (it was a 404): the loaded ones, as the repository index lists them READY."""
    r = httpx.get(server.url + "/v2/models")
    assert r.status_code == 200, r.text
    ready = {m["name"] for m in triton.get_model_repository_index() if m["state"] == "READY"}
    assert set(r.json()["models"]) == ready and len(r.json()["models"]) == len(ready) and "seed_grad" in ready


def test_a_tensor_error_names_the_tensor_it_is_in(server):
    """The V2 error is one string: where the request went wrong is said in it (the error's path), or an error in
    the second of two tensors reads as if it could be in either."""
    x = {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": X.ravel().tolist()}
    for y, says in [({"name": "y", "shape": [3, 3], "datatype": "FP32", "data": [1.0] * 8},
                     "data has 8 elements; shape [3, 3] needs 9 (at $.inputs[1].data)"),
                    ({"name": "y", "shape": [3, 3], "datatype": "FP32", "data": ["a"] * 9},
                     "strings are not numbers (at $.inputs[1].data)"),
                    ({"name": "y", "shape": [3, -3], "datatype": "FP32", "data": [1.0] * 9}, "$.inputs[1]")]:
        r = httpx.post(f"{server.url}/v2/models/seed_grad/infer", json={"inputs": [x, y]})
        assert r.status_code == 400 and says in r.json()["error"], r.text
    r = httpx.post(f"{server.url}/v2/models/seed_grad/infer", json={"inputs": [x]})  # (says which already)
    assert r.status_code == 400 and r.json()["error"] == "model 'seed_grad': missing input(s) ['y']", r.text
