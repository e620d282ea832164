"""A stock grpcio stub (no retry policy) against a real server at its default grpc_max_streams (reliab9).

With grpc_reset_protection a call counts against grpc_max_streams until the server has freed it, after its
answer has reached the client: a client with nearly grpc_max_streams calls in flight had some refused
(REFUSED_STREAM; at 100 streams, 64 threads at once on a loaded box: a third). At the default (128) a plain
stub's polite loads (one call at a time, 64 at once) are all answered, while a rapid-reset flood on one connection
is still refused past the cap and another channel's calls are answered meanwhile. Waits are on answers, with
generous ceilings."""
from __future__ import annotations

import numpy as np

from e2e.grpc_wire import SIN_X, concurrent_answers, reset_flood_refused, sin_answer, sin_job
from e2e.server import module_server
from service.settings import Settings

SEQUENTIAL = 1000
WIDTH, EACH = 64, 16  # 64 threads at once on one channel, 16 calls each


# the server's own defaults (no e2e queue of 2: 64 jobs at once are a polite load), one cpu worker
srv = module_server("grpc_stock", devices="cpu", base_env={},
                    env={"GRADSERVE_CPU_WORKERS": "1"})


def test_the_default_leaves_a_stock_client_room_above_64_calls_in_flight():
    # (the calls answered but not yet freed: up to ~60% of those in flight on a loaded box, SERVICE_REPORT round 9)
    assert Settings().grpc_max_streams >= 2 * WIDTH


def test_a_stock_stubs_sequential_calls_on_one_channel_are_all_answered(srv_stub):
    job, want = sin_job(), np.sin(SIN_X).tolist()
    wrong = [a for a in (sin_answer(srv_stub, job) for _ in range(SEQUENTIAL)) if a != want]
    assert wrong == []


def test_a_stock_stubs_64_concurrent_calls_on_one_channel_are_all_answered(srv_stub):
    assert concurrent_answers(srv_stub, WIDTH, EACH) == []


def test_a_rapid_reset_flood_is_still_refused_past_the_default_cap(srv, srv_stub):
    """20 K calls opened and reset at once on one raw connection: streams past grpc_max_streams held calls are
    refused (the reset ones count until freed), and another channel's job is answered meanwhile and after."""
    assert reset_flood_refused(srv.grpc_target, srv_stub), \
        "no stream was refused: the reset calls did not count against grpc_max_streams"
