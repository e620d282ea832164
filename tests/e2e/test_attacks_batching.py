"""Attacks on the dynamic batcher (service.batching) through a real server (API keys k1 / k2: two clients): a
member of a batch cannot make it fail for its co-members, nor learn or change their values; another client's
jobs are never batched with one's own (its batch was nobody's in the fair share, and `timing.batch` told a caller
how many same-graph jobs the others sent), and a job waiting for its batch keeps its admission place (it gave it
up on joining: jobs waiting in the batcher were bounded by nothing); Open Inference Protocol jobs (tritonclient
HTTP and gRPC) batch alike, each counted in Triton's statistics once, in its batch's execution. Per-member behaviour the server's timing
cannot pin down (a member's deadline passing while its batch runs, a batch that cannot be built, a member whose
caller is gone) is attacked against a stand-in pool in tests/service/test_batching_members.py."""
from __future__ import annotations

import json
import os
import threading
import time

import httpx
import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json

from .server import server_in
from .helpers import call, decode

W = np.array([1.0, 2.0, 3.0], np.float32)


def _sin_net() -> dict:
    """sum(sin(x * w)), w a parameter: d/dx = cos(x w) w, d/dw = cos(x w) x (per example)."""
    gb = GraphBuilder("sin_net")
    x = gb.input((3,), name="x")
    return graph_to_json(gb.build(gb.sum(gb.sin(gb.mul(x, gb.param("w", W))))))


GRAPH = _sin_net()



@pytest.fixture(scope="module")
def batching(tmp_path_factory):
    # a wide window (1 s): the concurrent requests of a test land in one group even on a loaded box
    repo = tmp_path_factory.mktemp("batching_models")
    (repo / "sin_grad").mkdir()  # GRAPH as a repository model (Open Inference Protocol jobs batch too)
    (repo / "sin_grad" / "graph.json").write_text(json.dumps(GRAPH))
    (repo / "sin_grad" / "config.json").write_text(json.dumps({"kind": "grad"}))
    with server_in(tmp_path_factory, "batching",
                   env={"GRADSERVE_DEVICES": "cpu", "GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_QUEUE_SIZE": "16",
                        "GRADSERVE_BATCH_DELAY_MS": "1000", "GRADSERVE_API_KEYS": "k1,k2",
                        "GRADSERVE_MODEL_REPOSITORY": str(repo)}, devices="cpu") as s:
        yield s


def _grad(url: str, x: np.ndarray, key: str = "k1", **extra) -> httpx.Response:
    body = {"graph": GRAPH, "inputs": [x], "grad_position": 0, "weights": ["w"], **extra}
    with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {key}"}) as c:
        return call(c, "grad", body, "binary")  # (binary: a NaN travels as it is)


def test_poison_and_expiring_members_leave_their_co_members_exact(batching):
    """Alongside four well-behaved callers: a NaN member (its own NaN back, nobody else's), a member whose
    deadline (1 ms) passes while it waits for its batch (504 at its own deadline): each well-behaved caller gets
    exactly its own per-example gradient, and the batch ran (a premise: some timing says batch > 1)."""
    url = batching.url
    goods = [np.random.default_rng(i).normal(size=3).astype(np.float32) for i in range(4)]
    nan = np.array([np.nan, 1.0, 2.0], np.float32)
    res: dict = {}

    def run(key, x, **extra):
        res[key] = _grad(url, x, **extra)

    ths = [threading.Thread(target=run, args=(i, x)) for i, x in enumerate(goods)]
    ths += [threading.Thread(target=run, args=("nan", nan)),
            threading.Thread(target=run, args=("late", goods[0]), kwargs={"deadline_ms": 1})]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120)
    late = res["late"]
    assert late.status_code == 504 and late.json()["error"]["code"] == "deadline_exceeded", late.text
    dx, dw = (o["array"] for o in decode(res["nan"])["outputs"])  # its own NaN back, where sin(NaN) reaches
    assert np.isnan(dx[0]) and np.isfinite(dx[1:]).all() and np.isnan(dw[0]) and np.isfinite(dw[1:]).all()
    for i, x in enumerate(goods):
        dx, dw = (o["array"] for o in decode(res[i])["outputs"])
        np.testing.assert_allclose(dx, np.cos(x * W) * W, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dw, np.cos(x * W) * x, rtol=1e-5, atol=1e-6)  # its own, not a sum
    assert max(decode(res[i])["timing"].get("batch", 1) for i in range(4)) > 1, "nothing was batched: no attack"


def _own_gradient(r: httpx.Response, x: np.ndarray) -> dict:
    """The response's timing, once its outputs are checked to be exactly this caller's per-example gradient."""
    out = decode(r)
    dx, dw = (o["array"] for o in out["outputs"])
    np.testing.assert_allclose(dx, np.cos(x * W) * W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dw, np.cos(x * W) * x, rtol=1e-5, atol=1e-6)
    return out["timing"]


def test_batches_hold_one_clients_jobs_and_their_admission_places(batching):
    """Three jobs of k1 and one of k2, at once, on the same graph and shapes: k1's are batched together (the
    premise), k2's runs alone (its timing names no batch: it learns nothing of k1's jobs), each gets its own
    gradient; while they wait for their batches (the 1 s window), the server counts them as admitted."""
    xs = {(key, i): np.random.default_rng(10 + i).normal(size=3).astype(np.float32)
          for key, i in (("k1", 0), ("k1", 1), ("k1", 2), ("k2", 3))}
    res: dict = {}

    def run(who):
        res[who] = _grad(batching.url, xs[who], key=who[0])

    ths = [threading.Thread(target=run, args=(who,)) for who in xs]
    for th in ths:
        th.start()
    held, end = 0, time.monotonic() + 60
    with httpx.Client(base_url=batching.url, timeout=60, headers={"Authorization": "Bearer k1"}) as c:
        while not res and held < 2 and time.monotonic() < end:  # before any answer: waiting in the batcher
            held = max(held, c.get("/v1/devices").json()["admitting"])
            time.sleep(0.02)
    for th in ths:
        th.join(120)
    timings = {who: _own_gradient(res[who], x) for who, x in xs.items()}
    assert timings[("k1", 0)].get("batch", 1) > 1 or timings[("k1", 1)].get("batch", 1) > 1, \
        f"k1's jobs were not batched (no attack): {timings}"
    assert all(t.get("batch", 1) <= 3 for who, t in timings.items() if who[0] == "k1"), timings
    assert "batch" not in timings[("k2", 3)], timings  # alone: nothing of k1's in it
    # (at least one: a poll of a loaded box may miss the moment both of k1's waited; before, none was ever seen)
    assert held >= 1, "jobs waiting for their batch held no admission place"


def test_batched_members_write_only_their_own_shared_memory_output(batching, tmp_path):
    """Two batched jobs, each naming its own place in one registered region (shared_memory_output): each place
    holds exactly its job's per-example gradient and no byte outside the two places changes (a batch job has
    no out_target: the server writes each member's slice where that member asked)."""
    name = f"batchtest_{os.getpid()}_{time.monotonic_ns()}"
    path = os.path.join("/dev/shm", name)
    with open(path, "wb") as f:
        f.write(b"\xab" * 4096)
    try:
        r = httpx.post(f"{batching.url}/v2/systemsharedmemory/region/mine/register", timeout=60,
                       headers={"Authorization": "Bearer k1"}, json={"key": "/" + name, "offset": 0, "byte_size": 4096})
        assert r.status_code == 200, r.text
        xs = [np.random.default_rng(20 + i).normal(size=3).astype(np.float32) for i in range(2)]
        places = (0, 1024)  # each job's dx at its offset, dw 64 bytes on (the layout aligns outputs to 64)
        res: dict = {}

        def run(i):
            body = {"graph": GRAPH, "inputs": [xs[i]], "grad_position": 0, "weights": ["w"],
                    "shared_memory_output": {"region": "mine", "offset": places[i], "byte_size": 1024}}
            with httpx.Client(base_url=batching.url, timeout=120, headers={"Authorization": "Bearer k1"}) as c:
                res[i] = call(c, "grad", body)

        ths = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(120)
        data = np.fromfile(path, np.uint8)
        for i, x in enumerate(xs):
            assert res[i].status_code == 200, res[i].text
            outs = res[i].json()["outputs"]
            assert [o["parameters"]["shared_memory_offset"] for o in outs] == [places[i], places[i] + 64], outs
            dx = data[places[i]:places[i] + 12].view(np.float32)
            dw = data[places[i] + 64:places[i] + 76].view(np.float32)
            np.testing.assert_allclose(dx, np.cos(x * W) * W, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(dw, np.cos(x * W) * x, rtol=1e-5, atol=1e-6)
        written = np.zeros(4096, bool)
        for p in places:
            written[p:p + 12] = written[p + 64:p + 76] = True
        assert (data[~written] == 0xAB).all(), "bytes outside the two members' places were written"
        assert max(res[i].json()["timing"].get("batch", 1) for i in range(2)) > 1, "not batched (no attack)"
    finally:
        httpx.post(f"{batching.url}/v2/systemsharedmemory/region/mine/unregister", timeout=60,
                   headers={"Authorization": "Bearer k1"})
        os.unlink(path)


def test_oip_jobs_are_batched_each_member_its_own_and_counted_as_executions(batching):
    """Four tritonclient inferences of one repository model by k1 at once, two over HTTP and two over gRPC: they
    are batched (the premise: Triton's statistics show fewer executions than inferences), each caller gets
    exactly its own gradient, and the statistics count each inference once, in one execution of its batch's
    size (sum of batch_size x executions = inferences)."""
    import tritonclient.grpc as grpcclient  # the test extra: fail, never skip
    import tritonclient.http as httpclient

    auth = {"authorization": "Bearer k1"}
    xs = [np.random.default_rng(30 + i).normal(size=3).astype(np.float32) for i in range(4)]
    res: dict = {}

    def run(i):
        mod = httpclient if i % 2 else grpcclient
        c = mod.InferenceServerClient(batching.url.removeprefix("http://") if i % 2 else batching.grpc_target)
        try:
            x = mod.InferInput("x", [3], "FP32")
            x.set_data_from_numpy(xs[i])
            # (a dict of its own: tritonclient.grpc adds its own entries to the one it is given)
            res[i] = c.infer("sin_grad", [x], headers=dict(auth)).as_numpy("d/dx")
        except Exception as e:  # noqa: BLE001 - reported with the results
            res[i] = e
        finally:
            c.close()

    ths = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120)
    for i, x in enumerate(xs):
        assert isinstance(res.get(i), np.ndarray), res.get(i)
        np.testing.assert_allclose(res[i], np.cos(x * W) * W, rtol=1e-5, atol=1e-6)  # its own, by hand
    http = httpclient.InferenceServerClient(batching.url.removeprefix("http://"))
    try:
        s = http.get_inference_statistics("sin_grad", headers=dict(auth))["model_stats"][0]
    finally:
        http.close()
    sizes = {b["batch_size"]: b["compute_infer"]["count"] for b in s["batch_stats"]}
    assert s["inference_count"] == 4 and s["inference_stats"]["success"]["count"] == 4, s
    assert s["execution_count"] < 4, f"nothing was batched (no attack): {s}"
    assert sum(n * k for n, k in sizes.items()) == 4 and sum(sizes.values()) == s["execution_count"], s
