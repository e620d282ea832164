"""Round 2's wide local run (not in CI): N seeds from first of the op cases (_differential_opruns2.py) or the
cell cases (_differential_cells2.py), against an in-process engine server; prints each case that is not ok and
the counts by status and case.
Usage, from the worktree root: PYTHONPATH=.:clients/python:tests python tests/clients/_differential_wide2.py ops|cells|complex N [first]"""
import collections
import sys

sys.path[:0] = ["tests", "tests/clients"]

import httpx  # noqa: E402

import gradserve as gs  # noqa: E402
from clients._fake_server import FakeServer  # noqa: E402


def main(which: str, n: int, first: int) -> None:
    if which == "ops":
        from clients._differential_opruns2 import run_op_case as run
    elif which == "complex":
        from clients._differential_opruns2 import run_complex_case as run
    else:
        from clients._differential_cells2 import run_cell_case as run
    server = FakeServer()
    gs.reset_context()
    gs.set_context(server="http://fake", http_transport=httpx.MockTransport(server), max_retries=0)
    counts: collections.Counter = collections.Counter()
    for seed in range(first, first + n):
        status, name, detail = run(seed)
        counts[status] += 1
        counts[(status, name.split("/")[0])] += 1
        if status != "ok":
            print(seed, status, name, detail, flush=True)
        server.requests.clear()
        if len(server.graphs) > 500:
            server.graphs.clear()
        if (seed - first) % 50 == 49:
            print("progress", seed - first + 1, {k: v for k, v in counts.items() if isinstance(k, str)}, flush=True)
    print(sorted(counts.items(), key=str))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)
