"""A debug timeline of one job across processes: CLOCK_MONOTONIC stamps (one clock for every process on a
host) written by the server and its workers (a benchmark stamps the SDK's side itself), to lay one call out.

Off unless GRADSERVE_TIMELINE names a directory (read once, at import: the server's workers inherit it):
then `stamp(name)` appends "<pid> <name> <ns>" to <dir>/<pid>.tl (buffered, flushed every FLUSH stamps
and at exit; a worker flushes after each answer, as multiprocessing's children skip atexit). Off, a stamp is one
global lookup and a false test. benchmarks/w2_timeline.py lays a call out from the files.

Stamps: server srv.headers (lean path) / srv.read / srv.decoded / srv.submit / srv.to_worker /
srv.to_worker_sent / srv.from_worker / srv.result / srv.written; worker wk.recv / wk.plan (its plan looked up) /
wk.inputs (inputs mapped) / wk.c0 / wk.c1 (compute) / wk.flat (outputs listed) / wk.placed (outputs in the client's
region) / wk.out (outputs written) / wk.sent; the inline lane inl.l0 / inl.l1 (lowering ahead) and inl.c0 / inl.c1
(compiling); in every process that imports this module, gc.start.<generation> / gc.stop.<generation> around
each collection (a pause of the whole process: where a slow step's time went).
"""
from __future__ import annotations

import atexit
import os
import time

DIR = os.environ.get("GRADSERVE_TIMELINE") or None
FLUSH = 256
_lines: list = []


def stamp(name: str) -> None:
    if DIR is None:
        return
    _lines.append(f"{os.getpid()} {name} {time.monotonic_ns()}\n")
    if len(_lines) >= FLUSH:
        flush()


def flush() -> None:
    if DIR is None or not _lines:
        return
    with open(os.path.join(DIR, f"{os.getpid()}.tl"), "a") as f:
        f.writelines(_lines)
    _lines.clear()


if DIR is not None:
    atexit.register(flush)


def _gc_stamp(phase: str, info: dict) -> None:
    stamp(f"gc.{phase}.{info['generation']}")


if DIR is not None:
    import gc

    gc.callbacks.append(_gc_stamp)  # a collection's pause shows on the timeline
