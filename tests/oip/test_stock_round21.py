"""Stock clients, round 21: tritonclient (HTTP and gRPC) on the OIP suite's real server (tests/oip/conftest.py).
What these found (before the fixes):

- Trace and log settings (get/update_trace_settings, get/update_log_settings) were refused (HTTP 404, gRPC
  UNIMPLEMENTED); Triton answers them. Now kept and answered as Triton's server does (its defaults, its
  validation texts, per-model trace overrides), changing nothing here (documented).
- An unknown model's and version's texts were ours after Triton's prefix; now Triton's words.

Expected values are Triton's (triton-inference-server/server src/http_server.cc HandleTrace / HandleLogging,
src/grpc/grpc_server.cc, core src/model_repository_manager.cc and model_lifecycle.cc): its defaults without
--trace-config / --log-* options, its texts. The session's server is shared: every test sets back what it set.
"""
from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from e2e.helpers import X, Y

CEILING = 120  # s
# Triton's trace settings of a server started without --trace-config (TraceManager's defaults: level OFF, rate 1000,
# count -1, log frequency 0, no file, mode triton), as its HTTP answer writes them (numbers as strings)
TRITON_TRACE = {"trace_level": ["OFF"], "trace_rate": "1000", "trace_count": "-1", "log_frequency": "0",
                "trace_file": "", "trace_mode": "triton"}
# Triton's log settings without --log-* options: info, warning and error on, verbose 0, the default format
TRITON_LOG = {"log_file": "", "log_info": True, "log_warning": True, "log_error": True, "log_verbose_level": 0,
              "log_format": "default"}


def clients(http, grpc_):
    return [("http", http), ("grpc", grpc_)]


def trace(c, protocol: str, model: str | None = None, settings: dict | None = None) -> dict:
    """The settings as a plain dict (gRPC's answer: each value a list of strings; as_json's map)."""
    if protocol == "http":
        return c.update_trace_settings(model, settings) if settings is not None else c.get_trace_settings(model)
    r = (c.update_trace_settings(model, settings, as_json=True) if settings is not None
         else c.get_trace_settings(model, as_json=True))
    return {k: v["value"] if k == "trace_level" else v["value"][0] if v.get("value") else ""
            for k, v in r["settings"].items()}


def log(c, protocol: str, settings: dict | None = None) -> dict:
    if protocol == "http":
        return c.update_log_settings(settings) if settings is not None else c.get_log_settings()
    r = c.update_log_settings(settings, as_json=True) if settings is not None else c.get_log_settings(as_json=True)
    return {k: next(iter(v.values()), "") if v else "" for k, v in r["settings"].items()}


@pytest.fixture
def restored(http):
    """The server's trace and log settings set back to Triton's defaults after the test."""
    yield
    http.update_trace_settings(None, {k: None for k in ("trace_level", "trace_rate", "trace_count", "log_frequency")})
    http.update_trace_settings("seed_grad", {k: None for k in ("trace_level", "trace_rate", "trace_count",
                                                               "log_frequency")})
    http.update_log_settings({k: v for k, v in TRITON_LOG.items() if k != "log_file"})


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_trace_settings_are_kept_per_server_and_model(http, grpc_, protocol, restored):
    c = http if protocol == "http" else grpc_
    got = trace(c, protocol)
    if protocol == "grpc":
        got["trace_file"] = got.get("trace_file", "")
    assert got == TRITON_TRACE
    assert trace(c, protocol, "seed_grad") == got  # a model without its own settings: the server's
    # a model's own: C++ stoi reads "0010" as 10 (Triton answers the number it read); levels in Triton's order
    m = trace(c, protocol, "seed_grad", {"trace_level": ["TENSORS", "TIMESTAMPS"], "trace_rate": "0010"})
    assert m["trace_level"] == ["TIMESTAMPS", "TENSORS"] and m["trace_rate"] == "10", m
    assert trace(c, protocol)["trace_rate"] == "1000"  # the server's unchanged
    g = trace(c, protocol, None, {"trace_count": "5", "trace_rate": "7"})
    assert g["trace_count"] == "5" and g["trace_rate"] == "7" and g["trace_level"] == ["OFF"], g
    m = trace(c, protocol, "seed_grad")
    assert m["trace_count"] == "5" and m["trace_rate"] == "10", m  # the server's where the model sets none
    m = trace(c, protocol, "seed_grad", {"trace_rate": None})  # cleared: the server's again
    assert m["trace_rate"] == "7" and m["trace_level"] == ["TIMESTAMPS", "TENSORS"], m


@pytest.mark.parametrize("protocol", ["http", "grpc"])
@pytest.mark.parametrize("model, settings, says", [
    # (trace_file: Triton's UNSUPPORTED, 501 / UNIMPLEMENTED: test_stock_round22.py)
    (None, {"trace_level": ["OFF", "TIMESTAMPS"]}, "Expect only one trace level 'OFF' is specified"),
    (None, {"trace_rate": "abc"}, "Unable to parse 'trace_rate', got: abc"),
    (None, {"trace_count": "-2"}, "Unable to parse 'trace_count'. Expecting value >= -1, got:-2"),
    (None, {"log_frequency": "99999999999"},
     "Unable to parse 'log_frequency', value is out of range [ 0, 4294967295 ], got: 99999999999"),
    (None, {"trace_colour": "1"}, "unknown trace setting(s) ['trace_colour']"),
    (None, {"trace_level": ["LOUD"]}, "unknown trace level(s) ['LOUD']"),
    ("nope", {}, "Request for unknown model : nope"),
])
def test_trace_settings_are_validated_as_triton_validates_them(http, grpc_, protocol, model, settings, says):
    c = http if protocol == "http" else grpc_
    with pytest.raises(InferenceServerException) as e:
        trace(c, protocol, model, settings) if settings else trace(c, protocol, model)
    assert e.value.status() in ("400", "StatusCode.INVALID_ARGUMENT") and says in e.value.message(), str(e.value)
    assert trace(c, protocol)["trace_rate"] == "1000"  # nothing changed


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_log_settings_are_kept(http, grpc_, protocol, restored):
    c = http if protocol == "http" else grpc_
    got = log(c, protocol)
    assert got == TRITON_LOG, got
    got = log(c, protocol, {"log_verbose_level": 2, "log_format": "ISO8601", "log_info": False})
    assert got == {**TRITON_LOG, "log_verbose_level": 2, "log_format": "ISO8601", "log_info": False}, got
    for settings, says in [({"log_file": "x.log"}, "log file location can not be updated through network protocol"),
                           # (Triton 2.41: HTTP names the command line's flag, gRPC's grpc_server.cc does not)
                           ({"log_format": "xml"}, "invalid argument for " + ("--" if protocol == "http" else "") +
                            "log_format, got: xml"),
                           ({"log_colour": True}, "unknown log setting(s) ['log_colour']")]:
        with pytest.raises(InferenceServerException) as e:
            log(c, protocol, settings)
        assert says in e.value.message(), str(e.value)
    assert log(c, protocol)["log_verbose_level"] == 2


def test_http_trace_routes_answer_get_and_post(server, restored):
    """The raw routes (Triton's curl examples): the model's route, null clears."""
    u = f"{server.url}/v2/models/seed_grad/trace/setting"
    r = httpx.post(u, json={"log_frequency": "3"}, timeout=CEILING)
    assert r.status_code == 200 and r.json()["log_frequency"] == "3", r.text
    assert httpx.get(f"{server.url}/v2/trace/setting", timeout=CEILING).json()["log_frequency"] == "0"
    r = httpx.post(u, json={"log_frequency": None}, timeout=CEILING)
    assert r.json()["log_frequency"] == "0"
    r = httpx.post(f"{server.url}/v2/logging", content=b"[1]", timeout=CEILING)
    assert r.status_code == 400 and "JSON object" in r.json()["error"]


def seed_inputs(mod) -> list:
    ins = [mod.InferInput("x", [2, 3], "FP32"), mod.InferInput("y", [3, 3], "FP32")]
    ins[0].set_data_from_numpy(X)
    ins[1].set_data_from_numpy(Y)
    return ins


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_unknown_model_and_version_in_tritons_words(http, grpc_, protocol):
    """core's ModelRepositoryManager::GetModel: "Request for unknown model: " + ModelLifeCycle's "'m' is not found" /
    "'m' version 2 is not found" (the version as the integer its stol read: "02" is 2)."""
    c, mod = (http, httpclient) if protocol == "http" else (grpc_, grpcclient)
    for call, says in [(lambda: c.get_model_metadata("nope"), "Request for unknown model: 'nope' is not found"),
                       (lambda: c.infer("nope", seed_inputs(mod)), "Request for unknown model: 'nope' is not found"),
                       (lambda: c.get_model_metadata("seed_grad", "2"),
                        "Request for unknown model: 'seed_grad' version 2 is not found"),
                       (lambda: c.get_model_metadata("seed_grad", "02"),
                        "Request for unknown model: 'seed_grad' version 2 is not found"),
                       (lambda: c.infer("seed_grad", seed_inputs(mod), model_version="3"),
                        "Request for unknown model: 'seed_grad' version 3 is not found")]:
        with pytest.raises(InferenceServerException) as e:
            call()
        assert e.value.message() == says, e.value.message()


def triton_top_k(values, k: int, floats: bool = True) -> list[bytes]:
    """Triton's classification strings, written here from its description (src/classification.cc): "value:index"
    of the k largest of the flattened tensor, largest first, ties by lower index (its std::sort on a tensor of up
    to 16 elements); the value as std::to_string writes it ("%f" for a float, the integer otherwise)."""
    flat = [v.item() for v in np.asarray(values).reshape(-1)]
    order = sorted(range(len(flat)), key=lambda i: (-flat[i], i))[:k]
    return [(("%f" % flat[i]) if floats else str(flat[i])).encode() + b":%d" % i for i in order]


@pytest.mark.parametrize("protocol", ["http", "http-json", "grpc"])
@pytest.mark.parametrize("k", [1, 4, 6, 50])
def test_class_count_answers_tritons_top_k_strings(http, grpc_, protocol, k):
    """d/dx of sum(x @ y) is ones((2, 3)) @ Y.T: every row the same, so ties (indices 0 and 3, ...). A model here
    has no batch dimension (max_batch_size 0): Triton ranks the whole tensor, shape [min(k, 6)]."""
    c, mod = (grpc_, grpcclient) if protocol == "grpc" else (http, httpclient)
    kw = {"binary_data": protocol == "http"} if protocol != "grpc" else {}
    r = c.infer("seed_grad", seed_inputs(mod), outputs=[mod.InferRequestedOutput("d/dx", class_count=k, **kw)])
    got = r.as_numpy("d/dx")
    dx = np.ones((2, 3), np.float32) @ Y.T  # (float32, as the model's output)
    want = triton_top_k(dx, k)
    assert got.shape == (min(k, 6),) and [bytes(s) if not isinstance(s, str) else s.encode() for s in got] == want, (
        got, want)
    assert (r.get_output("d/dx")["datatype"] if protocol != "grpc" else r.get_output("d/dx").datatype) == "BYTES"


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_class_count_of_integers_and_refusals(http, grpc_, protocol):
    c, mod = (grpc_, grpcclient) if protocol == "grpc" else (http, httpclient)
    a = np.array([[3, -1, 7], [7, 0, 3]], np.int8)
    b = np.array([[1, 2, 3], [3, 2, 1]], np.uint8)
    ins = [mod.InferInput("int8", [2, 3], "INT8"), mod.InferInput("uint8", [2, 3], "UINT8")]
    ins[0].set_data_from_numpy(a)
    ins[1].set_data_from_numpy(b)
    names = [o["name"] if protocol == "http" else o.name for o in
             (c.get_model_metadata("narrow_ints")["outputs"] if protocol == "http"
              else c.get_model_metadata("narrow_ints").outputs)]
    r = c.infer("narrow_ints", ins, outputs=[mod.InferRequestedOutput(names[0], class_count=3),
                                              mod.InferRequestedOutput(names[1])])
    assert [bytes(s) for s in r.as_numpy(names[0])] == triton_top_k(a + a, 3, floats=False)  # (int8 x + x wraps)
    np.testing.assert_array_equal(r.as_numpy(names[1]), b + b)  # the other output a plain tensor


def test_class_count_of_an_unsupported_type_in_tritons_words(server, grpc_):
    """Triton classifies integer and FP32 / FP64 outputs only (TopkClassifications: INVALID_ARG otherwise)."""
    body = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "BF16", "data": [1, 2, 3, 4, 5, 6]}],
            "outputs": [{"name": "out0", "parameters": {"classification": 2}}]}
    names = [o["name"] for o in httpx.get(f"{server.url}/v2/models/bf16", timeout=CEILING).json()["outputs"]]
    body["outputs"][0]["name"] = names[0]
    r = httpx.post(f"{server.url}/v2/models/bf16/infer", json=body, timeout=CEILING)
    assert r.status_code == 400 and "class result not available for output due to unsupported type 'BF16'" in (
        r.json()["error"]), r.text
    body["outputs"][0]["parameters"] = {"classification": 0}  # 0: the plain tensor (Triton: no classification)
    r = httpx.post(f"{server.url}/v2/models/bf16/infer", json=body, timeout=CEILING)
    assert r.status_code == 200 and r.json()["outputs"][0]["datatype"] == "BF16", r.text
    for ext in ("classification", "trace", "logging"):
        assert ext in grpc_.get_server_metadata().extensions


def cube_inputs(mod, a) -> list:
    ins = [mod.InferInput("x", [2, 2], "FP32"), mod.InferInput("y", [2, 2], "FP32")]
    for i in ins:
        i.set_data_from_numpy(a)
    return ins


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_load_with_a_config_override_applies_what_maps(http, grpc_, protocol):
    """seed_cube_eval is f(x, y) = x**3 + y (eval). Loaded with Triton's config override whose parameters (as
    get_model_config writes the model's options) make it a grad named dfdx: d sum(x**3 + y) / dx = 3 x**2 (the
    math); a plain load reads the folder again (Triton undoes an override so): x**3 + y."""
    c, mod = (http, httpclient) if protocol == "http" else (grpc_, grpcclient)
    a = np.array([[1, 2], [3, 4]], np.float32)
    override = {"name": "seed_cube_eval", "max_batch_size": 0, "backend": "gradserve",
                "parameters": {"kind": {"string_value": "grad"}, "output_names": {"string_value": '["dfdx"]'}}}
    try:
        c.load_model("seed_cube_eval", config=json.dumps(override))
        np.testing.assert_allclose(c.infer("seed_cube_eval", cube_inputs(mod, a)).as_numpy("dfdx"), 3 * a ** 2,
                                   rtol=1e-6)
        for change, says in [({"max_batch_size": 8}, "max_batch_size 8 cannot be applied"),
                             ({"dynamic_batching": {}}, "['dynamic_batching'] cannot be applied here (dynamic "
                                                        "batching is the server's"),
                             ({"name": "other"}, "name 'other' is not the model's"),
                             ({"output": [{"name": "dfdx", "data_type": "TYPE_FP64", "dims": [2, 2]}]},
                              "output {'name': 'dfdx', 'data_type': 'TYPE_FP64'"),
                             ({"parameters": {"kind": {"string_value": "nope"}}}, "kind must be one of")]:
            with pytest.raises(InferenceServerException) as e:
                c.load_model("seed_cube_eval", config=json.dumps({**override, **change}))
            assert e.value.message().startswith("Invalid config override: ") and says in e.value.message(), (
                e.value.message())
        with pytest.raises(InferenceServerException, match="Invalid config override: not JSON"):
            c.load_model("seed_cube_eval", config="{not json")
        # refused overrides left the model as it was
        np.testing.assert_allclose(c.infer("seed_cube_eval", cube_inputs(mod, a)).as_numpy("dfdx"), 3 * a ** 2,
                                   rtol=1e-6)
        ok = {**override, "output": [{"name": "dfdx", "data_type": "TYPE_FP32", "dims": [2, 2]}]}
        c.load_model("seed_cube_eval", config=json.dumps(ok))  # (the model's own output: accepted)
    finally:
        c.load_model("seed_cube_eval")
    np.testing.assert_allclose(c.infer("seed_cube_eval", cube_inputs(mod, a)).as_numpy("out"), a ** 3 + a, rtol=1e-6)
