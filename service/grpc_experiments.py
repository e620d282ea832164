"""grpc core experiments the server turns on, named in GRPC_EXPERIMENTS before grpc is imported.

Why a module of its own: grpc core reads GRPC_EXPERIMENTS once, when `import grpc` loads it (grpcio 1.85: a name
set after that is never read, tests/grpc/test_grpc_attacks_round10.py), and service.grpc_server imports grpc, so
gradserve-server calls this from service.cli before anything imports grpc. No grpc import here."""
from __future__ import annotations

import os

HEADROOM_EXPERIMENT = "h2_max_deallocating_streams_headroom"


def enable_stream_headroom(s) -> None:
    """Names grpc core's h2_max_deallocating_streams_headroom experiment (off by default in grpc 1.85) for
    grpc_stream_headroom. The refusals that setting removes (a stub's answered or cancelled calls not yet freed,
    counted against max_concurrent_streams) are removed by its channel arg grpc.http2.max_deallocating_streams
    alone: with the experiment forced off the same runs had none refused (benchmarks/SERVICE_REPORT.md round 10),
    and on top of the arg no effect was measured. A name already there, or "-name", is left as it is."""
    have = [e.strip() for e in os.environ.get("GRPC_EXPERIMENTS", "").split(",") if e.strip()]
    if s.grpc_stream_headroom > 0 and not any(e.lstrip("-") == HEADROOM_EXPERIMENT for e in have):
        os.environ["GRPC_EXPERIMENTS"] = ",".join([*have, HEADROOM_EXPERIMENT])


def headroom_named() -> bool:
    """Whether GRPC_EXPERIMENTS names the experiment (on or off): what grpc read, if set before its import."""
    return any(e.strip().lstrip("-") == HEADROOM_EXPERIMENT for e in os.environ.get("GRPC_EXPERIMENTS", "").split(","))
