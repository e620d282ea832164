"""The differential tester run wide (not in CI): N seeds from first_seed against an in-process engine server;
prints each case that is not ok (seed, status, spec, detail) and the counts by status and spec.
Usage, from the worktree root: PYTHONPATH=.:clients/python:tests python tests/clients/_differential_wide.py N [first]"""
import collections
import sys

sys.path[:0] = ["tests", "tests/clients"]

import httpx  # noqa: E402
import jax  # noqa: E402

import gradserve as gs  # noqa: E402
from clients._fake_server import FakeServer  # noqa: E402
from clients._differential_specs import run_case  # noqa: E402


def run_seeds(run, first: int, n: int, key=lambda name: name, every: int = 100) -> None:
    """run(seed) -> (status, name, detail) for n seeds from first, against an in-process engine server; prints each
    case that is not ok, progress every `every` seeds, and the counts by status and by key(name)."""
    jax.config.update("jax_enable_x64", True)  # float64 references, as the tests ask by a marker (tests/jax_mode.py)
    server = FakeServer()
    gs.reset_context()
    gs.set_context(server="http://fake", http_transport=httpx.MockTransport(server), max_retries=0)
    counts: collections.Counter = collections.Counter()
    for seed in range(first, first + n):
        status, name, detail = run(seed)
        counts[status] += 1
        counts[(status, key(name))] += 1
        if status != "ok":
            print(seed, status, name, detail, flush=True)
        server.requests.clear()
        if len(server.graphs) > 500:
            server.graphs.clear()
        if (seed - first) % every == every - 1:
            print("progress", seed - first + 1, {k: v for k, v in counts.items() if isinstance(k, str)}, flush=True)
    print(sorted(counts.items(), key=str))


def main(n: int, first: int) -> None:
    run_seeds(run_case, first, n)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0)
