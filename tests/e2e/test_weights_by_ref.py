"""A graph whose large values are named by hash on a real server (service.weight_refs): the worker gets their raw
bytes once (gradserve_weights_sent counts them), graphs of the same weights share them, a changed weight (another
hash) is computed with its new values, a restarted worker gets them again, and a job queued while the tensor store
evicts its values still computes with them. One worker, no inline lane: every job runs in that worker.
Expected values: NumPy's (float64) by hand for y = sum(tanh(x @ w + b)): dy/dx = (1 - t^2) @ w.T,
dy/dw = x.T @ (1 - t^2), dy/db = sum of (1 - t^2) over rows; within float32's error bound of each sum."""
from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from .helpers import call, decode, in_thread, metric, slow_input, slow_net, wait_for_metric, wait_for_pool
from .server import module_server
from .test_weights_by_hash_inline import _param, _upload, tanh_layer

X, W, B = (4, 128), (128, 256), (256,)  # w: 128 KiB (by reference), b: 1 KiB (small: base64 as before)
SENT = "gradserve_weights_sent_total"
CEILING = 120  # seconds: a loaded 2-core box is slow, never this slow
STORE = 1 << 20  # the tensor store: one client's share (half) holds four 128 KiB values


srv = module_server("by_ref", devices="cpu", env={"GRADSERVE_INLINE_MAX_MS": "0", "GRADSERVE_CPU_WORKERS": "1",
                                                  "GRADSERVE_TENSOR_STORE_BYTES": str(STORE)})


@pytest.fixture
def c(srv):
    with srv.client(timeout=CEILING) as client:
        yield client


def _model(c, seed: int) -> tuple:
    """(graph id, w, b, w's piece keys): w uploaded in two pieces, b in one, the graph registered."""
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal(W).astype(np.float32), rng.standard_normal(B).astype(np.float32)
    raw = w.tobytes()
    wkeys, bkeys = _upload(c, [raw[:65536], raw[65536:]]), _upload(c, [b.tobytes()])
    graph = tanh_layer(list(X), [_param("w", list(W), wkeys), _param("b", list(B), bkeys)])
    r = c.post("/v1/graphs", json={"graph": graph})
    assert r.status_code in (200, 201), r.text
    return r.json()["graph_id"], w, b, wkeys


def _grad_body(gid: str, x) -> dict:
    return {"graph_id": gid, "inputs": [x], "weights": ["w", "b"], "get_all": True, "get_by_list": True}


def _check_grads(out: dict, x, w, b) -> None:
    """dx, dw, db against NumPy within float32's bound for sums of n products (n * eps * sum of magnitudes)."""
    t = np.tanh(x.astype(np.float64) @ w + b)
    dz = 1 - t * t
    eps = 4 * np.finfo(np.float32).eps * (W[0] + W[1])
    mag = 1 + np.abs(x) @ np.abs(w)
    want = [(dz @ w.T, eps * (mag @ np.abs(w).T)), (x.T @ dz, eps * (np.abs(x).T @ mag)), (dz.sum(0), eps * mag.sum(0))]
    got = [o["array"] for o in out["outputs"]]
    assert out["timing"]["lane"] == "worker" and len(got) == 3
    for a, (v, bound) in zip(got, want):
        assert a.shape == v.shape and np.all(np.abs(a - v) <= bound), np.abs(a - v).max()


def _x(seed: int):
    return np.random.default_rng(100 + seed).standard_normal(X).astype(np.float32)


def test_weights_go_once_per_worker_and_a_changed_weight_is_computed_with_its_new_values(c):
    gid, w, b, _ = _model(c, 1)
    before = metric(c, SENT, unit="bytes")
    _check_grads(decode(call(c, "grad", _grad_body(gid, _x(1)), "binary")), _x(1), w, b)
    assert metric(c, SENT, unit="bytes") == before + w.nbytes  # (b is small: it stays in the graph's text)
    # another derivation of the same weights (eval), and the grad again: nothing sent again
    out = decode(call(c, "eval", {"graph_id": gid, "inputs": [_x(1)]}, "binary"))
    np.testing.assert_allclose(out["outputs"][0]["array"], np.tanh(_x(1).astype(np.float64) @ w + b).sum(), rtol=1e-5)
    _check_grads(decode(call(c, "grad", _grad_body(gid, _x(2)), "binary")), _x(2), w, b)
    assert metric(c, SENT, unit="bytes") == before + w.nbytes
    # w changed (set_data: new bytes, a new hash): another graph, its new values sent and used
    gid2, w2, b2, _ = _model(c, 2)
    assert gid2 != gid
    _check_grads(decode(call(c, "grad", _grad_body(gid2, _x(1)), "binary")), _x(1), w2, b2)
    assert metric(c, SENT, unit="bytes") == before + w.nbytes + w2.nbytes


def test_a_restarted_worker_gets_the_weights_again(srv, c):
    gid, w, b, _ = _model(c, 3)
    _check_grads(decode(call(c, "grad", _grad_body(gid, _x(3)), "binary")), _x(3), w, b)
    sent = metric(c, SENT, unit="values")
    (pid,) = srv.worker_pids()
    os.kill(pid, signal.SIGKILL)
    wait_for_pool(c, "the worker was never replaced", lambda p: [wk["pid"] for wk in p["workers"]] not in ([pid], [None])
                  and all(wk["state"] == "idle" for wk in p["workers"]), timeout=CEILING)
    _check_grads(decode(call(c, "grad", _grad_body(gid, _x(4)), "binary")), _x(4), w, b)
    assert metric(c, SENT, unit="values") == sent + 1


def test_a_job_queued_while_the_store_evicts_its_weights_computes_with_them(c):
    gid, w, b, wkeys = _model(c, 5)
    slow, slow_box = in_thread(call, c, "eval", {"graph": slow_net(512, 400), "inputs": [slow_input()]}, "binary")
    wait_for_pool(c, "the slow job never started", lambda p: any(wk["state"] == "busy" for wk in p["workers"]),
                  timeout=CEILING)
    queued = metric(c, "gradserve_queue_depth")
    job, job_box = in_thread(call, c, "grad", _grad_body(gid, _x(5)), "binary")
    wait_for_metric(c, "gradserve_queue_depth", queued + 1, "the grad never queued", timeout=CEILING)
    rng = np.random.default_rng(55)
    for _ in range(6):  # 768 KiB of other values: more than one client's share of the store holds
        _upload(c, [rng.integers(0, 256, 128 << 10, dtype=np.uint8).tobytes()])
    r = c.post("/v1/tensors/missing", json={"sha256": wkeys})
    assert r.status_code == 200 and set(r.json()["missing"]) == set(wkeys), r.text
    assert metric(c, "gradserve_queue_depth") >= queued + 1, "the slow job ended before the eviction"
    for th in (slow, job):
        th.join(CEILING)
    assert "error" not in slow_box and "error" not in job_box, (slow_box, job_box)
    _check_grads(decode(job_box["result"]), _x(5), w, b)
    # the registered graph keeps its values: a later call by id still computes with them
    _check_grads(decode(call(c, "grad", _grad_body(gid, _x(6)), "binary")), _x(6), w, b)


# a wide window (1 s, as tests/e2e/test_attacks_batching.py): concurrent requests land in one group
batching = module_server("by_ref_batch", name="batching", devices="cpu",
                         env={"GRADSERVE_INLINE_MAX_MS": "0", "GRADSERVE_CPU_WORKERS": "1",
                              "GRADSERVE_BATCH_DELAY_MS": "1000", "GRADSERVE_QUEUE_SIZE": "16"})


def test_a_batch_of_grads_names_the_weights_by_key_too(batching):
    """Dynamic batching's vmapped graph (service.batching) carries the values by key as the derived one does: each
    member gets its own gradients, and the weight's bytes went to the worker once for both graphs' jobs."""
    with batching.client(timeout=CEILING) as c:
        gid, w, b, _ = _model(c, 7)
        _check_grads(decode(call(c, "grad", _grad_body(gid, _x(7)), "binary")), _x(7), w, b)  # (alone: sent)
        sent = metric(c, SENT, unit="values")
        ths = [in_thread(call, c, "grad", _grad_body(gid, _x(10 + i)), "binary") for i in range(4)]
        for th, _ in ths:
            th.join(CEILING)
        outs = [decode(box["result"]) for _, box in ths]
        for i, out in enumerate(outs):
            _check_grads(out, _x(10 + i), w, b)
        assert max(o["timing"].get("batch", 1) for o in outs) > 1, "nothing was batched: the premise"
        assert metric(c, SENT, unit="values") == sent  # (the worker had them by key already)
