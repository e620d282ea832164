"""A stock grpcio stub with nearly grpc_max_streams calls in flight on one channel (reliab10).

Why it saw REFUSED_STREAM (round 9's leftover): grpc core's reset protection refuses a new stream while the
connection's *allocated* calls pass max_concurrent_streams, and a call stays allocated until the Python server
has freed it, after its answer reached the client; grpc retries a refused stream once, so a call failed when two
tries met the lag (96-120 in flight under two CPU burners: 45-1003 of ~3000 refused), and a client's new calls
right after it cancelled others (deadlines) were refused while the cancelled ones were not yet freed. The server now
sets grpc.http2.max_deallocating_streams (grpc_stream_headroom, 128): calls closed on the wire but not yet freed
count against it instead, which alone does the work (grpc core's h2_max_deallocating_streams_headroom experiment,
which the server named until stop 41, added nothing measured), so a polite stub's calls are all answered, while a rapid-reset flood is still
refused past grpc_max_streams + the headroom and another channel is served meanwhile. Waits are on answers,
with generous ceilings."""
from __future__ import annotations

import pytest

from e2e.grpc_wire import ABSENT_HASH, MISSING, concurrent_answers, reset_flood_refused
from e2e.h2_raw import CANCEL, END_STREAM, HEADERS, REFUSED_STREAM, RST_STREAM, SETTINGS, RawH2, call_frames, frame
from e2e.server import server_in
from service.proto import gradserve_pb2 as pb

CANCELLED, FRESH = 100, 100  # calls a client gave up on (deadline, cancel), then new ones: 100 open of 128
WIDTH, EACH = 120, 16  # 120 threads at once on one channel (of grpc_max_streams 128), 16 calls each


def _server(tmp_path_factory, **env):
    # the server's own defaults (no e2e queue of 2: 120 small jobs at once are a polite load), one cpu worker
    return server_in(tmp_path_factory, "grpc_round10", devices="cpu", base_env={},
                     env={"GRADSERVE_CPU_WORKERS": "1", **env})


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with _server(tmp_path_factory) as s:
        yield s


@pytest.fixture(scope="module")
def srv_no_headroom(tmp_path_factory):
    """grpc_stream_headroom 0: no grpc.http2.max_deallocating_streams (the server as before reliab10)."""
    with _server(tmp_path_factory, GRADSERVE_GRPC_STREAM_HEADROOM="0") as s:
        yield s


def test_a_stock_stubs_120_concurrent_calls_on_one_channel_are_all_answered(srv_stub):
    assert concurrent_answers(srv_stub, WIDTH, EACH) == []


def _ended_streams(h: RawH2, sids: set) -> list:
    """Read until each of `sids` has ended (its trailers, or RST_STREAM); the ones refused (REFUSED_STREAM)."""
    refused, left = [], set(sids)
    while left:
        kind, flags, sid, payload = h.read_frame()
        h.serve_control(kind, flags, payload)
        if sid in left and (kind == RST_STREAM or (kind == HEADERS and flags & END_STREAM)):
            left.discard(sid)
            if kind == RST_STREAM and int.from_bytes(payload, "big") == REFUSED_STREAM:
                refused.append(sid)
    return refused


def _fresh_calls_refused_after_cancelled_ones(srv) -> list:
    """A client whose 100 calls were cancelled (RST_STREAM CANCEL: a deadline, a user's cancel) sends 100 new ones
    at once: never more than 100 streams open of grpc_max_streams 128. The new ones refused (REFUSED_STREAM)."""
    h = RawH2(srv.grpc_target)
    h.sock.settimeout(120)
    try:
        while True:  # the server's SETTINGS, acknowledged (streams before that are refused)
            kind, flags, _, payload = h.read_frame()
            h.serve_control(kind, flags, payload)
            if kind == SETTINGS and not flags & 1:
                break
        ask = pb.MissingTensorsRequest(sha256=[ABSENT_HASH]).SerializeToString()
        cancelled = [h.next_stream + 2 * i for i in range(CANCELLED)]
        fresh = [h.next_stream + 2 * (CANCELLED + i) for i in range(FRESH)]
        h.next_stream += 2 * (CANCELLED + FRESH)
        h.sock.sendall(b"".join(call_frames(sid, MISSING, ask) + frame(RST_STREAM, 0, sid, CANCEL.to_bytes(4, "big"))
                                for sid in cancelled) + b"".join(call_frames(sid, MISSING, ask) for sid in fresh))
        return _ended_streams(h, set(fresh))
    finally:
        h.close()


def test_new_calls_after_cancelled_ones_within_the_cap_are_not_refused(srv):
    """With grpc_stream_headroom (its channel arg) the cancelled calls the server has not freed yet count against
    the headroom, so none of the 100 new calls is refused (HTTP/2: 100 open of 128)."""
    assert _fresh_calls_refused_after_cancelled_ones(srv) == []


def test_without_headroom_new_calls_after_cancelled_ones_are_refused(srv_no_headroom):
    """The same client against grpc_stream_headroom 0: grpc core counts the cancelled calls until the server has
    freed them, so some of the new calls are refused although only 100 streams are open: what the setting removes
    (62-71 of 100 refused in 13 of 13 runs, idle box and two burners alike: SERVICE_REPORT round 10)."""
    assert _fresh_calls_refused_after_cancelled_ones(srv_no_headroom) != []


def test_a_rapid_reset_flood_is_still_refused_past_the_cap_and_its_headroom(srv, srv_stub):
    """20 K calls opened and reset at once on one raw connection: streams past grpc_max_streams +
    grpc_stream_headroom allocated calls are refused, and another channel's job is answered meanwhile and after."""
    assert reset_flood_refused(srv.grpc_target, srv_stub), \
        "no stream was refused: the reset calls are not bounded per connection"
