"""Attacks on the gRPC port (gradserve.v1 and the Open Inference Protocol's GRPCInferenceService), replayed
against a real server with tight peer bounds: each attacker gets its status (or its connection closed),
the server stays healthy and other callers keep getting their answers.

The peers a library would never be (one that grants no flow-control credit, one that never reads its
socket) are written frame by frame (tests/e2e/h2_raw.py). Waits are on frames, metrics and /v1/devices
with generous ceilings."""
from __future__ import annotations

import struct
import time

import grpc
import httpx
import numpy as np
import pytest
from e2e.grpc_wire import arrays, call, open_channel, request
from e2e.grpc_wire import rpc_error as first_rpc_error
from e2e.h2_raw import DATA, GOAWAY, HEADERS, SETTINGS, RawH2
from e2e.helpers import DX, X, Y, matmul_net, metric, slow_input, slow_net
from e2e.server import server_in
from oip.models import write_repository
from tritonclient.grpc import service_pb2 as opb  # (service.oip_proto would clash with it in one process)
from tritonclient.grpc import service_pb2_grpc as opb_grpc

from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.proto import gradserve_pb2_grpc as pb_grpc

SC = grpc.StatusCode
SEND_S, AGE_S, MAX_DEADLINE_S = 1.0, 6.0, 5.0
GRACE_S = MAX_DEADLINE_S + 0.3 + SEND_S  # peer_bounds: the longest job and its send
ENV = {"GRADSERVE_SEND_TIMEOUT_S": str(SEND_S), "GRADSERVE_GRPC_MAX_CONNECTION_AGE_S": str(AGE_S),
       "GRADSERVE_MAX_DEADLINE_S": str(MAX_DEADLINE_S), "GRADSERVE_DEFAULT_DEADLINE_S": str(MAX_DEADLINE_S),
       "GRADSERVE_GRPC_MAX_STREAMS": "8", "GRADSERVE_CPU_WORKERS": "2"}
EVAL = "/gradserve.v1.Gradserve/Eval"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    repo = write_repository(tmp_path_factory.mktemp("models"))
    with server_in(tmp_path_factory, "grpc_attacks", devices="cpu",
                   env={**ENV, "GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s:
        yield s


@pytest.fixture(scope="module")
def channel(srv):
    ch = open_channel(srv.grpc_target)
    yield ch
    ch.close()


@pytest.fixture
def stub(channel):
    return pb_grpc.GradserveStub(channel)


@pytest.fixture
def oip(channel):
    return opb_grpc.GRPCInferenceServiceStub(channel)


@pytest.fixture
def http(srv):
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        yield c


def aged_out(e: grpc.RpcError) -> bool:
    """The call met its connection's end of age (AGE_S here) instead of the server: UNAVAILABLE, which says
    retry (sent as the server's GOAWAY "max_age" crossed it, or past its grace on a loaded box)."""
    return e.code() == SC.UNAVAILABLE and "max_age" in (e.details() or "")


def rpc_error(fn, *args, **kw) -> grpc.RpcError:
    """The error of fn(*args, **kw), called again while it meets its connection's end of age (this module's
    connections live AGE_S: at load ~20 the compression bomb met it, UNAVAILABLE for RESOURCE_EXHAUSTED)."""
    for _ in range(5):
        e = first_rpc_error(fn, *args, **kw)
        if not aged_out(e):
            return e
    raise AssertionError(f"five calls in a row met their connection's end of age: {e.details()}")


def canary(stub, ceiling: float = 10.0) -> float:
    """A small job from another caller: its answer is right and comes within the ceiling (a call that met
    its connection's end of age is sent again)."""
    t0 = time.monotonic()
    for _ in range(5):
        try:
            answer = call(stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]})
            break
        except grpc.RpcError as e:
            if not aged_out(e):
                raise
    else:
        raise AssertionError("five canaries in a row met their connection's end of age")
    np.testing.assert_allclose(arrays(answer)[0], DX, rtol=1e-6)
    dt = time.monotonic() - t0
    assert dt < ceiling, dt
    return dt


def big_answer_message(n: int = 1 << 17) -> bytes:
    """An Eval whose answer (n float64: 1 MiB) is far above HTTP/2's initial 64 KiB window."""
    gb = GraphBuilder("big")
    x = gb.input((1,), "float64", name="x")
    b = gb.emit1("broadcast_to", gb.sin(x), shape=[n])
    return request("eval", {"graph": graph_to_json(gb.build(gb.add(b, b))), "inputs": [np.ones(1)]}).SerializeToString()


def first_data(h: RawH2) -> None:
    """Frames until the answer starts (the job ran; its bytes now wait for credit)."""
    while True:
        kind, flags, _, payload = h.read_frame()
        h.serve_control(kind, flags, payload)
        if kind == DATA:
            return
        assert not (kind == HEADERS and flags & 1), f"the call ended early: {payload[:120]!r}"


def until_closed(h: RawH2, answer_pings: bool, ceiling: float) -> list:
    """Every frame kind the server sends until it closes the connection (within the ceiling)."""
    h.sock.settimeout(ceiling)
    kinds = []
    end = time.monotonic() + ceiling
    try:
        while time.monotonic() < end:
            kind, flags, _, payload = h.read_frame()
            kinds.append(kind)
            if answer_pings:
                h.serve_control(kind, flags, payload)
    except (ConnectionError, OSError):
        return kinds
    raise AssertionError(f"the connection was still open after {ceiling} s: frames {kinds}")


# -- peers that take no answer ----------------------------------------------------------------------------
@pytest.mark.parametrize("answers_pings", [True, False], ids=["grants_no_credit", "never_reads"])
def test_a_peer_that_takes_no_answer_is_told_to_go_away_then_closed(srv, stub, answers_pings):
    """One that answers pings but never opens its flow-control window, or one that stops reading its
    socket once the call is sent: grpc would keep its 1 MiB answer for the life of the connection; the
    connection's age ends it (GOAWAY), its grace closes it, and others are served meanwhile."""
    h = RawH2(srv.grpc_target)
    t0 = time.monotonic()
    h.call(EVAL, big_answer_message())
    first_data(h)
    canary(stub)  # others are served while the answer waits
    if not answers_pings:
        # the attack: silence until the connection's age has passed (a duration, not a wait for a state)
        time.sleep(max(0.0, AGE_S + 1 - (time.monotonic() - t0)))
    kinds = until_closed(h, answer_pings=answers_pings, ceiling=AGE_S + GRACE_S + 30)
    assert GOAWAY in kinds, kinds
    took = time.monotonic() - t0
    assert AGE_S <= took < AGE_S + GRACE_S + 30, took
    h.close()
    canary(stub)


def test_streams_per_connection_are_capped(srv):
    """The server's SETTINGS carry MAX_CONCURRENT_STREAMS = grpc_max_streams: one connection cannot
    hold more calls (and answers) than that."""
    h = RawH2(srv.grpc_target)
    try:
        while True:
            kind, flags, _, payload = h.read_frame()
            if kind == SETTINGS and not flags & 1:
                params = dict(struct.unpack(">HI", payload[i:i + 6]) for i in range(0, len(payload), 6))
                assert params.get(3) == 8, params  # SETTINGS_MAX_CONCURRENT_STREAMS
                return
    finally:
        h.close()


# -- hostile messages ----------------------------------------------------------------------------------------
def test_a_compression_bomb_is_refused_before_it_is_a_tensor(stub):
    """32 MiB of zeros, gzip-compressed to a few KiB, declared as one input: refused by its decompressed
    size (max_body_bytes = 8 MiB), not decoded."""
    m = request("grad", {"graph": matmul_net(), "inputs": [X, Y]})
    m.inputs[0].raw_contents = bytes(32 << 20)
    e = rpc_error(stub.Grad, m, timeout=60, compression=grpc.Compression.Gzip)
    assert e.code() == SC.RESOURCE_EXHAUSTED, (e.code(), e.details())
    canary(stub)


@pytest.mark.parametrize("metadata", [[("x-a", "a" * 60000)], [(f"x-{i}", "a") for i in range(3000)]],
                         ids=["one_huge_value", "thousands_of_keys"])
def test_metadata_floods_are_refused(stub, metadata):
    e = rpc_error(call, stub, "grad", {"graph": matmul_net(), "inputs": [X, Y]}, metadata=metadata, timeout=30)
    assert e.code() == SC.RESOURCE_EXHAUSTED, (e.code(), e.details())
    canary(stub)


def test_a_long_request_id_is_replaced_not_echoed(stub):
    """An x-request-id the trailers cannot carry is replaced by a fresh one (jobs.request_id)."""
    e = rpc_error(call, stub, "grad", {"graph": matmul_net(), "inputs": [X]}, metadata=[("x-request-id", "r" * 6000)],
                  timeout=30)
    assert e.code() == SC.INVALID_ARGUMENT
    rid = dict(e.trailing_metadata())["x-request-id"]
    assert len(rid) == 32 and rid != "r" * 6000


@pytest.mark.parametrize("mutate", [
    lambda t: t.shape.extend([-2, -3]),
    lambda t: t.shape.extend([2 ** 62, 2 ** 62, 4]),
    lambda t: t.shape.extend([1 << 30, 1 << 30]),
    lambda t: t.shape.extend([2, 4]),  # 6 values for 8
], ids=["negative_dims", "dims_whose_product_wraps_int64", "huge_shape_tiny_data", "count_mismatch"])
def test_oip_typed_contents_with_lying_shapes(oip, mutate):
    """Typed contents (fp32_contents) with a shape that lies: INVALID_ARGUMENT naming the input, or
    RESOURCE_EXHAUSTED naming the limit, never UNKNOWN (a Python exception)."""
    r = opb.ModelInferRequest(model_name="seed_grad")
    x = r.inputs.add(name="x", datatype="FP32")
    mutate(x)
    x.contents.fp32_contents.extend([1.0] * 6)
    y = r.inputs.add(name="y", datatype="FP32", shape=[3, 3])
    y.contents.fp32_contents.extend([1.0] * 9)
    e = rpc_error(oip.ModelInfer, r, timeout=30)
    assert e.code() in (SC.INVALID_ARGUMENT, SC.RESOURCE_EXHAUSTED), (e.code(), e.details())
    assert any(w in e.details() for w in ("inputs[0]", "max_elements", "shape")), e.details()


@pytest.mark.parametrize("method", ["ModelInfer", "ModelMetadata"])
def test_oip_errors_echoing_a_long_name_still_arrive(oip, method):
    """A 9000-character model name echoed in NOT_FOUND would pass the peer's 8 KiB metadata limit (the
    client then saw its stream removed): the details are cut, the status arrives."""
    req = opb.ModelInferRequest(model_name="m" * 9000) if method == "ModelInfer" else \
        opb.ModelMetadataRequest(name="m" * 9000)
    e = rpc_error(getattr(oip, method), req, timeout=30)
    assert e.code() == SC.NOT_FOUND, (e.code(), e.details())
    assert len(e.details()) < 1200 and "more characters" in e.details()


def test_oip_model_names_with_traversal_or_control_characters(oip):
    for name in ("../../etc/passwd", "seed_grad\x00", "a\r\nb", "seed_grad/../seed_grad"):
        e = rpc_error(oip.ModelMetadata, opb.ModelMetadataRequest(name=name), timeout=30)
        assert e.code() == SC.NOT_FOUND, (name, e.code(), e.details())
        assert not oip.ModelReady(opb.ModelReadyRequest(name=name), timeout=30).ready


# -- many calls, cancelled calls -------------------------------------------------------------------------
def test_a_cancelled_call_recycles_its_worker(srv, stub, http):
    restarts = metric(http, "gradserve_worker_restarts_total", device="cpu", reason="cancelled")
    fut = stub.Eval.future(request("eval", {"graph": slow_net(512, 1400), "inputs": [slow_input(512)]}), timeout=60)
    end = time.monotonic() + 30
    while not any(w["state"] == "busy" for w in http.get("/v1/devices").json()["pools"][0]["workers"]):
        assert time.monotonic() < end, "the job never started"
        time.sleep(0.05)
    fut.cancel()
    end = time.monotonic() + 30
    while metric(http, "gradserve_worker_restarts_total", device="cpu", reason="cancelled") < restarts + 1:
        assert time.monotonic() < end, "the cancelled job kept its worker"
        time.sleep(0.1)
    canary(stub, ceiling=30)  # (a worker may still be starting)


def test_many_streams_from_one_peer_get_answers_or_overloaded(srv, stub, http):
    """40 concurrent jobs of ~10 ms on one channel: each ends OK, or with RESOURCE_EXHAUSTED `overloaded`
    or REFUSED_STREAM (both say retry), nothing else; afterwards the pool is idle and whole. On a loaded
    box a job may also outlast this server's 5 s deadline (MAX_DEADLINE_S, short for the age tests): at
    load ~20 on 2 cores even these did, on their worker, and so did ~0.1 s ones; that answer says which
    deadline passed where. A call that meets its connection's end of age (AGE_S) says retry too."""
    m = request("eval", {"graph": slow_net(128, 40), "inputs": [slow_input(128)]})
    futs = [stub.Eval.future(m, timeout=60) for _ in range(40)]
    codes = []
    for f in futs:
        try:
            f.result()
            codes.append(SC.OK)
        except grpc.RpcError as e:
            codes.append(e.code())
            # overloaded, or refused past grpc_max_streams before the client learnt the cap (a burst on a
            # fresh connection: REFUSED_STREAM, error code 7, which says the call never started)
            assert (e.code() == SC.RESOURCE_EXHAUSTED and "full" in e.details()) or \
                (e.code() == SC.UNAVAILABLE and "error code 7" in e.details()) or aged_out(e) or \
                (e.code() == SC.DEADLINE_EXCEEDED and e.details().startswith("the deadline passed while")), \
                (e.code(), e.details())
    assert SC.OK in codes
    end = time.monotonic() + 30
    while http.get("/v1/devices").json()["pools"][0]["busy"]:
        assert time.monotonic() < end, "the pool stayed busy"
        time.sleep(0.05)
    canary(stub)
