"""grpc core experiments the server turns on, named in GRPC_EXPERIMENTS before grpc is imported.

Why a module of its own: grpc core reads GRPC_EXPERIMENTS once, when `import grpc` loads it (grpcio 1.85: a name
set after that is never read, tests/grpc/test_grpc_attacks_round10.py), and service.grpc_server imports grpc, so
gradserve-server calls this from service.cli before anything imports grpc. No grpc import here."""
from __future__ import annotations

import os

HEADROOM_EXPERIMENT = "h2_max_deallocating_streams_headroom"


def enable_stream_headroom(s) -> None:
    """grpc's reset protection refuses a stream while the connection's allocated calls pass max_concurrent_streams,
    and a call stays allocated until the Python server has freed it, after its answer left: a plain stub with 96 of
    128 calls in flight had some refused twice (grpc retries a refused stream once) under load. grpc core's
    experiment of this name counts those answered-but-not-yet-freed streams against max_deallocating_streams
    (grpc_stream_headroom) instead. A name already there, or "-name", is left as it is."""
    have = [e.strip() for e in os.environ.get("GRPC_EXPERIMENTS", "").split(",") if e.strip()]
    if s.grpc_stream_headroom > 0 and not any(e.lstrip("-") == HEADROOM_EXPERIMENT for e in have):
        os.environ["GRPC_EXPERIMENTS"] = ",".join([*have, HEADROOM_EXPERIMENT])


def headroom_named() -> bool:
    """Whether GRPC_EXPERIMENTS names the experiment (on or off): what grpc read, if set before its import."""
    return any(e.strip().lstrip("-") == HEADROOM_EXPERIMENT for e in os.environ.get("GRPC_EXPERIMENTS", "").split(","))
