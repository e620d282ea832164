"""Round 17's attack replays on what reaches the server's log lines, on model names, and on weights named by hash
between clients (one real server: text logs, the access log on, a model repository, API keys k1 and k2).

Fixed this round:
- a sha256 was a key to another client's uploaded bytes: a client that knew the hashes (a graph's JSON shared
  without its weights, say) registered a graph naming them, or ran another's registered graph by id, and got
  answers computed with that client's weights (derivatives that read them back); `missing` told it which bytes
  another client had uploaded. Now a piece is a client's once it uploaded the bytes itself (kept once):
  otherwise it is missing, and a graph naming it a 404 tensor_not_found (service.tensor_store, Registry._held);
- a request path holding a newline (%0a), a carriage return, a terminal escape (%1b[31m) or Unicode's line
  separator was written raw into the text log (the access log's line; a model, node or graph name in a warning,
  an exception's message in a traceback): a client could forge whole log lines or recolour an operator's
  terminal; the text formatter now writes them as escapes and indents a traceback's lines (service.logs);
- a request path as long as a request head may be (64 KiB) was one access line of that length each: now clipped
  as error messages are (service.errors.clip);
- a model name with a trailing newline passed the repository's name check (`$` matches before it): a 404 "not in
  the repository" instead of the 400 naming a bad name (service.repository.NAME, fullmatch now).

Held (see the round's SERVICE_REPORT entry): metrics labels under distinct graphs, model names and error kinds;
hostile model names (path traversal spelled %2e%2e / %2f, NUL, 60 KB names: clipped answers); odd `parameters`,
`config`, `outWrt` values on OIP and UM-Bridge routes; Expect: 100-continue pipelined, refused early (no
smuggled second request read), chunk extensions and trailers."""
from __future__ import annotations

import io
import logging
import re
import sys
import time

import grpc
import httpx
import numpy as np
import pytest

from service import logs
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc
from service.proto import gradserve_pb2 as pb
from service.proto import gradserve_pb2_grpc as pb_grpc

from .helpers import canary, error_of
from .server import server_in

KEYS = ("k1", "k2")

RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")  # the text format's line head


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository)

    repo = write_repository(tmp_path_factory.mktemp("models"))
    with server_in(tmp_path_factory, "attacks_round17", devices="cpu",
                   env={"GRADSERVE_ACCESS_LOG": "1", "GRADSERVE_LOG_FORMAT": "text", "GRADSERVE_CPU_WORKERS": "1",
                        "GRADSERVE_MODEL_REPOSITORY": str(repo), "GRADSERVE_API_KEYS": ",".join(KEYS)}) as s:
        yield s


@pytest.fixture(scope="module")
def c(srv):
    with srv.client(headers=auth(KEYS[0])) as c:
        yield c


@pytest.fixture(scope="module")
def c2(srv):
    with srv.client(headers=auth(KEYS[1])) as c:
        yield c


def auth(key: str) -> dict:
    return {"authorization": f"Bearer {key}"}


def log_lines_with(srv, mark: str, ceiling: float = 60.0) -> list[str]:
    """The server log's lines holding `mark`, once one does (the access line is written after the answer);
    the whole file, not the output's tail: a line may be long."""
    end = time.monotonic() + ceiling
    while True:
        srv.log.flush()
        text = srv.log_path.read_text(errors="replace")
        if mark in text:
            return [line for line in text.splitlines() if mark in line], text
        assert time.monotonic() < end, f"{mark!r} never reached the log"
        time.sleep(0.2)


def test_a_path_with_line_breaks_and_escapes_stays_one_access_line(srv, c):
    """Before: the access line broke at the %0a and the forged text began a line of its own, a record to any
    reader of the log; the ESC byte reached the terminal."""
    forged = "2026-12-06 06:00:00,000 INFO gradserve.http: FORGED-A17"
    r = c.get("/v1/x%0a" + forged.replace(" ", "%20") + "%0d%1b[31mRED%e2%80%a8END-A17")
    assert r.status_code == 404, r.text[:300]
    lines, text = log_lines_with(srv, "END-A17")
    assert len(lines) == 1 and "FORGED-A17" in lines[0], lines
    assert RECORD.match(lines[0]) and "gradserve.access: GET /v1/x\\n2026-12-06" in lines[0], lines
    assert "\\r\\x1b[31mRED\\u2028END-A17" in lines[0], lines
    assert not any(line.startswith("2026-12-06 06:00:00,000") for line in text.splitlines())
    assert "\x1b" not in text and "\u2028" not in text
    canary(c)


def test_a_path_as_long_as_a_request_head_is_clipped_in_its_access_line(srv, c):
    """Before: a 50 000-character access line a request (a 64 KiB head is allowed); now about MESSAGE_CHARS."""
    r = c.get("/v1/LONG-A17" + "A" * 50_000)
    assert r.status_code == 404, r.text[:300]
    lines, _ = log_lines_with(srv, "LONG-A17")
    assert len(lines) == 1 and len(lines[0]) < 1300 and "more characters" in lines[0], len(lines[0])


def test_a_model_name_with_a_trailing_newline_is_not_a_model_name(srv, c):
    """Before: "seed_grad\\n" passed the name check (a 404 looking for that folder); now the 400 naming it, on HTTP
    (the newline as %0A) and on gRPC's RepositoryModelLoad alike."""
    r = c.post("/v2/repository/models/seed_grad%0A/load")
    assert r.status_code == 400 and "'seed_grad\\\\n' is not a model name" in r.text, r.text[:300]
    with grpc.insecure_channel(srv.grpc_target) as ch, pytest.raises(grpc.RpcError) as e:
        opb_grpc.GRPCInferenceServiceStub(ch).RepositoryModelLoad(
            opb.RepositoryModelLoadRequest(model_name="seed_grad\n"), timeout=60, metadata=list(auth(KEYS[0]).items()))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value.details()
    assert "is not a model name" in e.value.details(), e.value.details()
    r = c.post("/v2/repository/models/seed_grad/load")  # (the real one still loads)
    assert r.status_code == 200, r.text[:300]


def test_a_traceback_never_reads_as_a_record_of_its_own():
    """An exception's message (it may echo a node or graph name a client sent) closes its traceback: before, a
    newline in it began a line at column 0 that read as a record; now every traceback line is indented."""
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    stream, sys.stderr = sys.stderr, io.StringIO()  # (configure's handler writes to the stderr of its time)
    try:
        logs.configure("text")
        captured = sys.stderr
    finally:
        sys.stderr = stream
    try:
        try:
            raise ValueError("node 'n\n2026-12-06 06:00:00,000 INFO gradserve.http: FORGED'")
        except ValueError:
            logging.getLogger("gradserve.worker").exception("job %s failed", "7\r\x1b[2J")
    finally:
        root.handlers[:], level = kept
        root.setLevel(level)
    out = captured.getvalue().splitlines()
    assert RECORD.match(out[0]) and out[0].endswith("job 7\\r\\x1b[2J failed"), out
    assert len(out) > 2 and all(line.startswith("  ") for line in out[1:]), out
    assert "  2026-12-06 06:00:00,000 INFO gradserve.http: FORGED'" in out, out


def test_a_long_request_id_is_clipped_in_the_access_record():
    """JSON lines carry the X-Request-ID the client sent: before, all of it (a 50 000-character header made a
    50 KB line a request); now clipped as the path is. The access log's middleware, in process."""
    import asyncio

    records: list = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message):
        pass

    access = logs.AccessLog(app, logger="gradserve.access.round17")
    access.log.addHandler(Keep())
    access.log.setLevel(logging.INFO)  # (its own logger: the test process's root level is not under test)
    access.log.propagate = False
    scope = {"type": "http", "method": "GET", "path": "/v1/x", "client": ("127.0.0.1", 1),
             "headers": [(b"x-request-id", b"R" * 50_000)]}
    asyncio.run(access(scope, None, send))
    line = logs.JsonFormatter().format(records[0])
    assert records[0].status == 204 and len(records[0].request_id) < 1100, len(records[0].request_id)
    assert len(line) < 1500 and "more characters" in line, len(line)


def _scaled_by(key: str) -> dict:
    """y = x * w, w's 4 float32 values named by the sha256 of their bytes."""
    return {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [4], "dtype": "float32"}],
            "params": [{"name": "w", "shape": [4], "dtype": "float32",
                        "value": {"shape": [4], "dtype": "float32", "sha256": [key]}}],
            "nodes": [{"op": "mul", "inputs": ["x", "w"], "outputs": ["y"]}], "outputs": "y"}


def _eval(c, **graph) -> httpx.Response:
    return c.post("/v1/eval", json={**graph, "inputs": [{"shape": [4], "datatype": "FP32", "data": [1, 1, 1, 1]}]})


def _missing(c, key: str) -> list:
    r = c.post("/v1/tensors/missing", json={"sha256": [key]})
    assert r.status_code == 200, r.text[:300]
    return r.json()["missing"]


def _computed_with(r, w: np.ndarray) -> None:
    assert r.status_code == 200, r.text[:300]
    np.testing.assert_array_equal(np.array(r.json()["outputs"][0]["data"], np.float32), w)  # (x = ones)


def _not_found(r) -> None:
    assert r.status_code == 404 and error_of(r)["code"] == "tensor_not_found", r.text[:300]


def test_another_clients_uploaded_weights_are_not_a_clients_by_their_hash(srv, c, c2):
    """Before: k1, knowing only the hash of k2's upload, was told it was kept, registered a graph naming it (201)
    and ran k2's registered graph by id (200, computed with k2's weights). Now all three answer as for bytes never
    uploaded, over HTTP and gRPC alike; once k1 uploads the same bytes (kept once) it runs the graph."""
    w = np.random.default_rng(17).standard_normal(4).astype(np.float32)
    up = {"tensors": [{"shape": [4], "datatype": "FP32", "data": w.tolist()}]}
    r = c2.post("/v1/tensors", json=up)
    assert r.status_code == 201 and r.json()["stored"] == 1, r.text[:300]
    key = r.json()["sha256"][0]
    r = c2.post("/v1/graphs", json={"graph": _scaled_by(key)})
    assert r.status_code == 201, r.text[:300]
    gid = r.json()["graph_id"]
    _computed_with(_eval(c2, graph_id=gid), w)  # (its owner's)

    assert _missing(c, key) == [key]
    with grpc.insecure_channel(srv.grpc_target) as ch:
        got = pb_grpc.GradserveStub(ch).MissingTensors(pb.MissingTensorsRequest(sha256=[key]), timeout=60,
                                                       metadata=list(auth(KEYS[0]).items()))
    assert list(got.missing) == [key]
    _not_found(c.post("/v1/graphs", json={"graph": _scaled_by(key)}))
    _not_found(_eval(c, graph_id=gid))
    _not_found(_eval(c, graph=_scaled_by(key)))

    r = c.post("/v1/tensors", json=up)  # k1 sends the bytes itself: kept once, now its too
    assert r.status_code == 201 and r.json() == {"sha256": [key], "stored": 0}, r.text[:300]
    assert _missing(c, key) == []
    _computed_with(_eval(c, graph_id=gid), w)
