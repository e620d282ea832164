"""Triton's statistics extension through the stock clients (tritonclient HTTP and gRPC), against the real server:
per model and version, the counts of what this test sent (only this test infers the model `counted`) and
durations that fit inside the wall time the client measured around its own calls. A reload starts the counts
again (a new model, as Triton's). Expected values: the calls made here; the outputs by NumPy (x**3 + y)."""
from __future__ import annotations

import time

import numpy as np
import pytest

import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

X = np.array([[0.5, -1.0], [2.0, 1.5]], np.float32)
Y = np.array([[1.0, 2.0], [3.0, -4.0]], np.float32)
DURATIONS = ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output", "cache_hit", "cache_miss")


def inputs(mod, x=X):
    ins = [mod.InferInput("x", list(x.shape), "FP32"), mod.InferInput("y", [2, 2], "FP32")]
    ins[0].set_data_from_numpy(x)
    ins[1].set_data_from_numpy(Y)
    return ins


UINT64 = {"count", "ns", "last_inference", "inference_count", "execution_count", "batch_size"}


def as_ints(d):
    """gRPC's statistics as JSON (protobuf writes uint64 as strings and leaves zeros out) in HTTP's form."""
    if isinstance(d, list):
        return [as_ints(v) for v in d]
    if not isinstance(d, dict):
        return d
    out = {k: int(v) if k in UINT64 else as_ints(v) for k, v in d.items()}
    return out if "name" not in d else {"inference_count": 0, "execution_count": 0, "last_inference": 0, **out}


def stat(s: dict, key: str) -> tuple[int, int]:
    d = s["inference_stats"].get(key, {})
    return int(d.get("count", 0)), int(d.get("ns", 0))


def test_statistics_count_what_was_sent_within_the_wall_time(http, grpc_):
    http.unload_model("counted")  # (a fresh model: its counts are this test's alone)
    http.load_model("counted")
    zero = http.get_inference_statistics("counted")["model_stats"]
    assert [(s["name"], s["version"], s["inference_count"], s["execution_count"]) for s in zero] == [
        ("counted", "1", 0, 0)]
    assert all(stat(zero[0], k) == (0, 0) for k in DURATIONS)

    t0_ms, t0 = time.time() * 1e3, time.perf_counter_ns()
    for c, mod in ((http, httpclient), (http, httpclient), (grpc_, grpcclient)):
        r = c.infer("counted", inputs(mod))
        np.testing.assert_allclose(r.as_numpy("out"), X ** 3 + Y, rtol=1e-6)
    for c, mod in ((http, httpclient), (grpc_, grpcclient)):  # a wrong shape: refused, never run
        with pytest.raises(InferenceServerException, match="expected FP32"):
            c.infer("counted", inputs(mod, np.zeros((1, 2), np.float32)))
    wall, t1_ms = time.perf_counter_ns() - t0, time.time() * 1e3

    h = http.get_inference_statistics("counted", "1")["model_stats"]
    g = as_ints(grpc_.get_inference_statistics("counted", as_json=True))["model_stats"]
    typed = grpc_.get_inference_statistics("counted").model_stats[0]  # tritonclient's own message, parsed
    # (a refused request is no failure of the model's: Triton's core counts only those that ran, round 29)
    assert typed.name == "counted" and typed.inference_count == 3 and typed.inference_stats.fail.count == 0
    for stats in (h, g):
        assert len(stats) == 1
        s = stats[0]
        assert (s["name"], s["version"], s["inference_count"], s["execution_count"]) == ("counted", "1", 3, 3)
        assert t0_ms - 1 <= s["last_inference"] <= t1_ms + 1  # (ms since the epoch)
        (ok, ok_ns), (bad, bad_ns) = stat(s, "success"), stat(s, "fail")
        assert (ok, bad) == (3, 0) and bad_ns == 0
        assert 0 < ok_ns <= wall  # each call's time lies within the client's
        parts = [stat(s, k) for k in ("queue", "compute_input", "compute_infer", "compute_output")]
        assert [n for n, _ in parts] == [3] * 4
        assert stat(s, "compute_infer")[1] > 0 and sum(ns for _, ns in parts) <= ok_ns  # parts of the successes
        assert stat(s, "cache_hit") == stat(s, "cache_miss") == (0, 0)  # (no response cache here)
        batches = [(b["batch_size"], int(b["compute_infer"]["count"])) for b in s.get("batch_stats", [])]
        assert batches == [(1, 3)]  # no dynamic batching on this server: one request an execution
    assert h[0]["inference_stats"]["success"] == g[0]["inference_stats"]["success"]

    http.unload_model("counted")  # a reloaded model starts again; an unloaded one has no statistics
    try:
        for call in (lambda: http.get_inference_statistics("counted"),
                     lambda: grpc_.get_inference_statistics("counted")):
            with pytest.raises(InferenceServerException) as e:
                call()
            # (Triton's words for a model unloaded: test_stock_round27)
            assert e.value.status() in ("404", "StatusCode.NOT_FOUND") and \
                "'counted' has no available versions" in str(e.value)
        assert "counted" not in {s["name"] for s in http.get_inference_statistics()["model_stats"]}
    finally:
        http.load_model("counted")
    assert http.get_inference_statistics("counted")["model_stats"][0]["inference_count"] == 0


def test_statistics_of_every_model_and_of_no_such_version(http, grpc_):
    every = http.get_inference_statistics()["model_stats"]
    names = {m["name"] for m in http.get_model_repository_index() if m["state"] == "READY"}
    assert {(s["name"], s["version"]) for s in every} == {(n, "1") for n in names}
    assert {s.name for s in grpc_.get_inference_statistics().model_stats} == names
    for call in (lambda: http.get_inference_statistics("counted", "2"),
                 lambda: grpc_.get_inference_statistics("counted", "2"),
                 lambda: grpc_.get_inference_statistics("nope")):
        with pytest.raises(InferenceServerException) as e:
            call()
        assert e.value.status() in ("404", "StatusCode.NOT_FOUND"), str(e.value)


def test_a_dynamic_batch_is_one_execution_of_its_size():
    """Members of one batch of 3 (timing.batch, service.batching) each count as an inference, together as one
    execution of batch size 3 whose compute time is the batch's (each member's timing carries it whole)."""
    from service.model_stats import ModelStats
    s = ModelStats()
    batch = {"batch": 3, "queue_ms": 1.0, "prepare_ms": 0.5, "compute_ms": 6.0, "output_ms": 0.25}
    for _ in range(3):
        s.success(ModelStats.start(), batch)
    s.success(ModelStats.start(), {"queue_ms": 2.0, "prepare_ms": 0.5, "compute_ms": 4.0, "output_ms": 0.0})
    j = s.to_json("m")
    assert (j["inference_count"], j["execution_count"]) == (4, 2)
    assert j["inference_stats"]["compute_infer"] == {"count": 4, "ns": 22_000_000}  # per request, as Triton's
    assert j["inference_stats"]["queue"] == {"count": 4, "ns": 5_000_000}
    assert [(b["batch_size"], b["compute_infer"], b["compute_input"]) for b in j["batch_stats"]] == [
        (1, {"count": 1, "ns": 4_000_000}, {"count": 1, "ns": 500_000}),
        (3, {"count": 1, "ns": 6_000_000}, {"count": 1, "ns": 500_000})]


def test_a_model_named_stats_is_routed_as_triton_routes_it(http, grpc_, server, repo_dir):
    """Triton's HTTP frontend answers GET /v2/models/stats with every model's statistics before it looks for a
    model of that name; every other route names the model `stats` (metadata: /v2/models/stats/versions/1).
    gRPC has no such clash. Expected: Triton's routing (src/http_server.cc, Handle); the outputs by NumPy."""
    import shutil
    import httpx
    from e2e.helpers import cube_net
    from .models import write_model

    write_model(repo_dir, "stats", cube_net(), {"kind": "eval"})
    try:
        http.load_model("stats")
        r = http.infer("stats", inputs(httpclient))
        np.testing.assert_allclose(r.as_numpy("out"), X ** 3 + Y, rtol=1e-6)
        every = httpx.get(server.url + "/v2/models/stats").json()["model_stats"]  # Triton's: all, not the metadata
        assert "stats" in {s["name"] for s in every} and "seed_grad" in {s["name"] for s in every}
        assert http.get_model_metadata("stats", "1")["name"] == "stats"
        assert grpc_.get_model_metadata("stats").name == "stats"
        assert http.is_model_ready("stats") and http.get_model_config("stats")["name"] == "stats"
        own = http.get_inference_statistics("stats")["model_stats"]
        assert [(s["name"], s["inference_count"]) for s in own] == [("stats", 1)]
        assert [s["name"] for s in http.get_inference_statistics("stats", "1")["model_stats"]] == ["stats"]
        assert httpx.post(server.url + "/v2/models/stats").status_code == 405  # (as Triton: GET only)
    finally:
        try:
            http.unload_model("stats")
        finally:
            shutil.rmtree(repo_dir / "stats")
