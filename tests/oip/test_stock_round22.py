"""Stock clients, round 22: KServe's V1 data plane (plain httpx, as KServe's docs call it) and Triton's texts and
codes left from round 21 (tritonclient), on the OIP suite's real server (tests/oip/conftest.py). What these found
(before the fixes):

- KServe V1 (`GET /v1/models`, `GET /v1/models/<m>`, `POST /v1/models/<m>:predict` with {"instances": [...]}) was
  refused 404 naming the V2 call; now served (service/kserve_v1.py), each instance one inference.
- Triton's codes: trace_file / log_file refusals were 400 / INVALID_ARGUMENT (Triton: UNSUPPORTED, HTTP 501, gRPC
  UNIMPLEMENTED), an unknown log_format 400 (Triton: UNAVAILABLE, 503); HTTP {"trace_level": []} cleared the level
  (Triton's HTTP sets nothing); unloading a model not loaded was 404 (Triton: success).

Expected values: KServe's (kserve/kserve python/kserve/kserve/errors.py and protocol/rest/v1_endpoints.py: its
routes, {"models": [...]}, {"name", "ready"}, ModelNotFound "Model with name m does not exist." 404, InvalidInput
400, {"error": ...}); Triton's (server src/http_server.cc HandleTrace / HandleLogging / HttpCodeFromError, core
model_repository_manager.cc LoadUnloadModels); the numbers from NumPy on the inputs (the math of each test model, written here).
"""
from __future__ import annotations

import httpx
import numpy as np
import pytest

from e2e.helpers import DX, X, Y

from .models import MODELS

CEILING = 120  # s


def v1(server, method: str, path: str, **kw) -> httpx.Response:
    return httpx.request(method, f"{server.url}/v1/models{path}", timeout=CEILING, **kw)


def test_v1_list_and_ready(server):
    r = v1(server, "GET", "")
    # the server is the directory's: other tests load models of their own (test_client_shm's shm_mlp), so V1's
    # list is checked against the repository index's ready models, and holds every model of tests/oip/models.py
    index = httpx.post(f"{server.url}/v2/repository/index", json={"ready": True}, timeout=CEILING).json()
    assert r.status_code == 200 and set(r.json()["models"]) == {m["name"] for m in index}, (r.text, index)
    assert set(MODELS) <= set(r.json()["models"]), r.text
    r = v1(server, "GET", "/seed_grad")
    assert r.status_code == 200 and r.json() == {"name": "seed_grad", "ready": True}, r.text
    r = v1(server, "GET", "/nope")  # KServe's ModelNotFound
    assert r.status_code == 404 and r.json() == {"error": "Model with name nope does not exist."}, r.text


def test_v1_predict_single_input_model(server):
    """logpost: log p(theta) = -0.5 |theta - mu|^2, mu = (1, -2); its grad is mu - theta. Each instance one theta."""
    thetas = [[0.5, 0.25], [-1.0, 3.0], [1.0, -2.0]]
    mu = np.array([1.0, -2.0])
    for key in ("instances", "inputs"):  # ("inputs": KServe's alias)
        r = v1(server, "POST", "/logpost:predict", json={key: thetas})
        assert r.status_code == 200, r.text
        got = r.json()["predictions"]
        assert len(got) == 3
        np.testing.assert_allclose(np.array(got), mu - np.array(thetas), rtol=1e-12)
    r = v1(server, "POST", "/logpost:predict", json={"instances": [{"theta": thetas[0]}]})  # named: the same
    np.testing.assert_allclose(r.json()["predictions"], [mu - np.array(thetas[0])], rtol=1e-12)
    r = v1(server, "POST", "/logpost:predict", json={"instances": []})
    assert r.status_code == 200 and r.json() == {"predictions": []}, r.text


def test_v1_predict_named_inputs_and_outputs(server):
    """um: (sin(x) * y, x * x * y), two float64 inputs and outputs: each prediction an object of the outputs."""
    meta = httpx.get(f"{server.url}/v2/models/um", timeout=CEILING).json()
    outs = [o["name"] for o in meta["outputs"]]
    rows = [{"x": [0.1, 0.2, 0.3], "y": [1.0, 2.0, 3.0]}, {"y": [-1.0, 0.5, 4.0], "x": [1.5, -2.0, 0.0]}]
    r = v1(server, "POST", "/um:predict", json={"instances": rows})
    assert r.status_code == 200, r.text
    got = r.json()["predictions"]
    for row, p in zip(rows, got):
        x, y = np.array(row["x"]), np.array(row["y"])
        assert set(p) == set(outs), p
        np.testing.assert_allclose(p[outs[0]], np.sin(x) * y, rtol=1e-12)
        np.testing.assert_allclose(p[outs[1]], x * x * y, rtol=1e-12)


def test_v1_predict_keeps_nan_and_infinity(server):
    """um at x = Infinity: sin(inf) * y is NaN, inf * inf * y is Infinity; JSON has neither, and orjson would write
    null: the answer keeps Python json's NaN / Infinity tokens, as the V2 routes do."""
    body = b'{"instances": [{"x": [Infinity, 0.0, 1.0], "y": [1.0, 2.0, 3.0]}]}'
    r = v1(server, "POST", "/um:predict", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    p = r.json()["predictions"][0]  # (httpx reads the tokens back as Python json does)
    vals = sorted(p.values(), key=lambda v: np.isnan(v[0]))
    assert vals[0][0] == np.inf and np.isnan(vals[1][0]), r.text
    np.testing.assert_allclose(vals[0][1:], [0.0, 3.0])  # x * x * y
    np.testing.assert_allclose(vals[1][1:], [0.0, np.sin(1) * 3], rtol=1e-12)  # sin(x) * y


def test_v1_predict_grad_model_nested_to_shape(server):
    """seed_grad: d/dx of sum(x @ y) (ones sens) is Y's row sums in each row (DX): the answer nested as (2, 3)."""
    y2 = 2 * Y
    r = v1(server, "POST", "/seed_grad:predict",
           json={"instances": [{"x": X.tolist(), "y": Y.tolist()}, {"x": X.tolist(), "y": y2.tolist()}]})
    assert r.status_code == 200, r.text
    p = r.json()["predictions"]
    first = p[0] if not isinstance(p[0], dict) else next(iter(p[0].values()))
    assert np.array(first).shape == (2, 3)
    np.testing.assert_allclose(first, DX, rtol=1e-6)
    second = p[1] if not isinstance(p[1], dict) else next(iter(p[1].values()))
    np.testing.assert_allclose(second, np.tile(y2.astype(np.float64).sum(axis=1), (2, 1)), rtol=1e-6)


@pytest.mark.parametrize("body, status, says", [
    ({"instances": {"theta": [1, 2]}}, 400, 'Expected "instances" or "inputs" to be a list'),
    ({"inputs": 3}, 400, 'Expected "instances" or "inputs" to be a list'),
    ({"data": [[1, 2]]}, 400, 'Expected "instances" or "inputs" to be a list'),
    ({"instances": [[1, 2]], "inputs": [[3, 4]]}, 400, "both instances and inputs are given"),
    ({"instances": [[1, 2, 3]]}, 400, "expected FP64[2], got a value of shape [3]"),
    ({"instances": [[[1, 2]]]}, 400, "expected FP64[2], got a value of shape [1, 2]"),  # never reshaped
    ({"instances": [[1, "a"]]}, 400, "data is not a (nested) list"),
    ({"instances": [{"theta": [1, 2], "phi": [0]}]}, 400, "has no input(s) ['phi']"),
    ([1, 2], 400, "must be a JSON object"),
])
def test_v1_predict_refusals(server, body, status, says):
    r = v1(server, "POST", "/logpost:predict", json=body)
    assert r.status_code == status and says in r.json()["error"], r.text


def test_v1_predict_refusals_of_model_and_body(server):
    r = v1(server, "POST", "/nope:predict", json={"instances": []})
    assert r.status_code == 404 and r.json() == {"error": "Model with name nope does not exist."}, r.text
    r = v1(server, "POST", "/um:predict", json={"instances": [[0.1, 0.2, 0.3]]})  # two inputs: an object each
    assert r.status_code == 400 and "each instance must be an object" in r.json()["error"], r.text
    r = v1(server, "POST", "/um:predict", json={"instances": [{"x": [0.1, 0.2, 0.3]}]})
    assert r.status_code == 400 and "missing input(s) ['y']" in r.json()["error"], r.text
    r = v1(server, "POST", "/logpost:predict", content=b"{not json")
    assert r.status_code == 400 and "error" in r.json(), r.text


def test_v1_does_not_shadow_the_job_api(server):
    """gradserve's own /v1/<kind> routes still answer beside KServe's /v1/models (no job kind is `models`)."""
    r = httpx.post(f"{server.url}/v1/models", json={}, timeout=CEILING)
    assert r.status_code == 405, r.text
    r = httpx.get(f"{server.url}/v1/devices", timeout=CEILING)
    assert r.status_code == 200, r.text


# -- round 21's leftovers: Triton's codes (server src/http_server.cc HttpCodeFromError: UNSUPPORTED 501, UNAVAILABLE
# 503; grpc: UNIMPLEMENTED, UNAVAILABLE), its unload, its HTTP reading of an empty trace level list

def clients_of(http, grpc_):
    return [("http", http), ("grpc", grpc_)]


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_unload_of_a_model_not_loaded_succeeds_as_tritons(http, grpc_, protocol):
    """core's LoadUnloadModels: a name not in its global map unloads nothing and reports no error (was 404 here)."""
    c = http if protocol == "http" else grpc_
    c.unload_model("nope")  # (raises on an error)
    assert c.is_model_ready("seed_grad")  # nothing else unloaded


@pytest.mark.parametrize("protocol, unsupported, unavailable, flag", [
    ("http", "501", "503", "--"),
    # (Triton 2.41's grpc_server.cc LogSettings: INVALID_ARG "invalid argument for log_format, got: xml")
    ("grpc", "StatusCode.UNIMPLEMENTED", "StatusCode.INVALID_ARGUMENT", "")])
def test_settings_refusals_carry_tritons_codes(http, grpc_, protocol, unsupported, unavailable, flag):
    from tritonclient.utils import InferenceServerException

    c = http if protocol == "http" else grpc_
    for call, code, says in [
            (lambda: c.update_trace_settings(None, {"trace_file": "x.log"}), unsupported,
             "trace file location can not be updated through network protocol"),
            (lambda: c.update_log_settings({"log_file": "x.log"}), unsupported,
             "log file location can not be updated through network protocol"),
            (lambda: c.update_log_settings({"log_format": "xml"}), unavailable,
             f"invalid argument for {flag}log_format, got: xml")]:
        with pytest.raises(InferenceServerException) as e:
            call()
        assert e.value.status() == code and says in e.value.message(), str(e.value)
    assert c.get_log_settings(**({} if protocol == "http" else {"as_json": True}))  # (still answered)
    log = http.get_log_settings()
    assert log["log_format"] == "default" and log["log_file"] == "", log  # nothing changed


def test_http_empty_trace_level_leaves_it_unchanged(server, http):
    """Triton's HTTP HandleTrace reads each listed level: [] lists none and sets nothing (gRPC's empty value is its
    'clear')."""
    u = f"{server.url}/v2/models/seed_grad/trace/setting"
    try:
        r = httpx.post(u, json={"trace_level": ["TIMESTAMPS"]}, timeout=CEILING)
        assert r.status_code == 200 and r.json()["trace_level"] == ["TIMESTAMPS"], r.text
        r = httpx.post(u, json={"trace_level": []}, timeout=CEILING)
        assert r.status_code == 200 and r.json()["trace_level"] == ["TIMESTAMPS"], r.text
        r = httpx.post(u, json={"trace_level": None}, timeout=CEILING)  # null: cleared, the server's again
        assert r.json()["trace_level"] == ["OFF"], r.text
    finally:
        http.update_trace_settings("seed_grad", {"trace_level": None})


def test_grpc_empty_trace_level_clears_it(grpc_, http):
    try:
        grpc_.update_trace_settings("seed_grad", {"trace_level": ["TENSORS"]})
        r = grpc_.update_trace_settings("seed_grad", {"trace_level": []}, as_json=True)
        assert r["settings"]["trace_level"]["value"] == ["OFF"], r
    finally:
        http.update_trace_settings("seed_grad", {"trace_level": None})
