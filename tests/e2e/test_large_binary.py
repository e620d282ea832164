"""A 64 MiB tensor through the binary extension, both ways, bit-exact (the body is read into shared
memory and handed to the worker as a view; the output is streamed from the worker's segment)."""
from __future__ import annotations

import json
import os
import socket
import time

import numpy as np
import pytest

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service import codec

from .server import module_server, server_in

N = (64 << 20) // 4


big_server = module_server("big", "big_server",
                           env={"GRADSERVE_MAX_BODY_BYTES": str(256 << 20), "GRADSERVE_MAX_ELEMENTS": str(1 << 25),
                                "GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_DEVICES": "cpu", "GRADSERVE_GRPC": "false",
                                "GRADSERVE_SEND_TIMEOUT_S": "600"})  # the slow reader below pauses on purpose


def _binary(head: dict, arrays: list) -> tuple[bytes, dict]:
    tensors, raws = [], []
    for i, a in enumerate(arrays):
        d, raw = codec.encode_tensor(f"x{i}", a, binary=True)
        tensors.append(d)
        raws.append(bytes(raw))
    head = {"binary_output": True, **head, "inputs": tensors}
    h = json.dumps(head).encode()
    return h + b"".join(raws), {"Content-Type": "application/octet-stream", codec.HEADER_LENGTH: str(len(h))}


def test_64mib_grad_round_trip_is_bit_exact(big_server):
    gb = GraphBuilder("sq")
    x = gb.input((N,), name="x")
    g = graph_to_json(gb.build(gb.sum(gb.mul(x, x))))
    a = np.random.default_rng(0).standard_normal(N).astype(np.float32)
    with big_server.client(timeout=300) as c:
        # two header lengths: the tensor lands at different body offsets
        for head in ({"graph": g}, {"graph": g, "device": "cpu", "deadline_ms": 120000}):
            content, headers = _binary(head, [a])
            r = c.post("/v1/grad", content=content, headers=headers)
            assert r.status_code == 200, r.text[:500]
            assert int(r.headers["content-length"]) == len(r.content)
            out = codec.decode_response(r.content, r.headers.get(codec.HEADER_LENGTH))
            got = out["outputs"][0]["array"]
            assert got.dtype == np.float32 and got.shape == (N,)
            assert np.array_equal(got, 2 * a)  # x*2 is exact in float32
            assert out["timing"]["read_ms"] >= 0


def test_large_binary_chunked_and_json_bodies(big_server):
    gb = GraphBuilder("neg")
    n = 1 << 19
    g = graph_to_json(gb.build(gb.neg(gb.input((n,), name="x"))))
    a = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    with big_server.client(timeout=300) as c:
        content, headers = _binary({"graph": g}, [a])
        # no Content-Length (chunked): the body is read without preallocation
        r = c.post("/v1/eval", content=(content[i:i + 100_000] for i in range(0, len(content), 100_000)),
                   headers=headers)
        assert r.status_code == 200, r.text[:500]
        out = codec.decode_response(r.content, r.headers.get(codec.HEADER_LENGTH))
        assert np.array_equal(out["outputs"][0]["array"], -a)
        # a large JSON body (preallocated, not shared memory), JSON out
        body = {"graph": g, "inputs": [{"name": "x", "shape": [n], "datatype": "FP32", "data": a.tolist()}]}
        r = c.post("/v1/eval", json=body)
        assert r.status_code == 200, r.text[:500]
        assert np.array_equal(np.array(r.json()["outputs"][0]["data"], np.float32), -a)


def test_output_slot_is_not_reused_while_its_response_is_still_streaming(big_server):
    """Outputs live in reused shared-memory slots (service.out_slots). A response read slowly keeps
    its slot busy: later jobs on the same (only) worker must not write into it."""
    n = (32 << 20) // 4  # more than loopback socket buffers hold: the server is still sending
    gb = GraphBuilder("neg")
    g = graph_to_json(gb.build(gb.neg(gb.input((n,), name="x"))))
    arrays = [np.random.default_rng(10 + i).standard_normal(n).astype(np.float32) for i in range(4)]
    with big_server.client(timeout=300) as slow, big_server.client(timeout=300) as fast:
        content, headers = _binary({"graph": g}, [arrays[0]])
        fast.post("/v1/eval", content=content, headers=headers)  # warm: a slot of this size exists
        with slow.stream("POST", "/v1/eval", content=content, headers=headers) as r:
            assert r.status_code == 200
            chunks = r.iter_raw(1 << 16)
            head = [next(chunks)]  # the response has started; most of it is still in the server
            for a in arrays[1:]:  # same size and worker: each would fit the slow response's slot
                c2, h2 = _binary({"graph": g}, [a])
                r2 = fast.post("/v1/eval", content=c2, headers=h2)
                assert r2.status_code == 200, r2.text[:300]
                out = codec.decode_response(r2.content, r2.headers.get(codec.HEADER_LENGTH))
                assert np.array_equal(out["outputs"][0]["array"], -a)
            body = b"".join(head + list(chunks))
            hl = r.headers.get(codec.HEADER_LENGTH)
    out = codec.decode_response(body, hl)
    assert np.array_equal(out["outputs"][0]["array"], -arrays[0])
    with big_server.client() as c:  # what is kept shows in /metrics and /v1/devices
        kept = {line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
                for line in c.get("/metrics").text.splitlines() if line.startswith("gradserve_shm_kept_bytes{")}
        assert kept['device="cpu"'] >= 2 * n * 4 and kept['device="requests"'] >= n * 4  # two slots, one body
        worker = c.get("/v1/devices").json()["pools"][0]["workers"][0]
        assert worker["shm_kept_bytes"] == kept['device="cpu"']


def _segments_of(pid: int) -> set:
    return {n for n in os.listdir("/dev/shm") if n.startswith(f"gs_{pid}_")}


# serial: a server another xdist worker starts between the kill and `second` would sweep the segments first
@pytest.mark.serial
def test_a_killed_servers_shared_memory_is_swept_by_the_next_one(tmp_path_factory):
    """Kept request buffers and output slots outlive jobs; if the server is killed they would stay in
    /dev/shm. Their names carry the server's pid, and the next server to start unlinks them."""
    env = {"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_DEVICES": "cpu", "GRADSERVE_GRPC": "false"}
    with server_in(tmp_path_factory, "first", env=env) as first:
        n = (2 << 20) // 4
        gb = GraphBuilder("neg")
        g = graph_to_json(gb.build(gb.neg(gb.input((n,), name="x"))))
        content, headers = _binary({"graph": g}, [np.ones(n, np.float32)])
        with first.client() as c:
            r = c.post("/v1/eval", content=content, headers=headers)
            assert r.status_code == 200, r.text[:300]
        del r
        assert len(_segments_of(first.proc.pid)) >= 2  # the kept request buffer and the output slot
        workers = first.worker_pids()
        first.proc.kill()  # SIGKILL: no chance to clean up (its worker exits when the pipe closes)
        first.proc.wait(10)
    # the orphaned worker may still be winding down (and unlinking its own slots): wait for it, so what
    # is left is what nobody alive owns, then the next server must sweep it (no race with the worker)
    deadline = time.monotonic() + 60
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _segments_of(first.proc.pid)
    assert left  # at least the killed server's own kept request buffer
    with server_in(tmp_path_factory, "second", env=env) as second:
        assert _segments_of(first.proc.pid) == set()
        assert "left by servers no longer running" in second.output()
        with second.client() as c:
            r = c.post("/v1/eval", content=content, headers=headers)
            assert r.status_code == 200, r.text[:300]
        del r
        assert len(_segments_of(second.proc.pid)) >= 2
    assert second.proc.returncode == 0
    assert _segments_of(second.proc.pid) == set()  # a clean stop (SIGTERM) unlinks what it kept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process under a reused pid
        return True
    try:  # a zombie (exited, not yet reaped by its init) counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_a_client_that_stops_reading_is_cut_off(tmp_path_factory, binary):
    """A client that asks for a large output and never reads it would hold the output's memory (a shared
    memory slot, or the encoded JSON) and its connection for good: past send_timeout_s the server closes
    the connection, and other clients are served all along."""
    env = {"GRADSERVE_MAX_BODY_BYTES": str(256 << 20), "GRADSERVE_MAX_ELEMENTS": str(1 << 25),
           "GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_DEVICES": "cpu", "GRADSERVE_GRPC": "false",
           "GRADSERVE_SEND_TIMEOUT_S": "1"}
    with server_in(tmp_path_factory, "stops_reading", env=env) as srv:
        n = (32 << 20) // 4 if binary else 1 << 20  # either is far more than the loopback socket buffers hold
        gb = GraphBuilder("neg")
        g = graph_to_json(gb.build(gb.neg(gb.input((n,), name="x"))))
        content, headers = _binary({"graph": g, "binary_output": binary}, [np.ones(n, np.float32)])
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock = socket.create_connection(("127.0.0.1", srv.port))
        sock.sendall(f"POST /v1/eval HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {len(content)}\r\n\r\n".encode()
                     + content)
        deadline = time.monotonic() + 120  # wait on the server's log line, generously
        while "did not take the response within send_timeout_s" not in srv.output():
            assert time.monotonic() < deadline, srv.output()[-2000:]
            with srv.client() as c:  # meanwhile other clients are served
                assert c.get("/v2/health/ready").status_code == 200
            time.sleep(0.2)
        sock.settimeout(30)
        data = bytearray()
        while True:  # what was already in the socket buffers, then the end: the connection was closed
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data += chunk
        sock.close()
        head_end = data.index(b"\r\n\r\n") + 4
        length = int(next(line.split(b":")[1] for line in bytes(data[:head_end]).split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        assert len(data) - head_end < length, "the whole response arrived: nothing was cut off"
        with srv.client() as c:  # the worker and its output slots are free for the next job
            gb2 = GraphBuilder("neg4")
            small = graph_to_json(gb2.build(gb2.neg(gb2.input((4,), name="x"))))
            c2, h2 = _binary({"graph": small}, [np.ones(4, np.float32)])
            r = c.post("/v1/eval", content=c2, headers=h2)
            assert r.status_code == 200
            assert np.array_equal(codec.decode_response(r.content, r.headers.get(codec.HEADER_LENGTH))
                                  ["outputs"][0]["array"], -np.ones(4, np.float32))
